"""End to end: a real Scrapy crawl over real HTTP of the demo portal, into files + index."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlite_utils import Database

from archive.hexo import legacy_title, parse_post
from archive.normalize import parse_published, rfc822
from tests.conftest import run_cli

FURNITURE = (
    "<script",
    "广告",
    "相关阅读",
    "评论",
    "pixel.gif",
    "onclick",
    "javascript:",
    "<iframe",
    "<!--",
    "loading.gif",
    "<form",
    "版权所有",
)


def _expected(portal: Any) -> list[Any]:
    return [a for a in portal.articles if a.title and (a.in_listing or a.in_feed)]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from demo_portal import DemoPortal

    archive = tmp_path_factory.mktemp("archive")
    with DemoPortal(port=0) as portal:
        first = run_cli(
            archive, "--log-level", "INFO", "crawl", "ofweek", "--base-url", portal.base_url
        )
        first_hits = Counter(portal.hits)
        files = sorted((archive / "posts").rglob("*.md"))
        mtimes = {f: f.stat().st_mtime_ns for f in files}
        rows_before = Database(archive / "index.db")["articles"].count
        second = run_cli(archive, "crawl", "ofweek", "--base-url", portal.base_url)
        yield {
            "portal": portal,
            "archive": archive,
            "first": first,
            "second": second,
            "hits": first_hits,
            "files": files,
            "mtimes": mtimes,
            "rows_before": rows_before,
        }


def test_crawl_succeeds_and_prints_a_summary(crawled: Any) -> None:
    first = crawled["first"]
    assert first.returncode == 0, first.stderr
    assert "crawl" in first.stderr
    assert "new" in first.stderr


def test_every_reachable_article_is_archived_once(crawled: Any) -> None:
    expected = _expected(crawled["portal"])
    assert len(crawled["files"]) == len(expected)
    db = Database(crawled["archive"] / "index.db")
    assert db["articles"].count == len(expected)
    titles = {
        str(parse_post(f.read_text(encoding="utf-8")).metadata["title"]) for f in crawled["files"]
    }
    assert titles == {legacy_title(a.title) for a in expected}
    portal = crawled["portal"]
    for article in expected:
        path = portal.article_url(article).removeprefix(portal.base_url)
        assert crawled["hits"][path] == 1, path


def test_feed_only_articles_are_found(crawled: Any) -> None:
    feed_only = [a for a in _expected(crawled["portal"]) if not a.in_listing]
    assert feed_only, "the demo portal should have feed-only articles"
    db = Database(crawled["archive"] / "index.db")
    urls = {r["url"] for r in db["articles"].rows}
    assert {crawled["portal"].article_url(a) for a in feed_only} <= urls


def test_no_furniture_no_mojibake_in_files(crawled: Any) -> None:
    for path in crawled["files"]:
        text = path.read_text(encoding="utf-8")
        assert "\ufffd" not in text, path
        for banned in FURNITURE:
            assert banned not in text, (banned, path)


def test_dates_are_page_time_in_beijing(crawled: Any) -> None:
    portal = crawled["portal"]
    by_title = {legacy_title(a.title): a for a in _expected(portal)}
    for path in crawled["files"]:
        meta = parse_post(path.read_text(encoding="utf-8")).metadata
        article = by_title[str(meta["title"])]
        published = parse_published(article.published)
        assert published is not None
        assert meta["date"] == rfc822(published)


def test_both_layouts_and_encodings_are_parsed(crawled: Any) -> None:
    db = Database(crawled["archive"] / "index.db")
    parsers = Counter(r["parser"] for r in db["articles"].rows)
    assert parsers["ofweek.V2"] > 0
    assert parsers["ofweek.V1"] > 0
    stats = crawled["first"].stderr
    assert "\ufffd" not in stats


def test_failures_are_recorded_with_reasons(crawled: Any) -> None:
    db = Database(crawled["archive"] / "index.db")
    reasons = Counter(r["reason"] for r in db["failures"].rows)
    assert reasons["http_404"] >= 1
    assert reasons["no_title"] == 1


def test_images_downloaded_with_referer_and_403_recorded(crawled: Any) -> None:
    archive = crawled["archive"]
    db = Database(archive / "index.db")
    images = list(db["images"].rows)
    downloaded = [r for r in images if r["status"] == "downloaded"]
    failed = [r for r in images if r["status"] == "failed"]
    assert downloaded
    for row in downloaded:
        assert (archive / "assets" / row["path"]).is_file()
    assert failed
    assert all("/deleted/" in r["url"] and r["error"] == "HTTP 403" for r in failed)
    assert "img failed" in crawled["first"].stderr


def test_bad_input_is_logged_and_counted(crawled: Any) -> None:
    log = crawled["first"].stderr
    for counter in (
        "'archive/encoding_fixed': 1",
        "'archive/images/failed': 1",
        "'archive/dropped/missing_title': 1",
        "'archive/fetch_failed/http_404': 1",
        "'archive/parse_error/title': 1",
    ):
        assert counter in log, counter
    assert "Image failed (HTTP 403)" in log
    assert "Dropped: missing title" in log
    assert "Fetch failed (http_404)" in log
    assert "Re-decoded" in log


def test_second_run_writes_nothing_and_adds_no_row(crawled: Any) -> None:
    second = crawled["second"]
    assert second.returncode == 0, second.stderr
    files = sorted((crawled["archive"] / "posts").rglob("*.md"))
    assert files == crawled["files"]
    assert {f: f.stat().st_mtime_ns for f in files} == crawled["mtimes"]
    assert Database(crawled["archive"] / "index.db")["articles"].count == crawled["rows_before"]
