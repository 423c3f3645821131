"""What a plain install needs: every runtime import declared, the private APIs we touch still
there, linters pinned, and a missing module named in the failure instead of "no article".

``scripts/check_plain_install.py`` (run by ``make test``) does the real thing: it builds the
wheel, installs it without the dev extra into a fresh venv and fetches and crawls from there.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import tomllib
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import FAST_SETTINGS, serve_routes

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("crawler", "pipelines", "archive", "portal_archive", "demo_portal")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements(group: list[str]) -> dict[str, Requirement]:
    found = {}
    for line in group:
        requirement = Requirement(line)
        found[canonicalize_name(requirement.name)] = requirement
    return found


RUNTIME = _requirements(PYPROJECT["project"]["dependencies"])
DEV = _requirements(PYPROJECT["project"]["optional-dependencies"]["dev"])


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level third-party module → the files importing it (lazy imports included)."""
    found: dict[str, set[str]] = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in PACKAGES:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_runtime_import_is_declared() -> None:
    from importlib.metadata import packages_distributions

    distributions = packages_distributions()
    imports = _third_party_imports()
    assert "scrapy" in imports  # the scan sees imports at all
    undeclared = {}
    for module, files in sorted(imports.items()):
        names = {canonicalize_name(d) for d in distributions.get(module, [module])}
        if not names & RUNTIME.keys():
            undeclared[module] = sorted(files)
    assert not undeclared, f"imported at runtime but not in [project].dependencies: {undeclared}"


def test_trafilatura_gets_lxml_html_clean() -> None:
    """justext (trafilatura's) imports ``lxml.html.clean``, a separate project since lxml 5.2."""
    assert "lxml-html-clean" in RUNTIME
    importlib.import_module("lxml.html.clean")


def test_requests_is_not_a_dependency() -> None:
    assert "requests" not in RUNTIME
    assert "types-requests" not in DEV
    assert "requests" not in _third_party_imports()


@pytest.mark.parametrize("tool", ["ruff", "mypy"])
def test_linters_are_pinned_to_the_installed_version(tool: str) -> None:
    from importlib.metadata import version

    (spec,) = DEV[tool].specifier
    assert spec.operator == "==", f"{tool} must be pinned exactly, not {spec}"
    assert spec.version == version(tool), f"the venv has {tool} {version(tool)}"


@pytest.mark.parametrize("name", ["scrapy", "trafilatura"])
def test_dependencies_with_private_apis_are_pinned_to_the_minor(name: str) -> None:
    specs = {s.operator: s.version for s in RUNTIME[name].specifier}
    lower, upper = specs[">="].split("."), specs["<"].split(".")
    assert upper[:1] == lower[:1] and int(upper[1]) == int(lower[1]) + 1, RUNTIME[name]


# Every private (``_``-prefixed) or internal API of a third-party package that our code
# imports, calls or overrides: (module, dotted attribute, our file that relies on it).
# A new minor version may drop any of them without notice, so the packages are pinned to the
# minor and this list tells which names to check when moving the pin.
PRIVATE_APIS = [
    ("scrapy.utils._compression", "_DecompressionMaxSizeExceeded", "crawler/discovery.py"),
    ("scrapy.utils.sitemap", "Sitemap._get_tag_name", "crawler/discovery.py"),
    ("scrapy.utils.sitemap", "Sitemap._process_sitemap_element", "crawler/discovery.py"),
    (
        "scrapy.downloadermiddlewares.robotstxt",
        "RobotsTxtMiddleware._parsers",
        "crawler/downloader.py",
    ),
    ("scrapy.downloadermiddlewares.retry", "RetryMiddleware._retry", "crawler/downloader.py"),
    (
        "scrapy.downloadermiddlewares.redirect",
        "BaseRedirectMiddleware._redirect",
        "crawler/downloader.py",
    ),
    (
        "scrapy.core.downloader.handlers.http11",
        "HTTP11DownloadHandler._pool",
        "crawler/downloader.py",
    ),
    ("scrapy.pipelines.files", "FSFilesStore._get_filesystem_path", "pipelines/images.py"),
    ("scrapy.pipelines.files", "FilesPipeline._update_stores", "pipelines/images.py"),
    ("lxml.etree", "_Element", "archive/normalize.py"),
    # trafilatura's internal modules (no underscore, but not its documented API)
    ("trafilatura.external", "SANITIZED_XPATH", "crawler/parsers/generic_body.py"),
    ("trafilatura.external", "compare_extraction", "crawler/parsers/generic_body.py"),
    ("trafilatura.htmlprocessing", "tree_cleaning", "crawler/parsers/generic_body.py"),
    ("trafilatura.htmlprocessing", "convert_to_html", "crawler/parsers/generic_body.py"),
    ("trafilatura.settings", "Document", "crawler/parsers/generic_body.py"),
    ("trafilatura.settings", "Extractor", "crawler/parsers/generic_body.py"),
    # PagePasses drives trafilatura_sequence's steps itself (trafilatura 2.3, pinned)
    ("trafilatura.core", "_forum_thread_page", "crawler/parsers/generic_body.py"),
    ("trafilatura.core", "_extract_and_compare", "crawler/parsers/generic_body.py"),
    ("trafilatura.core", "_recall_retry", "crawler/parsers/generic_body.py"),
    ("trafilatura.core", "baseline", "crawler/parsers/generic_body.py"),
    ("trafilatura.core", "html2txt", "crawler/parsers/generic_body.py"),
    ("trafilatura.core", "justext_rescue", "crawler/parsers/generic_body.py"),
    ("trafilatura.core", "ESCALATION_ACCEPT_RATIO", "crawler/parsers/generic_body.py"),
    ("trafilatura.core", "ESCALATION_JUSTEXT_RATIO", "crawler/parsers/generic_body.py"),
    ("trafilatura.core", "ESCALATION_MAX_LENGTH", "crawler/parsers/generic_body.py"),
    ("trafilatura.core", "ESCALATION_PAGE_SHARE", "crawler/parsers/generic_body.py"),
    ("trafilatura.htmlprocessing", "convert_tags", "crawler/parsers/generic_body.py"),
    ("trafilatura.htmlprocessing", "prune_unwanted_nodes", "crawler/parsers/generic_body.py"),
    ("trafilatura.xpaths", "RAW_TREE_PRUNE_XPATH", "crawler/parsers/generic_body.py"),
    ("trafilatura.xpaths", "REMOVE_COMMENTS_AND_LISTS_XPATH", "crawler/parsers/generic_body.py"),
    ("trafilatura.xpaths", "REMOVE_COMMENTS_XPATH", "crawler/parsers/generic_body.py"),
]


def _instance_attribute(owner: type, name: str) -> bool:
    """``name`` is set on instances of ``owner`` (assigned as ``self.name`` in its source)."""
    import inspect

    return any(
        re.search(rf"self\.{re.escape(name)}\b\s*(:[^=\n]*)?=", inspect.getsource(klass))
        for klass in owner.__mro__
        if klass.__module__.split(".")[0] != "builtins"
    )


@pytest.mark.parametrize(
    ("module", "attribute", "user"), PRIVATE_APIS, ids=[f"{m}.{a}" for m, a, _ in PRIVATE_APIS]
)
def test_private_api_still_exists(module: str, attribute: str, user: str) -> None:
    target: Any = importlib.import_module(module)
    *owners, name = attribute.split(".")
    for owner in owners:
        target = getattr(target, owner)
    assert hasattr(target, name) or (
        isinstance(target, type) and _instance_attribute(target, name)
    ), f"{module}.{attribute} is gone (used by {user})"
    assert name in (ROOT / user).read_text(encoding="utf-8"), f"{user} no longer uses {name}"


def test_every_private_api_in_the_code_is_listed() -> None:
    """A ``_name`` imported from, or read off, a third-party module must be in the list."""
    listed = {a.split(".")[-1] for _, a, _ in PRIVATE_APIS}
    third_party = set(_third_party_imports())
    unlisted = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.split(".")[0] in third_party:
                    names = [a.name for a in node.names if a.name.startswith("_")]
            elif (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in {"etree", "scrapy", "trafilatura", "twisted", "datasette"}
            ):
                names = [node.attr]
            unlisted += [f"{path.relative_to(ROOT)}: {n}" for n in names if n not in listed]
    assert not unlisted, f"private APIs missing from PRIVATE_APIS: {unlisted}"


PAGE = (
    "<html lang=en><head><title>A plain page</title></head><body><article><h1>A plain page</h1>"
    "<p>By Jane Doe, 2024-05-01 10:00</p>"
    + "".join(
        f"<p>Paragraph {i} of an ordinary article about installing software cleanly, long "
        "enough that an extractor takes it for the main content of the page.</p>"
        for i in range(8)
    )
    + "</article></body></html>"
).encode()

BLOCK_HTML_CLEAN = (
    "import sys; sys.modules['lxml_html_clean'] = None; "  # as if it were not installed
    "from portal_archive.cli import main; main()"
)


def _fetch(archive: Path, url: str, *prefix: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, *(prefix or ["-m", "portal_archive"]), "--archive", str(archive)]
    for setting in FAST_SETTINGS:
        argv += ["--set", setting]
    argv += ["fetch", url, "--portal", "generic"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def test_a_missing_module_is_named_not_taken_for_a_page_without_article(tmp_path: Path) -> None:
    with serve_routes({"/a.html": (200, "text/html; charset=utf-8", PAGE)}) as base:
        url = base + "/a.html"
        broken = _fetch(tmp_path / "broken", url, "-c", BLOCK_HTML_CLEAN)
        working = _fetch(tmp_path / "working", url)
    assert working.returncode == 0, working.stderr
    assert Path(working.stdout.strip()).is_file()
    assert broken.returncode == 1
    (error,) = [line for line in broken.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: {url}: parser_crash extractor failed: body: ImportError")
    assert "lxml_html_clean" in error and "Install lxml[html-clean]" in error
    assert "no article" not in broken.stderr
    assert "Traceback" not in broken.stderr


def test_savefixture_fetches_with_the_standard_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scrapy.utils.project import get_project_settings

    import crawler.commands.savefixture as savefixture
    from crawler.fixtures import save_fixture

    monkeypatch.setattr(savefixture, "save_fixture", partial(save_fixture, root=tmp_path))
    command = savefixture.Command()
    command.settings = get_project_settings()
    options = type("Options", (), {"name": "plain"})()
    with serve_routes({"/a.html": (200, "text/html; charset=utf-8", PAGE)}) as base:
        command.run(["ofweek", base + "/a.html"], options)
        with pytest.raises(Exception, match="404"):
            command.run(["ofweek", base + "/missing.html"], options)
    stored = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert stored and all(name.startswith("plain.") for name in stored), stored
