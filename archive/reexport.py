"""``export``: rewrite every archived post from the index in another image mode, downloading
what image mode ``local`` still lacks through Scrapy (the same :mod:`pipelines.images`).

No page is fetched again: each article is rebuilt from its index row (the stored body keeps
original image URLs), its images are matched with the stored downloads (``image_urls``), and
the post and sidecar are written only when their bytes change (temp file + rename each).
A killed export leaves every file either old or new; running it again finishes the job.

The downloads run as a small spider (:class:`ImageBackfillSpider`) whose start yields
:class:`~crawler.items.ImageRetry` items; its only pipelines are the images pipeline and
:class:`RetryWriterPipeline` (the single writer of that process). Crawl runs use the same
items for the failed images of archived articles (``crawler.image_retry``).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from sqlite_utils import Database

from archive import image_index
from archive.store import Archive, SaveResult
from crawler.items import ArticleItem, ImageRef, ImageRetry
from pipelines.images import AtomicFilesStore, NotAnImageError, asset_name, image_type

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- index → items


def _dt(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def article_from_row(row: dict[str, Any], images: list[dict[str, Any]]) -> ImageRetry:
    """An archived article as the writer saved it (body with original image URLs)."""
    refs = [
        ImageRef(
            url=i["url"],
            alt=i.get("alt") or "",
            status=i.get("status") or "pending",
            path=i.get("path"),
            checksum=i.get("checksum"),
            error=i.get("error"),
            sha256=i.get("sha256"),
            bytes=i.get("bytes"),
            content_type=i.get("content_type"),
        )
        for i in sorted(images, key=lambda i: i["position"])
    ]
    article = ArticleItem(
        url=row.get("url") or "",
        portal=row["portal"],
        canonical_url=row["canonical_url"],
        title_raw=row.get("title_raw") or "",
        title=row.get("title") or "",
        source=row.get("source") or "",
        author=row.get("author") or "",
        categories=list(json.loads(row.get("categories") or "[]")),
        published_raw=row.get("published_raw") or "",
        published=_dt(row.get("published")),
        body_html=row.get("body") or "",
        body_text=row.get("body_text") or "",
        images=refs,
        language=row.get("language") or "",
        parser=row.get("parser") or "",
        encoding=row.get("encoding") or "",
        fetched_at=_dt(row.get("fetched_at")),
        render_hints=json.loads(row.get("render_hints") or "null") or {},
    )
    return ImageRetry(
        article, origin=row.get("origin") or "crawl", imported_from=row.get("imported_from")
    )


def archived_articles(db: Database, ids: list[str] | None = None) -> Iterator[ImageRetry]:
    """Every archived article (or those of ``ids``), rebuilt from the index, by id."""
    if ids is None:
        ids = [r[0] for r in db.execute("select id from articles order by id").fetchall()]
    for aid in ids:
        rows = list(db.table("articles").rows_where("id = ?", [aid]))
        if rows:
            images = list(db.table("images").rows_where("article_id = ?", [aid]))
            yield article_from_row(rows[0], images)


def apply_known(db: Database, article: ArticleItem, assets_dir: Path) -> int:
    """Mark images stored meanwhile (through another article) as downloaded; return how many."""
    todo = [ref for ref in article.images if ref.status != "downloaded"]
    known = image_index.known_downloads(db, (ref.url for ref in todo))
    applied = 0
    for ref in todo:
        stored = known.get(ref.url)
        if stored is not None and (assets_dir / stored.path).is_file():
            stored.apply(ref)
            applied += 1
    return applied


# --------------------------------------------------------------------------- the spider


class ImageBackfillSpider(scrapy.Spider):
    """Yields the archived articles ``article_ids`` (from the index) for their images."""

    name = "images"
    custom_settings = {  # noqa: RUF012 - Scrapy's own class attribute
        "ITEM_PIPELINES": {
            "pipelines.images.ArchiveImagesPipeline": 500,
            "archive.reexport.RetryWriterPipeline": 900,
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


class RetryWriterPipeline:
    """The writer of an image backfill run: records each URL's download or failure
    (``export`` rewrites the posts afterwards, from the index)."""

    def __init__(self, archive: Archive, crawler: Crawler) -> None:
        self.archive = archive
        self.stats = crawler.stats
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryWriterPipeline:
        from pipelines.store import export_options

        root = Path(crawler.settings.get("ARCHIVE_DIR", "archive-data"))
        return cls(Archive(root, export_options(crawler.settings)), crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ImageRetry):
            self.archive.record_image_attempts(item.article)
        return item

    def spider_closed(self, spider: Any) -> None:
        self.archive.close()


def download_images(settings: Settings, article_ids: list[str]) -> dict[str, Any]:
    """Run :class:`ImageBackfillSpider` over ``article_ids``; return its stats."""
    from scrapy.crawler import AsyncCrawlerProcess

    process = AsyncCrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(ImageBackfillSpider)
    process.crawl(crawler, article_ids=article_ids)
    process.start()
    assert crawler.stats is not None
    return dict(crawler.stats.get_stats())


# --------------------------------------------------------------------------- legacy images/


def migrate_legacy_images(archive: Archive) -> int:
    """Move downloads of the old ``images/full/<sha1(url)>`` layout into ``assets/``.

    Each file referenced by an ``images`` row is hashed and moved to
    ``assets/<sha256>.<ext>`` (rows and ``image_urls`` updated); rows whose file is gone
    become ``failed`` (retried by the next local export). Files no row references are left
    in ``images/`` and reported by ``verify``. Returns how many rows were migrated.
    """
    legacy = archive.images_dir
    if not legacy.is_dir():
        return 0
    db = archive.db
    rows = list(
        db.execute(
            "select article_id, position, url, path from images where path is not null "
            "and path like 'full/%'"
        ).fetchall()
    )
    store = AtomicFilesStore(str(archive.assets_dir))
    store.fsync = archive.options.fsync
    migrated = 0
    now = image_index_now()
    for aid, position, url, rel in rows:
        source = legacy / rel
        updates: dict[str, Any]
        try:
            body = source.read_bytes()
            mime, ext = image_type(body, "", url)
        except (OSError, NotAnImageError) as exc:
            updates = {"status": "failed", "path": None, "error": f"legacy copy unusable: {exc}"}
        else:
            digest, name = asset_name(body, ext)
            store.persist_file(name, _buffer(body), None)
            updates = {"path": name, "sha256": digest, "bytes": len(body), "content_type": mime}
            ref = ImageRef(
                url=url,
                status="downloaded",
                path=name,
                sha256=digest,
                bytes=len(body),
                content_type=mime,
            )
            with db.atomic():
                image_index.record_attempts(db, aid, [ref], now)
        with db.atomic():
            db.table("images").update((aid, position), updates)
        migrated += 1
    for rel in {r[3] for r in rows}:
        (legacy / rel).unlink(missing_ok=True)
    _remove_empty(legacy)
    return migrated


def image_index_now() -> str:
    from archive.index import now_iso

    return now_iso()


def _buffer(body: bytes) -> Any:
    from io import BytesIO

    return BytesIO(body)


def _remove_empty(folder: Path) -> None:
    for sub in sorted(folder.rglob("*"), reverse=True):
        if sub.is_dir() and not any(sub.iterdir()):
            sub.rmdir()
    if folder.is_dir() and not any(folder.iterdir()):
        shutil.rmtree(folder)


# --------------------------------------------------------------------------- export


@dataclass
class ExportReport:
    rewritten: int = 0
    unchanged: int = 0
    downloaded: int = 0
    failed: int = 0
    migrated: int = 0
    """Rows moved from the legacy ``images/full/`` layout."""
    paths: list[Path] = field(default_factory=list)
    """Rewritten posts."""


def needs_download(db: Database, max_bytes: int) -> list[str]:
    """Articles with an image that is not stored yet and worth another request."""
    return image_index.retry_candidates(
        db, statuses=("failed", "pending", "skipped"), max_attempts=0, max_bytes=max_bytes
    )


def export_archive(
    settings: Settings, *, download: bool = True, ids: list[str] | None = None
) -> ExportReport:
    """Rewrite every post of ``ARCHIVE_DIR`` (or the articles ``ids``) in the settings' image
    mode, downloading the missing images first in mode ``local`` (see module doc)."""
    from pipelines.store import export_options

    root = Path(settings.get("ARCHIVE_DIR", "archive-data"))
    options = export_options(settings)
    report = ExportReport()
    with Archive(root, options) as archive:
        report.migrated = migrate_legacy_images(archive)
        todo = needs_download(archive.db, settings.getint("ARCHIVE_IMAGES_MAX_BYTES", 0))
        if ids is not None:
            todo = [aid for aid in todo if aid in set(ids)]
    if download and options.image_mode == "local" and todo:
        stats = download_images(settings, todo)
        report.downloaded = int(stats.get("archive/images/downloaded", 0))
        report.failed = int(stats.get("archive/images/failed", 0))
    with Archive(root, options) as archive:
        for item in list(archived_articles(archive.db, ids)):
            apply_known(archive.db, item.article, archive.assets_dir)
            result: SaveResult = archive.rewrite(
                item.article, origin=item.origin, imported_from=item.imported_from
            )
            if result.status == "updated":
                report.rewritten += 1
                report.paths.append(result.path)
            else:
                report.unchanged += 1
    return report
