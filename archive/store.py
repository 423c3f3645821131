"""The archive folder and its single writer: files under ``posts/`` plus ``index.db``.

Order of writes keeps the two consistent through crashes: the file is written atomically
first, then its index row; a run killed in between leaves a complete file that the next
run finds identical (not rewritten) and indexes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlite_utils import Database

from archive import image_index, index
from archive.assets import ASSETS_DIR
from archive.crashpoints import crashpoint
from archive.errors import UnsafePathError
from archive.frontmatter_files import (
    TMP_DIR,
    TMP_PREFIX,
    ExportOptions,
    article_id,
    content_hash,
    post_relpath,
    render_article,
    safe_join,
    write_atomic,
)
from archive.items import ArticleItem, FetchFailure, ImageRetry
from archive.records import image_record

logger = logging.getLogger(__name__)

SaveStatus = Literal["new", "updated", "unchanged", "rendered"]


@dataclass(frozen=True)
class SaveResult:
    status: SaveStatus
    path: Path
    article_id: str
    text: str = ""
    """The rendered file, for runs that only render (``fetch --stdout``)."""


SIDECAR_SCHEMA = 1
SIDECAR_FIELDS = (
    "id",
    "url",
    "canonical_url",
    "portal",
    "title",
    "title_raw",
    "author",
    "source",
    "published",
    "published_raw",
    "language",
    "parser",
    "encoding",
    "profile",
    "image_mode",
    "fetched_at",
    "first_seen",
    "origin",
    "imported_from",
)
"""Row fields kept beside each post, so ``reindex`` can rebuild the index from files alone."""


def sidecar_path(post: Path) -> Path:
    """``posts/…/name.md`` → ``posts/…/.name.json`` (hidden: Hexo ignores dot-files)."""
    return post.with_name(f".{post.stem}.json")


def sidecar_text(row: dict[str, object], article: ArticleItem, options: ExportOptions) -> str:
    """Provenance of a post: its index row without the body, plus categories and images."""
    data: dict[str, object] = {"schema": SIDECAR_SCHEMA}
    data.update({key: row.get(key) for key in SIDECAR_FIELDS})
    data["categories"] = list(article.categories)
    data["render_hints"] = article.render_hints
    data["image_proxy"] = options.image_proxy
    data["images"] = [image_record(ref) for ref in article.images]
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


class Archive:
    """An archive folder. Use as a context manager or call :meth:`close`."""

    def __init__(self, root: Path | str, options: ExportOptions | None = None) -> None:
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

    @property
    def db(self) -> Database:
        if self._db is None:
            self.posts_dir.mkdir(parents=True, exist_ok=True)
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
        the portal was not visited).
        """
        aid = article_id(article.canonical_url)
        rel = post_relpath(article)
        target = safe_join(self.posts_dir, rel)
        text = self.render(article)
        digest = content_hash(text)
        stored = index.stored_article(self.db, aid)
        if (
            stored is not None
            and stored["path"] == rel.as_posix()
            and stored["content_hash"] == digest
            and target.is_file()
            and sidecar_path(target).is_file()
            and (stored.get("origin"), stored.get("imported_from")) == (origin, imported_from)
            and stored.get("parser") == article.parser  # a fixed parser replaces a fallback
        ):
            if touch:
                index.touch_article(self.db, aid)
            return SaveResult("unchanged", target, aid)
        row = index.article_row(
            article,
            article_id=aid,
            path=rel.as_posix(),
            content_hash=digest,
            profile=self.options.profile,
            image_mode=self.options.image_mode,
            origin=origin,
            imported_from=imported_from,
        )
        row["first_seen"] = (stored or {}).get("first_seen") or index.now_iso()
        if stored is not None and stored["content_hash"] != digest:
            self._keep_revision(stored, row)
        wrote, _ = self._write_post(target, text, sidecar_text(row, article, self.options))
        if stored is not None and stored["path"] != rel.as_posix():
            old = safe_join(self.posts_dir, stored["path"])
            if old != target:
                old.unlink(missing_ok=True)
                sidecar_path(old).unlink(missing_ok=True)
        index.save_article(self.db, row, article)
        if stored is None:
            status: SaveStatus = "new"
        else:
            status = "updated" if wrote or stored["content_hash"] != digest else "unchanged"
        return SaveResult(status, target, aid)

    def _write_post(self, target: Path, text: str, sidecar: str) -> tuple[bool, bool]:
        """Write a post, then its sidecar, atomically (temp files in ``.tmp/``, never in
        ``posts/``); whether each was (re)written. The index row comes after both."""
        fsync, tmp_dir = self.options.fsync, self.tmp_dir
        wrote_post = write_atomic(target, text, fsync=fsync, tmp_dir=tmp_dir)
        crashpoint("save.after-post")
        wrote_sidecar = write_atomic(sidecar_path(target), sidecar, fsync=fsync, tmp_dir=tmp_dir)
        crashpoint("save.before-index")
        return wrote_post, wrote_sidecar

    def rewrite(
        self, article: ArticleItem, *, origin: str = "crawl", imported_from: str | None = None
    ) -> SaveResult:
        """Re-render an archived article with the current options (``export``, image retries).

        Not a new version of the article: no revision is kept and ``last_seen`` stays. Files
        are written only when their bytes change; ``updated`` when any was.
        """
        aid = article_id(article.canonical_url)
        rel = post_relpath(article)
        target = safe_join(self.posts_dir, rel)
        text = self.render(article)
        stored = index.stored_article(self.db, aid)
        row = index.article_row(
            article,
            article_id=aid,
            path=rel.as_posix(),
            content_hash=content_hash(text),
            profile=self.options.profile,
            image_mode=self.options.image_mode,
            origin=origin,
            imported_from=imported_from,
        )
        row["first_seen"] = (stored or {}).get("first_seen") or index.now_iso()
        wrote = any(self._write_post(target, text, sidecar_text(row, article, self.options)))
        if stored is not None and stored["path"] != rel.as_posix():
            old = safe_join(self.posts_dir, stored["path"])
            if old != target:
                old.unlink(missing_ok=True)
                sidecar_path(old).unlink(missing_ok=True)
                wrote = True
        if wrote or stored is None or stored["content_hash"] != row["content_hash"]:
            seen = self.db.execute("select last_seen from articles where id = ?", [aid]).fetchone()
            index.save_article(self.db, row, article)
            if seen is not None:
                self.db.execute("update articles set last_seen = ? where id = ?", [seen[0], aid])
        return SaveResult("updated" if wrote else "unchanged", target, aid)

    def record_image_attempts(self, article: ArticleItem) -> str:
        """Record the downloads and failed requests of an article's images in ``image_urls``
        (``export`` rewrites the posts afterwards); return the article id."""
        aid = article_id(article.canonical_url)
        with self.db.atomic():
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

    def _keep_revision(self, stored: dict[str, object], row: dict[str, object]) -> None:
        """Keep the previous version of a changed article in ``revisions``."""
        old_row = self.db.table("articles").get(str(row["id"]))
        try:
            old_path = safe_join(self.posts_dir, str(stored["path"]))
            old_text = old_path.read_text(encoding="utf-8")
        except (OSError, UnsafePathError):
            old_text = None
        index.add_revision(self.db, old_row, row, old_text)

    def record_failure(self, failure: FetchFailure, run_id: int | None = None) -> int:
        return index.record_failure(self.db, failure, run_id=run_id)

    # TEMP save_batch shim (replaced by h12w): the batched writer's API, one save per item.
    def save_batch(
        self,
        articles: Sequence[ArticleItem],
        *,
        origin: str = "crawl",
        imported_from: str | None = None,
        touch: bool = True,
    ) -> list[SaveResult]:
        """Save ``articles`` (see :meth:`save`); durable when it returns."""
        return [
            self.save(a, origin=origin, imported_from=imported_from, touch=touch) for a in articles
        ]

    def record_failures(self, failures: Sequence[FetchFailure], run_id: int | None = None) -> None:
        """Record ``failures`` (see :meth:`record_failure`)."""
        for failure in failures:
            self.record_failure(failure, run_id=run_id)
