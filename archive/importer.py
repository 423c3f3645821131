"""Import existing posts (legacy Hexo, Hugo/Jekyll-style) into the archive.

:func:`parse_import` is pure: file text in, :class:`~archive.items.ArticleItem` out, with the
``render_hints`` a faithful re-render needs. A post in the legacy layout (``archive.hexo``)
keeps its frame, the textual form of its date, its title, placeholder images and body
verbatim, and the proxy template its images were wrapped in (the stored body and images carry
the original URLs). Re-rendering it through the exporter gives the file back byte for byte.
Hugo (TOML ``+++``) and Jekyll/YAML posts are imported too, into the hexo profile; they cannot
round-trip byte for byte and are not meant to (posts of this archive's own hugo and jekyll
profiles come back with the same title, date, author, categories, body and images).

:func:`import_batch` is the thin writer: it saves batches through
:meth:`archive.store.Archive.save_entries` (files per batch, one index transaction) and
records ``origin='import'``, ``imported_from`` and the hints.
``docs/importing.md`` describes the rules.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from zoneinfo import ZoneInfo

import frontmatter
import yaml
from frontmatter.default_handlers import BaseHandler
from markdown_it import MarkdownIt

from archive.errors import PostImportError
from archive.frontmatter_files import (
    ExportOptions,
    article_id,
    article_image_url,
    img_srcs,
    replace_img_src_text,
)
from archive.hexo import HexoFormatError, HexoYAMLHandler, ParsedPost, parse_post
from archive.html import html_to_text
from archive.image_urls import DEFAULT_IMAGE_PROXIES
from archive.items import ArticleItem, ImageRef
from archive.normalize import clean_body, parse_published, rfc822
from archive.store import Archive, SaveResult
from archive.writer import Entry

__all__ = [
    "IMPORT_PREFIX",
    "SITE_PORTALS",
    "ImportResult",
    "ImportSource",
    "collect_sources",
    "import_batch",
    "import_file",
    "parse_import",
    "portal_for",
    "post_options",
    "save_imported",
]

IMPORT_PREFIX = "import:"
"""``canonical_url`` prefix of imported posts (they have no URL)."""

POST_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".html", ".htm")
"""Files a folder import picks up (a file named explicitly is read whatever its suffix):
``.html`` is how the hugo and jekyll profiles write posts (``docs/profiles.md``)."""

#: Site folder (second category) of the legacy site -> portal key (``archive.hexo.FRAMES``).
SITE_PORTALS: dict[str, str] = {
    "高科技行业门户": "ofweek",
    "36kr": "36kr",
    "cnBeta": "cnbeta",
    "人人都是产品经理": "woshipm",
    "煎蛋": "jandan",
    "IT 之家": "ithome",
    "Dockone": "dockone",
    "ZAKER": "zaker",
    "开源中国": "oschina",
    "虎嗅": "huxiu",
}
FALLBACK_PORTAL = "imported"

SourceFormat = Literal["hexo", "yaml", "toml"]

_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_JEKYLL_NAME = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>.+)")
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


class TomlHandler(BaseHandler):
    """python-frontmatter handler for Hugo's ``+++`` TOML front matter, read with ``tomllib``."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        raise NotImplementedError("posts are written in the hexo profile, never as TOML")


# --------------------------------------------------------------------------- pure parsing


def portal_for(categories: Sequence[str], relpath: PurePosixPath | None = None) -> str:
    """Portal of an imported post: the legacy site folder's portal, a slug of it, or 'imported'.

    >>> portal_for(["新媒体", "高科技行业门户", "新闻"])
    'ofweek'
    >>> portal_for(["编程", "Some Blog", "周报"])
    'some-blog'
    """
    folders = list(relpath.parent.parts) if relpath is not None else []
    for site in [*categories[1:2], *folders[1:2]]:
        if site in SITE_PORTALS:
            return SITE_PORTALS[site]
        slug = re.sub(r"[^a-z0-9]+", "-", site.lower()).strip("-")
        if slug:
            return slug
    return FALLBACK_PORTAL


def post_options(article: ArticleItem, base: ExportOptions) -> ExportOptions:
    """The options an imported post is rendered with so that it comes out as it came in:
    hexo profile; image mode ``proxy`` with the recorded template when its images were
    proxied, else ``origin``."""
    template = article.render_hints.get("image_proxy")
    if template:
        return replace(base, profile="hexo", image_mode="proxy", image_proxy=template)
    return replace(base, profile="hexo", image_mode="origin")


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _str_list(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [_text(item) for item in value]
    return [_text(value)]


def _plain(value: object) -> Any:
    """A JSON-able copy of a front-matter value (dates become ISO strings)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _template_of(url: str, proxies: Sequence[str]) -> str | None:
    """The proxy template wrapping ``url`` once around a plain http(s) URL, if any."""
    for template in proxies:
        prefix, found, suffix = template.partition("{url}")
        if not found or not prefix:
            continue
        if url.startswith(prefix) and url.endswith(suffix) and len(url) > len(prefix + suffix):
            inner = url[len(prefix) : len(url) - len(suffix)]
            if inner.lower().startswith(("http://", "https://")):
                return template
    return None


def _unwrap_once(url: str, template: str) -> str:
    prefix, _, suffix = template.partition("{url}")
    return url[len(prefix) : len(url) - len(suffix)]


def _unwrap_images(body: str, proxies: Sequence[str]) -> tuple[str, list[ImageRef], dict[str, Any]]:
    """Body with original image URLs (text replacement), its images, and the image hints.

    One proxy template per post is recorded (the first found); images it did not wrap stay as
    they are and are listed in ``unproxied_images`` so a proxy-mode render leaves them alone.
    """
    found = img_srcs(body)
    template = next((t for t in (_template_of(src, proxies) for src, _ in found) if t), None)
    originals: dict[str, str] = {}
    if template is not None:
        for src, _ in found:
            if _template_of(src, [template]):
                originals[src] = _unwrap_once(src, template)
    if originals:
        body = replace_img_src_text(body, lambda src: originals.get(src, src))
    refs: dict[str, ImageRef] = {}
    for src, alt in found:
        url = originals.get(src, src)
        refs.setdefault(url, ImageRef(url=url, url_raw=src, alt=alt))
    hints: dict[str, Any] = {}
    if template is not None:
        hints["image_proxy"] = template
        unproxied = [ref.url for ref in refs.values() if ref.url == ref.url_raw]
        if unproxied:
            hints["unproxied_images"] = unproxied
    return body, list(refs.values()), hints


def _date_hints(text: str, published: datetime | None, tz: str) -> dict[str, Any]:
    """How the front-matter date was written, so the re-render writes it the same way."""
    if published is not None:
        if rfc822(published) == text:
            return {"date_form": "rfc1123"}
        local = published.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")
        if _BARE_DATE.fullmatch(text) and local == text:
            return {"date_form": "local", "date_tz": tz}
    return {"date_text": text}


def _parse_date(value: object, tz: str) -> datetime | None:
    if value is None or value == "":
        return None
    zone = ZoneInfo(tz)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=zone)
        return aware.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=zone).astimezone(UTC)
    parsed = parse_published(_text(value), tz)
    if parsed is None:
        raise PostImportError(f"unparseable date {value!r}")
    return parsed


def _identity(categories: Sequence[str], relpath: PurePosixPath, fmt: SourceFormat) -> str:
    """Stable key of an imported post. A legacy post is keyed by the legacy site's own path,
    ``<categories…>/<file name>``, whatever folder it is imported from; other posts by their
    path below the PATH given."""
    if fmt == "hexo" and categories:
        return IMPORT_PREFIX + "/".join([*categories, relpath.name])
    return IMPORT_PREFIX + relpath.as_posix()


def _parse_hexo(
    parsed: ParsedPost,
    relpath: PurePosixPath,
    proxies: Sequence[str],
    portal: str | None,
    tz: str,
) -> ArticleItem:
    meta = dict(parsed.metadata)
    title = _text(meta.pop("title", ""))
    categories = _str_list(meta.pop("categories", None))
    author = _text(meta.pop("author", ""))
    date_text = _text(meta.pop("date", ""))
    headimg = meta.pop("headimg", None)
    thumbnail = meta.pop("thumbnail", None)
    comments = meta.pop("comments", False)
    published = _parse_date(date_text, tz)

    body, images, image_hints = _unwrap_images(parsed.body_html, proxies)
    hints: dict[str, Any] = {
        "source_format": "hexo",
        "frame": asdict(parsed.frame),
        "title_verbatim": True,
        "body_verbatim": True,
        **_date_hints(date_text, published, tz),
        **image_hints,
    }
    if comments is not False:
        hints["comments"] = _plain(comments)
    if meta:
        hints["extra_metadata"] = _plain(meta)
    article = ArticleItem(
        url="",
        portal=portal or portal_for(categories, relpath),
        canonical_url=_identity(categories, relpath, "hexo"),
        title_raw=title,
        title=title,
        author=author,
        categories=categories,
        published_raw=date_text,
        published=published,
        body_raw=parsed.body_html,
        body_html=body,
        body_text=html_to_text(body),
        images=images,
        parser="import.hexo",
        encoding="utf-8",
        render_hints=hints,
    )
    # headimg/thumbnail verbatim unless the exporter derives the same value (first image).
    options = post_options(article, ExportOptions())
    derived = article_image_url(images[0], options, hints) if images else None
    for key, value in (("headimg", headimg), ("thumbnail", thumbnail)):
        if value != derived:
            hints[key] = value if value is None or isinstance(value, str) else _plain(value)
    return article


_MAPPED_KEYS = frozenset(
    {"title", "date", "categories", "category", "author", "comments", "headimg", "thumbnail"}
)


def _derived(key: str, value: object, srcs: Sequence[str]) -> bool:
    """A key the hugo/jekyll profiles derive from the article (``docs/profiles.md``): kept out
    of ``extra_metadata`` when it says nothing the post does not already say."""
    if key in ("draft", "render_with_liquid"):
        return value is False
    if key == "images":
        return value == list(srcs)
    if key == "image":
        return bool(srcs) and value == srcs[0]
    return False


def _author(value: object) -> str:
    if isinstance(value, Mapping):
        return _text(value.get("name", ""))
    if isinstance(value, list | tuple):
        return ", ".join(_author(item) for item in value)
    return _text(value)


def _parse_generic(
    text: str, relpath: PurePosixPath, proxies: Sequence[str], portal: str | None, tz: str
) -> ArticleItem:
    text = text.replace("\r\n", "\n")
    stripped = text.lstrip()
    handler: BaseHandler
    fmt: SourceFormat
    if stripped.startswith("+++"):
        handler, fmt = TomlHandler(), "toml"
    elif stripped.startswith("---"):
        handler, fmt = HexoYAMLHandler(), "yaml"  # safe loader, timestamps kept as strings
    else:
        raise PostImportError("no front matter ('---' YAML or '+++' TOML)")
    try:
        post = frontmatter.loads(stripped, handler=handler)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        raise PostImportError(f"invalid {fmt.upper()} front matter: {exc}") from exc
    meta = dict(post.metadata)
    jekyll = _JEKYLL_NAME.fullmatch(PurePosixPath(relpath.name).stem)
    title = _text(meta.get("title")) or (jekyll.group("slug") if jekyll else relpath.stem)
    published = _parse_date(meta.get("date") or (jekyll.group("date") if jekyll else None), tz)
    raw_categories = meta.get("categories", meta.get("category"))
    categories = _str_list(raw_categories)
    if fmt == "yaml" and isinstance(raw_categories, str):
        categories = raw_categories.split()  # Jekyll: a space-separated string
    html = post.content
    if PurePosixPath(relpath.name).suffix.lower() not in (".html", ".htm"):
        html = _MARKDOWN.render(post.content)
    body = clean_body(html, "")
    srcs = [src for src, _alt in img_srcs(body)]  # as the file has them (proxied, local …)
    body, images, image_hints = _unwrap_images(body, proxies)
    hints: dict[str, Any] = {"source_format": fmt, "title_verbatim": True, **image_hints}
    extra = {
        key: value
        for key, value in meta.items()
        if key not in _MAPPED_KEYS and not _derived(key, value, srcs)
    }
    if extra:
        hints["extra_metadata"] = _plain(extra)
    return ArticleItem(
        url="",
        portal=portal or FALLBACK_PORTAL,
        canonical_url=_identity(categories, relpath, fmt),
        title_raw=title,
        title=title,
        author=_author(meta.get("author")),
        categories=categories,
        published_raw=_text(_plain(meta.get("date"))),
        published=published,
        body_raw=post.content,
        body_html=body,
        body_text=html_to_text(body),
        images=images,
        parser=f"import.{fmt}",
        encoding="utf-8",
        render_hints=hints,
    )


def parse_import(
    text: str,
    relpath: PurePosixPath | str,
    *,
    proxies: Sequence[str] = DEFAULT_IMAGE_PROXIES,
    portal: str | None = None,
    tz: str = "Asia/Shanghai",
) -> ArticleItem:
    """Turn a post file's text into an article with the hints a faithful re-render needs.

    ``relpath`` is the file's path below the PATH it was found in (its identity for
    non-legacy posts, and the folder the portal can be derived from). Raises
    :class:`PostImportError` when the text is no post.
    """
    relpath = PurePosixPath(relpath)
    try:
        parsed = parse_post(text)
    except HexoFormatError:
        return _parse_generic(text, relpath, proxies, portal, tz)
    return _parse_hexo(parsed, relpath, proxies, portal, tz)


# --------------------------------------------------------------------------- the writer


@dataclass(frozen=True)
class ImportSource:
    """A file to import and its path below the PATH it was found in."""

    path: Path
    relpath: PurePosixPath


_FRONT_MATTER_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:---|\+\+\+)\s*\n")


def _may_be_post(path: Path) -> bool:
    """``.md``/``.markdown`` always (one without front matter is reported); ``.html``/``.htm``
    only when it starts with front matter: a site's plain HTML pages are no posts."""
    if path.suffix.lower() not in (".html", ".htm"):
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError:
        return True  # reported when it is read
    return bool(_FRONT_MATTER_START.match(head))


def collect_sources(paths: Iterable[Path]) -> list[ImportSource]:
    """Files named, plus files with a :data:`POST_SUFFIXES` suffix below folders named
    (dot-names skipped; HTML files only when they start with front matter), each once, in a
    stable order."""
    sources: list[ImportSource] = []
    seen: set[Path] = set()
    for given in paths:
        if given.is_file():
            candidates = [ImportSource(given, PurePosixPath(given.name))]
        elif given.is_dir():
            candidates = sorted(
                (
                    ImportSource(path, PurePosixPath(path.relative_to(given).as_posix()))
                    for path in given.rglob("*")
                    if path.suffix.lower() in POST_SUFFIXES
                    and not any(p.startswith(".") for p in path.relative_to(given).parts)
                    and path.is_file()
                    and _may_be_post(path)
                ),
                key=lambda source: source.relpath.as_posix(),
            )
        else:
            raise PostImportError(f"no such file or folder: {given}")
        for source in candidates:
            key = source.path.resolve()
            if key not in seen:
                seen.add(key)
                sources.append(source)
    return sources


ImportStatus = Literal["new", "updated", "unchanged", "failed"]


@dataclass(frozen=True)
class ImportResult:
    source: Path
    status: ImportStatus
    path: Path | None = None
    """The written post."""
    identical: bool = False
    """The written post is byte-identical to the source file (a faithful round trip)."""
    detail: str = ""


IMPORT_BATCH = 200
"""Posts written per batch (``Archive.save_entries``: files per batch, one transaction)."""


def _entry(archive: Archive, article: ArticleItem, imported_from: str) -> Entry:
    """An imported article with its own render options and where it came from."""
    return Entry(article, "import", imported_from, post_options(article, archive.options))


def save_imported(archive: Archive, article: ArticleItem, imported_from: str) -> SaveResult:
    """Save an imported article with its own render options and record where it came from."""
    return archive.save_entries([_entry(archive, article, imported_from)])[0]


def _parse_source(
    archive: Archive, source: ImportSource, proxies: Sequence[str], portal: str | None, tz: str
) -> tuple[ArticleItem, bytes] | ImportResult:
    if source.path.resolve().is_relative_to(archive.posts_dir.resolve()):
        return ImportResult(source.path, "failed", detail="file is inside this archive's posts/")
    try:
        data = source.path.read_bytes()
        text = data.decode("utf-8").removeprefix("\ufeff")
        article = parse_import(text, source.relpath, proxies=proxies, portal=portal, tz=tz)
    except (OSError, UnicodeDecodeError, PostImportError) as exc:
        return ImportResult(source.path, "failed", detail=str(exc))
    return article, data


def import_batch(
    archive: Archive,
    sources: Sequence[ImportSource],
    *,
    proxies: Sequence[str] = DEFAULT_IMAGE_PROXIES,
    portal: str | None = None,
    tz: str = "Asia/Shanghai",
) -> list[ImportResult]:
    """Import files as batches (one per run of distinct articles: two files of the same
    article are written one after the other, as they come); one result per file, in order.
    A file that is no post comes back as ``failed`` with the reason."""
    parsed = [_parse_source(archive, source, proxies, portal, tz) for source in sources]
    results: dict[int, ImportResult] = {}
    batch: list[tuple[int, ArticleItem, bytes]] = []
    ids: set[str] = set()

    def flush() -> None:
        entries = [_entry(archive, a, str(sources[i].path.absolute())) for i, a, _ in batch]
        for (i, _article, data), saved in zip(batch, archive.save_entries(entries), strict=True):
            identical = saved.path.read_bytes() == data
            status: ImportStatus = "unchanged" if saved.status == "rendered" else saved.status
            results[i] = ImportResult(sources[i].path, status, saved.path, identical)
        batch.clear()
        ids.clear()

    for i, outcome in enumerate(parsed):
        if isinstance(outcome, ImportResult):
            results[i] = outcome
            continue
        article, data = outcome
        aid = article_id(article.canonical_url)
        if aid in ids:
            flush()
        ids.add(aid)
        batch.append((i, article, data))
    if batch:
        flush()
    return [results[i] for i in range(len(sources))]


def import_file(
    archive: Archive,
    source: ImportSource,
    *,
    proxies: Sequence[str] = DEFAULT_IMAGE_PROXIES,
    portal: str | None = None,
    tz: str = "Asia/Shanghai",
) -> ImportResult:
    """Import one file; a file that is no post comes back as ``failed`` with the reason."""
    return import_batch(archive, [source], proxies=proxies, portal=portal, tz=tz)[0]


def import_paths(
    archive: Archive,
    paths: Iterable[Path],
    *,
    proxies: Sequence[str] = DEFAULT_IMAGE_PROXIES,
    portal: str | None = None,
    progress: Callable[[ImportResult], None] | None = None,
    batch_size: int = IMPORT_BATCH,
) -> list[ImportResult]:
    """Import every post below ``paths`` in batches; ``progress`` is called for each file."""
    results: list[ImportResult] = []
    sources = collect_sources(paths)
    for start in range(0, len(sources), batch_size):
        done = import_batch(
            archive, sources[start : start + batch_size], proxies=proxies, portal=portal
        )
        results += done
        if progress is not None:
            for result in done:
                progress(result)
    return results
