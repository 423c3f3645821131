"""The ``image_urls`` table: one row per original image URL, the state of its download.

``images`` (in :mod:`archive.index`) lists each article's images in body order; this table
is what "downloaded once" and "retried next run" consult: a URL whose row says
``downloaded`` is never requested again (its file is ``assets/<sha256>.<ext>``), a
``failed`` one is retried by later runs until ``ARCHIVE_IMAGES_MAX_ATTEMPTS``. Two URLs with
identical bytes are two rows with one ``sha256`` and one file.

Written only by the single writer (through :func:`archive.index.save_article`); the images
pipeline reads it through a read-only connection (:func:`known_download`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from archive.items import ImageRef

URL_STATUSES = ("downloaded", "failed", "too_large", "skipped")
"""``image_urls.status``: a stored file; a failure to retry; over the size limit; filtered."""


def create_image_urls(db: Database) -> None:
    db.table("image_urls").create(
        {
            "url": str,
            "sha256": str,
            "bytes": int,
            "content_type": str,
            "path": str,
            "checksum": str,
            "status": str,
            "error": str,
            "first_article": str,
            "attempts": int,
            "first_tried": str,
            "last_tried": str,
        },
        pk="url",
    )
    db.table("image_urls").create_index(["sha256"])
    db.table("image_urls").create_index(["status"])


def url_status(ref: ImageRef) -> str | None:
    """The ``image_urls.status`` an attempted reference ends in (``None``: not recorded)."""
    if ref.status == "downloaded":
        return "downloaded"
    if ref.status == "failed":
        return "failed"
    if ref.status == "skipped" and (ref.error or "").startswith("too large"):
        return "too_large"
    if ref.status == "skipped":
        return "skipped"
    return None


def record_attempts(db: Database, article_id: str, refs: Sequence[ImageRef], now: str) -> None:
    """Upsert the ``image_urls`` rows of the references this run attempted or downloaded.

    Inside the caller's transaction. ``attempts`` counts requests; ``first_article`` is kept.
    """
    for ref in refs:
        status = url_status(ref)
        if status is None or not (ref.attempted or status == "downloaded"):
            continue
        old = db.execute(
            "select attempts, first_article, first_tried, status from image_urls where url = ?",
            [ref.url],
        ).fetchone()
        if old is not None and not ref.attempted and old[3] == "downloaded":
            continue  # a reuse of the stored file: nothing new to record
        again = old is not None and old[3] == "downloaded" and status == "downloaded"
        attempts = (old[0] if old else 0) + (1 if ref.attempted and not again else 0)
        row = {
            "url": ref.url,
            "sha256": ref.sha256,
            "bytes": ref.bytes,
            "content_type": ref.content_type,
            "path": ref.path,
            "checksum": ref.checksum,
            "status": status,
            "error": None if status == "downloaded" else ref.error,
            "first_article": old[1] if old else article_id,
            "attempts": attempts,
            "first_tried": old[2] if old else now,
            "last_tried": now,
        }
        columns = ", ".join(f"[{c}]" for c in row)
        marks = ", ".join("?" for _ in row)
        db.execute(
            f"insert or replace into image_urls ({columns}) values ({marks})", list(row.values())
        )


@dataclass(frozen=True)
class KnownImage:
    """A stored download of a URL (a row with ``status = 'downloaded'``)."""

    url: str
    sha256: str
    path: str
    bytes: int | None
    content_type: str | None
    checksum: str | None

    def apply(self, ref: ImageRef) -> None:
        """Mark ``ref`` as this stored download (does not count as an attempt)."""
        ref.status, ref.error = "downloaded", None
        ref.path, ref.sha256, ref.bytes = self.path, self.sha256, self.bytes
        ref.content_type, ref.checksum = self.content_type, self.checksum


_KNOWN_SQL = (
    "select url, sha256, path, bytes, content_type, checksum from image_urls "
    "where status = 'downloaded' and url = ?"
)


def known_download(conn: sqlite3.Connection | Any, url: str) -> KnownImage | None:
    """The stored download of ``url``, if any (a ``sqlite3`` connection or a Database)."""
    row = conn.execute(_KNOWN_SQL, [url]).fetchone()
    return KnownImage(*row) if row and row[1] and row[2] else None


def known_downloads(db: Database, urls: Iterable[str]) -> dict[str, KnownImage]:
    found: dict[str, KnownImage] = {}
    for url in dict.fromkeys(urls):
        known = known_download(db, url)
        if known is not None:
            found[url] = known
    return found


def open_readonly(index_path: Path) -> sqlite3.Connection | None:
    """A read-only connection to an existing index with ``image_urls`` (else ``None``)."""
    if not index_path.is_file():
        return None
    conn = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True, check_same_thread=False)
    try:
        conn.execute("select 1 from image_urls limit 1")
    except sqlite3.OperationalError:
        conn.close()
        return None
    return conn


def retry_candidates(
    db: Database,
    *,
    portal: str | None = None,
    max_attempts: int = 0,
    max_bytes: int = 0,
    statuses: Sequence[str] = ("failed",),
) -> list[str]:
    """Ids of articles with an image in ``statuses`` that a run should try again.

    An image qualifies when its URL has a stored file by now (the post only needs rewriting),
    was never tried, failed fewer than ``max_attempts`` times (0: no limit) or was too large
    for a limit that has since been raised (``max_bytes``, 0: no limit).
    """
    marks = ", ".join("?" for _ in statuses)
    sql = f"""
        select distinct i.article_id from images i
        join articles a on a.id = i.article_id
        left join image_urls u on u.url = i.url
        where i.status in ({marks}) {"and a.portal = ?" if portal else ""}
          and (u.url is null or u.status = 'downloaded'
               or (u.status = 'failed' and (? = 0 or u.attempts < ?))
               or (u.status = 'too_large' and (? = 0 or coalesce(u.bytes, 0) <= ?)))
        order by i.article_id"""
    params: list[Any] = [*statuses, *([portal] if portal else [])]
    params += [max_attempts, max_attempts, max_bytes, max_bytes]
    return [row[0] for row in db.execute(sql, params).fetchall()]
