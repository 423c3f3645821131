"""``export``: rewrite every archived post from the index in another profile and/or image mode,
downloading what image mode ``local`` still lacks through Scrapy (the same
:mod:`pipelines.images`). What the export does not set, each post keeps (``docs/profiles.md``).

No page is fetched again: each article is rebuilt from its index row (the stored body keeps
original image URLs), its images are matched with the stored downloads (``image_urls``), and
the post and sidecar are written only when their bytes change (temp file + rename each).
A killed export leaves every file either old or new; running it again finishes the job.

The downloads run as a small spider (:class:`ImageBackfillSpider`) whose start yields
:class:`~archive.items.ImageRetry` items; its only pipelines are the images pipeline and
:class:`RetryWriterPipeline` (the single writer of that process). Crawl runs use the same
items for the failed images of archived articles (``crawler.image_retry``).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from archive import image_index
from archive.assets import NotAnImageError, asset_name, image_type
from archive.errors import UnsafePathError
from archive.frontmatter_files import (
    IMAGE_MODES,
    PROFILES,
    ExportOptions,
    article_id,
    export_options,
    safe_join,
)
from archive.items import ImageRef
from archive.records import apply_known, archived_articles
from archive.store import Archive, SaveResult, sidecar_path
from archive.writer import Entry
from crawler.backfill import ImageBackfillSpider
from pipelines.images import AtomicFilesStore

if TYPE_CHECKING:
    from scrapy.settings import Settings

EXPORT_BATCH = 200
"""Posts rewritten per batch (files per batch, one index transaction)."""

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- index → items


# --------------------------------------------------------------------------- the spider


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


def _stored_modes(db: Database) -> dict[str, tuple[str, str, str]]:
    """Article id → (profile, image mode, path) it was last written with."""
    sql = "select id, coalesce(profile, 'hexo'), coalesce(image_mode, 'origin'), path from articles"
    return {str(r[0]): (str(r[1]), str(r[2]), str(r[3] or "")) for r in db.execute(sql)}


def kept_options(
    options: ExportOptions,
    stored: tuple[str, str, str],
    posts_dir: Path,
    *,
    keep_profile: bool,
    keep_image_mode: bool,
) -> ExportOptions:
    """``options`` with the post's own profile and/or image mode (and proxy template, from its
    sidecar) where the export does not set them."""
    profile, mode, rel = stored
    changes: dict[str, Any] = {}
    if keep_profile and profile in PROFILES:
        changes["profile"] = profile
    if keep_image_mode and mode in IMAGE_MODES:
        changes["image_mode"] = mode
        try:
            sidecar = json.loads(sidecar_path(safe_join(posts_dir, rel)).read_text("utf-8"))
        except (OSError, ValueError, UnsafePathError):
            sidecar = {}
        template = sidecar.get("image_proxy") if isinstance(sidecar, dict) else None
        if isinstance(template, str) and template:
            changes["image_proxy"] = template
    return replace(options, **changes) if changes else options


def export_archive(
    settings: Settings,
    *,
    download: bool = True,
    ids: list[str] | None = None,
    keep_profile: bool = False,
    keep_image_mode: bool = False,
) -> ExportReport:
    """Rewrite every post of ``ARCHIVE_DIR`` (or the articles ``ids``) in the settings' profile
    and image mode, downloading the missing images first in mode ``local`` (see module doc).

    ``keep_profile`` / ``keep_image_mode``: each post keeps the profile / image mode (and proxy
    template) it was written with instead (the CLI sets them when the option is not given).
    """
    root = Path(settings.get("ARCHIVE_DIR", "archive-data"))
    options = export_options(settings)
    report = ExportReport()
    with Archive(root, options) as archive:
        report.migrated = migrate_legacy_images(archive)
        todo = needs_download(archive.db, settings.getint("ARCHIVE_IMAGES_MAX_BYTES", 0))
        if ids is not None:
            todo = [aid for aid in todo if aid in set(ids)]
        stored = _stored_modes(archive.db)
    if keep_image_mode or options.image_mode != "local":
        todo = []  # only an explicit local export downloads (a profile switch stays offline)
    if download and todo:
        stats = download_images(settings, todo)
        report.downloaded = int(stats.get("archive/images/downloaded", 0))
        report.failed = int(stats.get("archive/images/failed", 0))
    with Archive(root, options) as archive:
        items = list(archived_articles(archive.db, ids))
        for start in range(0, len(items), EXPORT_BATCH):
            entries = []
            for item in items[start : start + EXPORT_BATCH]:
                apply_known(archive.db, item.article, archive.assets_dir)
                aid = article_id(item.article.canonical_url)
                own = options
                if aid in stored:  # what the command does not change, each post keeps
                    own = kept_options(
                        options,
                        stored[aid],
                        archive.posts_dir,
                        keep_profile=keep_profile,
                        keep_image_mode=keep_image_mode,
                    )
                entries.append(Entry(item.article, item.origin, item.imported_from, own))
            results: list[SaveResult] = archive.rewrite_entries(entries)
            for result in results:
                if result.status == "updated":
                    report.rewritten += 1
                    report.paths.append(result.path)
                else:
                    report.unchanged += 1
    return report
