"""Safe defaults: the archive cannot be turned against its user by a portal or a typo.

* ``serve`` binds 127.0.0.1 and opens the index immutable (read-only);
* Scrapy's remote-control server (2.19, runs Python sent to it) and telnet console are off,
  and a real run starts neither;
* no shell, ``eval``/``exec``, pickle/marshal or unsafe YAML load in the code that handles
  scraped data (an AST scan of ``archive/``, ``crawler/``, ``pipelines/``), and no setting
  that would pickle requests (``JOBDIR`` disk queues, a pickling scrapy-redis serializer);
* ``fetch`` takes only absolute http(s) URLs and never writes outside the archive, even when
  ``posts/`` holds a link leading out of it;
* bad CLI input is one line on stderr and a non-zero exit code. Cases already covered
  elsewhere are not repeated here: unknown portal, ``ftp://`` URL, bad ``--set``
  (tests/test_cli.py), HTTP and network failures (tests/test_fetch_errors.py), ``serve``
  without an index (tests/test_datasette.py).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from portal_archive.cli import cli
from portal_archive.cli import serve as cli_module
from portal_archive.runner import project_settings
from tests.conftest import ROOT, run_cli, serve_routes

SOURCE_PACKAGES = ("archive", "crawler", "pipelines")


# --------------------------------------------------------------------------- serve


def test_serve_binds_localhost_and_is_immutable(tmp_path: Path, monkeypatch: Any) -> None:
    from archive.index import open_index

    open_index(tmp_path / "index.db").close()
    seen: list[list[str]] = []

    def fake_exec(path: str, argv: list[str]) -> None:
        seen.append(argv)

    monkeypatch.setattr(cli_module.os, "execv", fake_exec)
    result = CliRunner().invoke(cli, ["--archive", str(tmp_path), "serve"])
    assert result.exit_code == 0, result.output
    (argv,) = seen
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert "--immutable" in argv
    assert str((tmp_path / "index.db").resolve()) == argv[argv.index("--immutable") + 1]
    assert "warning" not in result.output  # no "reachable from other machines" by default


def test_serve_warns_when_asked_to_listen_beyond_localhost(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from archive.index import open_index

    open_index(tmp_path / "index.db").close()
    monkeypatch.setattr(cli_module.os, "execv", lambda path, argv: None)
    result = CliRunner().invoke(cli, ["--archive", str(tmp_path), "serve", "--host", "0.0.0.0"])  # noqa: S104
    assert "reachable from other machines, without authentication" in result.output


# --------------------------------------------------------------------------- Scrapy servers


def test_remote_control_and_telnet_are_off_in_the_project_settings(tmp_path: Path) -> None:
    settings = project_settings(tmp_path)
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert not settings.get("JOBDIR")  # disk queues pickle requests
    serializer = str(settings.get("SCHEDULER_SERIALIZER") or "")
    assert "pickle" not in serializer  # scrapy-redis' default is picklecompat


def test_a_real_run_starts_no_remote_control_or_telnet_server(tmp_path: Path) -> None:
    page = b"<html><head><title>t</title></head><body><p>x</p></body></html>"
    with serve_routes({"/a.html": (200, "text/html; charset=utf-8", page)}) as base:
        result = run_cli(tmp_path, "--log-level", "INFO", "fetch", "--stdout", f"{base}/a.html")
    log = result.stderr
    assert "Scrapy" in log and "Enabled extensions" in log  # the INFO log is there to be read
    assert "RemoteControl" not in log and "TelnetConsole" not in log
    assert "listening" not in log.lower()


# --------------------------------------------------------------------------- no code from data


def _calls(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                found.append((func.id, node))
            elif isinstance(func, ast.Attribute):
                base = func.value.id if isinstance(func.value, ast.Name) else "?"
                found.append((f"{base}.{func.attr}", node))
    return found


SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "HexoLoader"}
"""``HexoLoader`` subclasses ``yaml.SafeLoader`` (checked below)."""


def _problems(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    rel = path.relative_to(root)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            for name in names:
                if name.split(".")[0] in {"pickle", "cPickle", "marshal", "shelve", "dill"}:
                    problems.append(f"{rel}:{node.lineno}: imports {name}")
    for name, call in _calls(tree):
        where = f"{rel}:{call.lineno}"
        if name in {"eval", "exec", "compile"}:
            problems.append(f"{where}: {name}()")
        if name in {"os.system", "os.popen", "yaml.unsafe_load", "yaml.full_load"}:
            problems.append(f"{where}: {name}()")
        for keyword in call.keywords:
            if keyword.arg == "shell" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                problems.append(f"{where}: {name}(shell=…)")
        if name in {"yaml.load", "yaml.load_all"}:
            loader = next((k.value for k in call.keywords if k.arg == "Loader"), None)
            if len(call.args) > 1:
                loader = call.args[1]
            label = ast.unparse(loader) if loader is not None else ""
            if label.split(".")[-1] not in SAFE_YAML_LOADERS:
                problems.append(f"{where}: {name}(Loader={label or 'default'})")
    return problems


def test_no_shell_eval_or_pickle_in_the_code_that_handles_scraped_data() -> None:
    import yaml

    from archive.hexo import HexoLoader

    assert issubclass(HexoLoader, yaml.SafeLoader)
    files = [p for pkg in SOURCE_PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    assert len(files) > 30
    problems = [problem for path in files for problem in _problems(path)]
    assert problems == []


def test_the_scan_finds_what_it_forbids(tmp_path: Path) -> None:
    """The scan above can fail: each forbidden construct is reported."""
    bad = tmp_path / "probe.py"
    bad.write_text(
        "import pickle\nimport subprocess\nimport yaml\n"
        "eval('1')\nexec('x = 1')\nsubprocess.run('ls', shell=True)\n"
        "yaml.load('a: 1', Loader=yaml.Loader)\nyaml.load('a: 1')\nos.system('ls')\n",
        encoding="utf-8",
    )
    found = _problems(bad, tmp_path)
    assert len(found) == 7, found


def test_no_deploy_file_enables_pickling_queues() -> None:
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "deploy").rglob("*") if p.is_file()]
    texts.append((ROOT / "crawler" / "settings.py").read_text(encoding="utf-8"))
    assert texts
    for text in texts:
        assert "JOBDIR" not in text
        assert "picklecompat" not in text


# --------------------------------------------------------------------------- fetch


HOSTILE_PAGE = (
    "<html><head><title>../../../../etc/passwd</title>"
    '<meta property="og:title" content="../../../../etc/passwd"></head><body><article>'
    "<h1>../../../../etc/passwd</h1>"
    + "<p>储能电站安全规范发布，本段文字足够长以便通用提取器识别正文内容。</p>" * 8
    + "</article></body></html>"
).encode()


def test_fetch_keeps_a_traversal_title_inside_posts(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with serve_routes({"/a.html": (200, "text/html; charset=utf-8", HOSTILE_PAGE)}) as base:
        result = run_cli(archive, "fetch", f"{base}/a.html")
    assert result.returncode == 0, result.stderr
    written = Path(result.stdout.strip())
    assert written.resolve().is_relative_to((archive / "posts").resolve())
    assert "passwd" in written.name and written.parent.parent.parent == archive / "posts"
    outside = [p for p in tmp_path.rglob("*.md") if not p.is_relative_to(archive / "posts")]
    assert outside == []


def test_fetch_refuses_to_write_through_a_link_out_of_posts(tmp_path: Path) -> None:
    archive, elsewhere = tmp_path / "archive", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (archive / "posts").mkdir(parents=True)
    (archive / "posts" / "generic").symlink_to(elsewhere, target_is_directory=True)
    with serve_routes({"/a.html": (200, "text/html; charset=utf-8", HOSTILE_PAGE)}) as base:
        result = run_cli(archive, "fetch", f"{base}/a.html")
    assert result.returncode == 1
    assert list(elsewhere.rglob("*")) == []
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "leaves" in errors[0], result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://",
        "//example.com/a",
        "data:text/html,<p>x</p>",
    ],
)
def test_fetch_accepts_only_absolute_http_urls(tmp_path: Path, url: str) -> None:
    result = CliRunner().invoke(cli, ["--archive", str(tmp_path), "fetch", url])
    assert result.exit_code != 0
    assert "not an absolute http(s) URL" in result.output
    assert result.output.strip().count("\n") == 0, result.output  # one line
    assert not (tmp_path / "posts").exists()


# --------------------------------------------------------------------------- bad CLI input


def _one_line_error(result: Any) -> str:
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    text = result.output.strip()
    assert "Traceback" not in text
    assert text.count("\n") == 0, text
    return text


def test_stats_of_a_missing_archive_is_a_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    text = _one_line_error(CliRunner().invoke(cli, ["--archive", str(missing), "stats"]))
    assert "no index at" in text
    assert not missing.exists()  # looking did not create it


def test_import_of_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--archive", str(tmp_path), "import", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_import_of_an_unreadable_file_is_a_one_line_failure(
    tmp_path: Path, monkeypatch: Any
) -> None:
    post = tmp_path / "src" / "a.md"
    post.parent.mkdir()
    post.write_text("---\ntitle: x\n---\nbody\n", encoding="utf-8")
    if os.geteuid() == 0:  # root reads a chmod-0 file: make the read fail as it would for a user
        real = Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self == post:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    post.chmod(0)
    try:
        result = CliRunner().invoke(cli, ["--archive", str(tmp_path / "a"), "import", str(post)])
    finally:
        post.chmod(0o644)
    assert result.exit_code == 1
    assert "Permission denied" in result.output
    assert "Traceback" not in result.output


def test_import_of_a_binary_file_is_a_one_line_failure(tmp_path: Path) -> None:
    post = tmp_path / "a.md"
    post.write_bytes(b"\xff\xfe\x00garbage\x00" * 10)
    result = CliRunner().invoke(cli, ["--archive", str(tmp_path / "a"), "import", str(post)])
    assert result.exit_code == 1
    assert "utf-8" in result.output.lower()
    assert "Traceback" not in result.output


def test_archive_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--archive", str(target), "verify"])
    assert result.exit_code == 2
    assert "is a file" in result.output
