"""``sitemap_paths`` and ``parse_source`` on offline responses (a declared portal, gzip, robots)."""

from __future__ import annotations

import gzip
from typing import Any

from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.spiders.ofweek import OfweekSpider

BASE = "http://demo.test"
ART = f"{BASE}/2022-08/ART-8100-2801-"


class SitemapPortalSpider(OfweekSpider):
    """OFweek as if it also declared its sitemaps (as a new portal module would)."""

    name = "ofweek-sitemaps"
    sitemap_paths = ("/robots.txt", "/sitemap-news.xml")


def spider(cls: type[OfweekSpider] = SitemapPortalSpider, **settings: Any) -> Any:
    crawler = get_crawler(cls, {"ARCHIVE_BASE_URL": BASE, **settings})
    crawler.spider = crawler._create_spider()
    return crawler.spider


NEWS = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{ART}1.html</loc><news:news><news:publication_date>2022-08-25T16:09:00+08:00
</news:publication_date><news:title>一</news:title></news:news></url>
<url><loc>{BASE}/about.html</loc></url>
<url><loc>{ART}2.html</loc><lastmod>2021-01-01</lastmod></url>
</urlset>""".encode()


def test_declared_sitemap_paths_are_fetched_as_sources() -> None:
    s = spider()
    requests = list(s.start_requests_list())
    sources = [r.url for r in requests if r.callback == s.parse_source]
    assert sources == [f"{BASE}/robots.txt", f"{BASE}/sitemap-news.xml"]
    assert [r.url for r in requests if r.callback == s.parse_feed] == [f"{BASE}/rss/ofweek/news"]


def test_start_urls_replace_listings_feeds_and_sitemaps() -> None:
    crawler = get_crawler(SitemapPortalSpider, {"ARCHIVE_BASE_URL": BASE})
    s = crawler._create_spider(sources=f"{BASE}/a.xml,https://other.test/b.xml")
    assert [r.url for r in s.start_requests_list()] == [f"{BASE}/a.xml", "https://other.test/b.xml"]
    assert "other.test" in s.allowed_domains


def test_news_sitemap_gives_article_requests_with_their_publication_date() -> None:
    s = spider()
    out = list(s.parse_source(XmlResponse(f"{BASE}/sitemap-news.xml", body=NEWS)))
    assert [r.url for r in out] == [f"{ART}1.html", f"{ART}2.html"]  # about.html is no article
    assert out[0].meta["feed_published"] == "2022-08-25T16:09:00+08:00"
    assert out[1].meta["feed_published"] == ""  # lastmod is not a publication date
    assert all(r.callback == s.parse_article for r in out)


def test_gzipped_sitemap_served_as_binary_is_read() -> None:
    s = spider()
    response = Response(
        f"{BASE}/sitemap-2022.xml.gz",
        body=gzip.compress(NEWS),
        headers={"Content-Type": "application/gzip"},
    )
    assert [r.url for r in s.parse_source(response)] == [f"{ART}1.html", f"{ART}2.html"]


def test_max_age_skips_old_sitemap_entries() -> None:
    s = spider(ARCHIVE_SITEMAP_MAX_AGE_DAYS=365 * 100)  # 2021 entry kept within 100 years
    assert len(list(s.parse_source(XmlResponse(f"{BASE}/s.xml", body=NEWS)))) == 2
    s = spider(ARCHIVE_SITEMAP_MAX_AGE_DAYS=1)
    assert list(s.parse_source(XmlResponse(f"{BASE}/s.xml", body=NEWS))) == []


def test_sitemap_index_and_robots_lead_to_more_sources() -> None:
    s = spider()
    index = (
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        f"<loc>{BASE}/s1.xml.gz</loc></sitemap></sitemapindex>"
    ).encode()
    out = list(s.parse_source(XmlResponse(f"{BASE}/sitemap_index.xml", body=index)))
    assert [(r.url, r.callback) for r in out] == [(f"{BASE}/s1.xml.gz", s.parse_source)]
    robots = TextResponse(
        f"{BASE}/robots.txt",
        body=b"User-agent: *\nSitemap: /sitemap.xml\n",
        headers={"Content-Type": "text/plain"},
    )
    out = list(s.parse_source(robots))
    assert [(r.url, r.callback) for r in out] == [(f"{BASE}/sitemap.xml", s.parse_source)]


def test_an_html_source_is_read_as_a_listing() -> None:
    s = spider()
    html = f'<div class="list-left"><div class="con-details"><h3><a href="{ART}7.html">七</a>'
    response = HtmlResponse(f"{BASE}/news/", body=html.encode(), encoding="utf-8")
    assert [r.url for r in s.parse_source(response)] == [f"{ART}7.html"]


def test_an_atom_source_is_read_as_a_feed() -> None:
    s = spider()
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>八</title>'
        '<link href="/2022-08/ART-8100-2801-8.html"/><id>8</id>'
        "<published>2022-08-25T16:09:00+08:00</published></entry></feed>"
    ).encode()
    out = list(s.parse_source(XmlResponse(f"{BASE}/atom.xml", body=atom)))
    assert [r.url for r in out] == [f"{ART}8.html"]
    assert out[0].meta["feed_published"] == "2022-08-25T16:09:00+08:00"


def test_generic_crawl_articles_are_same_host_non_discovery_urls() -> None:
    from crawler.spiders.generic import GenericSpider

    crawler = get_crawler(GenericSpider, {})
    s = crawler._create_spider(sources=[f"{BASE}/sitemap_index.xml"], url_pattern=r"/posts/")
    assert s.is_article_url(f"{BASE}/posts/one/")
    assert not s.is_article_url(f"{BASE}/about/")  # not matching --url-pattern
    assert not s.is_article_url("https://other.test/posts/one/")  # another site's failure
    assert not s.is_article_url(f"{BASE}/posts/sitemap.xml.gz")  # a discovery document
    assert not s.alarm.enabled  # the generic extractor needs no fallback to itself
    fetch = get_crawler(GenericSpider, {})._create_spider(urls=["https://any.test/a"])
    assert fetch.is_article_url("https://any.test/a")  # fetch mode: no host restriction
