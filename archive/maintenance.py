"""Keeping files and index in agreement: ``reindex``, ``verify``, ``stats``.

The files under ``posts/`` (each with its hidden sidecar ``.name.json``) are the source of
truth. :func:`reindex` rebuilds ``index.db`` from them alone into a temporary database and swaps
it in with one ``os.replace``; :func:`verify` lists every disagreement between files and
index; :func:`stats` counts what is archived. All three return typed reports; printing them is
the CLI's job (``portal_archive.cli.maintenance``).

What the files cannot give back is carried over from the old index when there is one:
``crawl_runs``, ``failures``, ``revisions`` (operational history) and each article's
``last_seen`` (without an old index it is set to ``first_seen``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from sqlite_utils import Database

from archive import index
from archive.assets import ASSETS_DIR, TMP_PREFIX
from archive.errors import IndexInUseError, NoIndexError, UnsafePathError
from archive.frontmatter_files import (
    POST_SUFFIXES,
    ExportOptions,
    ImageMode,
    article_id,
    article_image_url,
    content_hash,
    replace_img_src_text,
    safe_join,
)
from archive.hexo import HexoFormatError, parse_post
from archive.html import html_to_text, map_img_src
from archive.index import render_hints_json
from archive.items import FALLBACK_PARSER, ArticleItem, ImageRef
from archive.profiles import HANDLERS, SiteFormatError, hugo_unescape, parse_site_post
from archive.records import article_from_record, image_ref
from archive.store import SIDECAR_SCHEMA, sidecar_path

__all__ = [
    "CARRIED_TABLES",
    "IndexedPost",
    "Problem",
    "ReindexReport",
    "StatsReport",
    "VerifyReport",
    "indexed_post",
    "reindex",
    "stats",
    "stored_body",
    "verify",
]

CARRIED_TABLES: tuple[str, ...] = ("crawl_runs", "failures", "revisions", "image_urls")
"""Tables no file can rebuild; ``reindex`` copies them from the old index."""

POST_FILE_SUFFIXES: tuple[str, ...] = tuple(sorted(set(POST_SUFFIXES.values())))
"""Names below ``posts/`` that are posts (of any profile)."""

TEMP_INDEX = ".index.db.reindex"
"""The database ``reindex`` builds before swapping it in (a crashed run's copy is removed)."""

ProblemKind = Literal[
    "file-without-row",
    "row-without-file",
    "hash-mismatch",
    "sidecar-missing",
    "sidecar-invalid",
    "outside-posts",
    "duplicate-id",
    "unreadable-post",
    "asset-missing",
    "asset-mismatch",
    "asset-orphan",
    "asset-partial",
    "legacy-images",
]


@dataclass(frozen=True, order=True)
class Problem:
    """One disagreement between the files and the index (or a file that cannot be indexed)."""

    kind: ProblemKind
    path: str
    """Below ``posts/`` (a row's stored path for rows)."""
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}" + (f" ({self.detail})" if self.detail else "")


class _PostError(ValueError):
    def __init__(self, kind: ProblemKind, detail: str) -> None:
        super().__init__(detail)
        self.kind: ProblemKind = kind


# --------------------------------------------------------------------------- walking posts/


@dataclass(frozen=True)
class _PostFile:
    rel: str
    path: Path


def _walk_posts(posts_dir: Path) -> tuple[list[_PostFile], list[Problem]]:
    """Every post (``*.md``, ``*.html``) below ``posts/`` (no dot-names), and links leading out."""
    files: list[_PostFile] = []
    problems: list[Problem] = []
    if not posts_dir.is_dir():
        return files, problems
    for folder, dirnames, filenames in os.walk(posts_dir, followlinks=False):
        here = Path(folder)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in [*dirnames, *filenames]:
            path = here / name
            if not path.is_symlink():
                continue
            rel = path.relative_to(posts_dir).as_posix()
            try:
                safe_join(posts_dir, rel)
            except UnsafePathError:
                problems.append(Problem("outside-posts", rel, f"symlink to {path.resolve()}"))
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith(POST_FILE_SUFFIXES):
                continue
            path = here / name
            rel = path.relative_to(posts_dir).as_posix()
            with suppress(UnsafePathError):
                safe_join(posts_dir, rel)
                files.append(_PostFile(rel, path))
    return files, problems


def _read_sidecar(post: Path) -> dict[str, Any]:
    side = sidecar_path(post)
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _PostError("sidecar-missing", f"no {side.name}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _PostError("sidecar-invalid", f"{side.name}: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SIDECAR_SCHEMA:
        raise _PostError("sidecar-invalid", f"{side.name}: not a schema-{SIDECAR_SCHEMA} sidecar")
    missing = [
        k
        for k in ("id", "canonical_url", "portal", "profile", "image_mode")
        if not isinstance(data.get(k), str)
    ]
    if missing:
        raise _PostError("sidecar-invalid", f"{side.name}: no {', '.join(missing)}")
    if article_id(data["canonical_url"]) != data["id"]:
        raise _PostError("sidecar-invalid", f"{side.name}: id does not match canonical_url")
    return data


# --------------------------------------------------------------------------- reindex


def stored_body(
    file_body: str, images: list[ImageRef], options: ExportOptions, hints: Mapping[str, Any]
) -> str:
    """The export reversed: the body as the index stores it, given the body of the file.

    Image URLs the export produced (proxied, local) go back to the originals the sidecar
    lists. A crawled body is re-sanitized (the allow-list drops the ``referrerpolicy`` the
    export adds; sanitizing is idempotent); a verbatim (imported) body only has its ``src``
    values replaced as text, as the export did.
    """
    originals = {article_image_url(ref, options, hints): ref.url for ref in images}

    def reverse(src: str) -> str:
        return originals.get(src, src)

    if hints.get("body_verbatim"):
        return replace_img_src_text(file_body, reverse)
    return map_img_src(file_body, reverse)


@dataclass(frozen=True)
class IndexedPost:
    """What one post contributes to the index: the article (images, categories) and its row."""

    article: ArticleItem
    row: dict[str, Any]


def indexed_post(
    rel: str, text: str, sidecar: Mapping[str, Any], local_prefix: str = ExportOptions.local_prefix
) -> IndexedPost:
    """Rebuild one post's index rows from its file text and sidecar (pure)."""
    profile = sidecar["profile"]
    try:
        if profile == "hexo":
            file_body = parse_post(text).body_html
        elif profile in HANDLERS:
            file_body = parse_site_post(text, profile).body
            file_body = hugo_unescape(file_body) if profile == "hugo" else file_body
        else:
            raise _PostError("unreadable-post", f"profile {profile!r} cannot be read back")
    except (HexoFormatError, SiteFormatError) as exc:
        raise _PostError("unreadable-post", str(exc)) from None
    mode: ImageMode = sidecar["image_mode"]
    options = ExportOptions(
        profile=profile,
        image_mode=mode,
        image_proxy=sidecar.get("image_proxy") or ExportOptions.image_proxy,
        local_prefix=local_prefix,
    )
    images = [image_ref(img) for img in sidecar.get("images") or []]
    hints = dict(sidecar.get("render_hints") or {})
    body = stored_body(file_body, images, options, hints)
    article = article_from_record(sidecar, images, body_html=body, body_text=html_to_text(body))
    row = index.article_row(
        article,
        article_id=sidecar["id"],
        path=rel,
        content_hash=content_hash(text),
        profile=sidecar["profile"],
        image_mode=mode,
    )
    row["first_seen"] = sidecar.get("first_seen")
    row["origin"] = sidecar.get("origin") or "crawl"
    row["imported_from"] = sidecar.get("imported_from")
    row["render_hints"] = render_hints_json(hints)
    return IndexedPost(article, row)


@dataclass(frozen=True)
class ReindexReport:
    articles: int
    images: int
    categories: int
    carried_over: dict[str, int] = field(default_factory=dict)
    """Rows copied from the old index per table (``CARRIED_TABLES``)."""
    skipped: list[Problem] = field(default_factory=list)
    """Files that could not be indexed (no or invalid sidecar, unreadable post, …)."""


def _remove_db(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _old_state(index_path: Path) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Rows of CARRIED_TABLES and each article's ``last_seen`` from the current index."""
    if not index_path.is_file():
        return {}, {}
    with closing(Database(index_path)) as old:
        names = set(old.table_names())
        carried = {t: list(old.table(t).rows) for t in CARRIED_TABLES if t in names}
        seen = {}
        if "articles" in names:
            seen = dict(old.execute("select id, last_seen from articles").fetchall())
    return carried, seen


def _release(index_path: Path) -> None:
    """Checkpoint the old index and leave WAL mode, so replacing the file loses nothing and
    no stale ``-wal`` is applied to the new one. Fails when another process has it open."""
    if not index_path.is_file():
        return
    try:
        with closing(sqlite3.connect(index_path, timeout=1)) as conn:
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError as exc:
        raise IndexInUseError(f"{index_path} is in use ({exc}); stop the other process") from exc
    if str(mode).lower() != "delete":
        raise IndexInUseError(f"{index_path} is open in another process; stop it first")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _temp_index(path: Path) -> Iterator[Database]:
    _remove_db(path)
    db = Database(path)
    index.prepare(db)
    try:
        db.execute("PRAGMA synchronous=OFF")  # durability comes from the fsync before the swap
        index.migrations.apply(db)
        yield db
    except BaseException:
        db.close()
        _remove_db(path)
        raise
    db.close()


REINDEX_BATCH = 500
"""Posts whose rows are inserted together (one ``executemany`` per table)."""


def reindex(root: Path, *, local_prefix: str = ExportOptions.local_prefix) -> ReindexReport:
    """Rebuild ``root/index.db`` from ``root/posts`` and swap it in atomically.

    ``local_prefix`` is the URL prefix image mode ``local`` wrote (``ARCHIVE_LOCAL_IMAGE_PREFIX``).
    """
    posts_dir = root / "posts"
    index_path = root / "index.db"
    temp_path = root / TEMP_INDEX
    _release(index_path)  # fail fast when the index is in use; checked again before the swap
    files, skipped = _walk_posts(posts_dir)
    carried, last_seen = _old_state(index_path)
    articles = images = categories = 0
    with _temp_index(temp_path) as db:
        seen_ids: dict[str, str] = {}
        batch: list[tuple[dict[str, Any], ArticleItem]] = []
        seen: dict[str, str | None] = {}
        with index.bulk_load(db):  # one transaction; the search indexes built once at the end
            for post in files:
                try:
                    text = post.path.read_text(encoding="utf-8")
                    sidecar = _read_sidecar(post.path)
                    indexed = indexed_post(post.rel, text, sidecar, local_prefix)
                except (OSError, UnicodeDecodeError) as exc:
                    skipped.append(Problem("unreadable-post", post.rel, str(exc)))
                    continue
                except _PostError as exc:
                    skipped.append(Problem(exc.kind, post.rel, str(exc)))
                    continue
                aid = indexed.row["id"]
                if aid in seen_ids:
                    skipped.append(Problem("duplicate-id", post.rel, f"same id as {seen_ids[aid]}"))
                    continue
                seen_ids[aid] = post.rel
                batch.append((indexed.row, indexed.article))
                seen[aid] = last_seen.get(aid) or indexed.row["first_seen"]
                if len(batch) >= REINDEX_BATCH:
                    index.save_articles(db, batch, last_seen=seen)
                    batch.clear()
                articles += 1
                images += len(indexed.article.images)
                categories += len(indexed.article.categories)
            index.save_articles(db, batch, last_seen=seen)
            for table, rows in carried.items():
                # image_urls: the sidecars rebuilt the downloaded rows; failures are added
                db.table(table).insert_all(rows, alter=True, ignore=True)
    try:
        _release(index_path)
        _fsync(temp_path)
    except BaseException:
        _remove_db(temp_path)
        raise
    temp_path.replace(index_path)
    for suffix in ("-wal", "-shm"):
        index_path.with_name(index_path.name + suffix).unlink(missing_ok=True)
    _fsync(root)
    return ReindexReport(
        articles=articles,
        images=images,
        categories=categories,
        carried_over={table: len(rows) for table, rows in carried.items()},
        skipped=sorted(skipped),
    )


# --------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class VerifyReport:
    files: int
    rows: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def _index_rows(index_path: Path) -> list[tuple[str, str, str]]:
    if not index_path.is_file():
        return []
    with closing(Database(index_path)) as db:
        if "articles" not in db.table_names():
            return []
        cursor = db.execute("select id, path, content_hash from articles")
        return [(str(aid), str(rel or ""), str(digest or "")) for aid, rel, digest in cursor]


def verify(root: Path) -> VerifyReport:
    """Every disagreement between ``root/posts`` and ``root/index.db`` (read-only)."""
    posts_dir = root / "posts"
    files, problems = _walk_posts(posts_dir)
    rows = _index_rows(root / "index.db")
    by_path: dict[str, tuple[str, str]] = {}
    for aid, rel, digest in rows:
        try:
            safe_join(posts_dir, PurePosixPath(rel or ""))
        except UnsafePathError:
            problems.append(Problem("outside-posts", rel, f"row {aid} points outside posts/"))
            continue
        by_path[rel] = (aid, digest)
    on_disk = {post.rel for post in files}
    for post in files:
        try:
            sidecar: dict[str, Any] | None = _read_sidecar(post.path)
        except _PostError as exc:
            problems.append(Problem(exc.kind, post.rel, str(exc)))
            sidecar = None
        row = by_path.get(post.rel)
        if row is None:
            problems.append(Problem("file-without-row", post.rel))
            continue
        aid, digest = row
        actual = hashlib.sha256(post.path.read_bytes()).hexdigest()
        if actual != digest:
            problems.append(
                Problem("hash-mismatch", post.rel, f"index {digest[:12]}…, file {actual[:12]}…")
            )
        if sidecar is not None and sidecar["id"] != aid:
            problems.append(
                Problem("sidecar-invalid", post.rel, f"sidecar id {sidecar['id']}, row id {aid}")
            )
    for rel, (aid, _digest) in by_path.items():
        if rel not in on_disk:
            problems.append(Problem("row-without-file", rel, f"row {aid}"))
    problems += verify_assets(root)
    return VerifyReport(files=len(files), rows=len(rows), problems=sorted(set(problems)))


def _stored_images(index_path: Path) -> dict[str, tuple[str | None, str]]:
    """``assets/`` file name → (sha256, url) of every downloaded image the index lists."""
    if not index_path.is_file():
        return {}
    with closing(Database(index_path)) as db:
        names = set(db.table_names())
        if "image_urls" not in names:
            return {}
        sql = (
            "select path, sha256, url from images where status = 'downloaded' "
            "and path is not null union all select path, sha256, url from image_urls "
            "where status = 'downloaded' and path is not null"
        )
        return {str(p): (s, str(u)) for p, s, u in db.execute(sql).fetchall()}


def verify_assets(root: Path) -> list[Problem]:
    """``assets/`` against the index: missing or altered files, orphans, partial files, and a
    legacy ``images/`` folder that ``export`` has not migrated yet."""
    assets = root / ASSETS_DIR
    stored = _stored_images(root / "index.db")
    problems: list[Problem] = []
    for name, (sha, url) in sorted(stored.items()):
        path = assets / name
        if not path.is_file():
            problems.append(Problem("asset-missing", f"{ASSETS_DIR}/{name}", url))
        elif sha and hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            problems.append(
                Problem(
                    "asset-mismatch", f"{ASSETS_DIR}/{name}", f"bytes do not hash to {sha[:12]}…"
                )
            )
    if assets.is_dir():
        for path in sorted(assets.iterdir()):
            rel = f"{ASSETS_DIR}/{path.name}"
            if path.name.startswith(TMP_PREFIX):
                problems.append(Problem("asset-partial", rel, "left by a killed run"))
            elif path.name not in stored:
                problems.append(Problem("asset-orphan", rel, "no image row refers to it"))
    if (root / "images").is_dir():
        problems.append(
            Problem(
                "legacy-images",
                "images/",
                "old images/full/ layout: run portal-archive export to move it into assets/",
            )
        )
    return problems


# --------------------------------------------------------------------------- stats


@dataclass(frozen=True)
class StatsReport:
    articles: int
    by_portal: list[tuple[str, int]]
    by_origin: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    """Full category path (``新媒体 / 高科技行业门户 / 新闻``) → articles."""
    by_month: list[tuple[str, int]]
    """Publication month (UTC, the month folder of ``posts/``) → articles, oldest first."""
    runs: list[dict[str, Any]]
    """The last crawl runs, newest first."""
    by_parser: list[tuple[str, int]] = field(default_factory=list)
    """Parser (``ofweek.V2``, ``generic.V1``, ``generic-fallback``…) → articles."""
    fallback_articles: int = 0
    """Articles the generic extractor produced for a broken portal parser (the alarm)."""
    degraded_runs: list[dict[str, Any]] = field(default_factory=list)
    """The last ``degraded`` crawl runs (parser-breakage alarm), newest first."""


def stats(root: Path, *, runs: int = 5) -> StatsReport:
    """Counts per portal, origin, category and month, and the last ``runs`` crawl runs."""
    index_path = root / "index.db"
    if not index_path.is_file():
        raise NoIndexError(f"no index at {index_path}; run a crawl, an import or reindex first")
    with closing(Database(index_path)) as db:
        if "articles" not in db.table_names():
            raise NoIndexError(f"{index_path} has no articles table; run reindex")
        origin = "origin" if "origin" in db.table("articles").columns_dict else "null"

        def pairs(sql: str) -> list[tuple[str, int]]:
            return [(str(key), int(count)) for key, count in db.execute(sql).fetchall()]

        total = int(db.execute("select count(*) from articles").fetchone()[0])
        by_portal = pairs(
            "select portal, count(*) n from articles group by portal order by n desc, portal"
        )
        by_origin = pairs(
            f"select coalesce({origin}, 'crawl') o, count(*) n from articles "
            "group by o order by n desc, o"
        )
        by_category: dict[str, int] = {}
        for raw, count in db.execute("select categories, count(*) from articles group by 1"):
            path = " / ".join(json.loads(raw or "[]")) or "(none)"
            by_category[path] = by_category.get(path, 0) + int(count)
        by_month = pairs(
            "select coalesce(substr(published, 1, 7), 'undated') m, count(*) "
            "from articles group by m order by m"
        )
        by_parser = pairs(
            "select coalesce(parser, '') p, count(*) n from articles group by p order by n desc, p"
        )
        last_runs: list[dict[str, Any]] = []
        degraded: list[dict[str, Any]] = []
        if "crawl_runs" in db.table_names():

            def rows(sql: str) -> list[dict[str, Any]]:
                cursor = db.execute(sql, [runs])
                columns = [c[0] for c in cursor.description]
                return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

            last_runs = rows("select * from crawl_runs order by id desc limit ?")
            degraded = rows(
                "select * from crawl_runs where status = 'degraded' order by id desc limit ?"
            )
    return StatsReport(
        articles=total,
        by_portal=by_portal,
        by_origin=by_origin,
        by_category=sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0])),
        by_month=by_month,
        runs=last_runs,
        by_parser=by_parser,
        fallback_articles=dict(by_parser).get(FALLBACK_PARSER, 0),
        degraded_runs=degraded,
    )
