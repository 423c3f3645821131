"""The archive folder and its single writer: files under ``posts/`` plus ``index.db``.

Order of writes keeps the two consistent through crashes: the file is written atomically
first, then its index row; a run killed in between leaves a complete file that the next
run finds identical (not rewritten) and indexes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from sqlite_utils import Database

from archive import image_index, index
from archive.assets import ASSETS_DIR
from archive.frontmatter_files import TMP_DIR, TMP_PREFIX, ExportOptions, article_id, render_article
from archive.items import ArticleItem, FetchFailure, ImageRetry
from archive.writer import (
    SIDECAR_FIELDS,
    SIDECAR_SCHEMA,
    Entry,
    SaveResult,
    SaveStatus,
    sidecar_path,
    sidecar_text,
    write_batch,
)

logger = logging.getLogger(__name__)

__all__ = [
    "SIDECAR_FIELDS",
    "SIDECAR_SCHEMA",
    "Archive",
    "SaveResult",
    "SaveStatus",
    "sidecar_path",
    "sidecar_text",
]


class Archive:
    """An archive folder. Use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        root: Path | str,
        options: ExportOptions | None = None,
        *,
        remove_partial: bool = True,
    ) -> None:
        self.root = Path(root)
        self.options = options or ExportOptions()
        self.posts_dir = self.root / "posts"
        self.images_dir = self.root / "images"
        """Legacy layout (``images/full/<sha1>``), migrated into ``assets/`` by ``export``."""
        self.assets_dir = self.root / ASSETS_DIR
        self.index_path = self.root / "index.db"
        self.tmp_dir = self.root / TMP_DIR
        """Where files are written before their rename into ``posts/`` (same file system)."""
        self._db: Database | None = None
        self._remove_partial = remove_partial
        """Remove a killed run's temp files on open (not for a second handle of a live run:
        its image downloads write temp files too)."""

    @property
    def db(self) -> Database:
        if self._db is None:
            self.posts_dir.mkdir(parents=True, exist_ok=True)
            if self._remove_partial:
                self.remove_partial_files()
            self._db = index.open_index(self.index_path)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def remove_partial_files(self) -> int:
        """Delete temp files a killed writer left behind; return how many.

        They are in :attr:`tmp_dir` (or, when that was on another file system, hidden
        ``.tmp-*`` files beside their targets in ``posts/``).
        """
        removed = 0
        partial = list(self.posts_dir.rglob(f"{TMP_PREFIX}*"))
        if self.assets_dir.is_dir():
            partial += self.assets_dir.glob(f"{TMP_PREFIX}*")
        if self.tmp_dir.is_dir():
            partial += self.tmp_dir.glob(f"{TMP_PREFIX}*")
        for tmp in partial:
            tmp.unlink(missing_ok=True)
            removed += 1
        if removed:
            logger.warning("Removed %d partial file(s) left by an interrupted run", removed)
        return removed

    def render(self, article: ArticleItem) -> str:
        return render_article(article, self.options)

    def save(
        self,
        article: ArticleItem,
        *,
        origin: str = "crawl",
        imported_from: str | None = None,
        touch: bool = True,
    ) -> SaveResult:
        """Write the article's file and sidecar (if changed) and index row; report it.

        ``origin`` is ``crawl`` or ``import`` (then ``imported_from`` names the source file).
        ``touch=False`` leaves an unchanged article's ``last_seen`` alone (``reextract``:
        the portal was not visited). A batch of one: :meth:`save_batch`.
        """
        return self.save_batch(
            [article], origin=origin, imported_from=[imported_from], touch=touch
        )[0]

    def save_batch(
        self,
        articles: Sequence[ArticleItem],
        *,
        origin: str = "crawl",
        imported_from: Sequence[str | None] | None = None,
        touch: bool = True,
    ) -> list[SaveResult]:
        """Write many articles: files per batch, then one index transaction
        (``archive/writer.py``); one result per article, in order. Applying the same batch
        twice changes nothing the second time. Duplicates: the last one's content is written,
        the first one reports it, later ones are ``unchanged``."""
        sources = list(imported_from) if imported_from is not None else [None] * len(articles)
        if len(sources) != len(articles):
            raise ValueError("imported_from must have one entry per article")
        entries = [Entry(a, origin, s) for a, s in zip(articles, sources, strict=True)]
        return write_batch(self, entries, touch=touch)

    def save_entries(self, entries: Sequence[Entry], *, touch: bool = True) -> list[SaveResult]:
        """:meth:`save_batch` of entries that may each bring their own origin and options."""
        return write_batch(self, entries, touch=touch)

    def bulk_index(self, incoming: int, bulk: bool | None = None) -> AbstractContextManager[object]:
        """Around the writes of ``incoming`` articles: :func:`archive.index.bulk_load` (one
        index transaction, search indexes rebuilt once at the end) when ``bulk`` is true,
        or, when it is ``None``, when :func:`archive.index.bulk_load_pays` for this index;
        otherwise nothing (each batch its own transaction)."""
        if bulk is None:
            bulk = index.bulk_load_pays(index.count_articles(self.db), incoming)
        return index.bulk_load(self.db) if bulk else nullcontext()

    def rewrite(
        self, article: ArticleItem, *, origin: str = "crawl", imported_from: str | None = None
    ) -> SaveResult:
        """Re-render an archived article with the current options (``export``, image retries).

        Not a new version of the article: no revision is kept and ``last_seen`` stays. Files
        are written only when their bytes change; ``updated`` when any was.
        """
        return self.rewrite_entries([Entry(article, origin, imported_from)])[0]

    def rewrite_entries(self, entries: Sequence[Entry]) -> list[SaveResult]:
        """:meth:`rewrite` of a batch (files per batch, one index transaction)."""
        return write_batch(self, entries, touch=False, rewrite=True)

    def record_image_attempts(self, article: ArticleItem) -> str:
        """Record the downloads and failed requests of an article's images in ``image_urls``
        (``export`` rewrites the posts afterwards); return the article id."""
        aid = article_id(article.canonical_url)
        with index.write_transaction(self.db):
            image_index.record_attempts(self.db, aid, article.images, index.now_iso())
        return aid

    def retry_images(self, retry: ImageRetry) -> SaveResult:
        """Record a retried article's image attempts, then rewrite its post.

        Every attempt counts in ``image_urls``; the article's own record of an image that
        still fails keeps its first error (no rewrite for a changed error text).
        """
        article = retry.article
        aid = self.record_image_attempts(article)
        before = {r["url"]: r for r in self.db.table("images").rows_where("article_id = ?", [aid])}
        for ref in article.images:
            ref.attempted = False  # recorded just above
            old = before.get(ref.url)
            if old is not None and ref.status != "downloaded" and old["status"] == ref.status:
                ref.error, ref.bytes = old["error"], old["bytes"]
        return self.rewrite(article, origin=retry.origin, imported_from=retry.imported_from)

    def record_failure(self, failure: FetchFailure, run_id: int | None = None) -> int:
        return index.record_failure(self.db, failure, run_id=run_id)

    def record_failures(
        self, failures: Sequence[FetchFailure], run_id: int | None = None
    ) -> list[int]:
        """Record many failures in one transaction; their attempt counts, in order."""
        return index.record_failures(self.db, failures, run_id=run_id)
