"""Conformance on real portal pages: ``fetch --portal`` against a person's reading of them.

``../shared/real-pages/`` holds whole pages the portals really served, saved by other
projects (never copied here), and ``gold.tsv``: per page the title, the publish time as
printed, the author as printed and the first 40 characters of the first paragraph, as a
person reads them. Each article page is served on 127.0.0.1 and archived by the CLI
(``portal-archive fetch --portal P URL``: the spider, parser, cleaning stage, pipelines and
writer of every crawl); the test then reads the archived row. Furniture that a person sees
is not article text (comment counters, reader-thanks boxes, "Further Reading" boxes,
disclaimers) must not survive.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import run_cli, serve_routes

PAGES: dict[str, tuple[str, ...]] = {
    "ithome/ithome-866661.html": ("感谢IT之家网友", "线索投递", "广告声明"),
    "36kr/36kr-5202656-mercury-altered.html": ("原创文章，作者", "阅读更多内容", "发表文章"),
    "arstechnica/ars-2015-minecraft-exploit-readability.html": (
        "reader comments",
        "posters participating",
    ),
    "arstechnica/ars-2016-connected-renter.html": (
        "reader comments",
        "posters participating",
        "Further Reading",
        "A thermostat that learns",
    ),
}
"""The article pages of ``gold.tsv`` and the furniture strings a person sees on each."""

PRINTED_ZONE = {"ithome": "Asia/Shanghai", "36kr": "Asia/Shanghai"}
"""Zone of a portal's naive printed times (Ars prints ``UTC`` after its times)."""

PRINTED_FORMATS = ("%Y/%m/%d %H:%M:%S", "%b %d, %Y %I:%M %p UTC")


def gold_rows(shared: Path) -> dict[str, dict[str, str]]:
    with (shared / "real-pages" / "gold.tsv").open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {row["file"]: row for row in rows}


def printed_instant(portal: str, printed: str) -> datetime:
    """The instant a person reads from the printed time (in the portal's own zone)."""
    for form in PRINTED_FORMATS:
        try:
            naive = datetime.strptime(printed.strip(), form)
        except ValueError:
            continue
        return naive.replace(tzinfo=ZoneInfo(PRINTED_ZONE.get(portal, "UTC"))).astimezone(UTC)
    raise AssertionError(f"gold time {printed!r} in no known printed form")


def gold_author(printed: str) -> str:
    """``来源：IT之家; 作者：远洋; 责编：远洋`` → ``远洋``; ``李振梁 (footer: …)`` → ``李振梁``."""
    for part in printed.split(";"):
        label, sep, name = part.partition("：")
        if sep and label.strip() == "作者":
            return name.strip()
    return printed.split(" (")[0].strip()


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def archived(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Every article page of the gold table fetched once, by portal; the rows by file."""
    gold = gold_rows(shared_dir)
    routes = {
        f"/{name}": (200, "text/html", (shared_dir / "real-pages" / name).read_bytes())
        for name in PAGES
    }
    archive = tmp_path_factory.mktemp("real-pages")
    results: dict[str, dict[str, Any]] = {}
    with serve_routes(routes) as base:
        by_portal: dict[str, list[str]] = {}
        for name in PAGES:
            by_portal.setdefault(gold[name]["portal"], []).append(name)
        for portal, names in by_portal.items():
            urls = [f"{base}/{name}" for name in names]
            done = run_cli(archive, "fetch", "--portal", portal, *urls)
            errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
            db = sqlite3.connect(archive / "index.db")
            db.row_factory = sqlite3.Row
            for name, url in zip(names, urls, strict=True):
                row = db.execute("select * from articles where url = ?", [url]).fetchone()
                results[name] = dict(row) if row else {"error": errors or done.stderr[-2000:]}
            db.close()
    yield results


def row_of(archived: dict[str, Any], name: str) -> dict[str, Any]:
    row: dict[str, Any] = archived[name]
    assert "error" not in row, f"{name} not archived: {row.get('error')}"
    return row


def test_every_gold_article_is_checked(shared_dir: Path) -> None:
    articles = {f for f, row in gold_rows(shared_dir).items() if row["first40_first_paragraph"]}
    assert articles == set(PAGES), "add the new gold pages (and their furniture) to PAGES"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_title(name: str, archived: dict[str, Any], shared_dir: Path) -> None:
    assert row_of(archived, name)["title"] == gold_rows(shared_dir)[name]["title"]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_published_in_the_pages_zone(name: str, archived: dict[str, Any], shared_dir: Path) -> None:
    gold = gold_rows(shared_dir)[name]
    row = row_of(archived, name)
    printed = gold["published_as_printed"]
    published = datetime.fromisoformat(row["published"])
    if "小时前" in printed:  # "· 6小时前": relative to when the page was fetched
        hours = int(printed.split("小时前")[0].split()[-1])
        expected = datetime.fromisoformat(row["fetched_at"]) - timedelta(hours=hours)
    else:
        expected = printed_instant(gold["portal"], printed)
    assert abs(published - expected) < timedelta(minutes=1), (published, expected)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_author(name: str, archived: dict[str, Any], shared_dir: Path) -> None:
    assert row_of(archived, name)["author"] == gold_author(
        gold_rows(shared_dir)[name]["author_source_as_printed"]
    )


@pytest.mark.parametrize("name", sorted(PAGES))
def test_first_paragraph(name: str, archived: dict[str, Any], shared_dir: Path) -> None:
    first_line = row_of(archived, name)["body_text"].splitlines()[0]
    expected = squash(gold_rows(shared_dir)[name]["first40_first_paragraph"])
    assert squash(first_line).startswith(expected), first_line[:120]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_furniture_survives(name: str, archived: dict[str, Any]) -> None:
    body = row_of(archived, name)["body_text"]
    survived = [text for text in PAGES[name] if text in body]
    assert not survived, f"furniture in the archived body: {survived}"
