"""The Redis keys crawl workers and the single writer share (``docs/distributed.md``).

Everything lives under one prefix (``ARCHIVE_REDIS_PREFIX``, default ``pa``), so one Redis
can serve several archives. Per spider (portal):

* ``<p>:<spider>:requests`` — the shared frontier (scrapy-redis priority queue, a zset);
* ``<p>:<spider>:dupefilter`` — request fingerprints seen in the current crawl;
* ``<p>:<spider>:inflight:<worker>`` — requests a worker has taken and not finished (a hash,
  lease id → ``score|request``); put back in the frontier when the worker's heartbeat
  ``<p>:worker:<worker>`` expires;
* ``<p>:<spider>:seeded`` — the crawl epoch, set by the one worker that seeds the crawl;
  ``<p>:<spider>:epoch`` counts crawls; ``<p>:<spider>:stats:<epoch>`` sums worker stats.

Shared by all: ``<p>:items`` (records for the writer, JSON, oldest at the right),
``<p>:items:processing`` (the batch the writer holds), ``<p>:archived:<portal>`` (URLs and
canonical URLs archived, published by the writer), ``<p>:failures:<portal>`` (failed URL →
attempts) and ``<p>:runs`` (``portal:epoch`` → the ``crawl_runs`` id of that crawl).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, RedisError, TimeoutError
from redis.retry import Retry

from archive.errors import RedisUnavailableError

DEFAULT_PREFIX = "pa"


@dataclass(frozen=True)
class Keys:
    prefix: str = DEFAULT_PREFIX

    # --- per spider ------------------------------------------------------------------------
    def requests(self, spider: str) -> str:
        return f"{self.prefix}:{spider}:requests"

    def dupefilter(self, spider: str) -> str:
        return f"{self.prefix}:{spider}:dupefilter"

    def inflight(self, spider: str, worker: str) -> str:
        return f"{self.prefix}:{spider}:inflight:{worker}"

    def inflight_pattern(self, spider: str) -> str:
        return f"{self.prefix}:{spider}:inflight:*"

    def worker_of(self, inflight_key: str) -> str:
        return inflight_key.rsplit(":", 1)[1]

    def heartbeat(self, worker: str) -> str:
        return f"{self.prefix}:worker:{worker}"

    def seeded(self, spider: str) -> str:
        return f"{self.prefix}:{spider}:seeded"

    def epoch(self, spider: str) -> str:
        return f"{self.prefix}:{spider}:epoch"

    def stats(self, spider: str, epoch: int | str) -> str:
        return f"{self.prefix}:{spider}:stats:{epoch}"

    # --- shared ----------------------------------------------------------------------------
    @property
    def items(self) -> str:
        return f"{self.prefix}:items"

    @property
    def processing(self) -> str:
        return f"{self.prefix}:items:processing"

    def archived(self, portal: str) -> str:
        return f"{self.prefix}:archived:{portal}"

    def failures(self, portal: str) -> str:
        return f"{self.prefix}:failures:{portal}"

    @property
    def runs(self) -> str:
        return f"{self.prefix}:runs"


def check_redis(url: str) -> None:
    """Fail fast, with a clear message, when ``url`` is no reachable Redis (the retrying
    client would wait about a minute first)."""
    try:
        client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except (ValueError, RedisError) as exc:
        raise RedisUnavailableError(f"cannot reach Redis at {url}: {exc}") from None


def redis_client(url: str) -> Any:
    """A client that rides out a Redis restart: commands retry with back-off for ~a minute
    on connection errors instead of failing the crawl or the writer."""
    return RetryingRedis.from_url(url)


class RetryingRedis(Redis):
    """``redis.Redis`` whose ``from_url`` adds the retry policy (scrapy-redis's
    ``REDIS_PARAMS["redis_cls"]``, so its scheduler and dupefilter retry too)."""

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("retry", Retry(ExponentialBackoff(cap=1.0, base=0.05), RETRIES))
        kwargs.setdefault("retry_on_error", [ConnectionError, TimeoutError, BusyLoadingError])
        kwargs.setdefault("socket_timeout", 30)
        kwargs.setdefault("socket_connect_timeout", 5)
        return super().from_url(url, **kwargs)


RETRIES = 90
"""Connection retries per command (back-off up to 1 s): Redis may be away ~a minute."""
