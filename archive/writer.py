"""The batched writer: a pure render of each item, then one commit for the whole batch.

Writing an article is two steps:

1. :func:`render_entry` (pure): the item and its stored row (if any) → what will be written:
   the post's path below ``posts/`` and its text, the sidecar text, the ``articles`` row.
2. :func:`write_batch`: for a batch of rendered items, in this order —

   * every temp file (post and sidecar of each changed item) written into the archive's
     ``.tmp/`` (crash point ``batch.temps-written``);
   * one flush pass over them (one ``syncfs`` of the file system, or ``fsync`` of each file
     for a small batch; no rename yet; ``batch.synced``);
   * every temp file renamed into place, post before sidecar (``write.before-rename``,
     ``save.after-post``), moved articles' old files removed, then the renames flushed once
     (``syncfs`` again, or each touched folder; ``batch.dirs-synced``, ``save.before-index``);
   * one SQLite transaction for the batch: ``articles`` rows, their images, categories, image
     URLs, revisions, cleared failures and the ``last_seen`` of unchanged articles
     (``index.before-commit``; ``batch.committed`` after it).

A kill anywhere leaves complete files (old or new) and an index that is behind them at worst:
the next write of the same items finds the files identical, rewrites nothing and adds the
rows. Writing a batch twice changes nothing the second time (every item ``unchanged``): the
exactly-once effect an at-least-once delivery needs.

Duplicates in a batch (items with the same canonical URL, hence the same id): **the last one
wins** — its content is what is written — and the *first* occurrence's result reports that
write (``new``/``updated``/``unchanged`` against the stored row), every later occurrence
``unchanged``. Two identical deliveries therefore count as ``new`` + ``unchanged``, as they
would one by one.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from archive import index
from archive.crashpoints import crashpoint
from archive.errors import UnsafePathError
from archive.frontmatter_files import (
    TMP_PREFIX,
    ExportOptions,
    article_id,
    content_hash,
    new_file_mode,
    post_relpath,
    render_article,
    safe_join,
    write_bytes_atomic,
)
from archive.items import ArticleItem
from archive.records import image_record

if TYPE_CHECKING:
    from sqlite_utils import Database

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


class ArchiveLike(Protocol):
    """What :func:`write_batch` uses of :class:`archive.store.Archive`."""

    posts_dir: Path
    tmp_dir: Path
    options: ExportOptions

    @property
    def db(self) -> Database: ...


# --------------------------------------------------------------------------- step 1: render


@dataclass(frozen=True)
class Entry:
    """One item to write and how: its origin, source file and render options."""

    article: ArticleItem
    origin: str = "crawl"
    imported_from: str | None = None
    options: ExportOptions | None = None
    """``None``: the archive's options (an imported post brings its own)."""


@dataclass(frozen=True)
class Rendered:
    """What writing one item means, decided without touching the disk."""

    article: ArticleItem
    article_id: str
    relpath: str
    """Below ``posts/``, POSIX form."""
    text: str
    sidecar: str
    row: dict[str, Any]
    """The ``articles`` row (with ``first_seen``, without ``last_seen``)."""
    matches_stored: bool
    """The stored row has this path, hash, origin, source and parser: nothing to write if
    the files are still there."""
    changed: bool
    """A stored version with other content exists: it becomes a revision."""


def render_entry(
    entry: Entry, stored: dict[str, Any] | None, options: ExportOptions, now: str
) -> Rendered:
    """Pure: an item and its stored row (``index.stored_articles``) → what will be written."""
    article = entry.article
    aid = article_id(article.canonical_url)
    rel = post_relpath(article, options).as_posix()
    text = render_article(article, options)
    digest = content_hash(text)
    row = index.article_row(
        article,
        article_id=aid,
        path=rel,
        content_hash=digest,
        profile=options.profile,
        image_mode=options.image_mode,
        origin=entry.origin,
        imported_from=entry.imported_from,
    )
    row["first_seen"] = (stored or {}).get("first_seen") or now
    matches = (
        stored is not None
        and stored["path"] == rel
        and stored["content_hash"] == digest
        and (stored.get("origin"), stored.get("imported_from"))
        == (entry.origin, entry.imported_from)
        and stored.get("parser") == article.parser  # a fixed parser replaces a fallback
    )
    return Rendered(
        article=article,
        article_id=aid,
        relpath=rel,
        text=text,
        sidecar=sidecar_text(row, article, options),
        row=row,
        matches_stored=matches,
        changed=stored is not None and stored["content_hash"] != digest,
    )


# --------------------------------------------------------------------------- step 2: commit


@dataclass
class _Plan:
    """One rendered item and the file writes it needs."""

    position: int
    rendered: Rendered
    stored: dict[str, Any] | None
    target: Path
    writes: list[tuple[Path, bytes]] = field(default_factory=list)
    old_files: list[Path] = field(default_factory=list)
    old_text: str | None = None
    status: SaveStatus = "unchanged"
    index: bool = False


@dataclass
class _Temp:
    target: Path
    data: bytes
    tmp: Path


def _current_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _load_syncfs() -> Callable[[int], int] | None:
    """libc's ``syncfs(2)`` (Linux), or ``None`` where there is none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to load
        return None
    return getattr(libc, "syncfs", None)


_SYNCFS = _load_syncfs()
SYNCFS_MIN_FILES = 8
"""From this many files in a batch, one ``syncfs`` of the archive's file system replaces the
per-file ``fsync`` (one journal commit instead of one per file; on the machine of
``docs/benchmarks.md`` 400 files took 1-1.5 s of ``fsync`` and 20-60 ms of ``syncfs``). It also
flushes other processes' pending writes on that file system, hence not for a batch of one."""


def _sync_files(paths: Sequence[Path], anchor: Path, *, directories: bool = False) -> None:
    """Make ``paths`` (files, or folders after renames in them) durable: one ``syncfs`` of the
    file system holding ``anchor`` for many, ``fsync`` of each for a few (or without syncfs)."""
    if _SYNCFS is not None and len(paths) >= SYNCFS_MIN_FILES:
        fd = os.open(anchor, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if _SYNCFS(fd) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"syncfs: {os.strerror(err)}", str(anchor))
        finally:
            os.close(fd)
        return
    for path in paths:
        _fsync_path(path, directory=directories)


def _write_temps(writes: list[tuple[Path, bytes]], tmp_dir: Path) -> list[_Temp]:
    """Every file's bytes into a temp file of ``tmp_dir`` (not flushed, not renamed)."""
    temps: list[_Temp] = []
    tmp_dir.mkdir(parents=True, exist_ok=True)
    try:
        for target, data in writes:
            fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".part", dir=tmp_dir)
            temps.append(_Temp(target, data, Path(name)))
            os.fchmod(fd, new_file_mode())  # as a plain open() would: the umask decides
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
    except BaseException:
        for temp in temps:
            temp.tmp.unlink(missing_ok=True)
        raise
    return temps


def _rename(temp: _Temp, fsync: bool) -> None:
    """Rename one synced temp file into place (a rename is atomic on one file system)."""
    crashpoint("write.before-rename")
    temp.target.parent.mkdir(parents=True, exist_ok=True)
    try:
        temp.tmp.replace(temp.target)
    except OSError as exc:
        temp.tmp.unlink(missing_ok=True)
        if exc.errno != errno.EXDEV:
            raise
        # .tmp/ is on another file system than this folder: write beside the target instead
        write_bytes_atomic(temp.target, temp.data, fsync=fsync)


def _plan(
    archive_posts: Path,
    position: int,
    rendered: Rendered,
    stored: dict[str, Any] | None,
    *,
    rewrite: bool,
    real_dirs: dict[str, str],
) -> _Plan:
    target = safe_join(archive_posts, rendered.relpath, real_dirs=real_dirs)
    plan = _Plan(position, rendered, stored, target)
    side = sidecar_path(target)
    if not rewrite and rendered.matches_stored and target.is_file() and side.is_file():
        return plan  # unchanged: only last_seen
    post_bytes = rendered.text.encode("utf-8")
    side_bytes = rendered.sidecar.encode("utf-8")
    if _current_bytes(target) != post_bytes:
        plan.writes.append((target, post_bytes))
    if _current_bytes(side) != side_bytes:
        plan.writes.append((side, side_bytes))
    revised = not rewrite and rendered.changed
    old: Path | None = None  # the stored version's file: moved away from, or its text kept
    if stored is not None and (stored["path"] != rendered.relpath or revised):
        try:
            old = safe_join(archive_posts, stored["path"], real_dirs=real_dirs)
        except UnsafePathError:
            old = None
    if old is not None and old != target:
        plan.old_files = [old]
        if sidecar_path(old) != side:  # name.md → name.html: the same sidecar
            plan.old_files.append(sidecar_path(old))
    if revised and old is not None:
        try:
            plan.old_text = old.read_text(encoding="utf-8")
        except OSError:
            plan.old_text = None
    wrote = bool(plan.writes)
    if rewrite:
        moved = bool(plan.old_files) and any(p.exists() for p in plan.old_files)
        plan.status = "updated" if wrote or moved else "unchanged"
        plan.index = wrote or moved or stored is None or rendered.changed
    else:
        plan.index = True
        if stored is None:
            plan.status = "new"
        else:
            plan.status = "updated" if wrote or rendered.changed else "unchanged"
    return plan


def write_batch(
    archive: ArchiveLike, entries: Sequence[Entry], *, touch: bool = True, rewrite: bool = False
) -> list[SaveResult]:
    """Write a batch (see the module doc); one :class:`SaveResult` per entry, in order.

    ``rewrite`` (``export``, image retries): re-render archived articles with the current
    options — no revision, ``last_seen`` kept, ``updated`` when a file was (re)written.
    ``touch=False`` leaves unchanged articles' ``last_seen`` alone (``reextract``).
    Raises :class:`~archive.errors.UnsafePathError` before writing anything when an item's
    path would leave ``posts/``.
    """
    if not entries:
        return []
    db = archive.db
    ids = [article_id(entry.article.canonical_url) for entry in entries]
    last: dict[str, int] = {}
    for position, aid in enumerate(ids):
        last[aid] = position  # the last occurrence is written
    first: dict[str, int] = {}
    for position, aid in enumerate(ids):
        first.setdefault(aid, position)
    stored = index.stored_articles(db, last)
    now = index.now_iso()
    plans: list[_Plan] = []
    real_dirs: dict[str, str] = {}  # the batch's folders, resolved once (safe_join)
    for aid, position in sorted(last.items(), key=lambda pair: pair[1]):
        entry = entries[position]
        rendered = render_entry(entry, stored.get(aid), entry.options or archive.options, now)
        plans.append(
            _plan(
                archive.posts_dir,
                position,
                rendered,
                stored.get(aid),
                rewrite=rewrite,
                real_dirs=real_dirs,
            )
        )
    _commit(archive, db, plans, touch=touch and not rewrite, rewrite=rewrite)
    by_id = {plan.rendered.article_id: plan for plan in plans}
    results = []
    for position, aid in enumerate(ids):
        plan = by_id[aid]
        status: SaveStatus = plan.status if position == first[aid] else "unchanged"
        results.append(SaveResult(status, plan.target, aid))
    return results


def _commit(
    archive: ArchiveLike, db: Database, plans: list[_Plan], *, touch: bool, rewrite: bool
) -> None:
    n = len(plans)
    fsync = archive.options.fsync
    writes = [w for plan in plans for w in plan.writes]
    temps = _write_temps(writes, archive.tmp_dir) if writes else []
    crashpoint("batch.temps-written", n)
    if fsync and temps:
        _sync_files([temp.tmp for temp in temps], archive.tmp_dir)
    crashpoint("batch.synced", n)
    folders: set[Path] = set()
    queue = iter(temps)
    for plan in plans:
        for target, _data in plan.writes:
            temp = next(queue)
            assert temp.target == target
            _rename(temp, fsync)
            folders.add(target.parent)
            if target == plan.target:
                crashpoint("save.after-post")
        for old in plan.old_files:
            if old.exists():
                old.unlink(missing_ok=True)
                folders.add(old.parent)
    if fsync and folders:
        _sync_files(sorted(folders), archive.posts_dir, directories=True)
    crashpoint("batch.dirs-synced", n)
    crashpoint("save.before-index", n)
    to_index = [plan for plan in plans if plan.index]
    revised = [plan for plan in to_index if plan.rendered.changed and not rewrite]
    old_rows = (
        index.stored_articles(db, [p.rendered.article_id for p in revised], index.REVISION_COLUMNS)
        if revised
        else {}
    )
    kept: dict[str, str | None] = {}
    if rewrite:
        seen = index.stored_articles(
            db, [p.rendered.article_id for p in to_index], ("id", "last_seen")
        )
        kept = {aid: row["last_seen"] for aid, row in seen.items()}
    with index.write_transaction(db):
        for plan in revised:
            old_row = old_rows.get(plan.rendered.article_id)
            if old_row is not None:
                index.add_revision(db, old_row, plan.rendered.row, plan.old_text)
        index.save_articles(
            db,
            [(plan.rendered.row, plan.rendered.article) for plan in to_index],
            last_seen=kept,
        )
        if touch:
            index.touch_articles(db, [plan.rendered.article_id for plan in plans if not plan.index])
    crashpoint("batch.committed", n)
