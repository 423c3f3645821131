"""Items that travel from the spiders through the pipelines to the single writer.

Raw values (``*_raw``) are what the page said; their normalized twins are filled by
``archive.normalize`` (``pipelines.normalize`` in a crawl). Every field is documented in
``docs/item-schema.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FALLBACK_PARSER = "generic-fallback"
"""``articles.parser`` of an article the generic extractor produced for a broken parser."""


@dataclass
class ImageRef:
    """One image referenced by an article body, in body order."""

    url: str
    """Absolute original URL (proxy wrappers removed); the key of the image."""
    url_raw: str = ""
    """The ``src``/``data-src`` value as found in the page (made absolute)."""
    alt: str = ""
    """The ``alt`` text (may be empty)."""
    status: str = "pending"
    """``pending`` (not downloaded), ``downloaded``, ``failed`` or ``skipped`` (filtered)."""
    path: str | None = None
    """Path of the downloaded copy relative to the archive's ``assets/`` folder
    (``<sha256>.<ext>``)."""
    checksum: str | None = None
    """MD5 of the downloaded bytes (as Scrapy's FilesPipeline computes it)."""
    error: str | None = None
    """Why the download failed (``failed``) or was not attempted (``skipped``)."""
    sha256: str | None = None
    """SHA-256 of the downloaded bytes: the name of the file under ``assets/``."""
    bytes: int | None = None
    """Size of the downloaded file in bytes."""
    content_type: str | None = None
    """MIME type of the downloaded file (from Content-Type, else sniffed from the bytes)."""
    attempted: bool = False
    """Set by the images pipeline when it requested the URL in this run (never stored)."""


@dataclass
class ArticleItem:
    """One article of a portal."""

    url: str
    """The URL the article was fetched from (after redirects)."""
    portal: str
    """Portal key, e.g. ``ofweek``; selects parser, taxonomy and file folder."""
    canonical_url: str = ""
    """``<link rel=canonical>`` (or ``url``), canonicalized; the de-duplication key."""
    title_raw: str = ""
    """Title text as found in the page."""
    title: str = ""
    """Title with whitespace collapsed."""
    source_raw: str = ""
    """Source line as found (``来源：OFweek锂电网``)."""
    source: str = ""
    """Source with labels such as ``来源：`` removed."""
    author: str = ""
    """Front-matter author: the page byline if the parser has one, else the taxonomy's."""
    categories: list[str] = field(default_factory=list)
    """Front-matter categories from the portal taxonomy, then the page's channel."""
    published_raw: str = ""
    """Publication time text as found (page-local time, e.g. ``2022-08-25 16:09``)."""
    published: datetime | None = None
    """Publication time, time-zone aware, in UTC."""
    body_raw: str = ""
    """Inner HTML of the article body as found in the page."""
    body_html: str = ""
    """Cleaned, sanitized body HTML with absolute URLs and original image URLs."""
    body_text: str = ""
    """Plain text of ``body_html`` (for search and snippets)."""
    images: list[ImageRef] = field(default_factory=list)
    """Images of the body in order."""
    language: str = "zh"
    """BCP-47 language of the article."""
    parser: str = ""
    """Parser and version that produced the item, e.g. ``ofweek.V2``, or ``generic-fallback``."""
    encoding: str = ""
    """Character encoding the page was decoded with."""
    fetched_at: datetime | None = None
    """When the page was fetched (UTC)."""
    feed_published: datetime | None = None
    """``pubDate`` of the feed item that linked the article, if any (fallback date)."""
    parse_errors: list[str] = field(default_factory=list)
    """Fields the parser could not extract (``errors="suppress"`` mode)."""
    render_hints: dict[str, Any] = field(default_factory=dict)
    """What a faithful re-render of an imported post needs (frame, date form, proxy template,
    verbatim title/body/placeholders; ``docs/importing.md``). Empty for crawled articles."""


@dataclass
class FetchFailure:
    """A URL that could not be archived, on its way to the writer's failure table."""

    url: str
    portal: str
    reason: str
    """Short machine-friendly reason: ``http_404``, ``timeout``, ``dns``, ``no_title`` …"""
    detail: str = ""
    """Human-readable detail for the log and the index."""


@dataclass
class ImageRetry:
    """An archived article sent through the images pipeline again (its images that failed),
    so the writer can rewrite its post once they are stored. Not an ``ArticleItem``: the
    normalize/validate/dedupe pipelines let it pass untouched."""

    article: ArticleItem
    origin: str = "crawl"
    """``origin`` of the stored article (``crawl`` or ``import``), kept when rewritten."""
    imported_from: str | None = None


@dataclass
class RawPage:
    """An article page the crawl's process did not parse: the writer child parses it where it
    writes it (``ARCHIVE_PARSE_IN_WRITER``; the reader is the crawl's, ``WriterConfig.reader``).
    Not an ``ArticleItem``: pipelines 100–400 step aside whenever pages are parsed there."""

    url: str
    """The article's URL (its first page): the item's and a failure row's URL."""
    portal: str
    text: str
    """The decoded HTML of the page to read (the last page of a multi-page article)."""
    encoding: str
    page_url: str
    """The URL of the page ``text`` is (differs from ``url`` after the first page)."""
    base_url: str
    """The page's base URL (``<base href>`` or ``page_url``), as Scrapy's selector has it."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Request meta the item is built from (``feed_published``, ``archive_fetched_at``)."""
    parsed: tuple[str, dict[str, str], list[str]] | None = None
    """Already parsed (a multi-page article, bodies joined): ``(parser, fields, failed)``; the
    writer child only runs the breakage alarm on it."""
