"""RSSHub full-text feeds as a source: feed items archived from the feed's own content.

The system this project replaces built its Hexo site from a self-hosted RSSHub: a script read
every feed of a TOML list (each with its categories and author), wrote one post per item from
the item's title, description HTML and ``pubDate``, and never fetched the article page. This
module is that script's logic as pure functions, so ``portal-archive crawl rsshub --feeds FILE``
(``crawler/spiders/rsshub.py``) writes the same posts:

* :func:`load_feeds` reads the TOML list (``[[feed]]`` tables: ``url``, ``categories``,
  ``author``, optional ``portal``);
* :func:`read_feed` reads an RSS 2.0 / Atom document with feedparser (HTML kept as served:
  no feedparser sanitizing, no URL resolution) and raises :class:`FeedError` for a document
  that is not a well-formed feed;
* :func:`feed_article` turns one entry into an :class:`~archive.items.ArticleItem`, or raises
  :class:`FeedItemError` (``no_link``, ``no_title``, ``bad_date``).

The legacy writer inserted the description **verbatim**, added ``referrerpolicy="no-referrer"``
to every ``<img>`` and wrapped ``http://`` images (not ``https://`` ones) in a CORS proxy. A
description is kept verbatim only when :func:`verbatim_safe` finds nothing the archive's
sanitizer would remove (``docs/migrating-from-rsshub-page.md``); any other description is
cleaned and sanitized like a crawled page (``archive.normalize.clean_body``) and is then not
byte-identical to the legacy post.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
import nh3
from lxml import etree
from lxml import html as lxml_html

from archive.errors import ArchiveError, FeedsFileError
from archive.frontmatter_files import img_srcs, img_tags, replace_img_src_text
from archive.hexo import legacy_filename
from archive.html import DROP_WITH_CONTENT, STORE_ATTRS, STORE_TAGS, URL_SCHEMES, xml_safe
from archive.image_urls import DEFAULT_IMAGE_PROXIES, unwrap_proxy_url
from archive.importer import FALLBACK_PORTAL, IMPORT_PREFIX, portal_for
from archive.items import ArticleItem, ImageRef
from archive.normalize import canonical, parse_published, rfc822

SOURCE_FORMAT = "rsshub"
"""``render_hints["source_format"]`` of an RSSHub feed item (``archive.normalize`` keeps its
title spacing and, when verbatim, its body)."""

# --------------------------------------------------------------------------- the feeds file


@dataclass(frozen=True)
class FeedConfig:
    """One ``[[feed]]`` of the feeds file."""

    url: str
    categories: tuple[str, ...]
    author: str
    portal: str
    """Portal (folder, frame) of the feed's posts: ``portal`` if given, else derived from the
    categories the way ``import`` derives it (``高科技行业门户`` → ``ofweek``, an ASCII site
    name → its slug), else ``rsshub``."""


def _feed_config(table: object, number: int) -> FeedConfig:
    where = f"[[feed]] #{number}"
    if not isinstance(table, Mapping):
        raise FeedsFileError(f"{where} is not a table")
    unknown = sorted(set(table) - {"url", "categories", "author", "portal"})
    if unknown:
        raise FeedsFileError(f"{where}: unknown key(s) {', '.join(unknown)}")
    url = table.get("url")
    if not isinstance(url, str) or not re.match(r"https?://[^/\s]+", url):
        raise FeedsFileError(f"{where}: url must be an absolute http(s) URL, got {url!r}")
    categories = table.get("categories", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise FeedsFileError(f"{where} ({url}): categories must be a list of strings")
    author = table.get("author", "")
    if not isinstance(author, str):
        raise FeedsFileError(f"{where} ({url}): author must be a string")
    portal = table.get("portal") or portal_for(categories)
    if portal == FALLBACK_PORTAL:
        portal = SOURCE_FORMAT  # no site to name it after: the feed's posts go to posts/rsshub/
    if not isinstance(portal, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", portal):
        raise FeedsFileError(f"{where} ({url}): portal must be a lower-case slug, got {portal!r}")
    return FeedConfig(url=url, categories=tuple(categories), author=author, portal=portal)


def parse_feeds(text: str, source: str = "feeds file") -> list[FeedConfig]:
    """The feeds of a feeds file's text; :class:`FeedsFileError` when it is not usable."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FeedsFileError(f"{source} is not valid TOML: {exc}") from exc
    tables = data.get("feed")
    if not isinstance(tables, list) or not tables:
        raise FeedsFileError(f"{source} lists no feeds: add [[feed]] tables with url = …")
    feeds = [_feed_config(table, number) for number, table in enumerate(tables, 1)]
    seen: set[str] = set()
    for feed in feeds:
        if feed.url in seen:
            raise FeedsFileError(f"{source} lists {feed.url} twice")
        seen.add(feed.url)
    return feeds


def load_feeds(path: Path) -> list[FeedConfig]:
    """:func:`parse_feeds` of the file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedsFileError(f"cannot read feeds file {path}: {exc}") from exc
    return parse_feeds(text, str(path))


# --------------------------------------------------------------------------- reading a feed


class FeedError(ArchiveError):
    """A feed document that cannot be read; ``reason`` goes to the failures table."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class FeedItemError(ArchiveError):
    """A feed item that cannot be archived (``no_link``, ``no_title``, ``bad_date``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, as served."""

    position: int
    """1-based position in the feed (names an item that has no link)."""
    title: str
    link: str
    description: str
    published: str
    """``pubDate`` (``published``/``updated`` in Atom) text as served."""


#: bozo exceptions that do not make a document unreadable (wrong charset declaration, a
#: feed served as text/html …): the entries feedparser read are complete.
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def read_feed(data: bytes) -> list[FeedEntry]:
    """The entries of an RSS/Atom document, HTML exactly as served (whitespace around it aside).

    Raises :class:`FeedError` (``not_a_feed``) for a document that is no feed or is not
    well-formed XML (a truncated feed loses no stored article: none of its items is used).
    """
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    problem = parsed.get("bozo_exception")
    if not parsed.get("version") or (problem and not isinstance(problem, _HARMLESS_BOZO)):
        detail = f"{type(problem).__name__}: {problem}" if problem else "no RSS or Atom root"
        raise FeedError("not_a_feed", f"not a well-formed RSS/Atom feed ({detail})")
    entries = []
    for position, entry in enumerate(parsed.entries, 1):
        content = entry.get("content") or []
        description = content[0].get("value", "") if content else entry.get("summary", "")
        entries.append(
            FeedEntry(
                position=position,
                title=entry.get("title", ""),
                link=(entry.get("link") or "").strip(),
                description=description or "",
                published=entry.get("published") or entry.get("updated") or "",
            )
        )
    return entries


# --------------------------------------------------------------------------- verbatim bodies

LEGACY_CONTAINERS: frozenset[str] = frozenset({"article", "section"})
"""Structural tags the legacy posts carry that the store allow-list unwraps: harmless."""

_VERBATIM_TAGS = STORE_TAGS | LEGACY_CONTAINERS
_VERBATIM_ATTRS: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in STORE_ATTRS.items()},
    "img": {*STORE_ATTRS["img"], "referrerpolicy"},
}
_UNSAFE_STYLE = re.compile(r"url\s*\(|expression|javascript|@import|behavio|binding|position", re.I)
_ABSOLUTE = re.compile(r"https?://[^\s/]", re.I)


def _inert(name: str) -> bool:
    """An attribute name no browser gives a meaning: it holds non-ASCII text (a legacy post
    has ``<img title 内窥镜…" alt>``, a title that lost its ``="``)."""
    return not name.isascii()


def _style_ok(value: str) -> bool:
    return not _UNSAFE_STYLE.search(value) and "\\" not in value


class _Tokens(HTMLParser):
    """Flags the first token of a description the verbatim allow-list does not cover."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problem = ""

    def _flag(self, problem: str) -> None:
        self.problem = self.problem or problem

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VERBATIM_TAGS:
            self._flag(f"<{tag}>")
            return
        allowed = _VERBATIM_ATTRS["*"] | _VERBATIM_ATTRS.get(tag, set())
        for name, value in attrs:
            text = (value or "").strip()
            if _inert(name) and value is None:
                continue
            if name not in allowed:
                self._flag(f"<{tag} {name}>")
            elif name == "style" and not _style_ok(text):
                self._flag(f"<{tag} style={text!r}>")
            elif name == "src" and not _ABSOLUTE.match(text):
                self._flag(f"<{tag} src={text!r}>")
            elif name == "href" and not _ABSOLUTE.match(text) and text[:1] != "#":
                self._flag(f"<{tag} href={text!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VERBATIM_TAGS:
            self._flag(f"</{tag}>")

    def handle_comment(self, data: str) -> None:
        if "--" in data or data.startswith((">", "->")) or "[if" in data.lower():
            self._flag("an unusual comment")

    def handle_decl(self, decl: str) -> None:
        self._flag("a declaration")

    def unknown_decl(self, data: str) -> None:
        self._flag("a CDATA section")

    def handle_pi(self, data: str) -> None:
        self._flag("a processing instruction")


def _tree(html: str) -> list[Any]:
    """A comparable form of the DOM lxml builds: tags, attributes, texts, comments."""
    root = lxml_html.fragment_fromstring(xml_safe(html), create_parent="div")

    def node(element: Any) -> Any:
        if element.tag is etree.Comment:
            return ("#comment", element.text or "", element.tail or "")
        return (
            element.tag,
            sorted((k, v) for k, v in element.attrib.items() if not _inert(k)),
            element.text or "",
            [node(child) for child in element],
            element.tail or "",
        )

    return [root.text or "", [node(child) for child in root]]


def _keep_style(tag: str, attr: str, value: str) -> str | None:
    return None if attr == "style" and not _style_ok(value) else value


def verbatim_problem(html: str) -> str:
    """Why ``html`` cannot be stored verbatim; ``""`` when it can.

    Two parsers must agree that nothing needs removing: Python's tokenizer finds only
    allow-listed tags and attributes (the archive's, plus ``<article>``/``<section>``,
    ``referrerpolicy``), absolute http(s) URLs, ``style`` values without
    ``url()``/``expression()``/positioning, plain comments, and valueless attributes with
    non-ASCII names (inert); and nh3 (html5ever) with that allow-list returns a document whose
    lxml tree equals the input's (inert attributes aside).
    """
    if xml_safe(html) != html:
        return "control characters"
    tokens = _Tokens()
    tokens.feed(html)
    tokens.close()
    if tokens.problem:
        return tokens.problem
    cleaned = nh3.clean(
        html,
        tags=set(_VERBATIM_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes=_VERBATIM_ATTRS,
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=False,
        attribute_filter=_keep_style,
    )
    if _tree(cleaned) != _tree(html):
        return "the sanitizer changes it"
    return ""


def verbatim_safe(html: str) -> bool:
    """Whether ``html`` may be stored as served (:func:`verbatim_problem` finds nothing)."""
    return not verbatim_problem(html)


_SELF_CLOSING = re.compile(r"""(?<=[\s"'])\s*/>\Z""")
"""The `` />`` of ``<img … />`` (not the ``/`` ending an unquoted value: ``src=http://a/b/>``)."""


def add_referrerpolicy(body: str) -> str:
    """Every ``<img>`` tag with `` referrerpolicy="no-referrer"`` appended, as the legacy
    writer did (an ``<img>`` that has one already is left alone); the rest byte for byte."""
    pieces: list[str] = []
    last = 0
    for offset, raw, attrs in img_tags(body):
        if any(name == "referrerpolicy" for name, _ in attrs):
            continue
        end = _SELF_CLOSING.search(raw)
        cut = offset + (end.start() if end else len(raw) - 1)
        pieces += [body[last:cut], ' referrerpolicy="no-referrer"']
        last = cut
    pieces.append(body[last:])
    return "".join(pieces)


# --------------------------------------------------------------------------- items


def verbatim_body(description: str, proxies: Sequence[str]) -> tuple[str, list[ImageRef]]:
    """The stored body of a verbatim description: original image URLs (proxy wrappers cut out
    as text), ``referrerpolicy`` added; and its images in order."""
    served: dict[str, str] = {}

    def unwrap(src: str) -> str:
        original = unwrap_proxy_url(src, proxies)
        served.setdefault(original, src)
        return original

    body = add_referrerpolicy(replace_img_src_text(description, unwrap))
    refs: dict[str, ImageRef] = {}
    for src, alt in img_srcs(body):
        refs.setdefault(src, ImageRef(url=src, url_raw=served.get(src, src), alt=alt))
    return body, list(refs.values())


def legacy_identity(categories: Sequence[str], title: str) -> str:
    """The identity ``import`` gives the legacy post a feed item with ``title`` became
    (``import:<categories…>/<legacy file name>``, ``archive.importer``)."""
    return IMPORT_PREFIX + "/".join([*categories, legacy_filename(title)])


def feed_article(
    entry: FeedEntry,
    feed: FeedConfig,
    *,
    proxies: Sequence[str] = DEFAULT_IMAGE_PROXIES,
    tz: str = "Asia/Shanghai",
    fetched_at: datetime | None = None,
    imported: Container[str] = frozenset(),
) -> ArticleItem:
    """An article from a feed item's own content, as the legacy writer made its post.

    Raises :class:`FeedItemError` for an item without link or title or with a date that
    cannot be read. A missing ``pubDate`` is no error: the item is dated by its fetch time
    (``archive/normalize_failed/published`` is counted by the pipeline).

    ``imported``: identities of imported posts. An item whose legacy post was imported takes
    that post's identity, so the crawl updates the imported post instead of adding a copy.
    """
    where = entry.link or f"item {entry.position}"
    if not entry.link:
        raise FeedItemError("no_link", f"item {entry.position} of {feed.url} has no link")
    if not _ABSOLUTE.match(entry.link):
        raise FeedItemError("no_link", f"{where}: link is not an absolute http(s) URL")
    if not entry.title.strip():
        raise FeedItemError("no_title", f"{where}: item has no title")
    published = None
    if entry.published.strip():
        published = parse_published(entry.published, tz)
        if published is None:
            raise FeedItemError("bad_date", f"{where}: unreadable pubDate {entry.published!r}")
    hints: dict[str, Any] = {"source_format": SOURCE_FORMAT, "proxy_http_only": True}
    if published is not None and rfc822(published) != entry.published:
        hints["date_text"] = entry.published  # written as served, like the legacy writer
    identity = legacy_identity(feed.categories, entry.title)
    item = ArticleItem(
        url=entry.link,
        portal=feed.portal,
        canonical_url=identity if identity in imported else canonical(entry.link),
        title_raw=entry.title,
        author=feed.author,
        categories=list(feed.categories),
        published_raw=entry.published,
        feed_published=published,
        body_raw=entry.description,
        parser=f"{SOURCE_FORMAT}.feed",
        encoding="utf-8",
        fetched_at=fetched_at or datetime.now(UTC).replace(microsecond=0),
        render_hints=hints,
    )
    if verbatim_safe(entry.description):
        item.body_html, item.images = verbatim_body(entry.description, proxies)
        hints["body_verbatim"] = True
    return item
