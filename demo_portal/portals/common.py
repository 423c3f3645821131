"""What every demo site shares: its request view, responses, expected articles, images."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from demo_portal.images import image_for_path

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Response(NamedTuple):
    """One HTTP answer of the demo server (every portal's, OFweek's too)."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SiteRequest:
    """A GET as a demo site sees it: the path below its prefix, query, headers, base URL."""

    path: str
    """``/0/765/432.htm`` for ``/ithome/0/765/432.htm``."""
    query: Mapping[str, str]
    headers: Mapping[str, str]
    base: str
    """Absolute URL of the site, e.g. ``http://127.0.0.1:8765/ithome``."""


@dataclass(frozen=True)
class SiteArticle:
    """One demo article and what a crawl must archive from it."""

    path: str
    """URL path below the site's base (``/p/2751234567``)."""
    title: str
    author: str
    """Front-matter author the crawl must store (the byline, else the taxonomy's)."""
    published: Callable[[datetime], datetime]
    """Expected aware publication time, given the article's fetch time (relative dates)."""
    body_contains: tuple[str, ...]
    images: tuple[str, ...] = ()
    """Image paths below the base URL, in body order."""
    category: str = ""
    """The page's channel, which the crawl appends to the taxonomy's categories."""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Site:
    """One demo portal below its prefix."""

    name: str
    """Portal key and path prefix (``/ithome``)."""
    respond: Callable[[SiteRequest], Response]
    articles: tuple[SiteArticle, ...]
    """Articles a crawl of the site must archive, in listing order."""
    language: str = "zh"


def at(text: str, tz: str = "Asia/Shanghai") -> Callable[[datetime], datetime]:
    """A fixed publication time (``2024-03-05 10:20`` in ``tz``) as a ``published`` rule."""
    fixed = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
    return lambda _fetched: fixed


def html_response(text: str, status: int = 200) -> Response:
    return Response(status, "text/html; charset=utf-8", text.encode("utf-8"))


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, "application/json; charset=utf-8", body)


def xml_response(text: str) -> Response:
    return Response(200, "application/rss+xml; charset=utf-8", text.encode("utf-8"))


def not_found() -> Response:
    return html_response("<html><body><h1>404 Not Found</h1></body></html>", 404)


def forbidden(reason: str) -> Response:
    return html_response(f"<html><body><h1>403 {html.escape(reason)}</h1></body></html>", 403)


def image_response(path: str) -> Response:
    """Deterministic image bytes for ``path`` (distinct per path, typed by extension)."""
    ctype, data = image_for_path(path)
    return Response(200, ctype, data, (("Cache-Control", "max-age=86400"),))


def script_state(name: str, data: Any, tail: str = "") -> str:
    """``<script>window.NAME=<json>TAIL</script>`` with ``</`` escaped as portals do."""
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f"<script>window.{name}={payload}{tail}</script>"


def shanghai(now: datetime) -> datetime:
    return now.astimezone(SHANGHAI)


def days_before(now: datetime, days: int, hour: int, minute: int) -> datetime:
    """``days`` calendar days before ``now`` (Beijing) at ``hour:minute``, in UTC."""
    day = shanghai(now).date() - timedelta(days=days)
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
    return local.astimezone(UTC)
