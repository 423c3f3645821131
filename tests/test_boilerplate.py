"""The shared cleaning stage of portal article containers, and fetch's generic fallback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive.boilerplate import clean_container
from archive.html import html_to_text
from crawler.parsers import Page
from crawler.parsers.ithome import IthomeParser
from tests.conftest import FAST_SETTINGS, run_cli, serve_routes

ARTICLE = (
    "<p>第一段正文：一家做仓储机器人的公司在南京开了第二座工厂，设计年产能约五千台，主要生产料箱机器人。</p>"
    "<p>第二段正文：公司负责人介绍，过去一年电商和医药仓库的订单增长很快，第一座工厂已经满负荷运转。</p>"
    "<p>第三段正文：新工厂投产后，交付周期有望缩短到六周以内，公司还计划提高海外订单的比例。</p>"
)


@pytest.mark.parametrize(
    ("furniture", "gone"),
    [
        (
            '<div class="tougao-user">感谢IT之家网友 <a href="#">小明</a> 的线索投递！</div>',
            "线索投递",
        ),
        (
            '<a class="comment-count" href="#c"><h4>reader comments</h4>'
            "<span>75</span> <span>with 51 posters participating</span></a>",
            "reader comments",
        ),
        ('<div class="share-links"><a href="#">Share on Facebook</a></div>', "Facebook"),
        ('<aside><h3>Further Reading</h3><a href="#">Another story</a></aside>', "Further"),
        (
            '<figure><figcaption><div class="caption-credit">Kevin</div></figcaption></figure>',
            "Kevin",
        ),
        ("<p>图片来源：视觉中国</p>", "视觉中国"),
        ("<p>Credit: Ars Technica</p>", "Credit"),
        ('<div class="ad-box">限时五折</div>', "限时五折"),
    ],
)
def test_furniture_goes_the_article_stays(furniture: str, gone: str) -> None:
    cleaned = html_to_text(clean_container(furniture + ARTICLE))
    assert gone not in cleaned
    assert cleaned.splitlines()[0].startswith("第一段正文")
    assert len(cleaned.splitlines()) == 3


def test_closing_marker_cuts_what_follows() -> None:
    body = ARTICLE + "<p>相关阅读</p><ul><li><a href='#'>另一篇文章</a></li></ul>"
    assert "另一篇文章" not in clean_container(body)


@pytest.mark.parametrize(
    "marker",
    ["Mehr zum Thema", "Meist gelesene Artikel", "Related Tutorials", "Articles similaires"],
)
def test_closing_markers_in_other_languages(marker: str) -> None:
    body = ARTICLE + f"<p>{marker}</p><ul><li><a href='#'>Eine andere Geschichte</a></li></ul>"
    assert "andere Geschichte" not in clean_container(body)
    assert "第三段正文" in clean_container(body)


@pytest.mark.parametrize(
    ("line", "closes"),
    [
        ("Copyright © 2024 Die Zeitung GmbH", True),
        ("© Example Media", True),
        ("Copyright license", False),  # a list item of the article (what a journal must state)
        ("Copyright policies of the journals we index", False),
        ("Leggi anche", False),  # a "read also" box inside an Italian article, not its end
    ],
)
def test_what_counts_as_a_closing_line(line: str, closes: bool) -> None:
    body = ARTICLE + f"<ul><li>{line}</li><li>Persistent identifiers such as DOIs</li></ul>"
    assert ("Persistent identifiers" not in clean_container(body)) is closes


def test_article_words_in_long_paragraphs_stay() -> None:
    long = "<p>" + "感谢网友的线索投递，记者随后联系了公司。" * 30 + "</p>"
    assert clean_container(long + ARTICLE).count("线索投递") == 30


def test_images_stay_and_cleaning_is_idempotent() -> None:
    body = '<p><img src="https://img.example/a.jpg"></p>' + ARTICLE
    once = clean_container(body)
    assert "a.jpg" in once
    assert clean_container(once) == once


def test_a_container_of_furniture_only_is_no_body() -> None:
    html = (
        "<html><body><div class='fl content'><h1>标题</h1>"
        "<span id='pubtime_baidu'>2024/3/5 10:20:31</span>"
        "<div id='paragraph'><div class='tougao-user'>感谢IT之家网友 X 的线索投递！</div></div>"
        "</div></body></html>"
    )
    result = IthomeParser("ithome").parse(Page.from_html(html, "http://x/"), "suppress")
    assert "body" in result.failed


OTHER_LAYOUT = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>仓储机器人公司开了第二座工厂 - IT之家</title>
<meta property="article:published_time" content="2024-03-05T10:20:31+08:00"></head>
<body><main><article><h1 class="title">仓储机器人公司开了第二座工厂</h1>{ARTICLE}</article>
</main></body></html>"""


def test_fetch_falls_back_to_the_generic_extractor(tmp_path: Path) -> None:
    """A page the portal parser cannot read (a redesign) is archived by the generic extractor."""
    with serve_routes({"/0/781/999.htm": (200, "text/html", OTHER_LAYOUT.encode())}) as base:
        done = run_cli(tmp_path, "fetch", "--portal", "ithome", f"{base}/0/781/999.htm")
    assert done.returncode == 0, done.stderr[-2000:]
    db = sqlite3.connect(tmp_path / "index.db")
    parser, title, published = db.execute(
        "select parser, title, published from articles"
    ).fetchone()
    db.close()
    assert parser == "generic-fallback"
    assert title == "仓储机器人公司开了第二座工厂"
    assert published == "2024-03-05T02:20:31+00:00"


def test_fetch_without_fallback_reports_the_page(tmp_path: Path) -> None:
    with serve_routes({"/0/781/999.htm": (200, "text/html", OTHER_LAYOUT.encode())}) as base:
        done = run_cli(
            tmp_path,
            "fetch",
            "--portal",
            "ithome",
            f"{base}/0/781/999.htm",
            settings=(*FAST_SETTINGS, "ARCHIVE_GENERIC_FALLBACK=False"),
        )
    assert done.returncode == 1
    assert "no_title" in done.stderr


def test_docstring_examples() -> None:
    import doctest

    import archive.boilerplate
    import archive.dates
    import archive.normalize
    import crawler.parsers.pagination

    for module in (
        archive.boilerplate,
        archive.dates,
        archive.normalize,
        crawler.parsers.pagination,
    ):
        failed, tried = doctest.testmod(module)
        assert tried and not failed, module.__name__
