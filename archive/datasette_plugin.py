"""The archive's Datasette plugin: article bodies rendered safely, file links, a month facet.

Registered through the ``datasette`` entry point in ``pyproject.toml``. Settings come from
``plugins: portal-archive:`` in the metadata that ``archive.datasette_metadata`` builds.

* ``articles.body`` is shown as HTML **only after nh3 sanitization** with the allow-list
  below, whatever the stored body holds (the crawl sanitizes on ingest too; this is the
  second line). Row pages show the whole body with its images (per the image mode), table
  and query views a plain-text snippet.
* ``articles.path`` and ``images.path`` link to the archived file and the downloaded image.
* A ``month`` facet type (``{"month": "published"}``) counts rows per ``YYYY-MM``.
* The Atom feed (``/index/feed.atom``, issue 14): the SQL function that gives the canned query
  ``feed`` its sanitized ``atom_content_html``, and an ``atom`` renderer that is
  datasette-atom's except that a result without rows is an empty feed, not an error.
* Files under the static mounts get ``Content-Security-Policy: sandbox`` and ``nosniff``, so
  a hostile downloaded SVG or post opened directly cannot run script in Datasette's origin.

Pure functions do the work; the hook functions at the bottom only wire them to Datasette.
"""

from __future__ import annotations

import contextvars
import html
import json
import re
import sqlite3
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import datasette_atom
import markupsafe
import nh3
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError
from feedgen.feed import FeedGenerator

from archive import datasette_search
from archive.datasette_metadata import (
    COLUMNS,
    FEED_HTML_FUNCTION,
    IMAGES_MOUNT,
    PLUGIN,
    POSTS_MOUNT,
    RENDER_IMAGE_MODES,
)
from archive.errors import UnsafePathError
from archive.frontmatter_files import safe_join
from archive.html import DROP_WITH_CONTENT
from archive.image_urls import wrap_proxy_url

RENDER_TAGS: frozenset[str] = frozenset(
    {
        "p",
        "br",
        "hr",
        "div",
        "span",
        "blockquote",
        "pre",
        "code",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "s",
        "del",
        "ins",
        "mark",
        "small",
        "sub",
        "sup",
        "q",
        "abbr",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "caption",
        "colgroup",
        "col",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "figure",
        "figcaption",
        "img",
        "a",
    }
)
"""Tags shown: paragraphs, inline formatting, lists, tables, figures, images, links. Any
other tag is unwrapped (its text kept); those in ``DROP_TAGS`` go with their content."""

DROP_TAGS: frozenset[str] = DROP_WITH_CONTENT
"""Removed with everything inside: script, style, iframe, form, svg, math, object …"""

RENDER_ATTRS: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "col": {"span"},
    "ol": {"start"},
    "abbr": {"title"},
}
"""Attributes shown. No ``style`` or ``class`` (no CSS from the page), no ``on*`` handlers,
no ``srcset``/``data-*``."""

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
"""URL schemes kept in ``href``/``src``; ``javascript:``, ``data:``, ``vbscript:`` are dropped."""

LINK_REL = "noopener nofollow"
IMG_ATTRS = {"referrerpolicy": "no-referrer", "loading": "lazy"}
SNIPPET_CHARS = 160
STATIC_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"default-src 'none'; img-src 'self'; sandbox"),
    (b"x-content-type-options", b"nosniff"),
)
CSS_PATH = "/-/portal-archive.css"
CARD_ORDER = ("title", "published", "portal", "url", "path", "body")
"""Order of the first fields on an article's row page (a card, body after the links)."""
CSS = """\
.portal-archive-body { white-space: normal; max-width: 46rem; line-height: 1.75; }
.portal-archive-body img { max-width: 100%; height: auto; }
.portal-archive-body table { border-collapse: collapse; }
.portal-archive-body td, .portal-archive-body th { border: 1px solid #ccc; white-space: normal; }
.portal-archive-snippet { color: #444; display: inline-block; min-width: 16rem; }
dl.column-descriptions { display: grid; grid-template-columns: max-content 1fr max-content 1fr;
  column-gap: 1rem; row-gap: 0.15rem; font-size: 0.8rem; }
dl.column-descriptions dt, dl.column-descriptions dd { margin: 0; padding: 0; line-height: 1.3; }
body.row.table-articles .rows-and-columns thead { display: none; }
body.row.table-articles .rows-and-columns, body.row.table-articles .rows-and-columns tbody,
body.row.table-articles .rows-and-columns td { display: block; border: none; }
body.row.table-articles .rows-and-columns tr { display: flex; flex-direction: column; }
body.row.table-articles .rows-and-columns td { order: 99; padding: 0.25rem 0;
  border-bottom: 1px solid #eee; }
body.row.table-articles .rows-and-columns td:before { display: block; margin-left: 0;
  font-size: 0.75rem; font-weight: normal; color: #666; }
body.row.table-articles td.col-title { font-size: 1.4rem; font-weight: bold; }
"""


@dataclass(frozen=True)
class RenderOptions:
    """How bodies are rendered; from the plugin's settings in the metadata."""

    image_mode: str = "local"
    image_proxy: str = "https://cors.zfour.workers.dev/?{url}"
    images_mount: str = IMAGES_MOUNT
    posts_mount: str = POSTS_MOUNT
    posts_dir: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> RenderOptions:
        """Options from the plugin's settings; without any (plain ``datasette serve``, no
        mounts known): original image URLs and no file links."""
        if not config:
            return cls(image_mode="origin", images_mount="", posts_mount="")
        known = {k: str(v) for k, v in config.items() if k in cls.__dataclass_fields__ and v}
        options = cls(**known)
        if options.image_mode not in RENDER_IMAGE_MODES:
            raise ValueError(
                f"{PLUGIN}: image_mode {options.image_mode!r} not in {RENDER_IMAGE_MODES}"
            )
        return options


def mounted_url(mount: str, relpath: str) -> str:
    """URL of ``relpath`` below a static mount, percent-encoded (``/assets/a%20b.jpg``)."""
    return mount.rstrip("/") + "/" + urllib.parse.quote(relpath.lstrip("/"))


def image_src(src: str, options: RenderOptions, local_paths: Mapping[str, str]) -> str:
    """The ``src`` an image gets on the row page under ``options.image_mode``.

    ``local`` uses the downloaded copy (``images.path``) and falls back to the original URL
    for an image that has none; ``proxy`` wraps the original URL in the proxy template.
    """
    if options.image_mode == "local":
        path = local_paths.get(src)
        return mounted_url(options.images_mount, path) if path else src
    if options.image_mode == "proxy" and src.startswith(("http://", "https://")):
        return wrap_proxy_url(src, options.image_proxy)
    return src


def sanitize_for_display(
    body: str, options: RenderOptions | None = None, local_paths: Mapping[str, str] | None = None
) -> str:
    """``body`` sanitized with the display allow-list, image ``src`` rewritten per the mode.

    >>> sanitize_for_display('<p onclick="x()">hi<script>alert(1)</script></p>')
    '<p>hi</p>'
    """
    return _clean_with_images(
        body,
        options or RenderOptions(),
        local_paths or {},
        tags=RENDER_TAGS,
        attributes=RENDER_ATTRS,
        link_rel=LINK_REL,
        set_values={"img": dict(IMG_ATTRS)},
    )


def _clean_with_images(
    body: str,
    options: RenderOptions,
    paths: Mapping[str, str],
    *,
    tags: Iterable[str],
    attributes: dict[str, set[str]],
    link_rel: str | None,
    set_values: dict[str, dict[str, str]] | None = None,
) -> str:
    """nh3 with an allow-list, scripts and styles dropped with their content, comments gone,
    and each ``img`` ``src`` rewritten per the image mode (:func:`image_src`)."""

    def _filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            return image_src(value, options, paths)
        return value

    return nh3.clean(
        body,
        tags=set(tags),
        clean_content_tags=set(DROP_TAGS),
        attributes=attributes,
        url_schemes=set(URL_SCHEMES),
        link_rel=link_rel,
        strip_comments=True,
        attribute_filter=_filter,
        set_tag_attribute_values=set_values,
    )


BLOCK_TAGS: frozenset[str] = frozenset(
    {
        "p",
        "br",
        "div",
        "li",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "figcaption",
        "dt",
        "dd",
    }
)
"""Tags whose boundaries separate words in :func:`plain_text`."""


def plain_text(body: str) -> str:
    """Text of an HTML body, without the content of script/style/…, whitespace collapsed."""
    blocks = nh3.clean(
        body,
        tags=set(BLOCK_TAGS),
        attributes={},
        clean_content_tags=set(DROP_TAGS),
        strip_comments=True,
    )
    text = re.sub(r"<[^>]*>", " ", blocks)  # only bare block tags are left to remove
    return " ".join(html.unescape(text).split())


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The first ``limit`` characters of ``text`` (whitespace collapsed), ``…`` if cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def body_markup(
    body: str, options: RenderOptions, local_paths: Mapping[str, str]
) -> markupsafe.Markup:
    """The row page's rendering of a body: sanitized HTML in a readable block."""
    safe = sanitize_for_display(body, options, local_paths)
    return markupsafe.Markup('<div class="portal-archive-body">{}</div>').format(
        markupsafe.Markup(safe)  # noqa: S704 - nh3-sanitized just above
    )


def snippet_markup(text: str) -> markupsafe.Markup:
    return markupsafe.Markup('<span class="portal-archive-snippet">{}</span>').format(snippet(text))


def link_markup(url: str, label: str) -> markupsafe.Markup:
    return markupsafe.Markup('<a href="{}">{}</a>').format(url, label)


def is_row_page(path: str | None, table_url: str) -> bool:
    """Whether a request ``path`` is a row page of the table at ``table_url``."""
    if not path or not path.startswith(table_url.rstrip("/") + "/"):
        return False
    rest = path[len(table_url.rstrip("/")) + 1 :]
    return bool(rest) and "/" not in rest and not rest.endswith((".json", ".csv"))


def _column(row: Any, name: str) -> Any:
    try:
        return row[name]
    except (IndexError, KeyError, TypeError):
        return None


# --- Datasette wiring ------------------------------------------------------------------

_request_path: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "portal_archive_request_path", default=None
)
"""Path of the request being rendered: ``render_cell`` in 0.65 is not told the view."""


def _options(datasette: Any) -> RenderOptions:
    return RenderOptions.from_config(datasette.plugin_config(PLUGIN))


async def _local_paths(datasette: Any, database: str, article_id: str) -> dict[str, str]:
    result = await datasette.get_database(database).execute(
        "select url, path from images where article_id = ? and status = 'downloaded' "
        "and path is not null and path != ''",
        [article_id],
    )
    return {row["url"]: row["path"] for row in result.rows}


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> markupsafe.Markup | Awaitable[markupsafe.Markup] | None:
    if not isinstance(value, str) or not value:
        return None
    if table is None:
        if column == "article_id":  # canned queries: link to the article's row page
            url = datasette.urls.row(database, "articles", urllib.parse.quote(value, safe=""))
            return link_markup(url, value)
        return None
    options = _options(datasette)
    if table == "images" and column == "path" and options.images_mount:
        return link_markup(mounted_url(options.images_mount, value), value)
    if table != "articles":
        return None
    if column == "path":
        if not (options.posts_dir and options.posts_mount):
            return None
        return link_markup(mounted_url(options.posts_mount, value), value)
    if column not in {"body", "body_text"}:
        return None
    if not is_row_page(_request_path.get(), datasette.urls.table(database, table)):
        return snippet_markup(plain_text(value) if column == "body" else value)
    if column == "body_text":
        return None
    article_id = _column(row, "id")

    async def full_body() -> markupsafe.Markup:
        paths: dict[str, str] = {}
        if options.image_mode == "local" and article_id:
            paths = await _local_paths(datasette, database, str(article_id))
        return body_markup(value, options, paths)

    return full_body()


ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def static_headers(
    path: str, headers: Iterable[tuple[bytes, bytes]], mounts: Iterable[str]
) -> list[tuple[bytes, bytes]]:
    """Response headers for ``path``: files under a mount get CSP ``sandbox`` and ``nosniff``."""
    headers = list(headers)
    prefixes = [mount.rstrip("/") + "/" for mount in mounts if mount.strip("/")]
    if not any(path.startswith(prefix) for prefix in prefixes):
        return headers
    replaced = dict(STATIC_HEADERS)
    kept = [(name, value) for name, value in headers if name.lower() not in replaced]
    return [*kept, *replaced.items()]


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def portal_archive_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            path = scope.get("path", "")
            options = _options(datasette)
            mounts = [m for m in (options.images_mount, options.posts_mount) if m.strip("/")]

            async def send_with_headers(message: dict[str, Any]) -> None:
                if message.get("type") == "http.response.start":
                    message = {
                        **message,
                        "headers": static_headers(path, message.get("headers", []), mounts),
                    }
                await send(message)

            token = _request_path.set(path)
            try:
                await app(scope, receive, send_with_headers)
            finally:
                _request_path.reset(token)

        return portal_archive_app

    return wrap


def post_file(posts_dir: str | None, quoted_relpath: str) -> Path | None:
    """The file below ``posts_dir`` a ``/posts/<quoted path>`` URL names, or ``None`` when
    there is none or the path tries to leave the folder."""
    if not posts_dir:
        return None
    relpath = urllib.parse.unquote(quoted_relpath)
    if not relpath.endswith((".md", ".html", ".json")):  # served as text/plain
        return None
    try:
        target = safe_join(Path(posts_dir), relpath)
    except UnsafePathError:
        return None
    return target if target.is_file() else None


def stylesheet(columns: Iterable[str]) -> str:
    """The plugin's CSS: body layout, compact column descriptions, the article card whose
    field labels are the ``columns`` (row pages show no header row)."""
    rules = [CSS]
    for name in columns:
        label = name.replace("\\", "").replace('"', "")
        rules.append(f'body.row.table-articles td.col-{name}:before {{ content: "{label}"; }}')
    for position, name in enumerate(CARD_ORDER):
        rules.append(f"body.row.table-articles td.col-{name} {{ order: {position}; }}")
    return "\n".join(rules) + "\n"


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Any]]]:
    def css() -> Response:
        text = stylesheet(COLUMNS["articles"]) + datasette_search.CSS
        return Response(text, content_type="text/css; charset=utf-8")

    def post(datasette: Any, request: Any) -> Response:
        target = post_file(_options(datasette).posts_dir, request.url_vars["path"])
        if target is None:
            return Response.text("404: no such archived file", status=404)
        return Response(
            target.read_text(encoding="utf-8"), content_type="text/plain; charset=utf-8"
        )

    posts = re.escape(POSTS_MOUNT.rstrip("/"))
    return [
        (r"^/-/portal-archive\.css$", css),
        (rf"^{posts}/(?P<path>.+)$", post),
        *datasette_search.routes(),
    ]


@hookimpl
def extra_css_urls() -> list[str]:
    return [CSS_PATH]


class MonthFacet(Facet):
    """Facet ``{"month": "column"}``: rows per ``YYYY-MM`` of an ISO date column; a value
    filters with ``column__startswith=YYYY-MM``."""

    type = "month"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            sql = (
                f"select substr({col}, 1, 7) as value, count(*) as count from ({self.sql}) "
                f"where {col} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]*' "
                f"group by value order by value desc limit {size + 1}"
            )
            try:
                rows = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except (QueryInterrupted, sqlite3.OperationalError):
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in rows.rows[:size]:
                selected = args.get(key) == row["value"]
                toggle = (
                    path_with_removed_args(self.request, {key: row["value"]})
                    if selected
                    else path_with_added_args(self.request, {key: row["value"]})
                )
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, toggle),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": path_with_removed_args(self.request, {"_facet_month": column}),
                    "truncated": len(rows.rows) > size,
                }
            )
        return results, timed_out


@hookimpl
def register_facet_classes() -> list[type]:
    return [MonthFacet]


# --- Atom feed (issue 14) ---------------------------------------------------------------
# ``/index/feed.atom`` is the canned query ``feed`` rendered by datasette-atom; its
# ``atom_content_html`` column comes from the SQL function registered here.

ATOM_TAGS: frozenset[str] = frozenset(
    {
        "a",
        "abbr",
        "acronym",
        "b",
        "blockquote",
        "br",
        "code",
        "em",
        "i",
        "li",
        "ol",
        "strong",
        "ul",
        "pre",
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "img",
    }
)
"""Tags datasette-atom 0.9's bleach pass keeps (it escapes any other tag into visible text)."""

FEED_TAGS: frozenset[str] = RENDER_TAGS & ATOM_TAGS
"""Tags in feed content: the display allow-list, narrowed to what datasette-atom keeps, so its
own bleach pass finds nothing left to escape. Other tags are unwrapped (text kept)."""

FEED_ATTRS: dict[str, set[str]] = {"a": {"href", "title"}, "img": {"src", "alt"}}
"""Attributes in feed content (datasette-atom keeps no others)."""


def sanitize_for_feed(
    body: str, options: RenderOptions | None = None, local_paths: Mapping[str, str] | None = None
) -> str:
    """``body`` as feed content: nh3 with the feed allow-list, images per the image mode.

    >>> sanitize_for_feed('<div onclick="x()"><p>hi</p><script>alert(1)</script></div>')
    '<p>hi</p>'
    """
    return _clean_with_images(
        body,
        options or RenderOptions(),
        local_paths or {},
        tags=FEED_TAGS,
        attributes=FEED_ATTRS,
        link_rel=None,
    )


def feed_html(body: str | None, images_json: str | None, options: RenderOptions) -> str:
    """``atom_content_html`` of one article: its body for the feed, with ``images_json`` (a JSON
    object ``{original URL: path below assets/}``, the downloaded images) for local mode."""
    if not body:
        return ""
    paths: dict[str, str] = {}
    if images_json:
        decoded = json.loads(images_json)
        if isinstance(decoded, dict):
            paths = {str(k): str(v) for k, v in decoded.items() if v}
    return sanitize_for_feed(body, options, paths)


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    options = _options(datasette)

    def portal_archive_feed_html(body: str | None, images_json: str | None) -> str:
        return feed_html(body, images_json, options)

    conn.create_function(FEED_HTML_FUNCTION, 2, portal_archive_feed_html, deterministic=True)
    datasette_search.prepare_connection(conn)  # the reader search's functions (below)


def empty_feed(url: str, title: str, updated: datetime) -> str:
    """An Atom feed without entries (a search nothing matches yet), as datasette-atom would
    write it: ``id`` and ``rel="self"`` link = the request URL."""
    generator = FeedGenerator()
    generator.id(url)
    generator.title(title)
    generator.link(href=url, rel="self")
    generator.updated(updated)
    text: bytes = generator.atom_str(pretty=True)
    return text.decode("utf-8")


def _query_title(datasette: Any, database: str, query_name: str | None) -> str:
    queries = (datasette.metadata(database=database) or {}).get("queries") or {}
    query = queries.get(query_name) if query_name else None
    return str(query.get("title") or query_name) if isinstance(query, dict) else "Datasette"


def render_atom_feed(
    datasette: Any,
    request: Any,
    sql: str,
    columns: list[str],
    rows: list[Any],
    database: str,
    table: str | None,
    query_name: str | None,
    view_name: str,
    data: dict[str, Any],
) -> Response:
    """datasette-atom's renderer, except that no rows is an empty feed, not a 500 error
    (datasette-atom 0.9 takes ``max()`` of the rows' dates)."""
    if rows:
        response: Response = datasette_atom.render_atom(
            datasette, request, sql, columns, rows, database, table, query_name, view_name, data
        )
        return response
    if not datasette_atom.REQUIRED_COLUMNS.issubset(columns):
        raise DatasetteError(
            "SQL query must return columns " + ", ".join(sorted(datasette_atom.REQUIRED_COLUMNS)),
            status=400,
        )
    text = empty_feed(request.url, _query_title(datasette, database, query_name), datetime.now(UTC))
    return Response(text, content_type="application/xml; charset=utf-8", status=200)


@hookimpl(trylast=True)
def register_output_renderer() -> dict[str, Any]:
    # trylast: called after datasette-atom's hook, so this ``atom`` renderer replaces its own.
    return {
        "extension": "atom",
        "render": render_atom_feed,
        "can_render": datasette_atom.can_render_atom,
    }


# --- reader search (issue #13; archive/datasette_search.py) -------------------------------


@hookimpl
def menu_links() -> list[dict[str, str]]:
    return [{"href": datasette_search.SEARCH_PATH, "label": "Search articles"}]
