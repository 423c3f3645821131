"""Drop items that are not articles, and duplicates within a run."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured

from archive.items import ArticleItem
from archive.normalize import missing_fields
from pipelines.write_mode import writer_prepares

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

__all__ = ["DeduplicatePipeline", "DropIncompleteArticlePipeline", "missing_fields"]


class DropIncompleteArticlePipeline:
    """``DropItem("missing title")`` for pages without a title or a body."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DropIncompleteArticlePipeline:
        if writer_prepares(crawler.settings):
            raise NotConfigured  # the writer process validates (no message: not a warning)
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            missing = missing_fields(item)
            if missing:
                for name in missing:
                    self.stats.inc_value(f"archive/dropped/missing_{name}")
                raise DropItem(f"missing {', '.join(missing)}: {item.url}")
        return item


class DeduplicatePipeline:
    """Drops a second article with the same canonical URL in one run."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicatePipeline:
        if writer_prepares(crawler.settings):
            raise NotConfigured  # the writer process de-duplicates
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            if item.canonical_url in self.seen:
                self.stats.inc_value("archive/dropped/duplicate")
                raise DropItem(f"duplicate of {item.canonical_url}")
            self.seen.add(item.canonical_url)
        return item
