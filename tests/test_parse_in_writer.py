"""Article pages parsed in the writer child (``ARCHIVE_PARSE_IN_WRITER``, ``page_reader``).

Real crawls over real HTTP (images off, so the writer child prepares the items and reads the
pages): a parser redesign sets off the breakage alarm held in the child, pages the alarm holds
are released at the run's end, a multi-page article is read in the crawl and judged by the
child's alarm; each run equals the same crawl with pages parsed in the crawl's process (files,
rows, failures, counts). The child's reading itself (``write_items`` with a
:class:`PageReader`): a parser crash is a ``parser_crash`` failure row, held pages come back
with a later batch. Kills of the child: ``tests/test_write_process.py`` (its crawls read pages
in the child).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from archive.items import RawPage
from archive.store import Archive
from archive.write_process import RunState, WriterConfig, write_items
from crawler.page_reader import ArticleBuilder, PageReader, ReaderConfig, Taxonomy
from crawler.parsers.ofweek import OfweekParser
from crawler.urls import UrlPolicy
from demo_portal import DemoPortal
from tests.conftest import FAST_SETTINGS, run_cli, serve_routes
from tests.test_multipage import FIRST, TEXTS, routes
from tests.test_write_process import _failures, _runs, _stats, _tree, _writer_config

NO_IMAGES = (*FAST_SETTINGS, "ARCHIVE_IMAGES_DOWNLOAD=False", "LOG_LEVEL=INFO")
IN_CRAWL = "ARCHIVE_PARSE_IN_WRITER=False"


@pytest.fixture(scope="module")
def redesigned() -> Iterator[DemoPortal]:
    with DemoPortal(port=0, redesigned=True) as portal:
        yield portal


def _both(tmp_path: Path, *args: str, settings: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """The same crawl with pages read in the writer child and in the crawl's process."""
    child = run_cli(tmp_path / "child", *args, settings=(*NO_IMAGES, *settings))
    crawl = run_cli(tmp_path / "crawl", *args, settings=(*NO_IMAGES, *settings, IN_CRAWL))
    return child, crawl


def _pages_read(stderr: str) -> int:
    found = re.search(r"'archive/writer_process/pages_read': (\d+)", stderr)
    return int(found.group(1)) if found else 0


def _same(tmp_path: Path, child: Any, crawl: Any) -> None:
    assert _tree(tmp_path / "child") == _tree(tmp_path / "crawl")
    assert _runs(tmp_path / "child") == _runs(tmp_path / "crawl")
    assert _failures(tmp_path / "child") == _failures(tmp_path / "crawl")
    assert _stats(child.stderr) == _stats(crawl.stderr)
    assert _pages_read(crawl.stderr) == 0


def test_a_redesign_sets_off_the_alarm_in_the_writer_child(
    redesigned: DemoPortal, tmp_path: Path
) -> None:
    child, crawl = _both(tmp_path, "crawl", "ofweek", "--base-url", redesigned.base_url)
    assert child.returncode == crawl.returncode == 3, child.stderr[-3000:]
    assert _pages_read(child.stderr) == 12  # every article page was read in the child
    assert "parser breakage: ofweek: 12/12 pages without title/body/date" in child.stderr
    (run,) = Database(tmp_path / "child" / "index.db")["crawl_runs"].rows
    assert (run["status"], run["parse_checked"], run["parse_broken"]) == ("degraded", 12, 12)
    assert run["fallback"] == 12
    parsers = {r["parser"] for r in Database(tmp_path / "child" / "index.db")["articles"].rows}
    assert parsers == {"generic-fallback"}
    # the child's log lines are the spider's: "No title on URL (ofweek.V2)", once per page
    assert (
        len(re.findall(r"\[ofweek\] WARNING: No title on \S+ \(ofweek\.V2\)", child.stderr)) == 12
    )
    _same(tmp_path, child, crawl)


def test_pages_the_child_holds_are_released_at_the_end(
    redesigned: DemoPortal, tmp_path: Path
) -> None:
    """Fewer pages than the alarm needs: each broken page is held until the run ends, then
    released unchanged, dropped as no article and recorded as a failure row."""
    child, crawl = _both(
        tmp_path,
        "crawl",
        "ofweek",
        "--base-url",
        redesigned.base_url,
        settings=("ARCHIVE_DEGRADED_MIN_PAGES=100",),
    )
    assert child.returncode == crawl.returncode == 0, child.stderr[-3000:]
    assert _pages_read(child.stderr) == 12
    db = Database(tmp_path / "child" / "index.db")
    assert db["articles"].count == 0
    reasons = Counter(r["reason"] for r in db["failures"].rows)
    assert reasons["no_title"] == 12
    (run,) = db["crawl_runs"].rows
    assert (run["status"], run["parse_broken"], run["fallback"]) == ("finished", 12, 0)
    _same(tmp_path, child, crawl)


def test_a_multi_page_article_is_read_in_the_crawl_and_judged_in_the_child(
    tmp_path: Path,
) -> None:
    listing = (
        '<html><head><meta charset="utf-8"></head><body><div class="list-left">'
        f'<div class="con-details"><h3><a href="{FIRST}">钠离子电池</a></h3></div>'
        "</div></body></html>"
    ).encode()
    pages = {**routes(), "/list.html": (200, "text/html; charset=utf-8", listing)}
    with serve_routes(pages) as base:
        args = ("crawl", "ofweek", "--base-url", base, "--listing-url", base + "/list.html")
        child, crawl = _both(tmp_path, *args)
    assert child.returncode == crawl.returncode == 0, child.stderr[-3000:]
    assert _pages_read(child.stderr) == 1  # the joined article, for the alarm
    assert "'archive/multipage': 1" in child.stderr
    db = Database(tmp_path / "child" / "index.db")
    ((url, body_text),) = db.execute("select url, body_text from articles").fetchall()
    assert url == base + FIRST
    assert body_text.splitlines() == [text for page in TEXTS for text in page]
    assert db["crawl_runs"].get(1)["parse_checked"] == 1
    _same(tmp_path, child, crawl)


# --------------------------------------------------------------------------- the reading

PAGE = (
    '<html><head><meta charset="utf-8"></head><body><div class="artical">'
    '<p class="title">标题{n}</p><div class="time fl">2022-08-25 16:09</div>'
    '<div id="articleC"><p>第{n}篇正文，足够长的一段话。</p></div></div></body></html>'
)
BROKEN = (
    '<html><head><meta charset="utf-8"><title>改版后的标题</title></head><body><main><article>'
    '<h1>改版后的标题</h1><time datetime="2022-08-25T16:09:00+08:00">2022-08-25 16:09</time>'
    + "".join(
        f"<p>改版后的第{i}段正文：网站换了新的页面结构，旧的选择器再也找不到标题和正文。</p>"
        for i in range(1, 6)
    )
    + "</article></main></body></html>"
)


def _raw(n: int, html: str = PAGE) -> RawPage:
    url = f"http://www.ofweek.com/2022-08/ART-8100-2801-3060{n:04d}.html"
    fetched = datetime(2024, 3, 5, 2, 20, tzinfo=UTC)
    return RawPage(
        url=url,
        portal="ofweek",
        text=html.format(n=n),
        encoding="utf-8",
        page_url=url,
        base_url=url,
        meta={"archive_fetched_at": fetched},
    )


def _config(tmp_path: Path, parser: Any = OfweekParser, min_pages: int = 10) -> WriterConfig:
    builder = ArticleBuilder(
        portal="ofweek",
        url_policy=UrlPolicy("www.ofweek.com", ("ofweek.com",)),
        taxonomy=Taxonomy(categories=("新闻",), author="OFweek"),
        author_fixed=False,
        language="zh",
    )
    reader = ReaderConfig(
        parser=parser,
        builder=builder,
        logger="ofweek",
        threshold=0.2,
        min_pages=min_pages,
        use_fallback=True,
        hold=True,
    )
    return _writer_config(tmp_path, reader)


class CrashingParser(OfweekParser):
    """A portal parser whose version check raises (as a selector that cannot compile)."""

    def select(self, page: Any) -> Any:
        raise RuntimeError("layout check exploded")


def test_a_parser_crash_in_the_child_is_a_failure_row(tmp_path: Path) -> None:
    config = _config(tmp_path, parser=CrashingParser)
    state = RunState(reader=PageReader(config.reader))
    with Archive(tmp_path) as archive:
        result = write_items(archive, [_raw(1), _raw(2)], [], config, state)
        assert [o.status for o in result.outcomes] == ["failed", "failed"]
        assert result.outcomes[0].message == (
            "parser_crash: extractor failed: RuntimeError: layout check exploded"
        )
        assert result.unsafe == 2  # two failure rows the child added (counted as failed)
        ((name, level, line),) = result.outcomes[0].logs
        assert (name, level) == ("ofweek", logging.ERROR)
        assert line.startswith("Parser CrashingParser crashed on http://www.ofweek.com/")
        assert "RuntimeError: layout check exploded" in line  # with its traceback
        rows = sorted((r["url"], r["reason"]) for r in archive.db["failures"].rows)
        assert rows == [(_raw(1).url, "parser_crash"), (_raw(2).url, "parser_crash")]
        assert archive.db["articles"].count == 0


def test_the_child_reads_writes_and_releases_held_pages(tmp_path: Path) -> None:
    config = _config(tmp_path, min_pages=3)
    state = RunState(reader=PageReader(config.reader))
    with Archive(tmp_path) as archive:
        first = write_items(archive, [_raw(1), _raw(2, BROKEN)], [], config, state)
        assert [o.status for o in first.outcomes] == ["new", "held"]
        assert dict(first.outcomes[0].counts) == {"archive/parse_checked": 1}
        assert dict(first.outcomes[1].counts) == {
            "archive/parse_error/title": 1,
            "archive/parse_error/published": 1,
            "archive/parse_error/body": 1,
            "archive/parse_checked": 1,
            "archive/parse_broken": 1,
        }
        assert first.released == []
        # the third page decides: 1 of 3 broken is above 0.2, the held page falls back
        second = write_items(archive, [_raw(3)], [], config, state)
        assert [o.status for o in second.outcomes] == ["new"]
        assert dict(second.outcomes[0].counts) == {
            "archive/parse_checked": 1,
            "archive/degraded": 1,
            "archive/fallback": 1,
        }
        ((item, outcome),) = second.released
        assert (item.url, item.parser, outcome.status) == (_raw(2).url, "generic-fallback", "new")
        assert item.title_raw == "改版后的标题"
        assert archive.db["articles"].count == 3
        # the run's end: nothing held any more
        end = write_items(archive, [], [], config, state, release=True)
        assert (end.outcomes, end.released) == ([], [])
