"""Retry-After, redirect refusals, failure reasons, the robots.txt fix (crawler/downloader.py)."""

from __future__ import annotations

import email.utils
import time
from pathlib import Path

import pytest
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest

from crawler.downloader import (
    OffsiteRedirect,
    RedirectLoop,
    TooManyRedirects,
    failure_reason_of,
    parse_retry_after,
    redirect_problem,
    retry_delay,
)
from tests.conftest import FAST_SETTINGS, Route, run_cli, serve_routes


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("0", 0.0),
        ("120", 120.0),
        (b"5", 5.0),
        ("", None),
        (None, None),
        ("-3", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00", None),
    ],
)
def test_parse_retry_after_seconds(header: str | bytes | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = time.time()
    when = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (parse_retry_after(when, now=now) or 0) <= 30
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0


@pytest.mark.parametrize(
    ("asked", "attempt", "expected"),
    [
        (None, 1, 0.5),
        (None, 2, 1.0),
        (None, 10, 60.0),
        (3.0, 1, 3.0),
        (60.0, 1, 60.0),
        (61.0, 1, None),
        (0.0, 2, 0.0),
    ],
)
def test_retry_delay(asked: float | None, attempt: int, expected: float | None) -> None:
    assert retry_delay(asked, attempt, backoff=0.5, cap=60) == expected


@pytest.mark.parametrize(
    ("source", "target", "chain", "problem"),
    [
        ("http://x.com/a", "http://x.com/b", [], None),
        ("http://x.com/a", "https://news.x.com/a", [], None),
        ("http://x.com/a", "http://localhost/a", [], OffsiteRedirect),
        ("http://x.com/a", "http://x.com.evil.example/a", [], OffsiteRedirect),
        ("http://x.com/a", "http://x.com/a", [], RedirectLoop),
        ("http://x.com/a?loop=1", "http://x.com/a", ["http://x.com/a"], RedirectLoop),
    ],
)
def test_redirect_problem(source: str, target: str, chain: list[str], problem: type | None) -> None:
    assert redirect_problem(source, target, chain, ["x.com"]) is problem


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (IgnoreRequest("Forbidden by robots.txt"), "robots"),
        (
            IgnoreRequest(
                "Ignored <200 u> because its body (9 B compressed, 99 B decompressed so "
                "far) exceeded DOWNLOAD_MAXSIZE (10 B) during decompression."
            ),
            "too_large",
        ),
        (DownloadCancelledError(""), "too_large"),
        (OffsiteRedirect("x"), "offsite_redirect"),
        (RedirectLoop("x"), "redirect_loop"),
        (TooManyRedirects("x"), "too_many_redirects"),
        (IgnoreRequest("something else"), None),
        (ValueError("x"), None),
    ],
)
def test_failure_reason_of(exc: BaseException, reason: str | None) -> None:
    assert failure_reason_of(exc) == reason


ROBOTS_ROUTES: dict[str, Route] = {
    "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
    **{f"/{c}.html": (200, "text/html", b"<h1>x</h1>") for c in "abcdef"},
    "/private/z.html": (200, "text/html", b"<h1>secret</h1>"),
}
SLOW_ROBOTS = {"/robots.txt": 1.0}
"""robots.txt arrives after every start request is waiting for it (deterministic)."""
STOCK_ROBOTS = (
    'DOWNLOADER_MIDDLEWARES={"crawler.downloader.SharedRobotsTxtMiddleware": null, '
    '"scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": 100}'
)


def _fetch_many(tmp_path: Path, base: str, *settings: str) -> str:
    urls = [f"{base}/{c}.html" for c in "abcdef"] + [f"{base}/private/z.html"]
    result = run_cli(
        tmp_path,
        "fetch",
        "--stdout",
        *urls,
        "--portal",
        "generic",
        settings=(*FAST_SETTINGS, "RETRY_TIMES=0", *settings),
    )
    return result.stderr


def test_robots_txt_applies_to_every_request_queued_before_it_arrived(tmp_path: Path) -> None:
    with serve_routes(ROBOTS_ROUTES, delays=SLOW_ROBOTS) as base:
        stderr = _fetch_many(tmp_path, base)
    assert f"error: {base}/private/z.html: robots" in stderr


def test_scrapy_robots_middleware_still_lets_queued_requests_through(tmp_path: Path) -> None:
    """Upstream bug this project works around; when this fails, drop SharedRobotsTxtMiddleware."""
    with serve_routes(ROBOTS_ROUTES, delays=SLOW_ROBOTS) as base:
        stderr = _fetch_many(tmp_path, base, STOCK_ROBOTS)
    assert f"error: {base}/private/z.html: robots" not in stderr


def test_a_crawl_keeps_its_connections_alive(tmp_path: Path) -> None:
    """``KeepAliveDownloadHandler``: a crawl of 300 articles over real HTTP opens about as many
    TCP connections as it runs requests at once (8 per host here), not one per few requests.
    Scrapy's own pool (``ARCHIVE_IDLE_CONNECTIONS_PER_HOST=8``) opened 48–79 for this crawl
    on this machine: a request starting as its slot frees often opens a new connection, and
    one is closed when both come back to a pool with room for 8."""
    from demo_portal import DemoPortal
    from tests.support.faultcheck import generated_crawl_args

    with DemoPortal(port=0, generated=300, listing_page_size=50) as portal:
        done = run_cli(
            tmp_path,
            *generated_crawl_args(portal, 6),
            settings=(*FAST_SETTINGS, "ARCHIVE_IMAGES_DOWNLOAD=False"),
        )
        connections = portal.connections
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(list((tmp_path / "posts").rglob("*.md"))) == 300
    assert connections <= 24, connections  # 16 here: 8 requests in flight, 8 on their way back
