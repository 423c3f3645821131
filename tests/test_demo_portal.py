"""Tests of the bundled offline demo portal (demo_portal)."""

from __future__ import annotations

import http.client
import re
import tracemalloc
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from parsel import Selector

from demo_portal import (
    CORS_PROXY,
    GENERATED_ID_BASE,
    DemoArticle,
    DemoPortal,
    builtin_articles,
    builtin_roles,
    render_article_page,
)
from demo_portal.content import generated_article, parse_published
from demo_portal.portals.common import Response

ARTICLE_LINKS = "div.list-left div.con-details h3 > a"

SODIUM = 30572367
TOPCON = 30571208
CHIPLET = 30569914  # wrong-header
MINILED = 30566031  # meta (gb2312), GBK-only char
COBOT = 30563377  # empty title
HIGH_VOLTAGE = 30560012  # deleted image, pixel
STORAGE = 30550193  # feed-only
LIDAR = 30574102  # feed-only
HYDROGEN = 30451209  # legacy
POLYSILICON = 30427735  # legacy + meta + GBK-only char


Fetched = tuple[int, dict[str, str], bytes]


def fetch(url: str, *, referer: str | None = None, method: str = "GET") -> Fetched:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, headers={"Referer": referer} if referer else {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def page(url: str) -> Selector:
    status, _, body = fetch(url)
    assert status == 200, url
    return Selector(text=body.decode("gbk"))


@pytest.fixture(scope="module")
def portal() -> Iterator[DemoPortal]:
    with DemoPortal(port=0, listing_page_size=5) as p:
        yield p


def by_id(portal: DemoPortal, art_id: int) -> DemoArticle:
    return next(a for a in portal.articles if a.art_id == art_id)


def crawl_listing(first_url: str) -> tuple[list[str], list[int]]:
    """Follow a.next from page 1; return all article links and the per-page counts."""
    links: list[str] = []
    counts: list[int] = []
    url: str | None = first_url
    while url:
        sel = page(url)
        found = sel.css(ARTICLE_LINKS + "::attr(href)").getall()
        links += found
        counts.append(len(found))
        url = sel.css("div.page a.next::attr(href)").get()
    return links, counts


# ---------------------------------------------------------------------------------------------


def test_robots(portal: DemoPortal) -> None:
    status, headers, body = fetch(portal.base_url + "/robots.txt")
    assert status == 200
    assert body.startswith(b"User-agent: *\nDisallow: /admin/\n")
    assert f"Sitemap: {portal.base_url}/sitemap_index.xml\n".encode() in body
    assert headers["content-type"].startswith("text/plain")


def test_base_url_known_before_start() -> None:
    p = DemoPortal(port=0)
    try:
        assert p.port != 0
        assert p.base_url == f"http://127.0.0.1:{p.port}"
        assert p.listing_url == p.base_url + "/CATList-8100-CHANGYIEXINWE.html"
        assert p.feed_url == p.base_url + "/rss/ofweek/news"
        assert p.generated_listing_url == p.base_url + "/gen/CATList-8100-CHANGYIEXINWE.html"
    finally:
        p.stop()


def test_listing_pagination(portal: DemoPortal) -> None:
    links, counts = crawl_listing(portal.listing_url)
    assert counts == [5, 5, 1]
    assert portal.listing_pages == 3
    assert links == [portal.article_url(a) for a in portal.listing_entries]
    assert len(set(links)) == len(links) == 11
    assert all(u.startswith(portal.base_url + "/") for u in links)
    assert all(re.search(r"/\d{4}-\d{2}/ART-8100-2801-\d+\.html$", u) for u in links)
    # the 404 entry is listed, feed-only articles are not
    assert portal.missing_url in links
    for art_id in (STORAGE, LIDAR):
        assert portal.article_url(by_id(portal, art_id)) not in links


def test_listing_shape_and_furniture(portal: DemoPortal) -> None:
    status, headers, body = fetch(portal.listing_url)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=gbk"
    sel = Selector(text=body.decode("gbk"))
    blocks = sel.css("div.list-left div.con-details > div.con-details")
    assert len(blocks) == 5
    times = [b.css("div.tag-time span::text").get() or "" for b in blocks]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", t) for t in times)
    assert times == sorted(times, reverse=True)
    assert all(b.css("p.summary") for b in blocks)
    next_href = sel.css("div.page a.next::attr(href)").get()
    assert next_href == portal.base_url + "/CATList-8100-CHANGYIEXINWE-2.html"
    # sidebar links to article pages exist but are outside the article selector
    sidebar = sel.css('div.list-right a[href*="/ART-8100-"]::attr(href)').getall()
    assert len(sidebar) >= 5
    pick = portal.article_url(by_id(portal, STORAGE))
    assert pick in sidebar
    assert pick not in sel.css(ARTICLE_LINKS + "::attr(href)").getall()
    # a naive selector would be fooled by the sidebar's con-details block
    assert len(sel.css("div.con-details h3 > a")) > len(sel.css(ARTICLE_LINKS))
    assert sel.css("div.nav a")
    assert sel.css("div.ad-top img")


def test_listing_last_page_and_bounds(portal: DemoPortal) -> None:
    last = page(portal.listing_page_url(3))
    assert not last.css("div.page a.next")
    assert last.css("div.page a.prev")
    alias = fetch(portal.base_url + "/CATList-8100-CHANGYIEXINWE-1.html")
    assert alias[2] == fetch(portal.listing_url)[2]
    assert fetch(portal.listing_page_url(4))[0] == 404


def test_current_layout_selectors(portal: DemoPortal) -> None:
    a = by_id(portal, SODIUM)
    url = portal.article_url(a)
    assert url == portal.base_url + "/2022-08/ART-8100-2801-30572367.html"
    sel = page(url)
    assert sel.css("div.artical p.title::text").get() == a.title
    assert sel.css("div.artical-relative div.time.fl::text").get() == "2022-08-25 16:09"
    assert sel.css("div.artical-relative div.source-name::text").get() == "OFweek锂电网"
    assert sel.css('link[rel="canonical"]::attr(href)').get() == url
    assert sel.css("title::text").get() == f"{a.title}-OFweek锂电网"
    assert sel.css('meta[name="keywords"]::attr(content)').get()
    assert sel.css('meta[name="description"]::attr(content)').get()
    body = sel.css("div.artical-content div#articleC.artical-text")
    assert len(body) == 1
    assert body.css("span.hrefStyle a[title='低碳']")
    # furniture outside the body
    assert sel.css("div.related li a")
    assert sel.css("div.comment#comment form")
    assert sel.css("div.footer")
    assert not sel.css("h1.artical-title")


@pytest.mark.parametrize(
    ("art_id", "time_text"),
    [(HYDROGEN, "2021年06月18日 14:05"), (POLYSILICON, "2021年04月02日 10:30")],
)
def test_legacy_layout_selectors(portal: DemoPortal, art_id: int, time_text: str) -> None:
    a = by_id(portal, art_id)
    assert a.layout == "legacy"
    sel = page(portal.article_url(a))
    assert sel.css("div.artical h1.artical-title::text").get() == a.title
    assert sel.css("div.artical-info span.time::text").get() == time_text
    assert sel.css("div.artical-info span.source::text").get() == f"来源：{a.source}"
    assert sel.css("div.artical div#articleC")
    assert not sel.css("p.title")
    assert not sel.css("div.time.fl")


def test_empty_title_page(portal: DemoPortal) -> None:
    a = by_id(portal, COBOT)
    assert a.title == ""
    sel = page(portal.article_url(a))
    assert len(sel.css("p.title")) == 1
    assert sel.css("p.title::text").get() is None
    assert sel.css("title::text").get() == "OFweek机器人网"
    assert sel.css("#articleC p")


def test_encoding_header_mode(portal: DemoPortal) -> None:
    status, headers, body = fetch(portal.article_url(by_id(portal, SODIUM)))
    assert status == 200
    assert headers["content-type"] == "text/html; charset=gbk"
    assert int(headers["content-length"]) == len(body)
    text = body.decode("gbk")
    assert 'charset=gbk">' in text
    assert "钠离子电池中试线投运" in text


@pytest.mark.parametrize("art_id", [MINILED, POLYSILICON])
def test_encoding_meta_mode(portal: DemoPortal, art_id: int) -> None:
    a = by_id(portal, art_id)
    assert a.encoding == "meta"
    status, headers, body = fetch(portal.article_url(a))
    assert status == 200
    assert headers["content-type"] == "text/html"
    assert b'<meta charset="gb2312">' in body
    assert b"charset=gbk" not in body
    text = body.decode("gbk")
    assert "镕" in text
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # the label lies a little: the bytes need GBK


def test_encoding_wrong_header_mode(portal: DemoPortal) -> None:
    a = by_id(portal, CHIPLET)
    assert a.encoding == "wrong-header"
    status, headers, body = fetch(portal.article_url(a))
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gbk")
    assert '<meta http-equiv="Content-Type" content="text/html; charset=gbk">' in text
    assert a.title in text


def test_every_builtin_page_is_gbk(portal: DemoPortal) -> None:
    for a in portal.stored_articles:
        status, _, body = fetch(portal.article_url(a))
        assert status == 200
        sel = Selector(text=body.decode("gbk"))
        assert len(sel.css("#articleC")) == 1
        assert a.body_html in body.decode("gbk")


def _paragraphs(body_html: str) -> list[str]:
    out = []
    for p in Selector(text=body_html).css("p"):
        text = "".join(p.css("::text").getall()).strip()
        strong = "".join(p.css("strong::text, strong *::text").getall()).strip()
        if text and text != strong:
            out.append(text)
    return out


def test_builtin_article_data() -> None:
    arts = builtin_articles("http://127.0.0.1:1")
    assert len(arts) == 12
    assert len({a.art_id for a in arts}) == 12
    for a in arts:
        assert 4 <= len(_paragraphs(a.body_html)) <= 10, a.art_id
        when = parse_published(a.published)
        assert "2021-04" <= a.month <= "2022-09"
        assert when.strftime("%Y-%m") == a.month
        assert a.layout in ("current", "legacy")
        assert a.encoding in ("header", "meta", "wrong-header")
        (a.title + a.body_html + a.source).encode("gbk")
        assert "]]>" not in a.body_html
        assert a.art_id in builtin_roles()
    lengths = sorted(len(a.body_html) for a in arts)
    assert lengths[-1] > 2 * lengths[0]  # varied lengths
    assert sum(a.layout == "legacy" for a in arts) == 2
    assert sum(not a.in_listing for a in arts) == 2
    texts = "".join(a.body_html for a in arts)
    with pytest.raises(UnicodeEncodeError):
        "镕".encode("gb2312")
    assert "镕" in texts


def test_body_traps_present() -> None:
    arts = {a.art_id: a.body_html for a in builtin_articles("http://127.0.0.1:1")}
    everything = "\n".join(arts.values())
    assert everything.count("<script") == 1
    assert everything.count('class="ad-in-article"') == 1
    assert everything.count("<iframe") == 1
    assert "onclick=" in arts[COBOT]
    assert "javascript:" in arts[COBOT]
    assert "<!--" in arts[SODIUM]
    assert '<img src="/stat/pixel.gif?a=1" width="1" height="1">' in arts[HIGH_VOLTAGE]
    assert "<p></p>" in everything
    assert "<p>\u3000\u3000" in arts[MINILED]
    assert 'src="/images/loading.gif" data-src="http://127.0.0.1:1/Upload/News/' in arts[SODIUM]
    assert 'data-original="http://127.0.0.1:1/Upload/News/' in arts[TOPCON]
    assert '<img src="/Upload/News/' in arts[CHIPLET]
    assert "/deleted/" in arts[HIGH_VOLTAGE]
    assert re.search(r"<strong>[^<]*<span class=\"hrefStyle\">", arts[TOPCON])
    assert everything.count('<span class="hrefStyle"><a href="https://') >= 12
    assert '<p style="text-indent: 2em; text-align: left;"><strong>' in everything
    assert 'title="低碳">低碳</a></span>' in arts[SODIUM]


MAGIC = {".jpg": b"\xff\xd8\xff", ".png": b"\x89PNG\r\n\x1a\n", ".gif": b"GIF89a"}


def test_images_hotlink_protection(portal: DemoPortal) -> None:
    paths = portal.image_paths
    assert len(paths) >= 12
    referer = portal.article_url(by_id(portal, SODIUM))
    seen: set[bytes] = set()
    for path in paths:
        url = portal.image_url(path)
        assert fetch(url)[0] == 403
        assert fetch(url, referer="http://evil.example/page.html")[0] == 403
        status, headers, body = fetch(url, referer=referer)
        if "/deleted/" in path:
            assert status == 403
            continue
        assert status == 200, path
        ext = path[path.rfind(".") :]
        assert body.startswith(MAGIC[ext]), path
        assert headers["content-type"] == {".jpg": "image/jpeg", ".png": "image/png"}[ext]
        assert body not in seen
        seen.add(body)
    assert sum("/deleted/" in p for p in paths) == 1
    assert fetch(portal.base_url + "/Upload/News/2022-08/25/nope.jpg", referer=referer)[0] == 404


def test_images_referenced_by_pages_resolve(portal: DemoPortal) -> None:
    a = by_id(portal, CHIPLET)  # relative src
    url = portal.article_url(a)
    sel = page(url)
    srcs = sel.css("#articleC img::attr(src)").getall()
    assert any(s.startswith("/Upload/News/") for s in srcs)
    for s in srcs:
        status, _, body = fetch(portal.base_url + s, referer=url)
        assert status == 200
        assert body[:3] in (b"\x89PN", b"\xff\xd8\xff")
    lazy = page(portal.article_url(by_id(portal, SODIUM))).css("#articleC img::attr(data-src)")
    assert lazy
    assert fetch(lazy.get() or "", referer=url)[0] == 200


def test_small_assets(portal: DemoPortal) -> None:
    for path in ("/images/loading.gif", "/ad/banner.gif", "/stat/pixel.gif?id=1"):
        status, headers, body = fetch(portal.base_url + path)
        assert status == 200, path
        assert headers["content-type"] == "image/gif"
        assert body.startswith(b"GIF89a")
    status, headers, body = fetch(portal.base_url + "/js/stat.js")
    assert status == 200
    assert "javascript" in headers["content-type"]
    assert fetch(portal.base_url + "/ad/frame-solar.html")[0] == 200


def test_feed(portal: DemoPortal) -> None:
    status, headers, body = fetch(portal.feed_url)
    assert status == 200
    assert "xml" in headers["content-type"]
    root = ET.fromstring(body)  # noqa: S314 -- our own feed from a local test server
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "高科技行业门户"
    assert channel.findtext("link") == portal.listing_url
    items = channel.findall("item")
    expected = portal.feed_articles
    assert [i.findtext("link") for i in items] == [portal.article_url(a) for a in expected]
    assert len(items) == 9
    listing_links, _ = crawl_listing(portal.listing_url)
    feed_links = {i.findtext("link") for i in items}
    for art_id in (STORAGE, LIDAR):
        assert portal.article_url(by_id(portal, art_id)) in feed_links - set(listing_links)
    n_imgs = 0
    for item in items:
        guid = item.find("guid")
        assert guid is not None
        assert guid.get("isPermaLink") == "false"
        assert guid.text == item.findtext("link")
        assert re.fullmatch(
            r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT", item.findtext("pubDate") or ""
        )
        desc = Selector(text=item.findtext("description") or "")
        for src in desc.css("img::attr(src)").getall():
            n_imgs += 1
            assert src.startswith(CORS_PROXY + "http://")
            assert "loading.gif" not in src
        assert not desc.css("img[data-src], img[data-original]")
    assert n_imgs >= 8
    sodium = next(i for i in items if i.findtext("link", "").endswith(f"-{SODIUM}.html"))
    assert sodium.findtext("pubDate") == "Thu, 25 Aug 2022 08:09:00 GMT"
    assert sodium.findtext("title") == by_id(portal, SODIUM).title
    proxied = CORS_PROXY + portal.base_url + "/Upload/News/2022-08/25/9b4d27e6a1c08.png"
    assert proxied in (sodium.findtext("description") or "")


def test_not_found_pages(portal: DemoPortal) -> None:
    assert portal.missing_url is not None
    for url in (
        portal.missing_url,
        portal.base_url + "/no/such/page.html",
        portal.base_url + "/2022-07/ART-8100-2801-30572367.html",  # wrong month
        portal.base_url + "/admin/",
        portal.base_url + "/gen/CATList-8100-CHANGYIEXINWE.html",  # generated=0
    ):
        status, headers, body = fetch(url)
        assert status == 404, url
        assert headers["content-type"] == "text/html; charset=gbk"
        assert "页面不存在" in body.decode("gbk")


def test_urllib_client(portal: DemoPortal) -> None:
    with urllib.request.urlopen(portal.listing_url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers.get_content_charset() == "gbk"
        assert "产业新闻" in resp.read().decode("gbk")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(portal.missing_url or "", timeout=10)
    assert info.value.code == 404
    info.value.close()


def test_keep_alive(portal: DemoPortal) -> None:
    """300 requests over one connection (its speed is a bench figure, not a test's)."""
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=10)
    paths = [a.path for a in portal.stored_articles] + ["/robots.txt", "/nope", "/rss/ofweek/news"]
    try:
        conn.connect()
        sock = conn.sock
        for i in range(300):
            conn.request("GET", paths[i % len(paths)])
            resp = conn.getresponse()
            body = resp.read()
            assert resp.version == 11
            assert int(resp.getheader("Content-Length") or -1) == len(body)
            assert not resp.will_close
        assert conn.sock is sock  # never reconnected
    finally:
        conn.close()


def test_hits_counter() -> None:
    with DemoPortal(port=0) as p:
        a = p.articles[0]
        fetch(p.article_url(a))
        fetch(p.article_url(a) + "?from=listing")
        fetch(p.listing_url)
        fetch(p.article_url(a), method="HEAD")
        assert p.hits[a.path] == 2
        assert p.hits["/CATList-8100-CHANGYIEXINWE.html"] == 1
        assert p.hits[p.articles[1].path] == 0
        assert sum(p.hits.values()) == 3
        p.reset_hits()
        assert not p.hits


def test_generated_mode() -> None:
    with DemoPortal(port=0, generated=23, listing_page_size=10) as p:
        assert len(p.articles) == 12 + 23
        assert len(p.stored_articles) == 12
        assert p.generated_listing_pages == 3
        links, counts = crawl_listing(p.generated_listing_url)
        assert counts == [10, 10, 3]
        ids = [int(re.findall(r"-(\d+)\.html$", u)[0]) for u in links]
        assert ids == list(range(GENERATED_ID_BASE + 22, GENERATED_ID_BASE - 1, -1))
        last = p.articles[-1]
        assert last.art_id == GENERATED_ID_BASE + 22
        assert last == p.generated_article(22) == generated_article(22, p.base_url)
        url = p.article_url(last)
        assert url in links
        status, headers, body = fetch(url)
        assert status == 200
        assert headers["content-type"] == "text/html; charset=gbk"
        sel = Selector(text=body.decode("gbk"))
        assert sel.css("p.title::text").get() == last.title
        assert sel.css("div.time.fl::text").get() == last.published
        assert 3 <= len(_paragraphs(sel.css("#articleC").get() or "")) <= 5
        imgs = sel.css("#articleC img::attr(src)").getall()
        assert len(imgs) == 1
        assert fetch(imgs[0])[0] == 403
        img_status, _, img = fetch(imgs[0], referer=url)
        assert img_status == 200
        assert img.startswith(b"\x89PNG")
        # outside the generated range, or with the wrong month
        assert (
            fetch(p.base_url + f"/{last.month}/ART-8100-2801-{GENERATED_ID_BASE + 23}.html")[0]
            == 404
        )
        assert fetch(p.base_url + f"/2030-01/ART-8100-2801-{last.art_id}.html")[0] == 404
        # the built-in listing is unchanged
        assert crawl_listing(p.listing_url)[1] == [10, 1]


def test_prerendered_generated_pages_are_the_same_bytes_from_memory() -> None:
    with DemoPortal(port=0, generated=23, listing_page_size=10) as p:
        links, _ = crawl_listing(p.generated_listing_url)
        urls = [p.listing_page_url(n, generated=True) for n in (1, 2, 3)] + links
        on_demand = [fetch(url) for url in urls]
        assert p.prerender() == 3 + 23
        rendered: list[str] = []
        original_route = p.route

        def route(path: str, referer: str = "") -> tuple[Response, bool]:
            rendered.append(path)
            return original_route(path, referer)

        p.route = route  # type: ignore[method-assign]
        from_memory = [fetch(url) for url in urls]
        assert rendered == []  # every generated page came from memory
        for url, (status, headers, body), again in zip(urls, on_demand, from_memory, strict=True):
            assert again[0] == status == 200, url
            assert again[2] == body, url
            assert again[1]["content-type"] == headers["content-type"]
        # what is not generated is still rendered on request
        assert fetch(p.listing_url)[0] == 200
        assert rendered == ["/CATList-8100-CHANGYIEXINWE.html"]


def test_generated_mode_is_memory_flat() -> None:
    """A million generated articles cost no memory per article (a list of a million
    objects alone would take tens of MB); measured with tracemalloc, not a stopwatch."""
    tracemalloc.start()
    try:
        portal = DemoPortal(port=0, generated=1_000_000, listing_page_size=20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"{peak / 1e6:.1f} MB allocated for the generated portal"
    with portal as p:
        assert len(p.articles) == 12 + 1_000_000
        assert len(p.stored_articles) == 12  # generated pages are not stored
        last = p.articles[-1]
        assert last.art_id == GENERATED_ID_BASE + 999_999
        status, _, body = fetch(p.article_url(last))
        assert status == 200
        assert last.title in body.decode("gbk")
        sel = page(p.listing_page_url(p.generated_listing_pages, generated=True))
        assert not sel.css("div.page a.next")
        assert sel.css(ARTICLE_LINKS + "::attr(href)").get() == p.article_url(p.articles[12 + 19])


def test_extra_articles_served_as_given() -> None:
    body = (
        '<p style="text-indent: 2em; text-align: left;">一致性测试正文，包含<strong>加粗</strong>'
        '与<a href="https://example.com/x">外链</a>。</p>\n'
        '<p style="text-align:center"><img src="/Upload/News/2022-09/30/conform.png"></p>'
    )
    extra = DemoArticle(
        art_id=99000001,
        month="2022-09",
        title="一致性测试文章",
        published="2022-09-30 18:00",
        source="OFweek维科网",
        body_html=body,
    )
    with DemoPortal(port=0, extra_articles=[extra], listing_page_size=5) as p:
        assert extra in p.stored_articles
        url = p.article_url(extra)
        status, _, raw = fetch(url)
        assert status == 200
        text = raw.decode("gbk")
        assert f'<div id="articleC" class="artical-text">{body}</div>' in text
        first = page(p.listing_url).css(ARTICLE_LINKS + "::attr(href)").get()
        assert first == url  # newest article of the listing
        img = p.base_url + "/Upload/News/2022-09/30/conform.png"
        assert fetch(img, referer=url)[0] == 200
    with DemoPortal(port=0, extra_articles=[extra], include_builtin=False) as only:
        assert list(only.articles) == [extra]
        assert only.missing_url is None


@pytest.mark.parametrize(
    "changes",
    [{"layout": "mobile"}, {"encoding": "latin-1"}, {"month": "2022/09"}, {"published": "昨天"}],
)
def test_extra_articles_are_validated(changes: dict[str, str]) -> None:
    fields = {
        "art_id": 99000002,
        "month": "2022-09",
        "title": "校验",
        "published": "2022-09-01 08:00",
        "source": "OFweek维科网",
        "body_html": "<p>x</p>",
        **changes,
    }
    with pytest.raises(ValueError):
        DemoPortal(port=0, extra_articles=[DemoArticle(**fields)])  # type: ignore[arg-type]


def test_render_article_page_is_deterministic() -> None:
    a = builtin_articles("http://127.0.0.1:8000")[0]
    one = render_article_page(a, "http://127.0.0.1:8000")
    two = render_article_page(a, "http://127.0.0.1:8000")
    assert one == two
    assert one.startswith("<!DOCTYPE html>")
    assert a.body_html in one
    sel = Selector(text=one)
    assert len(sel.css("div.related li a")) == 3
    assert sel.css('img[src^="/stat/pixel.gif?id="]')
    custom = render_article_page(a, "http://x", related=[("http://x/a.html", "甲")])
    assert Selector(text=custom).css("div.related li a::text").getall() == ["甲"]
