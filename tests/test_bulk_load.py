"""Bulk loading of the index (``archive.index.bulk_load``): the search triggers are off while
rows are written and the search structures are rebuilt once at the end, in one transaction.

What a reader sees must not depend on it: an archive built in bulk answers every search (each
of the three FTS5 indexes, facets, date order, snippets) and every feed exactly as one built
article by article; a failed bulk load leaves the index as it was; ``import --bulk`` and
``--no-bulk`` write the same files and rows. The kill trials of ``tests/test_crash.py``
(case ``import-bulk``) check that a SIGKILL anywhere leaves a consistent, searchable index.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from archive import index, maintenance, search
from archive.frontmatter_files import ExportOptions
from archive.items import ArticleItem
from archive.store import Archive
from archive.writer import Entry
from tests.conftest import run_cli
from tests.test_datasette import datasette_for, item
from tests.test_feeds import feed
from tests.test_search import ARTICLES, WORD_ARTICLES, search_json, when


def _articles() -> list[ArticleItem]:
    """Our articles in all three scripts of search, and a later version of the first one."""
    start = datetime(2023, 3, 1, 8, 0, tzinfo=UTC)
    extra = [
        item(
            40 + n,
            f"储能电池第{n}期观察",
            f"<p>第{n}期：储能电池价格走势，MiniLED 与 Chiplet 的消息。</p>",
            portal="gg" if n % 2 else "ofweek",
            published=start + timedelta(days=n),
            author="高工锂电" if n % 3 == 0 else "高科技行业门户",
            categories=["储能"] if n % 3 == 0 else ["电池", "储能"],
        )
        for n in range(12)
    ]
    first = ARTICLES["focus"]
    changed = item(
        1, "碳化硅衬底产能再翻番", "<p>碳化硅良率继续提升，光伏也用上了。</p>", published=when(8)
    )
    assert changed.canonical_url == first.canonical_url
    return [*ARTICLES.values(), *WORD_ARTICLES.values(), *extra, changed]


def _one_by_one(root: Path, articles: list[ArticleItem]) -> None:
    with Archive(root, ExportOptions(fsync=False)) as archive:
        for article in articles:
            archive.save(article)


def _in_bulk(root: Path, articles: list[ArticleItem], *, stored: int = 0) -> None:
    """The first ``stored`` articles one by one, the rest in one bulk load of batches of 5."""
    with Archive(root, ExportOptions(fsync=False)) as archive:
        for article in articles[:stored]:
            archive.save(article)
        rest = [Entry(a) for a in articles[stored:]]
        with archive.bulk_index(len(rest), True):
            for start in range(0, len(rest), 5):
                archive.save_entries(rest[start : start + 5])


QUERIES = (
    {"q": "碳化硅"},  # trigram
    {"q": "碳化硅", "sort": "date"},
    {"q": "光伏"},  # characters
    {"q": "锂"},
    {"q": "电池"},
    {"q": "储能电池", "portal": "gg"},
    {"q": "储能", "category": "电池"},
    {"q": "储能", "author": "高工锂电"},
    {"q": "储能", "month": "2023-03"},
    {"q": "MiniLED"},  # words
    {"q": "chip"},
    {"q": "cafe"},
    {"q": "背光 MiniLED"},
    {"q": "品牌新闻 MiniLED"},
)


def _reader_view(root: Path) -> dict[str, Any]:
    """Everything search and feeds show of an archive (no run timestamps)."""
    ds = datasette_for(root)
    view: dict[str, Any] = {}
    for params in QUERIES:
        data = search_json(ds, **params)
        key = "&".join(f"{k}={v}" for k, v in params.items())
        view[key] = {
            "index": data["index"],
            "count": data["count"],
            "facets": data["facets"],
            "rows": [(r["id"], r["title"], r["snippet_html"]) for r in data["rows"]],
        }
    for query in ("", "q=储能", "q=碳化硅", "q=光伏", "q=miniled", "portal=gg&q=电池"):
        parsed = feed(ds, query)
        view[f"feed?{query}"] = [(e.id, e.title) for e in parsed.entries]
    return view


def _search_rows(root: Path) -> dict[str, tuple[Any, ...]]:
    """``article_search`` by article id, with the facet values its ids stand for."""
    db = Database(root / "index.db")
    try:
        sql = (
            "select a.id, s.published, p.value, au.value, m.value, c.value "
            f"from {search.SEARCH_TABLE} s join articles a on a.rowid = s.rowid "
            f"join {search.VALUES_TABLE} p on p.id = s.portal_id "
            f"join {search.VALUES_TABLE} au on au.id = s.author_id "
            f"join {search.VALUES_TABLE} m on m.id = s.month_id "
            f"join {search.VALUES_TABLE} c on c.id = s.categories_id"
        )
        found = {row[0]: tuple(row[1:]) for row in db.execute(sql).fetchall()}
        assert len(found) == db.execute("select count(*) from articles").fetchone()[0]
        return found
    finally:
        db.close()


def _fts_matches(root: Path) -> dict[str, set[str]]:
    """Article ids each index matches for a few expressions (the indexes themselves)."""
    db = Database(root / "index.db")
    try:
        got = {}
        for table, expression in (
            (search.TRIGRAM_TABLE, '"储能电池"'),
            (search.TRIGRAM_TABLE, '"碳化硅"'),
            (search.CHARS_TABLE, '"伏"'),
            (search.CHARS_TABLE, '"锂 电"'),
            (search.WORDS_TABLE, '"miniled"*'),
            (search.WORDS_TABLE, '"chiplet"'),
        ):
            sql = (
                f"select a.id from {table} f join articles a on a.rowid = f.rowid "
                f"where {table} match ?"
            )
            got[f"{table} {expression}"] = {r[0] for r in db.execute(sql, [expression])}
            db.execute(f"insert into {table} ({table}, rank) values ('integrity-check', 1)")
        return got
    finally:
        db.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("one-by-one")
    _one_by_one(root, _articles())
    return root


@pytest.mark.parametrize("stored", [0, 3])
def test_a_bulk_load_answers_every_search_and_feed_as_one_by_one(
    reference: Path, tmp_path: Path, stored: int
) -> None:
    _in_bulk(tmp_path, _articles(), stored=stored)
    expected = _reader_view(reference)
    assert expected["q=碳化硅"]["count"] == 3  # the queries do find something
    assert expected["q=MiniLED"]["index"] == search.WORDS_TABLE
    assert expected["q=光伏"]["index"] == search.CHARS_TABLE
    assert _reader_view(tmp_path) == expected
    assert _search_rows(tmp_path) == _search_rows(reference)
    assert _fts_matches(tmp_path) == _fts_matches(reference)
    db = Database(tmp_path / "index.db")
    triggers = {name for name, _sql in index.article_triggers(db)}
    db.close()
    assert triggers == search.SEARCH_TRIGGERS


def test_reindex_answers_every_search_as_a_row_by_row_reindex(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``reindex`` loads in bulk; with the triggers on (one transaction, rows in the same
    order) it builds an index that answers the same. (Its rowids follow the files' order, not
    the original writes', so "most recently archived" ties differ from the original index.)"""
    bulk, rows = tmp_path / "bulk", tmp_path / "rows"
    for root in (bulk, rows):
        shutil.copytree(reference, root)
    maintenance.reindex(bulk)
    monkeypatch.setattr(maintenance.index, "bulk_load", index.write_transaction)
    maintenance.reindex(rows)
    assert _reader_view(bulk) == _reader_view(rows)
    assert _search_rows(bulk) == _search_rows(rows) == _search_rows(reference)
    assert _fts_matches(bulk) == _fts_matches(rows) == _fts_matches(reference)


def test_the_triggers_keep_working_after_a_bulk_load(tmp_path: Path) -> None:
    articles = _articles()
    _in_bulk(tmp_path, articles[:-1])
    _one_by_one(tmp_path, [articles[-1]])  # an update through the recreated triggers
    ds = datasette_for(tmp_path)
    assert [r["title"] for r in search_json(ds, q="衬底产能")["rows"]] == ["碳化硅衬底产能再翻番"]
    assert search_json(ds, q="衬底价格")["count"] == 0  # the old body left every index


def test_a_failed_bulk_load_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    articles = _articles()
    _one_by_one(tmp_path, articles[:2])
    with Archive(tmp_path, ExportOptions(fsync=False)) as archive:
        with pytest.raises(KeyboardInterrupt), archive.bulk_index(5, True):
            archive.save_entries([Entry(a) for a in articles[2:7]])
            raise KeyboardInterrupt
        assert index.count_articles(archive.db) == 2
        triggers = {name for name, _sql in index.article_triggers(archive.db)}
        assert triggers == search.SEARCH_TRIGGERS
        archive.save(articles[2])  # indexed through the triggers again
    ds = datasette_for(tmp_path)
    assert search_json(ds, q="碳化硅")["count"] == 3
    assert search_json(ds, q="储能")["count"] == 0


def test_an_unknown_trigger_refuses_the_bulk_load(tmp_path: Path) -> None:
    with Archive(tmp_path, ExportOptions(fsync=False)) as archive:
        archive.db.execute("create trigger audit after insert on articles begin select 1; end")
        with pytest.raises(RuntimeError, match="audit"), archive.bulk_index(1, True):
            pass
        names = {name for name, _sql in index.article_triggers(archive.db)}
    assert names == {*search.SEARCH_TRIGGERS, "audit"}


def test_when_a_bulk_load_pays() -> None:
    assert index.bulk_load_pays(0, index.BULK_LOAD_MIN)
    assert not index.bulk_load_pays(0, index.BULK_LOAD_MIN - 1)
    assert index.bulk_load_pays(2_500, 10_000)
    assert not index.bulk_load_pays(2_501, 10_000)


def _legacy_sources(folder: Path) -> None:
    from tests.test_crash import _legacy_post

    for i in range(9):
        path = folder / "新媒体" / "高科技行业门户" / "新闻" / f"post-{i:03d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_legacy_post(i), encoding="utf-8")


def test_import_bulk_and_row_by_row_write_the_same_archive(tmp_path: Path) -> None:
    source = tmp_path / "source"
    _legacy_sources(source)
    built = {}
    for flag in ("--bulk", "--no-bulk"):
        root = tmp_path / flag.strip("-")
        done = run_cli(root, "import", flag, str(source))
        assert done.returncode == 0, done.stderr
        files = {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "posts").rglob("*.md"))
        }
        db = Database(root / "index.db")
        rows = {(r["id"], r["path"], r["content_hash"]) for r in db["articles"].rows}
        db.close()
        built[flag] = (files, rows, _search_rows(root), _fts_matches(root))
        assert len(files) == len(rows) == 9
    assert built["--bulk"] == built["--no-bulk"]
    bulk, rows = tmp_path / "bulk", tmp_path / "no-bulk"
    for query in ({"q": "光伏组件"}, {"q": "锂电"}, {"q": "第3期"}):
        found = search_json(datasette_for(bulk), **query)
        assert found["count"] > 0, query
        assert found["rows"] == search_json(datasette_for(rows), **query)["rows"]
