from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.items import ArticleItem
from archive.normalize import (
    clean_body,
    clean_source,
    collapse_ws,
    normalize_article,
    parse_published,
    rfc822,
)

BASE = "http://portal.test/2022-08/ART-8100-2801-1.html"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022-08-25 16:09", "2022-08-25T08:09:00+00:00"),
        ("2022-08-25 16:09:30", "2022-08-25T08:09:30+00:00"),
        ("2021年04月02日 10:30", "2021-04-02T02:30:00+00:00"),
        ("2021年4月2日", "2021-04-01T16:00:00+00:00"),
        ("发布时间：2022-08-25 16:09", "2022-08-25T08:09:00+00:00"),
        ("  2022/08/25   16:09 ", "2022-08-25T08:09:00+00:00"),
        ("Thu, 25 Aug 2022 08:09:00 GMT", "2022-08-25T08:09:00+00:00"),
        ("2022-08-25T16:09:00+08:00", "2022-08-25T08:09:00+00:00"),
    ],
)
def test_parse_published_is_aware_utc(raw: str, expected: str) -> None:
    parsed = parse_published(raw)
    assert parsed is not None
    assert parsed.tzinfo is not None
    assert parsed.isoformat() == expected


@pytest.mark.parametrize("raw", ["", "   ", "not a date at all", "2022-13-45 99:99"])
def test_parse_published_gives_none_for_garbage(raw: str) -> None:
    assert parse_published(raw) is None


def test_rfc822_is_the_legacy_front_matter_form() -> None:
    assert rfc822(datetime(2022, 8, 25, 8, 9, tzinfo=UTC)) == "Thu, 25 Aug 2022 08:09:00 GMT"


def test_whitespace_and_source() -> None:
    assert collapse_ws("  一\u3000二 \n\t三\xa0") == "一 二 三"
    assert clean_source(" 来源：OFweek锂电网 ") == "OFweek锂电网"
    assert clean_source("来源: 某某网") == "某某网"
    assert clean_source("OFweek") == "OFweek"


def test_clean_body_removes_scripts_handlers_and_furniture() -> None:
    raw = (
        '<p style="text-indent: 2em" onclick="steal()">正文<script>alert(1)</script></p>'
        "<!-- 版权注释 --><style>p{}</style><iframe src='http://ads.test/x'></iframe>"
        '<div class="ad-in-article">广告位</div><form><input name="q"></form>'
        '<p><a href="javascript:alert(2)">坏链接</a><a href="/CAT-1.html">好链接</a></p>'
        '<svg onload="alert(3)"><circle/></svg>'
    )
    body = clean_body(raw, BASE)
    for banned in (
        "script",
        "alert",
        "onclick",
        "<!--",
        "<style",
        "iframe",
        "广告位",
        "<form",
        "<input",
        "javascript:",
        "<svg",
        "onload",
    ):
        assert banned not in body, banned
    assert "正文" in body
    assert 'href="http://portal.test/CAT-1.html"' in body
    assert 'style="text-indent: 2em"' in body
    assert "坏链接" in body  # the link text stays, the href goes


def test_clean_body_lazy_images_pixels_and_absolute_urls() -> None:
    raw = (
        '<p><img src="/images/loading.gif" data-src="/Upload/a.jpg" alt="甲"></p>'
        '<p><img data-original="http://img.test/b.png" alt="乙"></p>'
        '<p><img src="c.jpg"></p>'
        '<img src="/stat/pixel.gif?id=1" width="1" height="1">'
        '<img src="http://img.test/d.jpg" width="0">'
    )
    body = clean_body(raw, BASE)
    assert 'src="http://portal.test/Upload/a.jpg"' in body
    assert 'src="http://img.test/b.png"' in body
    assert 'src="http://portal.test/2022-08/c.jpg"' in body
    assert "loading.gif" not in body
    assert "pixel" not in body
    assert "d.jpg" not in body
    assert "data-src" not in body
    assert "data-original" not in body


def test_clean_body_keeps_portal_markup() -> None:
    raw = (
        '<p style="text-indent: 2em; text-align: left;">在<span class="hrefStyle">'
        '<a href="https://ecep.ofweek.com/CAT-93012-carbon.html" target="_blank" title="低碳">'
        "低碳</a></span>领域<strong>加粗</strong></p>"
    )
    assert clean_body(raw, BASE) == raw


def test_clean_body_of_malformed_html_does_not_raise() -> None:
    body = clean_body("<p>未闭合<b>粗<div></p></i>尾巴", BASE)
    assert "未闭合" in body
    assert "尾巴" in body
    assert clean_body("", BASE) == ""


def test_clean_body_with_malformed_urls_keeps_the_article() -> None:
    # a consent link with a bracketed name for a host, a source link with words for a port
    # (both seen on real news pages): urllib refuses them, and the body used to go with them
    raw = (
        '<p>选举<a href="http://[ccpa-preferences]/opt-out">隐私选项</a>结果</p>'
        '<p><a href="https://example.test: Der Traum/gas">来源</a>正文</p>'
        '<p><img src="http://[cdn]/a.jpg" alt="坏图"><img src="/ok.jpg" alt="好图"></p>'
    )
    assert clean_body(raw, BASE) == (
        "<p>选举<a>隐私选项</a>结果</p>"
        "<p><a>来源</a>正文</p>"
        '<p><img src="http://portal.test/ok.jpg" alt="好图"></p>'
    )


def test_normalize_article_fills_normalized_fields() -> None:
    item = ArticleItem(
        url=BASE + "#comments",
        portal="ofweek",
        title_raw="  标题\n  第二行 ",
        source_raw="来源：OFweek",
        published_raw="2022-08-25 16:09",
        body_raw='<p>一段</p><p><img src="/a.png" alt="图"></p><p><img src="/a.png"></p>',
    )
    assert normalize_article(item) == []
    assert item.title == "标题 第二行"
    assert item.source == "OFweek"
    assert item.canonical_url == BASE
    assert item.published == datetime(2022, 8, 25, 8, 9, tzinfo=UTC)
    assert [ref.url for ref in item.images] == ["http://portal.test/a.png"]
    assert item.body_text == "一段"


def test_normalize_article_falls_back_to_feed_date() -> None:
    feed_date = datetime(2022, 1, 2, 3, 4, tzinfo=UTC)
    item = ArticleItem(url=BASE, portal="ofweek", published_raw="??", feed_published=feed_date)
    assert normalize_article(item) == ["published"]
    assert item.published == feed_date


def test_body_text_separates_cells_and_blocks() -> None:
    from archive.html import html_to_text

    html = "<table><tr><td>Pos.</td><td>Piloto</td></tr></table><blockquote>引言</blockquote>正文"
    assert html_to_text(html) == "Pos. Piloto\n引言\n正文"
