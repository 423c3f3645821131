"""The layer rule of ``docs/architecture.md``, read from every module's imports.

Bottom to top, an import only points down (or stays inside its own package):

* ``archive`` — the library; imports no other package of ours, and neither Scrapy nor Twisted;
* ``crawler`` and ``pipelines`` — the Scrapy project; each imports ``archive``, never the other;
* ``portal_archive`` — the application; imports any of the above (and ``demo_portal``);
* ``demo_portal`` — the offline demo site; imports no package of ours.

Every import counts, also one inside a function (a lazy import) or under ``TYPE_CHECKING``.
Import cycles between modules are refused (type-checking imports included: a cycle that
only the type checker sees is still two modules that cannot be read apart), and so is
registration through ``__import__``/``importlib.import_module``: a module
that needs another imports it by name. The one exception is the demo portal's site
discovery (:data:`DISCOVERY`), which walks its own ``portals`` package, as Scrapy's spider
loader walks ``SPIDER_MODULES``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

ALLOWED: dict[str, frozenset[str]] = {
    "archive": frozenset({"archive"}),
    "crawler": frozenset({"archive", "crawler"}),
    "pipelines": frozenset({"archive", "pipelines"}),
    "portal_archive": frozenset(
        {"archive", "crawler", "pipelines", "portal_archive", "demo_portal"}
    ),
    "demo_portal": frozenset({"demo_portal"}),
}
"""Package → the packages of ours it may import."""

SUBLAYERS: dict[str, frozenset[str]] = {
    "crawler.parsers": frozenset({"archive", "crawler.parsers"}),
}
"""Finer rules inside a package: a parser never reaches up into spiders or settings."""

FORBIDDEN_THIRD_PARTY: dict[str, frozenset[str]] = {
    "archive": frozenset({"scrapy", "twisted", "scrapy_redis"}),
    "demo_portal": frozenset({"scrapy", "twisted"}),
}
"""The library runs without Scrapy; the demo site is a plain ``http.server``."""

OURS = frozenset(ALLOWED) | {"tests"}

DISCOVERY = {("demo_portal.portals", "discover_sites")}
"""``(module, function)`` allowed to call ``importlib.import_module``: package discovery."""


@dataclass(frozen=True)
class Import:
    module: str
    """The importing module."""
    target: str
    """The imported module (``from a import b`` is ``a.b`` when ``a/b.py`` exists)."""
    line: int
    lazy: bool
    type_only: bool

    def __str__(self) -> str:
        how = " (type checking)" if self.type_only else " (lazy)" if self.lazy else ""
        return f"{self.module}:{self.line} imports {self.target}{how}"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(
    source: str, module: str, *, is_package: bool = False, known: frozenset[str] = frozenset()
) -> Iterator[Import]:
    """Every import statement of ``source`` (lazy and type-checking ones included)."""
    tree = ast.parse(source)

    def visit(node: ast.AST, lazy: bool, type_only: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            child_lazy = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            child_type = type_only or (isinstance(child, ast.If) and _is_type_checking(child))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(module, alias.name, child.lineno, lazy, type_only)
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(module, is_package, child)
                for alias in child.names:
                    sub = f"{base}.{alias.name}"
                    target = sub if sub in known else base
                    yield Import(module, target, child.lineno, lazy, type_only)
            yield from visit(child, child_lazy, child_type)

    yield from visit(tree, False, False)


def dynamic_imports(source: str) -> Iterator[tuple[str, int]]:
    """``(enclosing function, line)`` of every ``__import__``/``import_module`` call."""
    tree = ast.parse(source)

    def visit(node: ast.AST, function: str) -> Iterator[tuple[str, int]]:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = child.name
            if isinstance(child, ast.Call):
                func = child.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if called in {"__import__", "import_module"}:
                    yield name, child.lineno
            yield from visit(child, name)

    yield from visit(tree, "<module>")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


MODULES = _modules()


def _all_imports() -> list[Import]:
    known = frozenset(MODULES)
    result: list[Import] = []
    for name, path in MODULES.items():
        result += imports_of(
            path.read_text(encoding="utf-8"),
            name,
            is_package=path.name == "__init__.py",
            known=known,
        )
    return result


def layer_violations(imports: list[Import]) -> list[str]:
    """Imports that run up or sideways, or reach a forbidden third-party package."""
    bad = []
    for imp in imports:
        package, top = imp.module.split(".")[0], imp.target.split(".")[0]
        if top in OURS and top not in ALLOWED.get(package, frozenset()):
            bad.append(f"{imp}: {package} may import only {sorted(ALLOWED[package])}")
        if top in FORBIDDEN_THIRD_PARTY.get(package, frozenset()) and not imp.type_only:
            bad.append(f"{imp}: {package} must run without {top}")
        for prefix, allowed in SUBLAYERS.items():
            inside = imp.module == prefix or imp.module.startswith(prefix + ".")
            fits = any(imp.target == a or imp.target.startswith(a + ".") for a in allowed)
            if inside and top in OURS and not fits:
                bad.append(f"{imp}: {prefix} may import only {sorted(allowed)}")
    return bad


def cycles(imports: list[Import]) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan) among the imports of ours."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.target.split(".")[0] in OURS and imp.target != imp.module:
            graph.setdefault(imp.module, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                strongconnect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            strongconnect(node)
    return found


# --------------------------------------------------------------------------- the checker


def test_checker_sees_lazy_sideways_and_type_checking_imports() -> None:
    source = textwrap.dedent(
        """
        from typing import TYPE_CHECKING
        from archive.items import ArticleItem
        if TYPE_CHECKING:
            from portal_archive.runner import RunReport
        def f():
            from pipelines.store import ArchiveWriterPipeline
            import scrapy
        """
    )
    found = list(imports_of(source, "crawler.thing"))
    assert [(i.target, i.lazy, i.type_only) for i in found if i.target != "typing"] == [
        ("archive.items", False, False),
        ("portal_archive.runner", False, True),
        ("pipelines.store", True, False),
        ("scrapy", True, False),
    ]
    bad = layer_violations(found)
    assert len(bad) == 2
    assert "portal_archive.runner" in bad[0]
    assert "pipelines.store" in bad[1]
    archive_bad = layer_violations(list(imports_of(source, "archive.thing")))
    assert any("must run without scrapy" in b for b in archive_bad)


def test_checker_finds_cycles_and_dynamic_imports() -> None:
    a = Import("crawler.a", "crawler.b", 1, lazy=True, type_only=False)
    b = Import("crawler.b", "crawler.a", 1, lazy=False, type_only=False)
    c = Import("crawler.c", "crawler.a", 1, lazy=False, type_only=True)
    d = Import("crawler.a", "crawler.c", 1, lazy=False, type_only=False)
    e = Import("crawler.d", "crawler.e", 1, lazy=False, type_only=False)
    assert cycles([a, b, c, d, e]) == [["crawler.a", "crawler.b", "crawler.c"]]
    source = '__import__("x.y").y.register(g)\ndef load():\n    importlib.import_module("z")\n'
    assert list(dynamic_imports(source)) == [("<module>", 1), ("load", 3)]


def test_relative_imports_resolve_to_modules() -> None:
    known = frozenset({"crawler.parsers.base", "crawler.parsers"})
    found = list(
        imports_of(
            "from .base import Page\nfrom . import base\n",
            "crawler.parsers",
            is_package=True,
            known=known,
        )
    )
    assert [i.target for i in found] == ["crawler.parsers.base", "crawler.parsers.base"]


# --------------------------------------------------------------------------- the code


def test_packages_are_found() -> None:
    for package in ALLOWED:
        assert package in MODULES, f"{package}/__init__.py missing"
    assert len(MODULES) > 60


def test_every_import_points_down() -> None:
    bad = layer_violations(_all_imports())
    assert not bad, "imports against the layer rule (docs/architecture.md):\n" + "\n".join(bad)


def test_no_import_cycles() -> None:
    found = cycles(_all_imports())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_registration_by_dynamic_import() -> None:
    bad = []
    for name, path in MODULES.items():
        for function, line in dynamic_imports(path.read_text(encoding="utf-8")):
            if (name, function) not in DISCOVERY:
                bad.append(f"{name}:{line} ({function})")
    assert not bad, "import by name instead of __import__/import_module:\n" + "\n".join(bad)


def test_no_shipped_module_imports_the_tests() -> None:
    bad = [str(i) for i in _all_imports() if i.target.split(".")[0] == "tests"]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("package", ["archive", "demo_portal"])
def test_package_imports_without_scrapy_or_twisted(package: str) -> None:
    """Import every module of the package with Scrapy and Twisted made unimportable."""
    modules = sorted(m for m in MODULES if m == package or m.startswith(package + "."))
    code = textwrap.dedent(
        f"""
        import importlib, sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {{"scrapy", "twisted"}}:
                    raise ImportError("blocked by test_layers: " + name)
                return None

        sys.meta_path.insert(0, Block())
        for name in {modules!r}:
            importlib.import_module(name)
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in {{"scrapy", "twisted"}})
        assert not leaked, leaked
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_entry_points_resolve() -> None:
    """The console script and the Datasette plugin load from where pyproject.toml says."""
    scripts = {ep.name: ep for ep in entry_points(group="console_scripts")}
    assert scripts["portal-archive"].value == "portal_archive.cli:main"
    assert callable(scripts["portal-archive"].load())
    plugins = {ep.name: ep for ep in entry_points(group="datasette")}
    assert plugins["portal_archive"].value == "archive.datasette_plugin"
    assert hasattr(plugins["portal_archive"].load(), "render_cell")
