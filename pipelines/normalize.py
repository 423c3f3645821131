"""``NormalizeContentPipeline``: applies :func:`archive.normalize.normalize_article` to each
crawled :class:`~archive.items.ArticleItem` (the rules themselves are pure, in ``archive``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from archive.items import ArticleItem
from archive.normalize import normalize_article
from pipelines.write_mode import writer_prepares

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class NormalizeContentPipeline:
    """Applies :func:`normalize_article`; counts unparseable dates in stats."""

    def __init__(self, stats: StatsCollector, tz: str) -> None:
        self.stats = stats
        self.tz = tz

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizeContentPipeline:
        assert crawler.stats is not None
        if writer_prepares(crawler.settings):
            raise NotConfigured  # the writer process normalizes (no message: not a warning)
        return cls(crawler.stats, crawler.settings.get("ARCHIVE_PAGE_TIMEZONE", "Asia/Shanghai"))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        for problem in normalize_article(item, self.tz):
            logger.warning("Unparseable %s %r on %s", problem, item.published_raw, item.url)
            self.stats.inc_value(f"archive/normalize_failed/{problem}")
        return item
