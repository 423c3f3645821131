"""The single writer of a distributed crawl: Redis queue → batches → the archive folder.

Crawl workers (``crawl --redis``, :mod:`crawler.distributed`) push JSON records; this is the
only process that writes ``posts/``, ``assets/`` and ``index.db``. Reliable-queue semantics:

* a batch is moved atomically from ``<p>:items`` into ``<p>:items:processing``
  (``BLMOVE``/``LMOVE``), written (``Archive.save_batch``, ``Archive.record_failures``) and
  only then deleted from the processing list (the acknowledgement);
* a writer that died mid-batch finds the batch in the processing list when it starts again
  and writes it again: saving an unchanged article changes no file, and a failure already
  recorded for the same crawl (``crawl_runs`` row of its portal and epoch) is not counted
  twice, so a redelivered batch changes nothing;
* after each commit the archived URLs and failures are published to Redis
  (``<p>:archived:<portal>``, ``<p>:failures:<portal>``) for the workers' incremental skip;
* images: workers do not download them; when the queue is idle (and before an idle exit),
  articles whose images are still ``pending`` go through the image back-fill spider
  (``crawler.backfill`` + ``pipelines.images``, Referer = the article) in a child process,
  which records the downloads and rewrites the posts. A killed back-fill is simply done
  again (the ``images`` rows stay ``pending`` until it succeeds);
* SIGTERM (and SIGINT) finish the current batch, then the writer exits 0.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import multiprocessing
import os
import signal
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from archive import image_index
from archive.crashpoints import crashpoint
from archive.distributed import Keys, redis_client
from archive.errors import BadRecordError, UnsafePathError
from archive.frontmatter_files import ExportOptions
from archive.items import ArticleItem, FetchFailure
from archive.records import item_from_record
from archive.runs import finish_run, start_run
from archive.store import Archive, SaveResult

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
"""Records per batch (one transaction, one fsync round)."""


@dataclass
class WriterReport:
    batches: int = 0
    recovered: int = 0
    """Batches found unacknowledged at start (a writer died mid-batch) and written again."""
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bad: int = 0
    image_runs: int = 0


@dataclass
class Batch:
    raw: list[bytes]
    articles: dict[tuple[str, int], list[ArticleItem]] = field(default_factory=dict)
    failures: dict[tuple[str, int], list[FetchFailure]] = field(default_factory=dict)
    stats: list[dict[str, Any]] = field(default_factory=list)
    bad: list[bytes] = field(default_factory=list)


def decode_batch(raw: list[bytes]) -> Batch:
    """Sort a batch's records by kind and crawl (``(portal, epoch)``), keeping bad ones."""
    batch = Batch(raw)
    for text in raw:
        try:
            record = json.loads(text)
            if isinstance(record, dict) and record.get("kind") == "stats":
                batch.stats.append(record)
                continue
            item = item_from_record(record)
        except (ValueError, BadRecordError) as exc:
            logger.error("Unreadable queue record kept in the bad list: %s", exc)
            batch.bad.append(text)
            continue
        key = (item.portal, int(record.get("epoch") or 0))
        if isinstance(item, FetchFailure):
            batch.failures.setdefault(key, []).append(item)
        else:
            batch.articles.setdefault(key, []).append(item)
    return batch


class Writer:
    def __init__(
        self,
        archive_dir: Path,
        server: Any,
        keys: Keys,
        *,
        options: ExportOptions | None = None,
        idle_exit: float = 30.0,
        batch_size: int = BATCH_SIZE,
        image_settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.archive = Archive(archive_dir, options)
        self.server = server
        self.keys = keys
        self.idle_exit = idle_exit
        self.batch_size = batch_size
        self.image_settings = image_settings
        """Settings overrides of the image back-fill child; ``None``: images not downloaded."""
        self.stopping = False
        self.report = WriterReport()
        self._image_tried: set[str] = set()

    # ------------------------------------------------------------------ lifecycle
    def stop(self, signum: int, frame: FrameType | None) -> None:
        logger.warning("Signal %d: finishing the current batch, then exiting", signum)
        self.stopping = True

    def run(self) -> WriterReport:
        previous = {s: signal.signal(s, self.stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.publish_existing()
            last = time.monotonic()
            while not self.stopping:
                raw = self.take()
                if raw:
                    self.commit(raw)
                    last = time.monotonic()
                    continue
                if self.stopping:
                    break
                if self.download_images():
                    last = time.monotonic()
                    continue
                if self.idle_exit and time.monotonic() - last >= self.idle_exit:
                    logger.info("Queue empty for %.0f s: writer exits", self.idle_exit)
                    break
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.archive.close()
        return self.report

    # ------------------------------------------------------------------ the queue
    def take(self) -> list[bytes]:
        """The next batch: an unacknowledged one first, else up to ``batch_size`` records
        moved from the queue (waiting up to a second for the first)."""
        pending = self.server.lrange(self.keys.processing, 0, -1)
        if pending:
            if self.report.batches == 0:
                self.report.recovered += 1
                logger.warning(
                    "Writing again an unacknowledged batch of %d record(s)", len(pending)
                )
            return list(reversed(pending))  # oldest first
        first = self.server.blmove(self.keys.items, self.keys.processing, 1.0, "RIGHT", "LEFT")
        if first is None:
            return []
        raw = [first]
        with self.server.pipeline(transaction=False) as pipe:
            for _ in range(self.batch_size - 1):
                pipe.lmove(self.keys.items, self.keys.processing, "RIGHT", "LEFT")
            raw += [r for r in pipe.execute() if r is not None]
        return raw

    def commit(self, raw: list[bytes]) -> None:
        """Write a batch, publish what it archived, then acknowledge it."""
        batch = decode_batch(raw)
        db = self.archive.db
        published: dict[str, list[str]] = defaultdict(list)
        failed: dict[str, dict[str, int]] = defaultdict(dict)
        counts: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (portal, epoch), articles in batch.articles.items():
            run_id = self.run_id(portal, epoch)
            for result, article in zip(self.save(articles, run_id), articles, strict=True):
                if result is None:
                    counts[portal, epoch]["failed"] += 1
                    continue
                counts[portal, epoch][result.status] += 1
                published[portal] += [article.url, article.canonical_url]
        for (portal, epoch), failures in batch.failures.items():
            run_id = self.run_id(portal, epoch)
            urls = [f.url for f in failures]
            marks = ", ".join("?" for _ in urls)
            done = {
                r[0]
                for r in db.execute(
                    f"select url from failures where run_id = ? and url in ({marks})",
                    [run_id, *urls],
                ).fetchall()
            }
            todo = list({f.url: f for f in failures if f.url not in done}.values())
            if todo:
                self.archive.record_failures(todo, run_id=run_id)
            counts[portal, epoch]["failed"] += len(todo)
            for row in db.execute(
                f"select url, attempts from failures where url in ({marks})", urls
            ).fetchall():
                failed[portal][row[0]] = row[1]
        with self.server.pipeline() as pipe:
            for portal, urls in published.items():
                pipe.sadd(self.keys.archived(portal), *urls)
                pipe.hdel(self.keys.failures(portal), *urls)
            for portal, attempts in failed.items():
                pipe.hset(self.keys.failures(portal), mapping=attempts)
            for (portal, epoch), values in counts.items():
                for name, value in values.items():
                    if name == "failed":  # the workers count those (archive/failed)
                        continue
                    pipe.hincrby(self.keys.stats(portal, epoch), f"archive/{name}", value)
            if batch.bad:
                pipe.lpush(f"{self.keys.items}:bad", *batch.bad)
            pipe.execute()
        for record in batch.stats:  # after the counts above: the run row gets them
            self.finish(record)
        crashpoint("writer.before-ack")
        self.server.delete(self.keys.processing)  # the acknowledgement
        self.report.batches += 1
        self.report.bad += len(batch.bad)
        for values in counts.values():
            for name, value in values.items():
                self.report.counts[name] += value
        logger.info("Batch %d: %d record(s) written", self.report.batches, len(raw))

    def save(self, articles: list[ArticleItem], run_id: int) -> list[SaveResult | None]:
        """``save_batch``; an article whose path is unsafe is recorded as a failure instead."""
        try:
            return list(self.archive.save_batch(articles))
        except UnsafePathError:
            pass
        results: list[SaveResult | None] = []
        for article in articles:  # find the culprit(s) one by one
            try:
                results += self.archive.save_batch([article])
            except UnsafePathError as exc:
                failure = FetchFailure(article.url, article.portal, "unsafe_path", str(exc))
                self.archive.record_failures([failure], run_id=run_id)
                logger.error("Not written (%s): %s", exc, article.url)
                results.append(None)
        return results

    # ------------------------------------------------------------------ runs
    def run_id(self, portal: str, epoch: int) -> int:
        """The ``crawl_runs`` row of a crawl (portal, epoch), started on its first record."""
        field_name = f"{portal}:{epoch}"
        known = self.server.hget(self.keys.runs, field_name)
        if known is not None:
            return int(known)
        run_id = start_run(self.archive.db, portal)
        self.server.hset(self.keys.runs, field_name, run_id)
        return run_id

    def finish(self, record: Mapping[str, Any]) -> None:
        """A worker closed: the run of its crawl gets the summed stats of all its workers."""
        portal, epoch = str(record.get("portal")), int(record.get("epoch") or 0)
        run_id = self.run_id(portal, epoch)
        raw = self.server.hgetall(self.keys.stats(portal, epoch))
        stats: dict[str, Any] = {k.decode(): int(v) for k, v in raw.items()}
        status = finish_run(self.archive.db, run_id, stats, str(record.get("reason") or ""))
        logger.info("Run %d of %s (crawl %d): %s", run_id, portal, epoch, status)

    def publish_existing(self) -> None:
        """Publish the archive's URLs and failures once at start (an archive crawled before
        is incremental for the workers too)."""
        db = self.archive.db
        by_portal: dict[str, list[str]] = defaultdict(list)
        for portal, url, canonical_url in db.execute(
            "select portal, url, canonical_url from articles"
        ):
            by_portal[portal] += [url, canonical_url]
        with self.server.pipeline(transaction=False) as pipe:
            for portal, urls in by_portal.items():
                for start in range(0, len(urls), 5000):
                    pipe.sadd(self.keys.archived(portal), *urls[start : start + 5000])
            for portal, url, attempts in db.execute("select portal, url, attempts from failures"):
                pipe.hset(self.keys.failures(portal), url, attempts)
            pipe.execute()

    # ------------------------------------------------------------------ images
    def download_images(self) -> bool:
        """Run the image back-fill for articles with images still ``pending``; whether it ran."""
        if self.image_settings is None:
            return False
        todo = [
            aid
            for aid in image_index.retry_candidates(self.archive.db, statuses=("pending",))
            if aid not in self._image_tried
        ]
        if not todo:
            return False
        self._image_tried.update(todo)
        self.archive.close()  # the child writes the index meanwhile; this process waits
        context = multiprocessing.get_context("spawn")
        child = context.Process(
            target=backfill_images,
            args=(str(self.archive.root), dict(self.image_settings), todo, os.getpid()),
            name="image-backfill",
        )
        child.start()
        child.join()
        self.report.image_runs += 1
        logger.info("Image back-fill of %d article(s): exit code %s", len(todo), child.exitcode)
        return True


def die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this child when the writer dies (a killed writer must not leave a second
    process writing the archive beside its successor); elsewhere only the start is checked."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the writer died before the line above
        os._exit(1)


PR_SET_PDEATHSIG = 1


def backfill_images(
    archive_dir: str, overrides: dict[str, Any], article_ids: list[str], parent: int
) -> None:
    """In a child process: download the articles' images (Referer = article), record them and
    rewrite the posts (``pipelines.store.ImageRetryWriterPipeline``)."""
    from scrapy.crawler import AsyncCrawlerProcess

    from crawler.backfill import ImageBackfillSpider
    from portal_archive.runner import project_settings

    die_with_parent(parent)

    settings = project_settings(
        Path(archive_dir),
        {
            **overrides,
            "ARCHIVE_LOCK_HELD": True,  # the writer holds it and waits for this child
            "ARCHIVE_IMAGES_DOWNLOAD": True,
            "ITEM_PIPELINES": {
                "pipelines.images.ArchiveImagesPipeline": 500,
                "pipelines.store.ImageRetryWriterPipeline": 900,
            },
        },
    )
    process = AsyncCrawlerProcess(settings)
    process.crawl(process.create_crawler(ImageBackfillSpider), article_ids=article_ids)
    process.start()


def make_writer(
    archive_dir: Path,
    redis_url: str,
    *,
    prefix: str = "pa",
    options: ExportOptions | None = None,
    idle_exit: float = 30.0,
    batch_size: int = BATCH_SIZE,
    image_settings: Mapping[str, Any] | None = None,
) -> Writer:
    return Writer(
        archive_dir,
        redis_client(redis_url),
        Keys(prefix),
        options=options,
        idle_exit=idle_exit,
        batch_size=batch_size,
        image_settings=image_settings,
    )
