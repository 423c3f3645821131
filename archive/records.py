"""Index rows and sidecars back into items: the one decoder of a stored article; and the
JSON records crawl workers send the writer (``item_record`` / ``item_from_record``).

``export`` and the image back-fill rebuild articles from ``index.db`` rows; ``reindex``
rebuilds them from the post's sidecar. Both shapes carry the same fields (the sidecar keeps
``categories`` and ``render_hints`` as JSON values, the index as JSON text), so one function
reads either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from archive import image_index
from archive.errors import BadRecordError
from archive.items import ArticleItem, FetchFailure, ImageRef, ImageRetry


def _dt(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _json(value: Any, empty: Any) -> Any:
    """A sidecar's JSON value as it is, an index row's JSON text decoded."""
    if isinstance(value, str):
        return json.loads(value or "null") or empty
    return value or empty


def image_ref(record: Mapping[str, Any]) -> ImageRef:
    """One ``images`` row, or one image of a sidecar."""
    return ImageRef(
        url=record["url"],
        alt=record.get("alt") or "",
        status=record.get("status") or "pending",
        path=record.get("path"),
        checksum=record.get("checksum"),
        error=record.get("error"),
        sha256=record.get("sha256"),
        bytes=record.get("bytes"),
        content_type=record.get("content_type"),
    )


def image_record(ref: ImageRef) -> dict[str, Any]:
    """What the index (``images``) and the sidecar store of one image: :func:`image_ref`
    reads it back."""
    return {
        "url": ref.url,
        "alt": ref.alt,
        "status": ref.status,
        "path": ref.path,
        "checksum": ref.checksum,
        "error": ref.error,
        "sha256": ref.sha256,
        "bytes": ref.bytes,
        "content_type": ref.content_type,
    }


def article_from_record(
    record: Mapping[str, Any],
    images: Sequence[ImageRef],
    *,
    body_html: str | None = None,
    body_text: str | None = None,
) -> ArticleItem:
    """The article of an ``articles`` row or a sidecar (body and text from the row unless
    given: a sidecar has no body, ``reindex`` reads it from the post file)."""
    return ArticleItem(
        url=record.get("url") or "",
        portal=record["portal"],
        canonical_url=record["canonical_url"],
        title_raw=record.get("title_raw") or "",
        title=record.get("title") or "",
        source=record.get("source") or "",
        author=record.get("author") or "",
        categories=list(_json(record.get("categories"), [])),
        published_raw=record.get("published_raw") or "",
        published=_dt(record.get("published")),
        body_html=record.get("body") or "" if body_html is None else body_html,
        body_text=record.get("body_text") or "" if body_text is None else body_text,
        images=list(images),
        language=record.get("language") or "",
        parser=record.get("parser") or "",
        encoding=record.get("encoding") or "",
        fetched_at=_dt(record.get("fetched_at")),
        render_hints=dict(_json(record.get("render_hints"), {})),
    )


def article_from_row(row: Mapping[str, Any], images: Sequence[Mapping[str, Any]]) -> ImageRetry:
    """An archived article as the writer saved it (body with original image URLs), with the
    ``origin`` it keeps when rewritten."""
    refs = [image_ref(i) for i in sorted(images, key=lambda i: i["position"])]
    return ImageRetry(
        article_from_record(row, refs),
        origin=row.get("origin") or "crawl",
        imported_from=row.get("imported_from"),
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


# --------------------------------------------------------------------------- queue records

RECORD_SCHEMA = 1
_DATETIMES = frozenset(
    f.name for f in fields(ArticleItem) if f.type in {"datetime | None", "datetime"}
)


def item_record(item: ArticleItem | FetchFailure) -> dict[str, Any]:
    """An item as a JSON-able dict, every field (images too), read back exactly by
    :func:`item_from_record`: what a crawl worker sends the writer."""
    if isinstance(item, FetchFailure):
        return {"schema": RECORD_SCHEMA, "kind": "failure", "item": asdict(item)}
    data = asdict(item)
    for name in _DATETIMES:
        value = data[name]
        data[name] = value.isoformat() if value is not None else None
    return {"schema": RECORD_SCHEMA, "kind": "article", "item": data}


def item_from_record(record: Mapping[str, Any]) -> ArticleItem | FetchFailure:
    """The item of an :func:`item_record` dict; :class:`BadRecordError` for anything else."""
    if not isinstance(record, Mapping) or record.get("schema") != RECORD_SCHEMA:
        raise BadRecordError(f"not a schema-{RECORD_SCHEMA} item record: {record!r:.200}")
    data = dict(record.get("item") or {})
    try:
        if record.get("kind") == "failure":
            return FetchFailure(**data)
        if record.get("kind") != "article":
            raise BadRecordError(f"unknown record kind {record.get('kind')!r}")
        for name in _DATETIMES:
            data[name] = _dt(data.get(name))
        data["images"] = [ImageRef(**ref) for ref in data.get("images") or []]
        return ArticleItem(**data)
    except (TypeError, ValueError) as exc:
        raise BadRecordError(f"bad item record: {exc}") from None


def dumps_record(item: ArticleItem | FetchFailure, **extra: Any) -> str:
    """:func:`item_record` as JSON text, with ``extra`` keys (message id, crawl epoch)."""
    return json.dumps({**item_record(item), **extra}, ensure_ascii=False, sort_keys=True)
