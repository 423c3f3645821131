"""OFweek 维科网-shaped demo, served at the root of the demo server.

Real shape (``../shared/docs/portals.md``): a GBK news listing (``div.list-left
div.con-details h3 > a``, next page ``div.page a.next``), article pages in a current and a
legacy layout (``#articleC`` holds the body), hotlink-protected images below
``/Upload/News/`` and an RSSHub feed whose images go through a CORS proxy.

Unlike the modules registered in :data:`demo_portal.portals.SITES` this one has no ``SITE``:
its pages depend on the server's articles (built-in, ``extra_articles``, ``generated=N``),
so :class:`OfweekPortal` holds them and :class:`demo_portal.DemoPortal` is an
:class:`OfweekPortal` with a socket. The article model and data are in
:mod:`demo_portal.content`.
"""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Iterable, Sequence
from datetime import timedelta
from urllib.parse import urljoin

from demo_portal.articles import BUILTIN_SPECS
from demo_portal.content import (
    BASE_PLACEHOLDER,
    CURRENT_TIME,
    ENCODINGS,
    GENERATED_ID_BASE,
    LAYOUTS,
    ArticleSequence,
    DemoArticle,
    article_url,
    builtin_articles,
    content_type,
    gbk,
    generated_article,
    generated_image_path,
    generated_month,
    head_meta,
    missing_article,
    parse_published,
    published_datetime,
)
from demo_portal.images import gif_bytes, image_for_path
from demo_portal.portals.common import Response

#: RSSHub's CORS image proxy prefix; the feed wraps every ``<img src>`` with it.
CORS_PROXY = "https://cors.zfour.workers.dev/?"

LISTING_PREFIX = "/CATList-8100-CHANGYIEXINWE"
GENERATED_LISTING_PREFIX = "/gen/CATList-8100-CHANGYIEXINWE"
FEED_PATH = "/rss/ofweek/news"
ARTICLE_PATH_RE = re.compile(r"^/(\d{4}-\d{2})/ART-8100-2801-(\d+)\.html$")
LISTING_PATH_RE = re.compile(r"^(/gen)?/CATList-8100-CHANGYIEXINWE(?:-(\d+))?\.html$")
UPLOAD_PATH_RE = re.compile(r"^/Upload/News/[\w./-]+\.(?:jpg|jpeg|png|gif)$")
ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\n"
HTML_GBK = "text/html; charset=gbk"


def listing_path(page: int, *, generated: bool = False) -> str:
    prefix = GENERATED_LISTING_PREFIX if generated else LISTING_PREFIX
    return f"{prefix}.html" if page <= 1 else f"{prefix}-{page}.html"


def check_options(
    extra_articles: Sequence[DemoArticle], generated: int, listing_page_size: int
) -> None:
    """``ValueError`` for options :class:`OfweekPortal` cannot serve."""
    if generated < 0:
        raise ValueError("generated must be >= 0")
    if listing_page_size < 1:
        raise ValueError("listing_page_size must be >= 1")
    for a in extra_articles:
        if a.layout not in LAYOUTS or a.encoding not in ENCODINGS:
            raise ValueError(f"article {a.art_id}: bad layout/encoding {a.layout}/{a.encoding}")
        if not ARTICLE_PATH_RE.match(a.path):
            raise ValueError(f"article {a.art_id}: bad month {a.month!r}")
        parse_published(a.published)  # ValueError for an unparseable time text


_image = functools.lru_cache(maxsize=4096)(image_for_path)  # images are asked for again and again


# --------------------------------------------------------------------------------------------
# Dates

_UTC_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no DST


def listing_time_text(a: DemoArticle) -> str:
    """Time as the (current-generation) listing shows it: ``2022-08-25 16:09``."""
    return published_datetime(a).strftime(CURRENT_TIME)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc822_gmt(a: DemoArticle) -> str:
    """RSSHub-style pubDate: the page time minus 8 hours, e.g. ``Thu, 25 Aug 2022 08:09:00 GMT``."""
    d = published_datetime(a) - _UTC_OFFSET
    return (
        f"{_DAYS[d.weekday()]}, {d.day:02d} {_MONTHS[d.month - 1]} {d.year} "
        f"{d.hour:02d}:{d.minute:02d}:{d.second:02d} GMT"
    )


# --------------------------------------------------------------------------------------------
# Summaries and images of a body


_IMAGE_REF_RE = re.compile(r'\s(?:src|data-src|data-original)="([^"]*/Upload/News/[^"]+)"')


def image_paths(body_html: str, base_url: str) -> list[str]:
    """Site paths of the ``/Upload/News/`` images a body references (absolute or relative)."""
    paths: list[str] = []
    for ref in _IMAGE_REF_RE.findall(body_html.replace(BASE_PLACEHOLDER, base_url)):
        ref = html.unescape(ref)
        if ref.startswith(base_url + "/"):
            ref = ref[len(base_url) :]
        if ref.startswith("/Upload/News/") and ref not in paths:
            paths.append(ref)
    return paths


def _strip_tags(fragment: str) -> str:
    fragment = re.sub(r"(?is)<(script|style|iframe)\b.*?</\1>|<!--.*?-->", "", fragment)
    fragment = re.sub(r"(?s)<div class=\"ad-in-article\">.*?</div>", "", fragment)
    text = html.unescape(re.sub(r"(?s)<[^>]+>", "", fragment))
    return re.sub(r"\s+", " ", text.replace("\u3000", " ")).strip()


def summary_of(a: DemoArticle, limit: int = 70) -> str:
    """Listing summary / meta description: start of the first non-empty paragraph."""
    for para in re.findall(r"(?s)<p\b[^>]*>(.*?)</p>", a.body_html):
        text = _strip_tags(para)
        if len(text) > 20:
            return text if len(text) <= limit else text[:limit] + "…"
    return ""


# --------------------------------------------------------------------------------------------
# Page furniture

_NAV = (
    ("首页", "{base}/"),
    ("产业新闻", "{base}" + LISTING_PREFIX + ".html"),
    ("锂电", "https://libattery.ofweek.com/"),
    ("光伏", "https://solar.ofweek.com/"),
    ("电子工程", "https://ee.ofweek.com/"),
    ("显示", "https://display.ofweek.com/"),
    ("机器人", "https://robot.ofweek.com/"),
    ("新能源汽车", "https://nev.ofweek.com/"),
    ("登录", "javascript:void(0)"),
)


def _header(base_url: str) -> str:
    links = "".join(f'<a href="{href.format(base=base_url)}">{name}</a>' for name, href in _NAV)
    return (
        f'<div class="header"><div class="logo"><a href="{base_url}/">'
        f'<img src="/images/logo.gif" alt="OFweek维科网"></a></div>'
        f'<div class="nav">{links}</div></div>\n'
        f'<div class="ad-top"><a href="{base_url}/ad/click?id=1" target="_blank">'
        '<img src="/ad/banner.gif" alt="广告"></a></div>'
    )


def _footer() -> str:
    return (
        '<div class="footer"><p><a href="/about.html">关于我们</a> | <a href="/contact.html">'
        '联系我们</a> | <a href="/ad.html">广告服务</a></p>'
        "<p>Copyright &copy; 2002-2022 OFweek维科网（演示站点） 版权所有 "
        "本站内容为演示用途编写，所涉企业与数据均为虚构</p></div>"
    )


def site_name(a: DemoArticle) -> str:
    """Channel name used in the ``<title>`` suffix."""
    name = a.source.removeprefix("来源：").strip()
    return name if name.startswith("OFweek") else "OFweek维科网"


_COMMENTS = (
    ("江南电池人", "数据很详实，期待后续的量产进展。"),
    ("光伏老兵", "成本才是关键，希望明年能看到更多落地项目。"),
    ("匿名网友", "这个方向前景不错，但还需要时间验证。"),
)


def _related(items: Sequence[tuple[str, str]]) -> str:
    lis = "".join(
        f'<li><a href="{html.escape(u)}" target="_blank">{html.escape(t)}</a></li>'
        for u, t in items
    )
    return f'<div class="related"><h3>相关阅读</h3><ul>{lis}</ul></div>'


def _comment_block(a: DemoArticle) -> str:
    n = a.art_id % len(_COMMENTS)
    shown = _COMMENTS[n:] + _COMMENTS[:n]
    items = "".join(
        f'<li><span class="user">{u}</span><p class="comment-text">{t}</p></li>'
        for u, t in shown[:2]
    )
    return (
        f'<div class="comment" id="comment"><h3>网友评论</h3><ul class="comment-list">{items}'
        '</ul><form action="/comment/post" method="post"><input type="hidden" name="aid" '
        f'value="{a.art_id}"><textarea name="content" placeholder="文明上网，理性发言">'
        '</textarea><button type="submit">发表评论</button></form></div>'
    )


def _default_related(a: DemoArticle, base_url: str) -> list[tuple[str, str]]:
    others = [s for s in BUILTIN_SPECS if s.art_id != a.art_id and s.title]
    start = a.art_id % len(others)
    picked = (others[start:] + others[:start])[:3]
    return [(f"{base_url}/{s.month}/ART-8100-2801-{s.art_id}.html", s.title) for s in picked]


def render_article_page(
    a: DemoArticle,
    base_url: str,
    *,
    related: Sequence[tuple[str, str]] | None = None,
) -> str:
    """Full HTML of an article page (a ``str``; the server encodes it as GBK).

    ``body_html`` is inserted verbatim into ``#articleC`` (after replacing ``{{BASE}}``).
    ``related`` is a list of ``(url, title)`` for the 相关阅读 box; by default three built-in
    articles are linked.
    """
    url = article_url(a, base_url)
    body = a.body_html.replace(BASE_PLACEHOLDER, base_url)
    title = html.escape(a.title)
    title_tag = f"{title}-{site_name(a)}" if a.title else site_name(a)
    keywords = ",".join(a.tags) or site_name(a)
    description = html.escape(summary_of(a), quote=True)
    rel = _related(related if related is not None else _default_related(a, base_url))
    tags = "".join(
        f'<a href="{base_url}/tag/{i}.html" target="_blank">{html.escape(t)}</a>'
        for i, t in enumerate(a.tags, start=1)
    )
    if a.layout == "legacy":
        source = a.source if a.source.startswith("来源：") else f"来源：{a.source}"
        article = (
            '<div class="artical">\n'
            f'<h1 class="artical-title">{title}</h1>\n'
            f'<div class="artical-info"><span class="time">{a.published}</span>'
            f'<span class="source">{html.escape(source)}</span>'
            '<span class="share"><a href="javascript:void(0)">分享</a></span></div>\n'
            f'<div id="articleC">{body}</div>\n'
            f'<div class="tag">标签：{tags}</div>\n'
            "</div>"
        )
    elif a.layout == "current":
        article = (
            '<div class="artical">\n'
            f'<p class="title">{title}</p>\n'
            '<div class="artical-relative clearfix">'
            f'<div class="time fl">{a.published}</div>'
            f'<div class="source-name">{html.escape(a.source)}</div>'
            '<div class="share fr"><a href="javascript:void(0)">分享</a></div></div>\n'
            f'<div class="artical-content"><div id="articleC" class="artical-text">{body}</div>'
            "</div>\n"
            f'<div class="tag">标签：{tags}</div>\n'
            "</div>"
        )
    else:
        raise ValueError(f"unknown layout {a.layout!r}")
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f"{head_meta(a)}\n"
        f"<title>{title_tag}</title>\n"
        f'<link rel="canonical" href="{url}">\n'
        f'<meta name="keywords" content="{html.escape(keywords)}">\n'
        f'<meta name="description" content="{description}">\n'
        '<link rel="stylesheet" href="/css/article.css">\n'
        "<script>/* analytics */ var _hmt=[];</script>\n"
        "</head>\n<body>\n"
        f"{_header(base_url)}\n"
        '<div class="main clearfix">\n'
        f"{article}\n"
        f"{rel}\n"
        f"{_comment_block(a)}\n"
        "</div>\n"
        f"{_footer()}\n"
        '<script src="/js/stat.js"></script>\n'
        f'<img src="/stat/pixel.gif?id={a.art_id}" width="1" height="1" style="display:none">\n'
        "</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------
# Listing pages


def listing_order(articles: Iterable[DemoArticle]) -> list[DemoArticle]:
    """Newest first (ties: larger id first)."""
    return sorted(articles, key=lambda a: (published_datetime(a), a.art_id), reverse=True)


def page_count(n_entries: int, page_size: int) -> int:
    return max(1, math.ceil(n_entries / page_size))


def _pager(base_url: str, page: int, last: int, generated: bool) -> str:
    def href(n: int) -> str:
        return base_url + listing_path(n, generated=generated)

    parts: list[str] = []
    if page > 1:
        parts.append(f'<a class="prev" href="{href(page - 1)}">上一页</a>')
    shown = sorted({1, last, *range(max(1, page - 4), min(last, page + 4) + 1)})
    prev = 0
    for n in shown:
        if n - prev > 1:
            parts.append("<span>…</span>")
        if n == page:
            parts.append(f'<span class="current">{n}</span>')
        else:
            parts.append(f'<a href="{href(n)}">{n}</a>')
        prev = n
    if page < last:
        parts.append(f'<a class="next" href="{href(page + 1)}">下一页</a>')
    return '<div class="page">' + " ".join(parts) + "</div>"


def render_listing_page(
    entries: Sequence[DemoArticle],
    base_url: str,
    page: int,
    last_page: int,
    *,
    generated: bool = False,
    hot: Sequence[DemoArticle] = (),
    pick: DemoArticle | None = None,
) -> str:
    """One listing page (``entries`` are the articles of this page, newest first).

    ``hot`` fills the 热门文章 sidebar and ``pick`` the 编辑推荐 block of ``div.list-right``;
    both link to article pages but sit outside ``div.list-left``.
    """
    blocks = []
    for a in entries:
        blocks.append(
            '<div class="con-details"> '
            f'<h3><a href="{article_url(a, base_url)}" target="_blank">{html.escape(a.title)}</a>'
            f'</h3> <p class="summary">{html.escape(summary_of(a))}</p> '
            f'<div class="tag-time"><span>{listing_time_text(a)}</span></div> </div>'
        )
    hot_items = "".join(
        f'<li><em>{i}</em><a href="{article_url(a, base_url)}" target="_blank">'
        f"{html.escape(a.title)}</a></li>"
        for i, a in enumerate(hot, start=1)
    )
    pick_block = ""
    if pick is not None:
        pick_block = (
            '<div class="editor-pick"><h4>编辑推荐</h4><div class="con-details"> '
            f'<h3><a href="{article_url(pick, base_url)}" target="_blank">'
            f"{html.escape(pick.title)}</a></h3> </div></div>"
        )
    title = "产业新闻" + (f"_第{page}页" if page > 1 else "")
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=gbk">\n'
        f"<title>{title}-OFweek维科网</title>\n"
        '<meta name="keywords" content="产业新闻,行业资讯,OFweek">\n'
        '<link rel="stylesheet" href="/css/list.css">\n'
        "<script>/* analytics */ var _hmt=[];</script>\n"
        "</head>\n<body>\n"
        f"{_header(base_url)}\n"
        '<div class="main clearfix">\n'
        '<div class="crumb"><a href="' + base_url + '/">首页</a> &gt; 产业新闻</div>\n'
        '<div class="list-left"><div class="con-details">\n'
        + "\n".join(blocks)
        + "\n</div>\n"
        + _pager(base_url, page, last_page, generated)
        + "\n</div>\n"
        '<div class="list-right">\n'
        f'<div class="hot-news"><h3 class="hot-title">热门文章</h3><ul>{hot_items}</ul></div>\n'
        f"{pick_block}\n"
        f'<div class="ad-side"><a href="{base_url}/ad/click?id=7" target="_blank">'
        '<img src="/ad/side.gif" alt="广告"></a></div>\n'
        "</div>\n</div>\n"
        f"{_footer()}\n"
        '<script src="/js/stat.js"></script>\n'
        "</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------
# Feed, home, 404


_IMG_TAG_RE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_IMG_ATTR_RE = re.compile(r'\s(src|data-src|data-original)="([^"]*)"', re.IGNORECASE)


def proxy_images(body: str, page_url: str) -> str:
    """RSSHub-style: every ``<img>`` gets ``src=CORS_PROXY + absolute real image URL``.

    The real URL is ``data-src`` / ``data-original`` when present (lazy images), else ``src``;
    the lazy attributes are dropped.
    """

    def fix(m: re.Match[str]) -> str:
        tag = m.group(0)
        attrs = {k.lower(): v for k, v in _IMG_ATTR_RE.findall(tag)}
        real = attrs.get("data-src") or attrs.get("data-original") or attrs.get("src", "")
        absolute = urljoin(page_url, html.unescape(real))
        rest = _IMG_ATTR_RE.sub("", tag)[4:]
        return f'<img src="{html.escape(CORS_PROXY + absolute)}"{rest}'

    return _IMG_TAG_RE.sub(fix, body)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_feed(items: Sequence[DemoArticle], base_url: str) -> str:
    """RSS 2.0 document (UTF-8) shaped like RSSHub's ``/ofweek/news`` route."""
    listing = base_url + listing_path(1)
    ordered = listing_order(items)
    last_build = rfc822_gmt(ordered[0]) if ordered else "Thu, 01 Sep 2022 00:00:00 GMT"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">',
        "<channel>",
        "<title>高科技行业门户</title>",
        f"<link>{listing}</link>",
        f'<atom:link href="{base_url}{FEED_PATH}" rel="self" type="application/rss+xml" />',
        "<description>高科技行业门户 - Made with love by RSSHub"
        "(https://github.com/DIYgod/RSSHub)</description>",
        "<generator>RSSHub</generator>",
        "<language>zh-cn</language>",
        f"<lastBuildDate>{last_build}</lastBuildDate>",
        "<ttl>5</ttl>",
    ]
    for a in ordered:
        url = article_url(a, base_url)
        body = proxy_images(a.body_html.replace(BASE_PLACEHOLDER, base_url), url)
        out += [
            "<item>",
            f"<title>{html.escape(a.title, quote=False)}</title>",
            f"<description>{_cdata(body)}</description>",
            f"<pubDate>{rfc822_gmt(a)}</pubDate>",
            f'<guid isPermaLink="false">{url}</guid>',
            f"<link>{url}</link>",
            "</item>",
        ]
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def render_home(base_url: str, *, has_generated: bool) -> str:
    gen = (
        f'<li><a href="{base_url}{listing_path(1, generated=True)}">生成文章列表</a></li>'
        if has_generated
        else ""
    )
    return (
        "<!DOCTYPE html>\n<html><head>"
        '<meta http-equiv="Content-Type" content="text/html; charset=gbk">'
        "<title>OFweek维科网（离线演示站点）</title></head><body>\n"
        f"{_header(base_url)}\n"
        '<div class="main"><ul>'
        f'<li><a href="{base_url}{listing_path(1)}">产业新闻</a></li>{gen}'
        f'<li><a href="{base_url}{FEED_PATH}">RSS</a></li></ul></div>\n'
        f"{_footer()}\n</body></html>\n"
    )


def render_not_found(base_url: str) -> str:
    return (
        "<!DOCTYPE html>\n<html><head>"
        '<meta http-equiv="Content-Type" content="text/html; charset=gbk">'
        "<title>404 页面不存在-OFweek维科网</title></head><body>\n"
        f"{_header(base_url)}\n"
        '<div class="error-page"><h1>404</h1><p>抱歉，您访问的页面不存在或已被删除。</p>'
        f'<p><a href="{base_url}/">返回首页</a></p></div>\n'
        f"{_footer()}\n</body></html>\n"
    )


# --------------------------------------------------------------------------------------------
# The redesigned layout (``DemoPortal(redesigned=True)``)


def iso_time(a: DemoArticle) -> str:
    """The page time as W3C datetime in Beijing time (``2022-08-25T16:09:00+08:00``)."""
    return published_datetime(a).isoformat() + "+08:00"


def render_redesigned_article(a: DemoArticle, base_url: str) -> str:
    """An article page after a (fictional) redesign: no ``div.artical`` any more.

    The content is all there, with Open Graph metadata, ``<time datetime>`` and an
    ``<article>`` element, so the generic extractor still reads it.
    """
    url = article_url(a, base_url)
    body = a.body_html.replace(BASE_PLACEHOLDER, base_url)
    title = html.escape(a.title)
    title_tag = f"{title}-{site_name(a)}" if a.title else site_name(a)
    og_title = f'<meta property="og:title" content="{title}">\n' if a.title else ""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="gbk">\n'
        f"<title>{title_tag}</title>\n"
        f'<link rel="canonical" href="{url}">\n'
        f"{og_title}"
        f'<meta property="og:site_name" content="{html.escape(site_name(a))}">\n'
        f'<meta property="article:published_time" content="{iso_time(a)}">\n'
        "</head>\n<body>\n"
        f"{_header(base_url)}\n"
        '<main class="news-detail"><article class="news">\n'
        f'<header><h1 class="news-title">{title}</h1>\n'
        f'<div class="news-meta"><time datetime="{iso_time(a)}">{a.published}</time>'
        f'<span class="news-source">{html.escape(a.source)}</span></div></header>\n'
        f'<section class="news-body">{body}</section>\n'
        "</article></main>\n"
        f"{_footer()}\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------
# The portal: its articles and routes


class OfweekPortal:
    """OFweek's demo pages on ``base_url``: articles, listing, feed, images and their routes.

    ``route`` answers a path (no query string); it knows nothing of sockets, so it can be
    called directly. :class:`demo_portal.DemoPortal` serves it at the root of its server.
    """

    def __init__(
        self,
        base_url: str,
        *,
        extra_articles: Sequence[DemoArticle] = (),
        generated: int = 0,
        listing_page_size: int = 10,
        include_builtin: bool = True,
        redesigned: bool = False,
    ) -> None:
        check_options(extra_articles, generated, listing_page_size)
        self.base_url = base_url
        self.redesigned = redesigned
        """Serve article pages in a layout the OFweek parser does not know (the alarm)."""
        self.generated = generated
        self.listing_page_size = listing_page_size

        stored: dict[int, DemoArticle] = {}
        if include_builtin:
            for a in builtin_articles(self.base_url):
                stored[a.art_id] = a
        for a in extra_articles:
            stored.pop(a.art_id, None)  # an extra article replaces a built-in with its id
            stored[a.art_id] = a
        self._stored = list(stored.values())
        self._by_id = stored
        self.articles: ArticleSequence = ArticleSequence(self._stored, generated, self.base_url)

        missing = missing_article(self.base_url)
        self.missing_entry: DemoArticle | None = (
            missing if include_builtin and missing.art_id not in stored else None
        )
        listed = [a for a in self._stored if a.in_listing]
        if self.missing_entry is not None:
            listed.append(self.missing_entry)
        self._listing = listing_order(listed)
        served_listed = [a for a in self._listing if a.art_id in stored]
        self._hot = [a for a in served_listed if a.title][:5]
        feed_only = sorted(
            (a for a in self._stored if a.in_feed and not a.in_listing and a.title),
            key=lambda a: a.art_id,
        )
        self._pick = feed_only[0] if feed_only else None
        self._feed_items = [a for a in self._stored if a.in_feed]

        self._images: set[str] = set()
        for a in self._stored:
            self._images.update(image_paths(a.body_html, self.base_url))

    # ---------------------------------------------------------------- URLs and views

    @property
    def listing_url(self) -> str:
        return self.base_url + listing_path(1)

    @property
    def generated_listing_url(self) -> str:
        return self.base_url + listing_path(1, generated=True)

    @property
    def feed_url(self) -> str:
        return self.base_url + FEED_PATH

    @property
    def missing_url(self) -> str | None:
        """The listed article URL that answers 404 (``None`` without built-ins)."""
        return None if self.missing_entry is None else self.article_url(self.missing_entry)

    @property
    def listing_pages(self) -> int:
        return page_count(len(self._listing), self.listing_page_size)

    @property
    def generated_listing_pages(self) -> int:
        return math.ceil(self.generated / self.listing_page_size)

    @property
    def listing_entries(self) -> list[DemoArticle]:
        """Everything the listing links to, in listing order (includes ``missing_entry``)."""
        return list(self._listing)

    @property
    def listed_articles(self) -> list[DemoArticle]:
        """Served articles that appear in the listing, newest first."""
        return [a for a in self._listing if a.art_id in self._by_id]

    @property
    def feed_articles(self) -> list[DemoArticle]:
        """Articles of the RSS feed, newest first."""
        return listing_order(self._feed_items)

    @property
    def stored_articles(self) -> list[DemoArticle]:
        """Built-in + extra articles (``articles`` without the generated ones)."""
        return list(self._stored)

    def article_url(self, a: DemoArticle) -> str:
        return self.base_url + a.path

    def listing_page_url(self, page: int, *, generated: bool = False) -> str:
        return self.base_url + listing_path(page, generated=generated)

    def image_url(self, path: str) -> str:
        return self.base_url + path

    @property
    def image_paths(self) -> list[str]:
        """``/Upload/News/`` paths referenced by stored article bodies (deleted one included)."""
        return sorted(self._images)

    def generated_article(self, index: int) -> DemoArticle:
        if not 0 <= index < self.generated:
            raise IndexError("generated article index out of range")
        return generated_article(index, self.base_url)

    # ---------------------------------------------------------------- routes

    def not_found(self) -> Response:
        return Response(404, HTML_GBK, gbk(render_not_found(self.base_url)))

    def route(self, path: str, referer: str = "") -> tuple[Response, bool]:
        """``(response, cacheable)`` for a GET of ``path`` with the given Referer."""
        if path == "/robots.txt":
            return Response(200, "text/plain; charset=utf-8", ROBOTS_TXT.encode()), True
        if path == "/":
            home = render_home(self.base_url, has_generated=bool(self.generated))
            return Response(200, HTML_GBK, gbk(home)), True
        if path == FEED_PATH:
            feed = render_feed(self._feed_items, self.base_url).encode("utf-8")
            return Response(200, "application/xml; charset=utf-8", feed), True
        m = ARTICLE_PATH_RE.match(path)
        if m:
            return self._article(m.group(1), int(m.group(2)))
        m = LISTING_PATH_RE.match(path)
        if m:
            page = int(m.group(2) or 1)
            if m.group(1):
                return self._generated_listing(page), False
            return self._listing_page(page), True
        if path.startswith("/Upload/"):
            return self._upload(path, referer), False
        return self._asset(path), False

    def _article(self, month: str, art_id: int) -> tuple[Response, bool]:
        a = self._by_id.get(art_id)
        if a is not None:
            if a.month != month:
                return self.not_found(), False
            if self.redesigned:
                page = render_redesigned_article(a, self.base_url)
            else:
                related = [
                    (self.article_url(r), r.title) for r in self._related(a) if r.art_id != a.art_id
                ]
                page = render_article_page(a, self.base_url, related=related)
            return Response(200, content_type(a), gbk(page)), True
        index = art_id - GENERATED_ID_BASE
        if 0 <= index < self.generated and generated_month(index) == month:
            g = generated_article(index, self.base_url)
            neighbours = [i for i in (index + 1, index - 1, index - 2) if 0 <= i < self.generated]
            related = [
                (self.article_url(r), r.title)
                for r in (generated_article(i, self.base_url) for i in neighbours)
            ]
            page = render_article_page(g, self.base_url, related=related)
            return Response(200, content_type(g), gbk(page)), False
        return self.not_found(), False

    def _related(self, a: DemoArticle) -> list[DemoArticle]:
        pool = [r for r in self._listing if r.art_id in self._by_id and r.title] or self._stored
        if a in pool:
            i = pool.index(a)
            pool = pool[i + 1 :] + pool[:i]
        return pool[:3]

    def _listing_page(self, page: int) -> Response:
        last = self.listing_pages
        if not 1 <= page <= last:
            return self.not_found()
        size = self.listing_page_size
        entries = self._listing[(page - 1) * size : page * size]
        html_text = render_listing_page(
            entries, self.base_url, page, last, hot=self._hot, pick=self._pick
        )
        return Response(200, HTML_GBK, gbk(html_text))

    def _generated_listing(self, page: int) -> Response:
        last = self.generated_listing_pages
        if not 1 <= page <= last:
            return self.not_found()
        size = self.listing_page_size
        top = self.generated - 1 - (page - 1) * size
        indices = range(top, max(-1, top - size), -1)
        entries = [generated_article(i, self.base_url) for i in indices]
        html_text = render_listing_page(
            entries, self.base_url, page, last, generated=True, hot=self._hot, pick=self._pick
        )
        return Response(200, HTML_GBK, gbk(html_text))

    def _is_generated_image(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        if not (name.startswith("g") and name.endswith(".png") and name[1:-4].isdigit()):
            return False
        index = int(name[1:-4]) - GENERATED_ID_BASE
        return 0 <= index < self.generated and generated_image_path(index) == path

    def _upload(self, path: str, referer: str) -> Response:
        if not (referer == self.base_url or referer.startswith(self.base_url + "/")):
            return self._forbidden("禁止盗链")
        if "/deleted/" in path:
            return self._forbidden("图片已删除")
        if UPLOAD_PATH_RE.match(path) and (path in self._images or self._is_generated_image(path)):
            ctype, data = _image(path)
            return Response(200, ctype, data, (("Cache-Control", "max-age=86400"),))
        return self.not_found()

    @staticmethod
    def _forbidden(reason: str) -> Response:
        return Response(403, HTML_GBK, gbk(f"<html><body><h1>403 {reason}</h1></body></html>"))

    def _asset(self, path: str) -> Response:
        if path == "/images/loading.gif":
            return Response(200, "image/gif", gif_bytes((0xCC, 0xCC, 0xCC)))
        if path.startswith("/images/") and path.endswith(".gif"):
            return Response(200, "image/gif", _image(path)[1])
        if path.startswith("/stat/"):
            return Response(200, "image/gif", gif_bytes((0, 0, 0), transparent=True))
        if path.startswith("/ad/"):
            if path.endswith(".gif"):
                return Response(200, "image/gif", _image(path)[1])
            ad = '<html><body><a href="/ad/click">广告</a></body></html>'
            return Response(200, HTML_GBK, gbk(ad))
        if path.startswith("/js/"):
            js = b"/* demo portal statistics stub */\nvar _ofwStat = [];\n"
            return Response(200, "application/javascript", js)
        if path.startswith("/css/"):
            return Response(200, "text/css", b"body{margin:0;font-size:14px}\n")
        return self.not_found()
