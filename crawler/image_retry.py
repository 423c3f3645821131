"""Crawl runs retry the failed images of a portal's archived articles.

A spider middleware: after the spider's own start requests, ``process_start`` yields an
:class:`~archive.items.ImageRetry` per archived article of the portal with an image that
failed (fewer than ``ARCHIVE_IMAGES_MAX_ATTEMPTS`` requests so far) or that has been stored
meanwhile through another article. The images pipeline tries them again (Referer = the
article) and the writer rewrites the post when one succeeds. The index is only read here.
Off for ``fetch`` runs (only the URLs asked for), ``--refresh`` runs (every article and its
images are fetched again anyway) and with ``ARCHIVE_IMAGES_RETRY = False``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from sqlite_utils import Database

from crawler.spiders.base import PortalSpider

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


class RetryImagesMiddleware:
    def __init__(self, crawler: Crawler, index_path: Path, max_attempts: int) -> None:
        self.crawler = crawler
        self.index_path = index_path
        self.max_attempts = max_attempts

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryImagesMiddleware:
        settings = crawler.settings
        if not (
            settings.getbool("ARCHIVE_IMAGES_RETRY", True)
            and settings.getbool("ARCHIVE_IMAGES_DOWNLOAD", True)
            and settings.getbool("ARCHIVE_WRITE", True)
            and not settings.getbool("ARCHIVE_REFRESH")
        ):
            logger.debug("RetryImagesMiddleware off: no image retries in this run")
            raise NotConfigured  # no message: Scrapy would print it as a WARNING
        index_path = Path(settings.get("ARCHIVE_DIR", "archive-data")) / "index.db"
        return cls(crawler, index_path, settings.getint("ARCHIVE_IMAGES_MAX_ATTEMPTS", 5))

    def retries(self, portal: str) -> list[Any]:
        """The :class:`ImageRetry` items of ``portal`` (read-only; none without an index)."""
        from archive.image_index import retry_candidates
        from archive.records import archived_articles

        if not self.index_path.is_file():
            return []
        conn = sqlite3.connect(f"file:{self.index_path}?mode=ro", uri=True)
        try:
            db = Database(conn)
            if "image_urls" not in db.table_names():
                return []
            ids = retry_candidates(db, portal=portal, max_attempts=self.max_attempts)
            return list(archived_articles(db, ids))
        finally:
            conn.close()

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item in start:
            yield item
        spider: Any = self.crawler.spider
        if not isinstance(spider, PortalSpider) or spider.article_urls:
            return
        for retry in self.retries(spider.name):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("archive/images/retried_articles")
            yield retry
