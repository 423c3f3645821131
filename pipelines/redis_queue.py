"""A crawl worker's last pipeline: each finished item goes to the writer's Redis queue.

Articles (normalized, images ``pending``: the writer downloads them) and failures travel as
JSON records (:func:`archive.records.dumps_record`, read back exactly by
:func:`archive.records.item_from_record`) with the crawl epoch. Pages the validate pipeline
dropped for a missing title or body become failure records, as the embedded writer records
them. Nothing here opens the archive folder.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from archive.distributed import Keys, redis_client
from archive.items import ArticleItem, FetchFailure
from archive.records import dumps_record

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class RedisQueuePipeline:
    def __init__(self, crawler: Crawler, server: Any, keys: Keys) -> None:
        self.crawler = crawler
        self.server = server
        self.keys = keys
        self.stats = crawler.stats
        self._epoch: int | None = None
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisQueuePipeline:
        url = crawler.settings.get("ARCHIVE_REDIS_URL")
        if not url:
            raise NotConfigured("not a crawl worker (no ARCHIVE_REDIS_URL)")
        prefix = crawler.settings.get("ARCHIVE_REDIS_PREFIX") or "pa"
        return cls(crawler, redis_client(url), Keys(prefix))

    @property
    def epoch(self) -> int:
        """The crawl this worker helps (the spider's ``seeded`` key, set when it started)."""
        if self._epoch is None:
            spider: Any = self.crawler.spider
            self._epoch = int(self.server.get(self.keys.seeded(spider.name)) or 0)
        return self._epoch

    def push(self, item: ArticleItem | FetchFailure) -> None:
        text = dumps_record(item, id=uuid.uuid4().hex, epoch=self.epoch)
        self.server.lpush(self.keys.items, text)
        assert self.stats is not None
        self.stats.inc_value("archive/redis/pushed")

    def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchFailure):
            self.push(item)
            assert self.stats is not None
            self.stats.inc_value("archive/failed")
            raise DropItem(f"{item.reason}: {item.url}", log_level="INFO")
        if isinstance(item, ArticleItem):
            self.push(item)
        return item

    def item_dropped(self, item: Any, response: Any, exception: Exception, **kwargs: Any) -> None:
        """Pages without title or body are failures for the writer (duplicates are not)."""
        if not (isinstance(item, ArticleItem) and str(exception).startswith("missing")):
            return
        reason = "no_" + str(exception).split(":")[0].removeprefix("missing ").split(",")[0]
        self.push(
            FetchFailure(url=item.url, portal=item.portal, reason=reason, detail=str(exception))
        )
        assert self.stats is not None
        self.stats.inc_value("archive/failed")
