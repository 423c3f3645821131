"""The single writer: hands each finished item to :class:`archive.store.Archive`.

The only pipeline with side effects. With scrapy-redis workers, this is the part that
runs in one place (see docs/architecture.md, "Beyond one machine").
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from archive.errors import ArchiveLockedError, UnsafePathError
from archive.frontmatter_files import export_options, post_relpath
from archive.items import ArticleItem, FetchFailure, ImageRetry
from archive.lock import ArchiveLock
from archive.runs import finish_run, start_run
from archive.store import Archive, SaveResult

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

article_saved = object()
"""Signal sent after each article is saved: ``item`` and ``result`` (a SaveResult)."""


class ArchiveWriterPipeline:
    """Writes articles (files + index) and records failures; counts ``archive/<status>``."""

    def __init__(self, archive: Archive, crawler: Crawler, *, take_lock: bool = True) -> None:
        self.archive = archive
        self.crawler = crawler
        self.stats = crawler.stats
        self.signals = crawler.signals
        self.lock = ArchiveLock(archive.root) if take_lock else None
        self.run_id: int | None = None
        self.locked_out = False
        self.write = crawler.settings.getbool("ARCHIVE_WRITE", True)
        self.replay = crawler.settings.getbool("ARCHIVE_REPLAY")
        """``reextract``: the portal is not visited, so no ``last_seen`` and no failure rows."""
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveWriterPipeline:
        settings = crawler.settings
        archive = Archive(
            Path(settings.get("ARCHIVE_DIR", "archive-data")), export_options(settings)
        )
        return cls(archive, crawler, take_lock=not settings.getbool("ARCHIVE_LOCK_HELD"))

    def open_spider(self) -> None:
        if not self.write:
            self.lock = None
            return
        if self.lock is not None:
            try:
                self.lock.acquire()
            except ArchiveLockedError as exc:
                self._refuse(str(exc))
                return
        spider: Any = self.crawler.spider
        self.run_id = start_run(self.archive.db, spider.name)

    def _refuse(self, message: str) -> None:
        """Another run holds the archive: say so once and close this spider at once."""
        logger.error("%s", message)
        self.lock = None
        self.locked_out = True

        def close(**kwargs: Any) -> None:  # after every spider_opened handler (stats) ran
            engine = self.crawler.engine
            assert engine is not None
            asyncio.get_event_loop().call_soon(
                lambda: deferred_from_coro(engine.close_spider_async(reason="archive_locked"))
            )

        self._close_on_open = close  # signal receivers are held weakly
        self.signals.connect(close, signal=signals.spider_opened)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Record the run (stats are final by now), then close the index and release."""
        try:
            if self.run_id is not None:
                status = finish_run(self.archive.db, self.run_id, self.stats.get_stats(), reason)
                logger.info("Run %d of %s: %s", self.run_id, spider.name, status)
        finally:
            self.archive.close()
            if self.lock is not None:
                self.lock.release()

    def process_item(self, item: Any) -> Any:
        if self.locked_out:
            raise DropItem("archive locked by another run", log_level="DEBUG")
        if isinstance(item, FetchFailure):
            if self.replay:
                self.stats.inc_value("archive/failed")
            if not self.write or self.replay:
                raise DropItem(f"{item.reason}: {item.url}", log_level="INFO")
            attempts = self.archive.record_failure(item, run_id=self.run_id)
            self.stats.inc_value("archive/failed")
            # the spider already logged the failure as a warning; this only notes the attempt
            raise DropItem(f"{item.reason} (attempt {attempts}): {item.url}", log_level="INFO")
        if isinstance(item, ImageRetry):  # failed images of an archived article, tried again
            if self.write:
                result = self.archive.retry_images(item)
                self.stats.inc_value(f"archive/images/retry_{result.status}")
            return item
        if not isinstance(item, ArticleItem):
            return item
        if not self.write:
            text = self.archive.render(item)
            result = SaveResult("rendered", self.archive.posts_dir / post_relpath(item), "", text)
            self.signals.send_catch_log(article_saved, item=item, result=result)
            return item
        try:
            result = self.archive.save(item, touch=not self.replay)
        except UnsafePathError as exc:  # e.g. posts/<portal> is a link leading out of posts/
            self.archive.record_failure(
                FetchFailure(
                    url=item.url, portal=item.portal, reason="unsafe_path", detail=str(exc)
                ),
                run_id=self.run_id,
            )
            self.stats.inc_value("archive/failed")
            logger.error("Not written (%s): %s", exc, item.url)
            raise DropItem(f"unsafe_path: {exc}", log_level="INFO") from None
        self.stats.inc_value(f"archive/{result.status}")
        self.signals.send_catch_log(article_saved, item=item, result=result)
        logger.info("%s %s -> %s", result.status, item.url, result.path)
        return item

    def item_dropped(self, item: Any, response: Any, exception: Exception, **kwargs: Any) -> None:
        """Record articles dropped by validation as failures (duplicates are not failures)."""
        if not (isinstance(item, ArticleItem) and str(exception).startswith("missing")):
            return
        if self.replay:
            self.stats.inc_value("archive/failed")
        elif self.write:
            reason = "no_" + str(exception).split(":")[0].removeprefix("missing ").split(",")[0]
            self.archive.record_failure(
                FetchFailure(
                    url=item.url, portal=item.portal, reason=reason, detail=str(exception)
                ),
                run_id=self.run_id,
            )
            self.stats.inc_value("archive/failed")


class RetryWriterPipeline:
    """The writer of an image backfill run: records each URL's download or failure
    (``export`` rewrites the posts afterwards, from the index)."""

    def __init__(self, archive: Archive, crawler: Crawler) -> None:
        self.archive = archive
        self.stats = crawler.stats
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryWriterPipeline:
        root = Path(crawler.settings.get("ARCHIVE_DIR", "archive-data"))
        return cls(Archive(root, export_options(crawler.settings)), crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ImageRetry):
            self.archive.record_image_attempts(item.article)
        return item

    def spider_closed(self, spider: Any) -> None:
        self.archive.close()


class ImageRetryWriterPipeline(RetryWriterPipeline):
    """The distributed writer's image back-fill (``portal_archive/writer.py``): records each
    image's download or failure and rewrites the post with them (``Archive.retry_images``),
    as a crawl's image retry does."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ImageRetry):
            result = self.archive.retry_images(item)
            self.stats.inc_value(f"archive/images/retry_{result.status}")
        return item
