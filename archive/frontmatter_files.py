"""Front-matter files: an article rendered in a profile, its stable path, atomic writes.

Pure functions turn an :class:`~archive.items.ArticleItem` into the file text; only
:func:`write_atomic` touches the disk. The ``hexo`` profile reproduces the legacy site's
layout exactly (``archive.hexo``); ``hugo`` and ``jekyll`` write what those generators read
(``archive.profiles``, ``docs/profiles.md``); the image mode applies here and only here.

Imported posts (``archive.importer``) carry ``render_hints``: their frame, date form, verbatim
title and placeholders, and a *verbatim* body whose image URLs are mapped by exact text
replacement of attribute values (:func:`replace_img_src_text`) instead of an nh3 re-serialization,
so an imported legacy post re-renders byte for byte. Crawled articles have no hints.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import html
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from archive.crashpoints import crashpoint
from archive.errors import InvalidSettingError, UnknownProfileError, UnsafePathError
from archive.hexo import DEFAULT_FRAME, FRAMES, HexoFrame, legacy_title, render_post
from archive.html import map_img_src
from archive.image_urls import wrap_proxy_url
from archive.items import ArticleItem, ImageRef
from archive.normalize import rfc822
from archive.profiles import hugo_escape, render_site_post

ImageMode = Literal["origin", "proxy", "local"]
IMAGE_MODES: tuple[str, ...] = ("origin", "proxy", "local")
TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class ExportOptions:
    """How files are written; built from ``ARCHIVE_*`` settings or CLI options."""

    profile: str = "hexo"
    image_mode: ImageMode = "origin"
    image_proxy: str = "https://cors.zfour.workers.dev/?{url}"
    legacy_titles: bool = True
    placeholder: str = "https://picsum.photos/400/300?random={n}"
    local_prefix: str = "/assets/"
    fsync: bool = True
    site_timezone: str = "Asia/Shanghai"
    """Zone of the dates the hugo and jekyll profiles write (RFC 3339 with its offset)."""


def article_id(canonical_url: str) -> str:
    """Stable 16-hex id of an article: sha1 of its canonical URL."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]  # noqa: S324 - an id, not a secret


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def export_image_url(ref: ImageRef, options: ExportOptions) -> str:
    """The URL an image gets in a written file under ``options.image_mode``."""
    if options.image_mode == "proxy":
        return wrap_proxy_url(ref.url, options.image_proxy)
    if options.image_mode == "local" and ref.path:
        return options.local_prefix.rstrip("/") + "/" + ref.path
    return ref.url


def article_image_url(ref: ImageRef, options: ExportOptions, hints: Mapping[str, Any]) -> str:
    """:func:`export_image_url`, except that images an imported post had unproxied stay so,
    and that an RSSHub feed item (``proxy_http_only``, the legacy writer's rule) has only its
    ``http://`` images proxied."""
    if options.image_mode == "proxy" and ref.url in hints.get("unproxied_images", ()):
        return ref.url
    http_only = hints.get("proxy_http_only")
    if options.image_mode == "proxy" and http_only and not ref.url.lower().startswith("http://"):
        return ref.url
    return export_image_url(ref, options)


def export_body(article: ArticleItem, options: ExportOptions) -> str:
    """Body HTML with image URLs per the image mode and ``referrerpolicy="no-referrer"``.

    A verbatim (imported) body is not re-sanitized: its image ``src`` values are replaced as
    text and the rest stays byte for byte (it already has its ``referrerpolicy``).
    """
    hints = article.render_hints
    by_url = {ref.url: ref for ref in article.images}

    def rewrite(src: str) -> str:
        ref = by_url.get(src)
        return article_image_url(ref, options, hints) if ref else src

    if hints.get("body_verbatim"):
        return replace_img_src_text(article.body_html, rewrite)
    return map_img_src(
        article.body_html, rewrite, set_attributes={"img": {"referrerpolicy": "no-referrer"}}
    )


# --------------------------------------------------------------------------- verbatim bodies


class _ImgScanner(HTMLParser):
    """Finds every ``<img>`` start tag: its offset in the text, raw text and parsed attributes."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.line_starts = [0]
        self.line_starts.extend(m.end() for m in re.finditer("\n", text))
        self.tags: list[tuple[int, str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "img":
            return
        raw = self.get_starttag_text() or ""
        line, column = self.getpos()
        offset = self.line_starts[line - 1] + column
        if self.text.startswith(raw, offset):  # always, unless the parser's position drifts
            self.tags.append((offset, raw, attrs))

    handle_startendtag = handle_starttag


_ATTR = re.compile(
    r"""(?P<name>[^\s"'>/=]+)(?:\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<uq>[^\s"'=<>`]+)))?"""
)


ImgTag = tuple[int, str, list[tuple[str, str | None]]]

IMG_TAGS_CACHE = 512
"""Bodies whose scan :func:`img_tags` remembers: an import scans a post's body when it parses
it (``img_srcs``, ``replace_img_src_text``) and again when the batch of 200 is rendered."""


@functools.lru_cache(maxsize=IMG_TAGS_CACHE)
def _img_tags(body: str) -> tuple[ImgTag, ...]:
    if "<img" not in body.lower():
        return ()
    scanner = _ImgScanner(body)
    scanner.feed(body)
    scanner.close()
    return tuple(scanner.tags)


def img_tags(body: str) -> list[ImgTag]:
    """Every ``<img>`` start tag of ``body``: its offset, raw text and attributes (html.parser).

    The scan of a body is remembered (:data:`IMG_TAGS_CACHE` bodies): callers only read it."""
    return list(_img_tags(body))


def _src_span(tag_text: str) -> tuple[int, int] | None:
    """Start and end of the first ``src`` attribute's raw value inside an ``<img`` tag."""
    for match in _ATTR.finditer(tag_text, 4):
        if match.group("name").lower() == "src":
            for group in ("dq", "sq", "uq"):
                if match.group(group) is not None:
                    return match.span(group)
            return None
    return None


def _raw_replacement(raw: str, old: str, new: str) -> str:
    """The attribute text for ``new``, keeping the raw text of ``old`` where it survives."""
    if new == old:
        return raw
    if old and old in new:  # wrapping (proxy): keep the original's text as found
        start = new.index(old)
        return html.escape(new[:start]) + raw + html.escape(new[start + len(old) :])
    if new and new in old:  # unwrapping: cut the wrapper's text off the raw value
        start = old.index(new)
        head, tail = html.escape(old[:start]), html.escape(old[start + len(new) :])
        if raw.startswith(head) and raw.endswith(tail) and len(raw) >= len(head) + len(tail):
            return raw[len(head) : len(raw) - len(tail)]
    return html.escape(new)


def replace_img_src_text(body: str, func: Callable[[str], str]) -> str:
    """``body`` with every ``<img src>`` passed through ``func``, everything else byte for byte.

    ``func`` gets and returns the URL (entities decoded); only the attribute value's text is
    replaced. The HTML is tokenized (html.parser), so ``<img`` inside comments, scripts or
    attribute values is left alone. This is deliberately not a DOM round trip: lxml and nh3
    re-serialize attributes (``title alt`` becomes ``title="" alt=""``).
    """
    pieces: list[str] = []
    last = 0
    for offset, tag_text, _attrs in img_tags(body):
        span = _src_span(tag_text)
        if span is None:
            continue
        start, end = offset + span[0], offset + span[1]
        raw = body[start:end]
        old = html.unescape(raw)
        new = func(old)
        if new == old:
            continue
        pieces += [body[last:start], _raw_replacement(raw, old, new)]
        last = end
    pieces.append(body[last:])
    return "".join(pieces)


def img_srcs(body: str) -> list[tuple[str, str]]:
    """``(src, alt)`` of every ``<img>`` with a ``src``, in order, as :func:`replace_img_src_text`
    sees them (entities decoded)."""
    found = []
    for _offset, _text, attrs in img_tags(body):
        values = dict(reversed(attrs))  # the first of duplicated attributes wins
        if values.get("src"):
            found.append((values["src"] or "", values.get("alt") or ""))
    return found


# --------------------------------------------------------------------------- profiles


FETCH_TIME_KEY = "date_is_fetch_time"
"""Front-matter flag of a post whose page printed no date: its ``date:`` is when it was fetched."""


def _hexo_date(article: ArticleItem, hints: Mapping[str, Any]) -> str:
    """The front-matter date: RFC 1123 GMT, or an imported post's own form."""
    published = article.published
    if "date_text" in hints:
        return str(hints.get("date_text", ""))
    if published is None:  # an undated page: the fetch time, marked (FETCH_TIME_KEY)
        return rfc822(article.fetched_at) if article.fetched_at else ""
    if hints.get("date_form") == "local":
        local: datetime = published.astimezone(ZoneInfo(hints.get("date_tz", "Asia/Shanghai")))
        return local.strftime("%Y-%m-%d %H:%M:%S")
    return rfc822(published)


def _hexo(article: ArticleItem, options: ExportOptions) -> str:
    hints = article.render_hints
    aid = article_id(article.canonical_url)
    if article.images:
        head = article_image_url(article.images[0], options, hints)
    else:
        head = options.placeholder.replace("{n}", str(int(aid[:8], 16) % 10000))
    verbatim_title = hints.get("title_verbatim") or not options.legacy_titles
    metadata: dict[str, object] = {
        "title": article.title if verbatim_title else legacy_title(article.title),
        "categories": list(article.categories),
        "headimg": hints.get("headimg", head),
        "author": article.author,
        "comments": hints.get("comments", False),
        "date": _hexo_date(article, hints),
        "thumbnail": hints.get("thumbnail", head),
    }
    if article.published is None and "date_text" not in hints and article.fetched_at:
        metadata[FETCH_TIME_KEY] = True
    for key, value in hints.get("extra_metadata", {}).items():
        metadata.setdefault(key, value)
    frame = HexoFrame(**hints["frame"]) if "frame" in hints else None
    frame = frame or FRAMES.get(article.portal, DEFAULT_FRAME)
    return render_post(metadata, export_body(article, options), frame)


def site_date(article: ArticleItem, options: ExportOptions) -> datetime | None:
    """The publication instant in ``options.site_timezone`` (hugo and jekyll ``date``)."""
    if article.published is None:
        return None
    return article.published.astimezone(ZoneInfo(options.site_timezone))


def _tags(article: ArticleItem) -> list[str]:
    """Tags an imported post had (crawled articles have none: the portals' taxonomy is the
    categories)."""
    tags = article.render_hints.get("extra_metadata", {}).get("tags")
    if isinstance(tags, str):
        return tags.split()
    if isinstance(tags, list):
        return [str(tag) for tag in tags if isinstance(tag, str | int | float)]
    return []


def _site_metadata(article: ArticleItem, options: ExportOptions) -> dict[str, object]:
    """The keys Hugo and Jekyll share, in the order they are written (empty ones left out)."""
    published = site_date(article, options)
    metadata: dict[str, object] = {"title": article.title}
    if published is not None:
        metadata["date"] = published
    metadata["draft"] = False
    metadata["slug"] = article_id(article.canonical_url)
    if article.author:
        metadata["author"] = article.author
    if article.categories:
        metadata["categories"] = list(article.categories)
    tags = _tags(article)
    if tags:
        metadata["tags"] = tags
    return metadata


def _images(article: ArticleItem, options: ExportOptions) -> list[str]:
    hints = article.render_hints
    return [article_image_url(ref, options, hints) for ref in article.images]


def _hugo(article: ArticleItem, options: ExportOptions) -> str:
    """Hugo: TOML front matter; ``images`` (what Hugo's Open Graph and Twitter card templates
    read) per the image mode; the body with shortcode openers escaped."""
    metadata = _site_metadata(article, options)
    images = _images(article, options)
    if images:
        metadata["images"] = images
    return render_site_post(metadata, hugo_escape(export_body(article, options)), "hugo")


def _jekyll(article: ArticleItem, options: ExportOptions) -> str:
    """Jekyll: YAML front matter; ``image`` (jekyll-seo-tag's key) per the image mode;
    Liquid off for the post, so ``{{ }}`` and ``{% %}`` in an article stay text."""
    metadata = _site_metadata(article, options)
    images = _images(article, options)
    if images:
        metadata["image"] = images[0]
    metadata["render_with_liquid"] = False
    return render_site_post(metadata, export_body(article, options), "jekyll")


PROFILES: dict[str, Callable[[ArticleItem, ExportOptions], str]] = {
    "hexo": _hexo,
    "hugo": _hugo,
    "jekyll": _jekyll,
}
"""Profile name → renderer. ``docs/profiles.md`` describes each; ``docs/architecture.md``
explains how to add one."""

POST_SUFFIXES: dict[str, str] = {"hexo": ".md", "hugo": ".html", "jekyll": ".html"}
"""File suffix of each profile's posts: Hugo and Jekyll publish an ``.html`` content file as it
is (a ``.md`` one goes through their Markdown renderers, which drop or rewrite raw HTML)."""


def render_article(article: ArticleItem, options: ExportOptions) -> str:
    """The complete file text of ``article`` in ``options.profile``."""
    try:
        renderer = PROFILES[options.profile]
    except KeyError:
        raise UnknownProfileError(
            f"unknown profile {options.profile!r} (known: {', '.join(PROFILES)})"
        ) from None
    return renderer(article, options)


_UNSAFE_CHARS = re.compile(
    r"[\x00-\x1f\x7f<>:\"/\\|?*\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
}


def safe_component(text: str, max_bytes: int = 120, fallback: str = "untitled") -> str:
    """One path component derived from arbitrary text: no separators, no dot-names."""
    value = unicodedata.normalize("NFC", text)
    value = _UNSAFE_CHARS.sub("_", value)
    value = _cut(" ".join(value.split()).strip(" ._-"), max_bytes)
    stem, dot, rest = value.partition(".")
    if stem.rstrip().upper() in _WINDOWS_RESERVED:  # Windows: CON, and CON.txt too
        value = _cut(f"{stem.rstrip()}_{dot}{rest}", max_bytes) if dot else ""
        if value.partition(".")[0].rstrip().upper() in _WINDOWS_RESERVED:
            value = ""
    return value or fallback


def _cut(value: str, max_bytes: int) -> str:
    """``value`` cut to ``max_bytes`` of UTF-8 (whole characters), no trailing `` ._-``."""
    return value.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore").rstrip(" ._-")


def post_relpath(article: ArticleItem, options: ExportOptions | None = None) -> PurePosixPath:
    """``<portal>/<YYYY-MM>/<title>_<id8>.md`` below ``posts/``; stable for an article.

    The folders are the same in every profile (the month is the UTC month); the file name
    follows the profile: ``.html`` for hugo, and for jekyll also the ``YYYY-MM-DD-`` prefix
    Jekyll requires of a post (the date in ``options.site_timezone``; ``1970-01-01`` for an
    undated article).
    """
    options = options or ExportOptions()
    month = article.published.strftime("%Y-%m") if article.published else "undated"
    aid = article_id(article.canonical_url)
    suffix = POST_SUFFIXES.get(options.profile, ".md")
    name = f"{safe_component(article.title, max_bytes=150)}_{aid[:8]}{suffix}"
    if options.profile == "jekyll":
        published = site_date(article, options)
        name = f"{published.strftime('%Y-%m-%d') if published else '1970-01-01'}-{name}"
    return PurePosixPath(safe_component(article.portal, fallback="portal"), month, name)


def safe_join(
    root: Path, relpath: PurePosixPath | str, *, real_dirs: dict[str, str] | None = None
) -> Path:
    """``root / relpath``, refusing anything that resolves outside ``root`` (symbolic links
    followed, as :meth:`Path.resolve` does).

    Works on strings (``os.path``): the writer calls it twice per article, and pathlib's
    parsing of every intermediate path cost more than the checks themselves. ``real_dirs``:
    resolved folders to reuse (the writer passes one per batch, whose articles share a few
    folders), so a resolution costs one ``lstat`` of the file instead of one per component
    of its path; a file that is itself a link is still followed.
    """
    rel = PurePosixPath(relpath)
    if rel.is_absolute() or ".." in rel.parts:
        raise UnsafePathError(f"path {str(rel)!r} leaves {root}")
    cache: dict[str, str] = {} if real_dirs is None else real_dirs
    base = _real_dir(os.fspath(root), cache)
    joined = f"{os.fspath(root)}{os.sep}{rel}"
    folder, name = os.path.split(joined)
    if name in ("", "."):  # relpath "" or "."
        target = os.path.realpath(joined)
    else:
        target = f"{_real_dir(folder, cache).rstrip(os.sep)}{os.sep}{name}"
        if os.path.islink(target):  # noqa: PTH114 - strings here, as the doc says
            target = os.path.realpath(target)
    if target != base and not target.startswith(base.rstrip(os.sep) + os.sep):
        raise UnsafePathError(f"path {str(rel)!r} leaves {root}")
    return Path(target)


def _real_dir(folder: str, cache: dict[str, str]) -> str:
    real = cache.get(folder)
    if real is None:
        real = cache[folder] = os.path.realpath(folder)
    return real


TMP_DIR = ".tmp"
"""Folder (in the archive root, beside ``posts/``) where files are written before being renamed
into place: a killed writer never leaves a partial file inside ``posts/``."""


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (the rename itself is a write to the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@functools.cache
def process_umask() -> int:
    """The process's umask, read once: from ``/proc/self/status`` where Linux shows it, else
    by setting and restoring it (once, so no other thread sees the probe for long)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The mode ``open()`` gives a new file: ``0o666`` less the umask (``mkstemp``'s 0600
    would hide posts, sidecars and assets from a web server or the owner's group)."""
    return 0o666 & ~process_umask()


def write_bytes_atomic(
    target: Path, data: bytes, *, fsync: bool = True, tmp_dir: Path | None = None
) -> bool:
    """Write ``data`` to ``target`` via a temp file + rename; ``False`` if already identical.

    The temp file is created in ``tmp_dir`` (same file system as ``target``, e.g. the archive's
    :data:`TMP_DIR`) or, without one or when ``tmp_dir`` is on another file system, beside the
    target as a hidden ``.tmp-*.part``. Readers therefore see the old file or the new one, never
    a part. The file gets the mode a plain ``open()`` would give it (``0o666`` less the
    umask), not ``mkstemp``'s 0600. With ``fsync`` the data is flushed before the rename and
    the directory after it, so the new name survives a power cut too.
    """
    try:
        if target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    folders = [target.parent] if tmp_dir is None else [tmp_dir, target.parent]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".part", dir=folder)
        try:
            os.fchmod(fd, new_file_mode())  # as a plain open() would: the umask decides
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
            crashpoint("write.before-rename")
            Path(tmp).replace(target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            if exc.errno == errno.EXDEV and folder != target.parent:
                continue  # tmp_dir is on another file system: write beside the target instead
            raise
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        break
    if fsync:
        _fsync_dir(target.parent)
    return True


def write_atomic(
    target: Path, text: str, *, fsync: bool = True, tmp_dir: Path | None = None
) -> bool:
    """:func:`write_bytes_atomic` of ``text`` as UTF-8."""
    return write_bytes_atomic(target, text.encode("utf-8"), fsync=fsync, tmp_dir=tmp_dir)


class SettingsLike(Protocol):
    """What :func:`export_options` reads: Scrapy's ``Settings`` or any look-alike."""

    def get(self, name: str, default: Any = None) -> Any: ...

    def getbool(self, name: str, default: bool = False) -> bool: ...


def export_options(settings: SettingsLike) -> ExportOptions:
    """Build :class:`ExportOptions` from ``ARCHIVE_*`` settings."""
    mode = settings.get("ARCHIVE_IMAGE_MODE", "origin")
    if mode not in IMAGE_MODES:
        raise InvalidSettingError(f"ARCHIVE_IMAGE_MODE must be one of {IMAGE_MODES}, not {mode!r}")
    profile = settings.get("ARCHIVE_PROFILE", "hexo")
    if profile not in PROFILES:
        raise UnknownProfileError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
    zone = settings.get("ARCHIVE_SITE_TIMEZONE", ExportOptions.site_timezone)
    try:
        ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise InvalidSettingError(
            f"ARCHIVE_SITE_TIMEZONE must be an IANA time zone name, not {zone!r}"
        ) from None
    return ExportOptions(
        profile=profile,
        image_mode=mode,
        image_proxy=settings.get("ARCHIVE_IMAGE_PROXY", ExportOptions.image_proxy),
        legacy_titles=settings.getbool("ARCHIVE_LEGACY_TITLES", True),
        placeholder=settings.get("ARCHIVE_PLACEHOLDER_IMAGE", ExportOptions.placeholder),
        local_prefix=settings.get("ARCHIVE_LOCAL_IMAGE_PREFIX", ExportOptions.local_prefix),
        fsync=settings.getbool("ARCHIVE_FSYNC", True),
        site_timezone=zone,
    )
