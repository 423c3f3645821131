"""The single writer: hands finished items to :class:`archive.store.Archive` in batches.

The only pipeline with side effects. Articles and failures are buffered and written as one
batch (``Archive.save_batch``: files per batch, one index transaction) every
``ARCHIVE_WRITE_BATCH`` items, every ``ARCHIVE_WRITE_INTERVAL`` seconds and when the spider
closes, before the run is recorded. A killed crawl loses at most the unwritten batch: nothing
marks those articles archived, so the next run fetches them again.

Batches are written by one writer thread with its own index connection, so the crawl goes on
while a batch is rendered, flushed to disk and committed (fsync and SQLite release the GIL).
At most ``ARCHIVE_WRITE_QUEUE`` batches wait for it; beyond that the item pipeline waits, so a
slow disk slows the crawl instead of filling memory. Counts, the ``article_saved`` signal and
the log lines follow each batch once it is durable.

With ``ARCHIVE_WRITE_PROCESS`` (the default for crawls) the batches go to a writer child
process instead (``archive/write_process.py``; where: ``pipelines/write_mode.py``). With
image downloads off the child also normalizes, validates and de-duplicates the items
(pipelines 100–400 step aside), so the crawl's own process only crawls and parses. Each item
then waits in this pipeline until its batch is durable: a drop comes back as the same
``DropItem`` the validate pipelines raise, so logs, signals, stats and failure rows are the
in-process ones. Buffered items are written when the crawl pauses (no item for
:data:`QUIET_FLUSH` seconds), not only by count and age. A child that dies fails the run
(``writer_failed``): nothing it did not commit is marked archived, so the next run fetches it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from archive.errors import ArchiveLockedError, UnsafePathError
from archive.frontmatter_files import export_options, post_relpath, safe_join
from archive.items import ArticleItem, FetchFailure, ImageRetry, RawPage
from archive.lock import ArchiveLock
from archive.runs import finish_run, start_run
from archive.store import Archive, SaveResult, SaveStatus
from archive.write_process import (
    BatchResult,
    Outcome,
    Preparation,
    WriterConfig,
    WriterDiedError,
    WriterProcess,
)
from pipelines.image_urls import image_proxies
from pipelines.write_mode import write_process_mode

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

article_saved = object()
"""Signal sent after each article is saved (its batch is durable): ``item`` and ``result``
(a SaveResult)."""

QUIET_FLUSH = 0.1
"""With a writer process: seconds without a new item after which the buffer is written (the
items wait for their batch, so a pause of the crawl must not wait for a full batch)."""
SAVED = ("new", "updated", "unchanged")


async def _answer_of(sending: asyncio.Future[Future[BatchResult]]) -> BatchResult:
    """The writer process's answer to a batch being sent."""
    return await asyncio.wrap_future(await sending)


class NotWrittenError(Exception):
    """The item's batch could not be written (counted as ``archive/write_error``)."""


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
        self.batch_size = max(1, crawler.settings.getint("ARCHIVE_WRITE_BATCH", 100))
        self.interval = crawler.settings.getfloat("ARCHIVE_WRITE_INTERVAL", 2.0)
        self.pending: list[ArticleItem | RawPage] = []
        self.pending_failures: list[FetchFailure] = []
        self.oldest = 0.0
        """When the oldest buffered item arrived (``time.monotonic()``)."""
        self.timer: LoopingCall | None = None
        self.max_queue = max(0, crawler.settings.getint("ARCHIVE_WRITE_QUEUE", 2))
        """0: no writer thread, batches are written in the crawl's thread."""
        self.executor: ThreadPoolExecutor | None = None
        self.inflight: list[asyncio.Future[Any]] = []
        """Batches handed to the writer thread (or process), not yet written."""
        self.mode = write_process_mode(crawler.settings)
        """``off``: a writer thread (or none); ``write``/``prepare``: a writer process."""
        self.child: WriterProcess | None = None
        self.waiters: list[asyncio.Future[Outcome]] = []
        """With a writer process: one per buffered article, resolved when its batch is done."""
        self.reads_pages = False
        """The writer process reads the spider's article pages (``ARCHIVE_PARSE_IN_WRITER``):
        it holds the run's breakage alarm, whose held pages are released at the end."""
        self.last_arrival = 0.0
        self.slowest_wait = 0.0
        """Longest back-pressure wait of an item so far (``archive/writer/longest_wait_ms``)."""
        self.closing = False
        self.writer_failed = False
        if self.mode != "off":
            self.max_queue = max(1, self.max_queue)
        self.writer = (
            Archive(archive.root, archive.options, remove_partial=False)
            if self.max_queue and self.mode == "off"
            else archive
        )
        """The writer thread's own handle (SQLite connections stay in their thread)."""
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
        if self.mode != "off":
            self.child = self._start_child()
        if self.child is not None:
            self.timer = LoopingCall(self._flush_if_due)
            self.timer.start(QUIET_FLUSH / 2, now=False)
        elif self.interval > 0:
            self.timer = LoopingCall(self._flush_if_due)
            self.timer.start(self.interval / 2, now=False)

    def _start_child(self) -> WriterProcess:
        settings = self.crawler.settings
        preparation = None
        reader = None
        if self.mode == "prepare":
            preparation = Preparation(
                settings.get("ARCHIVE_PAGE_TIMEZONE", "Asia/Shanghai"),
                tuple(image_proxies(settings)),
            )
            if settings.getbool("ARCHIVE_PARSE_IN_WRITER", True):
                page_reader = getattr(self.crawler.spider, "page_reader", None)
                reader = page_reader() if callable(page_reader) else None
        config = WriterConfig(
            root=str(self.archive.root),
            options=self.archive.options,
            run_id=self.run_id,
            touch=not self.replay,
            preparation=preparation,
            parent=os.getpid(),
            reader=reader[1] if reader is not None else None,
        )
        if reader is None:
            return WriterProcess(config)
        child = WriterProcess(config, entry=reader[0])
        self.reads_pages = True
        cast("Any", self.crawler.spider).parse_in_writer = True
        return child

    async def close_spider(self) -> None:
        """Write what is still buffered and wait for every batch (before ``spider_closed``
        records the run)."""
        self.closing = True
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        self.timer = None
        self.flush()
        while self.inflight:
            await asyncio.wait(list(self.inflight))
        if self.reads_pages and not self.writer_failed:  # the pages the alarm still holds
            self.flush(release=True)
            while self.inflight:
                await asyncio.wait(list(self.inflight))
        if self.child is not None:
            child = self.child
            await asyncio.get_running_loop().run_in_executor(self.executor, child.close)
            self.stats.set_value("archive/writer_process/cpu_seconds", round(child.cpu_seconds, 3))
            self.stats.set_value("archive/writer_process/maxrss_kib", child.maxrss_kib)
        if self.executor is not None:
            if self.writer is not self.archive:  # the thread's own handle
                self.executor.submit(self.writer.close).result()
            self.executor.shutdown()
            self.executor = None

    def _flush_if_due(self) -> None:
        if not (self.pending or self.pending_failures):
            return
        now = time.monotonic()
        if self.child is not None and (
            now - self.last_arrival >= QUIET_FLUSH or self._nothing_downloading()
        ):
            self.flush()  # the crawl paused: its items are waiting for this batch
        elif self.interval > 0 and now - self.oldest >= self.interval:
            self.flush()

    def _nothing_downloading(self) -> bool:
        """Whether no request is being downloaded: no new item can come before one is, so the
        items waiting in the buffer (the end of a crawl) need not wait for a quiet spell."""
        engine = self.crawler.engine
        return engine is not None and not engine.downloader.active

    def _buffer(
        self,
        item: ArticleItem | RawPage | FetchFailure,
        waiter: asyncio.Future[Outcome] | None = None,
    ) -> None:
        self.last_arrival = time.monotonic()
        if not (self.pending or self.pending_failures):
            self.oldest = self.last_arrival
        if isinstance(item, (ArticleItem, RawPage)):
            self.pending.append(item)
            if waiter is not None:
                self.waiters.append(waiter)
        else:
            self.pending_failures.append(item)
        if len(self.pending) + len(self.pending_failures) >= self.batch_size:
            self.flush()

    def flush(self, *, release: bool = False) -> None:
        """Hand the buffered articles and failures to the writer thread as one batch
        (``release``: with the pages the writer process's alarm still holds)."""
        pending, failures = self.pending, self.pending_failures
        self.pending, self.pending_failures = [], []
        if not (pending or failures or release):
            return
        if self.child is not None:
            waiters, self.waiters = self.waiters, []
            if self.executor is None:
                self.executor = ThreadPoolExecutor(1, thread_name_prefix="archive-writer")
            child = self.child
            loop = asyncio.get_event_loop()
            # sent by the executor's one thread (in order; blocks while the child is busy),
            # answered through the child's answer thread: batches are pipelined
            sending = loop.run_in_executor(self.executor, child.send, pending, failures, release)
            written = asyncio.ensure_future(_answer_of(sending))
            written.add_done_callback(partial(self._child_written, pending, failures, waiters))
            self.inflight.append(written)
            return
        articles = [a for a in pending if isinstance(a, ArticleItem)]  # no raw pages here
        if self.max_queue == 0:  # no writer thread: write here, now
            done: asyncio.Future[tuple[list[SaveResult], list[int]]] = asyncio.Future()
            try:
                done.set_result(self._write(articles, failures))
            except Exception as exc:
                done.set_exception(exc)
            self.inflight.append(done)
            self._written(articles, failures, done)
            return
        if self.executor is None:
            self.executor = ThreadPoolExecutor(1, thread_name_prefix="archive-writer")
        loop = asyncio.get_event_loop()
        future = loop.run_in_executor(self.executor, self._write, articles, failures)
        future.add_done_callback(partial(self._written, articles, failures))
        self.inflight.append(future)

    async def _wait_for_writer(self) -> None:
        """Back-pressure: wait while ``ARCHIVE_WRITE_QUEUE`` batches are being written."""
        if not (self.inflight and len(self.inflight) >= self.max_queue):
            return
        started = time.monotonic()
        while self.inflight and len(self.inflight) >= self.max_queue:
            await asyncio.wait(list(self.inflight), return_when=asyncio.FIRST_COMPLETED)
        if time.monotonic() - started > self.slowest_wait:
            self.slowest_wait = time.monotonic() - started
            self.stats.set_value("archive/writer/longest_wait_ms", int(1000 * self.slowest_wait))

    def _write(
        self, articles: list[ArticleItem], failures: list[FetchFailure]
    ) -> tuple[list[SaveResult], list[int]]:
        """In the writer thread: the batch (files, one transaction), then its failures."""
        results = self.writer.save_batch(articles, touch=not self.replay) if articles else []
        attempts = self.writer.record_failures(failures, run_id=self.run_id) if failures else []
        return results, attempts

    def _batch_not_written(
        self,
        articles: list[ArticleItem],
        failures: list[FetchFailure],
        reason: object,
        exc_info: BaseException | None,
    ) -> None:
        """Count and log a batch the writer could not make durable (the next run re-fetches)."""
        self.stats.inc_value("archive/write_error", len(articles) + len(failures))
        logger.error(
            "A batch of %d articles and %d failures was not written (%s); the next run"
            " fetches them again",
            len(articles),
            len(failures),
            reason,
            exc_info=exc_info,
        )

    def _written(
        self,
        articles: list[ArticleItem],
        failures: list[FetchFailure],
        future: asyncio.Future[tuple[list[SaveResult], list[int]]],
    ) -> None:
        """Back in the crawl's thread: count and announce a durable batch."""
        self.inflight.remove(future)
        if future.cancelled() or future.exception() is not None:
            error = future.exception() if not future.cancelled() else "cancelled"
            self._batch_not_written(
                articles, failures, error, future.exception() if not future.cancelled() else None
            )
            return
        results, attempts = future.result()
        for item, result in zip(articles, results, strict=True):
            self.stats.inc_value(f"archive/{result.status}")
            self.signals.send_catch_log(article_saved, item=item, result=result)
            logger.info("%s %s -> %s", result.status, item.url, result.path)
        for failure, count in zip(failures, attempts, strict=True):
            self.stats.inc_value("archive/failed")
            logger.debug("failure recorded (attempt %d): %s", count, failure.url)

    def _child_written(
        self,
        articles: list[ArticleItem | RawPage],
        failures: list[FetchFailure],
        waiters: list[asyncio.Future[Outcome]],
        future: asyncio.Future[BatchResult],
    ) -> None:
        """Back in the crawl's thread: count and announce what the writer process did, and
        let each article's ``process_item`` go on (or raise its drop)."""
        self.inflight.remove(future)
        error = future.exception() if not future.cancelled() else None
        if future.cancelled() or error is not None:
            self._batch_not_written(
                cast("list[ArticleItem]", articles),
                failures,
                error or "cancelled",
                error if not isinstance(error, WriterDiedError) else None,
            )
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(NotWrittenError(str(error or "cancelled")))
            if isinstance(error, WriterDiedError):
                self._writer_died(error)
            return
        result = future.result()
        for item, outcome, waiter in zip(articles, result.outcomes, waiters, strict=True):
            self._announce(item, outcome)
            if not waiter.done():
                waiter.set_result(outcome)
        for released, outcome in result.released:  # pages the breakage alarm held
            self._announce(released, outcome)
            if outcome.status == "dropped":  # no crawl item to drop: said here
                logger.warning("Dropped: %s", outcome.message)
        self._count_and_log(result.counts.items(), result.logs)
        for failure, count in zip(failures, result.attempts, strict=True):
            self.stats.inc_value("archive/failed")
            logger.debug("failure recorded (attempt %d): %s", count, failure.url)
        if result.unsafe:
            self.stats.inc_value("archive/failed", result.unsafe)

    def _count_and_log(
        self, counts: Iterable[tuple[str, int]], logs: Iterable[tuple[str, int, str]]
    ) -> None:
        """Stats and log lines that came from the writer process (reading pages there)."""
        for key, count in counts:
            self.stats.inc_value(key, count)
        for name, level, message in logs:  # as the spider's logger says them in the crawl
            logging.getLogger(name).log(level, "%s", message)

    def _announce(self, item: ArticleItem | RawPage, outcome: Outcome) -> None:
        """Counts, logs and ``article_saved`` of one article the writer process handled."""
        self._count_and_log(outcome.counts, outcome.logs)
        for problem in outcome.problems:  # as NormalizeContentPipeline logs them
            published = item.published_raw if isinstance(item, ArticleItem) else ""
            logger.warning("Unparseable %s %r on %s", problem, published, item.url)
        if outcome.status in SAVED:
            status = cast("SaveStatus", outcome.status)
            saved = SaveResult(status, Path(outcome.path), outcome.article_id)
            self.stats.inc_value(f"archive/{outcome.status}")
            self.signals.send_catch_log(article_saved, item=item, result=saved)
            logger.info("%s %s -> %s", outcome.status, item.url, outcome.path)

    def _writer_died(self, error: WriterDiedError) -> None:
        """The writer process is gone: nothing more can be written, so the crawl stops."""
        if self.writer_failed:
            return
        self.writer_failed = True
        logger.error(
            "Writer process failed: %s; the crawl stops (the articles it did not write are"
            " fetched again by the next run)",
            error,
        )
        engine = self.crawler.engine
        if engine is not None and not self.closing:
            asyncio.get_event_loop().call_soon(
                lambda: deferred_from_coro(engine.close_spider_async(reason="writer_failed"))
            )

    async def _process_in_child(self, item: ArticleItem | RawPage) -> ArticleItem | RawPage:
        """Buffer the article for the writer process and wait for its batch."""
        waiter: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._buffer(item, waiter)
        try:
            outcome = await waiter
        except NotWrittenError as exc:
            raise DropItem(f"not written ({exc}): {item.url}", log_level="DEBUG") from None
        if outcome.status == "dropped":  # as DropIncompleteArticle / Deduplicate raise it
            raise DropItem(outcome.message)
        if outcome.status == "failed":  # the parser crashed: a failure row (logged, recorded)
            raise DropItem(outcome.message, log_level="INFO")
        if outcome.status == "unsafe_path":
            logger.error("Not written (%s): %s", outcome.message, item.url)
            raise DropItem(f"unsafe_path: {outcome.message}", log_level="INFO")
        if outcome.status == "error":  # Scrapy logs it as an error of this item
            raise RuntimeError(f"writer process: {outcome.message.strip()}")
        return item

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

    async def process_item(self, item: Any) -> Any:
        await self._wait_for_writer()
        if self.locked_out:
            raise DropItem("archive locked by another run", log_level="DEBUG")
        if isinstance(item, FetchFailure):
            if self.replay:
                self.stats.inc_value("archive/failed")
            if not self.write or self.replay:
                raise DropItem(f"{item.reason}: {item.url}", log_level="INFO")
            self._buffer(item)  # counted when its batch is written
            # the spider already logged the failure as a warning; this only notes it
            raise DropItem(f"{item.reason} (recorded): {item.url}", log_level="INFO")
        if isinstance(item, ImageRetry):  # failed images of an archived article, tried again
            if self.write:
                self.flush()  # the article's buffered version first
                while self.inflight:
                    await asyncio.wait(list(self.inflight))
                result = self.archive.retry_images(item)
                self.stats.inc_value(f"archive/images/retry_{result.status}")
            return item
        if isinstance(item, RawPage) and self.child is not None:
            self.stats.inc_value("archive/writer_process/pages_read")
            return await self._process_in_child(item)
        if not isinstance(item, ArticleItem):
            return item
        if self.child is not None:
            return await self._process_in_child(item)
        if not self.write:
            text = self.archive.render(item)
            result = SaveResult(
                "rendered",
                self.archive.posts_dir / post_relpath(item, self.archive.options),
                "",
                text,
            )
            self.signals.send_catch_log(article_saved, item=item, result=result)
            return item
        try:
            safe_join(self.archive.posts_dir, post_relpath(item))
        except UnsafePathError as exc:  # e.g. posts/<portal> is a link leading out of posts/
            self._buffer(
                FetchFailure(
                    url=item.url, portal=item.portal, reason="unsafe_path", detail=str(exc)
                )
            )
            logger.error("Not written (%s): %s", exc, item.url)
            raise DropItem(f"unsafe_path: {exc}", log_level="INFO") from None
        self._buffer(item)
        return item

    def item_dropped(self, item: Any, response: Any, exception: Exception, **kwargs: Any) -> None:
        """Record articles dropped by validation as failures (duplicates are not failures)."""
        if self.locked_out or not (
            isinstance(item, (ArticleItem, RawPage)) and str(exception).startswith("missing")
        ):
            return
        if self.replay:
            self.stats.inc_value("archive/failed")
        elif self.write:
            reason = "no_" + str(exception).split(":")[0].removeprefix("missing ").split(",")[0]
            self._buffer(
                FetchFailure(url=item.url, portal=item.portal, reason=reason, detail=str(exception))
            )


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
