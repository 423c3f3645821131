"""Download article images into ``assets/<sha256>.<ext>``, sending the article as Referer.

Portal image hosts refuse hotlinks (403 without the portal as Referer); Scrapy's media
requests bypass the spider-side ``RefererMiddleware``, so the Referer is set here.
``FilesPipeline`` is used rather than ``ImagesPipeline``, which re-encodes to JPEG.

Content addressing without re-downloading: the file name is the SHA-256 of the bytes (known
only after the download), so the URL → file mapping lives in the index (``image_urls``); a
URL with a stored file is not requested again (read through a read-only connection; only the
writer writes the index). Two URLs with identical bytes end in one file. Files are written
atomically (temp file + rename), so a killed run leaves no partial asset.

Image requests go through the engine like any request (``response_received`` and the
downloader middlewares see them, marked ``meta["archive_image"]``), with a per-request
``download_maxsize`` (``ARCHIVE_IMAGES_MAX_BYTES``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
from collections import defaultdict
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.pipelines.files import FilesPipeline, FilesStoreProtocol, FSFilesStore

from archive.assets import ASSETS_DIR, NotAnImageError, asset_name, image_type
from archive.errors import exception_text
from archive.frontmatter_files import TMP_DIR, write_bytes_atomic
from archive.image_index import known_download, open_readonly
from archive.items import ArticleItem, ImageRef, ImageRetry

if TYPE_CHECKING:
    from io import BytesIO
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.pipelines.media import MediaPipeline
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


_MAXSIZE_RE = re.compile(r"(\d+) bytes which is larger than download max size")


class AtomicFilesStore(FSFilesStore):
    """``FSFilesStore`` writing through a temp file + rename; an existing file (same name,
    hence same bytes) is left alone."""

    fsync = True

    def __init__(self, basedir: str | os.PathLike[str]) -> None:
        # like FSFilesStore, without creating the folder before the first file is stored
        self.basedir = str(basedir).split("://", 1)[-1]
        self.created_directories = defaultdict(set)

    def persist_file(
        self,
        path: str | os.PathLike[str],
        buf: BytesIO,
        info: Any,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        target = self._get_filesystem_path(path)
        if target.is_file():
            return
        # the temp file goes to the archive's .tmp/ (cleared when the archive opens)
        write_bytes_atomic(
            target, buf.getvalue(), fsync=self.fsync, tmp_dir=Path(self.basedir).parent / TMP_DIR
        )


def referer_for(article: ArticleItem, image_url: str) -> str:
    """The article page, or (imported posts have no URL) the image host's root."""
    if article.url:
        return article.url
    parts = urlsplit(image_url)
    return f"{parts.scheme}://{parts.netloc}/"


def _downloadable(article: ArticleItem) -> list[ImageRef]:
    return [ref for ref in article.images if ref.url.startswith(("http://", "https://"))]


def _article(item: Any) -> ArticleItem | None:
    if isinstance(item, ArticleItem):
        return item
    if isinstance(item, ImageRetry):
        return item.article
    return None


def _failure_text(exc: BaseException) -> str:
    text = exception_text(exc).split(" in request <", 1)[0].strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ArchiveImagesPipeline(FilesPipeline):
    """Fills ``status``/``path``/``sha256``/``bytes``/``content_type``/``error`` of each
    :class:`ImageRef` of an :class:`ArticleItem` or :class:`ImageRetry`."""

    STORE_SCHEMES: ClassVar[dict[str, type[FilesStoreProtocol]]] = {
        **FilesPipeline.STORE_SCHEMES,
        "": AtomicFilesStore,
        "file": AtomicFilesStore,
    }

    def __init__(
        self,
        store_uri: str,
        *,
        crawler: Crawler,
        index_path: Path | None = None,
        max_bytes: int = 0,
        max_per_article: int = 0,
    ) -> None:
        super().__init__(store_uri, crawler=crawler)
        self.index_path = index_path
        self.max_bytes = max_bytes
        self.max_per_article = max_per_article
        self._index: sqlite3.Connection | None = None
        self._requested: dict[int, list[ImageRef]] = {}
        self._failures: dict[str, tuple[str, str]] = {}
        self.write = crawler.settings.getbool("ARCHIVE_WRITE", True)
        """Off (``fetch --stdout``): stored copies are used, nothing is downloaded."""
        if isinstance(self.store, AtomicFilesStore):
            self.store.fsync = crawler.settings.getbool("ARCHIVE_FSYNC", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_IMAGES_DOWNLOAD", True):
            logger.debug("ArchiveImagesPipeline off: ARCHIVE_IMAGES_DOWNLOAD is off")
            raise NotConfigured  # no message: Scrapy would print it as a WARNING
        root = Path(settings.get("ARCHIVE_DIR", "archive-data"))
        store = settings.get("FILES_STORE") or str(root / ASSETS_DIR)
        cls._update_stores(settings)
        return cls(
            store,
            crawler=crawler,
            index_path=root / "index.db",
            max_bytes=settings.getint("ARCHIVE_IMAGES_MAX_BYTES", 0),
            max_per_article=settings.getint("ARCHIVE_IMAGES_MAX_PER_ARTICLE", 0),
        )

    def open_spider(self, spider: Any = None) -> None:
        super().open_spider()
        if self.index_path is not None:
            self._index = open_readonly(self.index_path)

    def close_spider(self, spider: Any = None) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    def _known(self, url: str) -> Any:
        if self._index is None and self.index_path is not None:
            self._index = open_readonly(self.index_path)  # created by the writer meanwhile
        return known_download(self._index, url) if self._index is not None else None

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        article = _article(item)
        if article is None:
            return []
        requests, requested = [], []
        for n, ref in enumerate(_downloadable(article)):
            known = self._known(ref.url)
            if known is not None and (Path(self.store_dir) / known.path).is_file():
                known.apply(ref)
                self._inc("archive/images/uptodate")
                continue
            if not self.write:
                continue
            if self.max_per_article and n >= self.max_per_article:
                ref.status = "skipped"
                ref.error = f"over the limit of {self.max_per_article} images per article"
                self._inc("archive/images/skipped")
                continue
            meta = {"archive_image": True, "download_maxsize": self.max_bytes}
            headers = {"Referer": referer_for(article, ref.url)}
            requests.append(Request(ref.url, headers=headers, meta=meta))
            requested.append(ref)
        self._requested[id(item)] = requested
        return requests

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    @property
    def store_dir(self) -> str:
        return str(getattr(self.store, "basedir", ""))

    def media_to_download(
        self, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> None:
        return None  # stored URLs were never requested (get_media_requests)

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        if response is None:
            raise ValueError("content-addressed paths need the response")
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1")
        _mime_type, ext = image_type(response.body, ctype, request.url)
        return asset_name(response.body, ext)[1]

    async def media_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> Any:
        # Results, not exceptions: Scrapy logs a traceback for every raised one.
        if response.status != 200:
            return {"url": request.url, "status": "failed", "error": f"HTTP {response.status}"}
        if not response.body:
            return {"url": request.url, "status": "failed", "error": "empty response"}
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1")
        try:
            mime, ext = image_type(response.body, ctype, request.url)
        except NotAnImageError as exc:
            return {"url": request.url, "status": "failed", "error": str(exc)}
        digest, name = asset_name(response.body, ext)
        buf = BytesIO(response.body)
        self.store.persist_file(name, buf, info)
        return {
            "url": request.url,
            "status": "downloaded",
            "path": name,
            "sha256": digest,
            "bytes": len(response.body),
            "content_type": mime,
            "checksum": hashlib.md5(response.body).hexdigest(),  # noqa: S324 - FilesPipeline's
        }

    def media_failed(
        self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo
    ) -> Any:
        exc = failure.value
        if isinstance(exc, IgnoreRequest):
            self._failures[request.url] = ("skipped", str(exc) or "filtered")
        elif match := _MAXSIZE_RE.search(str(exc)):
            size = match.group(1)
            self._failures[request.url] = (
                "too large",
                f"too large: {size} bytes, over ARCHIVE_IMAGES_MAX_BYTES ({self.max_bytes})",
            )
        elif self.max_bytes and type(exc).__name__ in {"CancelledError", "DownloadCancelledError"}:
            self._failures[request.url] = (
                "too large",
                f"too large: over ARCHIVE_IMAGES_MAX_BYTES ({self.max_bytes})",
            )
        else:
            self._failures[request.url] = ("failed", _failure_text(exc or Exception()))
        return None  # recorded above; the item gets ``(True, None)`` for this request

    def item_completed(self, results: list[Any], item: Any, info: MediaPipeline.SpiderInfo) -> Any:
        article = _article(item)
        if article is None:
            return item
        stats = self.crawler.stats
        assert stats is not None
        requested = self._requested.pop(id(item), [])
        for ref, (ok, value) in zip(requested, results, strict=True):
            ref.attempted = True
            if ok and value and value.get("status") == "downloaded":
                ref.status, ref.error = "downloaded", None
                ref.path, ref.sha256, ref.bytes = value["path"], value["sha256"], value["bytes"]
                ref.content_type, ref.checksum = value["content_type"], value["checksum"]
                stats.inc_value("archive/images/downloaded")
                continue
            if ok and value:
                kind, error = "failed", value["error"]
            elif ok:
                kind, error = self._failures.get(ref.url, ("failed", "download failed"))
            else:
                kind, error = "failed", _failure_text(value.value)
            ref.path = ref.sha256 = ref.content_type = ref.checksum = None
            ref.bytes = None
            if kind == "too large":
                ref.status, ref.error = "skipped", error
                ref.bytes = self._too_large_bytes(error)
            else:
                ref.status, ref.error = kind, error
            stats.inc_value(f"archive/images/{ref.status}")
            if ref.status == "failed":
                logger.warning(
                    "Image failed (%s): %s in %s",
                    ref.error,
                    ref.url,
                    article.url or "an imported post",
                )
        return item

    def _too_large_bytes(self, error: str) -> int:
        """The size a too-large image was refused at (a lower bound when not declared)."""
        words = error.split()
        if len(words) > 2 and words[2].isdigit():
            return int(words[2])
        return self.max_bytes + 1
