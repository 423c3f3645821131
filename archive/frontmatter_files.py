"""Front-matter files: an article rendered in a profile, its stable path, atomic writes.

Pure functions turn an :class:`~crawler.items.ArticleItem` into the file text; only
:func:`write_atomic` touches the disk. The ``hexo`` profile reproduces the legacy site's
layout exactly (``archive.hexo``); the image mode applies here and only here.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from archive.errors import UnknownProfileError, UnsafePathError
from archive.hexo import DEFAULT_FRAME, FRAMES, legacy_title, render_post
from crawler.items import ArticleItem, ImageRef
from pipelines.html import map_img_src
from pipelines.image_urls import wrap_proxy_url
from pipelines.normalize import rfc822

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
    local_prefix: str = "/images/"
    fsync: bool = True


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


def export_body(article: ArticleItem, options: ExportOptions) -> str:
    """Body HTML with image URLs per the image mode and ``referrerpolicy="no-referrer"``."""
    by_url = {ref.url: ref for ref in article.images}

    def rewrite(src: str) -> str:
        ref = by_url.get(src)
        return export_image_url(ref, options) if ref else src

    return map_img_src(
        article.body_html, rewrite, set_attributes={"img": {"referrerpolicy": "no-referrer"}}
    )


def _hexo(article: ArticleItem, options: ExportOptions) -> str:
    aid = article_id(article.canonical_url)
    if article.images:
        head = export_image_url(article.images[0], options)
    else:
        head = options.placeholder.replace("{n}", str(int(aid[:8], 16) % 10000))
    metadata = {
        "title": legacy_title(article.title) if options.legacy_titles else article.title,
        "categories": list(article.categories),
        "headimg": head,
        "author": article.author,
        "comments": False,
        "date": rfc822(article.published) if article.published else "",
        "thumbnail": head,
    }
    frame = FRAMES.get(article.portal, DEFAULT_FRAME)
    return render_post(metadata, export_body(article, options), frame)


PROFILES: dict[str, Callable[[ArticleItem, ExportOptions], str]] = {"hexo": _hexo}
"""Profile name → renderer. ``docs/architecture.md`` explains how to add one."""


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
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                     *(f"LPT{i}" for i in range(10))}  # fmt: skip


def safe_component(text: str, max_bytes: int = 120, fallback: str = "untitled") -> str:
    """One path component derived from arbitrary text: no separators, no dot-names."""
    value = unicodedata.normalize("NFC", text)
    value = _UNSAFE_CHARS.sub("_", value)
    value = " ".join(value.split()).strip(" ._-")
    encoded = value.encode("utf-8")[:max_bytes]
    value = encoded.decode("utf-8", errors="ignore").rstrip(" ._-")
    if not value or value.upper() in _WINDOWS_RESERVED:
        return fallback
    return value


def post_relpath(article: ArticleItem) -> PurePosixPath:
    """``<portal>/<YYYY-MM>/<title>_<id8>.md`` below ``posts/``; stable for an article."""
    month = article.published.strftime("%Y-%m") if article.published else "undated"
    aid = article_id(article.canonical_url)
    name = f"{safe_component(article.title, max_bytes=150)}_{aid[:8]}.md"
    return PurePosixPath(safe_component(article.portal, fallback="portal"), month, name)


def safe_join(root: Path, relpath: PurePosixPath | str) -> Path:
    """``root / relpath``, refusing anything that resolves outside ``root``."""
    rel = PurePosixPath(relpath)
    if rel.is_absolute() or ".." in rel.parts:
        raise UnsafePathError(f"path {str(rel)!r} leaves {root}")
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise UnsafePathError(f"path {str(rel)!r} leaves {root}")
    return target


def write_atomic(target: Path, text: str, *, fsync: bool = True) -> bool:
    """Write ``text`` to ``target`` via a temp file + rename; ``False`` if already identical."""
    data = text.encode("utf-8")
    try:
        if target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
