"""Discovery documents: RSS/Atom feeds, sitemaps (news, index, gzip) and ``robots.txt``.

Pure functions over response bytes, used by :class:`crawler.spiders.base.PortalSpider`.
Sitemaps are read with Scrapy's own :class:`scrapy.utils.sitemap.Sitemap` (the parser of
``SitemapSpider``: lxml ``iterparse`` with entities off, recovering from bad markup), robots
files with :func:`scrapy.utils.sitemap.sitemap_urls_from_robots`, feeds with feedparser
(RSS 0.9x/1.0/2.0 and Atom 0.3/1.0, relative links resolved against the feed URL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from io import BytesIO
from typing import Any, Literal

import feedparser
import lxml.etree
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

Kind = Literal["feed", "sitemap", "sitemapindex", "robots", "html"]
"""What a discovery URL turned out to be."""

GZIP_MAGIC = b"\x1f\x8b\x08"
FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})
"""Root element names (lower-case local names) of RSS 0.9x/1.0/2.0 and Atom documents."""
SITEMAP_ROOTS = {"urlset": "sitemap", "sitemapindex": "sitemapindex"}


class DiscoveryError(ValueError):
    """A discovery document could not be read (too large once decompressed, not XML…)."""


def decompress(body: bytes, max_size: int = 0) -> bytes:
    """``body`` gunzipped when it is a gzip file (``sitemap.xml.gz``), else unchanged.

    ``max_size`` bounds the decompressed size (0: no bound), like ``SitemapSpider``.

    >>> import gzip
    >>> decompress(gzip.compress(b"<urlset/>"))
    b'<urlset/>'
    """
    if not body.startswith(GZIP_MAGIC):
        return body
    try:
        return gunzip(body, max_size=max_size)
    except _DecompressionMaxSizeExceeded as exc:
        raise DiscoveryError(f"decompressed sitemap larger than {max_size} bytes") from exc


def xml_root_name(body: bytes) -> str:
    """Lower-case local name of the document's root element ('' when it is not XML).

    >>> xml_root_name(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>')
    'feed'
    """
    head = body.lstrip()
    if not head.startswith(b"<"):
        return ""
    events = lxml.etree.iterparse(
        BytesIO(body),
        events=("start",),
        recover=True,
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        html=False,
    )
    try:
        for _, elem in events:
            tag = elem.tag
            if isinstance(tag, str):
                return tag.rpartition("}")[2].lower()
    except lxml.etree.XMLSyntaxError:
        return ""
    return ""


def detect_kind(body: bytes, content_type: str = "", url: str = "") -> Kind:
    """Feed, sitemap, sitemap index, robots file or HTML page, decided by content.

    ``body`` must already be decompressed (:func:`decompress`). A ``text/plain`` body (or one
    fetched as ``/robots.txt``) is a robots file; an XML root of ``rss``/``feed``/``RDF`` a
    feed, ``urlset``/``sitemapindex`` a sitemap; anything else is treated as an HTML page.

    >>> detect_kind(b"User-agent: *\\nSitemap: https://example.com/s.xml\\n", "text/plain")
    'robots'
    >>> detect_kind(b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'/>")
    'sitemap'
    """
    ctype = content_type.split(";", 1)[0].strip().lower()
    root = xml_root_name(body)
    if root in FEED_ROOTS:
        return "feed"
    if root in SITEMAP_ROOTS:
        return "sitemap" if SITEMAP_ROOTS[root] == "sitemap" else "sitemapindex"
    if ctype == "text/plain" or url.split("?", 1)[0].endswith("/robots.txt"):
        return "robots"
    return "html"


@dataclass(frozen=True)
class Entry:
    """An article URL found in a feed or sitemap, with what the document says about it."""

    url: str
    title: str = ""
    """Feed item title or ``<news:title>``."""
    published: str = ""
    """Publication time as the document writes it (``pubDate``, ``<published>``,
    ``<news:publication_date>``); '' when absent. ``lastmod`` is not a publication time."""
    lastmod: str = ""
    """Sitemap ``<lastmod>``, as written."""


NEWS_FIELDS = {"title": "title", "publication_date": "published"}
"""``<news:news>`` children kept, and the :class:`Entry` field each one fills."""


class NewsSitemap(Sitemap):
    """Scrapy's sitemap reader, also keeping Google News ``<news:title>`` and date.

    ``Sitemap`` flattens each ``<url>`` to its direct children's text, so the nested
    ``<news:news>`` block would come out empty; it is read here before the base class
    clears the element.
    """

    __slots__ = ()

    def _process_sitemap_element(self, elem: Any) -> dict[str, Any] | None:
        news: dict[str, str] = {}
        for child in elem:
            if self._get_tag_name(child) == "news":
                for field in child.iter():
                    name = NEWS_FIELDS.get(self._get_tag_name(field))
                    if name and field.text:
                        news[name] = field.text.strip()
        entry = super()._process_sitemap_element(elem)
        if entry is not None:
            entry.pop("news", None)
            entry.update({f"news_{k}": v for k, v in news.items()})
        return entry


def parse_sitemap(body: bytes) -> tuple[Kind, list[Entry]]:
    """``("sitemap", entries)`` of a urlset or ``("sitemapindex", sub-sitemaps)``.

    ``body`` is the decompressed XML. Any other root gives ``("html", [])``.
    """
    sitemap = NewsSitemap(body)
    kind = SITEMAP_ROOTS.get(sitemap.type.lower())
    if kind is None:
        return "html", []
    entries = [
        Entry(
            url=d["loc"],
            title=d.get("news_title", ""),
            published=d.get("news_published", ""),
            lastmod=d.get("lastmod", ""),
        )
        for d in sitemap
        if d.get("loc")
    ]
    return ("sitemap" if kind == "sitemap" else "sitemapindex"), entries


def robots_sitemaps(body: bytes, url: str) -> list[str]:
    """Absolute ``Sitemap:`` URLs of a robots file (relative ones resolved against ``url``)."""
    return list(dict.fromkeys(sitemap_urls_from_robots(body, base_url=url)))


def parse_feed(body: bytes, url: str, content_type: str = "") -> list[Entry]:
    """Entries of an RSS or Atom feed, links made absolute against the feed's URL.

    Atom entries use their ``rel="alternate"`` link (feedparser's ``entry.link``); an RSS
    item without ``<link>`` falls back to a permalink ``<guid>``.
    """
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    entries = []
    for item in parsed.entries:
        link = str(item.get("link") or "")
        if not link and item.get("guidislink"):
            link = str(item.get("id") or "")
        if not link:
            continue
        published = str(item.get("published") or item.get("updated") or "")
        entries.append(Entry(url=link, title=str(item.get("title") or ""), published=published))
    return entries


def is_recent(entry: Entry, since: datetime | None) -> bool:
    """Whether the entry's publication time (or ``lastmod``) is at or after ``since``.

    Entries without a readable time are kept: only a stated old date excludes one.
    """
    if since is None:
        return True
    for text in (entry.published, entry.lastmod):
        when = parse_w3c(text)
        if when is not None:
            return when >= since
    return True


def parse_w3c(text: str) -> datetime | None:
    """A W3C datetime (sitemaps) or an RFC 822 date (feeds) as aware UTC, ``None`` if not one.

    >>> parse_w3c("2024-03-05T10:00:00+08:00")
    datetime.datetime(2024, 3, 5, 2, 0, tzinfo=datetime.timezone.utc)
    >>> parse_w3c("2024-03-05")
    datetime.datetime(2024, 3, 5, 0, 0, tzinfo=datetime.timezone.utc)
    """
    text = text.strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)  # RFC 822 (feeds)
        except (TypeError, ValueError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)
