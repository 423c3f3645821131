"""Spider callbacks on offline responses: discovery, pagination limits, feeds, failures."""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy.http import HtmlResponse, XmlResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from archive.items import ArticleItem, FetchFailure
from crawler.spiders.ofweek import OfweekSpider

BASE = "http://demo.test"
LISTING = f"""<html><body>
<div class="list-left">
<div class="con-details"><h3><a href="{BASE}/2022-08/ART-8100-2801-1.html">一</a></h3></div>
<div class="con-details"><h3><a href="/2022-08/ART-8100-2801-2.html">二</a></h3></div>
<div class="con-details"><h3><a href="{BASE}/about.html">不是文章</a></h3></div></div>
<div class="list-right"><h3><a href="{BASE}/2022-08/ART-8100-2801-9.html">侧栏</a></h3></div>
<div class="page"><a class="next" href="/CATList-8100-CHANGYIEXINWE-2.html">下一页</a></div>
</body></html>"""
FEED = f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>高科技行业门户</title>
<item><title>三</title><link>{BASE}/2022-08/ART-8100-2801-3.html</link>
<pubDate>Thu, 25 Aug 2022 08:09:00 GMT</pubDate></item>
<item><title>外链</title><link>https://elsewhere.test/x.html</link></item></channel></rss>"""


def spider(**kwargs: Any) -> OfweekSpider:
    crawler = get_crawler(OfweekSpider, {"ARCHIVE_BASE_URL": BASE})
    crawler.spider = crawler._create_spider(**kwargs)
    assert isinstance(crawler.spider, OfweekSpider)
    return crawler.spider


def test_base_url_override_sets_start_urls_and_allowed_domains() -> None:
    s = spider()
    urls = [r.url for r in s.start_requests_list()]
    assert urls == [f"{BASE}/CATList-8100-CHANGYIEXINWE.html", f"{BASE}/rss/ofweek/news"]
    assert "demo.test" in s.allowed_domains
    assert "ofweek.com" in s.allowed_domains


def test_real_site_uses_the_real_feed() -> None:
    crawler = get_crawler(OfweekSpider, {})
    s = crawler._create_spider()
    assert isinstance(s, OfweekSpider)
    assert [r.url for r in s.start_requests_list()][-1] == "https://rsshub.app/ofweek/news"


def test_listing_yields_article_requests_and_next_page() -> None:
    s = spider()
    response = HtmlResponse(
        f"{BASE}/CATList-8100-CHANGYIEXINWE.html", body=LISTING.encode(), encoding="utf-8"
    )
    out = list(s.parse_listing(response, page=1))
    articles = [r.url for r in out if r.callback == s.parse_article]
    assert articles == [
        f"{BASE}/2022-08/ART-8100-2801-1.html",
        f"{BASE}/2022-08/ART-8100-2801-2.html",
    ]
    pages = [r for r in out if r.callback == s.parse_listing]
    assert [r.cb_kwargs["page"] for r in pages] == [2]


def test_pagination_limit_is_respected() -> None:
    s = spider(max_pages="2")
    response = HtmlResponse(f"{BASE}/x.html", body=LISTING.encode(), encoding="utf-8")
    assert not [r for r in s.parse_listing(response, page=2) if r.callback == s.parse_listing]


def test_feed_yields_articles_with_their_pubdate() -> None:
    s = spider()
    response = XmlResponse(f"{BASE}/rss/ofweek/news", body=FEED.encode())
    out = list(s.parse_feed(response))
    assert [r.url for r in out] == [f"{BASE}/2022-08/ART-8100-2801-3.html"]
    assert out[0].meta["feed_published"] == "Thu, 25 Aug 2022 08:09:00 GMT"


def test_article_callback_builds_a_raw_item() -> None:
    s = spider()
    html = (
        '<div class="artical"><p class="title">标题</p><div class="time fl">2022-08-25 16:09'
        '</div><div class="source-name">来源：OFweek</div><div id="articleC"><p>正文</p></div>'
        "</div>"
    )
    request = scrapy.Request(
        f"{BASE}/2022-08/ART-8100-2801-1.html",
        meta={"feed_published": "Thu, 25 Aug 2022 08:09:00 GMT"},
    )
    response = HtmlResponse(
        request.url,
        body=html.encode("gbk"),
        request=request,
        headers={"Content-Type": "text/html; charset=gbk"},
    )
    (item,) = list(s.parse_article(response))
    assert isinstance(item, ArticleItem)
    assert (item.title_raw, item.published_raw, item.source_raw) == (
        "标题",
        "2022-08-25 16:09",
        "来源：OFweek",
    )
    assert item.categories == ["新媒体", "高科技行业门户", "新闻"]
    assert item.author == "高科技行业门户"
    assert item.parser == "ofweek.V2"
    assert item.feed_published is not None


def test_taxonomy_override_from_settings() -> None:
    crawler = get_crawler(OfweekSpider, {"ARCHIVE_TAXONOMY": {"ofweek": {"author": "OFweek"}}})
    s = crawler._create_spider()
    assert isinstance(s, OfweekSpider)
    assert s.active_taxonomy.author == "OFweek"
    assert s.active_taxonomy.categories == ("新媒体", "高科技行业门户", "新闻")


def test_errback_turns_failures_into_items() -> None:
    s = spider()
    failure = Failure(TimeoutError("took too long"))
    failure.request = scrapy.Request(f"{BASE}/2022-08/ART-8100-2801-5.html")  # type: ignore[attr-defined]
    (item,) = list(s.on_error(failure))
    assert isinstance(item, FetchFailure)
    assert item.url.endswith("ART-8100-2801-5.html")
    assert item.reason == "timeout"


def _article_response(html: str) -> HtmlResponse:
    request = scrapy.Request(f"{BASE}/2022-08/ART-8100-2801-1.html")
    return HtmlResponse(
        request.url,
        body=html.encode("gbk"),
        request=request,
        headers={"Content-Type": "text/html; charset=gbk"},
    )


ARTICLE = (
    '<div class="artical"><p class="title">标题</p><div class="time fl">2022-08-25 16:09'
    '</div><div id="articleC"><p>正文</p></div></div>'
)


def test_a_crashing_field_method_loses_only_that_field(monkeypatch: Any) -> None:
    from crawler.parsers.ofweek import OfweekParser

    monkeypatch.setattr(OfweekParser.V2, "SOURCE", "div[")  # cssselect raises on it
    (item,) = list(spider().parse_article(_article_response(ARTICLE)))
    assert isinstance(item, ArticleItem)
    assert item.title_raw == "标题"
    assert "source" in item.parse_errors


def test_a_crashing_parser_becomes_a_failure_record(monkeypatch: Any) -> None:
    from crawler.parsers.ofweek import OfweekParser

    monkeypatch.setattr(OfweekParser.V2, "TITLE", "p.title[")  # the version check raises
    (failure,) = list(spider().parse_article(_article_response(ARTICLE)))
    assert isinstance(failure, FetchFailure)
    assert failure.reason == "parser_crash"
    assert "SelectorSyntaxError" in failure.detail


def _missing_module(*args: Any) -> Any:
    raise ImportError("No module named 'lxml_html_clean'")


def test_a_missing_module_in_the_body_is_a_failure_naming_it(monkeypatch: Any) -> None:
    from crawler.parsers.ofweek import OfweekParser

    monkeypatch.setattr(OfweekParser.V2, "body", _missing_module)
    (failure,) = list(spider().parse_article(_article_response(ARTICLE)))
    assert isinstance(failure, FetchFailure)
    assert failure.reason == "parser_crash"
    assert failure.detail == (
        "extractor failed: body: ImportError: No module named 'lxml_html_clean'"
    )


def test_the_generic_fallback_names_a_missing_module(monkeypatch: Any, caplog: Any) -> None:
    from crawler.parsers.base import Page
    from crawler.parsers.generic import GenericParser

    monkeypatch.setattr(GenericParser.V1, "body_element", _missing_module)
    page = Page.from_html(ARTICLE, f"{BASE}/2022-08/ART-8100-2801-1.html")
    result = spider().fallback_parse(page)
    assert result.failed == ["body"] and result.fields == {}
    assert "extractor failed: body: ImportError: No module named" in caplog.text
