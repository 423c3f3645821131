"""The image back-fill spider of ``export --image-mode local``: no page is fetched, each
archived article (rebuilt from the index) goes through the images pipeline again.

Its start yields :class:`~archive.items.ImageRetry` items; its only pipelines are the images
pipeline and :class:`pipelines.store.RetryWriterPipeline` (the single writer of that process).
It lives outside ``crawler.spiders`` so ``scrapy list`` shows portals only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy

from archive.records import archived_articles
from archive.store import Archive


class ImageBackfillSpider(scrapy.Spider):
    """Yields the archived articles ``article_ids`` (from the index) for their images."""

    name = "images"
    custom_settings = {  # noqa: RUF012 - Scrapy's own class attribute
        "ITEM_PIPELINES": {
            "pipelines.images.ArchiveImagesPipeline": 500,
            "pipelines.store.RetryWriterPipeline": 900,
        },
        "SPIDER_MIDDLEWARES": {
            "crawler.middlewares.SkipArchivedMiddleware": None,
            "crawler.image_retry.RetryImagesMiddleware": None,
        },
        "ROBOTSTXT_OBEY": False,  # images only, each on behalf of an archived article
    }

    def __init__(self, *args: Any, article_ids: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.article_ids = list(article_ids or [])

    async def start(self) -> AsyncIterator[Any]:
        root = Path(self.settings.get("ARCHIVE_DIR", "archive-data"))
        with Archive(root) as archive:
            items = list(archived_articles(archive.db, self.article_ids))
        for item in items:
            yield item
