"""Incremental crawling: skip articles already in the index, retry recorded failures.

A small async spider middleware instead of scrapy-deltafetch, which crashes on
Scrapy ≥ 2.16 (stack-notes §5). Listing pages and feeds are always fetched; article
requests (``meta["archive_article"]``) whose URL is archived are dropped unless
``ARCHIVE_REFRESH`` is on. Failed article URLs of earlier runs are queued again until
they have failed ``ARCHIVE_MAX_ATTEMPTS`` times. The index is only read here.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import NotConfigured

from archive.normalize import canonical

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


@dataclass
class ArchiveState:
    known: set[str] = field(default_factory=set)
    """Fetched and canonical URLs of archived articles."""
    failures: dict[str, int] = field(default_factory=dict)
    """Failed URL → attempts so far, oldest failure first."""


def read_state(index_path: Path, portal: str) -> ArchiveState:
    """What the index knows about ``portal`` (read-only; empty when there is no index)."""
    state = ArchiveState()
    if not index_path.is_file():
        return state
    con = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)
    try:
        rows = con.execute("select url, canonical_url from articles where portal = ?", [portal])
        for url, canonical_url in rows:
            state.known.update((url, canonical_url))
        rows = con.execute(
            "select url, attempts from failures where portal = ? order by last_failed", [portal]
        )
        state.failures = dict(rows.fetchall())
    except sqlite3.OperationalError:  # an index without these tables yet
        pass
    finally:
        con.close()
    return state


class SkipArchivedMiddleware:
    def __init__(self, crawler: Crawler, index_path: Path, max_attempts: int) -> None:
        self.crawler = crawler
        self.index_path = index_path
        self.max_attempts = max_attempts
        self.state = ArchiveState()
        self.skipped: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipArchivedMiddleware:
        settings = crawler.settings
        if settings.getbool("ARCHIVE_REFRESH"):
            logger.debug("SkipArchivedMiddleware off: ARCHIVE_REFRESH re-fetches archived pages")
            raise NotConfigured  # no message: Scrapy would print it as a WARNING
        index_path = Path(settings.get("ARCHIVE_DIR", "archive-data")) / "index.db"
        return cls(crawler, index_path, settings.getint("ARCHIVE_MAX_ATTEMPTS", 5))

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    def _keep(self, item: Any) -> bool:
        if not (isinstance(item, Request) and item.meta.get("archive_article")):
            return True
        if not self.state.known:  # a first run: nothing to skip (and no URL to canonicalize)
            return True
        if item.url in self.state.known or canonical(item.url) in self.state.known:
            if item.url not in self.skipped:  # listing and feed may both link it
                self.skipped.add(item.url)
                self._inc("archive/skipped_archived")
            return False
        return True

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider: Any = self.crawler.spider
        self.state = read_state(self.index_path, spider.name)
        async for item in start:
            if self._keep(item):
                yield item
        if getattr(spider, "article_urls", None):
            return  # fetch mode: only the URLs asked for
        for url, attempts in self.state.failures.items():
            if attempts < self.max_attempts and spider.is_article_url(url):
                self._inc("archive/retried")
                yield spider.article_request(url)

    async def process_spider_output(
        self, response: Any, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for item in result:
            if self._keep(item):
                yield item
