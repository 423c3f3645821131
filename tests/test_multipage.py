"""Multi-page articles: the article's own pagination followed, one post, never silently short."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crawler.parsers import Page
from crawler.parsers.pagination import (
    has_next_link,
    may_have_next_page,
    next_page_url,
    page_number,
)
from tests.conftest import run_cli, serve_routes

FIRST = "/2022-08/ART-8100-2801-30600001.html"
PAGES = (
    FIRST,
    "/2022-08/ART-8100-2801-30600001_2.html",
    "/2022-08/ART-8100-2801-30600001_3.html",
)
TEXTS = (
    (
        "第一页第一段：一家储能企业在盐城投运了新的钠离子电池产线，设计产能两吉瓦时。",
        "第一页第二段：公司介绍，新产线的电芯在零下二十度仍能保持九成容量，适合北方市场。",
    ),
    (
        "第二页第一段：相比锂电产线，钠电池的生产设备兼容度较高，约七成设备可以通用。",
        "第二页第二段：主要改动集中在极片干燥和注液环节，因为钠电材料吸水性更强。",
    ),
    (
        "第三页第一段：公司计划明年把产能扩到五吉瓦时，并和两家整车企业联合开发车型。",
        "第三页第二段：分析人士认为，未来两三年是钠电池从实验室走向市场的关键窗口期。",
    ),
)


def ofweek_page(number: int) -> bytes:
    """An OFweek-shaped page ``number`` (1-based) of a three-page article, own text."""
    paragraphs = "".join(f"<p>{text}</p>" for text in TEXTS[number - 1])
    numbers = " ".join(
        f'<a href="{path}">{n}</a>' for n, path in enumerate(PAGES, start=1) if n != number
    )
    next_link = f'<a href="{PAGES[number]}">下一页</a>' if number < len(PAGES) else ""
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>钠离子电池产线投运-OFweek锂电网</title></head><body>
<div class="artical"><p class="title">钠离子电池产线投运 低温容量保持九成</p>
<div class="time fl">2022-08-25 16:09</div><div class="source-name">OFweek锂电网</div>
<div id="articleC">{paragraphs}</div>
<div class="page">{numbers} {next_link}</div>
<div class="tag">标签：钠离子电池</div></div>
<div class="related"><a href="/2022-08/ART-8100-2801-30599999.html">下一篇</a></div>
</body></html>""".encode()


def routes(missing: str = "") -> dict[str, tuple[int, str, bytes]]:
    return {
        path: (200, "text/html; charset=utf-8", ofweek_page(n))
        for n, path in enumerate(PAGES, start=1)
        if path != missing
    }


def test_page_numbers_of_the_same_article_only() -> None:
    first = "http://h" + FIRST
    assert [page_number(first, "http://h" + path) for path in PAGES] == [1, 2, 3]
    assert page_number(first, "http://h/2022-08/ART-8100-2801-30599999.html") is None
    assert page_number(first, "http://other" + PAGES[1]) is None
    assert page_number("https://h/2016/08/slug/", "https://h/2016/08/slug/2/") == 2
    assert page_number("https://h/news/42", "https://h/news/42?page=3") == 3
    assert page_number("https://h/2016/08/slug/", "https://h/2016/08/other-slug/") is None


def test_next_page_is_followed_in_order_never_the_next_story() -> None:
    first = "http://h" + FIRST
    found = [
        next_page_url(Page.from_html(ofweek_page(n).decode(), "http://h" + PAGES[n - 1]), first, n)
        for n in (1, 2, 3)
    ]
    assert found == ["http://h" + PAGES[1], "http://h" + PAGES[2], None]


def test_real_ars_pages_pagination(shared_dir: Path) -> None:
    """Ars 2016 is page 1 of 3 (``nav.page-numbers``); Ars 2015's ``rel=next`` is the next story."""
    folder = shared_dir / "real-pages" / "arstechnica"
    renter = "http://arstechnica.com/gadgets/2016/08/the-connected-renter-how-to-make-your-apartment-smarter/"
    page = Page.from_html((folder / "ars-2016-connected-renter.html").read_text("utf-8"), renter)
    assert next_page_url(page, renter, 1) == renter + "2/"
    minecraft = "https://arstechnica.com/information-technology/2015/04/just-released-minecraft-exploit-makes-it-easy-to-crash-game-servers/"
    page = Page.from_html(
        (folder / "ars-2015-minecraft-exploit-readability.html").read_text("utf-8"), minecraft
    )
    assert page.selector.css('a[rel~="next"]')  # the "Next story" link is there …
    assert next_page_url(page, minecraft, 1) is None  # … and is not a page of this article


LINKS_A_NEXT_PAGE = (
    '<link rel="next" href="/a_2.html">',
    "<LINK REL=next HREF=/a_2.html>",
    '<a rel="nofollow next" href="/a/2/">Continue</a>',
    '<div class="pagination"><a class="page next" href="?page=2">›</a></div>',
    "<nav class='page-numbers'><a href='/a/2/'><span class='next'>Next</span></a></nav>",
    '<a href="/a_2.html">下一页</a>',
    '<a href="/a_2.html">下页</a>',
    '<a href="/a_2.html">下<span class="em">一</span>页</a>',
    '<a href="/a_2.html">下<!-- n -->一页</a>',
    '<a href="/a_2.html">&#19979;一页</a>',
    '<a rel="&#110;ext" href="/a/2/">2</a>',
)
"""Pages linking a next page as :data:`NEXT_LINKS`/:data:`NEXT_TEXT` say (written for this test)."""
NO_NEXT_PAGE = (
    "<p>Read the next story tomorrow.</p>",
    '<script>node.nextSibling; var next = 1;</script><p class="lead">x</p>',
    '<a rel="Next" href="/b.html">Next</a>',  # values match case by case
    '<a href="/b.html" title="next">more</a>',
    "<p>下载页面</p><a href='/c.html'>上一页</a>",
    "<p>&#8220;quoted&#8221; &#160;</p>",
)
"""Pages that say ``next`` or 下…页 without linking a next page."""


@pytest.mark.parametrize("snippet", LINKS_A_NEXT_PAGE)
def test_the_cheap_look_sees_every_next_page_link(snippet: str) -> None:
    """A page the crawl hands to the writer child unparsed must not link a next page."""
    html = f"<html><head></head><body><p>Text</p>{snippet}</body></html>"
    assert has_next_link(Page.from_html(html, "http://h/a.html"))
    assert may_have_next_page(html)


@pytest.mark.parametrize("snippet", NO_NEXT_PAGE)
def test_the_cheap_look_lets_other_pages_go_to_the_writer(snippet: str) -> None:
    html = f"<html><head></head><body><p>Text</p>{snippet}</body></html>"
    assert not has_next_link(Page.from_html(html, "http://h/a.html"))
    assert not may_have_next_page(html)


def test_the_cheap_look_on_real_pages(shared_dir: Path) -> None:
    """On every real page of the benchmark sets, a page the XPath finds a next link on is one
    the cheap look says ``True`` for; and it says ``False`` for most pages."""
    import gzip

    folder = shared_dir / "bench-data"
    files = sorted(folder.glob("*/**/*.html.gz")) + sorted(folder.glob("*/**/*.htm.gz"))
    assert len(files) > 1000, f"{folder}: expected the benchmark sets' pages"
    linking = flagged = 0
    missed: list[str] = []
    for path in files:
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        if not html.strip():
            continue
        found = has_next_link(Page.from_html(html, "http://h/"))
        flagged += may_have_next_page(html)
        linking += found
        if found and not may_have_next_page(html):
            missed.append(str(path.relative_to(folder)))
    assert not missed, missed
    assert linking > 100  # the check above had pages to bite on
    assert flagged < len(files) / 2


def _rows(archive: Path, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(archive / "index.db")
    try:
        return list(db.execute(sql))
    finally:
        db.close()


def test_fetch_archives_the_whole_text_as_one_post(tmp_path: Path) -> None:
    with serve_routes(routes()) as base:
        done = run_cli(tmp_path, "fetch", "--portal", "ofweek", base + FIRST)
    assert done.returncode == 0, done.stderr[-2000:]
    ((url, body_text),) = _rows(tmp_path, "select url, body_text from articles")
    assert url == base + FIRST
    lines = body_text.splitlines()
    assert lines == [text for page in TEXTS for text in page]  # every page, in order
    assert "下一页" not in body_text


@pytest.mark.parametrize("missing", [PAGES[1], PAGES[2]])
def test_a_failed_page_makes_the_article_a_failure_not_a_short_post(
    tmp_path: Path, missing: str
) -> None:
    with serve_routes(routes(missing)) as base:
        done = run_cli(tmp_path, "fetch", "--portal", "ofweek", base + FIRST)
        assert done.returncode == 1
        assert f"error: {base + FIRST}: incomplete" in done.stderr
        assert missing in done.stderr
        assert _rows(tmp_path, "select * from articles") == []
        failures = _rows(tmp_path, "select url, reason, detail from failures")
    assert [(u, r) for u, r, _ in failures] == [(base + FIRST, "incomplete")]
    assert "http_404" in str(failures[0][2]) or "404" in str(failures[0][2])


def test_following_can_be_switched_off(tmp_path: Path) -> None:
    with serve_routes(routes()) as base:
        done = run_cli(
            tmp_path,
            "fetch",
            "--portal",
            "ofweek",
            base + FIRST,
            settings=("ARCHIVE_FOLLOW_PAGES=False", "ARCHIVE_FSYNC=False"),
        )
    assert done.returncode == 0, done.stderr[-2000:]
    ((body_text,),) = _rows(tmp_path, "select body_text from articles")
    assert "第二页" not in body_text
