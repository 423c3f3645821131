"""``RewriteImageUrlsPipeline``: stores proxied image URLs as their originals
(:func:`archive.image_urls.unwrap_article_images`); the image mode is applied at export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from archive.image_urls import DEFAULT_IMAGE_PROXIES, unwrap_article_images
from archive.items import ArticleItem
from pipelines.write_mode import writer_prepares

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def image_proxies(settings: Any) -> list[str]:
    """The proxy wrappers to remove: ``ARCHIVE_IMAGE_PROXIES`` plus ``ARCHIVE_IMAGE_PROXY``."""
    proxies: list[str] = settings.getlist("ARCHIVE_IMAGE_PROXIES", list(DEFAULT_IMAGE_PROXIES))
    template = settings.get("ARCHIVE_IMAGE_PROXY")
    if template and template not in proxies:
        proxies.append(template)
    return proxies


class RewriteImageUrlsPipeline:
    """Stores original image URLs (``ARCHIVE_IMAGE_PROXIES`` lists the wrappers to remove)."""

    def __init__(self, proxies: Sequence[str], stats: Any) -> None:
        self.proxies = tuple(proxies)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RewriteImageUrlsPipeline:
        if writer_prepares(crawler.settings):
            raise NotConfigured  # the writer process unwraps them (no message: not a warning)
        return cls(image_proxies(crawler.settings), crawler.stats)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            changed = unwrap_article_images(item, self.proxies)
            if changed:
                self.stats.inc_value("archive/images_unproxied", changed)
        return item
