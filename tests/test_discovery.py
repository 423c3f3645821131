"""Pure discovery functions (feeds, sitemaps, robots, kind detection) and the alarm decision."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

import pytest
from parsel import Selector

from archive.items import FALLBACK_PARSER
from crawler import discovery
from crawler.alarm import ParserAlarm, broken_fields, is_degraded, merge_fallback
from crawler.discovery import Entry
from crawler.parsers.base import Page, ParseResult

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example.com/2024/03/solar-tariffs.html</loc>
    <lastmod>2024-03-06</lastmod>
    <news:news>
      <news:publication><news:name>Example News</news:name>
        <news:language>en</news:language></news:publication>
      <news:publication_date>2024-03-05T10:00:00+08:00</news:publication_date>
      <news:title>Solar tariffs &amp; what they change</news:title>
    </news:news>
  </url>
  <url><loc>https://news.example.com/2024/03/plain.html</loc></url>
  <url><lastmod>2024-03-01</lastmod></url>
</urlset>
"""
SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example.com/sitemap-news.xml</loc></sitemap>
  <sitemap><loc>https://news.example.com/sitemap-2023.xml.gz</loc>
    <lastmod>2023-12-31</lastmod></sitemap>
</sitemapindex>
"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example</title><id>urn:example</id><updated>2024-03-06T00:00:00Z</updated>
  <entry><title>Relative link</title><id>urn:1</id>
    <link rel="alternate" href="/posts/one/"/>
    <link rel="enclosure" href="/media/one.mp3"/>
    <published>2024-03-05T10:00:00+08:00</published><updated>2024-03-06T00:00:00Z</updated>
  </entry>
  <entry><title>Only updated</title><id>urn:2</id>
    <link href="https://blog.example.com/posts/two/"/>
    <updated>2024-02-01T08:00:00Z</updated>
  </entry>
</feed>
"""
RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>门户</title><link>https://p.example.cn/</link>
<item><title>第一条</title><link>https://p.example.cn/a/1.html</link>
  <pubDate>Thu, 25 Aug 2022 08:09:00 GMT</pubDate></item>
<item><title>只有 guid</title><guid isPermaLink="true">https://p.example.cn/a/2.html</guid></item>
<item><title>no link at all</title><description>x</description></item>
</channel></rss>
""".encode()
ROBOTS = (
    b"User-agent: *\nDisallow: /admin/\nSitemap: /sitemap_index.xml\n"
    b"sitemap: https://cdn.example.com/news.xml\nSitemap: /sitemap_index.xml\n"
)


def test_news_sitemap_keeps_publication_date_and_title() -> None:
    kind, entries = discovery.parse_sitemap(NEWS_SITEMAP)
    assert kind == "sitemap"
    assert entries == [
        Entry(
            "https://news.example.com/2024/03/solar-tariffs.html",
            title="Solar tariffs & what they change",
            published="2024-03-05T10:00:00+08:00",
            lastmod="2024-03-06",
        ),
        Entry("https://news.example.com/2024/03/plain.html"),
    ]


def test_sitemap_index_lists_sub_sitemaps() -> None:
    kind, entries = discovery.parse_sitemap(SITEMAP_INDEX)
    assert kind == "sitemapindex"
    assert [e.url for e in entries] == [
        "https://news.example.com/sitemap-news.xml",
        "https://news.example.com/sitemap-2023.xml.gz",
    ]
    assert entries[1].lastmod == "2023-12-31"


def test_gzipped_sitemap_is_decompressed_and_bounded() -> None:
    packed = gzip.compress(NEWS_SITEMAP)
    assert discovery.decompress(packed) == NEWS_SITEMAP
    assert discovery.decompress(NEWS_SITEMAP) == NEWS_SITEMAP  # plain XML untouched
    with pytest.raises(discovery.DiscoveryError):
        discovery.decompress(packed, max_size=100)


def test_robots_sitemap_lines_are_absolute_and_unique() -> None:
    assert discovery.robots_sitemaps(ROBOTS, "https://news.example.com/robots.txt") == [
        "https://news.example.com/sitemap_index.xml",
        "https://cdn.example.com/news.xml",
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "url", "kind"),
    [
        (ATOM, "application/atom+xml", "", "feed"),
        (RSS, "application/xml", "", "feed"),
        (
            b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            b' xmlns="http://purl.org/rss/1.0/"/>',
            "text/xml",
            "",
            "feed",
        ),
        (NEWS_SITEMAP, "application/xml", "", "sitemap"),
        (SITEMAP_INDEX, "text/xml", "", "sitemapindex"),
        (ROBOTS, "text/plain; charset=utf-8", "", "robots"),
        (b"User-agent: *\n", "application/octet-stream", "https://x.example/robots.txt", "robots"),
        (b"<!DOCTYPE html><html><body><a href='/a'>a</a></body></html>", "text/html", "", "html"),
        (b"", "text/html", "", "html"),
    ],
)
def test_detect_kind_by_content(body: bytes, content_type: str, url: str, kind: str) -> None:
    assert discovery.detect_kind(body, content_type, url) == kind


def test_atom_links_are_resolved_against_the_feed_url() -> None:
    entries = discovery.parse_feed(ATOM, "https://blog.example.com/feed/atom.xml")
    assert entries == [
        Entry(
            "https://blog.example.com/posts/one/",
            title="Relative link",
            published="2024-03-05T10:00:00+08:00",
        ),
        Entry(
            "https://blog.example.com/posts/two/",
            title="Only updated",
            published="2024-02-01T08:00:00Z",
        ),
    ]


def test_rss_items_use_link_then_permalink_guid() -> None:
    entries = discovery.parse_feed(RSS, "https://p.example.cn/rss", "application/rss+xml")
    assert [(e.url, e.published) for e in entries] == [
        ("https://p.example.cn/a/1.html", "Thu, 25 Aug 2022 08:09:00 GMT"),
        ("https://p.example.cn/a/2.html", ""),
    ]
    assert entries[0].title == "第一条"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05T10:00:00+08:00", datetime(2024, 3, 5, 2, 0, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-03-05T02:00:00Z", datetime(2024, 3, 5, 2, 0, tzinfo=UTC)),
        ("Thu, 25 Aug 2022 08:09:00 GMT", datetime(2022, 8, 25, 8, 9, tzinfo=UTC)),
        ("last tuesday", None),
        ("", None),
    ],
)
def test_parse_w3c(text: str, expected: datetime | None) -> None:
    assert discovery.parse_w3c(text) == expected


def test_is_recent_uses_publication_then_lastmod_and_keeps_undated() -> None:
    since = datetime(2024, 3, 1, tzinfo=UTC)
    assert discovery.is_recent(Entry("u", published="2024-03-05"), since)
    assert not discovery.is_recent(Entry("u", published="2024-02-05", lastmod="2024-03-05"), since)
    assert not discovery.is_recent(Entry("u", lastmod="2023-12-31"), since)
    assert discovery.is_recent(Entry("u"), since)
    assert discovery.is_recent(Entry("u", lastmod="2000-01-01"), None)


# --------------------------------------------------------------------------- alarm


@pytest.mark.parametrize(
    ("broken", "total", "threshold", "min_pages", "degraded"),
    [
        (3, 10, 0.2, 10, True),
        (2, 10, 0.2, 10, False),  # exactly at the threshold is not above it
        (9, 9, 0.2, 10, False),  # too few pages to judge
        (0, 50, 0.0, 10, False),  # nothing broken, whatever the threshold
        (1, 50, 0.0, 10, True),
        (10, 10, 1.0, 1, False),  # a threshold of 1 never fires
        (1, 1, 0.2, 0, True),  # min_pages 0 behaves as 1
    ],
)
def test_is_degraded(
    broken: int, total: int, threshold: float, min_pages: int, degraded: bool
) -> None:
    assert is_degraded(broken, total, threshold, min_pages) is degraded


PORTAL_BROKEN = ParseResult(
    "demo.V2",
    {"canonical_url": "https://x/c", "title": "", "published": "", "source": "Portal", "body": ""},
    ["title", "published", "body"],
)
GENERIC = ParseResult(
    "generic.V1",
    {
        "canonical_url": "https://x/g",
        "title": "Generic title",
        "published": "",
        "source": "Site",
        "body": "<p>b</p>",
    },
    ["published"],
)
HEALTHY = ParseResult("demo.V2", {"title": "t", "published": "2022-08-25", "body": "<p>x</p>"}, [])


def test_merge_fallback_keeps_good_portal_fields_and_reports_what_neither_found() -> None:
    merged = merge_fallback(PORTAL_BROKEN, GENERIC)
    assert merged.parser == FALLBACK_PARSER
    assert merged.fields["canonical_url"] == "https://x/c"  # the portal's good field wins
    assert merged.fields["source"] == "Portal"
    assert merged.fields["title"] == "Generic title"
    assert merged.fields["body"] == "<p>b</p>"
    assert merged.failed == ["published"]
    assert broken_fields(PORTAL_BROKEN) == ["title", "body", "published"]
    assert broken_fields(HEALTHY) == []


class FakeStats:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def inc_value(self, key: str) -> None:
        self.values[key] = self.values.get(key, 0) + 1

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value


PAGE = Page.from_selector(Selector(text="<html><body></body></html>"), "https://x/a")


def _alarm(min_pages: int = 3, threshold: float = 0.5) -> tuple[ParserAlarm, FakeStats]:
    stats = FakeStats()
    alarm = ParserAlarm(
        threshold=threshold, min_pages=min_pages, fallback=lambda page: GENERIC, stats=stats
    )
    return alarm, stats


def _run(alarm: ParserAlarm, results: list[ParseResult]) -> list[str]:
    out: list[str] = []
    for result in results:
        out += [r.parser for r in alarm.check(PAGE, result, lambda r: r)]
    return out


def test_alarm_holds_broken_pages_until_it_can_decide_then_falls_back() -> None:
    alarm, stats = _alarm(min_pages=3, threshold=0.5)
    assert _run(alarm, [PORTAL_BROKEN]) == []  # held: one page is too few to judge
    assert _run(alarm, [HEALTHY]) == ["demo.V2"]
    assert _run(alarm, [PORTAL_BROKEN]) == [FALLBACK_PARSER, FALLBACK_PARSER]  # 2/3 > 0.5
    assert alarm.degraded and not alarm.held
    assert _run(alarm, [HEALTHY, PORTAL_BROKEN]) == ["demo.V2", FALLBACK_PARSER]  # latched
    assert stats.values == {
        "archive/parse_checked": 5,
        "archive/parse_broken": 3,
        "archive/degraded": 1,
        "archive/fallback": 3,
    }


def test_alarm_releases_held_pages_unchanged_when_the_share_stays_low() -> None:
    alarm, stats = _alarm(min_pages=3, threshold=0.5)
    assert _run(alarm, [PORTAL_BROKEN, HEALTHY]) == ["demo.V2"]
    assert _run(alarm, [HEALTHY]) == ["demo.V2", "demo.V2"]  # decided: 1/3, held one released
    assert not alarm.degraded
    assert "archive/degraded" not in stats.values


def test_alarm_releases_held_pages_at_the_end_of_a_short_run() -> None:
    alarm, _ = _alarm(min_pages=10)
    assert _run(alarm, [PORTAL_BROKEN, PORTAL_BROKEN]) == []
    assert [r.parser for r in alarm.release()] == ["demo.V2", "demo.V2"]
    assert not alarm.degraded and not alarm.held


def test_alarm_without_hold_emits_each_broken_page_at_once_and_still_latches() -> None:
    """A distributed worker (``ARCHIVE_ALARM_HOLD`` off) keeps nothing in memory: a broken page
    is emitted unchanged while the alarm is undecided, and the alarm still goes off."""
    alarm, stats = _alarm(min_pages=3, threshold=0.5)
    alarm.hold = False
    assert _run(alarm, [PORTAL_BROKEN]) == ["demo.V2"]  # not held
    assert not alarm.held
    assert _run(alarm, [HEALTHY]) == ["demo.V2"]
    assert _run(alarm, [PORTAL_BROKEN]) == [FALLBACK_PARSER]  # 2/3 > 0.5: degraded
    assert alarm.degraded and not alarm.held
    assert stats.values["archive/fallback"] == 1


def test_worker_settings_turn_holding_off() -> None:
    from crawler.distributed import worker_settings

    assert worker_settings("redis://127.0.0.1:1")["ARCHIVE_ALARM_HOLD"] is False


def test_without_fallback_a_degraded_run_keeps_the_portal_results() -> None:
    alarm, stats = _alarm(min_pages=2, threshold=0.1)
    alarm.use_fallback = False
    assert _run(alarm, [PORTAL_BROKEN, PORTAL_BROKEN]) == ["demo.V2", "demo.V2"]
    assert alarm.degraded
    assert stats.values["archive/degraded"] == 1
    assert "archive/fallback" not in stats.values


def test_disabled_alarm_passes_everything_through() -> None:
    alarm, stats = _alarm(min_pages=1, threshold=0.0)
    alarm.enabled = False
    assert _run(alarm, [PORTAL_BROKEN, PORTAL_BROKEN]) == ["demo.V2", "demo.V2"]
    assert stats.values == {}
