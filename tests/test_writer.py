"""The batched writer (``archive/writer.py``): render, then one commit per batch.

Idempotency (a batch applied twice changes nothing), a batch mixing new, updated and unchanged
articles, duplicates inside a batch, failures in bulk, a kill at every crash point of a batch
(the batch applied again afterwards equals an uninterrupted one), and exact run counts of a
crawl whose writer flushes every few items.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from archive.crashpoints import ENV as CRASHPOINT_ENV
from archive.crashpoints import POINTS
from archive.frontmatter_files import TMP_DIR, ExportOptions, article_id
from archive.items import ArticleItem, FetchFailure, ImageRef
from archive.store import Archive
from archive.writer import Entry, render_entry
from demo_portal import DemoPortal
from tests.conftest import run_cli

OPTIONS = ExportOptions(fsync=True)


def article(n: int, *, body: str = "正文内容。") -> ArticleItem:
    url = f"http://portal.test/2022-08/ART-{n}.html"
    return ArticleItem(
        url=url,
        canonical_url=url,
        portal="ofweek",
        title=f"标题{n}",
        author="高科技行业门户",
        categories=["新媒体", "高科技行业门户", "新闻"],
        published=datetime(2022, 8, 1 + n, 8, 9, tzinfo=UTC),
        body_html=f'<p>{body}{n}</p><img src="http://img.test/{n}.jpg" alt="">',
        body_text=f"{body}{n}",
        images=[ImageRef(url=f"http://img.test/{n}.jpg", status="pending")],
    )


def _files(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below posts/: bytes and modification time (a rewrite renames a new file)."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted((root / "posts").rglob("*"))
        if p.is_file()
    }


def _table(root: Path, table: str) -> list[dict[str, object]]:
    db = Database(root / "index.db")
    try:
        return list(db[table].rows)
    finally:
        db.close()


def test_render_entry_is_pure_and_matches_what_save_writes(tmp_path: Path) -> None:
    item = article(1)
    rendered = render_entry(Entry(item), None, OPTIONS, "2024-01-01T00:00:00+00:00")
    assert not (tmp_path / "posts").exists()
    assert rendered.relpath.startswith("ofweek/2022-08/标题1_")
    assert rendered.row["first_seen"] == "2024-01-01T00:00:00+00:00"
    assert not rendered.matches_stored and not rendered.changed
    with Archive(tmp_path, OPTIONS) as archive:
        (result,) = archive.save_batch([item])
    assert result.status == "new"
    assert result.path.read_text(encoding="utf-8") == rendered.text
    side = json.loads(result.path.with_name(f".{result.path.stem}.json").read_text("utf-8"))
    assert side["id"] == rendered.article_id == article_id(item.canonical_url)


def test_a_batch_applied_twice_changes_nothing(tmp_path: Path) -> None:
    batch = [article(n) for n in range(6)]
    with Archive(tmp_path, OPTIONS) as archive:
        first = archive.save_batch(batch)
        files = _files(tmp_path)
        rows = _table(tmp_path, "articles")
        second = archive.save_batch(batch)
    assert [r.status for r in first] == ["new"] * 6
    assert [r.status for r in second] == ["unchanged"] * 6
    assert [r.path for r in first] == [r.path for r in second]
    assert _files(tmp_path) == files  # not one file rewritten
    assert len(files) == 12  # six posts, six sidecars
    after = _table(tmp_path, "articles")
    strip = [{k: v for k, v in r.items() if k != "last_seen"} for r in after]
    assert strip == [{k: v for k, v in r.items() if k != "last_seen"} for r in rows]
    assert _table(tmp_path, "revisions") == []
    assert len(_table(tmp_path, "images")) == 6
    assert list((tmp_path / TMP_DIR).iterdir()) == []


def test_a_batch_of_new_updated_and_unchanged_articles(tmp_path: Path) -> None:
    with Archive(tmp_path, OPTIONS) as archive:
        archive.save_batch([article(1), article(2), article(3)])
        old_text = archive.save_batch([article(1)])[0].path.read_text(encoding="utf-8")
        results = archive.save_batch([article(1, body="改写后的正文"), article(2), article(4)])
        # the updated article's new file replaced the old one in place (same title, same path)
        assert results[0].path.read_text(encoding="utf-8") != old_text
        assert "改写后的正文1" in results[0].path.read_text(encoding="utf-8")
    assert [r.status for r in results] == ["updated", "unchanged", "new"]
    revisions = _table(tmp_path, "revisions")
    assert [r["article_id"] for r in revisions] == [results[0].article_id]
    assert revisions[0]["old_text"] == old_text
    assert json.loads(str(revisions[0]["changed_fields"])) == ["body"]
    assert {r["id"] for r in _table(tmp_path, "articles")} == {
        article_id(article(n).canonical_url) for n in (1, 2, 3, 4)
    }
    hits = Database(tmp_path / "index.db")
    try:
        found = [r["id"] for r in hits["articles"].search("改写后的正文")]  # FTS follows
    finally:
        hits.close()
    assert found == [results[0].article_id]


def test_duplicates_in_a_batch_last_content_wins_first_reports(tmp_path: Path) -> None:
    early, late = article(1), article(1, body="后到的版本")
    with Archive(tmp_path, OPTIONS) as archive:
        results = archive.save_batch([early, article(2), late])
        again = archive.save_batch([early, article(2), late])
    assert [r.status for r in results] == ["new", "new", "unchanged"]
    assert results[0].path == results[2].path
    assert "后到的版本1" in results[0].path.read_text(encoding="utf-8")
    assert [r.status for r in again] == ["unchanged"] * 3  # idempotent with duplicates too
    assert _table(tmp_path, "revisions") == []
    assert len(_table(tmp_path, "articles")) == 2


def test_save_is_a_batch_of_one_and_imported_from_is_per_article(tmp_path: Path) -> None:
    with Archive(tmp_path, OPTIONS) as archive:
        assert archive.save(article(1)).status == "new"
        assert archive.save(article(1)).status == "unchanged"
        results = archive.save_batch(
            [article(2), article(3)], origin="import", imported_from=["/src/a.md", None]
        )
        assert [r.status for r in results] == ["new", "new"]
        with pytest.raises(ValueError, match="one entry per article"):
            archive.save_batch([article(4)], imported_from=[])
    rows = {r["url"]: r for r in _table(tmp_path, "articles")}
    assert rows[article(2).url]["imported_from"] == "/src/a.md"
    assert rows[article(3).url]["imported_from"] is None
    assert rows[article(3).url]["origin"] == "import"


def test_record_failures_counts_attempts_in_order(tmp_path: Path) -> None:
    one = FetchFailure(url="http://portal.test/a.html", portal="ofweek", reason="http_404")
    two = FetchFailure(url="http://portal.test/b.html", portal="ofweek", reason="timeout")
    with Archive(tmp_path, OPTIONS) as archive:
        assert archive.record_failures([one, two, one], run_id=7) == [1, 1, 2]
        assert archive.record_failures([two]) == [2]
        assert archive.record_failure(one) == 3
    rows = {r["url"]: r for r in _table(tmp_path, "failures")}
    assert rows[one.url]["attempts"] == 3 and rows[two.url]["attempts"] == 2
    assert rows[two.url]["first_failed"] is not None


# --------------------------------------------------------------------------- kills

_SCRIPT = """
import sys
from datetime import UTC, datetime
from archive.frontmatter_files import ExportOptions
from archive.items import ArticleItem, ImageRef
from archive.store import Archive

def article(n, body):
    url = f"http://portal.test/2022-08/ART-{n}.html"
    return ArticleItem(url=url, canonical_url=url, portal="ofweek", title=f"标题{n}",
        author="a", categories=["c"], published=datetime(2022, 8, 1 + n, tzinfo=UTC),
        body_html=f"<p>{body}{n}</p>", body_text=f"{body}{n}",
        images=[ImageRef(url=f"http://img.test/{n}.jpg", status="pending")])

root, stage = sys.argv[1], sys.argv[2]
with Archive(root, ExportOptions(fsync=True)) as archive:
    if stage == "base":
        archive.save_batch([article(n, "旧") for n in range(4)])
    else:  # 2 updated, 2 unchanged, 4 new: every kind of write in one batch
        archive.save_batch([article(n, "新" if n < 2 else "旧") for n in range(8)])
"""


def _run(root: Path, stage: str, crashpoint: str | None) -> int:
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"}
    env.pop(CRASHPOINT_ENV, None)
    if crashpoint:
        env[CRASHPOINT_ENV] = crashpoint
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(root), stage],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, -signal.SIGKILL), done.stderr
    return done.returncode


def _state(root: Path) -> tuple[dict[str, bytes], set[tuple[object, ...]], int]:
    files = {}
    for path in sorted((root / "posts").rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".json":
                side = json.loads(data)
                side.pop("fetched_at"), side.pop("first_seen")
                data = json.dumps(side, sort_keys=True).encode()
            files[path.relative_to(root).as_posix()] = data
    rows = {(r["id"], r["path"], r["content_hash"]) for r in _table(root, "articles")}
    return files, rows, len(_table(root, "revisions"))


@pytest.fixture(scope="module")
def kill_reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[object, ...]]:
    base = tmp_path_factory.mktemp("batch-base")
    assert _run(base, "base", None) == 0
    reference = tmp_path_factory.mktemp("batch-reference") / "archive"
    shutil.copytree(base, reference)
    assert _run(reference, "batch", None) == 0
    return base, _state(reference)


@pytest.mark.parametrize("point", POINTS)
def test_a_batch_killed_at_each_crash_point_then_applied_again(
    point: str, kill_reference: tuple[Path, tuple[object, ...]], tmp_path: Path
) -> None:
    base, reference = kill_reference
    root = tmp_path / "archive"
    shutil.copytree(base, root)
    # the 3rd pass: inside the batch for per-file points, the batch itself for batch points
    assert _run(root, "batch", f"{point}:3") == -signal.SIGKILL
    for post in (root / "posts").rglob("*"):  # nothing partial inside posts/
        assert post.is_dir() or post.suffix in (".md", ".json"), post
    assert _run(root, "batch", None) == 0
    assert list((root / TMP_DIR).iterdir()) == []
    assert _state(root) == reference  # files, rows and exactly two revisions


# --------------------------------------------------------------------------- crawl counts


def test_a_crawl_in_small_batches_records_exact_counts(tmp_path: Path) -> None:
    settings = (
        "AUTOTHROTTLE_ENABLED=False",
        "DOWNLOAD_DELAY=0",
        "ARCHIVE_FSYNC=False",
        "ARCHIVE_IMAGES_DOWNLOAD=False",
        "ARCHIVE_WRITE_BATCH=4",
        "ARCHIVE_WRITE_INTERVAL=0",
    )
    with DemoPortal(port=0, generated=22, listing_page_size=6) as portal:
        argv = ["crawl", "ofweek", "--base-url", portal.base_url]
        argv += ["--listing-url", portal.generated_listing_url, "--max-pages", "10"]
        done = run_cli(tmp_path, *argv, settings=settings)
        assert done.returncode == 0, done.stderr[-3000:]
        again = run_cli(tmp_path, *argv, "--refresh", settings=settings)
        assert again.returncode == 0, again.stderr[-3000:]
    runs = _table(tmp_path, "crawl_runs")
    articles = _table(tmp_path, "articles")
    assert len(articles) == 22
    assert [(r["new"], r["updated"], r["unchanged"]) for r in runs] == [(22, 0, 0), (0, 0, 22)]
    posts = list((tmp_path / "posts").rglob("*.md"))
    assert len(posts) == 22


def test_two_handles_write_one_index_one_after_the_other_never_locked(tmp_path: Path) -> None:
    """A crawl writes through two connections (its writer thread's and the image pipeline's).
    While one holds the write lock, a batch of the other that reads before it writes (failure
    attempts, revisions) waits for it instead of failing with "database is locked" (a deferred
    transaction's stale snapshot, which no busy timeout saves)."""
    import threading

    first = Archive(tmp_path)
    first.record_failures([FetchFailure("https://example.com/a", "ofweek", "http_404", "x")])
    errors: list[BaseException] = []
    started = threading.Event()

    def other() -> None:  # its own handle: SQLite connections stay in their thread
        second = Archive(tmp_path, remove_partial=False)
        started.set()
        try:
            second.record_failures(
                [FetchFailure("https://example.com/a", "ofweek", "http_404", "again")]
            )
            second.save_batch([article(1)])
        except BaseException as exc:
            errors.append(exc)
        finally:
            second.close()

    first.db.conn.execute("BEGIN IMMEDIATE")  # this handle holds the write lock …
    first.db.execute("update failures set detail = 'held' where url = ?", ["https://example.com/a"])
    thread = threading.Thread(target=other)
    thread.start()
    started.wait()
    thread.join(0.5)  # … while the other handle reads and waits to write (or is done)
    first.db.conn.execute("COMMIT")
    thread.join()
    assert errors == []
    row = first.db.execute("select attempts from failures").fetchone()
    assert row == (2,)
    assert first.db.execute("select count(*) from articles").fetchone() == (1,)
    first.close()
