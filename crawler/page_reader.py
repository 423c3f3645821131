"""Reading an article page into an item: the portal parser, its failures, the breakage alarm.

One reading for both places a page can be read in:

* the crawl's process (:class:`crawler.spiders.base.PortalSpider`: multi-page articles,
  ``fetch``, ``reextract``, distributed workers, image downloads on), and
* the writer child (``ARCHIVE_PARSE_IN_WRITER``): the crawl's process only downloads and
  sends each single-page article as a :class:`~archive.items.RawPage`; the child, started as
  ``python -c "from crawler.page_reader import main; main()"``, reads it with
  :class:`PageReader` where it writes it. A run's pages are then all checked by the child's
  one :class:`~crawler.alarm.ParserAlarm` (a multi-page article arrives already parsed), and
  what the crawl's process would have logged and counted comes back with each batch's answer
  (``archive.write_process.Reading``), so logs, stats, failure rows and the alarm are the same
  wherever pages are read.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from parsel import Selector

from archive.items import ArticleItem, FetchFailure, RawPage
from archive.normalize import parse_published
from archive.write_process import Reading
from archive.write_process import main as write_process_main
from crawler.alarm import ParserAlarm
from crawler.parsers.base import ExtractorError, Page, ParseResult, ParserProxy
from crawler.urls import UrlPolicy

ENTRY = "crawler.page_reader"
"""The module whose ``main()`` runs a writer child that reads pages."""


@dataclass(frozen=True)
class Taxonomy:
    """Front-matter categories and author of a portal's (or feed's) articles."""

    categories: tuple[str, ...]
    author: str


@dataclass(frozen=True)
class ArticleBuilder:
    """How a portal's parse result becomes its item (the spider's settings, picklable)."""

    portal: str
    url_policy: UrlPolicy
    taxonomy: Taxonomy
    author_fixed: bool
    """Whether ``ARCHIVE_TAXONOMY`` sets the author (then page bylines are ignored)."""
    language: str

    def build(self, url: str, encoding: str, meta: Any, result: ParseResult) -> ArticleItem:
        """The item of an article read from ``url`` (its first page) with ``result``."""
        feed_date = meta.get("feed_published") or ""
        fields = result.fields
        return ArticleItem(
            url=url,
            portal=self.portal,
            canonical_url=self.url_policy.canonical(fields.get("canonical_url", ""), url),
            title_raw=fields.get("title", ""),
            source_raw=fields.get("source", ""),
            author=self.author_for(fields.get("author", "")),
            categories=self.categories_for(fields.get("category", "")),
            published_raw=fields.get("published", ""),
            body_raw=fields.get("body", ""),
            parser=result.parser,
            encoding=encoding,
            # the WARC-Date when the response was captured or replayed (crawler/warc.py)
            fetched_at=meta.get("archive_fetched_at") or datetime.now(UTC).replace(microsecond=0),
            feed_published=parse_published(feed_date) if feed_date else None,
            parse_errors=result.failed,
            language=fields.get("language") or self.language,
        )

    def author_for(self, page_author: str) -> str:
        """The byline the page gives, else the taxonomy's; an ``ARCHIVE_TAXONOMY`` author wins."""
        if self.author_fixed:
            return self.taxonomy.author
        return " ".join(page_author.split()) or self.taxonomy.author

    def categories_for(self, page_category: str) -> list[str]:
        """The taxonomy's categories, then the page's own channel when it adds one."""
        categories = list(self.taxonomy.categories)
        category = " ".join(page_category.split())
        if category and category not in categories:
            categories.append(category)
        return categories


Log = Callable[[int, str, "BaseException | None"], None]
"""``log(level, message, exception)``: where a reading's log lines go."""
Count = Callable[[str], None]
"""``count(stats key)``: where a reading's counters go."""


def read_page(
    parser: type[ParserProxy], portal: str, page: Page, log: Log, count: Count
) -> ParseResult | FetchFailure:
    """The portal parser on one page (``errors="suppress"``): its result, each missing field
    counted (``archive/parse_error/<field>``) and logged, or a ``parser_crash`` failure."""
    try:
        result = parser(portal).parse(page, errors="suppress")
    except ExtractorError as exc:  # a required field crashed, or a module is missing
        log(logging.ERROR, f"{exc} on {page.url}", None)
        log(logging.DEBUG, str(exc), exc.__cause__)
        return FetchFailure(page.url, portal, "parser_crash", str(exc))
    except Exception as exc:  # e.g. a version selector that cannot compile: record, go on
        log(logging.ERROR, f"Parser {parser.__name__} crashed on {page.url}", exc)
        detail = f"extractor failed: {type(exc).__name__}: {exc}"
        return FetchFailure(page.url, portal, "parser_crash", detail)
    for name in result.failed:
        count(f"archive/parse_error/{name}")
        log(logging.WARNING, f"No {name} on {page.url} ({result.parser})", None)
    return result


def generic_fallback(portal: str, page: Page, log: Log) -> ParseResult:
    """The generic extractor on a page the portal parser could not read (the alarm)."""
    from crawler.parsers.generic import GenericParser

    try:
        return GenericParser(portal).parse(page, errors="suppress")
    except ExtractorError as exc:  # the portal parser's own fields stay; say why, once
        log(logging.ERROR, f"Generic fallback: {exc} on {page.url}", None)
        log(logging.DEBUG, str(exc), exc.__cause__)
        return ParseResult(parser="generic", fields={}, failed=[exc.field_name])


def page_of(raw: RawPage) -> Page:
    """The page of a :class:`RawPage`, parsed as the crawl's ``Selector(response=…)`` would."""
    selector = Selector(text=raw.text, type="html", base_url=raw.base_url)
    return Page.from_selector(selector, raw.page_url)


@dataclass(frozen=True)
class ReaderConfig:
    """What the writer child needs to read a spider's pages (sent once, pickled)."""

    parser: type[ParserProxy]
    builder: ArticleBuilder
    logger: str
    """The spider's logger name: the child's log lines are logged there by the crawl."""
    threshold: float
    min_pages: int
    use_fallback: bool
    hold: bool


@dataclass
class _Sink:
    """Counters and log lines of one reading (sent back with the batch's answer)."""

    logger: str
    counts: dict[str, int] = field(default_factory=dict)
    logs: list[tuple[str, int, str]] = field(default_factory=list)

    def inc_value(self, key: str, count: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + count

    def set_value(self, key: str, value: int) -> None:  # archive/degraded: set once per run
        self.counts[key] = value

    def log(self, level: int, message: str, exc: BaseException | None) -> None:
        if exc is not None:
            text = "".join(traceback.format_exception(exc)).rstrip()
            message = f"{message}\n{text}"
        self.logs.append((self.logger, level, message))


class PageReader:
    """The writer child's reader (``archive.write_process.PageReading``): one per run."""

    def __init__(self, config: ReaderConfig) -> None:
        self.config = config
        self.sink = _Sink(config.logger)
        self.alarm = ParserAlarm(
            threshold=config.threshold,
            min_pages=config.min_pages,
            fallback=self._fallback,
            stats=self.sink,
            use_fallback=config.use_fallback,
            hold=config.hold,
        )

    def _fallback(self, page: Page) -> ParseResult:
        return generic_fallback(self.config.builder.portal, page, self.sink.log)

    def _reading(self) -> Reading:
        sink, self.sink = self.sink, _Sink(self.config.logger)
        self.alarm.stats = self.sink
        return Reading(counts=sink.counts, logs=sink.logs)

    def read(self, raw: RawPage) -> Reading:
        """One page: its item (or failure, or held by the alarm) and the items the alarm
        released with it."""
        page = page_of(raw)
        if raw.parsed is not None:
            parser, fields, failed = raw.parsed
            found: ParseResult | FetchFailure = ParseResult(parser, fields, failed)
        else:
            found = read_page(
                self.config.parser,
                self.config.builder.portal,
                page,
                self.sink.log,
                self.sink.inc_value,
            )
        if isinstance(found, FetchFailure):
            reading = self._reading()
            reading.failure = found
            return reading

        def build(result: ParseResult) -> ArticleItem:
            return self.config.builder.build(raw.url, raw.encoding, raw.meta, result)

        items = list(self.alarm.check(page, found, build))
        held = bool(self.alarm.held) and self.alarm.held[-1].page is page
        reading = self._reading()
        if held:
            reading.held = True
            reading.released = items
        else:
            reading.item, reading.released = items[0], items[1:]
        return reading

    def release(self) -> Reading:
        """The pages the alarm still holds when the run ends."""
        items = list(self.alarm.release())
        reading = self._reading()
        reading.released = items
        return reading


def main() -> None:
    """Entry point of a writer child that reads pages (see the module doc)."""
    write_process_main(PageReader)
