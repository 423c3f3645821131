"""The SQLite index (sqlite-utils): articles, images, categories, failures, FTS5 trigram.

The files under ``posts/`` are the source of truth; this index is rebuilt from them by
``reindex`` (issue #3). Schema changes are migrations, applied on every open.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from archive import image_index, search
from archive.crashpoints import crashpoint
from archive.items import ArticleItem, FetchFailure
from archive.records import image_record

migrations = Migrations("portal-archive")


@migrations()
def m001_initial(db: Database) -> None:
    db.table("articles").create(
        {
            "id": str,
            "url": str,
            "canonical_url": str,
            "portal": str,
            "title": str,
            "title_raw": str,
            "author": str,
            "source": str,
            "categories": str,
            "published": str,
            "published_raw": str,
            "language": str,
            "body": str,
            "body_text": str,
            "image_count": int,
            "parser": str,
            "encoding": str,
            "path": str,
            "content_hash": str,
            "profile": str,
            "image_mode": str,
            "first_seen": str,
            "last_seen": str,
            "fetched_at": str,
        },
        pk="id",
    )
    db.table("articles").create_index(["canonical_url"], unique=True)
    db.table("articles").create_index(["portal", "published"])
    db.table("images").create(
        {
            "article_id": str,
            "position": int,
            "url": str,
            "alt": str,
            "status": str,
            "path": str,
            "checksum": str,
            "error": str,
        },
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("article_categories").create(
        {"article_id": str, "position": int, "category": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("failures").create(
        {
            "url": str,
            "portal": str,
            "reason": str,
            "detail": str,
            "attempts": int,
            "first_failed": str,
            "last_failed": str,
        },
        pk="url",
    )
    db.table("articles").enable_fts(
        ["title", "body_text"], tokenize="trigram", create_triggers=True
    )


@migrations()
def m002_runs_revisions_imports(db: Database) -> None:
    """Scheduled-crawl bookkeeping (issue #3) and imported posts."""
    db.table("crawl_runs").create(
        {
            "id": int,
            "portal": str,
            "command": str,
            "started": str,
            "finished": str,
            "status": str,
            "discovered": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "failed": int,
            "skipped": int,
            "error_summary": str,
        },
        pk="id",
    )
    db.table("revisions").create(
        {
            "id": int,
            "article_id": str,
            "changed_at": str,
            "changed_fields": str,
            "old_title": str,
            "old_hash": str,
            "new_hash": str,
            "old_path": str,
            "old_text": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("revisions").create_index(["article_id"])
    articles = db.table("articles")
    articles.add_column("origin", str, not_null_default="crawl")
    articles.add_column("imported_from", str)
    articles.add_column("render_hints", str)
    db.table("failures").add_column("run_id", int)


@migrations()
def m003_image_assets(db: Database) -> None:
    """Content-addressed images (issue #5): what each article's image is, and each URL's state."""
    images = db.table("images")
    images.add_column("sha256", str)
    images.add_column("bytes", int)
    images.add_column("content_type", str)
    image_index.create_image_urls(db)


@migrations()
def m004_warc_records(db: Database) -> None:
    """Where each stored WARC response is (issue #5 part 3; ``portal_archive/replay.py``)."""
    db.table("warc_records").create(
        {
            "file": str,
            "offset": int,
            "length": int,
            "uri": str,
            "date": str,
            "kind": str,
            "portal": str,
            "status": int,
            "content_type": str,
            "payload_digest": str,
            "record_id": str,
        },
        pk=("file", "offset"),
    )
    db.table("warc_records").create_index(["uri", "date"])


@migrations()
def m005_parser_alarm(db: Database) -> None:
    """Parser-breakage alarm (issue #7): per-run page counts; ``status`` may be ``degraded``."""
    runs = db.table("crawl_runs")
    runs.add_column("parse_checked", int)
    runs.add_column("parse_broken", int)
    runs.add_column("fallback", int)


@migrations()
def m006_reader_search(db: Database) -> None:
    """Reader search (issue #13): the narrow ``article_search`` table for result rows and
    facets, and the character index for 1–2-character terms (``archive/search.py``)."""
    search.create_search_index(db)


@migrations()
def m007_word_search(db: Database) -> None:
    """Word index for Latin-script search terms (issue #13): ``articles_fts_words``
    (``archive/search.py``), so an English word costs one doclist, not a trigram phrase."""
    search.create_word_index(db)


def prepare(db: Database) -> None:
    """What every connection that writes the index needs: the SQL function of the search
    triggers (``archive.search.register_functions``)."""
    search.register_functions(db)


BUSY_TIMEOUT_MS = 60_000
"""How long a connection waits for another one's write transaction (a crawl's writer thread and
its image pipeline hold two connections to one index)."""


def open_index(path: Path) -> Database:
    """Open (creating and migrating as needed) the index at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    prepare(db)
    db.enable_wal()
    db.execute("PRAGMA synchronous=NORMAL")
    migrations.apply(db)
    return db


def pending_migrations(path: Path) -> list[str]:
    """Names of the migrations the index at ``path`` lacks (read-only; ``[]`` when absent)."""
    if not path.is_file():
        return []
    db = Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    try:
        return [m.name for m in migrations.pending(db)]
    finally:
        db.close()


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt else None


def render_hints_json(hints: dict[str, Any]) -> str | None:
    """The ``render_hints`` column value: canonical JSON, ``None`` for a crawled article."""
    return json.dumps(hints, ensure_ascii=False, sort_keys=True) if hints else None


def article_row(
    article: ArticleItem,
    *,
    article_id: str,
    path: str,
    content_hash: str,
    profile: str,
    image_mode: str,
    origin: str = "crawl",
    imported_from: str | None = None,
) -> dict[str, Any]:
    """The ``articles`` row of an article (without first/last seen)."""
    return {
        "origin": origin,
        "imported_from": imported_from,
        "render_hints": render_hints_json(article.render_hints),
        "id": article_id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "portal": article.portal,
        "title": article.title,
        "title_raw": article.title_raw,
        "author": article.author,
        "source": article.source,
        "categories": json.dumps(article.categories, ensure_ascii=False),
        "published": _iso(article.published),
        "published_raw": article.published_raw,
        "language": article.language,
        "body": article.body_html,
        "body_text": article.body_text,
        "image_count": len(article.images),
        "parser": article.parser,
        "encoding": article.encoding,
        "path": path,
        "content_hash": content_hash,
        "profile": profile,
        "image_mode": image_mode,
        "fetched_at": _iso(article.fetched_at),
    }


@functools.lru_cache(maxsize=32)
def _upsert_sql(table: str, columns: tuple[str, ...], pk: tuple[str, ...]) -> str:
    """``INSERT … ON CONFLICT DO UPDATE`` for a fixed column list (the writer's hot path).

    sqlite-utils' ``upsert()`` re-reads the table schema on every call (several PRAGMA
    queries per row); the schema is ours and fixed by the migrations, so the statement is
    built once. The schema itself stays in sqlite-utils calls (``migrations``).
    """
    names = ", ".join(f"[{c}]" for c in columns)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c not in pk)
    conflict = ", ".join(f"[{c}]" for c in pk)
    marks = ", ".join("?" for _ in columns)
    return (
        f"insert into [{table}] ({names}) values ({marks}) "
        f"on conflict ({conflict}) do update set {updates}"
    )


def _upsert(db: Database, table: str, rows: list[dict[str, Any]], pk: tuple[str, ...]) -> None:
    if not rows:
        return
    columns = tuple(rows[0])
    sql = _upsert_sql(table, columns, pk)
    db.conn.executemany(sql, [tuple(row[c] for c in columns) for row in rows])


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One write transaction that takes the write lock first (``BEGIN IMMEDIATE``).

    sqlite-utils' ``atomic()`` begins a deferred transaction: one that reads before it writes
    fails at once with "database is locked" when another connection committed in between
    (WAL's stale snapshot; no busy timeout applies). Taking the lock first makes it wait for
    the other writer instead. Nested: a savepoint, as ``atomic()``.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.execute("COMMIT")


def article_triggers(db: Database) -> list[tuple[str, str]]:
    """``(name, SQL)`` of every trigger on ``articles``, in creation order."""
    sql = "select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'articles'"
    return [(str(name), str(text)) for name, text in db.execute(sql + " order by rowid")]


@contextmanager
def bulk_load(db: Database) -> Iterator[Database]:
    """Load many articles with the search triggers off; rebuild the search indexes once.

    One write transaction from start to end (or a savepoint in the caller's): the triggers
    of ``articles`` (:data:`archive.search.SEARCH_TRIGGERS`) are dropped, the caller writes
    its rows, then :func:`archive.search.rebuild_search_index` refills the three FTS5
    indexes and ``article_search`` from ``articles`` and the triggers are created again,
    with the same SQL, before the commit. Tokenizing every body once in a single statement
    costs less than the triggers do row by row (``docs/benchmarks.md``, ``bench:writer``).

    Crash-safe by SQLite's atomicity: a kill (or an exception) before the commit rolls back
    the rows *and* the dropped triggers, leaving the index as it was before the load —
    consistent and searchable; files written meanwhile are ahead of it, as after any kill
    between a batch's files and its commit, and the next run indexes them. The rebuild is of
    the whole index, so this pays off only when the load is large next to what is stored
    (:func:`bulk_load_pays`).
    """
    with write_transaction(db):
        triggers = article_triggers(db)
        unknown = {name for name, _sql in triggers} - search.SEARCH_TRIGGERS
        if unknown:
            raise RuntimeError(f"bulk_load: unknown trigger(s) on articles: {sorted(unknown)}")
        for name, _sql in triggers:
            db.execute(f"drop trigger [{name}]")
        yield db
        search.rebuild_search_index(db)
        for _name, sql in triggers:
            db.execute(sql)


BULK_LOAD_MIN = 1000
"""Posts from which ``import`` loads the index in bulk (:func:`bulk_load`) by default, when
the archive holds at most a quarter as many articles (``import --bulk/--no-bulk`` decides
otherwise)."""


def bulk_load_pays(stored: int, incoming: int, minimum: int = BULK_LOAD_MIN) -> bool:
    """Whether loading ``incoming`` articles into an index of ``stored`` ones should use
    :func:`bulk_load`: the rebuild re-tokenizes the stored articles too, which costs about
    what the triggers would save on the incoming ones once ``stored`` > ``incoming`` / 4.

    >>> bulk_load_pays(0, 10_000), bulk_load_pays(5_000, 10_000), bulk_load_pays(0, 10)
    (True, False, False)
    """
    return incoming >= max(minimum, 1) and stored * 4 <= incoming


def count_articles(db: Database) -> int:
    return int(db.execute("select count(*) from articles").fetchone()[0])


def save_article(db: Database, row: dict[str, Any], article: ArticleItem) -> None:
    """Upsert an article with its images and categories in one transaction."""
    with write_transaction(db):
        save_articles(db, [(row, article)])


def save_articles(
    db: Database,
    entries: Sequence[tuple[dict[str, Any], ArticleItem]],
    *,
    last_seen: Mapping[str, str | None] | None = None,
    crash_weight: int | None = None,
) -> None:
    """Upsert many articles with their images, categories and image URLs (the batch writer).

    Inside the caller's transaction; one ``executemany`` per table. Each row's ``last_seen``
    is now unless ``last_seen`` names it (``export`` keeps the stored one). Entries are applied
    in order (the image URL counts of two articles sharing an image add up as one by one).
    """
    if not entries:
        return
    now = now_iso()
    kept = last_seen or {}
    articles, images, categories = [], [], []
    for row, article in entries:
        aid = row["id"]
        articles.append({"first_seen": now, **row, "last_seen": kept.get(aid) or now})
        images += [
            {"article_id": aid, "position": i, **image_record(ref)}
            for i, ref in enumerate(article.images)
        ]
        categories += [
            {"article_id": aid, "position": i, "category": c}
            for i, c in enumerate(article.categories)
        ]
    ids = [(row["id"],) for row, _ in entries]
    _upsert(db, "articles", articles, ("id",))
    db.conn.executemany("delete from images where article_id = ?", ids)
    db.conn.executemany("delete from article_categories where article_id = ?", ids)
    _upsert(db, "images", images, ("article_id", "position"))
    _upsert(db, "article_categories", categories, ("article_id", "position"))
    for row, article in entries:
        if article.images:
            image_index.record_attempts(db, row["id"], article.images, now)
    db.conn.executemany(
        "delete from failures where url = ?", [(article.url,) for _, article in entries]
    )
    crashpoint("index.before-commit", len(entries) if crash_weight is None else crash_weight)


REVISION_FIELDS = (
    "title",
    "author",
    "source",
    "categories",
    "published",
    "body",
    "path",
    "image_count",
)
"""Fields compared to say what changed between two versions of an article."""
REVISION_COLUMNS = ("id", "content_hash", *REVISION_FIELDS)
"""What :func:`add_revision` reads of the stored row."""


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [f for f in REVISION_FIELDS if old.get(f) != new.get(f)]


def add_revision(
    db: Database, old: dict[str, Any], new: dict[str, Any], old_text: str | None
) -> None:
    """Record that ``old`` (the stored row) was replaced by ``new``."""
    db.table("revisions").insert(
        {
            "article_id": old["id"],
            "changed_at": now_iso(),
            "changed_fields": json.dumps(changed_fields(old, new)),
            "old_title": old.get("title"),
            "old_hash": old.get("content_hash"),
            "new_hash": new.get("content_hash"),
            "old_path": old.get("path"),
            "old_text": old_text,
        },
    )


def touch_article(db: Database, article_id: str) -> None:
    """Record that an unchanged article was seen again."""
    touch_articles(db, [article_id])


def touch_articles(db: Database, article_ids: Sequence[str]) -> None:
    """Record that unchanged articles were seen again (one statement)."""
    now = now_iso()
    db.conn.executemany(
        "update articles set last_seen = ? where id = ?", [(now, a) for a in article_ids]
    )


STORED_COLUMNS = ("id", "path", "content_hash", "first_seen", "origin", "imported_from", "parser")


def stored_article(db: Database, article_id: str) -> dict[str, Any] | None:
    """What :meth:`Archive.save` compares: path, hash, first_seen, origin, parser of an article."""
    return stored_articles(db, [article_id]).get(article_id)


def stored_articles(
    db: Database, article_ids: Iterable[str], columns: Sequence[str] = STORED_COLUMNS
) -> dict[str, dict[str, Any]]:
    """:func:`stored_article` of many ids at once (by id; ids not stored are absent)."""
    wanted = list(dict.fromkeys(article_ids))
    names = ", ".join(f"[{c}]" for c in columns)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):  # SQLite's variable limit is 32766; stay modest
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        cursor = db.execute(f"select {names} from articles where id in ({marks})", chunk)
        keys = [c[0] for c in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(keys, values, strict=True))
            found[row["id"]] = row
    return found


def record_failure(db: Database, failure: FetchFailure, run_id: int | None = None) -> int:
    """Insert or bump a failure row; return its attempt count."""
    return record_failures(db, [failure], run_id=run_id)[0]


def record_failures(
    db: Database, failures: Sequence[FetchFailure], run_id: int | None = None
) -> list[int]:
    """Insert or bump the failure rows of many failures in one transaction; their attempt
    counts in order (a URL failing twice in the batch counts two attempts, as one by one)."""
    now = now_iso()
    attempts: list[int] = []
    with write_transaction(db):
        for failure in failures:
            row = db.execute(
                "select attempts from failures where url = ?", [failure.url]
            ).fetchone()
            count = (row[0] if row else 0) + 1
            values = {
                "url": failure.url,
                "portal": failure.portal,
                "reason": failure.reason,
                "detail": failure.detail,
                "attempts": count,
                "last_failed": now,
                "run_id": run_id,
                "first_failed": now,
            }
            if row:
                del values["first_failed"]
            _upsert(db, "failures", [values], ("url",))
            attempts.append(count)
    return attempts


def archived_urls(db: Database, portal: str | None = None) -> Iterable[str]:
    sql = "select url from articles" + (" where portal = ?" if portal else "")
    for (url,) in db.execute(sql, [portal] if portal else []):
        yield url
