"""The crawl's writer child process (``ARCHIVE_WRITE_PROCESS``, ``archive/write_process.py``).

Real crawls over real HTTP on the demo portal: the child (the default for ``crawl``) writes
the same archive as the in-process writer, with the same counts, failure rows and run row; a
killed child fails the run with a clear error and loses nothing (the next run completes the
archive); a killed crawl takes its child with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from archive.frontmatter_files import ExportOptions
from archive.items import ArticleItem
from archive.store import Archive
from archive.write_process import Preparation, RunState, WriterConfig, write_items
from demo_portal import DemoPortal
from tests.conftest import FAST_SETTINGS, run_cli

VOLATILE = ("fetched_at", "first_seen")
NO_IMAGES = (*FAST_SETTINGS, "ARCHIVE_IMAGES_DOWNLOAD=False")


def _tree(archive: Path) -> dict[str, bytes]:
    """Every post and sidecar (sidecars without their run timestamps)."""
    files: dict[str, bytes] = {}
    for path in sorted((archive / "posts").rglob("*")):
        if path.is_dir():
            continue
        data = path.read_bytes()
        if path.suffix == ".json":
            side = json.loads(data)
            for key in VOLATILE:
                side.pop(key)
            data = json.dumps(side, sort_keys=True).encode()
        files[path.relative_to(archive).as_posix()] = data
    return files


def _runs(archive: Path) -> list[dict[str, Any]]:
    db = Database(archive / "index.db")
    keys = ("status", "discovered", "new", "updated", "unchanged", "failed", "error_summary")
    return [{k: r[k] for k in keys} for r in db["crawl_runs"].rows_where(order_by="id")]


def _failures(archive: Path) -> list[tuple[str, str, int]]:
    db = Database(archive / "index.db")
    return sorted((r["url"], r["reason"], r["attempts"]) for r in db["failures"].rows)


def _stats(stderr: str) -> dict[str, str]:
    """``'archive/…': N`` lines of Scrapy's stats dump."""
    out = {}
    for line in stderr.splitlines():
        line = line.strip(" {},")
        if line.startswith("'archive/") and "writer_process" not in line:
            key, _, value = line.partition(": ")
            out[key.strip("'")] = value
    return out


def test_child_writes_what_the_in_process_writer_writes(demo_portal: Any, tmp_path: Path) -> None:
    """The demo portal's whole mix (GBK pages, a lying charset, legacy layout, furniture, a 404,
    a page without a title, proxied images in the feed): same files, rows, failures, counts."""
    crawl = ("crawl", "ofweek", "--base-url", demo_portal.base_url)
    info = (*NO_IMAGES, "LOG_LEVEL=INFO")
    child = run_cli(tmp_path / "child", *crawl, settings=info)
    inline = run_cli(tmp_path / "inline", *crawl, settings=(*info, "ARCHIVE_WRITE_PROCESS=False"))
    assert child.returncode == inline.returncode == 0, child.stderr[-3000:]
    assert "archive/writer_process/cpu_seconds" in child.stderr  # it did run in a child
    assert "archive/writer_process" not in inline.stderr
    assert (
        "pipelines.normalize.NormalizeContentPipeline" not in child.stderr.split("Enabled item")[1]
    )
    tree = _tree(tmp_path / "child")
    assert tree == _tree(tmp_path / "inline")
    assert sum(p.endswith(".md") for p in tree) >= 5
    assert _runs(tmp_path / "child") == _runs(tmp_path / "inline")
    assert _failures(tmp_path / "child") == _failures(tmp_path / "inline")
    assert {r[1] for r in _failures(tmp_path / "child")} == {"http_404", "no_title"}
    assert _stats(child.stderr) == _stats(inline.stderr)
    assert "Dropped: missing title" in child.stderr  # the validate pipeline's own words
    again = run_cli(tmp_path / "child", *crawl, settings=NO_IMAGES)
    assert again.returncode == 0, again.stderr
    assert _tree(tmp_path / "child") == tree
    assert _runs(tmp_path / "child")[-1]["new"] == 0


def test_child_with_image_downloads_only_writes(demo_portal: Any, tmp_path: Path) -> None:
    """Images on: the pipelines run in the crawl (the images need normalized items), the child
    renders and writes; the archive is the in-process writer's."""
    crawl = ("crawl", "ofweek", "--base-url", demo_portal.base_url)
    child = run_cli(tmp_path / "child", *crawl, settings=(*FAST_SETTINGS, "LOG_LEVEL=INFO"))
    inline = run_cli(
        tmp_path / "inline", *crawl, settings=(*FAST_SETTINGS, "ARCHIVE_WRITE_PROCESS=False")
    )
    assert child.returncode == inline.returncode == 0, child.stderr[-3000:]
    assert "archive/writer_process/cpu_seconds" in child.stderr
    assert _tree(tmp_path / "child") == _tree(tmp_path / "inline")
    assert sorted(p.name for p in (tmp_path / "child" / "assets").iterdir()) == sorted(
        p.name for p in (tmp_path / "inline" / "assets").iterdir()
    )
    assert _runs(tmp_path / "child") == _runs(tmp_path / "inline")


# --------------------------------------------------------------------------- kills


@pytest.fixture
def slow_portal() -> Iterator[DemoPortal]:
    with DemoPortal(port=0, generated=300, listing_page_size=50) as portal:
        yield portal


def _crawl_argv(archive: Path, portal: DemoPortal) -> list[str]:
    argv = [sys.executable, "-m", "portal_archive", "--archive", str(archive)]
    # one request at a time, a little apart: the crawl is still running when the kill comes
    settings = (*NO_IMAGES, "CONCURRENT_REQUESTS=2", "DOWNLOAD_DELAY=0.02", "ARCHIVE_WRITE_BATCH=5")
    for setting in settings:
        argv += ["--set", setting]
    return [
        *argv,
        "crawl",
        "ofweek",
        "--base-url",
        portal.base_url,
        "--max-pages",
        "100",
        "--listing-url",
        portal.generated_listing_url,
    ]


def _children(pid: int) -> list[int]:
    """The writer processes (``python -c "from archive.write_process import main…"``, or
    ``crawler.page_reader`` when it reads the pages too) of ``pid`` (Linux ``/proc``)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with open(task / "children", encoding="ascii") as handle:  # noqa: PTH123
            for child in handle.read().split():
                try:
                    cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
                except FileNotFoundError:
                    continue
                if b"archive.write_process" in cmdline or b"crawler.page_reader" in cmdline:
                    found.append(int(child))
    return found


def _wait_for(predicate: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:  # noqa: PTH123
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie is gone too
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_killed_writer_process_fails_the_run_and_loses_nothing(
    slow_portal: DemoPortal, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    log = tmp_path / "killed.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            _crawl_argv(archive, slow_portal), stdout=subprocess.DEVNULL, stderr=err
        )
        _wait_for(lambda: _children(proc.pid), "the writer process")
        (writer,) = _children(proc.pid)
        _wait_for(lambda: len(list((archive / "posts").rglob("*.md"))) >= 10, "some posts")
        os.kill(writer, signal.SIGKILL)
        code = proc.wait(timeout=120)
    text = log.read_text(encoding="utf-8")
    assert code == 1, text[-3000:]
    assert "Writer process failed: the writer process was killed by SIGKILL" in text
    assert "crawl did not finish (writer_failed)" in text
    written = list((archive / "posts").rglob("*.md"))
    assert 0 < len(written) < 300, "the kill came too late"
    (run,) = _runs(archive)
    assert run["status"] == "failed"
    assert run["new"] == Database(archive / "index.db")["articles"].count  # counts exact

    again = run_cli(archive, *_crawl_argv(archive, slow_portal)[5:], settings=NO_IMAGES)
    assert again.returncode == 0, again.stderr[-3000:]
    db = Database(archive / "index.db")
    assert len(list((archive / "posts").rglob("*.md"))) == db["articles"].count == 300
    assert len({r["canonical_url"] for r in db["articles"].rows}) == 300
    assert not list((archive / ".tmp").glob("*"))
    verify = run_cli(archive, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_killed_crawl_ends_its_writer_process(slow_portal: DemoPortal, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    proc = subprocess.Popen(
        _crawl_argv(archive, slow_portal), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_for(lambda: _children(proc.pid), "the writer process")
    (writer,) = _children(proc.pid)
    _wait_for(lambda: len(list((archive / "posts").rglob("*.md"))) >= 10, "some posts")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    _wait_for(lambda: _gone(writer), "the writer process to end", timeout=10)
    again = run_cli(archive, *_crawl_argv(archive, slow_portal)[5:], settings=NO_IMAGES)
    assert again.returncode == 0, again.stderr[-3000:]
    db = Database(archive / "index.db")
    assert len(list((archive / "posts").rglob("*.md"))) == db["articles"].count == 300
    assert [r["status"] for r in db["crawl_runs"].rows_where(order_by="id")] == [
        "running",  # the killed run never finished
        "finished",
    ]


# --------------------------------------------------------------------------- one batch


def _item(n: int, *, title: str = "标题", url: str = "") -> ArticleItem:
    url = url or f"https://www.ofweek.com/2024-03/ART-8100-2801-{n}.html"
    return ArticleItem(
        url=url,
        portal="ofweek",
        canonical_url=url,
        title_raw=title,
        published_raw="2024-03-05 10:20",
        body_raw=f"<p>第{n}篇正文。</p><script>x()</script>",
        parser="ofweek.V2",
        author="OFweek",
        categories=["新闻"],
    )


def _writer_config(tmp_path: Path, reader: Any = None) -> WriterConfig:
    """The writer child's config for an archive at ``tmp_path`` (``reader``: pages read too)."""
    return WriterConfig(
        root=str(tmp_path),
        options=ExportOptions(),
        run_id=None,
        touch=True,
        preparation=Preparation("Asia/Shanghai", ()),
        parent=os.getpid(),
        reader=reader,
    )


def test_write_items_prepares_drops_and_writes(tmp_path: Path) -> None:
    config = _writer_config(tmp_path)
    state = RunState()
    batch = [_item(1), _item(2, title="  "), _item(1), _item(3)]
    with Archive(tmp_path) as archive:
        result = write_items(archive, batch, [], config, state)
        statuses = [o.status for o in result.outcomes]
        assert statuses == ["new", "dropped", "dropped", "new"]
        assert result.outcomes[1].message.startswith("missing title: ")
        assert dict(result.outcomes[1].counts) == {"archive/dropped/missing_title": 1}
        assert result.outcomes[2].message == f"duplicate of {batch[0].canonical_url}"
        assert "<script>" not in (tmp_path / result.outcomes[0].path).read_text(encoding="utf-8")
        # a later batch of the same run: a duplicate still; the row is written once
        again = write_items(archive, [_item(3)], [], config, state)
        assert [o.status for o in again.outcomes] == ["dropped"]
        assert archive.db["articles"].count == 2
