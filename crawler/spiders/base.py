"""``PortalSpider``: discovery (listings with pagination, RSS/Atom feeds) and article pages.

Portal modules only declare URLs, selectors, a parser and a taxonomy. This class owns the
crawling logic and turns every failure into a :class:`~crawler.items.FetchFailure` item
for the writer, so nothing fails silently.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawler.encoding import fix_encoding
from crawler.items import ArticleItem, FetchFailure
from crawler.parsers.base import Page, ParserProxy
from pipelines.normalize import parse_published


@dataclass(frozen=True)
class Taxonomy:
    """Front-matter categories and author of a portal's (or feed's) articles."""

    categories: tuple[str, ...]
    author: str


FAILURE_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((CannotResolveHostError, DNSLookupError), "dns"),
    ((DownloadTimeoutError, TimeoutError, TCPTimedOutError, builtins.TimeoutError), "timeout"),
    ((DownloadConnectionRefusedError, ConnectionRefusedError), "connection"),
    ((ResponseDataLossError, DownloadFailedError), "download"),
    ((IgnoreRequest,), "ignored"),
)
"""Exception classes → the short reason recorded in ``failures``."""


def failure_reason(failure: Failure) -> tuple[str, str]:
    """``(reason, detail)`` for a download failure, e.g. ``("http_404", "HTTP 404 …")``."""
    value = failure.value
    if isinstance(value, HttpError):
        status = value.response.status
        return f"http_{status}", f"HTTP {status} for {value.response.url}"
    detail = str(value) or type(value).__name__
    for classes, reason in FAILURE_REASONS:
        if isinstance(value, classes):
            return reason, detail
    return type(value).__name__.lower(), detail


class PortalSpider(scrapy.Spider):
    """Base of every portal spider; subclasses are declarative (see ``ofweek.py``)."""

    portal: ClassVar[str]
    real_base_url: ClassVar[str]
    domains: ClassVar[tuple[str, ...]]
    listing_paths: ClassVar[tuple[str, ...]] = ()
    feed_paths: ClassVar[tuple[str, ...]] = ()
    """Feeds below the base URL, used when the spider is pointed at another host."""
    feed_urls: ClassVar[tuple[str, ...]] = ()
    """Absolute feed URLs of the real site (e.g. an RSSHub route)."""
    listing_links_css: ClassVar[str] = "a"
    next_page_css: ClassVar[str] = "a.next::attr(href)"
    article_url_pattern: ClassVar[str] = r"."
    parser: ClassVar[type[ParserProxy]]
    taxonomy: ClassVar[Taxonomy]
    page_encoding: ClassVar[str | None] = None
    """The portal's real page encoding, used when a page's declaration is missing or lies."""
    page_timezone: ClassVar[str] = "Asia/Shanghai"
    language: ClassVar[str] = "zh"
    """Language of the portal's articles, unless the parser finds one in the page."""

    def __init__(
        self,
        *args: Any,
        base_url: str | None = None,
        urls: str | Iterable[str] | None = None,
        max_pages: int | str | None = None,
        listing_urls: str | Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._base_url_arg = base_url
        if isinstance(urls, str):
            urls = [u for u in urls.split(",") if u.strip()]
        self.article_urls = list(urls or [])
        if isinstance(listing_urls, str):
            listing_urls = [u for u in listing_urls.split(",") if u.strip()]
        self.listing_urls = list(listing_urls or [])
        """Listing pages to start from instead of the portal's listings and feeds."""
        self._max_pages_arg = int(max_pages) if max_pages else None
        self._article_re = re.compile(self.article_url_pattern)
        # resolved against the settings in from_crawler
        self.base_url: str = (base_url or self.real_base_url).rstrip("/")
        self.max_pages: int = self._max_pages_arg or 5
        self.allowed_domains: list[str] = list(self.domains)
        self.active_taxonomy: Taxonomy = self.taxonomy
        self.discovered: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, PortalSpider)
        settings = crawler.settings
        spider.base_url = (
            spider._base_url_arg or settings.get("ARCHIVE_BASE_URL") or spider.real_base_url
        ).rstrip("/")
        spider.max_pages = spider._max_pages_arg or settings.getint("ARCHIVE_MAX_LISTING_PAGES", 5)
        starts = [spider.base_url, *spider.article_urls, *spider.listing_urls]
        hosts = {urlsplit(u).hostname or "" for u in starts}
        hosts.update(urlsplit(u).hostname or "" for u in spider.feeds())
        spider.allowed_domains = sorted({*spider.domains, *(h for h in hosts if h)})
        override = settings.getdict("ARCHIVE_TAXONOMY").get(spider.portal)
        if override:
            spider.active_taxonomy = Taxonomy(
                categories=tuple(override.get("categories", spider.taxonomy.categories)),
                author=str(override.get("author", spider.taxonomy.author)),
            )
        else:
            spider.active_taxonomy = spider.taxonomy
        return spider

    # --- discovery -----------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.start_requests_list():
            yield request

    def start_requests_list(self) -> Iterator[scrapy.Request]:
        if self.article_urls:
            for url in self.article_urls:
                yield self.article_request(url)
            return
        listings = self.listing_urls or [self.base_url + path for path in self.listing_paths]
        for url in listings:
            yield scrapy.Request(
                url,
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"page": 1},
            )
        if self.listing_urls:
            return
        for url in self.feeds():
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error)

    def feeds(self) -> list[str]:
        if self.base_url != self.real_base_url.rstrip("/"):
            return [self.base_url + path for path in self.feed_paths]
        return list(self.feed_urls)

    def article_request(self, url: str, **meta: Any) -> scrapy.Request:
        if url not in self.discovered:
            self.discovered.add(url)
            self.crawler.stats.inc_value("archive/discovered")
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={"archive_article": True, **meta},
        )

    def is_article_url(self, url: str) -> bool:
        return bool(self._article_re.search(url))

    def parse_listing(self, response: Response, page: int) -> Iterator[Any]:
        self.crawler.stats.inc_value("archive/listing_pages")
        for href in response.css(self.listing_links_css + "::attr(href)").getall():
            url = response.urljoin(href.strip())
            if self.is_article_url(url):
                yield self.article_request(url)
        next_href = response.css(self.next_page_css).get()
        if next_href and page < self.max_pages:
            yield response.follow(
                next_href.strip(),
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"page": page + 1},
            )

    def parse_feed(self, response: Response) -> Iterator[Any]:
        assert isinstance(response, TextResponse)
        response.selector.remove_namespaces()
        for entry in response.xpath("//item | //entry"):
            link = entry.xpath("link/@href").get() or entry.xpath("link/text()").get() or ""
            link = response.urljoin(link.strip())
            if not self.is_article_url(link):
                continue
            date = entry.xpath("pubDate/text() | published/text() | updated/text()").get()
            yield self.article_request(link, feed_published=date or "")

    # --- articles ------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
            yield FetchFailure(response.url, self.portal, "not_html", f"{content_type} is not HTML")
            return
        fixed = fix_encoding(response, self.page_encoding)
        if fixed is not response:
            self.crawler.stats.inc_value("archive/encoding_fixed")
            self.logger.info("Re-decoded %s as %s", response.url, fixed.encoding)
        page = Page.from_selector(fixed.selector, fixed.url)  # parsed once, by Scrapy
        result = self.parser().parse(page, errors="suppress")
        for name in result.failed:
            self.crawler.stats.inc_value(f"archive/parse_error/{name}")
            self.logger.warning("No %s on %s (%s)", name, fixed.url, result.parser)
        feed_date = response.meta.get("feed_published") or ""
        fields = result.fields
        yield ArticleItem(
            url=fixed.url,
            portal=self.portal,
            canonical_url=fields.get("canonical_url", ""),
            title_raw=fields.get("title", ""),
            source_raw=fields.get("source", ""),
            author=self.active_taxonomy.author,
            categories=list(self.active_taxonomy.categories),
            published_raw=fields.get("published", ""),
            body_raw=fields.get("body", ""),
            parser=result.parser,
            encoding=fixed.encoding,
            # the WARC-Date when the response was captured or replayed (crawler/warc.py)
            fetched_at=response.meta.get("archive_fetched_at")
            or datetime.now(UTC).replace(microsecond=0),
            feed_published=parse_published(feed_date) if feed_date else None,
            parse_errors=result.failed,
            language=fields.get("language") or self.language,
        )

    def on_error(self, failure: Failure) -> Iterator[FetchFailure]:
        reason, detail = failure_reason(failure)
        request = getattr(failure, "request", None)
        url = request.url if request is not None else ""
        self.crawler.stats.inc_value(f"archive/fetch_failed/{reason}")
        self.logger.warning("Fetch failed (%s): %s", reason, url)
        yield FetchFailure(url=url, portal=self.portal, reason=reason, detail=detail)
