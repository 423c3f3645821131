"""The single writer: hands each finished item to :class:`archive.store.Archive`.

The only pipeline with side effects. With scrapy-redis workers, this is the part that
runs in one place (see docs/architecture.md, "Beyond one machine").
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem

from archive.frontmatter_files import IMAGE_MODES, ExportOptions
from archive.store import Archive
from crawler.items import ArticleItem, FetchFailure

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

article_saved = object()
"""Signal sent after each article is saved: ``item`` and ``result`` (a SaveResult)."""


def export_options(settings: BaseSettings) -> ExportOptions:
    """Build :class:`ExportOptions` from ``ARCHIVE_*`` settings."""
    mode = settings.get("ARCHIVE_IMAGE_MODE", "origin")
    if mode not in IMAGE_MODES:
        raise ValueError(f"ARCHIVE_IMAGE_MODE must be one of {IMAGE_MODES}, not {mode!r}")
    return ExportOptions(
        profile=settings.get("ARCHIVE_PROFILE", "hexo"),
        image_mode=mode,
        image_proxy=settings.get("ARCHIVE_IMAGE_PROXY", ExportOptions.image_proxy),
        legacy_titles=settings.getbool("ARCHIVE_LEGACY_TITLES", True),
        placeholder=settings.get("ARCHIVE_PLACEHOLDER_IMAGE", ExportOptions.placeholder),
        local_prefix=settings.get("ARCHIVE_LOCAL_IMAGE_PREFIX", ExportOptions.local_prefix),
        fsync=settings.getbool("ARCHIVE_FSYNC", True),
    )


class ArchiveWriterPipeline:
    """Writes articles (files + index) and records failures; counts ``archive/<status>``."""

    def __init__(self, archive: Archive, crawler: Crawler) -> None:
        self.archive = archive
        self.stats = crawler.stats
        self.signals = crawler.signals
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveWriterPipeline:
        settings = crawler.settings
        archive = Archive(
            Path(settings.get("ARCHIVE_DIR", "archive-data")), export_options(settings)
        )
        return cls(archive, crawler)

    def open_spider(self) -> None:
        _ = self.archive.db  # create folders, clean partial files, migrate

    def close_spider(self) -> None:
        self.archive.close()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchFailure):
            attempts = self.archive.record_failure(item)
            self.stats.inc_value("archive/failed")
            raise DropItem(f"{item.reason} (attempt {attempts}): {item.url}")
        if not isinstance(item, ArticleItem):
            return item
        result = self.archive.save(item)
        self.stats.inc_value(f"archive/{result.status}")
        self.signals.send_catch_log(article_saved, item=item, result=result)
        logger.info("%s %s -> %s", result.status, item.url, result.path)
        return item

    def item_dropped(self, item: Any, response: Any, exception: Exception, **kwargs: Any) -> None:
        """Record articles dropped by validation as failures (duplicates are not failures)."""
        if isinstance(item, ArticleItem) and str(exception).startswith("missing"):
            reason = "no_" + str(exception).split(":")[0].removeprefix("missing ").split(",")[0]
            self.archive.record_failure(
                FetchFailure(url=item.url, portal=item.portal, reason=reason, detail=str(exception))
            )
            self.stats.inc_value("archive/failed")
