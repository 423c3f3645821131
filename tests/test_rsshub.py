"""``crawl rsshub --feeds FILE``: RSSHub feed items archived from the feed's own content.

Unit tests use our own text; the end-to-end tests serve ``tests/fixtures/rsshub/feed.xml``
(our own RSSHub-shaped feed, expectations written by hand in ``expected.json`` and the
``*.proxy.md`` files) on 127.0.0.1. The legacy-conformance tests (golden post, OFweek corpus)
are in ``tests/test_rsshub_legacy.py``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive.errors import FeedsFileError
from archive.frontmatter_files import ExportOptions, render_article
from archive.normalize import normalize_article
from archive.rsshub import (
    FeedConfig,
    FeedEntry,
    FeedError,
    FeedItemError,
    add_referrerpolicy,
    feed_article,
    parse_feeds,
    read_feed,
    verbatim_problem,
)
from portal_archive.cli import cli
from tests.conftest import FAST_SETTINGS, FIXTURES, run_cli, serve_routes

HERE = FIXTURES / "rsshub"
CORS = "https://cors.zfour.workers.dev/?"
SETTINGS = (*FAST_SETTINGS, "ARCHIVE_IMAGES_DOWNLOAD=False", "RETRY_TIMES=0")
FEED = FeedConfig(
    "https://rsshub.example.org/x/news", ("新媒体", "示例门户", "新闻"), "示例门户", "x"
)
PLACEHOLDER = re.compile(r"https://picsum\.photos/400/300\?random=(\d+)")

# --------------------------------------------------------------------------- the feeds file


def test_feeds_file_is_read_with_categories_author_and_portal() -> None:
    feeds = parse_feeds(
        """
        [[feed]]
        url = "https://rsshub.example.org/ofweek/news"
        categories = ["新媒体", "高科技行业门户", "新闻"]
        author = "高科技行业门户"

        [[feed]]
        url = "https://rsshub.example.org/some/blog"
        categories = ["编程", "Some Blog", "周报"]
        author = "Some Blog"

        [[feed]]
        url = "https://rsshub.example.org/zh/site"
        categories = ["新媒体", "某网站", "新闻"]
        author = "某网站"

        [[feed]]
        url = "https://rsshub.example.org/own"
        categories = ["a", "b", "c"]
        author = "b"
        portal = "mine"
        """
    )
    assert feeds[0] == FeedConfig(
        "https://rsshub.example.org/ofweek/news",
        ("新媒体", "高科技行业门户", "新闻"),
        "高科技行业门户",
        "ofweek",  # the legacy site folder's portal, as `import` names it
    )
    assert [f.portal for f in feeds[1:]] == ["some-blog", "rsshub", "mine"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[feed]\nurl=1", "not valid TOML"),
        ("title = 'x'", "lists no feeds"),
        ("[[feed]]\nurl = 'ftp://x/y'", "absolute http(s) URL"),
        ("[[feed]]\nurl = 'https://x/y'\ncategories = 'a'", "categories must be a list"),
        ("[[feed]]\nurl = 'https://x/y'\nauthor = 3", "author must be a string"),
        ("[[feed]]\nurl = 'https://x/y'\nauthr = 'a'", "unknown key(s) authr"),
        ("[[feed]]\nurl = 'https://x/y'\nportal = '../up'", "portal must be a lower-case slug"),
        ("[[feed]]\nurl = 'https://x/y'\n[[feed]]\nurl = 'https://x/y'", "twice"),
    ],
)
def test_bad_feeds_files_raise_a_typed_error(text: str, message: str) -> None:
    with pytest.raises(FeedsFileError, match=re.escape(message)):
        parse_feeds(text)


# --------------------------------------------------------------------------- reading feeds


def test_feed_html_is_kept_as_served() -> None:
    entries = read_feed((HERE / "feed.xml").read_bytes())
    assert [e.position for e in entries] == [1, 2, 3, 4, 5, 6]
    first = entries[0]
    assert first.title == "示例门户：“新一代”储能电池/电站发布"
    assert first.link == "https://www.example.com/news/2024-01/ART-1001.html"
    assert first.published == "Tue, 09 Jan 2024 02:30:00 GMT"
    # feedparser neither sanitizes nor re-serializes: valueless attributes, comments, raw &
    assert 'title alt></p><!--<p class="statement">' in first.description
    assert "<article><p>R&D 团队" in first.description
    assert entries[1].title == "没有图片的短讯  两个空格"
    assert entries[3].link == ""


def test_atom_feeds_are_read_too() -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>示例</title><id>urn:x</id>
<updated>2024-01-09T02:30:00Z</updated>
<entry><title>原子条目</title><id>urn:x:1</id>
<link href="https://www.example.com/a/2.html"/>
<published>2024-01-09T10:30:00+08:00</published><updated>2024-01-10T00:00:00Z</updated>
<content type="html">&lt;p&gt;正文 &amp;amp; 更多&lt;/p&gt;
&lt;img src="https://i.example/x.jpg" title alt&gt;</content>
</entry></feed>""".encode()
    (only,) = read_feed(atom)
    assert (only.title, only.link, only.published) == (
        "原子条目",
        "https://www.example.com/a/2.html",
        "2024-01-09T10:30:00+08:00",
    )
    assert (
        only.description == '<p>正文 &amp; 更多</p>\n<img src="https://i.example/x.jpg" title alt>'
    )
    item = feed_article(only, FEED)
    normalize_article(item)
    assert item.published is not None and item.published.isoformat() == "2024-01-09T02:30:00+00:00"


@pytest.mark.parametrize(
    "data",
    [
        b"<!doctype html><html><body><h1>RSSHub is down</h1></body></html>",
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>cut',
        b"\x89PNG\r\n\x1a\n\0\0",
        b"",
    ],
    ids=["html", "truncated", "binary", "empty"],
)
def test_a_document_that_is_no_wellformed_feed_is_a_feed_error(data: bytes) -> None:
    with pytest.raises(FeedError) as info:
        read_feed(data)
    assert info.value.reason == "not_a_feed"


def entry(**fields: Any) -> FeedEntry:
    values: dict[str, Any] = {
        "position": 1,
        "title": "标题",
        "link": "https://www.example.com/a/1.html",
        "description": "<p>正文。</p>",
        "published": "Tue, 09 Jan 2024 02:30:00 GMT",
    }
    values.update(fields)
    return FeedEntry(**values)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"link": ""}, "no_link"),
        ({"link": "/relative/1.html"}, "no_link"),
        ({"title": "   "}, "no_title"),
        ({"published": "Mon, 45 Foo 2024 99:99:99 GMT"}, "bad_date"),
    ],
)
def test_bad_items_are_typed_errors_with_a_reason(fields: dict[str, str], reason: str) -> None:
    with pytest.raises(FeedItemError) as info:
        feed_article(entry(**fields), FEED)
    assert info.value.reason == reason


def test_an_item_without_pubdate_is_dated_by_its_fetch_time_visibly() -> None:
    from datetime import UTC, datetime

    fetched = datetime(2024, 2, 1, 3, 4, 5, tzinfo=UTC)
    item = feed_article(entry(published=""), FEED, fetched_at=fetched)
    assert normalize_article(item) == ["published"]
    assert item.published is None  # no invented publication instant
    text = render_article(item, ExportOptions())
    assert "\ndate: Thu, 01 Feb 2024 03:04:05 GMT\n" in text
    assert "\ndate_is_fetch_time: true\n" in text


def test_a_non_gmt_pubdate_is_written_as_served() -> None:
    item = feed_article(entry(published="Wed, 10 Jan 2024 18:05:07 +0800"), FEED)
    normalize_article(item)
    assert item.published is not None and item.published.isoformat() == "2024-01-10T10:05:07+00:00"
    assert "\ndate: Wed, 10 Jan 2024 18:05:07 +0800\n" in render_article(item, ExportOptions())


# --------------------------------------------------------------------------- verbatim or sanitized

SAFE = [
    '<p style="text-indent: 2em; text-align: left;">正文<strong>加粗</strong></p>',
    '<p><img src="https://a.example/1.jpg" title alt></p>',
    '<p><img alt height="467" src="https://a.example/1.jpg" width="700" title></p>',
    '<img src="https://a.example/1.jpg" title 标题丢了等号" alt>',
    '<span class="hrefStyle"><a href="https://a.example/t.HTMs" target="_blank">t</a></span>',
    '<!--<p class="statement"><span>*</span>版权声明</p>--><p>x</p>',
    "<article><section><p>　　缩进</p></section></article><p></p><center></center>",
    '<p style="color:#999999;font-family:  微软雅黑;font-size:14px;">原文标题 : x</p>',
    "<p>R&D &amp; 5 < 6</p>",
]

UNSAFE = [
    '<p><img src="https://a.example/1.jpg" onerror="alert(1)"></p>',
    "<p>x</p><script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<p style="background: url(https://tracker.example/p.gif)">x</p>',
    '<p style="position: fixed; top: 0">overlay</p>',
    '<p style="width: expression(alert(1))">x</p>',
    '<iframe src="https://v.example/embed"></iframe>',
    "<svg><script>alert(1)</script></svg>",
    '<img src="/relative.jpg">',
    '<img src="data:image/png;base64,AAAA">',
    "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "<!-- a -- b -->",
    '<p data-x="1">x</p>',
    "<form action=https://evil.example><input name=p></form>",
    "<p>a\x00b</p>",
    '<img src="https://a.example/1.jpg" srcset="https://evil.example/x 2x">',
    '<p><noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript></p>',
]


@pytest.mark.parametrize("html", SAFE)
def test_legacy_forms_are_kept_verbatim(html: str) -> None:
    assert verbatim_problem(html) == ""


@pytest.mark.parametrize("html", UNSAFE)
def test_anything_the_sanitizer_would_touch_is_not_verbatim(html: str) -> None:
    assert verbatim_problem(html) != ""


def test_an_unsafe_description_is_sanitized_like_a_crawled_page() -> None:
    item = feed_article(
        entry(
            description='<p onclick="x()">a</p><script>alert(1)</script><img src="http://i/c.png">'
        ),
        FEED,
    )
    assert "body_verbatim" not in item.render_hints
    normalize_article(item)
    assert item.body_html == '<p>a</p><img src="http://i/c.png">'
    proxied = render_article(item, ExportOptions(image_mode="proxy"))
    assert f'<img src="{CORS}http://i/c.png" referrerpolicy="no-referrer">' in proxied


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<img src="a" title alt>', '<img src="a" title alt referrerpolicy="no-referrer">'),
        ('<p><img src="a"/></p>', '<p><img src="a" referrerpolicy="no-referrer"/></p>'),
        ('<img src="a" referrerpolicy="origin">', '<img src="a" referrerpolicy="origin">'),
        ('<!-- <img src="a"> --><p>x</p>', '<!-- <img src="a"> --><p>x</p>'),
        ("<p>no image</p>", "<p>no image</p>"),
        ("<img src=http://a/b/>", '<img src=http://a/b/ referrerpolicy="no-referrer">'),
        ('<img src="a" />', '<img src="a" referrerpolicy="no-referrer" />'),
    ],
)
def test_add_referrerpolicy(body: str, expected: str) -> None:
    assert add_referrerpolicy(body) == expected


def test_proxied_images_are_stored_unwrapped_and_only_http_ones_are_proxied_again() -> None:
    description = (
        f'<p><img src="{CORS}http://i.example/a.jpg" title alt></p>'
        '<p><img src="https://s.example/b.jpg"></p>'
    )
    item = feed_article(entry(description=description), FEED)
    normalize_article(item)
    assert [(i.url, i.url_raw) for i in item.images] == [
        ("http://i.example/a.jpg", f"{CORS}http://i.example/a.jpg"),
        ("https://s.example/b.jpg", "https://s.example/b.jpg"),
    ]
    assert item.body_html == (
        '<p><img src="http://i.example/a.jpg" title alt referrerpolicy="no-referrer"></p>'
        '<p><img src="https://s.example/b.jpg" referrerpolicy="no-referrer"></p>'
    )
    proxied = render_article(item, ExportOptions(image_mode="proxy"))
    assert f'<img src="{CORS}http://i.example/a.jpg" title alt' in proxied
    assert '<img src="https://s.example/b.jpg" referrerpolicy' in proxied
    assert f"headimg: '{CORS}http://i.example/a.jpg'" in proxied
    origin = render_article(item, ExportOptions(image_mode="origin"))
    assert CORS not in origin


# --------------------------------------------------------------------------- end to end


def feeds_file(folder: Path, *urls: str) -> Path:
    """Our feeds file with its FEED placeholder replaced, once per URL."""
    template = (HERE / "feeds.toml").read_text(encoding="utf-8")
    path = folder / "feeds.toml"
    path.write_text("\n".join(template.replace("FEED", url) for url in urls), encoding="utf-8")
    return path


def rows(archive: Path, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(archive / "index.db")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def snapshot(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*.md")}


def feed_route(text: str) -> tuple[int, str, bytes]:
    return (200, "application/xml; charset=utf-8", text.encode("utf-8"))


def test_crawl_fixture_feed_as_written_by_hand(tmp_path: Path) -> None:
    expected = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))
    feed_xml = (HERE / "feed.xml").read_text(encoding="utf-8")
    archive = tmp_path / "archive"
    routes = {"/example/news": feed_route(feed_xml)}
    with serve_routes(routes) as base:
        feeds = feeds_file(tmp_path, base + "/example/news")
        args = ("crawl", "rsshub", "--feeds", str(feeds), "--image-mode", "proxy")
        first = run_cli(archive, *args, settings=SETTINGS)
        assert first.returncode == 0, first.stderr
        before = snapshot(archive / "posts")

        # articles: fields as written by hand, files byte for byte
        found = {
            row[0]: row
            for row in rows(
                archive, "select url, title, author, published, body, path, portal from articles"
            )
        }
        assert set(found) == set(expected["articles"])
        for url, want in expected["articles"].items():
            _, title, author, published, body, path, portal = found[url]
            assert (title, author, published, portal) == (
                want["title"],
                want["author"],
                want["published"],
                "example",
            )
            assert path.startswith("example/2024-01/")
            cats = rows(
                archive,
                "select category from article_categories join articles on id = article_id "
                f"where url = '{url}' order by position",
            )
            assert [c[0] for c in cats] == want["categories"]
            assert all(s in body for s in want["body_contains"]), body
            assert not [s for s in want["body_excludes"] if s in body], body
            written = (archive / "posts" / path).read_text(encoding="utf-8")
            if "file" in want:
                hand = (HERE / want["file"]).read_text(encoding="utf-8")
                numbers = PLACEHOLDER.findall(written)
                assert len(set(numbers)) <= 1  # headimg and thumbnail: one placeholder
                if numbers:
                    hand = hand.replace("{n}", numbers[0])
                assert written == hand
            else:
                assert f'<img src="{CORS}http://img.example.com/upload/2024/01/c.png"' in written
                assert "steal" not in written and "<script" not in written

        failures = {
            url.replace(base + "/example/news", "FEED"): reason
            for url, reason in rows(archive, "select url, reason from failures")
        }
        assert failures == expected["failures"]
        assert all(p == "rsshub" for (p,) in rows(archive, "select portal from failures"))

        # second run: nothing rewritten, nothing duplicated
        second = run_cli(archive, *args, settings=SETTINGS)
        assert second.returncode == 0, second.stderr
        assert snapshot(archive / "posts") == before
        assert rows(archive, "select count(*) from articles") == [(3,)]
        assert rows(archive, "select count(*) from revisions") == [(0,)]
        run = rows(archive, "select new, updated, unchanged, failed from crawl_runs order by id")
        assert run[-1] == (0, 0, 3, 3)

        # an updated item updates its post (the old text kept as a revision); fixed items come in
        changed = feed_xml.replace("容量提升三成。", "容量提升四成。").replace(
            "<title><![CDATA[]]></title>", "<title><![CDATA[补上了标题]]></title>"
        )
        routes["/example/news"] = feed_route(changed)
        third = run_cli(archive, *args, settings=SETTINGS)
        assert third.returncode == 0, third.stderr
    run = rows(archive, "select new, updated, unchanged, failed from crawl_runs order by id")
    assert run[-1] == (1, 1, 2, 2)
    assert rows(archive, "select count(*) from revisions") == [(1,)]
    (body,) = rows(archive, "select body from articles where url like '%ART-1001.html'")[0]
    assert "容量提升四成。" in body
    fixed = "https://www.example.com/news/2024-01/ART-1005.html"
    assert rows(archive, f"select title from articles where url = '{fixed}'") == [("补上了标题",)]
    assert not rows(archive, f"select * from failures where url = '{fixed}'")
    assert len(snapshot(archive / "posts")) == 4


def test_bad_feeds_are_failure_rows_and_the_good_feed_is_archived(tmp_path: Path) -> None:
    feed_xml = (HERE / "feed.xml").read_text(encoding="utf-8")
    routes = {
        "/good": feed_route(feed_xml),
        "/html": (200, "text/html", b"<html><body><h1>Welcome to RSSHub!</h1></body></html>"),
        "/truncated": feed_route(feed_xml[: len(feed_xml) // 2]),
        "/error": (503, "text/html", b"<h1>busy</h1>"),
        "/slow": feed_route(feed_xml),
    }
    with serve_routes(routes, delays={"/slow": 3}) as base:
        paths = ["/good", "/html", "/truncated", "/error", "/missing", "/slow"]
        feeds = feeds_file(tmp_path, *(base + p for p in paths))
        result = run_cli(
            tmp_path / "a",
            "crawl",
            "rsshub",
            "--feeds",
            str(feeds),
            settings=(*SETTINGS, "DOWNLOAD_TIMEOUT=1"),
        )
    assert result.returncode == 0, result.stderr
    failures = dict(rows(tmp_path / "a", "select url, reason from failures"))
    assert {url.removeprefix(base): r for url, r in failures.items() if url.startswith(base)} == {
        "/html": "not_a_feed",
        "/truncated": "not_a_feed",
        "/error": "http_503",
        "/missing": "http_404",
        "/slow": "timeout",
        "/good#item-4": "no_link",
    }
    assert rows(tmp_path / "a", "select count(*) from articles") == [(3,)]
    (summary,) = rows(tmp_path / "a", "select error_summary from crawl_runs")[0]
    assert "not_a_feed×2" in summary and "timeout×1" in summary


def test_cli_refuses_feeds_without_rsshub_and_rsshub_without_feeds(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--archive", str(tmp_path / "a")]
    feeds = feeds_file(tmp_path, "https://rsshub.example.org/x")
    cases = [
        (["crawl", "ofweek", "--feeds", str(feeds)], "--feeds applies to `crawl rsshub` only"),
        (["crawl", "rsshub"], "crawl rsshub needs --feeds FILE"),
        (
            ["crawl", "rsshub", "--feeds", str(feeds), "--base-url", "http://x"],
            "do not apply to rsshub",
        ),
        (["crawl", "rsshub", "--feeds", str(tmp_path / "none.toml")], "cannot read feeds file"),
        (["fetch", "https://www.example.com/a.html", "--portal", "rsshub"], "no page parser"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, [*base, *args])
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert isinstance(result.exception, SystemExit), result.exception  # no crash
    bad = tmp_path / "bad.toml"
    bad.write_text("[[feed]]\nurl = 'nope'\n", encoding="utf-8")
    result = runner.invoke(cli, [*base, "crawl", "rsshub", "--feeds", str(bad)])
    assert result.exit_code == 1
    assert "url must be an absolute http(s) URL" in result.output
    assert not (tmp_path / "a" / "posts").exists()


def test_demo_portal_feed_is_archived_without_fetching_a_page(
    demo_portal: Any, tmp_path: Path
) -> None:
    """The demo portal's RSSHub-shaped full-text feed: ``crawl rsshub`` shown offline."""
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(
        f'[[feed]]\nurl = "{demo_portal.feed_url}"\n'
        'categories = ["新媒体", "高科技行业门户", "新闻"]\nauthor = "高科技行业门户"\n',
        encoding="utf-8",
    )
    archive = tmp_path / "a"
    result = run_cli(archive, "crawl", "rsshub", "--feeds", str(feeds), settings=SETTINGS)
    assert result.returncode == 0, result.stderr
    feed_path = demo_portal.feed_url.removeprefix(demo_portal.base_url)
    assert {path for path in demo_portal.hits if path != "/robots.txt"} == {feed_path}
    items = read_feed(_get(demo_portal.feed_url))  # after the check: this is a hit too
    titled = {e.link for e in items if e.title}
    archived = dict(rows(archive, "select url, portal from articles"))
    assert set(archived) == titled and set(archived.values()) == {"ofweek"}
    assert dict(rows(archive, "select url, reason from failures")) == {
        e.link: "no_title" for e in items if not e.title
    }


def _get(url: str) -> bytes:
    from urllib.request import urlopen

    with urlopen(url, timeout=30) as response:  # our own demo server on 127.0.0.1
        data: bytes = response.read()
    return data
