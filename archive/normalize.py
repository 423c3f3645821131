"""Normalization of an article: whitespace, dates, sources, bodies, canonical URLs (pure).

``pipelines.normalize.NormalizeContentPipeline`` applies :func:`normalize_article` to each
crawled :class:`~archive.items.ArticleItem`; ``fetch``, ``import`` and the fixtures use the
same functions.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from lxml import etree
from lxml import html as lxml_html
from lxml.cssselect import CSSSelector
from w3lib.url import canonicalize_url, safe_url_string

from archive.boilerplate import BASIC_FURNITURE_CSS
from archive.dates import FLOATING_ZONE, page_zone
from archive.html import (
    DROP_WITH_CONTENT,
    html_to_text,
    img_refs,
    refs_and_text,
    sanitize,
    xml_safe,
)
from archive.items import ArticleItem, ImageRef

logger = logging.getLogger(__name__)

LAZY_SRC_ATTRS: tuple[str, ...] = (
    "data-src",
    "data-original",
    "data-lazy-src",
    "data-actualsrc",
    "data-url",
    "_src",
)
"""Attributes that carry the real image URL on lazy-loaded images, in order of preference."""


DEFAULT_FURNITURE_CSS: tuple[str, ...] = BASIC_FURNITURE_CSS
"""Page furniture that can sit inside any stored body; removed with its content
(portal containers get the whole cleaning stage, :func:`archive.boilerplate.clean_container`)."""


TRACKING_SRC = re.compile(r"/(?:stat|pixel|track|beacon|count)[/.?]|[?&]utm_", re.I)


_WS = re.compile(r"\s+")


_SOURCE_LABEL = re.compile(r"^\s*(?:来源|来自|出处|稿源|source)\s*[:：]\s*", re.I)


_EPOCH = re.compile(r"^1\d{9}(?:\d{3})?$")
"""Unix time in seconds or milliseconds (2001–2286), as JSON page states carry it."""


_CN_DATE = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?"
)


def collapse_ws(text: str) -> str:
    """Collapse runs of whitespace (including U+3000 and NBSP) to one space and strip."""
    return _WS.sub(" ", text).strip()


def clean_source(raw: str) -> str:
    """``来源：OFweek锂电网`` → ``OFweek锂电网``."""
    return _SOURCE_LABEL.sub("", collapse_ws(raw))


def parse_published(
    raw: str, tz: str = "Asia/Shanghai", now: datetime | None = None
) -> datetime | None:
    """Parse a page or feed date into an aware UTC datetime; ``None`` when unparseable.

    Portal page times carry no zone and are read in ``tz``; RFC 822 feed dates keep theirs.
    Epoch seconds or milliseconds (JSON page states) are UTC. Relative and year-less forms
    (``3 小时前``, ``昨天 10:20``, ``03/05 10:20``) are resolved against ``now`` (the fetch
    time; the current time when ``None``) in ``tz``.

    >>> parse_published("2022-08-25 16:09").isoformat()
    '2022-08-25T08:09:00+00:00'
    >>> parse_published("Thu, 25 Aug 2022 08:09:00 GMT").isoformat()
    '2022-08-25T08:09:00+00:00'
    >>> parse_published("1661414940000").isoformat()
    '2022-08-25T08:09:00+00:00'
    >>> parse_published("昨天 10:20", now=datetime(2022, 8, 25, 8, 9, tzinfo=UTC)).isoformat()
    '2022-08-24T02:20:00+00:00'
    """
    text = collapse_ws(raw)
    if not text:
        return None
    zone = ZoneInfo(tz)
    if _EPOCH.match(text):
        seconds = int(text) / 1000 if len(text) == 13 else int(text)
        return datetime.fromtimestamp(seconds, UTC)
    try:
        iso = datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        return (iso if iso.tzinfo else iso.replace(tzinfo=zone)).astimezone(UTC)
    match = _CN_DATE.search(text)
    if match:
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        try:
            local = datetime(
                parts["y"],
                parts["m"],
                parts["d"],
                parts.get("H", 0),
                parts.get("M", 0),
                parts.get("S", 0),
                tzinfo=zone,
            )
        except ValueError:
            return None
        return local.astimezone(UTC)
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None:
        parsed = _dateparser(text, tz, now)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _dateparser(text: str, tz: str, now: datetime | None = None) -> datetime | None:
    import dateparser  # imported lazily: loading its language data costs ~0.2 s

    settings: dict[str, Any] = {
        "TIMEZONE": tz,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }
    if now is not None:  # dateparser wants the base as naive local time in TIMEZONE
        settings["RELATIVE_BASE"] = now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return dateparser.parse(text, languages=["zh", "en"], settings=settings)


def rfc822(dt: datetime) -> str:
    """``Thu, 25 Aug 2022 08:09:00 GMT`` (the legacy front-matter date form)."""
    return email.utils.format_datetime(dt.astimezone(UTC), usegmt=True)


def absolute_url(value: str, base_url: str) -> str | None:
    """Resolve ``value`` against ``base_url`` and percent-encode it safely; ``None`` when no
    URL can be made of it (a malformed host or port: ``http://[consent]/``, ``https://a.com:x/``).
    """
    try:
        return safe_url_string(urljoin(base_url, value.strip()))
    except ValueError:  # urllib refuses the host or the port
        return None


def canonical(url: str) -> str:
    """De-duplication key of an article URL (query sorted, fragment dropped)."""
    return canonicalize_url(url)


@functools.lru_cache(maxsize=16)
def _compiled(css: tuple[str, ...]) -> CSSSelector | None:
    """The furniture selectors as one compiled selector group (compiling costs more than
    matching; one pass over the body instead of one per selector)."""
    return CSSSelector(", ".join(css)) if css else None


def _drop(element: etree._Element) -> None:
    """Remove ``element`` but keep its tail text."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    parent.remove(element)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _is_tracking_pixel(img: etree._Element) -> bool:
    sizes = [img.get("width", ""), img.get("height", "")]
    if any(s.strip().rstrip("px") in {"0", "1"} for s in sizes):
        return True
    return bool(TRACKING_SRC.search(img.get("src", "")))


def clean_body(
    raw: str, base_url: str, furniture_css: Iterable[str] = DEFAULT_FURNITURE_CSS
) -> str:
    """Turn a raw body fragment into the stored body.

    Drops scripts, styles, iframes, forms, comments and furniture; turns lazy images into
    plain ``src`` images; removes tracking pixels; makes every link and image URL absolute
    (a link whose URL is malformed keeps its words without a target, such an image goes);
    then sanitizes with the archive allow-list (no ``on*`` attributes, no ``javascript:``).
    """
    if not raw.strip():
        return ""
    root = lxml_html.fragment_fromstring(xml_safe(raw), create_parent="div")
    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(node)
    for node in list(root.iter(*DROP_WITH_CONTENT)):
        _drop(node)
    furniture = _compiled(tuple(furniture_css))
    for node in furniture(root) if furniture is not None else ():
        _drop(node)  # matches in document order: a container before what it holds
    for img in list(root.iter("img")):
        for attr in LAZY_SRC_ATTRS:
            if img.get(attr):
                img.set("src", img.get(attr, ""))
                break
        for attr in LAZY_SRC_ATTRS:
            img.attrib.pop(attr, None)
        src = absolute_url(img.get("src", ""), base_url) if img.get("src") else None
        if src is None or _is_tracking_pixel(img):  # no image a browser could load
            _drop(img)
            continue
        img.set("src", src)
    for link in root.iter("a"):
        href = link.get("href")
        if href and not href.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
            url = absolute_url(href, base_url)
            if url is None:  # the link's words stay, without a target
                del link.attrib["href"]
            else:
                link.set("href", url)
    inner = (root.text or "") + "".join(
        lxml_html.tostring(child, encoding="unicode") for child in root
    )
    return sanitize(inner).strip()


def images_of(body_html: str) -> list[ImageRef]:
    """The body's images in order, one per distinct URL."""
    return _distinct_images(img_refs(body_html))


def _distinct_images(found: list[tuple[str, str]]) -> list[ImageRef]:
    seen: set[str] = set()
    refs: list[ImageRef] = []
    for src, alt in found:
        if src not in seen:
            seen.add(src)
            refs.append(ImageRef(url=src, url_raw=src, alt=alt))
    return refs


def missing_fields(item: ArticleItem) -> list[str]:
    """Required fields that are empty after normalization (the item is not an article)."""
    missing = []
    if not item.title:
        missing.append("title")
    if not item.body_text and not item.images:
        missing.append("body")
    return missing


_CLOCK = re.compile(r"\d{1,2}\s*[:：时]\s*\d{2}|\b\d{1,2}\s*[ap]\.?m\b", re.I)
"""A clock time in a printed date (``16:09``, ``3 pm``)."""


def page_zone_of(item: ArticleItem, raw_date: str) -> str:
    """The zone a generic page's naive ``raw_date`` is read in (no portal zone applies).

    A date without a clock time is a calendar date, not an instant: it is kept as printed
    (:data:`archive.dates.FLOATING_ZONE`), so that its day is the day shown. A time is read in
    the page's own zone (:func:`archive.dates.page_zone`), or kept as printed when unknown.

    >>> item = ArticleItem(url="https://www.heise.de/a", portal="generic", canonical_url="")
    >>> page_zone_of(item, "2024-03-05 09:30"), page_zone_of(item, "2024-03-05")
    ('Europe/Berlin', 'UTC')
    """
    if not _CLOCK.search(raw_date):
        return FLOATING_ZONE
    return page_zone(item.language, item.url) or FLOATING_ZONE


def normalize_article(item: ArticleItem, tz: str = "Asia/Shanghai") -> list[str]:
    """Fill the normalized fields of ``item`` in place; return the problems found.

    ``tz`` is the zone of the page's naive times (the portal's); ``""``
    (:data:`archive.dates.PAGE_ZONE`, the generic spider) reads them in the page's own zone
    (:func:`archive.dates.page_zone`: language tag, country domain), and keeps the printed
    wall clock (:data:`archive.dates.FLOATING_ZONE`) when the page does not tell. A page
    without a date gets no ``published`` (a feed's date of the article excepted).
    """
    problems: list[str] = []
    hints = item.render_hints
    feed_item = hints.get("source_format") == "rsshub"  # archive/rsshub.py: legacy spacing kept
    item.title = item.title_raw.strip() if feed_item else collapse_ws(item.title_raw)
    item.source = clean_source(item.source_raw)
    item.author = item.author or item.source  # taxonomies without a fixed author (generic)
    if not (feed_item and item.canonical_url):  # a feed item's identity is set already
        item.canonical_url = canonical(item.canonical_url or item.url)
    raw_date = item.published_raw
    zone = tz or page_zone_of(item, raw_date)
    item.published = parse_published(raw_date, zone, item.fetched_at) if raw_date else None
    if item.published is None:
        problems.append("published")
        # the feed's date of the article is a date of it; the fetch time is not (it stays
        # in fetched_at, and the Hexo ``date:`` falls back to it visibly)
        item.published = item.feed_published
    if not (feed_item and hints.get("body_verbatim")):  # else the feed item's body is final
        item.body_html = clean_body(item.body_raw, item.url)
        found, item.body_text = refs_and_text(item.body_html)  # one parse for both
        item.images = _distinct_images(found)
    else:
        item.body_text = html_to_text(item.body_html)
    return problems
