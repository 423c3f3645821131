"""The archive as a feed and a dashboard: ``/index/feed.atom``, the health dashboard's
queries, ``robots.txt``.

Datasette 0.65 in-process (its test client, as in tests/test_datasette.py) on an index
written by the real writer; feeds are parsed with feedparser. Parsing uses
``sanitize_html=False`` where the content itself is checked: feedparser sanitizes by default,
which would hide what the feed really sends. The dashboard's rendering is checked in a real
browser by tests/test_browser_dashboard.py; robots.txt on a real ``serve`` there too.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import datasette_atom
import feedparser
import pytest
from datasette.app import Datasette

from archive import datasette_metadata as dm
from archive import datasette_plugin as plugin
from archive.frontmatter_files import ExportOptions
from archive.index import open_index
from archive.store import Archive
from tests.test_datasette import (
    FORBIDDEN,
    HOSTILE_BODY,
    Fixture,
    build_archive,
    datasette_for,
    fetch,
    item,
    rows,
)

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
"""RFC 3339 ``date-time`` (Atom's date construct, RFC 4287 §3.3)."""

MANY = 55
"""Articles in the large archive: more than one feed holds."""

UNDATED = "http://portal.test/ofweek/ART-999.html"
"""Canonical URL of the large archive's undated article."""


def feed(ds: Datasette, query: str = "", **parse: Any) -> Any:
    """``/index/feed.atom?query`` parsed by feedparser; the response must be well-formed."""
    response = fetch(ds, "/index/feed.atom" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    parsed = feedparser.parse(response.text, **parse)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def ids(parsed: Any) -> list[str]:
    return [entry.id for entry in parsed.entries]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build_archive(tmp_path_factory.mktemp("feeds"))


@pytest.fixture(scope="module")
def ds(archive: Fixture) -> Datasette:
    return datasette_for(archive.root)


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> tuple[Datasette, list[str]]:
    """``MANY`` dated articles (two portals, two categories) and one undated; returns the
    canonical URLs of the dated ones, newest first."""
    root = tmp_path_factory.mktemp("many")
    start = datetime(2023, 1, 1, 8, 0, tzinfo=UTC)
    urls = []
    with Archive(root, ExportOptions(fsync=False)) as archive:
        for n in range(MANY):
            portal = "ofweek" if n % 2 else "ithome"
            article = item(
                100 + n,
                f"储能电池第{n}期观察",
                f"<p>第{n}期：储能电池价格走势。</p>",
                portal=portal,
                published=start + timedelta(hours=n),
                categories=["储能"] if n % 3 == 0 else ["电池"],
            )
            archive.save(article)
            urls.append(article.canonical_url)
        archive.save(item(999, "没有日期的文章", "<p>储能电池，日期不明。</p>", published=None))
    return datasette_for(root), urls[::-1]


# --- the feed ---------------------------------------------------------------------------


def test_the_feed_holds_the_newest_50_articles_newest_first(
    many: tuple[Datasette, list[str]],
) -> None:
    ds, newest_first = many
    parsed = feed(ds)
    assert len(parsed.entries) == dm.FEED_LIMIT == 50
    assert ids(parsed) == newest_first[:50]
    assert parsed.feed.title == "Portal Archive: newest articles"
    assert RFC3339.match(parsed.feed.updated)
    assert parsed.feed.updated_parsed == parsed.entries[0].updated_parsed  # the newest entry


def test_entries_carry_title_original_url_date_author_and_body(
    ds: Datasette, archive: Fixture
) -> None:
    parsed = feed(ds, sanitize_html=False)
    by_title = {entry.title: entry for entry in parsed.entries}
    assert list(by_title) == ["联想集团发布绿色计划", "光伏价格回落", "算力芯片供不应求"]
    lenovo = by_title["联想集团发布绿色计划"]
    assert lenovo.id == "http://portal.test/ofweek/ART-1.html"  # the canonical URL
    assert lenovo.link == "http://portal.test/ofweek/ART-1.html"  # the original page
    assert lenovo.updated == "2022-08-25T08:09:00+00:00"  # the publication date
    assert RFC3339.match(lenovo.updated)
    assert lenovo.author == "高科技行业门户"
    (content,) = lenovo.content
    assert content.type == "text/html"
    assert "<p>据统计，我国<b>碳排放</b>监测体系完善。</p>" in content.value
    assert '<a href="http://portal.test/more">原文</a>' in content.value
    for entry in parsed.entries:
        assert RFC3339.match(entry.updated), entry.updated


def test_entry_ids_are_unique_and_stable(
    many: tuple[Datasette, list[str]], archive: Fixture
) -> None:
    ds, _ = many
    first = ids(feed(ds))
    assert len(set(first)) == len(first)
    assert ids(feed(ds)) == first
    again = datasette_for(archive.root)  # another server on the same index
    assert ids(feed(again)) == ids(feed(datasette_for(archive.root)))
    narrowed = ids(feed(ds, "portal=ofweek"))
    assert narrowed and set(narrowed) <= {*many[1], UNDATED}  # the same id in every feed


def test_an_undated_article_is_last_and_dated_by_first_seen(tmp_path: Path) -> None:
    with Archive(tmp_path, ExportOptions(fsync=False)) as archive:
        archive.save(
            item(1, "有日期的文章", "<p>有日期。</p>", published=datetime(2022, 1, 1, tzinfo=UTC))
        )
        undated = archive.save(item(2, "没有日期的文章", "<p>无日期。</p>", published=None))
        first_seen = archive.db["articles"].get(undated.article_id)["first_seen"]
    entries = feed(datasette_for(tmp_path)).entries
    assert [e.title for e in entries] == ["有日期的文章", "没有日期的文章"]
    assert entries[1].updated == first_seen


def test_portal_narrows_the_feed(many: tuple[Datasette, list[str]]) -> None:
    ds, newest_first = many
    ofweek = [url for url in newest_first if "/ofweek/" in url]
    assert ids(feed(ds, "portal=ofweek")) == [*ofweek, UNDATED]  # undated last
    assert ids(feed(ds, "portal=ithome")) == [url for url in newest_first if "/ithome/" in url]
    assert ids(feed(ds, "portal=nosuchportal")) == []


def test_category_narrows_the_feed(many: tuple[Datasette, list[str]]) -> None:
    ds, newest_first = many
    number = re.compile(r"ART-(\d+)\.html$")
    storage = [u for u in newest_first if (int(number.findall(u)[0]) - 100) % 3 == 0]  # 储能
    assert ids(feed(ds, urllib.parse.urlencode({"category": "储能"}))) == storage
    both = ids(feed(ds, urllib.parse.urlencode({"category": "储能", "portal": "ithome"})))
    assert both and both == [url for url in storage if "/ithome/" in url]


def search_page_finds(ds: Datasette, term: str, limit: int = dm.FEED_LIMIT) -> list[str]:
    """Canonical URLs of what ``/-/search`` finds for ``term``, newest first (``sort=date``,
    following its pages), at most ``limit``."""
    canonical = {r["id"]: r["canonical_url"] for r in rows(ds, "/index/articles", _size="max")}
    path: str | None = "/-/search.json?" + urllib.parse.urlencode({"q": term, "sort": "date"})
    found: list[str] = []
    while path and len(found) < limit:
        data = fetch(ds, path).json()
        found += [canonical[row["id"]] for row in data["rows"]]
        path = data["next"]
    return found[:limit]


SEARCHES = [
    "碳排放",  # trigram index
    "gpu",  # an ASCII word: the word index (a word prefix), case-insensitive
    "光伏 组件",  # a 2-character word: the character index, both words must match
    "光伏",
    "碳",
    "碳 价格",
    "GPU 光伏",  # a 3- and a 2-character word
    '"联想集团',  # quotes are literal characters
    "，",  # punctuation only: no search, nothing found
    "没有这个词",
]


@pytest.mark.parametrize("term", SEARCHES)
def test_q_finds_what_the_search_page_finds(ds: Datasette, term: str) -> None:
    """``?q=`` finds exactly the articles ``/-/search`` finds for the same text (same words,
    same index, 1–2-character words through the character index), newest first."""
    found = ids(feed(ds, urllib.parse.urlencode({"q": term})))
    assert found == search_page_finds(ds, term)
    if term in {"碳排放", "gpu", "光伏", "碳", "光伏 组件", "GPU 光伏"}:
        assert found, term  # these do match something


@pytest.mark.parametrize("term", ["储能", "第1", "期观察", "储能 第2", "日期"])
def test_q_agrees_with_the_search_page_beyond_one_page(
    many: tuple[Datasette, list[str]], term: str
) -> None:
    """Over more matches than a search page holds (20) and a feed holds (50)."""
    ds, _ = many
    found = ids(feed(ds, urllib.parse.urlencode({"q": term})))
    assert found == search_page_finds(ds, term)
    assert found


def test_q_short_word_is_not_the_table_search(ds: Datasette) -> None:
    """The articles table's search box (trigram only) finds nothing for 2 characters; the
    feed, like ``/-/search``, does."""
    assert rows(ds, "/index/articles", _search="光伏") == []
    assert len(ids(feed(ds, urllib.parse.urlencode({"q": "光伏"})))) == 2


def test_a_feed_nothing_matches_is_empty_not_an_error(ds: Datasette) -> None:
    parsed = feed(ds, urllib.parse.urlencode({"q": "没有这个词的文章"}))
    assert parsed.entries == []
    assert parsed.feed.title == "Portal Archive: newest articles"
    assert RFC3339.match(parsed.feed.updated)
    assert "q=" in parsed.feed.id  # the feed's id is its URL, filters included


def test_our_renderer_replaces_datasette_atoms(ds: Datasette) -> None:
    fetch(ds, "/-/versions.json")  # startup
    render, _ = ds.renderers["atom"]
    assert render is plugin.render_atom_feed
    assert fetch(ds, "/index/articles.atom").status_code == 400  # no atom_* columns


# --- hostile markup and images ------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(archive: Fixture, tmp_path_factory: pytest.TempPathFactory) -> tuple[Datasette, str]:
    root = tmp_path_factory.mktemp("hostile-feed")
    shutil.copytree(archive.root, root, dirs_exist_ok=True)
    with sqlite3.connect(root / "index.db") as conn:
        conn.execute(
            "update articles set body = ? where id = ?", [HOSTILE_BODY, archive.ids["gpu"]]
        )
    conn.close()
    return datasette_for(root), archive.ids["gpu"]


def test_hostile_markup_does_not_survive_in_the_feed(hostile: tuple[Datasette, str]) -> None:
    ds, aid = hostile
    stored = rows(ds, "/index/articles", id=aid)[0]["body"].lower()
    assert all(token in stored for token in ("<script", "onerror", "javascript:", "<iframe"))
    (entry,) = [e for e in feed(ds, sanitize_html=False).entries if e.title == "算力芯片供不应求"]
    content = entry.content[0].value
    for token in FORBIDDEN:
        assert token not in content.lower(), token
    assert "PWNED" not in content and "__pwned" not in content
    assert "<p>安全的段落：碳排放监测。</p>" in content
    assert "最后一段 GPU。" in content


def test_datasette_atoms_own_cleaning_finds_nothing_left_to_escape() -> None:
    """The feed allow-list is inside datasette-atom's bleach list: no tag turns into text."""
    rich = (
        '<div><h2>小标题</h2><p>正文<b>加粗</b><a href="http://a.test/">链接</a></p>'
        '<table><tr><td>单元格</td></tr></table><figure><img src="http://i.test/1.png" '
        'alt="图"><figcaption>图注</figcaption></figure><ul><li>一</li></ul></div>'
    )
    for body in (rich, HOSTILE_BODY):
        html = plugin.sanitize_for_feed(body)
        assert datasette_atom.clean(html) == html
        assert "&lt;" not in html
    assert plugin.sanitize_for_feed(rich).startswith("<h2>小标题</h2><p>正文<b>加粗</b>")
    assert "单元格" in plugin.sanitize_for_feed(rich)  # table unwrapped, its text kept


@pytest.mark.parametrize(
    ("mode", "srcs"),
    [
        ("local", ["/assets/aaa111.png", "http://img.test/2.jpg"]),
        ("origin", ["http://img.test/1.png", "http://img.test/2.jpg"]),
        (
            "proxy",
            [
                "https://proxy.test/?http://img.test/1.png",
                "https://proxy.test/?http://img.test/2.jpg",
            ],
        ),
    ],
)
def test_images_follow_the_serve_image_mode(archive: Fixture, mode: str, srcs: list[str]) -> None:
    ds = datasette_for(archive.root, image_mode=mode, image_proxy="https://proxy.test/?{url}")
    (entry,) = feed(ds, "portal=ofweek&q=联想集团", sanitize_html=False).entries
    assert re.findall(r'<img [^>]*src="([^"]+)"', entry.content[0].value) == srcs


def test_a_reader_resolves_local_images_against_the_feed_url(ds: Datasette) -> None:
    base = "http://127.0.0.1:8001/index/feed.atom"
    response = fetch(ds, "/index/feed.atom?q=联想集团")
    parsed = feedparser.parse(response.text, response_headers={"content-location": base})
    (entry,) = parsed.entries
    assert 'src="http://127.0.0.1:8001/assets/aaa111.png"' in entry.content[0].value


# --- dashboard queries and robots.txt -------------------------------------------------------


def test_every_dashboard_chart_query_runs_on_an_empty_index(tmp_path: Path) -> None:
    open_index(tmp_path / "index.db").close()
    empty = datasette_for(tmp_path)
    for name, chart in dm.dashboard_charts().items():
        found = rows(empty, "/index", sql=chart["query"])
        if chart["library"] == "metric":
            assert found == [{"n": 0}], name
        else:
            assert found == [], name
    assert feed(empty).entries == []


def test_dashboard_chart_queries_count_the_archive(ds: Datasette) -> None:
    charts = dm.dashboard_charts()

    def chart(name: str) -> list[dict[str, Any]]:
        return rows(ds, "/index", sql=charts[name]["query"])

    assert chart("articles") == [{"n": 3}]
    assert chart("runs_total") == [{"n": 3}]
    months = {(r["portal"], r["month"]): r["articles"] for r in chart("per_month")}
    assert months == {("ofweek", "2022-07"): 1, ("ofweek", "2022-08"): 1, ("gg", "2022-08"): 1}
    runs = chart("runs")
    assert [(r["run"], r["kind"]) for r in runs][:3] == [(1, "new"), (1, "updated"), (1, "failed")]
    assert len(runs) == 3 * 3
    reasons = {(r["reason"], r["portal"]): r["urls"] for r in chart("failures")}
    assert reasons == {
        ("http_500", "ofweek"): 1,
        ("http_404", "ofweek"): 1,
        ("timeout", "gg"): 1,
        ("dns", "ofweek"): 1,
    }
    images = {(r["portal"], r["status"]): r["images"] for r in chart("images")}
    assert images == {("ofweek", "downloaded"): 1, ("ofweek", "failed"): 1}


def test_run_charts_show_the_newest_runs_only(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    db["crawl_runs"].insert_all(
        {"id": n, "portal": "ofweek", "status": "finished", "new": n, "parse_checked": 1}
        for n in range(1, dm.RECENT_RUNS + 11)
    )
    db.close()
    ds = datasette_for(tmp_path)
    charts = dm.dashboard_charts()
    runs = rows(ds, "/index", sql=charts["runs"]["query"])
    newest = list(range(11, dm.RECENT_RUNS + 11))
    assert [r["run"] for r in runs if r["kind"] == "new"] == newest
    assert len(runs) == 3 * dm.RECENT_RUNS
    assert [r["run"] for r in rows(ds, "/index", sql=charts["alarm"]["query"])] == newest


def test_dashboard_is_served_with_its_bundled_scripts(ds: Datasette) -> None:
    page = fetch(ds, f"/-/dashboards/{dm.DASHBOARD}")
    assert page.status_code == 200
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert any(src.endswith("/vega-lite.min.js") for src in scripts)
    for src in scripts:
        assert src.startswith("/-/static-plugins/"), src  # served locally: works offline
        assert fetch(ds, src).status_code == 200, src
    for name in dm.dashboard_charts():
        assert f'id="chart-{name}"' in page.text


def test_robots_txt_disallows_everything(ds: Datasette) -> None:
    response = fetch(ds, "/robots.txt")
    assert response.status_code == 200
    assert response.text.splitlines() == ["User-agent: *", "Disallow: /"]
