"""``PortalSpider``: discovery (listings with pagination, RSS/Atom feeds, sitemaps) and articles.

Portal modules only declare URLs, selectors, a parser and a taxonomy. This class owns the
crawling logic and turns every failure into a :class:`~archive.items.FetchFailure` item
for the writer, so nothing fails silently.
"""

from __future__ import annotations

import builtins
import gc
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DontCloseSpider,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.selector import Selector
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_base_url
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

from archive.errors import exception_text
from archive.items import ArticleItem, FetchFailure, RawPage
from crawler import discovery
from crawler.alarm import ParserAlarm, broken_fields
from crawler.downloader import failure_reason_of
from crawler.encoding import fix_encoding
from crawler.page_reader import (
    ENTRY,
    ArticleBuilder,
    ReaderConfig,
    Taxonomy,
    generic_fallback,
    read_page,
)
from crawler.parsers.base import Page, ParseResult, ParserProxy
from crawler.parsers.pagination import first_page_url, may_have_next_page, next_page_url
from crawler.spiders.listings import ListingFormat
from crawler.urls import UrlPolicy


@dataclass(frozen=True)
class PagesSoFar:
    """A multi-page article being fetched: its first page's fields and the bodies read so far
    (``meta["archive_pages"]`` of the request for the next page; plain values only)."""

    url: str
    """The article's URL (its first page): the item's and a failure row's URL."""
    first_url: str
    """The first page's URL the following pages are numbered against (its canonical URL)."""
    encoding: str
    item_meta: dict[str, Any]
    result: ParseResult
    bodies: tuple[str, ...]
    page: int
    """The number of the last page read."""
    urls: tuple[str, ...] = field(default=())


INCOMPLETE = "incomplete"
"""Failure reason of a multi-page article one of whose pages could not be read."""
ITEM_META = ("feed_published", "archive_fetched_at")
"""Request meta an article item is built from (kept across the pages of an article)."""
LISTING_LEAD = 16
"""Articles of a listing page still to be requested when its next listing page is: the next
page is fetched and parsed while these are downloaded, so the downloader never runs dry
waiting for a listing (about ``CONCURRENT_REQUESTS``)."""


def listing_priorities(page: int) -> tuple[int, int, int]:
    """Scrapy priorities for what listing page ``page`` finds: ``(its first articles, the next
    listing page, its last LISTING_LEAD articles)``.

    Each listing page's articles rank above the next page's, so the frontier holds about one
    listing page of requests however long the crawl is (memory stays flat; Scrapy's default
    LIFO queue would otherwise pop the next listing page, yielded last, first and walk every
    listing page before any article), and the next listing page is requested before the last
    :data:`LISTING_LEAD` articles of this one, so its articles are there before the downloader
    runs dry. A distributed worker raises listing requests far above articles again
    (``crawler.distributed.LISTING_PRIORITY``): there, listings widen the shared frontier for
    the other workers.

    >>> listing_priorities(1), listing_priorities(2)
    ((-3, -4, -5), (-6, -7, -8))
    """
    return -3 * page, -3 * page - 1, -3 * page - 2


FAILURE_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((CannotResolveHostError, DNSLookupError), "dns"),
    ((DownloadTimeoutError, TimeoutError, TCPTimedOutError, builtins.TimeoutError), "timeout"),
    ((DownloadConnectionRefusedError, ConnectionRefusedError), "connection"),
    ((ResponseDataLossError, DownloadFailedError), "download"),
    ((IgnoreRequest,), "ignored"),
)
"""Exception classes → the short reason recorded in ``failures``."""


def page_selector(response: TextResponse) -> Selector:
    """The page parsed once, as ``response.selector`` would be, but not cached on the
    response: Scrapy keeps a response until its items are through the pipelines (with a writer
    process, until their batch is durable), and its lxml tree need not live that long."""
    return Selector(response=response)


def failure_reason(failure: Failure) -> tuple[str, str]:
    """``(reason, detail)`` for a download failure, e.g. ``("http_404", "HTTP 404 …")``."""
    value = failure.value
    if isinstance(value, HttpError):
        status = value.response.status
        return f"http_{status}", f"HTTP {status} for {value.response.url}"
    detail = (exception_text(value) if value is not None else "") or type(value).__name__
    refused = failure_reason_of(value)  # robots, size limits, refused redirects
    if refused:
        return refused, detail
    if "SSL" in detail and isinstance(value, (DownloadFailedError, ResponseFailed)):
        return "tls", detail  # a TLS handshake or certificate failure
    for classes, reason in FAILURE_REASONS:
        if isinstance(value, classes):
            return reason, detail
    return type(value).__name__.lower(), detail


class PortalSpider(scrapy.Spider):
    """Base of every portal spider; subclasses are declarative (see ``ofweek.py``)."""

    real_base_url: ClassVar[str]
    domains: ClassVar[tuple[str, ...]]
    listing_paths: ClassVar[tuple[str, ...]] = ()
    feed_paths: ClassVar[tuple[str, ...]] = ()
    """Feeds below the base URL, used when the spider is pointed at another host."""
    feed_urls: ClassVar[tuple[str, ...]] = ()
    """Absolute feed URLs of the real site (e.g. an RSSHub route)."""
    sitemap_paths: ClassVar[tuple[str, ...]] = ()
    """Sitemaps (urlset, index, news, ``.xml.gz``) or ``/robots.txt`` below the base URL."""
    listing_links_css: ClassVar[str] = "a"
    next_page_css: ClassVar[str] = "a.next::attr(href)"
    article_url_pattern: ClassVar[str] = r"."
    listing: ClassVar[ListingFormat | None] = None
    """A non-HTML listing format (``crawler/spiders/listings.py``); ``None``: the CSS above."""
    listing_headers: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Headers of listing requests; ``{base}`` is replaced by the base URL (AJAX lists)."""
    parser: ClassVar[type[ParserProxy]]
    taxonomy: ClassVar[Taxonomy]
    page_encoding: ClassVar[str | None] = None
    """The portal's real page encoding, used when a page's declaration is missing or lies."""
    page_timezone: ClassVar[str] = "Asia/Shanghai"
    """Zone of the portal's naive page times; another one sets ``ARCHIVE_PAGE_TIMEZONE``
    for this spider's crawls (at spider priority: ``--set`` still wins)."""
    language: ClassVar[str] = "zh"
    """Language of the portal's articles, unless the parser finds one in the page."""

    def __init__(
        self,
        *args: Any,
        base_url: str | None = None,
        urls: str | Iterable[str] | None = None,
        max_pages: int | str | None = None,
        listing_urls: str | Iterable[str] | None = None,
        sources: str | Iterable[str] | None = None,
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
        if isinstance(sources, str):
            sources = [u for u in sources.split(",") if u.strip()]
        self.sources = list(sources or [])
        """Feeds, sitemaps, robots files or listings to start from (kind found by content)."""
        self.since: datetime | None = None
        self.alarm = ParserAlarm(threshold=0.2, min_pages=10, fallback=self.fallback_parse)
        self._max_pages_arg = int(max_pages) if max_pages else None
        self._article_re = re.compile(self.article_url_pattern)
        # resolved against the settings in from_crawler
        self.base_url: str = (base_url or self.real_base_url).rstrip("/")
        self.max_pages: int = self._max_pages_arg or 5
        self.allowed_domains: list[str] = list(self.domains)
        self.active_taxonomy: Taxonomy = self.taxonomy
        self.author_fixed = False
        """Whether ``ARCHIVE_TAXONOMY`` sets the author (then page bylines are ignored)."""
        self.discovered: set[str] = set()
        self.follow_pages = True
        """``ARCHIVE_FOLLOW_PAGES``: read a multi-page article's following pages."""
        self.parse_in_writer = False
        """Article pages are read in the writer child (``ARCHIVE_PARSE_IN_WRITER``; set by the
        writer pipeline when its child accepted :meth:`page_reader_config`)."""
        self.url_policy = UrlPolicy(urlsplit(self.base_url).hostname or "", self.domains)

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        if cls.page_timezone != PortalSpider.page_timezone:
            settings.set("ARCHIVE_PAGE_TIMEZONE", cls.page_timezone, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, PortalSpider)
        settings = crawler.settings
        spider.base_url = (
            spider._base_url_arg or settings.get("ARCHIVE_BASE_URL") or spider.real_base_url
        ).rstrip("/")
        spider.max_pages = spider._max_pages_arg or settings.getint("ARCHIVE_MAX_LISTING_PAGES", 5)
        starts = [spider.base_url, *spider.article_urls, *spider.listing_urls, *spider.sources]
        hosts = {urlsplit(u).hostname or "" for u in starts}
        hosts.update(urlsplit(u).hostname or "" for u in spider.feeds())
        spider.allowed_domains = sorted({*spider.domains, *(h for h in hosts if h)})
        spider.url_policy = UrlPolicy(
            urlsplit(spider.base_url).hostname or "",
            tuple(spider.allowed_domains),
            tuple(settings.getlist("ARCHIVE_TRACKING_PARAMS")),
        )
        override = settings.getdict("ARCHIVE_TAXONOMY").get(spider.name)
        spider.author_fixed = bool(override and "author" in override)
        if override:
            spider.active_taxonomy = Taxonomy(
                categories=tuple(override.get("categories", spider.taxonomy.categories)),
                author=str(override.get("author", spider.taxonomy.author)),
            )
        else:
            spider.active_taxonomy = spider.taxonomy
        max_age = settings.getfloat("ARCHIVE_SITEMAP_MAX_AGE_DAYS", 0)
        spider.since = datetime.now(UTC) - timedelta(days=max_age) if max_age > 0 else None
        spider.alarm = ParserAlarm(
            threshold=settings.getfloat("ARCHIVE_DEGRADED_THRESHOLD", 0.2),
            min_pages=settings.getint("ARCHIVE_DEGRADED_MIN_PAGES", 10),
            fallback=spider.fallback_parse,
            use_fallback=settings.getbool("ARCHIVE_GENERIC_FALLBACK", True),
            each_page=settings.getbool("ARCHIVE_FALLBACK_EACH_PAGE", False),
            hold=settings.getbool("ARCHIVE_ALARM_HOLD", True),
        )
        spider.follow_pages = settings.getbool("ARCHIVE_FOLLOW_PAGES", True)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    # --- discovery -----------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.alarm.stats = self.crawler.stats  # set once the crawl has started
        # what start-up made (modules, settings, the index's state) lives as long as the
        # crawl: out of the cyclic collector's way, whose full passes would walk it again and
        # again (a crawl allocates a lot: Scrapy's per-response tasks and callbacks)
        gc.freeze()
        for request in self.start_requests_list():
            yield request

    def start_requests_list(self) -> Iterator[scrapy.Request]:
        if self.article_urls:
            for url in self.article_urls:
                yield self.article_request(url)
            return
        if self.sources:
            for url in self.sources:
                yield self.source_request(url)
            return
        listings = self.listing_urls or [self.base_url + path for path in self.listing_paths]
        for url in listings:
            yield self.listing_request(url, page=1)
        if self.listing_urls:
            return
        for url in self.feeds():
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error)
        for path in self.sitemap_paths:
            yield self.source_request(self.base_url + path)

    def feeds(self) -> list[str]:
        if self.base_url != self.real_base_url.rstrip("/"):
            return [self.base_url + path for path in self.feed_paths]
        return list(self.feed_urls)

    def article_request(self, url: str, priority: int = 0, **meta: Any) -> scrapy.Request:
        if url not in self.discovered:
            self.discovered.add(url)
            self.crawler.stats.inc_value("archive/discovered")
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={"archive_article": True, **meta},
            priority=priority,
        )

    def listing_request(self, url: str, page: int) -> scrapy.Request:
        headers = {k: v.format(base=self.base_url) for k, v in self.listing_headers}
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.on_error,
            cb_kwargs={"page": page},
            headers=headers or None,
            priority=listing_priorities(page - 1)[1] if page > 1 else 0,
        )

    def listing_output(
        self, page: int, article_urls: Iterable[str], next_request: scrapy.Request | None
    ) -> Iterator[scrapy.Request]:
        """A listing page's article requests and next listing request, in the order of
        :func:`listing_priorities`."""
        first, _, last = listing_priorities(page)
        urls = list(article_urls)
        lead = max(0, len(urls) - LISTING_LEAD)
        for position, url in enumerate(urls):
            yield self.article_request(url, priority=first if position < lead else last)
        if next_request is not None:
            yield next_request

    def is_article_url(self, url: str) -> bool:
        return bool(self._article_re.search(url))

    def parse_listing(self, response: Response, page: int) -> Iterator[Any]:
        self.crawler.stats.inc_value("archive/listing_pages")
        if self.listing is not None:
            assert isinstance(response, TextResponse)
            found = self.listing.links(response, self.base_url)
            urls = (self.url_policy.request_url(u) for u in found.articles)  # crawler/urls.py
            following = None
            if found.next_url and page < self.max_pages:
                following = self.listing_request(found.next_url, page=page + 1)
            yield from self.listing_output(
                page, (u for u in urls if self.is_article_url(u)), following
            )
            return
        links: list[str] = []
        for href in response.css(self.listing_links_css).xpath("@href").getall():  # "a, b" too
            url = self.url_policy.request_url(response.urljoin(href.strip()))  # crawler/urls.py
            if self.is_article_url(url):
                links.append(url)
        next_href = response.css(self.next_page_css).get()
        following = None
        if next_href and page < self.max_pages:
            following = response.follow(
                next_href.strip(),
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"page": page + 1},
                priority=listing_priorities(page)[1],
            )
        yield from self.listing_output(page, links, following)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        self.crawler.stats.inc_value("archive/feeds")
        entries = discovery.parse_feed(response.body, response.url, content_type)
        yield from self.entry_requests(entries)

    # --- sitemaps, robots files and discovery URLs of unknown kind --------------------------
    def source_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_source, errback=self.on_error)

    def parse_source(self, response: Response) -> Iterator[Any]:
        """A feed, sitemap (index, news, gzip), robots file or listing: found by content."""
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        try:
            body = discovery.decompress(response.body, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except discovery.DiscoveryError as exc:
            yield FetchFailure(response.url, self.name, "bad_sitemap", str(exc))
            return
        kind = discovery.detect_kind(body, content_type, response.url)
        self.logger.info("Discovery %s is a %s", response.url, kind)
        if kind == "feed":
            yield from self.parse_feed(response.replace(body=body))
        elif kind == "robots":
            for url in discovery.robots_sitemaps(body, response.url):
                yield self.source_request(url)
        elif kind in {"sitemap", "sitemapindex"}:
            yield from self.parse_sitemap(body)
        elif isinstance(response, TextResponse):
            yield from self.parse_listing(response, page=1)
        else:
            self.logger.warning(
                "Ignored %s: not a feed, sitemap, robots file or page", response.url
            )

    def parse_sitemap(self, body: bytes) -> Iterator[Any]:
        self.crawler.stats.inc_value("archive/sitemaps")
        kind, entries = discovery.parse_sitemap(body)
        if kind == "sitemapindex":
            for entry in entries:
                if discovery.is_recent(entry, self.since):
                    yield self.source_request(entry.url)
            return
        yield from self.entry_requests(entries)

    def entry_requests(self, entries: Iterable[discovery.Entry]) -> Iterator[scrapy.Request]:
        """Article requests for the feed or sitemap entries that look like articles."""
        for entry in entries:
            url = self.url_policy.request_url(entry.url)  # crawler/urls.py
            if not self.is_article_url(url):
                continue
            if not discovery.is_recent(entry, self.since):
                self.crawler.stats.inc_value("archive/skipped_old")
                continue
            yield self.article_request(url, feed_published=entry.published)

    # --- articles ------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
            yield FetchFailure(response.url, self.name, "not_html", f"{content_type} is not HTML")
            return
        fixed = fix_encoding(response, self.page_encoding)
        if fixed is not response:
            self.crawler.stats.inc_value("archive/encoding_fixed")
            self.logger.info("Re-decoded %s as %s", response.url, fixed.encoding)
        if self.parse_in_writer and not (self.follow_pages and may_have_next_page(fixed.text)):
            yield self.raw_page(fixed)  # no next page: read where it is written
            return
        page = Page.from_selector(page_selector(fixed), fixed.url)
        result = read_page(self.parser, self.name, page, self._log, self.crawler.stats.inc_value)
        if isinstance(result, FetchFailure):
            yield result
            return
        if self.follow_pages and not broken_fields(result):
            first = first_page_url(page, result.fields.get("canonical_url", ""))
            next_url = next_page_url(page, first, 1)
            if next_url:  # the article goes on: its item is built after its last page
                self.crawler.stats.inc_value("archive/multipage")
                pages = PagesSoFar(
                    url=fixed.url,
                    first_url=first,
                    encoding=fixed.encoding,
                    item_meta=self.item_meta(fixed),
                    result=result,
                    bodies=(result.fields.get("body", ""),),
                    page=1,
                    urls=(fixed.url,),
                )
                yield self.page_request(next_url, pages)
                return
        if self.parse_in_writer:  # the run's breakage alarm is the writer child's
            yield self.raw_page(fixed, result)
            return
        yield from self.alarm.check(page, result, lambda r: self.article_item(fixed, r))

    def _log(self, level: int, message: str, exc: BaseException | None) -> None:
        self.logger.log(level, "%s", message, exc_info=exc)

    def item_meta(self, response: Response) -> dict[str, Any]:
        """The request meta an article's item is built from (:data:`ITEM_META`)."""
        return {k: response.meta[k] for k in ITEM_META if k in response.meta}

    def raw_page(
        self,
        fixed: TextResponse,
        result: ParseResult | None = None,
        *,
        url: str = "",
        encoding: str = "",
        meta: dict[str, Any] | None = None,
    ) -> RawPage:
        """An article page for the writer child to read (``ARCHIVE_PARSE_IN_WRITER``), or
        with ``result`` to run the breakage alarm on (the page is the fallback's input)."""
        meta = dict(self.item_meta(fixed) if meta is None else meta)
        meta.setdefault("archive_fetched_at", datetime.now(UTC).replace(microsecond=0))
        return RawPage(
            url=url or fixed.url,
            portal=self.name,
            text=fixed.text,
            encoding=encoding or fixed.encoding,
            page_url=fixed.url,
            base_url=get_base_url(fixed),
            meta=meta,
            parsed=(result.parser, result.fields, result.failed) if result is not None else None,
        )

    def page_reader(self) -> tuple[str, ReaderConfig] | None:
        """How the writer child reads this spider's pages: the module its child runs and the
        reader's configuration; ``None``: they are read here (the alarm judges each page at
        once, as ``fetch`` asks, or there is no alarm)."""
        alarm = self.alarm
        if not alarm.enabled or alarm.each_page:
            return None
        return ENTRY, ReaderConfig(
            parser=self.parser,
            builder=self.article_builder,
            logger=self.logger.logger.name,
            threshold=alarm.threshold,
            min_pages=alarm.min_pages,
            use_fallback=alarm.use_fallback,
            hold=alarm.hold,
        )

    # --- multi-page articles (crawler/parsers/pagination.py) ------------------------------
    def page_request(self, url: str, pages: PagesSoFar) -> scrapy.Request:
        """The request of the next page of an article (captured in WARC like an article)."""
        return scrapy.Request(
            url,
            callback=self.parse_next_page,
            errback=self.on_page_error,
            meta={"archive_pages": pages, "archive_article": True},
        )

    def parse_next_page(self, response: Response) -> Iterator[Any]:
        """Page ``n > 1`` of an article: its body appended; the item after the last page."""
        pages: PagesSoFar = response.meta["archive_pages"]
        number = pages.page + 1
        if not isinstance(response, TextResponse):
            yield self.incomplete(pages, response.url, "not_html", "not an HTML page")
            return
        fixed = fix_encoding(response, self.page_encoding)
        page = Page.from_selector(page_selector(fixed), fixed.url)
        try:
            part = self.parser(self.name).parse(page, errors="suppress")
        except Exception as exc:
            yield self.incomplete(pages, fixed.url, "parser_crash", f"{type(exc).__name__}: {exc}")
            return
        body = part.fields.get("body", "")
        if not body or fixed.url in pages.urls:
            yield self.incomplete(pages, fixed.url, "no_body", f"page {number} has no article text")
            return
        pages = replace(
            pages, bodies=(*pages.bodies, body), page=number, urls=(*pages.urls, fixed.url)
        )
        next_url = next_page_url(page, pages.first_url, number)
        if next_url:
            yield self.page_request(next_url, pages)
            return
        self.logger.info("Read %s in %d pages", pages.url, number)
        fields = {**pages.result.fields, "body": "\n".join(pages.bodies)}
        result = replace(pages.result, fields=fields)
        if self.parse_in_writer:  # the run's breakage alarm is the writer child's
            yield self.raw_page(
                fixed, result, url=pages.url, encoding=pages.encoding, meta=pages.item_meta
            )
            return
        yield from self.alarm.check(
            page,
            result,
            lambda r: self.build_item(pages.url, pages.encoding, pages.item_meta, r),
        )

    def on_page_error(self, failure: Failure) -> Iterator[FetchFailure]:
        """A page after the first failed: the whole article is a failure row (retried)."""
        reason, detail = failure_reason(failure)
        request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errbacks
        pages: PagesSoFar = request.meta["archive_pages"]
        yield self.incomplete(pages, request.url, reason, detail)

    def incomplete(self, pages: PagesSoFar, url: str, reason: str, detail: str) -> FetchFailure:
        """The failure row of an article one of whose pages could not be read: never short."""
        self.crawler.stats.inc_value("archive/fetch_failed/incomplete")
        self.logger.warning("Incomplete article %s: page %d %s", pages.url, pages.page + 1, url)
        return FetchFailure(
            url=pages.url,
            portal=self.name,
            reason=INCOMPLETE,
            detail=f"page {pages.page + 1} ({url}) {reason}: {detail}".strip(),
        )

    def fallback_parse(self, page: Page) -> ParseResult:
        """The generic extractor on a page the portal parser could not read (the alarm)."""
        return generic_fallback(self.name, page, self._log)

    def on_idle(self) -> None:
        """Release the pages the alarm still holds, through one ``data:`` request."""
        if self.alarm.held:
            request = scrapy.Request("data:,", callback=self.release_held, dont_filter=True)
            self.crawler.engine.crawl(request)
            raise DontCloseSpider

    def release_held(self, response: Response) -> Iterator[Any]:
        yield from self.alarm.release()

    def article_item(self, fixed: TextResponse, result: ParseResult) -> ArticleItem:
        return self.build_item(fixed.url, fixed.encoding, fixed.meta, result)

    @property
    def article_builder(self) -> ArticleBuilder:
        """How this spider's parse results become items (:mod:`crawler.page_reader`)."""
        return ArticleBuilder(
            portal=self.name,
            url_policy=self.url_policy,
            taxonomy=self.active_taxonomy,
            author_fixed=self.author_fixed,
            language=self.language,
        )

    def build_item(self, url: str, encoding: str, meta: Any, result: ParseResult) -> ArticleItem:
        """The item of an article read from ``url`` (its first page) with ``result``."""
        return self.article_builder.build(url, encoding, meta, result)

    def author_for(self, page_author: str) -> str:
        """The byline the page gives, else the taxonomy's; an ``ARCHIVE_TAXONOMY`` author wins."""
        return self.article_builder.author_for(page_author)

    def categories_for(self, page_category: str) -> list[str]:
        """The taxonomy's categories, then the page's own channel when it adds one."""
        return self.article_builder.categories_for(page_category)

    def on_error(self, failure: Failure) -> Iterator[FetchFailure]:
        reason, detail = failure_reason(failure)
        request = getattr(failure, "request", None)
        url = ""
        if request is not None:  # the URL asked for, not where its redirects led
            url = (request.meta.get("redirect_urls") or [request.url])[0]
        self.crawler.stats.inc_value(f"archive/fetch_failed/{reason}")
        # one line per failure; a single-URL run (fetch) leaves it to the caller's error line
        level = logging.INFO if self.article_urls else logging.WARNING
        said = detail.removesuffix(f" for {url}")  # "HTTP 404 for <the URL just printed>"
        self.logger.log(level, "Fetch failed (%s): %s: %s", reason, url, said)
        yield FetchFailure(url=url, portal=self.name, reason=reason, detail=detail)
