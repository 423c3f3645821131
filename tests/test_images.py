"""Images archived locally (issue #5): hotlink protection, content addressing, failures and
retries, switching image modes offline, a killed download, the legacy images/ layout.

Crawls run in a subprocess (``run_cli``) against the demo portal with its image cases
(``demo_portal.image_cases``) on an ephemeral port.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector

from archive.assets import NotAnImageError, image_type
from archive.hexo import parse_post
from archive.maintenance import verify
from demo_portal import DemoPortal
from demo_portal.image_cases import (
    CASE_IDS,
    CASES,
    SLOW_ID,
    image_case_articles,
    install_image_cases,
)
from pipelines.images import AtomicFilesStore
from tests.conftest import FAST_SETTINGS, run_cli
from tests.test_hexo_build import _copy_site, _hexo_generate, _pages_by_source, hexo_modules

MAX_BYTES = 1_000_000
__all__ = ["hexo_modules"]  # a fixture of tests/test_hexo_build.py, used below

SETTINGS = (*FAST_SETTINGS, "RETRY_TIMES=0", f"ARCHIVE_IMAGES_MAX_BYTES={MAX_BYTES}")


@pytest.fixture
def portal() -> Iterator[Any]:
    with DemoPortal(port=0, extra_articles=image_case_articles()) as p:
        p.cases = install_image_cases(p)
        yield p


def crawl(archive: Path, portal: Any, *extra: str, settings: tuple[str, ...] = SETTINGS) -> str:
    result = run_cli(
        archive, "crawl", "ofweek", "--base-url", portal.base_url, *extra, settings=settings
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def db(archive: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(archive / "index.db")
    conn.row_factory = sqlite3.Row
    return conn


def url_rows(archive: Path) -> dict[str, dict[str, Any]]:
    with db(archive) as conn:
        return {r["url"]: dict(r) for r in conn.execute("select * from image_urls")}


def case_url(portal: Any, name: str) -> str:
    return portal.base_url + CASES + name


def post_of(archive: Path, portal: Any, art_id: int) -> tuple[Path, Any]:
    url = next(portal.article_url(a) for a in portal.articles if a.art_id == art_id)
    with db(archive) as conn:
        (rel,) = conn.execute("select path from articles where url = ?", [url]).fetchone()
    path = archive / "posts" / rel
    return path, parse_post(path.read_text(encoding="utf-8"))


def srcs(post: Any) -> list[str]:
    return Selector(text=post.body_html).css("img::attr(src)").getall()


def snapshot(archive: Path) -> dict[str, bytes]:
    """Every post and sidecar below posts/, by relative path."""
    return {
        p.relative_to(archive).as_posix(): p.read_bytes()
        for p in sorted((archive / "posts").rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("body", "ctype", "url", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n0000", "image/png", "", ("image/png", "png")),
        (b"\xff\xd8\xff\xe0" + b"0" * 20, "image/jpeg; charset=binary", "", ("image/jpeg", "jpg")),
        (b"\xff\xd8\xff\xe0" + b"0" * 20, "application/octet-stream", "", ("image/jpeg", "jpg")),
        (b"GIF89a" + b"0" * 20, "", "http://x/a", ("image/gif", "gif")),
        (b'<?xml version="1.0"?><svg xmlns="x"/>', "text/xml", "", ("image/svg+xml", "svg")),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"0" * 20, "", "", ("image/webp", "webp")),
        (b"\x00\x01\x02unknown", "", "http://x/pic.png?w=1", ("image/png", "png")),
    ],
)
def test_image_type_from_header_bytes_or_url(
    body: bytes, ctype: str, url: str, expected: tuple[str, str]
) -> None:
    assert image_type(body, ctype, url) == expected


def test_an_html_page_is_not_an_image() -> None:
    with pytest.raises(NotAnImageError, match="text/html"):
        image_type(b"<html><body>403</body></html>", "text/html; charset=gbk", "http://x/a.jpg")


def test_atomic_store_writes_whole_files_and_keeps_existing(tmp_path: Path) -> None:
    from io import BytesIO

    store = AtomicFilesStore(str(tmp_path))
    store.fsync = False
    store.persist_file("a.png", BytesIO(b"first"), None)
    store.persist_file("a.png", BytesIO(b"second"), None)  # same name = same bytes: kept
    assert (tmp_path / "a.png").read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]  # no temp file left


# --------------------------------------------------------------------------- crawl, local mode


def test_hotlink_protected_images_are_archived(portal: Any, tmp_path: Path) -> None:
    dup = case_url(portal, "dup-a.png")
    with pytest.raises(urllib.error.HTTPError) as refused:  # the portal refuses hotlinks
        urllib.request.urlopen(dup, timeout=5)
    assert refused.value.code == 403
    refused.value.close()  # the error holds the response's socket
    crawl(tmp_path, portal, "--image-mode", "local")

    stored = url_rows(tmp_path)[dup]
    assert stored["status"] == "downloaded"
    asset = tmp_path / "assets" / stored["path"]
    assert asset.read_bytes() == portal.cases.body("dup-a.png")
    assert asset.name == hashlib.sha256(asset.read_bytes()).hexdigest() + ".png"
    assert (stored["content_type"], stored["bytes"]) == ("image/png", asset.stat().st_size)
    # every image of the built-in articles too (deleted one apart): all came with a Referer
    with db(tmp_path) as conn:
        statuses = dict(conn.execute("select status, count(*) from image_urls group by 1"))
    assert statuses["downloaded"] >= 14

    _path, post = post_of(tmp_path, portal, CASE_IDS[0])
    local = f"/assets/{stored['path']}"
    assert srcs(post)[0] == local
    assert post.metadata["headimg"] == post.metadata["thumbnail"] == local
    # failed ones keep their original URL
    assert case_url(portal, "broken-500.png") in srcs(post)
    assert verify(tmp_path).problems == []


def test_duplicates_are_stored_once_and_never_fetched_again(portal: Any, tmp_path: Path) -> None:
    crawl(tmp_path, portal, "--image-mode", "local")
    rows = url_rows(tmp_path)
    a, b = rows[case_url(portal, "dup-a.png")], rows[case_url(portal, "dup-b.png")]
    assert a["sha256"] == b["sha256"] and a["path"] == b["path"]  # two URLs, one file
    assert len(list((tmp_path / "assets").glob(a["sha256"] + ".*"))) == 1
    # dup-a is in both articles: requested once
    assert portal.hits[CASES + "dup-a.png"] == 1
    with db(tmp_path) as conn:
        shared = conn.execute(
            "select count(distinct article_id) from images where url = ?", [a["url"]]
        ).fetchone()[0]
    assert shared == 2

    portal.reset_hits()
    crawl(tmp_path, portal, "--refresh", "--image-mode", "local")  # pages again, images not
    assert portal.hits[CASES + "dup-a.png"] == portal.hits[CASES + "dup-b.png"] == 0
    assert sum(n for p, n in portal.hits.items() if p.startswith("/Upload/News/20")) == 1  # deleted


def test_failures_are_recorded_and_retried_next_run(portal: Any, tmp_path: Path) -> None:
    crawl(tmp_path, portal, "--image-mode", "local")
    rows = url_rows(tmp_path)
    flaky, broken = rows[case_url(portal, "flaky.png")], rows[case_url(portal, "broken-500.png")]
    truncated = rows[case_url(portal, "truncated.jpg")]
    assert (flaky["status"], flaky["error"], flaky["attempts"]) == ("failed", "HTTP 500", 1)
    assert (broken["status"], broken["error"]) == ("failed", "HTTP 500")
    assert truncated["status"] == "failed" and "DataLoss" in truncated["error"]
    assert not list((tmp_path / "assets").glob(".tmp-*"))
    for name in ("oversized.jpg", "oversized-stream.jpg"):  # declared / found while downloading
        row = rows[case_url(portal, name)]
        assert row["status"] == "too_large", name
        assert row["error"].startswith("too large") and str(MAX_BYTES) in row["error"]
    path, post = post_of(tmp_path, portal, CASE_IDS[0])
    assert case_url(portal, "flaky.png") in srcs(post)  # the article was saved all the same
    sidecar = json.loads(path.with_name(f".{path.stem}.json").read_text(encoding="utf-8"))
    assert {i["url"]: i["status"] for i in sidecar["images"]}[case_url(portal, "flaky.png")] == (
        "failed"
    )

    portal.cases.healed = True
    crawl(tmp_path, portal, "--image-mode", "local")  # article not re-fetched; image retried
    rows = url_rows(tmp_path)
    flaky = rows[case_url(portal, "flaky.png")]
    assert (flaky["status"], flaky["attempts"]) == ("downloaded", 2)
    assert rows[case_url(portal, "broken-500.png")]["attempts"] == 2
    assert rows[case_url(portal, "oversized.jpg")]["attempts"] == 1  # too large: not retried
    _path, post = post_of(tmp_path, portal, CASE_IDS[0])
    assert f"/assets/{flaky['path']}" in srcs(post)  # the post was rewritten
    assert case_url(portal, "broken-500.png") in srcs(post)
    with db(tmp_path) as conn:
        assert conn.execute("select count(*) from revisions").fetchone()[0] == 0
        (status,) = conn.execute(
            "select status from images where url = ?", [flaky["url"]]
        ).fetchone()
    assert status == "downloaded"


def test_per_article_image_limit(portal: Any, tmp_path: Path) -> None:
    second = next(a for a in portal.articles if a.art_id == CASE_IDS[1])
    result = run_cli(
        tmp_path,
        "fetch",
        "--portal",
        "ofweek",
        "--image-mode",
        "local",
        portal.article_url(second),
        settings=(*SETTINGS, "ARCHIVE_IMAGES_MAX_PER_ARTICLE=1"),
    )
    assert result.returncode == 0, result.stderr
    with db(tmp_path) as conn:
        rows = conn.execute("select status, error from images order by position").fetchall()
    assert rows[0]["status"] == "downloaded"
    assert [r["status"] for r in rows[1:]] == ["skipped"] * 3
    assert all("over the limit of 1 images" in r["error"] for r in rows[1:])
    assert portal.hits[CASES + "oversized.jpg"] == 0


# --------------------------------------------------------------------------- export


def export(archive: Path, *args: str) -> str:
    result = run_cli(archive, "export", *args, settings=SETTINGS)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_modes_switch_offline_and_round_trip(tmp_path: Path) -> None:
    with DemoPortal(port=0, extra_articles=image_case_articles()) as portal:
        install_image_cases(portal)
        crawl(tmp_path, portal)  # origin mode; images downloaded all the same
    origin = snapshot(tmp_path)
    posts = [k for k in origin if k.endswith(".md")]
    # the demo portal is stopped from here on: no network
    out = export(tmp_path, "--image-mode", "proxy", "--image-proxy", "https://p.test/?{url}")
    assert f"{len(posts)} rewritten, 0 unchanged" in out
    proxied = snapshot(tmp_path)
    assert "https://p.test/?http://127.0.0.1" in proxied[posts[0]].decode()

    out = export(tmp_path, "--image-mode", "local")
    assert "0 images downloaded" in out
    assert int(re.search(r"(\d+) failed", out).group(1)) >= 3  # type: ignore[union-attr]
    local = snapshot(tmp_path)
    assert any('src="/assets/' in t.decode() for k, t in local.items() if k.endswith(".md"))
    assert "0 rewritten" in export(tmp_path, "--image-mode", "local")  # nothing to do
    assert snapshot(tmp_path) == local

    export(tmp_path, "--image-mode", "proxy", "--image-proxy", "https://p.test/?{url}")
    assert snapshot(tmp_path) == proxied
    export(tmp_path, "--image-mode", "local")
    assert snapshot(tmp_path) == local
    export(tmp_path, "--image-mode", "origin")
    assert snapshot(tmp_path) == origin
    assert verify(tmp_path).problems == []


def test_export_local_downloads_what_is_missing(portal: Any, tmp_path: Path) -> None:
    crawl(tmp_path, portal, settings=(*SETTINGS, "ARCHIVE_IMAGES_DOWNLOAD=False"))
    assert not (tmp_path / "assets").exists()
    portal.reset_hits()
    out = export(tmp_path, "--image-mode", "local")
    assert "images downloaded" in out
    rows = url_rows(tmp_path)
    assert rows[case_url(portal, "dup-a.png")]["status"] == "downloaded"
    assert portal.hits[CASES + "dup-a.png"] == 1  # with the Referer (else 403)
    _path, post = post_of(tmp_path, portal, CASE_IDS[1])
    assert srcs(post)[0].startswith("/assets/")
    assert verify(tmp_path).problems == []


# --------------------------------------------------------------------------- a killed download


def test_killing_a_crawl_mid_download_loses_nothing(tmp_path: Path) -> None:
    articles = image_case_articles(slow=True)
    with DemoPortal(port=0, extra_articles=articles) as portal:
        install_image_cases(portal).slow_seconds = 30
        argv = [sys.executable, "-m", "portal_archive", "--archive", str(tmp_path)]
        for setting in SETTINGS:
            argv += ["--set", setting]
        argv += ["crawl", "ofweek", "--base-url", portal.base_url, "--image-mode", "local"]
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ},
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while portal.hits[CASES + "slow.png"] == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert portal.hits[CASES + "slow.png"] == 1, "the slow image was never requested"
            time.sleep(1.5)  # part of its body is on the wire
            os.killpg(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        slow_post = [p for p in (tmp_path / "posts").rglob("*.md") if "很慢" in p.name]
        assert slow_post == []  # the article waits for its images
        if (tmp_path / "assets").is_dir():  # no partial file under its final name
            for asset in (tmp_path / "assets").iterdir():
                if not asset.name.startswith(".tmp-"):
                    assert asset.stem == hashlib.sha256(asset.read_bytes()).hexdigest()

        portal.stream_route.slow_seconds = 1  # type: ignore[union-attr]
        crawl(tmp_path, portal, "--image-mode", "local")
    slow = url_rows(tmp_path)[portal.base_url + CASES + "slow.png"]
    assert slow["status"] == "downloaded"
    _path, post = post_of(tmp_path, portal, SLOW_ID)
    assert srcs(post) == [f"/assets/{slow['path']}"]
    assert verify(tmp_path).problems == []


# --------------------------------------------------------------------------- legacy layout


def test_legacy_images_full_layout_is_migrated(portal: Any, tmp_path: Path) -> None:
    crawl(tmp_path, portal, "--image-mode", "local")
    # rewind to the old layout: files under images/full/<sha1(url)>, rows pointing there
    legacy = tmp_path / "images" / "full"
    legacy.mkdir(parents=True)
    with db(tmp_path) as conn:
        rows = conn.execute(
            "select distinct url, path from images where status = 'downloaded'"
        ).fetchall()
        for row in rows:
            old = f"full/{hashlib.sha1(row['url'].encode()).hexdigest()}.png"  # noqa: S324
            (tmp_path / "images" / old).write_bytes(
                (tmp_path / "assets" / row["path"]).read_bytes()
            )
            conn.execute(
                "update images set path = ?, sha256 = null where url = ?", [old, row["url"]]
            )
        conn.execute("delete from image_urls")
    for asset in (tmp_path / "assets").iterdir():
        asset.unlink()
        (moved,) = conn.execute("select count(*) from images where path like 'full/%'").fetchone()
    kinds = {p.kind for p in verify(tmp_path).problems}
    assert {"legacy-images", "asset-missing"} <= kinds

    out = export(tmp_path, "--image-mode", "local", "--no-download")
    assert f"{moved} moved from images/ to assets/" in out
    assert not (tmp_path / "images").exists()
    assert url_rows(tmp_path)[case_url(portal, "dup-a.png")]["status"] == "downloaded"
    _path, post = post_of(tmp_path, portal, CASE_IDS[1])
    assert srcs(post)[0].startswith("/assets/")
    assert verify(tmp_path).problems == []


def test_verify_reports_missing_and_orphan_assets(portal: Any, tmp_path: Path) -> None:
    crawl(tmp_path, portal, "--image-mode", "local")
    assert verify(tmp_path).problems == []
    victim = sorted((tmp_path / "assets").iterdir())[0]
    victim.unlink()
    (tmp_path / "assets" / "stray.png").write_bytes(b"x")
    (tmp_path / "assets" / ".tmp-abc.part").write_bytes(b"x")
    kinds = sorted((p.kind, p.path) for p in verify(tmp_path).problems)
    assert ("asset-missing", f"assets/{victim.name}") in kinds
    assert ("asset-orphan", "assets/stray.png") in kinds
    assert ("asset-partial", "assets/.tmp-abc.part") in kinds


# --------------------------------------------------------------------------- Hexo


def test_hexo_build_resolves_local_images(hexo_modules: Path, tmp_path: Path) -> None:
    """The documented layout: posts/ → source/_posts/, assets/ → source/assets/."""
    archive = tmp_path / "archive"
    with DemoPortal(port=0, extra_articles=image_case_articles()) as portal:
        install_image_cases(portal)
        crawl(archive, portal, "--image-mode", "local")
    site = tmp_path / "site"
    _copy_site(hexo_modules, site)
    shutil.copytree(archive / "posts", site / "source" / "_posts")
    shutil.copytree(archive / "assets", site / "source" / "assets")
    result = _hexo_generate(site)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"^\s*(WARN|ERROR|FATAL)\b", output, re.M), output
    checked, remote = 0, 0
    for page in _pages_by_source(site).values():
        html = Selector(text=page.read_text(encoding="utf-8"))
        for src in html.css(
            "div.post-content img::attr(src), img.post-headimg::attr(src)"
        ).getall():
            if src.startswith("/assets/"):
                published = site / "public" / src.lstrip("/")
                assert published.read_bytes() == (archive / src.lstrip("/")).read_bytes(), src
                checked += 1
            else:
                remote += 1  # failed, skipped or placeholder images keep their URL
    assert checked >= 20 and remote >= 5


def test_import_honours_the_image_mode(portal: Any, tmp_path: Path) -> None:
    image = case_url(portal, "dup-a.png")
    legacy = tmp_path / "src" / "图片导入测试.md"
    legacy.parent.mkdir()
    legacy.write_text(
        "\n---\ntitle: '图片导入测试'\ncategories: \n - 编程\n - Dockone\n - 最新文章\n"
        f"headimg: '{image}'\nauthor: Dockone\ncomments: false\n"
        "date: 2021-05-10 10:00:00\n"
        f"thumbnail: '{image}'\n---\n\n<div>   \n"
        f'<p>导入的文章。</p><p><img src="{image}" referrerpolicy="no-referrer"></p>'
        "\n          \n</div>\n            ",
        encoding="utf-8",
    )
    archive = tmp_path / "archive"
    result = run_cli(archive, "import", "--image-mode", "local", str(legacy), settings=SETTINGS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 images downloaded" in result.stderr
    stored = url_rows(archive)[image]
    (post_file,) = (archive / "posts").rglob("*.md")
    post = parse_post(post_file.read_text(encoding="utf-8"))
    assert srcs(post) == [f"/assets/{stored['path']}"]
    assert post.metadata["headimg"] == f"/assets/{stored['path']}"
    assert portal.hits[CASES + "dup-a.png"] == 1  # accepted: Referer on the image's host


def test_image_downloads_reach_response_signals(portal: Any, tmp_path: Path) -> None:
    """What a WARC writer hooked to ``response_received`` would see of the images."""
    probe = tmp_path / "probe.jsonl"
    extension = json.dumps({"tests.support.response_probe.ResponseProbe": 0})
    crawl(
        tmp_path / "archive",
        portal,
        "--image-mode",
        "local",
        settings=(*SETTINGS, f"EXTENSIONS={extension}", f"PROBE_FILE={probe}"),
    )
    seen = [json.loads(line) for line in probe.read_text(encoding="utf-8").splitlines()]
    images = {r["url"]: r for r in seen if r["image"]}
    dup = images[case_url(portal, "dup-a.png")]
    assert dup["status"] == 200 and dup["bytes"] == len(portal.cases.body("dup-a.png"))
    assert dup["referer"].startswith(portal.base_url + "/2022-09/ART-8100-2801-")
    assert images[case_url(portal, "broken-500.png")]["status"] == 500
    assert not any(r["image"] for r in seen if "/ART-" in r["url"])  # pages are not marked


def test_too_large_images_are_fetched_once_the_limit_is_raised(portal: Any, tmp_path: Path) -> None:
    crawl(tmp_path, portal, "--image-mode", "local")
    assert url_rows(tmp_path)[case_url(portal, "oversized.jpg")]["status"] == "too_large"
    crawl(tmp_path, portal, "--image-mode", "local")  # a crawl does not retry them
    assert portal.hits[CASES + "oversized.jpg"] == 1
    result = run_cli(
        tmp_path,
        "export",
        "--image-mode",
        "local",
        settings=(*FAST_SETTINGS, "RETRY_TIMES=0", "ARCHIVE_IMAGES_MAX_BYTES=5000000"),
    )
    assert result.returncode == 0, result.stderr
    rows = url_rows(tmp_path)
    for name in ("oversized.jpg", "oversized-stream.jpg"):
        assert rows[case_url(portal, name)]["status"] == "downloaded", name
        assert rows[case_url(portal, name)]["bytes"] == len(portal.cases.body(name))
    _path, post = post_of(tmp_path, portal, CASE_IDS[1])
    assert sum(src.startswith("/assets/") for src in srcs(post)) == 4


def test_fetch_stdout_uses_stored_images_and_downloads_nothing(portal: Any, tmp_path: Path) -> None:
    second = next(a for a in portal.articles if a.art_id == CASE_IDS[1])
    argv = (
        "fetch",
        "--portal",
        "ofweek",
        "--stdout",
        "--image-mode",
        "local",
        portal.article_url(second),
    )
    fresh = run_cli(tmp_path / "fresh", *argv, settings=SETTINGS)
    assert fresh.returncode == 0, fresh.stderr
    assert not (tmp_path / "fresh" / "assets").exists()
    assert not any(p.startswith(CASES) for p in portal.hits)
    assert case_url(portal, "dup-b.png") in srcs(parse_post(fresh.stdout))

    crawl(tmp_path / "full", portal, "--image-mode", "local")
    portal.reset_hits()
    printed = run_cli(tmp_path / "full", *argv, settings=SETTINGS)
    assert printed.returncode == 0, printed.stderr
    assert srcs(parse_post(printed.stdout))[0].startswith("/assets/")  # the stored copy
    assert not any(p.startswith(CASES) for p in portal.hits)
