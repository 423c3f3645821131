"""The reader's search page of ``serve`` (issue #13): ``/-/search?q=…`` and its ``.json``.

Ranked by relevance (FTS5 ``bm25``) by default, ``&sort=date`` for newest first; 20 rows
with the columns a reader wants (title linked to the article page, portal, date, a snippet
with the matches highlighted), the number of matches and facets (portal, category, author,
month) whose values narrow the search. The SQL is built by :mod:`archive.search`; this
module runs it on Datasette's read-only connection and renders the page.

Everything from the index is escaped; the only markup added to text is ``<mark>`` around
matches (:func:`archive.search.highlight_markup`).
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from datasette.utils.asgi import Response

from archive import search
from archive.datasette_metadata import DATABASE

SEARCH_PATH = "/-/search"
MMAP_BYTES = 1 << 30
"""``PRAGMA mmap_size`` of Datasette's connections: reads of the immutable index come from
the page cache without a ``read()`` per page."""
CACHE_KIB = 65536
"""``PRAGMA cache_size`` (KiB) per connection (the default is 2 MB)."""

CSS = """\
.portal-archive-search-form input[type=search] { width: 24rem; max-width: 90%; }
.portal-archive-results td { white-space: normal; vertical-align: top; }
.portal-archive-results td.col-title { min-width: 14rem; max-width: 24rem; font-weight: bold; }
.portal-archive-results td.col-portal, .portal-archive-results td.col-published {
  white-space: nowrap; }
.portal-archive-results td.col-snippet { min-width: 20rem; max-width: 40rem; color: #444; }
.portal-archive-results mark { background: #fff3a0; padding: 0 0.1em; }
"""
"""Styles of the search page (appended to the plugin's stylesheet)."""

TEMPLATE = """\
{% extends "base.html" %}
{% block title %}Search{% if q %}: {{ q }}{% endif %}{% endblock %}
{% block body_class %}portal-archive-search{% endblock %}
{% block content %}
<h1>Search the archive</h1>
<form class="core portal-archive-search-form" action="{{ search_path }}" method="get">
  <input type="search" name="q" value="{{ q }}" placeholder="碳化硅, GPU, 光伏 …" autofocus>
  {% for name, value in hidden %}<input type="hidden" name="{{ name }}" value="{{ value }}">
  {% endfor %}<input type="submit" value="Search">
</form>
{% if query %}
<p class="portal-archive-count">{{ "{:,}".format(count) if count is not none else "Some" }}
  article{{ "" if count == 1 else "s" }} match{{ "es" if count == 1 else "" }} “{{ q }}”{%
  for name, value in filters %}, {{ name }} <strong>{{ value }}</strong>{% endfor %}.
  Sorted by {% for s in sorts %}{% if s.selected %}<strong>{{ s.name }}</strong>{% else
  %}<a href="{{ s.url }}" class="portal-archive-sort">{{ s.name }}</a>{% endif %}{{
  " · " if not loop.last }}{% endfor %}{% if filters %} · <a href="{{ clear_url }}">all
  matches</a>{% endif %}</p>
{% if facets_sampled %}<p class="portal-archive-sampled">Facet counts are over the
  {{ "{:,}".format(facet_sample) }} most recently archived matches.</p>{% endif %}
{% if facets %}<div class="facet-results">
{% for facet in facets %}<div class="facet-info facet-{{ facet.name }}">
  <p class="facet-info-name"><strong>{{ facet.label }}</strong></p>
  <ul class="tight-bullets">{% for v in facet.entries %}
    <li>{% if v.selected %}{{ v.value }} · <a href="{{ v.url }}">✖</a>{% else
    %}<a href="{{ v.url }}">{{ v.value }}</a>{% endif %} {{ "{:,}".format(v.count) }}</li>
  {% endfor %}</ul>
</div>{% endfor %}
</div>{% endif %}
{% if rows %}
<table class="rows-and-columns portal-archive-results">
<thead><tr><th>Title</th><th>Portal</th><th>Date</th><th>Snippet</th></tr></thead>
<tbody>{% for row in rows %}
<tr><td class="col-title"><a href="{{ row.url }}">{{ row.title_html }}</a></td>
<td class="col-portal">{{ row.portal }}</td><td class="col-published">{{ row.date }}</td>
<td class="col-snippet">{{ row.snippet_html }}</td></tr>{% endfor %}
</tbody></table>
{% endif %}
{% if next_url %}<p><a href="{{ next_url }}" class="portal-archive-next">Next page</a></p>{%
endif %}
{% endif %}
<p class="portal-archive-search-help">All words must match. Words of 3 or more characters
are found anywhere in titles and text through the trigram index; a query with a 1–2-character
word uses the character index. <a href="{{ table_url }}">Browse the articles table</a>.</p>
{% endblock %}
"""


@dataclass(frozen=True)
class Request:
    """What a search request asks for, read from its query string."""

    query: search.Query | None
    text: str
    sort: search.Sort
    filters: search.Filters
    page: int
    count: bool
    facets: bool

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Request:
        text = " ".join((args.get("q") or "").split())
        sort: search.Sort = "date" if args.get("sort") == "date" else "relevance"
        try:
            page = min(max(int(args.get("page") or 1), 1), search.MAX_PAGE)
        except ValueError:
            page = 1
        return cls(
            query=search.parse_query(text),
            text=text,
            sort=sort,
            filters=search.Filters.from_args(args),
            page=page,
            count=not args.get("_nocount"),
            facets=not args.get("_nofacet"),
        )

    def args(self, **changes: Any) -> dict[str, str]:
        """Query-string arguments of this search with ``changes`` (``None`` removes)."""
        values: dict[str, Any] = {"q": self.text, **self.filters.values}
        if self.sort != "relevance":
            values["sort"] = self.sort
        if self.page > 1:
            values["page"] = str(self.page)
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def search_url(args: Mapping[str, str], suffix: str = "") -> str:
    return SEARCH_PATH + suffix + ("?" + urllib.parse.urlencode(args) if args else "")


FACETS = len(search.FILTERS)
"""The facet query computes four facets: it gets Datasette's per-facet time limit four times."""
PROGRESS_STEPS = 100_000
"""SQLite VM instructions between two checks of the time limit (Datasette checks every
1,000: a Python callback that needs the GIL, which made a 20,000-match facet query five
times slower on a busy machine)."""


class SearchTimeoutError(Exception):
    """A search query ran past its time limit."""


@contextlib.contextmanager
def time_limit(conn: sqlite3.Connection, ms: int) -> Iterator[None]:
    """Interrupt the statements run inside after ``ms`` milliseconds."""
    deadline = time.perf_counter() + ms / 1000

    def handler() -> int:
        return 1 if time.perf_counter() >= deadline else 0

    conn.set_progress_handler(handler, PROGRESS_STEPS)
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise SearchTimeoutError(str(exc)) from exc
        raise
    finally:
        conn.set_progress_handler(None, PROGRESS_STEPS)


def _fetch(conn: sqlite3.Connection, sql_params: tuple[str, dict[str, Any]]) -> list[Any]:
    sql, params = sql_params
    return conn.execute(sql, params).fetchall()


@dataclass
class Results:
    rows: list[dict[str, Any]]
    count: int | None
    facets: dict[str, list[search.FacetValue]]
    facets_timed_out: bool
    facets_sampled: bool
    more: bool


def search_in_thread(
    conn: sqlite3.Connection, request: Request, sql_ms: int, facet_ms: int
) -> Results:
    """Rows, count and facets of ``request`` on one connection, one after the other (one
    hop to Datasette's SQL thread; the queries are bounded, so running them side by side
    gains nothing on two cores)."""
    assert request.query is not None
    query, filters = request.query, request.filters
    offset = (request.page - 1) * search.PAGE_SIZE
    rows_q = search.rows_sql(
        query, filters, request.sort, limit=search.PAGE_SIZE + 1, offset=offset
    )
    columns = ("id", "title", "portal", "published", "url", "body_text", "total")
    with time_limit(conn, sql_ms):
        rows = [dict(zip(columns, row, strict=True)) for row in _fetch(conn, rows_q)]
    facets: dict[str, list[search.FacetValue]] = {}
    timed_out = sampled = False
    total: int | None = None
    listed = rows[0]["total"] if rows else None  # the date order counted the matches
    if request.facets:
        try:
            with time_limit(conn, facet_ms):
                found = _fetch(conn, search.facets_sql(query, filters))[0]
                read, combos = search.facet_id_counts(found)
                ids = {i for counter in combos.values() for i in counter}
                labels = _fetch(conn, search.facet_labels_sql(ids))
        except SearchTimeoutError:
            timed_out = True
        else:
            named = {int(row[0]): str(row[1]) for row in labels}
            sampled = read >= search.FACET_SAMPLE
            facets = search.count_facets(combos, named, filters)
            if not sampled:  # the facets read every match: that is the count
                total = read
    if request.count and total is None and listed is not None:
        total = int(listed)
    if request.count and total is None:
        with time_limit(conn, sql_ms):
            total = int(_fetch(conn, search.count_sql(query, filters))[0][0])
    return Results(
        rows=rows[: search.PAGE_SIZE],
        count=total,
        facets=facets,
        facets_sampled=sampled,
        facets_timed_out=timed_out,
        more=len(rows) > search.PAGE_SIZE and request.page < search.MAX_PAGE,
    )


async def run_search(datasette: Any, request: Request) -> Results:
    """:func:`search_in_thread` on Datasette's connection to the index."""
    db = datasette.get_database(DATABASE)
    sql_ms = int(datasette.setting("sql_time_limit_ms"))
    facet_ms = FACETS * int(datasette.setting("facet_time_limit_ms"))
    return cast(
        Results,
        await db.execute_fn(lambda conn: search_in_thread(conn, request, sql_ms, facet_ms)),
    )


def result_row(datasette: Any, row: Mapping[str, Any], terms: tuple[str, ...]) -> dict[str, Any]:
    """A result row for JSON and HTML: article page URL, marked title and snippet."""
    title = search.highlight(row["title"], terms)
    snippet = search.snippet(row["body_text"], terms)
    return {
        "id": row["id"],
        "title": search.plain(title),
        "url": datasette.urls.row(DATABASE, "articles", urllib.parse.quote(row["id"], safe="")),
        "original_url": row["url"],
        "portal": row["portal"],
        "published": row["published"],
        "date": (row["published"] or "")[:10],
        "snippet": search.plain(snippet),
        "title_html": search.highlight_markup(title),
        "snippet_html": search.highlight_markup(snippet),
    }


def _json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "title", "url", "original_url", "portal", "published", "snippet")
    return {**{k: row[k] for k in keys}, "snippet_html": str(row["snippet_html"])}


async def search_view(datasette: Any, request: Any) -> Response:
    """``/-/search`` (HTML) and ``/-/search.json``."""
    as_json = request.url_vars.get("format") == "json"
    wanted = Request.from_args({k: request.args.get(k) or "" for k in request.args})
    if DATABASE not in datasette.databases:
        return Response.text(f"404: no database {DATABASE!r}", status=404)
    results = await run_search(datasette, wanted) if wanted.query else None
    rows = (
        [result_row(datasette, r, wanted.query.terms) for r in results.rows]
        if (results and wanted.query)
        else []
    )
    next_args = wanted.args(page=wanted.page + 1) if results and results.more else None
    if as_json:
        return Response.json(
            {
                "query": wanted.text,
                "terms": list(wanted.query.terms) if wanted.query else [],
                "index": wanted.query.table if wanted.query else None,
                "sort": wanted.sort,
                "filters": dict(wanted.filters.values),
                "page": wanted.page,
                "count": results.count if results else 0,
                "rows": [_json_row(r) for r in rows],
                "facets": {
                    name: [{"value": v.value, "count": v.count, "selected": v.selected} for v in vs]
                    for name, vs in (results.facets.items() if results else ())
                },
                "facets_timed_out": bool(results and results.facets_timed_out),
                "facets_sampled": bool(results and results.facets_sampled),
                "next": search_url(next_args, ".json") if next_args else None,
            }
        )
    context = page_context(wanted, results, rows, next_args, datasette)
    template = page_template(datasette.jinja_env)
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html)


def page_context(
    wanted: Request,
    results: Results | None,
    rows: list[dict[str, Any]],
    next_args: dict[str, str] | None,
    datasette: Any,
) -> dict[str, Any]:
    facets = []
    for name, values in (results.facets if results else {}).items():
        if not values:
            continue
        facets.append(
            {
                "name": name,
                "label": search.FACET_LABELS[name],
                "entries": [
                    {
                        "value": v.value,
                        "count": v.count,
                        "selected": v.selected,
                        "url": search_url(
                            wanted.args(page=None, **{name: None if v.selected else v.value})
                        ),
                    }
                    for v in values
                ],
            }
        )
    sorts = [
        {
            "name": name,
            "selected": name == wanted.sort,
            "url": search_url(wanted.args(page=None, sort=None if name == "relevance" else name)),
        }
        for name in search.SORTS
    ]
    return {
        "q": wanted.text,
        "query": wanted.query,
        "search_path": SEARCH_PATH,
        "hidden": [(k, v) for k, v in wanted.filters.values.items()]
        + ([("sort", wanted.sort)] if wanted.sort != "relevance" else []),
        "count": results.count if results else None,
        "filters": list(wanted.filters.values.items()),
        "clear_url": search_url(wanted.args(page=None, **dict.fromkeys(search.FILTERS))),
        "sorts": sorts,
        "facets": facets,
        "rows": rows,
        "facets_sampled": bool(results and results.facets_sampled),
        "facet_sample": search.FACET_SAMPLE,
        "next_url": search_url(next_args) if next_args else None,
        "table_url": datasette.urls.table(DATABASE, "articles"),
    }


@functools.lru_cache(maxsize=4)
def page_template(env: Any) -> Any:
    """The page template compiled once per Datasette environment (compiling takes ~30 ms)."""
    return env.from_string(TEMPLATE)


def routes() -> list[tuple[str, Callable[..., Any]]]:
    path = SEARCH_PATH.replace("-", r"\-")
    return [(rf"^{path}(\.(?P<format>json))?$", search_view)]


def prepare_connection(conn: sqlite3.Connection) -> None:
    """Datasette's connections: the search SQL function (the feed's ``?q=``), memory-mapped
    reads, a bigger cache."""
    search.register_query_functions(conn)
    conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
