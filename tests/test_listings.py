"""Listing formats on offline responses, and the spiders that declare them."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, TextResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.spiders.base import PortalSpider
from crawler.spiders.kr36 import Kr36Spider
from crawler.spiders.listings import JsonInPage, dig, next_page_url

BASE = "http://demo.test/36kr"


def spider(cls: type[PortalSpider], base: str, **kwargs: Any) -> Any:
    crawler = get_crawler(cls, {"ARCHIVE_BASE_URL": base})
    crawler.spider = crawler._create_spider(**kwargs)
    return crawler.spider


def html(url: str, text: str) -> HtmlResponse:
    return HtmlResponse(url, body=text.encode("utf-8"), encoding="utf-8")


def test_dig_and_next_page_url() -> None:
    assert dig({"a": {"b": [1]}}, "a.b") == [1]
    assert dig({"a": 1}, "a.b") is None
    assert next_page_url("http://x/l?p=1&type=ajax", "p") == "http://x/l?p=2&type=ajax"
    assert next_page_url("http://x/l", "page") == "http://x/l?page=2"


def test_json_in_page_lists_items_and_skips_ads() -> None:
    page = html(
        f"{BASE}/information/web_news/",
        (
            '<script>var x = 1;</script><script>window.initialState={"information":'
            '{"informationList":'
            '{"itemList":[{"itemId":11,"itemType":10},{"itemType":0,"templateMaterial":{}},'
            '{"itemId":12,"itemType":10}]}}}</script>'
        ),
    )
    fmt = JsonInPage(
        r"window\.initialState\s*=\s*(\{.*\})\s*$",
        "information.informationList.itemList",
        "{base}/p/{itemId}",
    )
    assert fmt.links(page, BASE).articles == [f"{BASE}/p/11", f"{BASE}/p/12"]
    assert fmt.links(html(BASE, "<p>no state</p>"), BASE).articles == []


def test_36kr_spider_requests_articles_from_the_state() -> None:
    s = spider(Kr36Spider, BASE)
    (listing,) = list(s.start_requests_list())
    assert listing.url == f"{BASE}/information/web_news/"
    page = html(
        listing.url,
        '<script>window.initialState={"information":{"informationList":'
        '{"itemList":[{"itemId":5}]}}}</script>',
    )
    out = list(s.parse_listing(page, page=1))
    assert [r.url for r in out] == [f"{BASE}/p/5"]
    assert out[0].callback == s.parse_article


def test_listing_format_gets_a_text_response() -> None:
    s = spider(Kr36Spider, BASE)
    empty = TextResponse(f"{BASE}/information/web_news/", body=b"{}", encoding="utf-8")
    assert list(s.parse_listing(empty, page=1)) == []


def test_oschina_fragment_pages_with_ajax_headers_until_empty() -> None:
    from crawler.spiders.oschina import OschinaSpider

    base = "http://demo.test/oschina"
    s = spider(OschinaSpider, base)
    (first,) = list(s.start_requests_list())
    assert first.url == f"{base}/news/widgets/_news_index_all_list?p=1&type=ajax"
    assert first.headers[b"X-Requested-With"] == b"XMLHttpRequest"
    assert first.headers[b"Referer"] == f"{base}/news".encode()
    fragment = (
        f'<div class="ui items"><div class="item news-item"><h3><a href="{base}/news/7">'
        f'七</a></h3></div><div class="item news-item"><h3><a href="/u/1">用户</a></h3>'
        "</div></div>"
    )
    out = list(s.parse_listing(html(first.url, fragment), page=1))
    assert [r.url for r in out if r.callback == s.parse_article] == [f"{base}/news/7"]
    (nxt,) = [r for r in out if r.callback == s.parse_listing]
    assert nxt.url == f"{base}/news/widgets/_news_index_all_list?p=2&type=ajax"
    assert nxt.headers[b"X-Requested-With"] == b"XMLHttpRequest"
    assert list(s.parse_listing(html(nxt.url, '<div class="ui items"></div>'), page=2)) == []


def test_oschina_demo_list_refuses_non_ajax_requests() -> None:
    from demo_portal.portals import respond

    target = "/oschina/news/widgets/_news_index_all_list?p=1&type=ajax"
    assert respond(target, {}, "http://h").status == 403  # type: ignore[union-attr]
    ajax = {"X-Requested-With": "XMLHttpRequest", "Referer": "http://h/oschina/news"}
    ok = respond(target, ajax, "http://h")
    assert ok is not None and ok.status == 200 and b"news-item" in ok.body


def test_a_portal_time_zone_reaches_the_normalizer() -> None:
    from crawler.spiders.arstechnica import ArstechnicaSpider
    from crawler.spiders.ithome import IthomeSpider
    from pipelines.normalize import NormalizeContentPipeline

    ars = NormalizeContentPipeline.from_crawler(get_crawler(ArstechnicaSpider, {}))
    assert ars.tz == "UTC"
    assert NormalizeContentPipeline.from_crawler(get_crawler(IthomeSpider, {})).tz == (
        "Asia/Shanghai"
    )
    settings = Settings()
    settings.set("ARCHIVE_PAGE_TIMEZONE", "Europe/London", priority="cmdline")  # --set
    assert Crawler(ArstechnicaSpider, settings).settings["ARCHIVE_PAGE_TIMEZONE"] == (
        "Europe/London"
    )


def test_ars_feed_yields_site_articles_with_rfc822_dates() -> None:
    from scrapy.http import XmlResponse

    from archive.normalize import parse_published
    from crawler.spiders.arstechnica import ArstechnicaSpider
    from demo_portal.portals import respond

    base = "http://demo.test/arstechnica"
    s = spider(ArstechnicaSpider, base)
    (feed_request,) = list(s.start_requests_list())
    assert feed_request.url == f"{base}/feed/"
    body = respond("/arstechnica/feed/", {}, "http://demo.test")
    assert body is not None
    out = list(s.parse_feed(XmlResponse(feed_request.url, body=body.body)))
    assert len(out) == 3  # the sponsored off-site item is not an article
    first = out[0].meta["feed_published"]
    assert first == "Tue, 12 Nov 2024 15:20:00 +0000"
    assert parse_published(first).isoformat() == "2024-11-12T15:20:00+00:00"


def test_cnbeta_token_opens_the_json_api_and_pages_until_empty() -> None:
    from crawler.spiders.cnbeta import CnbetaSpider
    from demo_portal.portals import respond

    host = "http://demo.test"
    base = f"{host}/cnbeta"
    s = spider(CnbetaSpider, base)
    (home_request,) = list(s.start_requests_list())
    home = respond("/cnbeta/", {}, host)
    assert home is not None
    (api,) = list(s.parse_listing(html(home_request.url, home.body.decode()), page=1))
    assert api.url.startswith(f"{base}/home/more?&type=all&page=1&_csrf=")
    target = api.url.removeprefix(host)
    answer = respond(target, {}, host)
    assert answer is not None and answer.status == 200
    page1 = TextResponse(api.url, body=answer.body, headers={"Content-Type": answer.content_type})
    out = list(s.parse_listing(page1, page=2))
    articles = [r.url for r in out if r.callback == s.parse_article]
    assert articles == [
        f"http://demo.test/cnbeta/articles/tech/{n}.htm" for n in (1423001, 1422987)
    ]
    (nxt,) = [r for r in out if r.callback == s.parse_listing]
    assert "page=2" in nxt.url and "_csrf=" in nxt.url
    forged = respond(target.replace("_csrf=", "_csrf=x"), {}, host)
    assert forged is not None and forged.status == 403


def test_comma_selectors_and_relative_links_in_html_listings() -> None:
    from crawler.spiders.huxiu import HuxiuSpider

    base = "http://demo.test/huxiu"
    s = spider(HuxiuSpider, base)
    page = html(
        f"{base}/article/",
        (
            '<div class="article-item article-item--large"><a href="11.html">大</a></div>'
            '<div class="article-item article-item--normal"><a href="12.html">常</a></div>'
            '<div class="hot-list"><a href="/article/13.html">热</a></div>'
        ),
    )
    out = list(s.parse_listing(page, page=1))
    assert [r.url for r in out] == [f"{base}/article/11.html", f"{base}/article/12.html"]


def test_ithome_demo_images_need_a_referer_from_the_site() -> None:
    from demo_portal.portals import respond
    from demo_portal.portals.ithome import ARTICLES

    target = "/ithome" + ARTICLES[0].image
    assert respond(target, {}, "http://h").status == 403  # type: ignore[union-attr]
    ok = respond(target, {"Referer": "http://h/ithome" + ARTICLES[0].path}, "http://h")
    assert ok is not None and ok.status == 200 and ok.content_type == "image/jpeg"
