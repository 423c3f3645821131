"""Every demo portal crawled for real: ``portal-archive crawl <portal> --base-url <demo>/<portal>``.

One subprocess crawl per portal against the one demo server; the archive must hold exactly
the site's articles with their titles, bylines, aware dates (relative ones resolved against
the fetch time), channels, bodies and downloaded images.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from demo_portal.portals import SITES, Site, site_base
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from demo_portal import DemoPortal

    with DemoPortal(port=0) as portal:
        yield portal


@pytest.fixture(scope="module", params=sorted(SITES))
def crawled(
    request: pytest.FixtureRequest, server: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    site = SITES[request.param]
    archive = tmp_path_factory.mktemp(site.name)
    base = site_base(server.base_url, site.name)
    result = run_cli(archive, "crawl", site.name, "--base-url", base)
    posts = sorted((archive / "posts").rglob("*.md"))
    mtimes = {p: p.stat().st_mtime_ns for p in posts}
    again = run_cli(archive, "crawl", site.name, "--base-url", base)
    hits = {a.path: server.hits[f"/{site.name}{a.path}"] for a in site.articles}
    return {
        "site": site,
        "base": base,
        "archive": archive,
        "result": result,
        "again": again,
        "mtimes": mtimes,
        "hits": hits,
    }


def _rows(archive: Path) -> dict[str, dict[str, Any]]:
    db = Database(archive / "index.db")
    return {row["url"]: row for row in db["articles"].rows}


def test_crawl_archives_exactly_the_sites_articles(crawled: dict[str, Any]) -> None:
    result = crawled["result"]
    assert result.returncode == 0, result.stderr
    site: Site = crawled["site"]
    rows = _rows(crawled["archive"])
    assert set(rows) == {crawled["base"] + a.path for a in site.articles}
    posts = list((crawled["archive"] / "posts" / site.name).rglob("*.md"))
    assert len(posts) == len(site.articles)


def test_fields_dates_and_bodies(crawled: dict[str, Any]) -> None:
    site: Site = crawled["site"]
    rows = _rows(crawled["archive"])
    for article in site.articles:
        row = rows[crawled["base"] + article.path]
        assert row["title"] == article.title
        assert row["language"] == site.language
        assert row["author"] == article.author
        published = datetime.fromisoformat(row["published"])
        assert published.tzinfo is not None
        assert published == article.published(datetime.fromisoformat(row["fetched_at"])), (
            article.path,
            row["published_raw"],
        )
        for text in article.body_contains:
            assert text in row["body_text"], (article.path, text)
        if article.category:
            assert json.loads(row["categories"])[-1] == article.category


def test_images_are_downloaded_in_body_order(crawled: dict[str, Any]) -> None:
    site: Site = crawled["site"]
    db = Database(crawled["archive"] / "index.db")
    for article in site.articles:
        (row,) = db["articles"].rows_where("url = ?", [crawled["base"] + article.path])
        images = list(db["images"].rows_where("article_id = ?", [row["id"]], order_by="position"))
        assert [i["url"] for i in images] == [crawled["base"] + p for p in article.images]
        assert all(i["status"] == "downloaded" for i in images), images


def test_second_crawl_fetches_and_writes_nothing_new(crawled: dict[str, Any]) -> None:
    assert crawled["again"].returncode == 0, crawled["again"].stderr
    assert set(crawled["hits"].values()) == {1}, crawled["hits"]  # archived: not fetched again
    for path, mtime in crawled["mtimes"].items():
        assert path.stat().st_mtime_ns == mtime, path
