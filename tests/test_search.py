"""The reader's search page (issue #13): ``/-/search`` and ``/-/search.json`` of ``serve``.

Datasette 0.65 runs in-process through its test client on indexes written by the real writer
(``archive.store.Archive``); one test runs a real ``portal-archive serve`` on an ephemeral
port over an index of the previous schema, which it upgrades before serving.
"""

from __future__ import annotations

import json
import queue
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette

from archive import datasette_search as ds_search
from archive import index, maintenance, search
from archive.frontmatter_files import ExportOptions
from archive.items import ArticleItem
from archive.store import Archive
from tests.test_datasette import datasette_for, fetch, item


def save_all(root: Path, articles: dict[str, ArticleItem]) -> dict[str, str]:
    with Archive(root, ExportOptions(fsync=False)) as archive:
        return {key: archive.save(article).article_id for key, article in articles.items()}


def when(month: int, day: int = 1) -> datetime:
    return datetime(2023, month, day, 8, 0, tzinfo=UTC)


ARTICLES = {
    # "碳化硅" in the title and three times in the body: the most relevant, the oldest
    "focus": item(
        1,
        "碳化硅衬底产能翻番",
        "<p>碳化硅器件需求旺盛。碳化硅衬底价格下降。碳化硅良率提升。</p>",
        published=when(1),
        categories=["半导体"],
    ),
    # once, in a long body: less relevant, the newest
    "mention": item(
        2,
        "新能源汽车销量创新高",
        "<p>" + "整车企业扩产，续航持续提升。" * 20 + "部分车型采用碳化硅模块。</p>",
        published=when(6),
        portal="gg",
        author="高工锂电",
        categories=["汽车"],
    ),
    "twice": item(
        3,
        "功率器件市场观察",
        "<p>碳化硅与硅基器件并存，碳化硅份额上升。</p>",
        published=when(3),
        categories=["半导体", "汽车"],
    ),
    "pv": item(
        4,
        "光伏组件价格回落",
        "<p>组件价格下降，AI 算力中心也在建设光伏</p>",
        published=when(2),
        portal="gg",
        author="高工锂电",
        categories=["光伏"],
    ),
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("search")
    return root, save_all(root, ARTICLES)


@pytest.fixture(scope="module")
def ds(archive: tuple[Path, dict[str, str]]) -> Datasette:
    return datasette_for(archive[0])


def search_json(ds: Datasette, **params: str) -> dict[str, Any]:
    response = fetch(ds, "/-/search.json?" + urllib.parse.urlencode(params))
    assert response.status_code == 200, response.text
    return dict(response.json())


def ids(data: dict[str, Any]) -> list[str]:
    return [row["id"] for row in data["rows"]]


# --- ranking and order --------------------------------------------------------------------


def test_results_are_ranked_by_relevance_by_default(
    ds: Datasette, archive: tuple[Path, dict[str, str]]
) -> None:
    data = search_json(ds, q="碳化硅")
    expected = [archive[1][k] for k in ("focus", "twice", "mention")]
    assert data["sort"] == "relevance"
    assert data["index"] == "articles_fts"
    assert ids(data) == expected  # not the date order (mention, twice, focus)
    assert data["count"] == 3


def test_date_order_is_one_click_away(ds: Datasette, archive: tuple[Path, dict[str, str]]) -> None:
    page = fetch(ds, "/-/search?" + urllib.parse.urlencode({"q": "碳化硅"})).text
    assert re.search(r"Sorted by <strong>relevance</strong>", page)
    link = re.search(r'<a href="([^"]+)" class="portal-archive-sort">date</a>', page)
    assert link, "no link to the date order"
    url = link.group(1).replace("&amp;", "&")
    dated = fetch(ds, url.replace("/-/search?", "/-/search.json?")).json()
    assert dated["sort"] == "date"
    assert ids(dated) == [archive[1][k] for k in ("mention", "twice", "focus")]
    back = fetch(ds, url).text
    assert re.search(r"Sorted by <a href=\"[^\"]+\" class=\"portal-archive-sort\">relevance", back)


# --- the result view ----------------------------------------------------------------------


def test_result_table_has_the_reader_columns(
    ds: Datasette, archive: tuple[Path, dict[str, str]]
) -> None:
    page = fetch(ds, "/-/search?" + urllib.parse.urlencode({"q": "光伏"})).text
    table = re.search(
        r'<table class="rows-and-columns portal-archive-results">(.*?)</table>', page, re.S
    )
    assert table
    headers = re.findall(r"<th>(.*?)</th>", table.group(1))
    assert headers == ["Title", "Portal", "Date", "Snippet"]
    aid = archive[1]["pv"]
    row = re.search(r"<tr><td class=\"col-title\">(.*?)</tr>", table.group(1), re.S)
    assert row
    cells = row.group(1)
    assert f'<a href="/index/articles/{aid}"><mark>光伏</mark>组件价格回落</a>' in cells
    assert '<td class="col-portal">gg</td>' in cells
    assert '<td class="col-published">2023-02-01</td>' in cells
    assert "建设<mark>光伏</mark>" in cells
    assert fetch(ds, f"/index/articles/{aid}").status_code == 200


def test_json_rows_carry_the_reader_fields(
    ds: Datasette, archive: tuple[Path, dict[str, str]]
) -> None:
    row = search_json(ds, q="光伏组件")["rows"][0]
    assert row["id"] == archive[1]["pv"]
    assert row["title"] == "光伏组件价格回落"
    assert row["url"] == f"/index/articles/{archive[1]['pv']}"
    assert row["original_url"] == "http://portal.test/gg/ART-4.html"
    assert row["portal"] == "gg"
    assert row["published"].startswith("2023-02-01")
    assert row["snippet_html"].count("<mark>") == 0  # body has 光伏 but not 光伏组件
    assert "光伏" in row["snippet"]


HOSTILE_TEXT = (
    '<script>alert("x")</script> 碳排放 <img src=x onerror=alert(1)> '
    "\ue000<b>fake mark</b>\ue001 &amp; <mark>碳排放</mark>"
)


def test_snippet_highlight_is_escaped(tmp_path: Path) -> None:
    """Markup in the stored text stays text; only our <mark> around the match is HTML."""
    aid = save_all(tmp_path, {"x": item(9, "标题<i>碳排放</i>", "<p>x</p>", published=when(4))})
    with sqlite3.connect(tmp_path / "index.db") as conn:  # text another tool might write
        conn.create_function(search.SPACED_CHARS_FUNCTION, 1, search.spaced_chars)
        conn.create_function(search.LATIN_TEXT_FUNCTION, 1, search.latin_text)
        conn.execute("update articles set body_text = ? where id = ?", [HOSTILE_TEXT, aid["x"]])
    conn.close()
    ds = datasette_for(tmp_path)
    page = fetch(ds, "/-/search?" + urllib.parse.urlencode({"q": "碳排放"})).text
    cells = re.search(r'<td class="col-snippet">(.*?)</td>', page, re.S)
    assert cells
    snippet = cells.group(1)
    assert "<script" not in snippet and "<img" not in snippet and "<b>" not in snippet
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in snippet
    assert "&lt;img src=x onerror=alert(1)&gt;" in snippet
    assert "&lt;b&gt;fake mark&lt;/b&gt;" in snippet  # the marker characters were dropped
    assert "&amp;amp;" in snippet
    assert re.findall(r"<[^>]+>", snippet) == ["<mark>", "</mark>"] * 2
    title = re.search(r'<td class="col-title">(.*?)</td>', page, re.S)
    assert title and "&lt;i&gt;<mark>碳排放</mark>&lt;/i&gt;" in title.group(1)
    data = search_json(ds, q="碳排放")
    assert data["rows"][0]["snippet"].startswith('<script>alert("x")</script> 碳排放')


# --- short terms --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("碳", ["focus", "twice", "mention"]),
        ("光伏", ["pv"]),
        ("伏", ["pv"]),  # the last character of the body
        ("ai", ["pv"]),  # ASCII, case-insensitive
        ("价格 光伏", ["pv"]),  # every term must match
        ("价格 硅", ["focus"]),
        ("价格 钠", []),
        ("钛", []),
    ],
)
def test_one_and_two_character_terms_find_matches(
    ds: Datasette, archive: tuple[Path, dict[str, str]], q: str, expected: list[str]
) -> None:
    data = search_json(ds, q=q)
    assert data["index"] == "articles_fts_chars"
    assert sorted(ids(data)) == sorted(archive[1][k] for k in expected)
    assert data["count"] == len(expected)
    for row in data["rows"]:
        assert any(t.lower() in (row["title"] + row["snippet"]).lower() for t in q.split())


def test_punctuation_only_and_empty_queries_return_no_search(ds: Datasette) -> None:
    for q in ("", "   ", "%", "，"):
        data = search_json(ds, q=q)
        assert data["rows"] == [] and data["count"] == 0
    assert "Search the archive" in fetch(ds, "/-/search").text


# --- facets -------------------------------------------------------------------------------


def test_facets_count_the_matches_and_narrow_the_search(
    ds: Datasette, archive: tuple[Path, dict[str, str]]
) -> None:
    data = search_json(ds, q="碳化硅")
    facets = {
        name: {v["value"]: v["count"] for v in values} for name, values in data["facets"].items()
    }
    assert facets == {
        "portal": {"ofweek": 2, "gg": 1},
        "category": {"半导体": 2, "汽车": 2},
        "author": {"高科技行业门户": 2, "高工锂电": 1},
        "month": {"2023-01": 1, "2023-03": 1, "2023-06": 1},
    }
    narrowed = search_json(ds, q="碳化硅", portal="ofweek", category="汽车")
    assert ids(narrowed) == [archive[1]["twice"]]
    assert narrowed["count"] == 1
    assert narrowed["facets"]["portal"] == [{"value": "ofweek", "count": 1, "selected": True}]
    by_month = search_json(ds, q="碳", month="2023-06", sort="date")
    assert ids(by_month) == [archive[1]["mention"]]
    page = fetch(ds, "/-/search?" + urllib.parse.urlencode({"q": "碳化硅"})).text
    assert '<a href="/-/search?q=%E7%A2%B3%E5%8C%96%E7%A1%85&amp;portal=gg">gg</a> 1' in page


def test_relevance_and_facets_read_the_newest_matches_only(
    ds: Datasette, archive: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relevance ranks the ``RANK_CANDIDATES`` most recently archived matches and facets
    count ``FACET_SAMPLE`` of them (bounded work at 100,000 articles); the count is exact."""
    assert search.RANK_CANDIDATES >= search.MAX_PAGE * search.PAGE_SIZE  # every page ranked
    assert search.SHORT_RANK_CANDIDATES >= search.MAX_PAGE * search.PAGE_SIZE
    monkeypatch.setattr(search, "RANK_CANDIDATES", 2)
    monkeypatch.setattr(search, "FACET_SAMPLE", 2)
    data = search_json(ds, q="碳化硅")
    # "focus" (archived first) is the most relevant but not among the 2 newest matches
    assert ids(data) == [archive[1][k] for k in ("twice", "mention")]
    assert data["count"] == 3
    assert data["facets_sampled"] is True
    portals = {v["value"]: v["count"] for v in data["facets"]["portal"]}
    assert portals == {"ofweek": 1, "gg": 1}
    page = fetch(ds, "/-/search?" + urllib.parse.urlencode({"q": "碳化硅"})).text
    assert "Facet counts are over the\n  2 most recently archived matches." in page


@pytest.mark.parametrize(
    ("q", "filters"),
    [
        ("碳化硅器件", {}),  # 3 trigrams
        ("碳化硅", {"portal": "ofweek"}),  # 1 trigram
        ("碳化硅 价格", {}),  # 1 + 2 characters: character index, 5 tokens
        ("碳化硅 份额", {"category": "汽车"}),
        ("光伏", {"portal": "gg"}),
        ("碳", {}),
        ("没有", {}),
    ],
)
def test_date_order_counts_what_relevance_counts(
    ds: Datasette, q: str, filters: dict[str, str]
) -> None:
    """The date order counts the matches it lists (several tokens); the same number as the
    count query of the relevance order."""
    ranked = search_json(ds, q=q, _nofacet="1", **filters)
    dated = search_json(ds, q=q, _nofacet="1", sort="date", **filters)
    assert dated["count"] == ranked["count"] == len(ranked["rows"])
    assert sorted(ids(dated)) == sorted(ids(ranked))


def test_the_date_order_lists_the_matches_once_for_several_tokens() -> None:
    one = search.parse_query("碳化硅")
    several = search.parse_query("碳化硅器件")
    assert one is not None and several is not None
    assert (one.tokens, several.tokens, search.Query(("光伏", "碳")).tokens) == (1, 3, 3)
    none = search.Filters()
    assert "as materialized" in search.rows_sql(several, none, "date", limit=21)[0]
    assert "as materialized" not in search.rows_sql(one, none, "date", limit=21)[0]
    assert "as materialized" not in search.rows_sql(several, none, "relevance", limit=21)[0]


def test_no_count_no_facets_is_rows_only(ds: Datasette) -> None:
    data = search_json(ds, q="碳化硅", _nocount="1", _nofacet="1")
    assert len(data["rows"]) == 3
    assert data["count"] is None and data["facets"] == {}


def test_pages_of_twenty(tmp_path: Path) -> None:
    many = {
        f"n{i}": item(
            100 + i, f"储能电站第{i}期", "<p>储能项目并网。</p>", published=when(1 + i % 12)
        )
        for i in range(25)
    }
    save_all(tmp_path, many)
    ds = datasette_for(tmp_path)
    first = search_json(ds, q="储能电站")
    assert first["count"] == 25 and len(first["rows"]) == 20
    assert first["next"] == "/-/search.json?q=%E5%82%A8%E8%83%BD%E7%94%B5%E7%AB%99&page=2"
    second = fetch(ds, first["next"]).json()
    assert len(second["rows"]) == 5 and second["next"] is None
    assert not {r["id"] for r in first["rows"]} & {r["id"] for r in second["rows"]}


# --- the index: triggers and migration ----------------------------------------------------


def test_triggers_follow_updates_and_deletes(tmp_path: Path) -> None:
    aid = save_all(
        tmp_path, {"a": item(1, "锂电池出口", "<p>锂电池出口增长。</p>", published=when(5))}
    )
    changed = item(1, "钠电池试产", "<p>钠电池开始试产。</p>", portal="ofweek", published=when(7))
    save_all(tmp_path, {"a": changed})
    ds = datasette_for(tmp_path)
    assert search_json(ds, q="锂")["count"] == 0
    assert ids(search_json(ds, q="钠")) == [aid["a"]]
    assert search_json(ds, q="钠电池")["facets"]["month"][0]["value"] == "2023-07"
    db = index.open_index(tmp_path / "index.db")
    db.execute(f"insert into {search.CHARS_TABLE}({search.CHARS_TABLE}) values('integrity-check')")
    db.execute("delete from articles where id = ?", [aid["a"]])
    assert db.execute(f"select count(*) from {search.SEARCH_TABLE}").fetchone()[0] == 0
    assert (
        db.execute(
            f"select count(*) from {search.CHARS_TABLE} where {search.CHARS_TABLE} match ?",
            ['"钠"'],
        ).fetchone()[0]
        == 0
    )
    db.close()


def test_an_old_index_is_migrated_in_place(tmp_path: Path) -> None:
    db = index.Database(tmp_path / "index.db")
    index.migrations.apply(db, stop_before="m006_reader_search")
    with db.atomic():
        for n, (key, article) in enumerate(ARTICLES.items()):
            row = index.article_row(
                article,
                article_id=f"{n:016x}",
                path=f"{key}.md",
                content_hash="h",
                profile="hexo",
                image_mode="origin",
            )
            db["articles"].insert({**row, "first_seen": "x", "last_seen": "x"})
    assert "article_search" not in db.table_names()
    db.close()
    assert index.pending_migrations(tmp_path / "index.db") == [
        "m006_reader_search",
        "m007_word_search",
    ]
    index.open_index(tmp_path / "index.db").close()
    assert index.pending_migrations(tmp_path / "index.db") == []
    ds = datasette_for(tmp_path)
    assert search_json(ds, q="碳化硅")["count"] == 3
    assert search_json(ds, q="光伏")["rows"][0]["title"] == "光伏组件价格回落"
    assert search_json(ds, q="碳化硅", portal="gg")["count"] == 1


def test_serve_upgrades_an_old_index_then_serves_the_search(tmp_path: Path) -> None:
    db = index.Database(tmp_path / "index.db")
    index.migrations.apply(db, stop_before="m006_reader_search")
    article = ARTICLES["pv"]
    row = index.article_row(
        article, article_id="p" * 16, path="p.md", content_hash="h", profile="hexo", image_mode="o"
    )
    db["articles"].insert({**row, "first_seen": "x", "last_seen": "x"})
    db.close()
    argv = [
        sys.executable,
        "-m",
        "portal_archive",
        "--archive",
        str(tmp_path),
        "serve",
        "--port",
        "0",
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    seen: list[str] = []
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                continue
            if found := re.search(r"Uvicorn running on (http://\S+)", seen[-1]):
                url = found.group(1)
        assert url, "".join(seen)
        assert any("upgrading" in line and "m006_reader_search" in line for line in seen)
        query = urllib.parse.urlencode({"q": "光伏"})
        with urllib.request.urlopen(f"{url}/-/search.json?{query}", timeout=60) as response:
            data = json.loads(response.read())
        assert [r["id"] for r in data["rows"]] == ["p" * 16]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        thread.join(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


# --- pure parts ---------------------------------------------------------------------------


def test_query_parsing_picks_the_index() -> None:
    assert search.parse_query("  ") is None
    assert search.parse_query("碳化硅 GPU") == search.Query(("碳化硅", "GPU"))
    three = search.parse_query('say "hi"')
    assert three is not None and three.table == "articles_fts" and not three.short
    assert three.match == '"say" """hi"""'
    short = search.parse_query("光伏 价格")
    assert short is not None and short.table == "articles_fts_chars"
    assert short.match == '"光 伏" "价 格"'
    assert search.parse_query("% 光伏") == search.Query(("光伏",))
    assert search.parse_query("，") is None


def test_snippet_window_and_markers() -> None:
    text = "前" * 100 + "碳化硅" + "后" * 100
    marked = search.snippet(text, ["碳化硅"], width=30)
    assert marked == "…" + "前" * 10 + "\ue000碳化硅\ue001" + "后" * 17 + "…"
    assert search.highlight("GPU gpu", ["gpu"]) == "\ue000GPU\ue001 \ue000gpu\ue001"
    assert str(search.highlight_markup("a<\ue000b\ue001>\ue000")) == "a&lt;<mark>b</mark>&gt;"
    assert search.snippet("没有匹配", ["碳"]) == "没有匹配"
    assert search.spaced_chars("光伏 AI") == "光 伏   A I"


def test_request_arguments_round_trip() -> None:
    request = ds_search.Request.from_args(
        {"q": " 碳  化 ", "sort": "date", "page": "x", "portal": "gg"}
    )
    assert request.text == "碳 化" and request.sort == "date" and request.page == 1
    assert request.args() == {"q": "碳 化", "portal": "gg", "sort": "date"}
    assert request.args(sort=None, portal=None) == {"q": "碳 化"}
    assert ds_search.Request.from_args({"q": "x", "page": "999"}).page == search.MAX_PAGE


def test_every_page_links_to_the_search(ds: Datasette) -> None:
    for path in ("/", "/index", "/index/articles"):
        assert '<a href="/-/search">Search articles</a>' in fetch(ds, path).text, path


# --- Latin-script words: the word index (m007) ----------------------------------------------

WORD_ARTICLES = {
    # the word in the title and, written between Chinese characters, in the body
    "title": item(
        11,
        "MiniLED背光出货量增长",
        "<p>采用MiniLED背光的电视销量上升。</p>",
        published=when(2),
    ),
    # only a longer word it begins (plural, lower case)
    "plural": item(
        12,
        "显示技术周报",
        "<p>Several MiniLEDs panels shipped this quarter; 厂商看好这项技术。</p>",
        published=when(5),
    ),
    # inside another Latin word: a substring, not a word the term begins
    "inside": item(
        13, "面板品牌新闻", "<p>The SuperMiniLED brand is a trademark.</p>", published=when(6)
    ),
    "accent": item(
        14, "Chiplet封装报告", "<p>Chiplet packaging, discussed at a café.</p>", published=when(3)
    ),
}


@pytest.fixture(scope="module")
def words(tmp_path_factory: pytest.TempPathFactory) -> tuple[Datasette, dict[str, str]]:
    root = tmp_path_factory.mktemp("words")
    aid = save_all(root, WORD_ARTICLES)
    return datasette_for(root), aid


def test_latin_text_keeps_latin_words_apart_from_chinese() -> None:
    assert search.latin_text("采用MiniLED背光，Café 2023年") == " MiniLED Café 2023 "
    assert search.latin_text(None) is None


def test_an_english_word_is_a_word_prefix_on_the_word_index(
    words: tuple[Datasette, dict[str, str]],
) -> None:
    ds, aid = words
    data = search_json(ds, q="MiniLED")
    assert data["index"] == "articles_fts_words"
    # title match first; "SuperMiniLED" is not a word "MiniLED" begins
    assert ids(data) == [aid["title"], aid["plural"]]
    assert data["count"] == 2
    assert "采用<mark>MiniLED</mark>背光" in data["rows"][0]["snippet_html"]
    by_date = search_json(ds, q="miniled", sort="date")
    assert ids(by_date) == [aid["plural"], aid["title"]]


def test_a_word_prefix_and_diacritics(words: tuple[Datasette, dict[str, str]]) -> None:
    ds, aid = words
    assert ids(search_json(ds, q="chip")) == [aid["accent"]]  # Chiplet
    assert ids(search_json(ds, q="cafe")) == [aid["accent"]]  # café
    assert ids(search_json(ds, q="super")) == [aid["inside"]]
    assert ids(search_json(ds, q="packagin")) == [aid["accent"]]  # 8: its prefix index
    assert ids(search_json(ds, q="packaging")) == [aid["accent"]]  # 9: no prefix index
    assert search_json(ds, q="iniled")["count"] == 0  # not a word start
    assert search_json(ds, q="MiniLED panels")["rows"][0]["id"] == aid["plural"]


def test_a_mixed_chinese_and_english_query_keeps_the_substring_indexes(
    words: tuple[Datasette, dict[str, str]],
) -> None:
    ds, aid = words
    short = search_json(ds, q="背光 MiniLED")  # a 2-character word: the character index
    assert short["index"] == "articles_fts_chars"
    assert ids(short) == [aid["title"]]
    long = search_json(ds, q="电视销量 MiniLED")  # every word 3+ characters: trigrams
    assert long["index"] == "articles_fts"
    assert ids(long) == [aid["title"]]
    mixed = search_json(ds, q="品牌新闻 MiniLED")  # trigram: substring of SuperMiniLED
    assert ids(mixed) == [aid["inside"]]
    for text in ("MiniLED", "背光 MiniLED", "Mini-LED"):
        query = search.parse_query(text)
        assert query is not None
        tables = [
            t
            for t in ("articles_fts", "articles_fts_chars", "articles_fts_words")
            if search.match_for(text, t) is not None
        ]
        assert tables == [query.table]


def word_matches(db: index.Database, expression: str) -> int:
    table = search.WORDS_TABLE
    sql = f"select count(*) from {table} where {table} match ?"
    return int(db.execute(sql, [expression]).fetchone()[0])


def test_word_index_triggers_follow_updates_and_deletes(tmp_path: Path) -> None:
    aid = save_all(tmp_path, {"a": item(1, "Chiplet进展", "<p>Chiplet封装。</p>")})
    save_all(tmp_path, {"a": item(1, "HBM进展", "<p>采用HBM3内存。</p>")})
    ds = datasette_for(tmp_path)
    assert search_json(ds, q="chiplet")["count"] == 0
    assert ids(search_json(ds, q="hbm")) == [aid["a"]]
    db = index.open_index(tmp_path / "index.db")
    table = search.WORDS_TABLE
    db.execute(f"insert into {table}({table}) values('integrity-check')")
    assert word_matches(db, '"hbm3"') == 1
    db.execute("update articles set title = ? where id = ?", ["Café news", aid["a"]])
    assert (word_matches(db, '"cafe"'), word_matches(db, '"hbm"')) == (1, 0)
    db.execute("delete from articles where id = ?", [aid["a"]])
    assert (word_matches(db, '"cafe"'), word_matches(db, '"hbm3"')) == (0, 0)
    db.execute(f"insert into {table}({table}) values('integrity-check')")
    db.close()


def test_an_m006_index_gets_the_word_index_in_place(tmp_path: Path) -> None:
    db = index.Database(tmp_path / "index.db")
    index.prepare(db)
    index.migrations.apply(db, stop_before="m007_word_search")
    article = item(1, "MiniLED电视", "<p>Chiplet封装。</p>")
    row = index.article_row(
        article, article_id="a" * 16, path="a.md", content_hash="h", profile="hexo", image_mode="o"
    )
    db["articles"].insert({**row, "first_seen": "x", "last_seen": "x"})
    assert search.WORDS_TABLE not in db.table_names()
    db.close()
    assert index.pending_migrations(tmp_path / "index.db") == ["m007_word_search"]
    index.open_index(tmp_path / "index.db").close()
    assert index.pending_migrations(tmp_path / "index.db") == []
    ds = datasette_for(tmp_path)
    assert ids(search_json(ds, q="chiplet")) == ["a" * 16]
    assert ids(search_json(ds, q="MiniLED")) == ["a" * 16]


def test_reindex_builds_the_word_index(tmp_path: Path) -> None:
    aid = save_all(tmp_path, {"a": item(1, "Chiplet进展", "<p>采用HBM3内存。</p>")})
    (tmp_path / "index.db").unlink()
    maintenance.reindex(tmp_path)
    ds = datasette_for(tmp_path)
    assert search_json(ds, q="hbm")["index"] == search.WORDS_TABLE
    assert ids(search_json(ds, q="hbm")) == [aid["a"]]
    assert ids(search_json(ds, q="chiplet")) == [aid["a"]]
