"""Download article images beside the archive, sending the article as Referer.

Portal image hosts refuse hotlinks (403 without the portal as Referer); Scrapy's media
requests bypass the spider-side ``RefererMiddleware``, so the Referer is set here. Files
keep the stock ``full/<sha1(url)>.<ext>`` paths so reruns find them ``uptodate``;
``FilesPipeline`` is used rather than ``ImagesPipeline``, which re-encodes to JPEG.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.pipelines.files import FilesPipeline, FSFilesStore

from archive.frontmatter_files import TMP_PREFIX, write_bytes_atomic
from crawler.items import ArticleItem, ImageRef

if TYPE_CHECKING:
    from io import BytesIO
    from os import PathLike
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.pipelines.media import MediaPipeline

logger = logging.getLogger(__name__)


def _downloadable(item: ArticleItem) -> list[ImageRef]:
    return [ref for ref in item.images if ref.url.startswith(("http://", "https://"))]


class AtomicFSFilesStore(FSFilesStore):
    """Scrapy's file store, except that a file appears complete or not at all.

    The stock ``persist_file`` is ``path.write_bytes(…)``: a run killed mid-write leaves a
    truncated image, which the next run finds by name, stats as ``uptodate`` and never fetches
    again. Here the bytes go to a hidden temp file in ``.tmp/`` of the store, are fsynced and
    renamed into place; ``.tmp/`` leftovers of a killed run are removed on open.
    """

    def __init__(self, basedir: str | PathLike[str]) -> None:
        super().__init__(basedir)
        self.tmp_dir = Path(self.basedir) / ".tmp"
        self.fsync = True
        """``ARCHIVE_FSYNC``, set by the pipeline."""
        if self.tmp_dir.is_dir():
            for leftover in self.tmp_dir.glob(f"{TMP_PREFIX}*"):
                leftover.unlink(missing_ok=True)

    def persist_file(
        self,
        path: str | PathLike[str],
        buf: BytesIO,
        info: MediaPipeline.SpiderInfo,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        write_bytes_atomic(self._get_filesystem_path(path), buf.getvalue(),
                           fsync=self.fsync, tmp_dir=self.tmp_dir)  # fmt: skip


class ArchiveImagesPipeline(FilesPipeline):
    """Fills ``status``/``path``/``checksum``/``error`` of each :class:`ImageRef`."""

    STORE_SCHEMES: ClassVar[dict[str, Any]] = {
        **FilesPipeline.STORE_SCHEMES,
        "": AtomicFSFilesStore,
        "file": AtomicFSFilesStore,
    }

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_IMAGES_DOWNLOAD", True):
            raise NotConfigured("ARCHIVE_IMAGES_DOWNLOAD is off")
        store = settings.get("FILES_STORE") or str(
            Path(settings.get("ARCHIVE_DIR", "archive-data")) / "images"
        )
        cls._update_stores(settings)
        pipeline = cls(store, crawler=crawler)
        if isinstance(pipeline.store, AtomicFSFilesStore):
            pipeline.store.fsync = settings.getbool("ARCHIVE_FSYNC", True)
        return pipeline

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        if not isinstance(item, ArticleItem):
            return []
        return [
            Request(ref.url, headers={"Referer": item.url}, meta={"archive_image": True})
            for ref in _downloadable(item)
        ]

    def media_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> Any:
        if response.status != 200:
            # A result, not an exception: Scrapy logs a traceback for every raised one.
            return {"url": request.url, "path": None, "checksum": None,
                    "status": f"HTTP {response.status}"}  # fmt: skip
        return super().media_downloaded(response, request, info, item=item)

    def item_completed(self, results: list[Any], item: Any, info: MediaPipeline.SpiderInfo) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        stats = self.crawler.stats
        assert stats is not None
        for ref, (ok, value) in zip(_downloadable(item), results, strict=True):
            if ok and value["status"].startswith("HTTP "):
                ref.status, ref.error = "failed", value["status"]
                stats.inc_value("archive/images/failed")
                logger.warning("Image failed (%s): %s in %s", ref.error, ref.url, item.url)
            elif ok:
                # "uptodate"/"cached" copies are downloaded copies: the stored status is stable
                ref.status = "downloaded"
                ref.path = value["path"]
                ref.checksum = value["checksum"]
                stats.inc_value(f"archive/images/{value['status']}")
            elif isinstance(value.value.__cause__, IgnoreRequest):
                ref.status, ref.error = "skipped", str(value.value)  # offsite or robots.txt
                stats.inc_value("archive/images/skipped")
            else:
                ref.status = "failed"
                ref.error = str(value.value) or type(value.value).__name__
                stats.inc_value("archive/images/failed")
                logger.warning("Image failed (%s): %s in %s", ref.error, ref.url, item.url)
        return item
