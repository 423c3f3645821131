"""Datasette on the archive's index: metadata, search, facets, canned queries, rendering.

Runs Datasette 0.65 in-process through its test client (``datasette.client``) on an index
written by the real writer (``archive.store.Archive``), plus rows inserted here for the
tables other commands fill (crawl_runs, failures.run_id, revisions).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from datasette.app import Datasette

from archive import datasette_metadata as dm
from archive import datasette_plugin as plugin
from archive.frontmatter_files import ExportOptions
from archive.html import html_to_text
from archive.index import open_index
from archive.items import ArticleItem, ImageRef
from archive.store import Archive
from tests.conftest import run_cli

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f4d7e90000000049454e44ae426082"
)

HOSTILE_BODY = """\
<p>安全的段落：碳排放监测。</p>
<script>document.title='PWNED-script';window.__pwned='script'</script>
<img src="x" onerror="document.title='PWNED-onerror';window.__pwned='onerror'">
<p><a href="javascript:window.__pwned='js-link'">javascript 链接</a>
<a href="JaVaScRiPt:alert(1)">mixed case</a> <a href="jav&#x09;ascript:alert(2)">tab</a>
<a href="data:text/html,<script>alert(3)</script>">data link</a></p>
<div style="background:url(javascript:alert(4));width:expression(alert(5))">CSS 表达式</div>
<style>body{background:url(javascript:alert(6))} p{behavior:url(x.htc)}</style>
<svg onload="window.__pwned='svg'"><script>window.__pwned='svg-script'</script></svg>
<svg><animate onbegin="window.__pwned='animate'" attributeName="x" dur="1s"/></svg>
<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoNyk+">
<iframe src="javascript:parent.__pwned='iframe'"></iframe>
<iframe srcdoc="&lt;script&gt;parent.__pwned='srcdoc'&lt;/script&gt;"></iframe>
<object data="data:text/html,<script>alert(8)</script>"></object>
<embed src="javascript:alert(9)">
<form action="javascript:alert(10)"><button formaction="javascript:alert(11)">提交</button>
<input autofocus onfocus="window.__pwned='autofocus'"></form>
<details open ontoggle="window.__pwned='details'"><summary>x</summary></details>
<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned='mxss'"></style>
</mglyph></table></mtext></math>
<base href="javascript:alert(12)//">
<meta http-equiv="refresh" content="0;url=javascript:alert(13)">
<body onload="window.__pwned='body'"><video><source onerror="window.__pwned='video'"></video>
<p onclick="window.__pwned='click'" onmouseover="window.__pwned='hover'">最后一段 GPU。</p>
"""
"""A stored body that would run script in eight ways if rendered as stored."""

FORBIDDEN = (
    "<script",
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "onfocus",
    "ontoggle",
    "onbegin",
    "javascript:",
    "data:",
    "expression(",
    "<style",
    "<svg",
    "<iframe",
    "<object",
    "<embed",
    "<form",
    "<button",
    "<input",
    "<base",
    "<meta",
    "<math",
    "<video",
    "srcdoc",
    "style=",
    "behavior",
)


def item(
    n: int,
    title: str,
    body: str,
    *,
    portal: str = "ofweek",
    published: datetime | None = None,
    author: str = "高科技行业门户",
    categories: list[str] | None = None,
    images: list[ImageRef] | None = None,
) -> ArticleItem:
    url = f"http://portal.test/{portal}/ART-{n}.html"
    return ArticleItem(
        url=url,
        canonical_url=url,
        portal=portal,
        title=title,
        title_raw=title,
        author=author,
        categories=categories if categories is not None else ["新媒体", "高科技行业门户", "新闻"],
        published=published,
        body_html=body,
        body_text=html_to_text(body),
        images=images or [],
        parser=f"{portal}.V1",
    )


@dataclass
class Fixture:
    root: Path
    ids: dict[str, str]


def build_archive(root: Path) -> Fixture:
    """Three articles (two portals, two months), images downloaded and failed, runs."""
    ok = ImageRef(
        url="http://img.test/1.png", alt="图1", status="downloaded", path="aaa111.png", checksum="x"
    )
    bad = ImageRef(url="http://img.test/2.jpg", alt="图2", status="failed", error="HTTP 403")
    items = {
        "lenovo": item(
            1,
            "联想集团发布绿色计划",
            '<p>据统计，我国<b>碳排放</b>监测体系完善。</p><p><img src="http://img.test/1.png" '
            'alt="图1"></p><p><img src="http://img.test/2.jpg" alt="图2"></p>'
            '<p><a href="http://portal.test/more">原文</a></p>',
            published=datetime(2022, 8, 25, 8, 9, tzinfo=UTC),
            images=[ok, bad],
        ),
        "gpu": item(
            2,
            "算力芯片供不应求",
            "<p>新一代GPU集群投入使用，光伏企业也在扩产。</p>",
            published=datetime(2022, 7, 2, 1, 0, tzinfo=UTC),
            categories=["新媒体", "电子"],
        ),
        "pv": item(
            3,
            "光伏价格回落",
            "<p>组件价格下降50%以上，碳中和目标推动装机。</p>",
            portal="gg",
            author="高工锂电",
            published=datetime(2022, 8, 3, 2, 0, tzinfo=UTC),
            categories=["锂电"],
        ),
    }
    ids = {}
    with Archive(root, ExportOptions(fsync=False)) as archive:
        for key, article in items.items():
            ids[key] = archive.save(article).article_id
        db = archive.db
        db["crawl_runs"].insert_all(
            [
                {
                    "id": 1,
                    "portal": "ofweek",
                    "started": "2022-08-01T00:00:00+00:00",
                    "status": "finished",
                },
                {
                    "id": 2,
                    "portal": "ofweek",
                    "started": "2022-08-02T00:00:00+00:00",
                    "status": "finished",
                },
                {
                    "id": 3,
                    "portal": "gg",
                    "started": "2022-08-01T12:00:00+00:00",
                    "status": "failed",
                },
            ]
        )
        db["failures"].insert_all(
            [
                {
                    "url": "http://portal.test/old.html",
                    "portal": "ofweek",
                    "reason": "http_500",
                    "attempts": 1,
                    "run_id": 1,
                },
                {
                    "url": "http://portal.test/404.html",
                    "portal": "ofweek",
                    "reason": "http_404",
                    "attempts": 2,
                    "run_id": 2,
                },
                {
                    "url": "http://portal.test/gg.html",
                    "portal": "gg",
                    "reason": "timeout",
                    "attempts": 1,
                    "run_id": 3,
                },
                {
                    "url": "http://portal.test/legacy.html",
                    "portal": "ofweek",
                    "reason": "dns",
                    "attempts": 1,
                    "run_id": None,
                },
            ]
        )
        db["revisions"].insert_all(
            [
                {
                    "article_id": ids["lenovo"],
                    "changed_at": "2022-08-26T00:00:00+00:00",
                    "changed_fields": '["body"]',
                    "old_title": "联想集团发布绿色计划",
                    "old_hash": "h1",
                    "new_hash": "h2",
                },
                {
                    "article_id": ids["lenovo"],
                    "changed_at": "2022-08-27T00:00:00+00:00",
                    "changed_fields": '["title", "path"]',
                    "old_title": "联想绿色计划",
                    "old_hash": "h0",
                    "new_hash": "h1",
                },
            ]
        )
    image = root / "assets" / "aaa111.png"
    image.parent.mkdir(parents=True)
    image.write_bytes(PNG_1PX)
    return Fixture(root, ids)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build_archive(tmp_path_factory.mktemp("archive"))


def datasette_for(root: Path, index: Path | None = None, **options: Any) -> Datasette:
    """A Datasette as ``serve`` configures it: immutable index, metadata, /images/ mount."""
    metadata = dm.build_metadata(posts_dir=str(root / "posts"), **options)
    return Datasette(
        immutables=[str(index or root / "index.db")],
        metadata=metadata,
        static_mounts=list(dm.static_mounts(root).items()),
    )


def fetch(ds: Datasette, path: str) -> httpx.Response:
    """GET ``path`` through Datasette's test client (on its own loop, in a worker thread)."""

    async def go() -> httpx.Response:
        await ds.invoke_startup()
        return await ds.client.get(path)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, go()).result()


def rows(ds: Datasette, path: str, **params: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({**params, "_shape": "objects"})
    response = fetch(ds, f"{path}.json?{query}")
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


@pytest.fixture(scope="module")
def ds(archive: Fixture) -> Datasette:
    return datasette_for(archive.root)


# --- metadata ---------------------------------------------------------------------------


def test_every_column_of_the_schema_has_a_description(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    tables = {t for t in db.table_names() if not t.startswith("articles_fts")}
    assert set(dm.COLUMNS) == tables, "describe new tables in archive/datasette_metadata.py"
    for table in tables:
        assert set(dm.COLUMNS[table]) == set(db[table].columns_dict), table
        assert all(text.strip() for text in dm.COLUMNS[table].values())


def test_metadata_round_trips_through_yaml_and_keeps_the_two_kinds_apart() -> None:
    meta = dm.build_metadata(image_mode="proxy", image_proxy="https://proxy.test/?{url}")
    assert yaml.safe_load(dm.dump_yaml(meta)) == meta
    assert "中文" in dm.dump_yaml(meta)  # Unicode kept, not \\u-escaped
    described = dm.descriptive_metadata()
    configured = dm.configuration()
    config_keys = {
        "sort_desc",
        "facets",
        "fts_table",
        "queries",
        "plugins",
        "label_column",
        "hidden",
    }
    assert not config_keys & set(_all_keys(described))
    assert not {"title", "description", "columns", "license", "source"} & set(_all_keys(configured))
    assert meta["plugins"]["portal-archive"]["image_mode"] == "proxy"
    articles = meta["databases"]["index"]["tables"]["articles"]
    assert articles["sort_desc"] == "published"
    assert articles["facets"] == [
        "portal",
        {"array": "categories"},
        "author",
        {"month": "published"},
    ]
    with pytest.raises(ValueError, match="image mode"):
        dm.build_metadata(image_mode="inline")


def _all_keys(value: Any) -> Iterator[str]:
    """Option names in a metadata dict (not table names; canned queries as one option)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            if key == "tables":
                for nested in inner.values():
                    yield from _all_keys(nested)
            elif key != "queries":
                yield from _all_keys(inner)


def test_datasette_argv_is_immutable_local_and_loads_the_metadata(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    argv = dm.datasette_argv(
        tmp_path / "index.db",
        tmp_path / "m.yaml",
        host="127.0.0.1",
        port=0,
        mounts=dm.static_mounts(tmp_path),
        python="/venv/bin/python",
    )
    assert argv[:4] == ["/venv/bin/python", "-m", "datasette", "serve"]
    assert argv[argv.index("--immutable") + 1] == str(tmp_path / "index.db")
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "0"
    assert argv[argv.index("--metadata") + 1] == str(tmp_path / "m.yaml")
    assert argv[argv.index("--static") + 1] == f"assets:{(tmp_path / 'assets').resolve()}"
    settings = {argv[i + 1]: argv[i + 2] for i, arg in enumerate(argv) if arg == "--setting"}
    assert settings == {"sql_time_limit_ms": "3000", "suggest_facets": "off"}
    assert argv.count(str(tmp_path / "index.db")) == 1  # only as --immutable, never mutable
    assert dm.static_mounts(tmp_path / "missing") == {}


def test_metadata_file_is_named_by_content(tmp_path: Path) -> None:
    first = dm.write_metadata_file("a: 1\n", tmp_path)
    again = dm.write_metadata_file("a: 1\n", tmp_path)
    other = dm.write_metadata_file("a: 2\n", tmp_path)
    assert first == again != other
    assert first.read_text(encoding="utf-8") == "a: 1\n"


def test_serve_without_an_index_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "serve", "--port", "0")
    assert result.returncode == 1
    assert f"no index at {tmp_path / 'index.db'}" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_plugin_is_registered_through_the_entry_point(ds: Datasette) -> None:
    names = {p["name"] for p in fetch(ds, "/-/plugins.json").json()}
    assert "portal-archive" in names
    metadata = fetch(ds, "/-/metadata.json").json()
    assert metadata["title"] == "Portal Archive"
    assert set(metadata["databases"]["index"]["queries"]) == {*dm.QUERIES, dm.FEED_QUERY}


# --- search and facets ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("碳排放", ["lenovo"]),
        ("联想集团", ["lenovo"]),
        ("gpu", ["gpu"]),
        ("GPU", ["gpu"]),
        ("碳中和", ["pv"]),
        ("光伏价格", ["pv"]),
        ("碳排", []),
        ("光伏 价格", []),
    ],
)
def test_search_box_uses_the_trigram_index(
    ds: Datasette, archive: Fixture, query: str, expected: list[str]
) -> None:
    found = [r["id"] for r in rows(ds, "/index/articles", _search=query)]
    assert found == [archive.ids[key] for key in expected]


def test_search_page_shows_the_box_and_the_matches(ds: Datasette) -> None:
    page = fetch(ds, "/index/articles?" + urllib.parse.urlencode({"_search": "碳排放"})).text
    assert 'name="_search"' in page
    assert re.search(r"1 row where search matches (&#34;|\")碳排放", page)


def test_default_sort_is_newest_first(ds: Datasette, archive: Fixture) -> None:
    found = [r["id"] for r in rows(ds, "/index/articles")]
    assert found == [archive.ids[k] for k in ("lenovo", "pv", "gpu")]


def facet_counts(ds: Datasette, path: str) -> dict[str, dict[str, int]]:
    data = fetch(ds, path).json()
    return {
        name: {str(v["value"]): v["count"] for v in facet["results"]}
        for name, facet in data["facet_results"].items()
    }


def test_facets_portal_category_author_month(ds: Datasette) -> None:
    counts = facet_counts(ds, "/index/articles.json")
    assert counts == {
        "portal": {"ofweek": 2, "gg": 1},
        "categories": {"新媒体": 2, "高科技行业门户": 1, "新闻": 1, "电子": 1, "锂电": 1},
        "author": {"高科技行业门户": 2, "高工锂电": 1},
        "published": {"2022-08": 2, "2022-07": 1},
    }


def test_month_facet_value_filters_and_is_selected(ds: Datasette, archive: Fixture) -> None:
    path = "/index/articles.json?published__startswith=2022-08"
    data = fetch(ds, path).json()
    assert sorted(r[0] for r in data["rows"]) == sorted([archive.ids["lenovo"], archive.ids["pv"]])
    month = {v["value"]: v for v in data["facet_results"]["published"]["results"]}
    assert month["2022-08"]["selected"] is True
    assert "published__startswith" not in month["2022-08"]["toggle_url"]
    counts = facet_counts(ds, "/index/articles.json?categories__arraycontains=新闻")
    assert counts["portal"] == {"ofweek": 1}


# --- canned queries -----------------------------------------------------------------------


def test_every_canned_query_runs_on_an_empty_index(tmp_path: Path) -> None:
    open_index(tmp_path / "index.db").close()
    empty = datasette_for(tmp_path)
    for name in dm.QUERIES:
        assert rows(empty, f"/index/{name}") == [], name


def test_latest_articles(ds: Datasette, archive: Fixture) -> None:
    found = rows(ds, "/index/latest_articles")
    assert [r["article_id"] for r in found] == [archive.ids[k] for k in ("lenovo", "pv", "gpu")]
    assert found[0]["title"] == "联想集团发布绿色计划"
    assert found[0]["image_count"] == 2


def test_articles_per_portal_per_month(ds: Datasette) -> None:
    found = rows(ds, "/index/articles_per_portal_per_month")
    assert [(r["portal"], r["month"], r["articles"], r["images"]) for r in found] == [
        ("gg", "2022-08", 1, 0),
        ("ofweek", "2022-08", 1, 2),
        ("ofweek", "2022-07", 1, 0),
    ]


def test_changed_articles_with_their_revisions(ds: Datasette, archive: Fixture) -> None:
    found = rows(ds, "/index/changed_articles")
    assert [r["changed_at"][:10] for r in found] == ["2022-08-27", "2022-08-26"]
    assert {r["article_id"] for r in found} == {archive.ids["lenovo"]}
    assert found[0]["title"] == "联想集团发布绿色计划"
    assert found[0]["old_title"] == "联想绿色计划"
    assert json.loads(found[0]["changed_fields"]) == ["title", "path"]
    assert found[0]["revisions"] == 2


def test_failed_urls_of_the_last_run_of_each_portal(ds: Datasette) -> None:
    found = rows(ds, "/index/failed_urls_last_run")
    assert [(r["url"], r["run_id"], r["run_status"]) for r in found] == [
        ("http://portal.test/gg.html", 3, "failed"),
        ("http://portal.test/404.html", 2, "finished"),
    ]


def test_articles_whose_images_failed(ds: Datasette, archive: Fixture) -> None:
    found = rows(ds, "/index/articles_with_failed_images")
    assert len(found) == 1
    assert found[0]["article_id"] == archive.ids["lenovo"]
    assert (found[0]["failed_images"], found[0]["image_count"]) == (1, 2)
    assert found[0]["errors"] == "HTTP 403"
    assert found[0]["failed_urls"] == "http://img.test/2.jpg"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("碳", ["lenovo", "pv"]),
        ("光伏", ["pv", "gpu"]),
        ("碳排", ["lenovo"]),
        ("gpu", ["gpu"]),
        ("%", []),  # punctuation only: no search (the old LIKE scan matched a literal %)
        ("_", []),
        ("", []),
        ("没有", []),
    ],
)
def test_short_terms_are_searched_by_the_search_page(
    ds: Datasette, archive: Fixture, q: str, expected: list[str]
) -> None:
    """1–2-character terms (the former ``search_short`` canned query's job) through
    ``/-/search``'s character index, newest first."""
    assert "search_short" not in dm.QUERIES
    response = fetch(ds, "/-/search.json?" + urllib.parse.urlencode({"q": q, "sort": "date"}))
    found = response.json()["rows"]
    assert [r["id"] for r in found] == [archive.ids[k] for k in expected]
    for row in found:
        assert q.lower() in (row["title"] + row["snippet"]).lower()


def test_canned_query_links_to_the_article_page(ds: Datasette, archive: Fixture) -> None:
    page = fetch(ds, "/index/latest_articles").text
    assert f'<a href="/index/articles/{archive.ids["gpu"]}">{archive.ids["gpu"]}</a>' in page


# --- rendering ----------------------------------------------------------------------------


def body_cell(page: str) -> str:
    match = re.search(r'<div class="portal-archive-body">(.*?)</div>\s*</td>', page, re.S)
    assert match, "the row page has no rendered body"
    return match.group(1)


def test_row_page_renders_the_body_with_local_images(ds: Datasette, archive: Fixture) -> None:
    page = fetch(ds, f"/index/articles/{archive.ids['lenovo']}").text
    body = body_cell(page)
    assert "<p>据统计，我国<b>碳排放</b>监测体系完善。</p>" in body
    assert '<img src="/assets/aaa111.png" alt="图1"' in body  # downloaded copy
    assert '<img src="http://img.test/2.jpg" alt="图2"' in body  # failed: original URL
    assert 'referrerpolicy="no-referrer"' in body
    assert '<a href="http://portal.test/more" rel="noopener nofollow">原文</a>' in body
    files = re.findall(r'<a href="(/posts/[^"]+)">', page)
    assert files and files[0].startswith("/posts/ofweek/2022-08/")
    assert '<a href="http://portal.test/ofweek/ART-1.html">' in page  # original URL


@pytest.mark.parametrize(
    ("mode", "first", "second"),
    [
        ("origin", "http://img.test/1.png", "http://img.test/2.jpg"),
        (
            "proxy",
            "https://proxy.test/?http://img.test/1.png",
            "https://proxy.test/?http://img.test/2.jpg",
        ),
    ],
)
def test_image_modes(archive: Fixture, mode: str, first: str, second: str) -> None:
    ds = datasette_for(archive.root, image_mode=mode, image_proxy="https://proxy.test/?{url}")
    body = body_cell(fetch(ds, f"/index/articles/{archive.ids['lenovo']}").text)
    assert re.findall(r'<img src="([^"]+)"', body) == [first, second]


def test_plain_datasette_without_our_metadata_is_still_safe(archive: Fixture) -> None:
    """``datasette serve -i index.db`` loads the plugin (entry point) but no settings."""
    ds = Datasette(immutables=[str(archive.root / "index.db")])
    page = fetch(ds, f"/index/articles/{archive.ids['lenovo']}").text
    body = body_cell(page)
    assert re.findall(r'<img src="([^"]+)"', body) == [
        "http://img.test/1.png",
        "http://img.test/2.jpg",
    ]
    assert '<a href="/posts/' not in page
    assert "content-security-policy" not in fetch(ds, "/index/articles").headers


def test_table_views_show_a_snippet_not_the_html(ds: Datasette) -> None:
    page = fetch(ds, "/index/articles").text
    assert "portal-archive-body" not in page
    assert (
        '<span class="portal-archive-snippet">据统计，我国碳排放监测体系完善。 原文</span>' in page
    )
    assert "<b>碳排放</b>" not in page


def test_long_bodies_are_cut_in_tables_and_whole_on_the_row_page(tmp_path: Path) -> None:
    long = "".join(f"<p>第{i}段：储能电池出海调研，内容很长。</p>" for i in range(200))
    with Archive(tmp_path, ExportOptions(fsync=False)) as archive:
        aid = archive.save(item(9, "长文章", long, published=datetime(2022, 8, 1, tzinfo=UTC)))
    ds = datasette_for(tmp_path)
    table = fetch(ds, "/index/articles").text
    snippet = re.search(r'<td class="col-body type-str"><span[^>]*>(.*?)</span>', table)
    assert snippet and snippet.group(1).endswith("…")
    assert len(snippet.group(1)) == plugin.SNIPPET_CHARS + 1
    assert "第199段" in body_cell(fetch(ds, f"/index/articles/{aid.article_id}").text)


@pytest.fixture(scope="module")
def hostile(archive: Fixture, tmp_path_factory: pytest.TempPathFactory) -> tuple[Datasette, str]:
    """A copy of the index whose stored body is hostile, written directly into the row."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(archive.root, root, dirs_exist_ok=True)
    aid = archive.ids["gpu"]
    with sqlite3.connect(root / "index.db") as conn:
        conn.execute("update articles set body = ? where id = ?", [HOSTILE_BODY, aid])
    conn.close()
    return datasette_for(root), aid


def test_hostile_stored_body_is_sanitized_on_the_row_page(hostile: tuple[Datasette, str]) -> None:
    ds, aid = hostile
    stored = rows(ds, "/index/articles", id=aid)[0]["body"]
    assert "<script>" in stored and "onerror" in stored  # the row really is hostile
    body = body_cell(fetch(ds, f"/index/articles/{aid}").text)
    lowered = body.lower()
    for token in FORBIDDEN:
        assert token not in lowered, token
    assert "<p>安全的段落：碳排放监测。</p>" in body
    assert "最后一段 GPU。" in body
    assert "PWNED" not in body and "__pwned" not in body


def test_hostile_stored_body_is_plain_text_in_tables(hostile: tuple[Datasette, str]) -> None:
    ds, aid = hostile
    page = fetch(ds, "/index/articles?" + urllib.parse.urlencode({"id": aid})).text
    snippet = re.search(r'<td class="col-body type-str">(.*?)</td>', page, re.S)
    assert snippet
    assert "<script" not in snippet.group(1) and "<img" not in snippet.group(1)
    assert snippet.group(1).startswith('<span class="portal-archive-snippet">安全的段落')


@pytest.mark.parametrize(
    ("payload", "kept"),
    [
        ('<p onclick="x()">hi<script>alert(1)</script></p>', "<p>hi</p>"),
        ('<img src="http://a.test/i.png" onerror="x()">', '<img src="http://a.test/i.png"'),
        ('<a href="javascript:alert(1)">j</a>', '<a rel="noopener nofollow">j</a>'),
        (
            '<a href="https://a.test/" target="_top" onclick="x">ok</a>',
            '<a href="https://a.test/" rel="noopener nofollow">ok</a>',
        ),
        ('<img src="data:image/png;base64,AAAA">', "<img "),
        ('<span style="width:expression(alert(1))">e</span>', "<span>e</span>"),
        ("<svg><g onload=alert(1)>t</g></svg>x", "x"),
        ("<style>p{color:red}</style><p>y</p>", "<p>y</p>"),
        ("<iframe src=https://a.test></iframe>z", "z"),
        ("<form><input value=1>w</form>", ""),
        (
            "<table><tr><td colspan=2 onmouseover=x>c</td></tr></table>",
            '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>',
        ),
        ("<ul><li>一</li></ul><ol start=3><li>二</li></ol>", '<ul><li>一</li></ul><ol start="3">'),
    ],
)
def test_sanitizer_allow_list(payload: str, kept: str) -> None:
    clean = plugin.sanitize_for_display(payload, plugin.RenderOptions(image_mode="origin"))
    assert kept in clean
    for token in (
        "script",
        "onerror",
        "onclick",
        "javascript",
        "data:",
        "style",
        "svg",
        "iframe",
        "input",
        "form",
        "onmouseover",
        "target",
    ):
        assert token not in clean


def test_pure_helpers() -> None:
    table = "/index/articles"
    assert plugin.is_row_page("/index/articles/abc", table)
    assert not plugin.is_row_page("/index/articles", table)
    assert not plugin.is_row_page("/index/articles/abc.json", table)
    assert not plugin.is_row_page("/index/articles_fts/1", table)
    assert not plugin.is_row_page(None, table)
    assert plugin.snippet("一二三四五", 3) == "一二三…"
    assert plugin.snippet(" a \n b ", 10) == "a b"
    text = plugin.plain_text("<p>a &amp; b<script>evil()</script></p><style>x{}</style>c")
    assert text == "a & b c"
    assert plugin.plain_text("<p>One.</p><p>Two<br>three &lt;b&gt;</p>") == "One. Two three <b>"
    assert plugin.mounted_url("/images/", "full/a b.jpg") == "/images/full/a%20b.jpg"
    local = plugin.RenderOptions()
    assert plugin.image_src("http://i.test/a.jpg", local, {"http://i.test/a.jpg": "a.jpg"}) == (
        "/assets/a.jpg"
    )
    assert plugin.image_src("http://i.test/b.jpg", local, {}) == "http://i.test/b.jpg"
    with pytest.raises(ValueError, match="image_mode"):
        plugin.RenderOptions.from_config({"image_mode": "inline"})
    headers = plugin.static_headers(
        "/images/full/a.svg", [(b"content-type", b"image/svg+xml")], ["/images/"]
    )
    assert (b"content-security-policy", b"default-src 'none'; img-src 'self'; sandbox") in headers
    assert plugin.static_headers("/index/articles", [(b"a", b"b")], ["/images/"]) == [(b"a", b"b")]
    assert plugin.static_headers("/index/articles", [(b"a", b"b")], ["", "/"]) == [(b"a", b"b")]


# --- archived files and images ------------------------------------------------------------


def test_archived_file_link_serves_the_post_as_text(ds: Datasette, archive: Fixture) -> None:
    page = fetch(ds, f"/index/articles/{archive.ids['lenovo']}").text
    link = re.findall(r'<a href="(/posts/[^"]+)">', page)[0]
    response = fetch(ds, link)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "sandbox" in response.headers["content-security-policy"]
    assert "title: '联想集团发布绿色计划'" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/posts/..%2Findex.db",
        "/posts/%2E%2E/%2E%2E/etc/passwd",
        "/posts/ofweek/missing.md",
        "/posts/%2Fetc%2Fpasswd",
        "/posts/ofweek",
    ],
)
def test_posts_route_refuses_anything_but_archived_files(ds: Datasette, path: str) -> None:
    assert fetch(ds, path).status_code == 404


def test_downloaded_images_are_served_sandboxed(ds: Datasette) -> None:
    response = fetch(ds, "/assets/aaa111.png")
    assert response.status_code == 200
    assert response.content == PNG_1PX
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    assert "content-security-policy" not in fetch(ds, "/index").headers
