"""Real Hugo and Jekyll builds of the demo archive, and ``export --profile`` there and back.

The archive is a real crawl of the demo portal (image mode ``origin``), one article fetched
again with image mode ``proxy``, one with image mode ``local`` (one of its images fails: it
keeps its original URL), and one imported legacy post whose text holds Hugo shortcode openers
(``{{% … %}}``, ``{{< … >}}``) and Liquid/Go template braces. ``export --profile hugo``, then
``--profile jekyll``, then ``--profile hexo`` rewrite it; after each step ``verify`` is clean,
and the last step gives back the first archive byte for byte (posts, sidecars, index rows).

The Hugo and Jekyll posts are copied into the minimal sites ``tests/hugo_site/`` and
``tests/jekyll_site/`` (our own layouts, no theme, no plugin) and built with Debian's ``hugo``
and ``jekyll`` (``make test`` installs them when missing) on a machine zone of UTC; the
generated HTML is read back with parsel.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import yaml
from parsel import Selector
from sqlite_utils import Database

from archive.image_urls import wrap_proxy_url
from archive.maintenance import reindex, verify
from archive.normalize import parse_published
from archive.profiles import hugo_unescape, parse_site_post
from tests.conftest import run_cli

TESTS = Path(__file__).resolve().parent
HUGO_SITE = TESTS / "hugo_site"
JEKYLL_SITE = TESTS / "jekyll_site"
BEIJING = ZoneInfo("Asia/Shanghai")
PROXY = "https://cors.zfour.workers.dev/?{url}"
BUILD_TIMEOUT = 300

#: The demo portal's 2022-08-25 16:09 article (two images); the one fetched again in image mode
#: proxy; the one fetched again in image mode local (one of its two images answers 404).
KNOWN_ID, PROXIED_ID, LOCAL_ID = 30572367, 30569914, 30560012

BRACES = (
    '模板里写 {{% notice tip %}} 与 {{< figure src="a.png" >}}，'
    "Helm 写 {{ .Values.image.tag }}，Liquid 写 {% if enabled %} 开启 {% endif %}。"
)
#: A legacy post (Dockone frame, bare local date) whose text would break both generators.
LEGACY_POST = "\n".join(
    (
        "",
        "---",
        "title: '模板语法速查：Hugo、Jekyll 与 Helm'",
        "categories: ",
        " - 编程",
        " - Dockone",
        " - 最新文章",
        "headimg: 'https://picsum.photos/400/300?random=77'",
        "author: Dockone",
        "comments: false",
        "date: 2021-05-10 10:00:00",
        "thumbnail: 'https://picsum.photos/400/300?random=77'",
        "---",
        "",
        "<div>   ",
        f"<p>{BRACES}</p>",
        " " * 10,
        "</div>",
        " " * 12,
    )
)
TABLES = ("articles", "images", "article_categories", "image_urls", "revisions", "failures")


# --------------------------------------------------------------------------- the archive


def _is_sidecar(rel: str) -> bool:
    return rel.rpartition("/")[2].startswith(".")


def _snapshot(archive: Path) -> dict[str, bytes]:
    posts = archive / "posts"
    return {
        p.relative_to(posts).as_posix(): p.read_bytes() for p in posts.rglob("*") if p.is_file()
    }


def _tables(archive: Path) -> dict[str, list[dict[str, Any]]]:
    with closing(Database(archive / "index.db")) as db:
        return {
            table: sorted(db[table].rows, key=lambda row: repr(sorted(row.items())))
            for table in TABLES
        }


@dataclass
class Stage:
    """The archive after one step."""

    profile: str
    files: dict[str, bytes]
    """``posts/`` (sidecars included), path below it → bytes."""
    tables: dict[str, list[dict[str, Any]]]
    problems: list[str]
    """What ``verify`` reports."""
    paths: dict[int, str]
    """Demo article id → its post below ``posts/``."""
    export_output: str = ""

    def posts(self) -> dict[str, bytes]:
        return {rel: data for rel, data in self.files.items() if not _is_sidecar(rel)}


@dataclass
class Built:
    stages: list[Stage]
    archive: Path
    portal: Any
    sites: dict[str, Path] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    reindexed: tuple[dict[str, Any], dict[str, Any]] | None = None
    """(index tables before, after) ``reindex`` of (a copy of) the hugo archive."""
    same_profile_crawl: dict[str, bytes] = field(default_factory=dict)
    """``crawl --profile jekyll`` into a fresh archive: its posts."""
    stdout_post: str = ""
    """``fetch --stdout --profile hugo`` of the known article."""

    def stage(self, profile: str) -> Stage:
        return next(s for s in self.stages if s.profile == profile)

    def article(self, art_id: int) -> Any:
        return next(a for a in self.portal.articles if a.art_id == art_id)

    def row(self, art_id: int) -> dict[str, Any]:
        url = self.portal.article_url(self.article(art_id))
        rows = [r for r in self.stages[0].tables["articles"] if r["url"] == url]
        assert len(rows) == 1, url
        return rows[0]

    def image_urls(self, art_id: int) -> list[str]:
        aid = self.row(art_id)["id"]
        images = [r for r in self.stages[0].tables["images"] if r["article_id"] == aid]
        return [r["url"] for r in sorted(images, key=lambda r: r["position"])]


def _paths(archive: Path, portal: Any) -> dict[int, str]:
    with closing(Database(archive / "index.db")) as db:
        by_url = {r["url"]: r["path"] for r in db["articles"].rows}
    return {
        a.art_id: by_url[portal.article_url(a)]
        for a in portal.articles
        if portal.article_url(a) in by_url
    }


def _stage(archive: Path, portal: Any, profile: str, output: str = "") -> Stage:
    return Stage(
        profile,
        _snapshot(archive),
        _tables(archive),
        [str(p) for p in verify(archive).problems],
        _paths(archive, portal),
        output,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stderr


# --------------------------------------------------------------------------- the builds


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(
            f"{name} is not on PATH: `make test` installs Debian's {name} package when missing"
        )
    return found


def _build(argv: list[str], cwd: Path) -> str:
    env = {**os.environ, "TZ": "UTC", "NO_COLOR": "1", "LANG": "C.UTF-8"}
    result = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT, env=env, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def _write_tree(files: dict[str, bytes], root: Path) -> None:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _hugo_build(stage: Stage, assets: Path, site: Path) -> str:
    shutil.copytree(HUGO_SITE, site)
    _write_tree(stage.files, site / "content" / "posts")
    shutil.copytree(assets, site / "static" / "assets")
    return _build([_tool("hugo"), "--source", str(site), "--destination", "public"], site)


def _jekyll_build(stage: Stage, assets: Path, site: Path) -> str:
    shutil.copytree(JEKYLL_SITE, site)
    _write_tree(stage.files, site / "_posts")
    shutil.copytree(assets, site / "assets")
    argv = [_tool("jekyll"), "build", "--source", str(site), "--destination", str(site / "public")]
    return _build(argv, site)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from demo_portal import DemoPortal

    archive = tmp_path_factory.mktemp("archive")
    legacy = tmp_path_factory.mktemp("legacy") / "模板语法速查.md"
    legacy.write_text(LEGACY_POST, encoding="utf-8")
    with DemoPortal(port=0) as portal:
        _ok(run_cli(archive, "crawl", "ofweek", "--base-url", portal.base_url))
        for art_id, mode in ((PROXIED_ID, "proxy"), (LOCAL_ID, "local")):
            url = portal.article_url(next(a for a in portal.articles if a.art_id == art_id))
            argv = ("fetch", "--portal", "ofweek", "--force", "--image-mode", mode, url)
            _ok(run_cli(archive, *argv, "--image-proxy", PROXY))
        _ok(run_cli(archive, "import", str(legacy)))
        built = Built([_stage(archive, portal, "hexo")], archive, portal)

        other = tmp_path_factory.mktemp("crawled-as-jekyll")
        _ok(run_cli(other, "crawl", "ofweek", "--base-url", portal.base_url, "--profile", "jekyll"))
        built.same_profile_crawl = {
            rel: data for rel, data in _snapshot(other).items() if not _is_sidecar(rel)
        }
        known = portal.article_url(next(a for a in portal.articles if a.art_id == KNOWN_ID))
        printed = run_cli(
            other, "fetch", "--portal", "ofweek", "--stdout", "--profile", "hugo", known
        )
        _ok(printed)
        built.stdout_post = printed.stdout

    for profile in ("hugo", "jekyll", "hexo"):
        output = _ok(run_cli(archive, "export", "--profile", profile))
        built.stages.append(_stage(archive, portal, profile, output))
        if profile == "hugo":  # on a copy: reindex rebuilds image_urls' attempt history
            copy = tmp_path_factory.mktemp("reindexed") / "archive"
            shutil.copytree(archive, copy)
            report = reindex(copy)
            assert report.skipped == []
            built.reindexed = (_tables(archive), _tables(copy))
    sites = tmp_path_factory.mktemp("sites")
    built.sites["hugo"] = sites / "hugo"
    built.outputs["hugo"] = _hugo_build(built.stage("hugo"), archive / "assets", sites / "hugo")
    built.sites["jekyll"] = sites / "jekyll"
    built.outputs["jekyll"] = _jekyll_build(
        built.stage("jekyll"), archive / "assets", sites / "jekyll"
    )
    yield built


def _pages(built: Built, profile: str) -> dict[str, Path]:
    """Archived post path (below ``posts/``) → its built page, from the site's index page."""
    public = built.sites[profile] / "public"
    index = Selector(text=(public / "index.html").read_text(encoding="utf-8"))
    prefix = {"hugo": "posts/", "jekyll": "_posts/"}[profile]
    pages: dict[str, Path] = {}
    for item in index.css("li.post-item"):
        source = item.attrib["data-source"]
        assert source.startswith(prefix), source
        href = unquote(item.css("a.post-link::attr(href)").get("")).lstrip("/")
        pages[source.removeprefix(prefix)] = public / href / "index.html"
    return pages


def _page(built: Built, profile: str, art_id: int) -> Selector:
    path = built.stage(profile).paths[art_id]
    return Selector(text=_pages(built, profile)[path].read_text(encoding="utf-8"))


def _beijing(raw: str) -> datetime:
    published = parse_published(raw)
    assert published is not None, raw
    return published.astimezone(BEIJING)


# --------------------------------------------------------------------------- export there and back


def test_export_there_and_back_is_byte_identical(built: Built) -> None:
    hexo, hugo, jekyll, back = built.stages
    assert [s.profile for s in built.stages] == ["hexo", "hugo", "jekyll", "hexo"]
    for stage in built.stages:
        assert stage.problems == [], stage.profile
    posts = len(hexo.posts())
    assert posts == len(built.portal.articles) - 1 + 1  # every titled article + the import
    for stage in (hugo, jekyll, back):
        assert f"{posts} rewritten, 0 unchanged, 0 images downloaded, 0 failed" in (
            stage.export_output
        ), stage.profile
        assert len(stage.files) == 2 * posts  # each post and its sidecar, nothing left behind
    assert back.files == hexo.files
    assert back.tables == hexo.tables
    # the index follows every step: each row names its file, profile and the file's hash
    for stage in (hugo, jekyll):
        for row in stage.tables["articles"]:
            assert row["profile"] == stage.profile
            assert row["path"] in stage.files
    # each post keeps its image mode (no --image-mode given)
    modes = {r["url"]: r["image_mode"] for r in jekyll.tables["articles"]}
    assert modes == {r["url"]: r["image_mode"] for r in hexo.tables["articles"]}
    assert sorted(set(modes.values())) == ["local", "origin", "proxy"]


def test_file_names_follow_the_profile(built: Built) -> None:
    hexo, hugo, jekyll = (built.stage(p).paths[KNOWN_ID] for p in ("hexo", "hugo", "jekyll"))
    folder, _, name = hexo.rpartition("/")
    assert folder == "ofweek/2022-08"
    assert name.endswith(".md")
    assert hugo == f"{folder}/{name.removesuffix('.md')}.html"
    assert jekyll == f"{folder}/2022-08-25-{name.removesuffix('.md')}.html"
    assert f"{folder}/.{name.removesuffix('.md')}.json" in built.stage("hugo").files


def test_front_matter_is_what_each_generator_reads(built: Built) -> None:
    row = built.row(KNOWN_ID)
    images = built.image_urls(KNOWN_ID)
    hugo_text = built.stage("hugo").files[built.stage("hugo").paths[KNOWN_ID]].decode()
    assert hugo_text.startswith("+++\n")
    assert "\ndate = 2022-08-25T16:09:00+08:00\n" in hugo_text  # a TOML date-time, RFC 3339
    hugo = tomllib.loads(hugo_text.split("+++\n")[1])
    assert hugo == {
        "title": row["title"],
        "date": datetime(2022, 8, 25, 16, 9, tzinfo=hugo["date"].tzinfo),
        "draft": False,
        "slug": row["id"],
        "author": "高科技行业门户",
        "categories": ["新媒体", "高科技行业门户", "新闻"],
        "images": images,
    }
    assert hugo["date"] == datetime.fromisoformat(row["published"])
    jekyll_text = built.stage("jekyll").files[built.stage("jekyll").paths[KNOWN_ID]].decode()
    assert jekyll_text.startswith("---\n")
    assert "\ndate: 2022-08-25T16:09:00+08:00\n" in jekyll_text
    jekyll = yaml.safe_load(jekyll_text.split("---\n")[1])
    assert jekyll == {
        "title": row["title"],
        "date": datetime.fromisoformat(row["published"]),
        "draft": False,
        "slug": row["id"],
        "author": "高科技行业门户",
        "categories": ["新媒体", "高科技行业门户", "新闻"],
        "image": images[0],
        "render_with_liquid": False,
    }


def test_crawl_and_fetch_write_the_profile_export_writes(built: Built) -> None:
    jekyll = built.stage("jekyll")
    refetched = {jekyll.paths[PROXIED_ID], jekyll.paths[LOCAL_ID]}
    crawled = built.same_profile_crawl
    assert len(crawled) == len(built.portal.articles) - 1
    for rel, data in crawled.items():
        assert rel.endswith(".html") and re.search(r"/\d{4}-\d{2}-\d{2}-[^/]+$", rel), rel
        if rel not in refetched:
            assert data == jekyll.files[rel], rel
    hugo = built.stage("hugo")
    assert built.stdout_post == hugo.files[hugo.paths[KNOWN_ID]].decode()


def test_reindex_reads_hugo_posts_back(built: Built) -> None:
    assert built.reindexed is not None
    before, after = built.reindexed
    for table in ("articles", "images", "article_categories"):
        assert after[table] == before[table], table
    bodies = [r["body"] for r in after["articles"]]
    assert any("{{% notice tip %}}" in body for body in bodies)  # unescaped again
    assert not any("{{&#37;" in body for body in bodies)


# --------------------------------------------------------------------------- the built sites


@pytest.mark.parametrize("profile", ["hugo", "jekyll"])
def test_site_builds_quietly(built: Built, profile: str) -> None:
    problems = [
        line
        for line in built.outputs[profile].splitlines()
        if re.search(r"\b(WARN|WARNING|ERROR|Error|Warning|Deprecation)\b", line)
    ]
    assert problems == [], built.outputs[profile]
    index = (built.sites[profile] / "public" / "index.html").read_text(encoding="utf-8")
    generator = Selector(text=index).css('meta[name="generator"]::attr(content)').get("")
    assert generator.startswith({"hugo": "Hugo 0.", "jekyll": "Jekyll v4."}[profile])


@pytest.mark.parametrize("profile", ["hugo", "jekyll"])
def test_every_post_has_a_page_and_no_sidecar_is_published(built: Built, profile: str) -> None:
    stage = built.stage(profile)
    pages = _pages(built, profile)
    assert set(pages) == set(stage.posts())
    for page in pages.values():
        assert page.is_file(), page
    public = built.sites[profile] / "public"
    assert [p for p in public.rglob("*") if p.suffix == ".json" or p.name.startswith(".")] == []
    for page in public.rglob("*.html"):
        assert '"canonical_url"' not in page.read_text(encoding="utf-8"), page


@pytest.mark.parametrize("profile", ["hugo", "jekyll"])
def test_known_article_has_its_title_date_and_images(built: Built, profile: str) -> None:
    row = built.row(KNOWN_ID)
    page = _page(built, profile, KNOWN_ID)
    assert built.article(KNOWN_ID).title == row["title"]
    assert page.css("h1.post-title::text").get() == row["title"]
    assert page.css("title::text").get() == f"{row['title']} | Portal Archive"
    assert page.css("time.post-date::text").get() == "2022-08-25 16:09"
    assert page.css("time.post-date::attr(datetime)").get() == "2022-08-25T16:09:00+08:00"
    assert page.css("span.post-author::text").get() == "高科技行业门户"
    assert page.css("span.post-category::text").getall() == ["新媒体", "高科技行业门户", "新闻"]
    images = built.image_urls(KNOWN_ID)
    assert len(images) == 2
    assert all(url.startswith(built.portal.base_url + "/Upload/News/") for url in images)
    body_images = page.css("div.post-content img")
    assert [img.attrib["src"] for img in body_images] == images
    assert all(img.attrib.get("referrerpolicy") == "no-referrer" for img in body_images)
    assert page.css("img.post-headimg::attr(src)").get() == images[0]


@pytest.mark.parametrize("profile", ["hugo", "jekyll"])
def test_images_follow_each_posts_image_mode(built: Built, profile: str) -> None:
    proxied = _page(built, profile, PROXIED_ID)
    originals = built.image_urls(PROXIED_ID)
    srcs = proxied.css("div.post-content img::attr(src)").getall()
    assert srcs == [wrap_proxy_url(url, PROXY) for url in originals]
    assert srcs[0] == "https://cors.zfour.workers.dev/?" + originals[0]
    assert proxied.css("img.post-headimg::attr(src)").get() == srcs[0]

    local = _page(built, profile, LOCAL_ID)
    aid = built.row(LOCAL_ID)["id"]
    rows = sorted(
        (r for r in built.stages[0].tables["images"] if r["article_id"] == aid),
        key=lambda r: r["position"],
    )
    assert [r["status"] for r in rows] == ["failed", "downloaded"]
    srcs = local.css("div.post-content img::attr(src)").getall()
    assert srcs == [rows[0]["url"], "/assets/" + rows[1]["path"]]  # failed: original URL
    public = built.sites[profile] / "public"
    served = public / srcs[1].lstrip("/")
    assert served.read_bytes() == (built.archive / "assets" / rows[1]["path"]).read_bytes()


@pytest.mark.parametrize("profile", ["hugo", "jekyll"])
def test_every_page_shows_the_portal_page_time(built: Built, profile: str) -> None:
    checked = 0
    for article in built.portal.articles:
        if not article.title:
            continue
        page = _page(built, profile, article.art_id)
        shown = _beijing(article.published)
        assert page.css("time.post-date::text").get() == shown.strftime("%Y-%m-%d %H:%M")
        stamp = page.css("time.post-date::attr(datetime)").get("")
        assert datetime.fromisoformat(stamp) == shown
        assert page.css("h1.post-title::text").get() == article.title
        checked += 1
    assert checked == len(built.portal.articles) - 1


@pytest.mark.parametrize("profile", ["hugo", "jekyll"])
def test_bodies_are_published_verbatim(built: Built, profile: str) -> None:
    stage = built.stage(profile)
    for rel, page_file in _pages(built, profile).items():
        body = parse_site_post(stage.files[rel].decode(), profile).body
        assert body in page_file.read_text(encoding="utf-8"), rel


@pytest.mark.parametrize("profile", ["hugo", "jekyll"])
def test_template_syntax_in_a_post_stays_text(built: Built, profile: str) -> None:
    stage = built.stage(profile)
    (rel,) = [r for r in stage.posts() if r.startswith("dockone/")]
    body = parse_site_post(stage.files[rel].decode(), profile).body
    if profile == "hugo":
        assert "{{%" not in body and "{{<" not in body
        assert hugo_unescape(body) == f"<p>{BRACES}</p>"
    page = Selector(text=_pages(built, profile)[rel].read_text(encoding="utf-8"))
    assert page.css("div.post-content p::text").get() == BRACES
    # a bare legacy date is a Beijing time
    assert page.css("time.post-date::text").get() == "2021-05-10 10:00"
    assert page.css("time.post-date::attr(datetime)").get() == "2021-05-10T10:00:00+08:00"


# --------------------------------------------------------------------------- import(export(x))


@pytest.mark.parametrize("profile", ["hugo", "jekyll"])
def test_import_of_exported_posts_gives_the_articles_back(
    built: Built, profile: str, tmp_path: Path
) -> None:
    stage = built.stage(profile)
    source = tmp_path / "source"
    _write_tree(stage.posts(), source)
    target = tmp_path / "imported"
    result = run_cli(target, "import", str(source))
    assert result.returncode == 0, result.stdout + result.stderr
    with closing(Database(target / "index.db")) as db:
        imported = {r["title"]: r for r in db["articles"].rows}
        images = {
            aid: [r["url"] for r in db["images"].rows_where("article_id = ?", [aid], "position")]
            for aid in (r["id"] for r in imported.values())
        }
    originals = built.stages[0].tables["articles"]
    assert len(imported) == len(originals)
    local = built.row(LOCAL_ID)["id"]
    for row in originals:
        copy = imported[row["title"]]
        for key in ("published", "author", "categories", "body_text"):
            assert copy[key] == row[key], (row["title"], key)
        if row["id"] == local:
            continue  # image mode local: the files link /assets/ copies, not the originals
        original_images = [
            r["url"]
            for r in sorted(built.stages[0].tables["images"], key=lambda r: r["position"])
            if r["article_id"] == row["id"]
        ]
        assert images[copy["id"]] == original_images, row["title"]
        if row["origin"] == "crawl":
            assert copy["body"] == row["body"], row["title"]
        hints = copy["render_hints"]
        for derived in ("render_with_liquid", "draft", '"images"', '"image"'):
            assert derived not in hints, (row["title"], hints)
