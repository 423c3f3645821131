"""Tests for archive.maintenance: reindex from files alone, verify, stats."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archive import maintenance
from archive.errors import IndexInUseError, NoIndexError
from archive.frontmatter_files import ExportOptions
from archive.items import ArticleItem, ImageRef
from archive.maintenance import TEMP_INDEX, reindex, stats, verify
from archive.store import Archive, sidecar_path
from portal_archive.cli import cli
from tests.conftest import run_cli

TABLES = ("articles", "images", "article_categories", "crawl_runs", "failures", "revisions")
PKS = {
    "articles": ("id",),
    "images": ("article_id", "position"),
    "article_categories": ("article_id", "position"),
    "crawl_runs": ("id",),
    "failures": ("url",),
    "revisions": ("id",),
}


def rows(index_db: Path, *, without: tuple[str, ...] = ()) -> dict[str, list[dict[str, Any]]]:
    """Every row of TABLES, sorted by primary key, minus the ``without`` columns."""
    with closing(Database(index_db)) as db:
        return {
            table: sorted(
                ({k: v for k, v in row.items() if k not in without} for row in db[table].rows),
                key=lambda row, t=table: tuple(str(row[c]) for c in PKS[t]),  # type: ignore[misc]
            )
            for table in TABLES
        }


def rows_without(tables: dict[str, list[dict[str, Any]]], column: str) -> dict[str, Any]:
    return {
        t: [{k: v for k, v in r.items() if k != column} for r in rs] for t, rs in tables.items()
    }


# --------------------------------------------------------------------------- reindex after a crawl


@pytest.fixture(scope="module", params=["origin", "proxy", "local"])
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from demo_portal import DemoPortal

    root = tmp_path_factory.mktemp(f"crawl-{request.param}")
    with DemoPortal(port=0) as portal:
        result = run_cli(
            root, "crawl", "ofweek", "--base-url", portal.base_url, "--image-mode", request.param
        )
    assert result.returncode == 0, result.stderr
    return root


def _mode_is_visible(root: Path, mode: str) -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in (root / "posts").rglob("*.md"))
    markers = {
        "origin": "http://",
        "proxy": "cors.zfour.workers.dev/?http",
        "local": "/assets/",
    }
    assert markers[mode] in text, f"the crawl wrote no {mode} image URL; the test would be vacuous"


def test_reindex_gives_the_rows_the_crawl_built(crawled: Path) -> None:
    mode = crawled.name.split("-")[1].rstrip("0123456789")
    _mode_is_visible(crawled, mode)
    before = rows(crawled / "index.db")
    assert before["articles"] and before["images"] and before["crawl_runs"]
    result = run_cli(crawled, "reindex")
    assert result.returncode == 0, result.stderr
    assert f"reindexed {len(before['articles'])} articles" in result.stderr
    after = rows(crawled / "index.db")
    for table in TABLES:
        assert after[table] == before[table], table
    assert not (crawled / TEMP_INDEX).exists()
    assert run_cli(crawled, "verify").returncode == 0


def test_reindex_from_files_alone(crawled: Path, tmp_path: Path) -> None:
    """No old index: the same rows except ``last_seen`` (operational), no run history."""
    before = rows(crawled / "index.db", without=("last_seen",))
    copy = tmp_path / "copy"
    (copy / "posts").mkdir(parents=True)
    for path in (crawled / "posts").rglob("*"):
        if path.is_file():
            target = copy / "posts" / path.relative_to(crawled / "posts")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    report = reindex(copy)
    assert report.skipped == []
    assert report.carried_over == {}
    after = rows(copy / "index.db", without=("last_seen",))
    for table in ("articles", "images", "article_categories"):
        assert after[table] == before[table], table
    assert after["crawl_runs"] == after["failures"] == []
    with closing(Database(copy / "index.db")) as db:
        first_title = before["articles"][0]["title"]
        assert [r["title"] for r in db.table("articles").search(first_title[:4])]  # FTS too
        assert {r["last_seen"] == r["first_seen"] for r in db["articles"].rows} == {True}


# --------------------------------------------------------------------------- a small archive


def article(n: int, *, body: str = "正文内容。", images: int = 1) -> ArticleItem:
    url = f"http://portal.test/2022-08/ART-{n}.html"
    return ArticleItem(
        url=url,
        canonical_url=url,
        portal="ofweek" if n % 2 else "36kr",
        title=f"标题{n}",
        author="高科技行业门户",
        categories=["新媒体", "高科技行业门户" if n % 2 else "36kr", "新闻"],
        published=datetime(2022, 7 + n % 2, 10 + n, 8, 9, tzinfo=UTC),
        body_html=f"<p>{body}</p>"
        + "".join(f'<img src="http://img.test/{n}-{i}.jpg" alt="">' for i in range(images)),
        body_text=body,
        images=[
            ImageRef(url=f"http://img.test/{n}-{i}.jpg", status="pending") for i in range(images)
        ],
    )


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Path]:
    with Archive(tmp_path, ExportOptions(fsync=False, image_mode="proxy")) as archive:
        for n in range(1, 5):
            archive.save(article(n, images=n % 3))
        archive.db.table("crawl_runs").insert(
            {
                "portal": "ofweek",
                "command": "crawl",
                "status": "finished",
                "started": "2024-01-01T00:00:00+00:00",
                "new": 4,
            }
        )
    yield tmp_path


def test_reindex_proxy_mode_bodies_are_the_originals(small: Path) -> None:
    before = rows(small / "index.db")
    report = reindex(small)
    assert (report.articles, report.images) == (4, 4)
    assert report.carried_over == {"crawl_runs": 1, "failures": 0, "revisions": 0, "image_urls": 0}
    assert rows(small / "index.db") == before
    assert all("cors.zfour" not in r["body"] for r in before["articles"])


def test_reindex_crash_leaves_the_old_index(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = rows(small / "index.db")
    calls = []

    def explode(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return original(*args, **kwargs)

    original = maintenance.indexed_post
    monkeypatch.setattr(maintenance, "indexed_post", explode)
    with pytest.raises(RuntimeError, match="killed"):
        reindex(small)
    assert rows(small / "index.db") == before
    assert not list(small.glob(TEMP_INDEX + "*"))


def test_reindex_refuses_an_index_in_use(small: Path) -> None:
    with closing(sqlite3.connect(small / "index.db")) as other:
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("select count(*) from articles").fetchone()
        with pytest.raises(IndexInUseError):
            reindex(small)
        assert other.execute("select count(*) from articles").fetchone() == (4,)
    assert not list(small.glob(TEMP_INDEX + "*"))


def test_reindex_reports_posts_it_cannot_index(small: Path) -> None:
    post = next((small / "posts").rglob("*.md"))
    sidecar_path(post).unlink()
    result = CliRunner().invoke(cli, ["--archive", str(small), "reindex"])
    assert result.exit_code == 1
    assert f"skipped: sidecar-missing: {post.relative_to(small / 'posts').as_posix()}" in (
        result.output
    )
    assert "reindexed 3 articles" in result.output


def test_reindex_of_imported_posts_keeps_provenance(tmp_path: Path) -> None:
    from archive.importer import import_paths
    from tests.test_importer import PROXIED_BODY, legacy

    source = tmp_path / "src" / "新媒体" / "高科技行业门户" / "新闻" / "x.md"
    source.parent.mkdir(parents=True)
    head = "https://cors.zfour.workers.dev/?http://img.example.com/upload/2024/01/a.jpg"
    source.write_text(legacy(body=PROXIED_BODY, head=head), encoding="utf-8")
    root = tmp_path / "archive"
    with Archive(root, ExportOptions(fsync=False)) as archive:
        (result,) = import_paths(archive, [tmp_path / "src"])
    assert result.identical
    before = rows(root / "index.db")
    assert before["articles"][0]["origin"] == "import"
    reindex(root)
    assert rows(root / "index.db") == before
    for name in ("index.db", "index.db-wal", "index.db-shm"):
        (root / name).unlink(missing_ok=True)
    reindex(root)  # from the files alone
    assert rows(root / "index.db", without=("last_seen",)) == rows_without(before, "last_seen")


# --------------------------------------------------------------------------- verify


def test_verify_clean_archive(small: Path) -> None:
    report = verify(small)
    assert (report.files, report.rows, report.problems) == (4, 4, [])
    result = CliRunner().invoke(cli, ["--archive", str(small), "verify"])
    assert result.exit_code == 0
    assert "4 files, 4 index rows: OK" in result.output


def test_verify_reports_every_problem(
    small: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    posts = small / "posts"
    files = sorted(posts.rglob("*.md"))
    rel = [f.relative_to(posts).as_posix() for f in files]
    files[0].unlink()  # row without file
    files[1].write_text(files[1].read_text(encoding="utf-8") + "edited", encoding="utf-8")
    sidecar_path(files[2]).write_text("{not json", encoding="utf-8")
    stray = posts / "ofweek" / "stray.md"
    stray.write_text("\n---\ntitle: x\n---\n\n<div>x</div>", encoding="utf-8")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.md").write_text("x", encoding="utf-8")
    (posts / "ofweek" / "link.md").symlink_to(outside / "secret.md")
    (posts / "linkdir").symlink_to(outside, target_is_directory=True)
    with closing(Database(small / "index.db")) as db:
        db.execute("update articles set path = '../../etc/passwd.md' where path = ?", [rel[3]])
        db.conn.commit()
    expected = {
        f"row-without-file: {rel[0]}",
        f"hash-mismatch: {rel[1]}",
        f"sidecar-invalid: {rel[2]}",
        "file-without-row: ofweek/stray.md",
        "sidecar-missing: ofweek/stray.md",
        "outside-posts: ofweek/link.md",
        "outside-posts: linkdir",
        "outside-posts: ../../etc/passwd.md",
        f"file-without-row: {rel[3]}",
    }
    report = verify(small)
    found = {str(p).split(" (")[0] for p in report.problems}
    assert found == expected
    result = CliRunner().invoke(cli, ["--archive", str(small), "verify"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": " in line and "rows" not in line]
    assert {line.split(" (")[0] for line in lines} == expected
    assert f"{len(expected)} problem(s)" in result.output


def test_verify_without_index_lists_every_file(small: Path) -> None:
    for name in ("index.db", "index.db-wal", "index.db-shm"):
        (small / name).unlink(missing_ok=True)
    report = verify(small)
    assert [p.kind for p in report.problems] == ["file-without-row"] * 4
    assert not (small / "index.db").exists()  # verify never creates an index


# --------------------------------------------------------------------------- stats


def test_stats_counts(small: Path) -> None:
    report = stats(small)
    assert report.articles == 4
    assert report.by_portal == [("36kr", 2), ("ofweek", 2)]
    assert report.by_origin == [("crawl", 4)]
    assert report.by_category == [
        ("新媒体 / 36kr / 新闻", 2),
        ("新媒体 / 高科技行业门户 / 新闻", 2),
    ]
    assert report.by_month == [("2022-07", 2), ("2022-08", 2)]
    assert [r["portal"] for r in report.runs] == ["ofweek"]


def test_stats_cli_prints_tables(small: Path) -> None:
    result = CliRunner().invoke(cli, ["--archive", str(small), "stats", "--runs", "3"])
    assert result.exit_code == 0, result.output
    for text in (
        "4 articles",
        "per portal",
        "per category",
        "per month",
        "2022-08",
        "last 3 crawl runs",
        "finished",
        "新媒体 / 36kr / 新闻",
    ):
        assert text in result.output


def test_stats_without_index_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(NoIndexError):
        stats(tmp_path)
    result = CliRunner().invoke(cli, ["--archive", str(tmp_path), "stats"])
    assert result.exit_code == 1
    assert "no index at" in result.output


def test_last_seen_is_carried_over(small: Path) -> None:
    with closing(Database(small / "index.db")) as db:
        db.execute("update articles set last_seen = '2030-01-01T00:00:00+00:00'")
        db.conn.commit()
    reindex(small)
    with closing(Database(small / "index.db")) as db:
        assert {r["last_seen"] for r in db["articles"].rows} == {"2030-01-01T00:00:00+00:00"}


def test_writing_commands_respect_the_archive_lock(small: Path) -> None:
    from archive.lock import EXIT_LOCKED, ArchiveLock

    with ArchiveLock(small):
        for args in (["reindex"], ["import", str(small / "posts")]):
            result = CliRunner().invoke(cli, ["--archive", str(small), *args])
            assert result.exit_code == EXIT_LOCKED, result.output
            assert "locked" in result.output
    assert CliRunner().invoke(cli, ["--archive", str(small), "verify"]).exit_code == 0
