"""A real Hexo build of an archive: the files work for the people who publish them.

Hexo and its plugins come from the npm registry, pinned by ``tests/hexo_site/package-lock.json``
and installed once into ``.cache/hexo/<hash>/node_modules`` (``npm ci``); later runs reuse that
folder and need no network. The archive is a real crawl of the demo portal, plus one article
fetched again with image mode ``proxy`` and one imported legacy Dockone post (the bare
``date: 2021-05-10 10:00:00`` form, ``{{ }}`` / ``{% %}`` in its text). Its ``posts/`` folder,
sidecars included, is copied into ``source/_posts/`` of a copy of ``tests/hexo_site/`` and
``hexo generate`` runs with ``TZ=UTC`` (a CI machine's zone), then the generated HTML is read.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from parsel import Selector
from sqlite_utils import Database

from archive.hexo import legacy_title, parse_post
from archive.image_urls import wrap_proxy_url
from archive.normalize import parse_published
from tests.conftest import ROOT, run_cli

SITE = Path(__file__).resolve().parent / "hexo_site"
CACHE = ROOT / ".cache" / "hexo"
BEIJING = ZoneInfo("Asia/Shanghai")
PROXY = "https://cors.zfour.workers.dev/?{url}"
NPM_TIMEOUT = 900
HEXO_TIMEOUT = 180

#: The demo portal's 2022-08-25 16:09 article (two images, one lazy) and the one re-fetched with
#: image mode proxy; the third is the article whose title holds "25%".
KNOWN_ID, PROXIED_ID, PERCENT_ID = 30572367, 30569914, 30571208

BRACES = "镜像标签写成 {{ .Values.image.tag }}，条件块写成 {% if enabled %} 开启 {% endif %}。"
#: A legacy Dockone post (its own frame, the bare date form, template braces in its text).
DOCKONE_POST = "\n".join(
    (
        "",
        "---",
        "title: 'Helm 模板入门：从 values 到条件渲染'",
        "categories: ",
        " - 编程",
        " - Dockone",
        " - 最新文章",
        "headimg: 'https://picsum.photos/400/300?random=4242'",
        "author: Dockone",
        "comments: false",
        "date: 2021-05-10 10:00:00",
        "thumbnail: 'https://picsum.photos/400/300?random=4242'",
        "---",
        "",
        "<div>   ",
        f"<p>{BRACES}</p>"
        '<p><img src="http://dockone.io/uploads/article/20210510/helm.png" '
        'referrerpolicy="no-referrer"></p>',
        " " * 10,
        "</div>",
        " " * 12,
    )
)


# --------------------------------------------------------------------------- Hexo from npm


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not on PATH: the Hexo build test needs Node >= 20.19 and npm")
    return found


def _cache_key(node: str) -> str:
    node_version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((SITE / name).read_bytes())
    digest.update(node_version.split(".")[0].encode())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def hexo_modules() -> Path:
    """``node_modules`` of the pinned Hexo, installed once per lock file into ``.cache/hexo/``.

    ``npm ci`` runs in a scratch folder beside the cache entry, which is renamed into place only
    when the install succeeded; a file lock keeps parallel test runs from installing twice.
    """
    node, npm = _tool("node"), _tool("npm")
    key = _cache_key(node)
    entry = CACHE / key
    modules = entry / "node_modules"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (modules / "hexo" / "package.json").is_file():
            return modules
        scratch = CACHE / f"{key}.partial-{os.getpid()}"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(SITE / name, scratch / name)
        argv = [
            npm,
            "ci",
            "--ignore-scripts",
            "--prefer-offline",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ]
        started = time.monotonic()
        try:
            result = subprocess.run(
                argv, cwd=scratch, capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            shutil.rmtree(scratch, ignore_errors=True)
            pytest.fail(
                f"`npm ci` of tests/hexo_site timed out after {NPM_TIMEOUT} s: the first run "
                "downloads Hexo from the npm registry (https://registry.npmjs.org)"
            )
        if result.returncode != 0:
            shutil.rmtree(scratch, ignore_errors=True)
            pytest.fail(
                f"`npm ci` of tests/hexo_site failed (exit {result.returncode}) after "
                f"{time.monotonic() - started:.0f} s. The first run downloads the pinned Hexo "
                "from the npm registry (https://registry.npmjs.org) into .cache/hexo/; later "
                f"runs need no network.\n{result.stderr[-3000:]}"
            )
        shutil.rmtree(entry, ignore_errors=True)
        scratch.rename(entry)
    return modules


# --------------------------------------------------------------------------- the build


@dataclass
class Build:
    archive: Path
    site: Path
    portal: Any
    output: str
    """stdout + stderr of ``hexo generate``."""
    pages: dict[str, Path]
    """Archived post path (below ``posts/``) → its generated page, from the index page."""

    def row(self, art_id: int) -> dict[str, Any]:
        url = next(self.portal.article_url(a) for a in self.portal.articles if a.art_id == art_id)
        rows = list(Database(self.archive / "index.db")["articles"].rows_where("url = ?", [url]))
        assert len(rows) == 1, url
        return rows[0]

    def page(self, path: str) -> Selector:
        return Selector(text=self.pages[path].read_text(encoding="utf-8"))

    def image_urls(self, article_id: str) -> list[str]:
        db = Database(self.archive / "index.db")
        rows = db["images"].rows_where("article_id = ?", [article_id], order_by="position")
        return [r["url"] for r in rows]


def _copy_site(modules: Path, site: Path) -> None:
    shutil.copytree(SITE, site, ignore=shutil.ignore_patterns("node_modules", "public", "db.json"))
    (site / "node_modules").symlink_to(modules, target_is_directory=True)


def _hexo_generate(site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TZ": "UTC", "NO_COLOR": "1", "FORCE_COLOR": "0"}
    return subprocess.run(
        [str(site / "node_modules" / ".bin" / "hexo"), "generate"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=HEXO_TIMEOUT,
        env=env,
        check=False,
    )


def _pages_by_source(site: Path) -> dict[str, Path]:
    """The index page lists every post with its source file (``data-source``) and its link."""
    index = Selector(text=(site / "public" / "index.html").read_text(encoding="utf-8"))
    pages: dict[str, Path] = {}
    for item in index.css("li.post-item"):
        source = item.attrib["data-source"].removeprefix("_posts/")
        href = item.css("a.post-link::attr(href)").get("")
        assert source not in pages, source
        target = unquote(href).lstrip("/")
        pages[source] = (
            site / "public" / (target + "index.html" if target.endswith("/") else target)
        )
    return pages


@pytest.fixture(scope="module")
def build(hexo_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Build]:
    from demo_portal import DemoPortal

    archive = tmp_path_factory.mktemp("archive")
    legacy = tmp_path_factory.mktemp("legacy") / "Helm 模板入门.md"
    legacy.write_text(DOCKONE_POST, encoding="utf-8")
    with DemoPortal(port=0) as portal:
        crawl = run_cli(archive, "crawl", "ofweek", "--base-url", portal.base_url)
        assert crawl.returncode == 0, crawl.stderr
        proxied = next(a for a in portal.articles if a.art_id == PROXIED_ID)
        fetch = run_cli(
            archive,
            "fetch",
            "--portal",
            "ofweek",
            "--force",
            "--image-mode",
            "proxy",
            "--image-proxy",
            PROXY,
            portal.article_url(proxied),
        )
        assert fetch.returncode == 0, fetch.stderr
        imported = run_cli(archive, "import", str(legacy))
        assert imported.returncode == 0, imported.stdout + imported.stderr

        site = tmp_path_factory.mktemp("site") / "site"
        _copy_site(hexo_modules, site)
        shutil.copytree(archive / "posts", site / "source" / "_posts")
        result = _hexo_generate(site)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        yield Build(archive, site, portal, output, _pages_by_source(site))


def _posts(archive: Path) -> list[str]:
    return sorted(
        p.relative_to(archive / "posts").as_posix() for p in (archive / "posts").rglob("*.md")
    )


def _crawled(portal: Any) -> list[Any]:
    return [a for a in portal.articles if a.title and (a.in_listing or a.in_feed)]


def _beijing(raw: str) -> str:
    published = parse_published(raw)
    assert published is not None, raw
    return published.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------- tests


def test_hexo_builds_quietly(build: Build) -> None:
    # Hexo logs a post it cannot process ("ERROR Process failed: …"), drops it and exits 0.
    problems = [
        line for line in build.output.splitlines() if re.match(r"\s*(WARN|ERROR|FATAL)\b", line)
    ]
    assert problems == [], build.output
    assert "Hexo 8.1.2" in (build.site / "public" / "index.html").read_text(encoding="utf-8")


def test_every_archived_post_has_a_page(build: Build) -> None:
    posts = _posts(build.archive)
    assert len(posts) == len(_crawled(build.portal)) + 1  # + the imported post
    assert set(build.pages) == set(posts)
    for page in build.pages.values():
        assert page.is_file(), page
    generated = sorted((build.site / "public" / "p").glob("*.html"))
    assert len(generated) == len(posts)


def test_sidecars_are_not_published(build: Build) -> None:
    sidecars = list((build.site / "source" / "_posts").rglob(".*.json"))
    assert len(sidecars) == len(_posts(build.archive))
    public = build.site / "public"
    assert [p for p in public.rglob("*") if p.suffix == ".json" or p.name.startswith(".")] == []
    for page in public.rglob("*.html"):
        assert '"canonical_url"' not in page.read_text(encoding="utf-8"), page


def test_known_article_has_its_title_date_and_images(build: Build) -> None:
    row = build.row(KNOWN_ID)
    article = next(a for a in build.portal.articles if a.art_id == KNOWN_ID)
    page = build.page(row["path"])
    assert page.css("h1.post-title::text").get() == legacy_title(article.title) == row["title"]
    assert page.css("title::text").get() == f"{row['title']} | Portal Archive"
    # The demo page says 2022-08-25 16:09 (Beijing); the file says Thu, 25 Aug 2022 08:09:00 GMT.
    assert article.published == "2022-08-25 16:09"
    assert page.css("time.post-date::text").get() == "2022-08-25 16:09"
    assert page.css("time.post-date::attr(datetime)").get() == "2022-08-25T08:09:00.000Z"
    assert page.css("span.post-author::text").get() == "高科技行业门户"
    assert page.css("span.post-category::text").getall() == ["新媒体", "高科技行业门户", "新闻"]

    images = build.image_urls(row["id"])
    assert len(images) == 2
    assert all(url.startswith(build.portal.base_url + "/Upload/News/") for url in images)
    body_images = page.css("div.post-content img")
    assert [img.attrib["src"] for img in body_images] == images
    assert all(img.attrib.get("referrerpolicy") == "no-referrer" for img in body_images)
    assert page.css("img.post-headimg::attr(src)").get() == images[0]


def test_proxied_article_keeps_its_proxied_images(build: Build) -> None:
    row = build.row(PROXIED_ID)
    assert row["image_mode"] == "proxy"
    page = build.page(row["path"])
    originals = build.image_urls(row["id"])
    assert originals
    srcs = page.css("div.post-content img::attr(src)").getall()
    assert srcs == [wrap_proxy_url(url, PROXY) for url in originals]
    assert srcs[0] == "https://cors.zfour.workers.dev/?" + originals[0]
    assert page.css("img.post-headimg::attr(src)").get() == srcs[0]
    assert page.css("time.post-date::text").get() == "2022-08-08 14:27"
    link = page.css("div.post-content span.hrefStyle > a")
    assert link.attrib["href"] == "https://ee.ofweek.com/CAT-2800-chip.html"
    assert link.css("::text").get() == "芯片"


def test_every_page_shows_the_portal_page_time(build: Build) -> None:
    by_title = {legacy_title(a.title): a for a in build.portal.articles if a.title}
    checked = 0
    for path, page_file in build.pages.items():
        meta = parse_post((build.archive / "posts" / path).read_text(encoding="utf-8")).metadata
        article = by_title.get(str(meta["title"]))
        if article is None:
            continue  # the imported post, checked below
        page = Selector(text=page_file.read_text(encoding="utf-8"))
        assert page.css("h1.post-title::text").get() == meta["title"], path
        assert page.css("time.post-date::text").get() == _beijing(article.published), path
        checked += 1
    assert checked == len(_crawled(build.portal))


def test_bodies_are_published_verbatim(build: Build) -> None:
    # marked leaves the raw HTML alone: the <div> wrapper, <p style>, <span class="hrefStyle">,
    # <img referrerpolicy>, the empty <p></p> — the page holds the file's body byte for byte.
    for path, page_file in build.pages.items():
        post = parse_post((build.archive / "posts" / path).read_text(encoding="utf-8"))
        html = page_file.read_text(encoding="utf-8")
        assert post.frame.body_open + post.body_html + post.frame.body_close in html, path


def test_percent_in_a_title_does_not_lose_the_post(build: Build) -> None:
    row = build.row(PERCENT_ID)
    assert "25%" in row["path"]
    assert build.page(row["path"]).css("h1.post-title::text").get() == row["title"]


def test_imported_bare_date_and_template_braces(build: Build) -> None:
    path = next(p for p in build.pages if p.startswith("dockone/"))
    written = (build.archive / "posts" / path).read_text(encoding="utf-8")
    assert written == DOCKONE_POST  # the import re-rendered it byte for byte
    page = build.page(path)
    # A bare date is a Beijing time (the archive's ARCHIVE_PAGE_TIMEZONE and Hexo's timezone).
    assert page.css("time.post-date::text").get() == "2021-05-10 10:00"
    assert page.css("time.post-date::attr(datetime)").get() == "2021-05-10T02:00:00.000Z"
    text = page.css("div.post-content p::text").get()
    assert (
        text
        == "镜像标签写成 {{ .Values.image.tag }}，条件块写成 {% if enabled %} 开启 {% endif %}。"
    )
    assert page.css("div.post-content img::attr(src)").get() == (
        "http://dockone.io/uploads/article/20210510/helm.png"
    )


def test_without_the_timezone_script_hexo_shifts_zoned_dates(
    build: Build, hexo_modules: Path, tmp_path: Path
) -> None:
    """Why ``scripts/timezone.js`` exists (hexojs/hexo#4548).

    With ``timezone: Asia/Shanghai`` on a UTC machine, Hexo parses ``Thu, 25 Aug 2022 08:09:00
    GMT`` right and then shifts it by -8 h as if it had had no zone: the page says 08:09.
    """
    site = tmp_path / "site"
    _copy_site(hexo_modules, site)
    (site / "scripts" / "timezone.js").unlink()
    path = build.row(KNOWN_ID)["path"]
    target = site / "source" / "_posts" / path
    target.parent.mkdir(parents=True)
    shutil.copy2(build.archive / "posts" / path, target)
    result = _hexo_generate(site)
    assert result.returncode == 0, result.stdout + result.stderr
    (page_file,) = _pages_by_source(site).values()
    page = Selector(text=page_file.read_text(encoding="utf-8"))
    assert page.css("time.post-date::attr(datetime)").get() == "2022-08-25T00:09:00.000Z"
    assert page.css("time.post-date::text").get() == "2022-08-25 08:09"
