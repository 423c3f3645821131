"""The generic extractor: hosts without a portal parser (``fetch --portal generic``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import frontmatter
import pytest
from scrapy.utils.test import get_crawler

from archive.dates import parse_page_date
from archive.errors import NoParserForUrlError
from archive.normalize import clean_body, parse_published
from crawler.parsers import Page, ParseError
from crawler.parsers.generic import (
    GenericParser,
    extract_text,
    plain_text,
    short_article,
    strip_site_suffix,
    text_weight,
)
from crawler.portals import parsers
from crawler.spiders.generic import GenericSpider
from portal_archive.runner import portal_for_url, portal_spiders, project_settings
from tests.conftest import FAST_SETTINGS, FIXTURES, Route, run_cli, serve_routes

PARSERS = parsers()

PAGES = FIXTURES / "generic"
EN_URL = "https://www.circuitledger.test/2024/03/tiny-relays-big-savings?ref=home"
ZH_URL = "https://www.xinwen.test/chip/2023/1120/mems.html"

EN_BODY = (
    "nearly a third of them traced back to worn mechanical relays",
    "schedule the swap for a Tuesday afternoon",
    "Fewer trucks, fewer outages",
    "before the next storm season arrives",
)
EN_FURNITURE = (
    "cookies",
    "Subscribe today",
    "FluxMaster",
    "Sponsored",
    "Share on social media",
    "newsletter",
    "42 Comments",
    "sparky_jo",
    "lightning season",
    "Trending now",
    "battery recall",
    "All rights reserved",
    "Terms of use",
    "By Morgan Avery",
)
ZH_BODY = (
    "良率达到百分之九十二",
    "每片晶圆的检测时间从四十分钟缩短到六分钟",
    "企业仍需要保持耐心",
    "同步开展温度和湿度传感器的研发工作",
)
ZH_FURNITURE = (
    "下载客户端",
    "示波器",
    "发布时间",
    "责任编辑",
    "相关阅读",
    "另一家厂商",
    "分享到",
    "网友评论",
    "支持国产芯片",
    "热门排行",
    "第三代半导体",
    "版权所有",
    "京ICP备",
)


def page_text(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def parse(html: str, url: str = EN_URL) -> dict[str, str]:
    return GenericParser("generic").parse(Page.from_html(html, url), errors="raise").fields


# --- extract_text (the benchmark entry point) ---------------------------------------------
@pytest.mark.parametrize(
    ("name", "url", "body", "furniture"),
    [
        ("article-en.html", EN_URL, EN_BODY, EN_FURNITURE),
        ("article-zh.html", ZH_URL, ZH_BODY, ZH_FURNITURE),
    ],
    ids=["en", "zh"],
)
def test_extract_text_keeps_the_body_and_drops_furniture(
    name: str, url: str, body: tuple[str, ...], furniture: tuple[str, ...]
) -> None:
    text = extract_text(page_text(name), url)
    for snippet in body:
        assert snippet in text
    for snippet in furniture:
        assert snippet not in text, f"furniture {snippet!r} leaked into the body"


@pytest.mark.parametrize(
    ("name", "url"), [("article-en.html", EN_URL), ("article-zh.html", ZH_URL)]
)
def test_extract_text_is_the_text_of_the_stored_body(name: str, url: str) -> None:
    # extract_text skips clean_body: it must not change the text of what is stored
    body = GenericParser.V1().body(Page.from_html(page_text(name), url))
    assert extract_text(page_text(name), url) == plain_text(clean_body(body, url))


def test_extract_text_does_not_repeat_the_headline() -> None:
    text = extract_text(page_text("article-en.html"), EN_URL)
    assert text.startswith("When the Hollow Creek Electric Cooperative")
    assert "Tiny Relays, Big Savings" not in text


def test_extract_text_accepts_an_empty_url() -> None:
    """The CWCE gold set has no URLs."""
    assert "良率达到百分之九十二" in extract_text(page_text("article-zh.html"), "")


@pytest.mark.parametrize("name", ["login.html", "index.html"])
def test_extract_text_of_a_page_without_article_is_empty(name: str) -> None:
    assert extract_text(page_text(name), EN_URL) == ""


def test_plain_text_separates_blocks_and_cells() -> None:
    html = "lead<p>one</p><table><tr><td>a</td><td>b</td></tr></table>x<br>y"
    assert plain_text(html) == "lead\none\na b\nx\ny"


def test_text_weight_counts_cjk_characters_three_times() -> None:
    assert text_weight("ab c") == 3
    assert text_weight("传感器 ok") == 11


# --- GenericParser fields -----------------------------------------------------------------
def test_english_article_fields() -> None:
    fields = parse(page_text("article-en.html"))
    assert (
        fields["canonical_url"] == "https://www.circuitledger.test/2024/03/tiny-relays-big-savings"
    )
    assert fields["title"] == "Tiny Relays, Big Savings: How a Cooperative Rewired Its Grid"
    assert fields["published"] == "2024-03-05T09:30:00+00:00"
    assert fields["source"] == "The Circuit Ledger"
    assert fields["language"] == "en"
    body = fields["body"]
    assert '<img src="https://www.circuitledger.test/media/relay-cabinet.jpg"' in body
    # a lazy image whose URL has no extension keeps its real URL, not the placeholder
    assert '<img src="https://cdn.circuitledger.test/img/88421?w=800"' in body
    assert "placeholder.gif" not in body
    assert "<h2>Fewer trucks, fewer outages</h2>" in body


def test_chinese_article_fields() -> None:
    fields = parse(page_text("article-zh.html"), ZH_URL)
    assert fields["canonical_url"] == ZH_URL
    assert fields["title"] == "国产MEMS压力传感器良率突破九成，车规认证进入最后阶段"
    assert fields["published"] == "2023-11-20T14:05:00+08:00"  # JSON-LD datePublished
    assert fields["source"] == "芯闻速递"
    assert fields["language"] == "zh-CN"
    assert '<img src="https://www.xinwen.test/uploads/2023/11/wafer.png"' in fields["body"]
    assert '<img src="https://img.xinwen.test/2023/1120/line.jpg"' in fields["body"]
    assert "loading.gif" not in fields["body"]


def test_generic_parser_is_registered_with_one_version() -> None:
    assert PARSERS["generic"] is GenericParser
    assert [v.VERSION for v in GenericParser.versions] == ["V1"]
    assert GenericParser("generic").parse(
        Page.from_html(page_text("article-en.html"), EN_URL)
    ).parser == ("generic.V1")


def _doc(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize(
    ("html", "title"),
    [
        (
            _doc(
                '<meta property="og:title" content="Relays rewired | The Ledger">'
                '<meta property="og:site_name" content="The Ledger">'
            ),
            "Relays rewired",
        ),
        (
            _doc('<meta property="og:title" content="Review: Pixel | Faster">'),
            "Review: Pixel | Faster",
        ),
        (
            _doc("<title>Relays rewired - The Ledger</title>", "<h1>Relays rewired</h1>"),
            "Relays rewired",
        ),
        (
            _doc("<title>土豆不“土” 土豆无“土” 松花江网</title>", "<h1>松花江网</h1>"),
            "土豆不“土” 土豆无“土”",
        ),
        (_doc("<title>多数夫妻生活有名无实(图)--雅虎新闻</title>"), "多数夫妻生活有名无实(图)"),
        (_doc("<title>海姑娘的湘菜 | blog.wenxuecity.com</title>"), "海姑娘的湘菜"),
        (
            _doc(
                "<title>国产传感器良率突破九成_芯闻速递_科技</title>"
                '<meta property="og:site_name" content="芯闻速递">'
            ),
            "国产传感器良率突破九成",
        ),
        (_doc("", "<h1>Only a headline</h1>"), "Only a headline"),
    ],
    ids=[
        "og-suffix",
        "og-kept",
        "h1-in-title",
        "h1-logo",
        "double-dash",
        "domain",
        "underscores",
        "h1-only",
    ],
)
def test_title_rules(html: str, title: str) -> None:
    assert (
        GenericParser.V1().title(Page.from_html(html, "https://www.circuitledger.test/a")) == title
    )


def test_strip_site_suffix_keeps_a_title_without_separator() -> None:
    assert strip_site_suffix("A plain headline", {"the ledger"}) == "A plain headline"


def test_title_missing_everywhere_is_a_parse_error() -> None:
    with pytest.raises(ParseError) as info:
        GenericParser.V1().title(Page.from_html(_doc(body="<p>x</p>"), EN_URL))
    assert info.value.field_name == "title"


@pytest.mark.parametrize(
    ("html", "published"),
    [
        (
            _doc('<meta property="article:published_time" content="2024-03-05T09:30:00Z">'),
            "2024-03-05T09:30:00Z",
        ),
        (
            _doc(
                '<script type="application/ld+json">{"@graph": [{"@type": "WebPage"}, '
                '{"@type": "NewsArticle", "datePublished": "2022-08-25T16:09:00+08:00"}]}</script>'
            ),
            "2022-08-25T16:09:00+08:00",
        ),
        (
            _doc("", '<article><h1>T</h1><time datetime="2021-04-02T10:30">Apr 2</time></article>'),
            "2021-04-02T10:30",
        ),
        (
            _doc(
                "", '<h1>T</h1><div class="info"><span class="pubtime">2022年08月25日 16:09</span>'
            ),
            "2022-08-25 16:09:00",
        ),
        (
            _doc("", "<h1>T</h1><p>x</p><div>发布时间：2022-02-13 04:22:18 来源：云南日报</div>"),
            "2022-02-13 04:22:18",
        ),
        (
            _doc(
                "<title>Relays rewired | Ledger</title>",
                "<h2>Relays rewired</h2><p>By Avery, March 5, 2024</p>",
            ),
            "2024-03-05",  # a printed day stays a day: no midnight is invented
        ),
    ],
    ids=["meta", "json-ld-graph", "time-datetime", "date-class", "labelled", "after-headline"],
)
def test_published_sources(html: str, published: str) -> None:
    assert GenericParser.V1().published(Page.from_html(html, EN_URL)) == published


def test_dates_far_from_the_headline_are_not_taken() -> None:
    html = _doc(
        "<title>Relays</title>",
        "<h1>Relays</h1>" + "<p>words</p>" * 30 + "<p>Older: March 1, 2024</p>",
    )
    with pytest.raises(ParseError) as info:
        GenericParser.V1().published(Page.from_html(html, EN_URL))
    assert info.value.field_name == "published"


@pytest.mark.parametrize(
    ("head", "canonical"),
    [
        (
            '<link rel="canonical" href="/a/canonical">',
            "https://www.circuitledger.test/a/canonical",
        ),
        (
            '<meta property="og:url" content="https://m.circuitledger.test/og">',
            "https://m.circuitledger.test/og",
        ),
        ("", EN_URL),
    ],
    ids=["link", "og-url", "page-url"],
)
def test_canonical_url_fallbacks(head: str, canonical: str) -> None:
    assert GenericParser.V1().canonical_url(Page.from_html(_doc(head), EN_URL)) == canonical


def test_language_is_empty_when_undeclared() -> None:
    assert GenericParser.V1().language(Page.from_html(_doc(), EN_URL)) == ""


def test_source_falls_back_to_the_host() -> None:
    assert GenericParser.V1().source(Page.from_html(_doc(), EN_URL)) == "circuitledger.test"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("login.html", "text weight"), ("index.html", "mostly headings")],
)
def test_page_without_article_raises_for_body(name: str, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        GenericParser.V1().body(Page.from_html(page_text(name), EN_URL))
    assert info.value.field_name == "body"
    assert info.value.reason.startswith("page with no article")
    assert reason in info.value.reason


def test_a_list_of_links_is_not_an_article() -> None:
    items = "".join(
        f'<li><a href="/s/{i}">Story number {i} about relays, grids and the people who fix them'
        "</a></li>"
        for i in range(20)
    )
    html = _doc("<title>Stories</title>", f"<main><ul>{items}</ul></main>")
    with pytest.raises(ParseError) as info:
        GenericParser.V1().body(Page.from_html(html, EN_URL))
    assert "page with no article" in info.value.reason


def test_a_short_post_is_an_article() -> None:
    nav = '<nav><a href="/">Home</a> <a href="/about">About</a> <a href="/all">Archive</a></nav>'
    post = (
        "<article><h1>Snow day</h1><p>The lake froze over last night, and by noon the whole "
        "village was out on the ice.</p><p>We skated until the light went.</p></article>"
    )
    html = _doc("<title>Snow day | Notes</title>", nav + post + "<footer>Powered by</footer>")
    text = extract_text(html, EN_URL)  # 113 characters: under the minimum, all the page says
    assert text.startswith("The lake froze over last night")
    assert text.endswith("We skated until the light went.")
    assert "Archive" not in text


def test_a_short_body_of_a_long_page_or_of_a_form_is_no_short_article() -> None:
    caption = "The mayor speaks at the opening of the new bridge on Tuesday. Photo: AP"
    assert short_article(caption, page_prose=3 * len(caption))
    assert not short_article(caption, page_prose=3 * len(caption) + 1)  # the article was missed
    assert not short_article("Sign in to your account. Forgot your password?", page_prose=0)


def test_empty_page_is_not_an_article() -> None:
    with pytest.raises(ParseError, match="page with no article"):
        GenericParser.V1().body(Page.from_html("<html><body></body></html>", EN_URL))


# --- spider --------------------------------------------------------------------------------
def test_spider_takes_allowed_domains_from_the_urls() -> None:
    crawler = get_crawler(GenericSpider, {})
    spider = crawler._create_spider(urls=f"{EN_URL},{ZH_URL}")
    assert isinstance(spider, GenericSpider)
    assert spider.allowed_domains == ["www.circuitledger.test", "www.xinwen.test"]
    assert [r.url for r in spider.start_requests_list()] == [EN_URL, ZH_URL]


def test_spider_without_urls_requests_nothing() -> None:
    spider = get_crawler(GenericSpider, {})._create_spider()
    assert isinstance(spider, GenericSpider)
    assert list(spider.start_requests_list()) == []


def test_generic_is_listed_but_owns_no_host(tmp_path: Path) -> None:
    spiders = portal_spiders(project_settings(tmp_path))
    assert spiders["generic"] is GenericSpider
    for url in (EN_URL, "http://127.0.0.1:8000/a.html", "https://generic/x"):
        with pytest.raises(NoParserForUrlError):
            portal_for_url(url, {"generic": GenericSpider})
    assert portal_for_url("https://www.ofweek.com/a.html", spiders) == "ofweek"


# --- end to end: fetch through the real pipeline -------------------------------------------
ROUTES: dict[str, Route] = {
    "/robots.txt": (200, "text/plain", b"User-agent: *\nAllow: /\n"),
    "/2024/03/tiny-relays.html": (
        200,
        "text/html; charset=utf-8",
        page_text("article-en.html").encode(),
    ),
    # served as the page declares (GBK, in a <meta>), with no charset in the header
    "/chip/2023/1120/mems.html": (200, "text/html", page_text("article-zh.html").encode("gbk")),
    "/login": (200, "text/html; charset=utf-8", page_text("login.html").encode()),
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_routes(ROUTES) as base_url:
        yield base_url


E2E_SETTINGS = (*FAST_SETTINGS, "ARCHIVE_IMAGES_DOWNLOAD=False", "RETRY_TIMES=0")


def test_fetch_writes_generic_articles(server: str, tmp_path: Path) -> None:
    en, zh = f"{server}/2024/03/tiny-relays.html", f"{server}/chip/2023/1120/mems.html"
    result = run_cli(tmp_path, "fetch", en, zh, "--portal", "generic", settings=E2E_SETTINGS)
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert len(paths) == 2
    posts = {p.parent.name: frontmatter.load(str(p)) for p in paths}
    assert all(p.is_relative_to((tmp_path / "posts" / "generic").resolve()) for p in paths)
    english, chinese = posts["2024-03"], posts["2023-11"]
    assert english["title"].startswith("Tiny Relays, Big Savings")
    assert english["date"] == "Tue, 05 Mar 2024 09:30:00 GMT"
    assert english["categories"] == ["存档"]
    assert "Tuesday afternoon" in english.content
    assert "sparky_jo" not in english.content
    assert chinese["title"] == "国产MEMS压力传感器良率突破九成，车规认证进入最后阶段"
    assert chinese["date"] == "Mon, 20 Nov 2023 06:05:00 GMT"
    assert "同步开展温度和湿度传感器的研发工作" in chinese.content
    assert "热门排行" not in chinese.content


def test_fetch_of_a_page_without_article_is_a_one_line_error(server: str, tmp_path: Path) -> None:
    url = f"{server}/login"
    result = run_cli(tmp_path, "fetch", url, "--portal", "generic", settings=E2E_SETTINGS)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: {url}: ")
    assert "no article" in errors[0] or "no_body" in errors[0]
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.rglob("*.md"))


# --- body extraction details (crawler/parsers/generic_body.py) ----------------------------
SENTENCE = "The crews replaced {n} relays on the northern feeder before the storm season began. "


def test_text_after_an_html_comment_is_kept() -> None:
    # React pages write "text<!-- -->more": the part after the comment belongs to the body
    paragraphs = "".join(
        f"<p>{SENTENCE.format(n=i)}Then<!-- --> the second half of paragraph {i} follows.</p>"
        for i in range(6)
    )
    text = extract_text(_doc("<title>Relays</title>", f"<article>{paragraphs}</article>"), EN_URL)
    assert "Then the second half of paragraph 5 follows." in text


def test_extraction_leaves_the_page_images_as_they_were() -> None:
    paragraphs = "".join(f"<p>{SENTENCE.format(n=i)}</p>" for i in range(6))
    image = '<img src="/loading.gif" data-src="/img/88421?w=800" alt="relay">'
    page = Page.from_html(
        _doc("<title>Relays</title>", f"<article>{image}{paragraphs}</article>"), EN_URL
    )
    body = GenericParser.V1().body(page)
    assert 'src="https://www.circuitledger.test/img/88421?w=800"' in body
    img = page.selector.css("img")[0].attrib
    assert img == {"src": "/loading.gif", "data-src": "/img/88421?w=800", "alt": "relay"}


def test_body_links_are_absolute() -> None:
    paragraphs = "".join(
        f'<p>{SENTENCE.format(n=i)}<a href="/notes/{i}">Field notes {i}</a> were filed.</p>'
        for i in range(6)
    )
    body = GenericParser.V1().body(
        Page.from_html(_doc("", f"<article>{paragraphs}</article>"), EN_URL)
    )
    assert '<a href="https://www.circuitledger.test/notes/3">Field notes 3</a>' in body


ZH_SENTENCE = "研究团队在第{n}轮测试中把传感器的良率提高到百分之九十二，检测时间也缩短到六分钟。"


def _zh_article(after: str, before: str = "") -> str:
    paragraphs = "".join(f"<p>{ZH_SENTENCE.format(n=i)}</p>" for i in range(8))
    return _doc(
        "<title>传感器</title>", f"<div>{before}<div class='text'>{paragraphs}</div>{after}</div>"
    )


def _trimmed(html: str) -> str:
    from lxml import html as lxml_html

    from archive.boilerplate import trim_boilerplate

    body = lxml_html.fragment_fromstring(html, create_parent="div")
    trim_boilerplate(body, {ZH_URL}, text_weight)
    return " ".join(body.itertext())


def test_related_links_after_the_article_are_cut() -> None:
    article = "".join(f"<p>{ZH_SENTENCE.format(n=i)}</p>" for i in range(8))
    related = "".join(f"<li><a href='/n/{i}'>另一家厂商发布第{i}代芯片</a></li>" for i in range(8))
    text = _trimmed(f"{article}<p>相关报道：</p><ul>{related}</ul><p>【打印】【关闭】</p>")
    assert "第7轮测试" in text
    assert "相关报道" not in text and "另一家厂商" not in text and "打印" not in text


def test_copyright_line_ends_the_body() -> None:
    paragraphs = "".join(f"<p>{SENTENCE.format(n=i)}</p>" for i in range(6))
    tail = "<p>Copyright 2024 The Ledger. All rights reserved.</p><p>Trending now: relays</p>"
    text = extract_text(
        _doc("<title>Relays</title>", f"<article>{paragraphs}{tail}</article>"), EN_URL
    )
    assert "replaced 5 relays" in text
    assert "Copyright" not in text and "Trending" not in text


def test_a_marker_before_the_article_cuts_nothing() -> None:
    header = "".join(f"<p>{ZH_SENTENCE.format(n=i)[:20]}</p>" for i in range(5)) + "<p>最新评论</p>"
    article = "".join(f"<p>{ZH_SENTENCE.format(n=i) * 2}</p>" for i in range(3))
    text = _trimmed(header + article)
    assert "最新评论" in text and "第2轮测试" in text


def test_trim_boilerplate_drops_labels_and_the_page_url() -> None:
    from lxml import html as lxml_html

    from archive.boilerplate import trim_boilerplate

    body = lxml_html.fragment_fromstring(
        f"<div><p>{EN_URL}</p><p>Advertisement</p><p>{SENTENCE.format(n=1)}</p></div>"
    )
    trim_boilerplate(body, {EN_URL}, text_weight)
    assert [p.text for p in body] == [SENTENCE.format(n=1)]


# --- author (crawler/parsers/generic_meta.py) ----------------------------------------------
def _author(head: str, body: str) -> str:
    return GenericParser.V1().author(Page.from_html(_doc(head, body), ZH_URL))


@pytest.mark.parametrize(
    ("head", "body", "author"),
    [
        ('<meta name="author" content="林晓">', "<p>正文</p>", "林晓"),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", "author": '
            '[{"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "Li Wei"}]}'
            "</script>",
            "<p>x</p>",
            "Jane Doe, Li Wei",
        ),
        (
            '<meta name="author" content="www.yunnan.cn,云南网">',
            "<p>（记者 胡晓蓉）正文</p>",
            "胡晓蓉",
        ),
        ("", "<div>21世纪经济报道 作者：宋怡 杨志华 我要说说 打印</div>", "宋怡 杨志华"),
        ("", "<p>光明日报记者 王建宏 张文攀</p><p>土豆，听名字就很朴实。</p>", "王建宏 张文攀"),
        ("", "<p>本报实习生 刘国栋 周炜 本报记者 王燕平 方云凤</p>", "刘国栋 周炜 王燕平 方云凤"),
        ("", "<p>新京报记者 彭冲 山东冠县报道</p>", "彭冲"),
        ("", "<p>By Morgan Avery</p><p>Text.</p>", "Morgan Avery"),
        ("", "<p>到头来，一位自甘穷酸的外科医生。（袁源）</p>", "袁源"),
        ("", "<p>本贴由 大卫 于2005年8月12日16:12:21在论坛发表</p>", "大卫"),
        ("", "<p>正文。</p><p>（ 责任编辑：刘林源 ）</p>", "刘林源"),
        ("", "<p>记者近日从西藏自治区了解到，厕所改造进展顺利。</p>", ""),
        ("", "<p>他说：“这样的说法没有道理。”（组图）</p>", ""),
    ],
    ids=[
        "meta",
        "json-ld",
        "site-meta-rejected",
        "labelled",
        "reporters",
        "interns-and-reporters",
        "reporter-reporting-from",
        "by-line",
        "closing-bracket",
        "forum",
        "editor",
        "no-name",
        "bracket-not-a-name",
    ],
)
def test_author_sources(head: str, body: str, author: str) -> None:
    assert _author(head, body) == author


def test_an_element_marked_as_the_byline_names_the_author() -> None:
    body = '<p class="byline">By Morgan Avery | March 5, 2024</p><p>Crews replaced relays.</p>'
    assert _author("", body) == "Morgan Avery"
    assert _author("", '<span class="byline">Updated 3 hours ago</span>') == ""


def test_a_line_of_names_under_the_title_is_the_byline() -> None:
    body = "<h1>犬儒病</h1><p>胡平</p><p>——当代中国的精神危机</p><p>正文很长。</p>"
    assert _author("<title>犬儒病</title>", body) == "胡平"


# --- dates (archive/dates.py) -----------------------------------------------
NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2022年08月25日 16:09", "2022-08-25T16:09:00+08:00"),
        ("发布时间：2022-8-5 9:03:11", "2022-08-05T09:03:11+08:00"),
        ("9/17/2004 5:54:13 PM", "2004-09-17T17:54:13+08:00"),
        ("March 5, 2024 at 3:04 pm", "2024-03-05T15:04:00+08:00"),
        ("5 Mar 2024", "2024-03-05T00:00:00+08:00"),
        ("2024-03-05T10:00:00Z", "2024-03-05T10:00:00+00:00"),
        ("3 小时前", "2024-03-05T17:00:00+08:00"),
        ("5分钟前", "2024-03-05T19:55:00+08:00"),
        ("刚刚", "2024-03-05T20:00:00+08:00"),
        ("昨天 14:20", "2024-03-04T14:20:00+08:00"),
        ("2 天前", "2024-03-03T20:00:00+08:00"),
        ("3 hours ago", "2024-03-05T17:00:00+08:00"),
    ],
)
def test_parse_page_date(text: str, iso: str) -> None:
    parsed = parse_page_date(text, NOW)
    assert parsed is not None and parsed.isoformat() == iso


def test_parse_page_date_without_a_date_is_none() -> None:
    assert parse_page_date("没有日期的文字", NOW) is None
    assert parse_page_date("2024年13月45日", NOW) is None


class _FixedClock(GenericParser.V1):
    @staticmethod
    def now() -> datetime:
        return NOW


def test_a_relative_date_is_published_as_an_aware_time() -> None:
    html = _doc("", '<h1>T</h1><div class="info"><span class="time">3 小时前</span></div>')
    published = _FixedClock().published(Page.from_html(html, ZH_URL))
    assert published == "2024-03-05T17:00:00+08:00"
    assert parse_published(published) == datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def test_a_posting_stamp_after_the_headline_is_the_date() -> None:
    body = "<h1>会议议程</h1>" + "<p>内容段落</p>" * 20 + "<p>张三 发表于 2004-12-10 09:51</p>"
    published = GenericParser.V1().published(
        Page.from_html(_doc("<title>会议议程</title>", body), ZH_URL)
    )
    assert published == "2004-12-10 09:51:00"


def _long_page(paragraphs: int) -> object:
    from lxml import html as lxml_html

    prose = "".join(
        f"<p>Paragraph {n} of a long report: the council met again on Tuesday and the budget "
        "for the new library, the roads and the harbour was read out line by line.</p>"
        for n in range(paragraphs)
    )
    return lxml_html.fromstring(f"<html><body><article>{prose}</article></body></html>")


def test_a_truncated_precise_body_gives_way_to_the_default_extraction() -> None:
    from trafilatura.settings import Document

    from crawler.parsers.generic import TRAFILATURA_OPTIONS
    from crawler.parsers.generic_body import PagePasses, _unless_truncated

    cut = Document()
    cut.raw_text = "Paragraph 0 of a long report."  # what precision mode kept of 40 paragraphs
    wider = _unless_truncated(cut, PagePasses(_long_page(40)), TRAFILATURA_OPTIONS)
    assert wider is not cut
    assert "Paragraph 39 of a long report" in wider.raw_text

    whole = Document()
    whole.raw_text = "x" * 6000  # as long as the page's prose: kept as it is
    assert _unless_truncated(whole, PagePasses(_long_page(40)), TRAFILATURA_OPTIONS) is whole


@pytest.mark.parametrize(
    ("head", "body", "author"),
    [
        ('<meta name="author" content="Camphouse Team">', "", "Camphouse Team"),
        ('<meta name="author" content="Discuz! Team">', "", ""),
        (
            '<meta name="twitter:label1" content="Written by">'
            '<meta name="twitter:data1" content="Jayesh Shinde">',
            "",
            "Jayesh Shinde",
        ),
        (
            '<script type="application/ld+json">{"@graph": [{"@type": "Article", '
            '"author": {"@id": "#p1"}}, {"@type": "Person", "@id": "#p1", '
            '"name": "Christian Dupuis"}]}</script>',
            "",
            "Christian Dupuis",
        ),
        ("", '<div class="creator-name">Newsdesk Writer</div>', "Newsdesk Writer"),
    ],
)
def test_author_as_a_reader_sees_it(head: str, body: str, author: str) -> None:
    html = f"<html><head>{head}</head><body><h1>Headline</h1>{body}<p>Text.</p></body></html>"
    page = Page.from_html(html, "https://example.org/post")
    assert GenericParser.V1().author(page) == author


@pytest.mark.parametrize(
    ("html", "url", "published"),
    [
        (
            '<meta name="published" content="July 17, 2025">',
            "https://example.org/post",
            "July 17, 2025",
        ),
        (
            '<div class="w-embed"><strong>By <a class="author-name" href="/t/v">Vahid Osman'
            "</a></strong> - Mar 27, 2024</div>",
            "https://example.org/post",
            "2024-03-27",
        ),
        ("", "https://example.org/blog/2025/12/15/rust-gcc", "2025-12-15"),
        ("", "https://example.org/blog/20251215-rust-gcc", None),
    ],
)
def test_published_from_byline_box_meta_and_url(html: str, url: str, published: str | None) -> None:
    head, body = (html, "") if html.startswith("<meta") else ("", html)
    page = Page.from_html(
        f"<html><head>{head}</head><body><h1>Headline</h1>{body}</body></html>", url
    )
    if published is None:
        with pytest.raises(ParseError):
            GenericParser.V1().published(page)
    else:
        assert GenericParser.V1().published(page) == published


def test_images_are_put_back_where_they_stood_in_the_article() -> None:
    # trafilatura chooses the text without images; each article image comes back before the
    # paragraph that followed it (its figure's caption skipped), the last one after the end
    first = "".join(f"<p>{SENTENCE.format(n=i)}</p>" for i in range(3))
    second = "".join(f"<p>{SENTENCE.format(n=i)}</p>" for i in range(3, 6))
    figure = (
        '<figure><img src="/media/cabinet.jpg" alt="cabinet">'
        "<figcaption>The relay cabinet at the northern substation, photographed in March."
        "</figcaption></figure>"
    )
    page = _doc(
        "<title>Relays</title>",
        f"<article>{first}{figure}{second}"
        '<p><img src="/media/closing.jpg" alt="closing"></p></article>',
    )
    body = GenericParser.V1().body(Page.from_html(page, EN_URL))
    cabinet = body.index('<img src="https://www.circuitledger.test/media/cabinet.jpg"')
    assert body.index("replaced 2 relays") < cabinet < body.index("replaced 3 relays")
    assert body.index("replaced 5 relays") < body.index(
        'src="https://www.circuitledger.test/media/closing.jpg"'
    )


def test_images_outside_the_article_stay_out() -> None:
    # a logo, share icons, teaser thumbnails, a partner's banner and a tracking pixel are no
    # article images, even when they stand right next to it
    paragraphs = "".join(f"<p>{SENTENCE.format(n=i)}</p>" for i in range(6))
    banner = '<a href="https://ads.partner.test/click?id=7"><img src="/ad/banner.jpg"></a>'
    pixel = '<img src="https://stats.partner.test/p.gif" width="1" height="1">'
    teasers = "".join(
        f'<li><a href="/2024/03/story-{i}"><img src="/thumbs/story-{i}.jpg"></a>'
        f'<a href="/2024/03/story-{i}">Another story about relays, number {i}</a></li>'
        for i in range(3)
    )
    page = _doc(
        "<title>Relays</title>",
        '<header><img src="/logo.png" alt="The Circuit Ledger"></header>'
        f"<main><article><div class=body>{paragraphs}{banner}{pixel}</div></article>"
        f"<aside><ul>{teasers}</ul></aside></main>",
    )
    body = GenericParser.V1().body(Page.from_html(page, EN_URL))
    assert "replaced 5 relays" in body
    for absent in ("logo.png", "banner.jpg", "p.gif", "thumbs/"):
        assert absent not in body


def _forum_page() -> str:
    ld = '{"@context": "https://schema.org", "@type": "DiscussionForumPosting", "headline": "T"}'
    posts = "".join(
        f'<li class="comment"><p>Post {n}: the pump on the east well failed again this morning '
        "and the spare seal from the shed did not fit the housing at all.</p></li>"
        for n in range(8)
    )
    return _doc(
        f'<script type="application/ld+json">{ld}</script>',
        f'<h1>Pump seals</h1><div id="comments"><ol class="comment-list">{posts}</ol></div>',
    )


def _buried_article_page() -> str:
    """A short article and much more text outside it: trafilatura's default mode escalates."""
    article = "<article><p>" + "The ferry timetable changes on Monday. " * 4 + "</p></article>"
    other = "".join(
        f"<div><span>Notice {n}: the harbour office opens late on holidays, the car park "
        "is closed for repairs and the kiosk takes cards only until further notice.</span></div>"
        for n in range(40)
    )
    return _doc("<title>Ferry</title>", f"<div>{other}</div>{article}<div>{other}</div>")


@pytest.mark.parametrize(
    "html",
    [
        (PAGES / "article-en.html").read_text(encoding="utf-8"),
        (PAGES / "article-zh.html").read_text(encoding="utf-8"),
        (PAGES / "index.html").read_text(encoding="utf-8"),
        (PAGES / "login.html").read_text(encoding="utf-8"),
        _forum_page(),
        _buried_article_page(),
    ],
)
def test_the_shared_passes_extract_what_trafilatura_does(html: str) -> None:
    """``PagePasses.extract`` runs trafilatura's cascade steps itself on the page prepared
    once: in every mode its body and text are trafilatura's own (``bare_extraction``)."""
    import trafilatura
    from lxml import etree
    from lxml import html as lxml_html

    from crawler.parsers.generic import TRAFILATURA_OPTIONS
    from crawler.parsers.generic_body import PagePasses

    passes = PagePasses(lxml_html.fromstring(html))
    for overrides in ({}, {"favor_precision": False}, {"favor_recall": True}):
        for fast in (True, False):
            options = {**TRAFILATURA_OPTIONS, **overrides, "include_images": False, "fast": fast}
            ours = passes.extract(options)
            theirs = trafilatura.bare_extraction(lxml_html.fromstring(html), **options)
            assert (ours is None) == (theirs is None), options
            if ours is not None:
                assert ours.raw_text == theirs.raw_text, options
                assert etree.tostring(ours.body) == etree.tostring(theirs.body), options


def test_the_prune_shortcut_knows_the_installed_trafilaturas_expressions() -> None:
    """The shortcut only knows trafilatura's prune expressions by their text: another text (a
    new trafilatura) is always evaluated (right but slower), which this test makes visible."""
    from trafilatura.xpaths import (
        RAW_TREE_PRUNE_XPATH,
        REMOVE_COMMENTS_AND_LISTS_XPATH,
        REMOVE_COMMENTS_XPATH,
    )

    from crawler.parsers.generic_body import _may_match

    for expression in (
        *RAW_TREE_PRUNE_XPATH,
        *REMOVE_COMMENTS_AND_LISTS_XPATH,
        *REMOVE_COMMENTS_XPATH,
    ):
        assert not _may_match(expression, "article-body\nsidebar\nmain"), expression.path


@pytest.mark.parametrize(
    ("marked", "evaluated"),
    [
        ('<div id="comments"><p>First!</p></div>', True),
        ('<div class="post-comments"><p>First!</p></div>', True),
        ('<ol class="commentlist"><li>First!</li></ol>', True),
        ('<div id="disqus_thread"></div>', True),
        ('<section class="infinite-scroll"><p>Next story</p></section>', True),
        ('<div class="mvp-post-add-box"><h1>Next</h1></div>', True),
        ('<div class="elementor-share-buttons"><a href="/s">Share</a></div>', True),
        ('<div class="commentary"><p>A column, not comments.</p></div>', True),  # matches nothing
        ('<div class="sidebar"><p>Elsewhere</p></div>', False),
    ],
)
def test_a_prune_left_out_is_one_that_matches_nothing(marked: str, evaluated: bool) -> None:
    """trafilatura's prunes of the raw page and of comment sections give the same tree with
    the shortcut (an expression whose strings no id or class holds is not evaluated)."""
    from copy import copy

    from lxml import etree
    from lxml import html as lxml_html
    from trafilatura.htmlprocessing import prune_unwanted_nodes
    from trafilatura.xpaths import (
        RAW_TREE_PRUNE_XPATH,
        REMOVE_COMMENTS_AND_LISTS_XPATH,
        REMOVE_COMMENTS_XPATH,
    )

    from crawler.parsers.generic_body import PagePasses, _may_match, _prune

    page = PagePasses(
        lxml_html.fromstring(_doc("", f"<article><p>Body text.</p>{marked}</article>"))
    )
    for expressions in (
        RAW_TREE_PRUNE_XPATH,
        REMOVE_COMMENTS_AND_LISTS_XPATH,
        REMOVE_COMMENTS_XPATH,
    ):
        ours = _prune(copy(page.root), expressions, page.marks)
        theirs = prune_unwanted_nodes(copy(page.root), expressions)
        assert etree.tostring(ours) == etree.tostring(theirs)
    expressions = (*RAW_TREE_PRUNE_XPATH, *REMOVE_COMMENTS_AND_LISTS_XPATH)
    assert any(_may_match(x, page.marks) for x in expressions) == evaluated
