"""Naive page times in the page's own zone; an undated page gets no invented date."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.dates import FLOATING_ZONE, page_zone
from archive.frontmatter_files import FETCH_TIME_KEY, ExportOptions, render_article
from archive.items import ArticleItem
from archive.normalize import normalize_article
from tests.conftest import run_cli, serve_routes


@pytest.mark.parametrize(
    ("language", "url", "zone"),
    [
        ("zh-CN", "http://127.0.0.1/a", "Asia/Shanghai"),
        ("zh_TW", "https://example.com/a", "Asia/Taipei"),  # og:locale spelling
        ("en-GB", "https://example.com/a", "Europe/London"),
        ("en", "https://www.bbc.co.uk/news/a", "Europe/London"),
        ("", "https://www.heise.de/news/a.html", "Europe/Berlin"),
        ("de", "https://example.com/a", "Europe/Berlin"),
        ("ja", "https://example.com/a", "Asia/Tokyo"),
        ("en-US", "https://arstechnica.com/a", None),  # several zones: no guess
        ("en", "https://example.com/a", None),
        ("es", "https://example.com/a", None),
        ("de-US", "https://example.com/a", None),
        ("", "http://127.0.0.1:8000/a", None),
    ],
)
def test_page_zone(language: str, url: str, zone: str | None) -> None:
    assert page_zone(language, url) == zone


def _item(published_raw: str, language: str, url: str = "https://example.com/a") -> ArticleItem:
    return ArticleItem(
        url=url,
        portal="generic",
        canonical_url=url,
        title_raw="A title",
        published_raw=published_raw,
        body_raw="<p>Text</p>",
        language=language,
        fetched_at=datetime(2024, 3, 6, 12, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("raw", "language", "expected"),
    [
        ("2024-03-05 09:30", "en-GB", "2024-03-05T09:30:00+00:00"),
        ("2024-03-05 09:30", "de-DE", "2024-03-05T08:30:00+00:00"),
        ("2024-03-05 09:30", "zh-CN", "2024-03-05T01:30:00+00:00"),
        # a date without a time is a calendar date: its day stays the printed day
        ("2024-03-05", "de-DE", "2024-03-05T00:00:00+00:00"),
        ("2024-03-05", "zh-CN", "2024-03-05T00:00:00+00:00"),
        # zone unknown: the printed wall clock and date are kept, not shifted by a guess
        ("2024-03-05 21:30", "en-US", "2024-03-05T21:30:00+00:00"),
        ("2024-03-05", "en-US", "2024-03-05T00:00:00+00:00"),
        ("March 5, 2024", "en", "2024-03-05T00:00:00+00:00"),
        # an offset on the page always wins
        ("2024-03-05T09:30:00-05:00", "de", "2024-03-05T14:30:00+00:00"),
    ],
)
def test_naive_times_in_the_pages_zone(raw: str, language: str, expected: str) -> None:
    item = _item(raw, language)
    assert normalize_article(item, tz="") == []
    assert item.published is not None
    assert item.published.isoformat() == expected


def test_a_portal_zone_still_wins_for_portal_pages() -> None:
    item = _item("2024-03-05 09:30", "en-GB")
    normalize_article(item, tz="Asia/Shanghai")
    assert item.published is not None and item.published.isoformat() == (
        "2024-03-05T01:30:00+00:00"
    )


def test_floating_zone_is_utc() -> None:
    assert FLOATING_ZONE == "UTC"


def test_an_undated_page_gets_no_published_date_and_hexo_says_so() -> None:
    item = _item("", "en")
    assert normalize_article(item, tz="") == ["published"]
    assert item.published is None
    text = render_article(item, ExportOptions())
    assert "date: Wed, 06 Mar 2024 12:00:00 GMT" in text  # the fetch time …
    assert f"{FETCH_TIME_KEY}: true" in text  # … marked as such


def test_a_feed_date_is_kept_for_an_undated_page() -> None:
    item = _item("", "en")
    item.feed_published = datetime(2024, 3, 5, 7, 0, tzinfo=UTC)
    normalize_article(item, tz="")
    assert item.published == item.feed_published
    assert FETCH_TIME_KEY not in render_article(item, ExportOptions())


PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>Tiny relays in the valley</title>
<meta property="article:published_time" content="{stamp}"></head>
<body><article><h1>Tiny relays in the valley</h1>
{para}</article></body></html>"""
PARA = "".join(
    f"<p>{text}</p>"
    for text in (
        "The cooperative replaced its mechanical relays with solid-state units that report "
        "their own health over a narrow radio link, and night call-outs fell by half.",
        "Each unit costs a little more than the part it replaces, but it warns the crew a week "
        "ahead of a failure, so the swap can be planned for a quiet weekday afternoon.",
        "The board has approved a second phase that extends the monitoring to the older "
        "pole-mounted reclosers in the valley before the next storm season arrives.",
    )
)


def test_fetch_reads_a_generic_pages_naive_time_in_its_zone(tmp_path: Path) -> None:
    pages = {
        "/london": ("en-GB", "2024-03-05"),
        "/berlin": ("de", "2024-03-05T09:30:00"),
        "/unknown": ("en", "2024-03-05"),
    }
    routes = {
        path: (200, "text/html", PAGE.format(lang=lang, stamp=stamp, para=PARA).encode())
        for path, (lang, stamp) in pages.items()
    }
    with serve_routes(routes) as base:
        done = run_cli(tmp_path, "fetch", *(base + path for path in pages))
        assert done.returncode == 0, done.stderr[-2000:]
        db = sqlite3.connect(tmp_path / "index.db")
        got = {
            url.removeprefix(base): published
            for url, published in db.execute("select url, published from articles")
        }
        db.close()
    assert got == {
        "/london": "2024-03-05T00:00:00+00:00",  # Beijing's reading gave 2024-03-04T16:00Z
        "/berlin": "2024-03-05T08:30:00+00:00",
        "/unknown": "2024-03-05T00:00:00+00:00",
    }
