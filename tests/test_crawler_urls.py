"""Article URL canonicalization (crawler/urls.py): one URL per article."""

from __future__ import annotations

import pytest

from crawler import settings as project_settings
from crawler.urls import (
    DEFAULT_TRACKING_PARAMS,
    UrlPolicy,
    article_request_url,
    desktop_host,
    host_in,
    strip_tracking,
    strip_trailing_slash,
)

PORTAL = UrlPolicy("www.ofweek.com", ("ofweek.com",))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.ofweek.com/a.html?utm_source=rss&utm_medium=feed",
            "https://www.ofweek.com/a.html",
        ),
        (
            "https://www.ofweek.com/a.html?id=3&spm=a2c4g.1&from=timeline",
            "https://www.ofweek.com/a.html?id=3",
        ),
        ("https://www.ofweek.com/a.html?fbclid=x#comments", "https://www.ofweek.com/a.html"),
        ("https://m.ofweek.com/2022-08/ART-1.html", "https://www.ofweek.com/2022-08/ART-1.html"),
        ("https://wap.ofweek.com/a.html", "https://www.ofweek.com/a.html"),
        ("https://m.solar.ofweek.com/a.html", "https://solar.ofweek.com/a.html"),
        ("http://m.127.0.0.1:8765/a.html", "http://127.0.0.1:8765/a.html"),
        ("https://www.ofweek.com/2022-08/ART-1.html/", "https://www.ofweek.com/2022-08/ART-1.html"),
        ("https://www.ofweek.com/", "https://www.ofweek.com/"),
        ("https://www.ofweek.com/a.html?page=2", "https://www.ofweek.com/a.html?page=2"),
        ("https://www.ofweek.com/a.html?utm=keep", "https://www.ofweek.com/a.html?utm=keep"),
    ],
)
def test_request_url(url: str, expected: str) -> None:
    assert PORTAL.request_url(url) == expected
    assert PORTAL.request_url(expected) == expected  # idempotent


def test_mobile_host_of_the_demo_portal_maps_to_its_ip() -> None:
    demo = UrlPolicy("127.0.0.1", ("127.0.0.1", "ofweek.com"))
    assert demo.request_url("http://m.127.0.0.1:8765/a.html/") == "http://127.0.0.1:8765/a.html"


@pytest.mark.parametrize(
    ("declared", "page", "expected"),
    [
        ("", "https://www.ofweek.com/b.html?utm_source=x", "https://www.ofweek.com/b.html"),
        (
            "https://www.ofweek.com/c.html",
            "https://www.ofweek.com/b.html",
            "https://www.ofweek.com/c.html",
        ),
        (
            "https://m.ofweek.com/c.html/",
            "https://www.ofweek.com/b.html",
            "https://www.ofweek.com/c.html",
        ),
        (
            "https://spam.example/landing",
            "https://www.ofweek.com/b.html",
            "https://www.ofweek.com/b.html",
        ),
        (
            "https://ofweek.com.evil.example/c",
            "https://www.ofweek.com/b.html",
            "https://www.ofweek.com/b.html",
        ),
        ("javascript:alert(1)", "https://www.ofweek.com/b.html", "https://www.ofweek.com/b.html"),
        (
            "https://www.ofweek.com/c.html?b=2&a=1",
            "https://www.ofweek.com/b.html",
            "https://www.ofweek.com/c.html?a=1&b=2",
        ),
    ],
)
def test_canonical_trusts_only_links_on_the_portal(declared: str, page: str, expected: str) -> None:
    assert PORTAL.canonical(declared, page) == expected


def test_pieces() -> None:
    assert strip_tracking("http://x/a?utm_a=1&b=2&utm_b=3", ["utm_*"]) == "http://x/a?b=2"
    assert strip_trailing_slash("http://x/a.html//") == "http://x/a.html"
    assert strip_trailing_slash("http://x/2024/03/slug/") == "http://x/2024/03/slug/"  # a page
    assert strip_trailing_slash("http://x/") == "http://x/"
    assert desktop_host("m.example.com", "example.com") == "example.com"
    assert host_in("news.ofweek.com", ["ofweek.com"])
    assert not host_in("notofweek.com", ["ofweek.com"])
    assert (
        article_request_url("http://m.x.com/a.htm/?spm=1", "x.com", ["spm"]) == "http://x.com/a.htm"
    )


def test_default_tracking_params_are_the_setting() -> None:
    assert list(DEFAULT_TRACKING_PARAMS) == project_settings.ARCHIVE_TRACKING_PARAMS
