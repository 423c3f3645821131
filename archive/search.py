"""Reader search over the index (issue #13): ranked matches, cheap facets, 1–2-character terms.

Three full-text indexes answer a query (one per query, :attr:`Query.table`); they are kept
in step with ``articles`` by triggers that :func:`create_search_index` (migration
``m006_reader_search``) and :func:`create_word_index` (``m007_word_search``) create:

* ``articles_fts_words`` (contentless FTS5 ``unicode61`` over the Latin-script text) for
  queries whose every term is an ASCII word of 3+ characters, each a word prefix;
* ``articles_fts`` (FTS5 ``trigram``, m001) for other queries whose every term has 3+
  characters (any substring);
* ``articles_fts_chars`` (contentless FTS5 ``unicode61`` over the text with a space after
  every character, so each character is a token) for queries with a 1–2-character term: a
  term is the phrase of its characters (``光伏`` → ``"光 伏"``). The trigram tokenizer cannot
  match fewer than 3 characters (stack-notes §2), and a ``LIKE`` scan of 100,000 bodies
  takes seconds.

``article_search`` is a narrow copy of the columns a result row and the facets need (id,
title, portal, published, author, categories), with ``rowid`` = ``articles.rowid``: facets
over 10,000 matches read it instead of the 27-column rows with their bodies.

The SQL builders are pure (SQL text and parameters); ``archive.datasette_plugin`` runs them
on Datasette's read-only connection. Snippets are built here from ``body_text`` with the
matches between :data:`MARK_START` and :data:`MARK_END`; :func:`highlight_markup` escapes
the text *first* and only then turns the markers into ``<mark>``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import markupsafe
from sqlite_utils import Database

TRIGRAM_TABLE = "articles_fts"
CHARS_TABLE = "articles_fts_chars"
WORDS_TABLE = "articles_fts_words"
SEARCH_TABLE = "article_search"
VALUES_TABLE = "article_search_values"
SPACED_CHARS_FUNCTION = "pa_spaced_chars"
"""SQL function the triggers call; registered on every writing connection (``open_index``)."""
WORD_PREFIXES = "3 4 5 6 7 8"
"""Prefix lengths the word index keeps its own doclists for: a word-prefix query of 3–8
characters reads one doclist (as cheap as a whole word); a longer one merges the doclists of
every word it begins, in memory (4–8 times slower for a word in every fifth article)."""
LATIN_TEXT_FUNCTION = "pa_latin_text"
"""SQL function the ``articles_fts_words`` triggers call (:func:`latin_text`)."""

MIN_TRIGRAM_CHARS = 3
PAGE_SIZE = 20
MAX_TERMS = 16
MAX_PAGE = 50
"""Pages beyond this are not offered (offset paging over ranked matches gets slow)."""
FACET_SIZE = 10
RANK_CANDIDATES = 2_000
"""Relevance ranks the most recently archived 2,000 matches (see :func:`rows_sql`)."""
SHORT_RANK_CANDIDATES = 1_000
"""The same for the character index, whose phrase matches cost ~4 times more to rank."""
TITLE_WEIGHT = 4.0
"""bm25 weight of a match in the title against one in the body text."""
FACET_SAMPLE = 10_000
"""Facets count at most the 10,000 most recently archived matches (the page says so)."""
SNIPPET_CHARS = 120
MARK_START = "\ue000"
MARK_END = "\ue001"
"""Private-use characters around a match in snippets; removed from the text beforehand."""

Sort = Literal["relevance", "date"]
SORTS: tuple[Sort, ...] = ("relevance", "date")
FILTERS: tuple[str, ...] = ("portal", "category", "author", "month")
"""Facet filters a search URL may carry (``&portal=ofweek&month=2022-08``)."""
FACET_LABELS: dict[str, str] = {
    "portal": "Portal",
    "category": "Category",
    "author": "Author",
    "month": "Month",
}


def spaced_chars(text: str | None) -> str | None:
    """``text`` with a space after every character: one ``unicode61`` token per character.

    >>> spaced_chars("光伏GPU")
    '光 伏 G P U'
    """
    if text is None:
        return None
    return " ".join(text)


_NOT_LATIN = re.compile(r"[^\x00-\u024f\u0300-\u036f\u1e00-\u1eff]+")
"""A run of characters outside the Latin script blocks (Basic Latin to Latin Extended-B,
combining diacritics, Latin Extended Additional)."""


def latin_text(text: str | None) -> str | None:
    """``text`` with every run of non-Latin characters replaced by a space: what the word
    index tokenizes, so that a Latin word written between Chinese characters (no space in
    Chinese text) is a token of its own.

    >>> latin_text("采用MiniLED背光，Café")
    ' MiniLED Café'
    """
    if text is None:
        return None
    return _NOT_LATIN.sub(" ", text)


def register_functions(db: Database) -> None:
    """Register the SQL functions the search index triggers call (every writer)."""
    db.register_function(spaced_chars, deterministic=True, replace=True, name=SPACED_CHARS_FUNCTION)
    db.register_function(latin_text, deterministic=True, replace=True, name=LATIN_TEXT_FUNCTION)


def create_word_index(db: Database) -> None:
    """The word index (migration ``m007_word_search``) and its triggers; filled from
    ``articles``.

    ``articles_fts_words`` is a contentless FTS5 ``unicode61`` table (diacritics removed)
    over the Latin-script text of title and body (:func:`latin_text`), ``rowid`` =
    ``articles.rowid``. A query whose every term is an ASCII word of 3+ characters is a
    word-prefix query on it (``MiniLED`` → ``"miniled"*``): one doclist per term, no phrase
    positions to check, where the trigram index reads and intersects 5 doclists for
    ``MiniLED`` and checks their positions in every matching article.
    """
    register_functions(db)
    latin = LATIN_TEXT_FUNCTION
    statements = [
        f"""create virtual table {WORDS_TABLE} using fts5(title, body_text, content='',
  tokenize='unicode61 remove_diacritics 2', prefix='{WORD_PREFIXES}')""",
        f"""insert into {WORDS_TABLE} (rowid, title, body_text)
  select rowid, {latin}(title), {latin}(body_text) from articles""",
        f"""create trigger {WORDS_TABLE}_ai after insert on articles begin
  insert into {WORDS_TABLE} (rowid, title, body_text)
    values (new.rowid, {latin}(new.title), {latin}(new.body_text));
end""",
        f"""create trigger {WORDS_TABLE}_ad after delete on articles begin
  insert into {WORDS_TABLE} ({WORDS_TABLE}, rowid, title, body_text)
    values ('delete', old.rowid, {latin}(old.title), {latin}(old.body_text));
end""",
        f"""create trigger {WORDS_TABLE}_au after update of title, body_text on articles begin
  insert into {WORDS_TABLE} ({WORDS_TABLE}, rowid, title, body_text)
    values ('delete', old.rowid, {latin}(old.title), {latin}(old.body_text));
  insert into {WORDS_TABLE} (rowid, title, body_text)
    values (new.rowid, {latin}(new.title), {latin}(new.body_text));
end""",
    ]
    for sql in statements:
        db.execute(sql)


FACET_COLUMNS: dict[str, str] = {
    "portal": "coalesce({row}.portal, '')",
    "author": "coalesce({row}.author, '')",
    "month": "coalesce(substr({row}.published, 1, 7), '')",
    "categories": "coalesce({row}.categories, '[]')",
}
"""Facet → the value an ``articles`` row (``{row}``) has; ``categories`` is the JSON array
(a category facet counts each of its elements)."""


def _facet_values_sql(row: str) -> tuple[str, str]:
    """SQL adding the facet values of ``row`` to ``article_search_values``, and the
    ``article_search`` columns of ``row`` (ids of those values)."""
    add = ";\n  ".join(  # not "insert or ignore": an upsert's trigger would abort on it
        f"insert into {VALUES_TABLE} (facet, value) select '{f}', {e.format(row=row)} "
        f"where not exists (select 1 from {VALUES_TABLE} where facet = '{f}' "
        f"and value = {e.format(row=row)})"
        for f, e in FACET_COLUMNS.items()
    )
    ids = ", ".join(
        f"(select id from {VALUES_TABLE} where facet = '{f}' and value = {e.format(row=row)})"
        for f, e in FACET_COLUMNS.items()
    )
    return add, ids


def create_search_index(db: Database) -> None:
    """The narrow table, the character index, their triggers; filled from ``articles``."""
    register_functions(db)
    chars = SPACED_CHARS_FUNCTION
    cols = "rowid, published, portal_id, author_id, month_id, categories_id"
    add_new, ids_new = _facet_values_sql("new")
    fill_values = " union ".join(
        f"select '{f}', {e.format(row='a')} from articles a" for f, e in FACET_COLUMNS.items()
    )
    fill_joins = " ".join(
        f"join {VALUES_TABLE} v_{f} on v_{f}.facet = '{f}' and v_{f}.value = {e.format(row='a')}"
        for f, e in FACET_COLUMNS.items()
    )
    statements = [
        f"""create table {VALUES_TABLE} (
  id integer primary key, facet text not null, value text not null, unique (facet, value))""",
        f"""create table {SEARCH_TABLE} (
  rowid integer primary key, published text, portal_id integer, author_id integer,
  month_id integer, categories_id integer)""",
        f"create index {SEARCH_TABLE}_published on {SEARCH_TABLE}(published)",
        f"insert into {VALUES_TABLE} (facet, value) {fill_values}",
        f"""insert into {SEARCH_TABLE} ({cols})
  select a.rowid, a.published, v_portal.id, v_author.id, v_month.id, v_categories.id
  from articles a {fill_joins}""",
        f"""create virtual table {CHARS_TABLE} using fts5(title, body_text, content='',
  tokenize='unicode61')""",
        f"""insert into {CHARS_TABLE} (rowid, title, body_text)
  select rowid, {chars}(title), {chars}(body_text) from articles""",
        f"""create trigger {SEARCH_TABLE}_ai after insert on articles begin
  {add_new};
  insert into {SEARCH_TABLE} ({cols}) values (new.rowid, new.published, {ids_new});
  insert into {CHARS_TABLE} (rowid, title, body_text)
    values (new.rowid, {chars}(new.title), {chars}(new.body_text));
end""",
        f"""create trigger {SEARCH_TABLE}_ad after delete on articles begin
  delete from {SEARCH_TABLE} where rowid = old.rowid;
  insert into {CHARS_TABLE} ({CHARS_TABLE}, rowid, title, body_text)
    values ('delete', old.rowid, {chars}(old.title), {chars}(old.body_text));
end""",
        f"""create trigger {SEARCH_TABLE}_au after update of portal, author, published, categories
  on articles begin
  {add_new};
  update {SEARCH_TABLE} set ({cols}) = (select new.rowid, new.published, {ids_new})
    where rowid = old.rowid;
end""",
        f"""create trigger {CHARS_TABLE}_au after update of title, body_text on articles begin
  insert into {CHARS_TABLE} ({CHARS_TABLE}, rowid, title, body_text)
    values ('delete', old.rowid, {chars}(old.title), {chars}(old.body_text));
  insert into {CHARS_TABLE} (rowid, title, body_text)
    values (new.rowid, {chars}(new.title), {chars}(new.body_text));
end""",
    ]
    for sql in statements:
        db.execute(sql)


SEARCH_TRIGGERS = frozenset(
    {
        "articles_ai",  # articles_fts (trigram, external content; sqlite-utils' enable_fts)
        "articles_ad",
        "articles_au",
        f"{SEARCH_TABLE}_ai",  # article_search (+ values) and, on insert/delete, the chars
        f"{SEARCH_TABLE}_ad",
        f"{SEARCH_TABLE}_au",
        f"{CHARS_TABLE}_au",
        f"{WORDS_TABLE}_ai",
        f"{WORDS_TABLE}_ad",
        f"{WORDS_TABLE}_au",
    }
)
"""Every trigger on ``articles``: each keeps one of the search structures in step, and
:func:`rebuild_search_index` rebuilds all of them (``archive.index.bulk_load`` drops these
triggers while it loads rows and refuses a trigger it does not know)."""


def rebuild_search_index(db: Database) -> None:
    """Refill every search structure from ``articles`` in one pass each (inside the caller's
    transaction): the trigram index by FTS5's ``rebuild`` (external content), the character
    and word indexes (contentless) by ``delete-all`` and one ``insert … select``, the facet
    values (new ones in the order the triggers would add them: by rowid, then facet) and
    ``article_search``. What the triggers keep row by row, built at once: the same rows,
    tokens and matches."""
    register_functions(db)
    db.execute(f"insert into {TRIGRAM_TABLE} ({TRIGRAM_TABLE}) values ('rebuild')")
    for table, function in (
        (CHARS_TABLE, SPACED_CHARS_FUNCTION),
        (WORDS_TABLE, LATIN_TEXT_FUNCTION),
    ):
        db.execute(f"insert into {table} ({table}) values ('delete-all')")
        db.execute(
            f"insert into {table} (rowid, title, body_text) "
            f"select rowid, {function}(title), {function}(body_text) from articles order by rowid"
        )
    values = " union all ".join(
        f"select a.rowid as r, {k} as k, '{f}' as facet, {e.format(row='a')} as value "
        "from articles a"
        for k, (f, e) in enumerate(FACET_COLUMNS.items())
    )
    db.execute(
        f"insert or ignore into {VALUES_TABLE} (facet, value) "
        f"select facet, value from ({values}) order by r, k"
    )
    joins = " ".join(
        f"join {VALUES_TABLE} v_{f} on v_{f}.facet = '{f}' and v_{f}.value = {e.format(row='a')}"
        for f, e in FACET_COLUMNS.items()
    )
    db.execute(f"delete from {SEARCH_TABLE}")
    db.execute(
        f"insert into {SEARCH_TABLE} "
        "(rowid, published, portal_id, author_id, month_id, categories_id) "
        "select a.rowid, a.published, v_portal.id, v_author.id, v_month.id, v_categories.id "
        f"from articles a {joins} order by a.rowid"
    )


# --- queries ------------------------------------------------------------------------------


def _quote(phrase: str) -> str:
    return '"' + phrase.replace('"', '""') + '"'


_ASCII_WORD = re.compile(r"[A-Za-z0-9]{3,}")


@dataclass(frozen=True)
class Query:
    """A parsed search: its terms (all must match) and the FTS5 table and expression."""

    terms: tuple[str, ...]

    @property
    def short(self) -> bool:
        """Whether a term has fewer than 3 characters (the character index answers)."""
        return any(len(t) < MIN_TRIGRAM_CHARS for t in self.terms)

    @property
    def words(self) -> bool:
        """Whether every term is an ASCII word of 3+ characters (the word index answers:
        a term matches the Latin words it begins, ``led`` → ``LED``, ``LEDs``)."""
        return all(_ASCII_WORD.fullmatch(t) for t in self.terms)

    @property
    def table(self) -> str:
        if self.short:
            return CHARS_TABLE
        return WORDS_TABLE if self.words else TRIGRAM_TABLE

    @property
    def rank_candidates(self) -> int:
        """How many of the most recently archived matches relevance ranks."""
        return SHORT_RANK_CANDIDATES if self.short else RANK_CANDIDATES

    @property
    def tokens(self) -> int:
        """Index tokens of the expression: trigrams of each term, its characters, or (word
        index) the term itself."""
        if self.short:
            return sum(len(t) for t in self.terms)
        if self.words:
            return len(self.terms)
        return sum(len(t) - MIN_TRIGRAM_CHARS + 1 for t in self.terms)

    @property
    def match(self) -> str:
        """The FTS5 expression: each term a quoted phrase (of its characters, when short;
        a word prefix on the word index)."""
        if self.short:
            return " ".join(_quote(" ".join(t)) for t in self.terms)
        if self.words:
            return " ".join(_quote(t.lower()) + "*" for t in self.terms)
        return " ".join(_quote(t) for t in self.terms)


def parse_query(text: str | None) -> Query | None:
    """Terms of a search box text (whitespace-separated, at most 16), ``None`` when empty.

    A term made only of characters the character index drops (punctuation) would match
    nothing there, so it is left out of a short query.
    """
    terms = tuple(t for t in (text or "").split()[:MAX_TERMS])
    if not terms:
        return None
    query = Query(terms)
    if query.short:
        kept = tuple(t for t in terms if any(ch.isalnum() for ch in t))
        return Query(kept) if kept else None
    return query


MATCH_FUNCTION = "pa_search_match"
"""SQL function ``pa_search_match(text, table)``: the FTS5 expression of a search box text
for ``table`` when that index answers it, else ``NULL`` (registered on Datasette's
connections; the feed's ``?q=`` uses it to find what ``/-/search`` finds)."""


def match_for(text: str | None, table: str | None) -> str | None:
    """The FTS5 expression of ``text`` if ``table`` is the index that answers it, else ``None``.

    >>> match_for("光伏", CHARS_TABLE), match_for("光伏", TRIGRAM_TABLE)
    ('"光 伏"', None)
    """
    query = parse_query(text)
    return query.match if query is not None and query.table == table else None


def matched_rowids_sql(param: str = "q") -> str:
    """SQL of the rowids of the articles ``/-/search`` finds for the search box text in
    ``:param`` (either index, as :func:`parse_query` picks; none for a text with no term).

    A ``where`` term that depends on no table is evaluated once, before its index is read:
    the index that does not answer the text is never queried.
    """
    return " union all ".join(
        f"select rowid from {t} where {MATCH_FUNCTION}(:{param}, '{t}') is not null "
        f"and {t} match {MATCH_FUNCTION}(:{param}, '{t}')"
        for t in (TRIGRAM_TABLE, CHARS_TABLE, WORDS_TABLE)
    )


def register_query_functions(conn: Any) -> None:
    """Register :data:`MATCH_FUNCTION` on an ``sqlite3`` connection (a reader's)."""
    conn.create_function(MATCH_FUNCTION, 2, match_for, deterministic=True)


@dataclass(frozen=True)
class Filters:
    """Facet values a search is narrowed to."""

    values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        return cls({k: args[k] for k in FILTERS if args.get(k)})

    def where(self) -> tuple[list[str], dict[str, str]]:
        """SQL conditions on ``article_search s`` and their parameters."""
        clauses: list[str] = []
        params: dict[str, str] = {}
        for name, value in self.values.items():
            params[f"f_{name}"] = value
            if name == "category":
                clauses.append(
                    f"s.categories_id in (select c.id from {VALUES_TABLE} c, json_each("
                    "case when json_valid(c.value) then c.value else '[]' end) j "
                    "where c.facet = 'categories' and j.value = :f_category)"
                )
            else:
                clauses.append(
                    f"s.{name}_id = (select id from {VALUES_TABLE} "
                    f"where facet = '{name}' and value = :f_{name})"
                )
        return clauses, params


def _matched_rowids(query: Query, *, newest: int | None = None) -> str:
    """SQL of the matching rowids (``:match``); the ``newest`` highest rowids only, if given."""
    table = query.table
    sql = f"select rowid from {table} where {table} match :match"
    return sql + f" order by rowid desc limit {int(newest)}" if newest else sql


def rows_sql(
    query: Query, filters: Filters, sort: Sort, *, limit: int, offset: int = 0
) -> tuple[str, dict[str, Any]]:
    """One page of results: the reader's columns and the body text (for the snippet).

    Relevance is bm25 (title weighted :data:`TITLE_WEIGHT` times) over the
    :data:`RANK_CANDIDATES` (:data:`SHORT_RANK_CANDIDATES`) most recently archived matches
    (highest rowids): bm25 costs 2–6 microseconds per match (more for a phrase of several
    tokens), and a word in every fifth article has 20,000 of them at 100,000 articles. On
    top of that bm25 reads the term's whole doclist once (its document frequency), which
    for a phrase of several trigrams costs as much as counting the matches. Date order walks
    the ``published`` index and stops at the page's last row.

    The last column, ``total``, is the number of matches (filters applied) when the date
    order had to list them all anyway and listing them costs more than reading one doclist
    (an expression of several tokens: a phrase's positions are checked in every matching
    article); the count query is then not needed. Otherwise it is ``NULL``.
    """
    table = query.table
    clauses, conditions = filters.where()
    params: dict[str, Any] = {**conditions, "match": query.match, "limit": limit}
    params["offset"] = offset
    where = "".join(f" and {c}" for c in clauses)
    if sort == "relevance":
        join = f" join {SEARCH_TABLE} s on s.rowid = f.rowid" if clauses else ""
        inner = (
            f"select rowid, rank from (select f.rowid as rowid, "
            f"bm25({table}, {TITLE_WEIGHT}, 1.0) as rank from {table} f{join} "
            f"where f.{table} match :match{where} "
            f"order by f.rowid desc limit {query.rank_candidates}) "
            "order by rank, rowid desc limit :limit offset :offset"
        )
        return _rows(inner, "r.rank, r.rowid desc"), params
    shared = query.tokens > 1  # list the matches once, for the page and for the count
    inner = (
        f"select s.rowid as rowid, s.published as published from {SEARCH_TABLE} s "
        f"indexed by {SEARCH_TABLE}_published "
        f"where s.rowid in {'m' if shared else '(' + _matched_rowids(query) + ')'}{where} "
        "order by s.published desc, s.rowid desc limit :limit offset :offset"
    )
    order = "r.published desc, r.rowid desc"
    if not shared:
        return _rows(inner, order), params
    filtered = f" join {SEARCH_TABLE} s on s.rowid = m.rowid where " + " and ".join(clauses)
    total = f"(select count(*) from m{filtered if clauses else ''})"
    with_matches = f"with m as materialized ({_matched_rowids(query)}) "
    return with_matches + _rows(inner, order, total), params


def _rows(inner: str, order: str, total: str = "null") -> str:
    """The reader's columns of the rowids ``inner`` selects, and ``total``."""
    return (
        f"select a.id, a.title, a.portal, a.published, a.url, a.body_text, {total} as total "
        f"from ({inner}) r join articles a on a.rowid = r.rowid order by {order}"
    )


def count_sql(query: Query, filters: Filters) -> tuple[str, dict[str, Any]]:
    """The number of matches (exact: counting reads only the FTS5 doclists)."""
    clauses, conditions = filters.where()
    params: dict[str, Any] = {**conditions, "match": query.match}
    if not clauses:
        return f"select count(*) from ({_matched_rowids(query)})", params
    sql = (
        f"select count(*) from ({_matched_rowids(query)}) f "
        f"join {SEARCH_TABLE} s on s.rowid = f.rowid where " + " and ".join(clauses)
    )
    return sql, params


def facets_sql(query: Query, filters: Filters) -> tuple[str, dict[str, Any]]:
    """One row: how many of the :data:`FACET_SAMPLE` most recently archived matches were
    read, and their portal, author, month and categories value ids, each column as one
    comma-separated string (:func:`facet_id_counts`): 10,000 matches come back as four
    strings, not 10,000 Python tuples, and a hash count in Python beats four ``group by``
    sorts in SQLite."""
    clauses, conditions = filters.where()
    params: dict[str, Any] = {**conditions, "match": query.match}
    columns = "s.portal_id, s.author_id, s.month_id, s.categories_id"
    if not clauses:
        matches = _matched_rowids(query, newest=FACET_SAMPLE)
        inner = f"select {columns} from ({matches}) f join {SEARCH_TABLE} s on s.rowid = f.rowid"
    else:
        inner = (
            f"select {columns} from ({_matched_rowids(query)}) f "
            f"join {SEARCH_TABLE} s on s.rowid = f.rowid where "
            + " and ".join(clauses)
            + f" order by s.rowid desc limit {FACET_SAMPLE}"
        )
    sql = (
        "select count(*), group_concat(portal_id), group_concat(author_id), "
        f"group_concat(month_id), group_concat(categories_id) from ({inner})"
    )
    return sql, params


def facet_labels_sql(ids: Iterable[int]) -> tuple[str, dict[str, Any]]:
    """``(id, value)`` of the facet values ``ids``."""
    sql = f"select id, value from {VALUES_TABLE} where id in (select value from json_each(:ids))"
    return sql, {"ids": json.dumps(sorted(set(ids)))}


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


FACET_ID_COLUMNS = ("portal", "author", "month", "categories")
"""The facet value ids of a :func:`facets_sql` row, in order."""


def facet_id_counts(row: Sequence[Any]) -> tuple[int, dict[str, Counter[int]]]:
    """The number of matches read and, per column, how many have each value id, from the
    row of :func:`facets_sql`."""
    total, *columns = row
    counts: dict[str, Counter[int]] = {}
    for name, joined in zip(FACET_ID_COLUMNS, columns, strict=True):
        by_text = Counter(str(joined).split(",")) if joined else Counter()
        counts[name] = Counter({int(k): n for k, n in by_text.items() if k})
    return int(total or 0), counts


def count_facets(
    id_counts: Mapping[str, Counter[int]],
    labels: Mapping[int, str],
    filters: Filters,
    size: int = FACET_SIZE,
) -> dict[str, list[FacetValue]]:
    """The ``size`` most frequent values of each facet (ties by value), selected ones marked;
    a category facet counts every element of the ``categories`` arrays."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FILTERS}
    for name in ("portal", "author", "month"):
        for value_id, n in id_counts.get(name, Counter()).items():
            counts[name][labels.get(value_id, "")] += n
    for value_id, n in id_counts.get("categories", Counter()).items():
        for category in set(categories_of(labels.get(value_id))):
            counts["category"][category] += n
    result: dict[str, list[FacetValue]] = {}
    for name, counter in counts.items():
        values = [(v, c) for v, c in counter.items() if v]
        ordered = sorted(values, key=lambda vc: (-vc[1], vc[0]))[:size]
        result[name] = [FacetValue(v, c, filters.values.get(name) == v) for v, c in ordered]
    return result


# --- snippets -----------------------------------------------------------------------------


def _spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of the terms in ``text``, case-insensitive, leftmost."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: match as is
        lowered = text
    found: list[tuple[int, int]] = []
    for term in {t.lower() for t in terms if t}:
        start = lowered.find(term)
        while start != -1:
            found.append((start, start + len(term)))
            start = lowered.find(term, start + len(term))
    found.sort(key=lambda span: (span[0], -span[1]))
    spans: list[tuple[int, int]] = []
    for start, end in found:
        if not spans or start >= spans[-1][1]:
            spans.append((start, end))
    return spans


def _marked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in spans:
        out += [text[pos:start], MARK_START, text[start:end], MARK_END]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _clean(text: str | None) -> str:
    return " ".join((text or "").replace(MARK_START, "").replace(MARK_END, "").split())


def highlight(text: str | None, terms: Iterable[str]) -> str:
    """``text`` (whitespace collapsed) with every match of ``terms`` between the markers."""
    clean = _clean(text)
    return _marked(clean, _spans(clean, terms))


def snippet(text: str | None, terms: Iterable[str], width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters of ``text`` around its first match, matches marked;
    the start of the text when nothing matches literally (a match across punctuation)."""
    clean = _clean(text)
    terms = list(terms)
    spans = _spans(clean, terms)
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(clean), start + width)
    window = [(max(s, start), min(e, end)) for s, e in spans if s < end and e > start]
    shifted = [(s - start, e - start) for s, e in window]
    body = _marked(clean[start:end], shifted)
    return ("…" if start else "") + body + ("…" if end < len(clean) else "")


_MARKED = re.compile(re.escape(MARK_START) + "(.*?)" + re.escape(MARK_END), re.S)


def highlight_markup(marked: str) -> markupsafe.Markup:
    """Marked text as HTML: everything escaped, then each marked match in ``<mark>``."""
    escaped = str(markupsafe.escape(marked))
    html = _MARKED.sub(r"<mark>\1</mark>", escaped)
    html = html.replace(MARK_START, "").replace(MARK_END, "")
    return markupsafe.Markup(html)  # noqa: S704 - escaped above; only <mark> added


def plain(marked: str) -> str:
    """Marked text without its markers."""
    return marked.replace(MARK_START, "").replace(MARK_END, "")


def categories_of(raw: str | None) -> list[str]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
