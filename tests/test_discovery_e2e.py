"""Real crawls over HTTP of the demo portal's sitemaps, feeds, generic blog and redesign."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from demo_portal import DemoPortal
from demo_portal.discovery import BLOG_FEED_SIZE, BLOG_POSTS
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def portal() -> Any:
    with DemoPortal(port=0) as p:
        yield p


def _rows(archive: Path, sql: str) -> list[dict[str, Any]]:
    db = Database(archive / "index.db")
    cursor = db.execute(sql)
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _articles(archive: Path) -> dict[str, dict[str, Any]]:
    return {r["url"]: r for r in _rows(archive, "select * from articles")}


def _last_run(archive: Path) -> dict[str, Any]:
    return _rows(archive, "select * from crawl_runs order by id desc limit 1")[0]


def _blog_urls(portal: DemoPortal, posts: Any = BLOG_POSTS) -> set[str]:
    return {portal.base_url + p.path for p in posts}


def _portal_expected(portal: DemoPortal) -> set[str]:
    return {
        portal.article_url(a) for a in portal.articles if a.title and (a.in_listing or a.in_feed)
    }


def test_generic_crawl_of_a_sitemap_index_archives_the_site_then_skips_it(
    portal: DemoPortal, tmp_path: Path
) -> None:
    start = portal.base_url + "/blog/sitemap_index.xml"  # index → news sitemap + .xml.gz
    first = run_cli(tmp_path, "--log-level", "INFO", "crawl", "generic", "--start-url", start)
    assert first.returncode == 0, first.stderr
    assert "is a sitemapindex" in first.stderr
    articles = _articles(tmp_path)
    assert set(articles) == _blog_urls(portal)
    by_url = {portal.base_url + p.path: p for p in BLOG_POSTS}
    for url, row in articles.items():
        post = by_url[url]
        assert row["portal"] == "generic"
        assert row["parser"] == "generic.V1"
        assert row["title"] == post.title
        assert post.paragraphs[-1][:40] in row["body_text"]
        assert row["published"].startswith(_utc_day(post.published))
    failures = _rows(tmp_path, "select url, reason from failures")
    assert failures == [{"url": portal.base_url + "/blog/about/", "reason": "no_body"}]
    run = _last_run(tmp_path)
    assert (run["status"], run["new"], run["failed"]) == ("finished", len(BLOG_POSTS), 1)

    second = run_cli(tmp_path, "crawl", "generic", "--start-url", start)
    assert second.returncode == 0, second.stderr
    run = _last_run(tmp_path)
    assert (run["new"], run["skipped"]) == (0, len(BLOG_POSTS))
    assert len(_articles(tmp_path)) == len(BLOG_POSTS)


def _utc_day(w3c: str) -> str:
    from crawler.discovery import parse_w3c

    when = parse_w3c(w3c)
    assert when is not None
    return when.strftime("%Y-%m-%d")


def test_generic_crawl_of_an_atom_feed_with_relative_links(
    portal: DemoPortal, tmp_path: Path
) -> None:
    result = run_cli(
        tmp_path, "crawl", "generic", "--start-url", portal.base_url + "/blog/atom.xml"
    )
    assert result.returncode == 0, result.stderr
    assert set(_articles(tmp_path)) == _blog_urls(portal, BLOG_POSTS[:BLOG_FEED_SIZE])


def test_generic_crawl_from_robots_txt_with_a_url_pattern(
    portal: DemoPortal, tmp_path: Path
) -> None:
    # robots.txt names the portal's sitemap index and the blog's; the pattern keeps the blog
    result = run_cli(
        tmp_path,
        "crawl",
        "generic",
        "--start-url",
        portal.base_url + "/robots.txt",
        "--url-pattern",
        r"/blog/posts/",
    )
    assert result.returncode == 0, result.stderr
    assert set(_articles(tmp_path)) == _blog_urls(portal)
    assert _rows(tmp_path, "select * from failures") == []


def test_generic_crawl_of_a_listing_follows_rel_next(portal: DemoPortal, tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "crawl",
        "generic",
        "--start-url",
        portal.base_url + "/blog/",
        "--url-pattern",
        r"/blog/posts/",
    )
    assert result.returncode == 0, result.stderr
    assert set(_articles(tmp_path)) == _blog_urls(portal)  # 3 per page: page 2 was followed


def test_portal_spider_discovers_through_robots_sitemaps(
    portal: DemoPortal, tmp_path: Path
) -> None:
    # robots.txt → sitemap index → news sitemap (feed articles) + gzip'd urlset (listing)
    result = run_cli(
        tmp_path,
        "crawl",
        "ofweek",
        "--base-url",
        portal.base_url,
        "--start-url",
        portal.base_url + "/robots.txt",
    )
    assert result.returncode == 0, result.stderr
    articles = _articles(tmp_path)
    assert set(articles) == _portal_expected(portal)
    assert {r["parser"] for r in articles.values()} == {"ofweek.V1", "ofweek.V2"}
    reasons = Counter(r["reason"] for r in _rows(tmp_path, "select reason from failures"))
    assert reasons == {"http_404": 1, "no_title": 1}
    assert portal.base_url + "/blog/posts/quiet-on-call/" not in articles  # not an ofweek URL


def test_portal_spider_reads_an_atom_feed(portal: DemoPortal, tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "crawl",
        "ofweek",
        "--base-url",
        portal.base_url,
        "--start-url",
        portal.base_url + "/atom/ofweek/news.xml",
    )
    assert result.returncode == 0, result.stderr
    feed = {portal.article_url(a) for a in portal.feed_articles if a.title}
    assert set(_articles(tmp_path)) == feed


def test_sitemap_max_age_skips_old_entries(portal: DemoPortal, tmp_path: Path) -> None:
    # every demo entry is dated 2021–2024, so a one-day window keeps none of them
    start = portal.base_url + "/blog/sitemap_index.xml"
    result = run_cli(
        tmp_path,
        "--log-level",
        "INFO",
        "-s",
        "ARCHIVE_SITEMAP_MAX_AGE_DAYS=1",
        "crawl",
        "generic",
        "--start-url",
        start,
    )
    assert "'archive/skipped_old': 8" in result.stderr  # 6 gzip'd + 2 news entries
    assert not _rows(tmp_path, "select * from articles")


def test_url_pattern_is_for_generic_only(portal: DemoPortal, tmp_path: Path) -> None:
    result = run_cli(tmp_path, "crawl", "ofweek", "--url-pattern", "x")
    assert result.returncode == 2
    assert "--url-pattern applies to `crawl generic` only" in result.stderr


# --------------------------------------------------------------------------- the alarm


@pytest.fixture(scope="module")
def redesigned() -> Any:
    with DemoPortal(port=0, redesigned=True) as p:
        yield p


def test_redesign_sets_off_the_alarm_and_the_generic_extractor_takes_over(
    redesigned: DemoPortal, tmp_path: Path
) -> None:
    result = run_cli(tmp_path, "crawl", "ofweek", "--base-url", redesigned.base_url)
    assert result.returncode == 3, result.stderr
    assert "parser breakage: ofweek: 12/12 pages without title/body/date" in result.stderr
    run = _last_run(tmp_path)
    assert run["status"] == "degraded"
    assert (run["parse_checked"], run["parse_broken"], run["fallback"]) == (12, 12, 12)
    articles = _articles(tmp_path)
    titled = {
        redesigned.article_url(a): a
        for a in redesigned.articles
        if a.title and (a.in_listing or a.in_feed)
    }
    assert set(titled) <= set(articles)
    for url, article in titled.items():
        row = articles[url]
        assert row["parser"] == "generic-fallback"
        assert row["title"] == article.title
        assert row["portal"] == "ofweek"
    # page times come from the redesign's <time datetime>, not the fetch time
    flagship = next(a for a in titled.values() if a.published.startswith("2022-08-25"))
    assert articles[redesigned.article_url(flagship)]["published"] == "2022-08-25T08:09:00+00:00"

    from archive.datasette_metadata import QUERIES

    (breakage,) = _rows(tmp_path, QUERIES["parser_breakage"]["sql"])
    assert (breakage["portal"], breakage["parse_broken"]) == ("ofweek", 12)
    assert breakage["fallback_articles_now"] == len(articles)

    stats = run_cli(tmp_path, "stats")
    assert stats.returncode == 0, stats.stderr
    assert "generic-fallback" in stats.stdout
    assert f"{len(articles)} articles by the generic fallback" in stats.stdout
    assert "degraded run 1 (ofweek" in stats.stdout
    assert "12/12 pages broken" in stats.stdout


def test_a_healthy_crawl_counts_pages_but_is_not_degraded(
    portal: DemoPortal, tmp_path: Path
) -> None:
    result = run_cli(tmp_path, "crawl", "ofweek", "--base-url", portal.base_url)
    assert result.returncode == 0, result.stderr
    run = _last_run(tmp_path)
    assert run["status"] == "finished"
    assert (run["parse_checked"], run["parse_broken"], run["fallback"]) == (12, 1, 0)  # 1/12
    assert "generic-fallback" not in {r["parser"] for r in _articles(tmp_path).values()}


def test_below_min_pages_held_pages_are_released_unchanged(
    redesigned: DemoPortal, tmp_path: Path
) -> None:
    result = run_cli(
        tmp_path,
        "--log-level",
        "INFO",
        "-s",
        "ARCHIVE_DEGRADED_MIN_PAGES=100",
        "crawl",
        "ofweek",
        "--base-url",
        redesigned.base_url,
    )
    assert result.returncode == 0, result.stderr
    assert _last_run(tmp_path)["status"] == "finished"
    assert not _rows(tmp_path, "select * from articles")
    reasons = Counter(r["reason"] for r in _rows(tmp_path, "select reason from failures"))
    assert reasons["no_title"] == 12  # each held page was released at idle and dropped
    assert "'archive/parse_broken': 12" in result.stderr


def test_without_fallback_the_run_is_still_degraded(redesigned: DemoPortal, tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "-s",
        "ARCHIVE_GENERIC_FALLBACK=False",
        "crawl",
        "ofweek",
        "--base-url",
        redesigned.base_url,
    )
    assert result.returncode == 3, result.stderr
    run = _last_run(tmp_path)
    assert (run["status"], run["parse_broken"], run["fallback"]) == ("degraded", 12, 0)
    assert not _rows(tmp_path, "select * from articles")


def test_refresh_after_the_fix_replaces_the_fallback_articles(tmp_path: Path) -> None:
    with DemoPortal(port=0, redesigned=True) as broken:
        port, base = broken.port, broken.base_url
        assert run_cli(tmp_path, "crawl", "ofweek", "--base-url", base).returncode == 3
    assert {r["parser"] for r in _articles(tmp_path).values()} == {"generic-fallback"}
    with DemoPortal(port=port) as fixed:  # same URLs, the layout the parser knows
        result = run_cli(tmp_path, "crawl", "ofweek", "--base-url", fixed.base_url, "--refresh")
    assert result.returncode == 0, result.stderr
    articles = _articles(tmp_path)
    parsers = Counter(r["parser"] for r in articles.values())
    assert set(parsers) <= {"ofweek.V1", "ofweek.V2", "generic-fallback"}
    assert parsers["ofweek.V1"] and parsers["ofweek.V2"]
    # only the page without a title (a site-name title from the generic extractor) remains
    leftovers = [r["url"] for r in articles.values() if r["parser"] == "generic-fallback"]
    no_title = {fixed.article_url(a) for a in fixed.articles if not a.title}
    assert set(leftovers) <= no_title
    assert _last_run(tmp_path)["status"] == "finished"
