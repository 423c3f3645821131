"""Crawl workers on scrapy-redis: one shared frontier, leases, seed-once, idle exit.

scrapy-redis (0.9.x) shares the request queue and the dupefilter; what it lacks for
"each URL fetched once, nothing lost when a worker dies" is added here:

* :class:`LeasedPriorityQueue` — popping a request also records it in the worker's
  in-flight hash (one Lua script, so a request is always in the frontier or leased). The
  lease ends when the request is done: its callback's output fully through the item
  pipelines (:class:`LeaseMiddleware`), or when the worker goes idle (then nothing of its
  own is in progress). A worker whose heartbeat expired (killed) has its leases put back
  in the frontier by any live worker (:class:`WorkerExtension`).
* :class:`SharedStateMiddleware` — one worker seeds a crawl (``SETNX`` of the spider's
  ``seeded`` key, which holds the crawl epoch); workers that join offer the start requests
  too, which the shared dupefilter drops (so a seeder killed mid-seeding loses nothing, and
  each start request is in the frontier once); articles whose URL the writer published as
  archived are skipped like ``SkipArchivedMiddleware`` does from the index; failed URLs of
  earlier crawls are retried (once per crawl, through the dupefilter).
* :class:`WorkerExtension` — heartbeat, reclaiming dead workers' leases, and the idle exit:
  when the frontier (queue and every lease) has been empty for ``ARCHIVE_REDIS_IDLE_EXIT``
  seconds the worker closes; the first to do so ends the crawl (clears the dupefilter and
  the seed flag atomically, so the next start seeds a new crawl). Stats go to Redis, summed.

Key names: :mod:`archive.distributed`. A worker never opens the archive folder.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.misc import load_object
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task
from twisted.python.failure import Failure

from archive.distributed import Keys, redis_client
from archive.normalize import canonical
from crawler.middlewares import ArchiveState, SkipArchivedMiddleware

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.5
"""Seconds between a worker's looks at the shared frontier when its engine has room."""

LISTING_PRIORITY = 10
"""Listing, feed and sitemap requests go first in the shared frontier: they widen it."""

LEASE = "archive_lease"
"""Request meta: ``(in-flight hash key, lease id)`` of the request a worker took."""


@cache
def worker_id() -> str:
    """This process's worker name: host, pid and a random part (a restart is a new worker)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def keys_for(settings: Any) -> Keys:
    return Keys(settings.get("ARCHIVE_REDIS_PREFIX") or "pa")


def worker_settings(
    redis_url: str, *, prefix: str = "pa", idle_exit: float = 30.0
) -> dict[str, Any]:
    """Settings that turn a crawl into a worker: scrapy-redis scheduler and dupefilter with
    our leased queue, Redis instead of the index for incremental state, items to the writer's
    queue instead of the writer, no image downloads (the writer does them)."""
    return {
        "SCHEDULER": "crawler.distributed.Scheduler",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.LeasedPriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:%(spider)s:dupefilter",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": redis_url,
        "REDIS_PARAMS": {"redis_cls": "archive.distributed.RetryingRedis"},
        "ARCHIVE_REDIS_URL": redis_url,
        "ARCHIVE_REDIS_PREFIX": prefix,
        "ARCHIVE_REDIS_IDLE_EXIT": idle_exit,
        "ARCHIVE_IMAGES_DOWNLOAD": False,
        "ARCHIVE_WARC": False,
        "ARCHIVE_ALARM_HOLD": False,  # a held page would have no lease (crawler/alarm.py)
        "SPIDER_MIDDLEWARES": {
            "crawler.middlewares.SkipArchivedMiddleware": None,
            "crawler.image_retry.RetryImagesMiddleware": None,
            "crawler.distributed.SharedStateMiddleware": 50,
            "crawler.distributed.LeaseMiddleware": 5,
        },
        "ITEM_PIPELINES": {
            "pipelines.normalize.NormalizeContentPipeline": 100,
            "pipelines.image_urls.RewriteImageUrlsPipeline": 200,
            "pipelines.validate.DropIncompleteArticlePipeline": 300,
            "pipelines.validate.DeduplicatePipeline": 400,
            "pipelines.redis_queue.RedisQueuePipeline": 900,
        },
        "EXTENSIONS": {"crawler.distributed.WorkerExtension": 500},
    }


# --------------------------------------------------------------------------- the frontier

POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local id = redis.sha1hex(r[1])
redis.call('HSET', KEYS[2], id, r[2] .. '|' .. r[1])
return {id, r[1]}
"""
"""Take the best request and lease it to this worker, atomically."""

RECLAIM = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local v = all[i + 1]
  local p = string.find(v, '|', 1, true)
  redis.call('ZADD', KEYS[1], tonumber(string.sub(v, 1, p - 1)), string.sub(v, p + 1))
end
redis.call('DEL', KEYS[2])
return #all / 2
"""
"""Put a dead worker's leases (its heartbeat key is gone) back in the frontier."""

FINISH = """
if redis.call('ZCARD', KEYS[1]) > 0 then return false end
local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    if redis.call('HLEN', key) > 0 then return false end
  end
until cursor == '0'
local epoch = redis.call('GET', KEYS[3])
redis.call('DEL', KEYS[2], KEYS[3])
return epoch
"""
"""End the crawl if its frontier is empty and nothing is leased: forget the fingerprints and
the seed flag (the next worker to start seeds a new crawl); the ended epoch, or nil."""


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose ``pop`` leases the request to this worker."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        keys = keys_for(spider.settings)
        self.inflight = keys.inflight(spider.name, worker_id())
        self._pop = server.register_script(POP)

    def pop(self, timeout: int = 0) -> Request | None:
        taken = self._pop(keys=[self.key, self.inflight])
        if not taken:
            return None
        lease_id, data = taken
        request: Request = self._decode_request(data)
        old = request.meta.get(LEASE)
        if old and tuple(old) != (self.inflight, lease_id.decode()):
            self.server.hdel(old[0], old[1])  # a retry or redirect of a request: it is back
        request.meta[LEASE] = (self.inflight, lease_id.decode())
        return request


# --------------------------------------------------------------------------- leases


class LeaseMiddleware:
    """Ends a request's lease once its callback output is through: every request it yielded
    scheduled (in Redis) and every item out of the pipelines (pushed to the writer's queue,
    or dropped). Errback output (one ``FetchFailure``) ends it when that item is through."""

    def __init__(self, crawler: Crawler, server: Any) -> None:
        self.server = server
        self.open: dict[tuple[str, str], list[Any]] = {}
        """lease → [items not through yet, callback output finished]"""
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    def spider_opened(self, spider: Any) -> None:
        # connected now, after the pipelines' own receivers (a dropped page's failure record
        # is pushed before its lease ends)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            self.crawler.signals.connect(self.item_done, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseMiddleware:
        url = crawler.settings.get("ARCHIVE_REDIS_URL")
        if not url:
            raise NotConfigured("not a crawl worker")
        return cls(crawler, redis_client(url))

    def _end(self, lease: tuple[str, str]) -> None:
        self.open.pop(lease, None)
        self.server.hdel(lease[0], lease[1])

    async def process_spider_output(
        self, response: Any, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        lease = response.meta.get(LEASE)
        if not lease:
            async for item in result:
                yield item
            return
        lease = tuple(lease)
        state = self.open.setdefault(lease, [0, False])
        try:
            async for item in result:
                if not isinstance(item, Request):
                    state[0] += 1
                yield item
        finally:
            state[1] = True
            if state[0] <= 0:
                self._end(lease)

    def item_done(self, item: Any, response: Any = None, **kwargs: Any) -> None:
        request = getattr(response, "request", None)
        lease = request.meta.get(LEASE) if request is not None else None
        if not lease:
            return
        lease = tuple(lease)
        if isinstance(response, Failure):  # errback output: one failure record
            self._end(lease)
            return
        state = self.open.get(lease)
        if state is None:
            return
        state[0] -= 1
        if state[1] and state[0] <= 0:
            self._end(lease)


# --------------------------------------------------------------------------- shared state


class SharedStateMiddleware(SkipArchivedMiddleware):
    """:class:`SkipArchivedMiddleware` reading what the writer published in Redis; the first
    worker of a crawl seeds it (its epoch), the others join (see the module doc)."""

    def __init__(self, crawler: Crawler, server: Any, keys: Keys, max_attempts: int) -> None:
        super().__init__(crawler, Path(os.devnull), max_attempts)  # the index is not read
        self.server = server
        self.keys = keys
        self.seeding = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedStateMiddleware:
        settings = crawler.settings
        url = settings.get("ARCHIVE_REDIS_URL")
        if not url:
            raise NotConfigured("not a crawl worker")
        refresh = settings.getbool("ARCHIVE_REFRESH")
        instance = cls(
            crawler,
            redis_client(url),
            keys_for(settings),
            settings.getint("ARCHIVE_MAX_ATTEMPTS", 5),
        )
        instance.refresh = refresh
        return instance

    refresh = False

    def read_state(self, portal: str) -> ArchiveState:
        state = ArchiveState()
        if not self.refresh:
            state.known = {m.decode() for m in self.server.smembers(self.keys.archived(portal))}
        failures = self.server.hgetall(self.keys.failures(portal))
        state.failures = {k.decode(): int(v) for k, v in failures.items()}
        return state

    def _keep(self, item: Any) -> bool:
        if self.refresh:
            return True
        if isinstance(item, Request) and item.meta.get("archive_article"):
            # the writer publishes as it commits: look each URL up, not a start-time snapshot
            archived = self.keys.archived(self.crawler.spider.name)  # type: ignore[union-attr]
            if item.url not in self.state.known and canonical(item.url) not in self.state.known:
                hits = self.server.smismember(archived, [item.url, canonical(item.url)])
                if any(hits):
                    self.state.known.add(item.url)
        return super()._keep(item)

    async def process_spider_output(
        self, response: Any, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for item in super().process_spider_output(response, result):
            if isinstance(item, Request):  # the spider's listing order is for one process
                item.priority = max(item.priority, 0)
                if not item.meta.get("archive_article"):
                    item.priority += LISTING_PRIORITY
            yield item

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider: Any = self.crawler.spider
        seeded = self.keys.seeded(spider.name)
        epoch = int(self.server.get(self.keys.epoch(spider.name)) or 0) + 1
        self.seeding = bool(self.server.set(seeded, epoch, nx=True))
        if self.seeding:
            self.server.set(self.keys.epoch(spider.name), epoch)
            logger.info("Worker %s seeds crawl %d of %s", worker_id(), epoch, spider.name)
        else:
            logger.info("Worker %s joins the running crawl of %s", worker_id(), spider.name)
        self.state = self.read_state(spider.name)
        # Joining workers yield the start requests too: the shared dupefilter drops each one
        # the seeding worker already enqueued, and enqueues any it did not get to (it was
        # killed while seeding). Each start request is in the frontier once either way.
        async for item in start:
            if self._keep(item):
                yield item
        if getattr(spider, "article_urls", None):
            return
        for url, attempts in self.state.failures.items():
            if attempts < self.max_attempts and spider.is_article_url(url):
                self._inc("archive/retried")
                yield spider.article_request(url)


# --------------------------------------------------------------------------- the worker


class WorkerExtension:
    """Heartbeat, reclaiming dead workers' leases, idle exit and the end of a crawl."""

    def __init__(
        self, crawler: Crawler, server: Any, keys: Keys, idle_exit: float, ttl: float
    ) -> None:
        self.crawler = crawler
        self.server = server
        self.keys = keys
        self.idle_exit = idle_exit
        self.ttl = ttl
        self.idle_since: float | None = None
        self.epoch = 0
        self._finish = server.register_script(FINISH)
        self._reclaim = server.register_script(RECLAIM)
        self._beat = task.LoopingCall(self.beat)
        self._poll = task.LoopingCall(self.poll)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerExtension:
        settings = crawler.settings
        url = settings.get("ARCHIVE_REDIS_URL")
        if not url:
            raise NotConfigured("not a crawl worker")
        return cls(
            crawler,
            redis_client(url),
            keys_for(settings),
            settings.getfloat("ARCHIVE_REDIS_IDLE_EXIT", 30.0),
            settings.getfloat("ARCHIVE_REDIS_LEASE_TTL", 10.0),
        )

    @property
    def spider_name(self) -> str:
        assert self.crawler.spider is not None
        return self.crawler.spider.name

    def spider_opened(self, spider: Any) -> None:
        self._beat.start(max(self.ttl / 4, 0.2), now=True)
        self._poll.start(POLL_INTERVAL, now=False)

    def poll(self) -> None:
        """Look at the shared frontier between the engine's 5-second heartbeats: requests
        other workers added are taken at once, not up to 5 s later (a frontier fed by one
        listing page at a time would otherwise leave most workers waiting)."""
        engine: Any = self.crawler.engine
        slot = getattr(engine, "_slot", None)  # Scrapy 2.19's engine slot (no public hook)
        if slot is None or engine.needs_backout():
            return
        try:
            if self.server.zcard(self.keys.requests(self.spider_name)):
                slot.nextcall.schedule()
        except Exception:  # Redis away longer than the client's retries: next poll
            logger.exception("Worker poll failed")

    def beat(self) -> None:
        """Refresh this worker's heartbeat, then put dead workers' leases back."""
        try:
            self.server.set(
                self.keys.heartbeat(worker_id()), int(time.time()), px=int(self.ttl * 1000)
            )
            self.reclaim()
        except Exception:  # Redis away longer than the client's retries: try next beat
            logger.exception("Worker heartbeat failed")

    def reclaim(self) -> int:
        back = 0
        for key in self.server.scan_iter(
            match=self.keys.inflight_pattern(self.spider_name), count=1000
        ):
            name = key.decode()
            worker = self.keys.worker_of(name)
            if worker == worker_id():
                continue
            moved = self._reclaim(
                keys=[self.keys.requests(self.spider_name), name, self.keys.heartbeat(worker)]
            )
            if moved and int(moved) > 0:
                logger.warning(
                    "Put %d request(s) of dead worker %s back in the frontier", moved, worker
                )
                self.crawler.stats.inc_value("archive/redis/reclaimed", int(moved))
                back += int(moved)
        return back

    def frontier_empty(self) -> bool:
        if self.server.zcard(self.keys.requests(self.spider_name)):
            return False
        for key in self.server.scan_iter(
            match=self.keys.inflight_pattern(self.spider_name), count=1000
        ):
            if self.server.hlen(key):
                return False
        return True

    def spider_idle(self, spider: Any) -> None:
        # idle: everything this worker took is through, its leases are done
        self.server.delete(self.keys.inflight(spider.name, worker_id()))
        self.reclaim()
        if not self.frontier_empty():
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_exit:
            raise DontCloseSpider
        ended = self._finish(
            keys=[
                self.keys.requests(spider.name),
                self.keys.dupefilter(spider.name),
                self.keys.seeded(spider.name),
            ],
            args=[self.keys.inflight_pattern(spider.name)],
        )
        if ended:
            logger.info("Crawl %s of %s ended: frontier empty", ended.decode(), spider.name)
        logger.info("Frontier empty for %.0f s: worker %s exits", self.idle_exit, worker_id())

    def spider_closed(self, spider: Any, reason: str) -> None:
        for loop in (self._beat, self._poll):
            if loop.running:
                loop.stop()
        # the heartbeat is left to expire: other spiders of this process may still run
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        epoch = self.server.get(self.keys.epoch(spider.name)) or b"0"
        numbers = {
            k: v for k, v in stats.items() if isinstance(v, int) and k.startswith("archive/")
        }
        key = self.keys.stats(spider.name, epoch.decode())
        with self.server.pipeline() as pipe:
            for name, value in numbers.items():
                pipe.hincrby(key, name, value)
            pipe.execute()
        record = {"kind": "stats", "portal": spider.name, "epoch": int(epoch), "reason": reason}
        self.server.lpush(self.keys.items, json.dumps(record))


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler without the ``spider=`` argument to the stats (deprecated
    since Scrapy 2.16: stack-notes §6)."""

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.local = deque()
        self.queue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=self.queue_key % {"spider": spider.name},
            serializer=self.serializer,
        )
        if not self.df:
            self.df: Any = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if len(self.queue):
            logger.info("Joining a crawl with %d request(s) in the frontier", len(self.queue))

    local: deque[Request]

    def enqueue_request(self, request: Request) -> bool:
        if request.url.startswith("data:"):
            # the spider's own bookkeeping (PortalSpider.on_idle releases the pages its
            # parser alarm holds): it must run in this worker, not in whichever pops it
            self.local.append(request)
            return True
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def has_pending_requests(self) -> bool:
        return bool(self.local) or super().has_pending_requests()

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        request = self.queue.pop(self.idle_before_close)
        if request and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
