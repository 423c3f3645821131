"""Pure content of the demo portal: article data and HTML/RSS rendering.

Nothing here touches the network or the file system, and every function is deterministic: the
same arguments always give the same text or bytes.  :mod:`demo_portal.server` only routes
requests to these functions and encodes the result.
"""

from __future__ import annotations

import html
import math
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

from demo_portal.articles import (
    BUILTIN_SPECS,
    GEN_ACTIONS,
    GEN_COMPANIES,
    GEN_OUTCOMES,
    GEN_PRODUCTS,
    GEN_SENTENCES,
    KEYWORD_LINKS,
    MISSING_SPEC,
    ArticleSpec,
)

#: Replaced by the portal's base URL wherever it occurs in a body (built-in bodies use it).
BASE_PLACEHOLDER = "{{BASE}}"
#: RSSHub's CORS image proxy prefix; the feed wraps every ``<img src>`` with it.
CORS_PROXY = "https://cors.zfour.workers.dev/?"

LISTING_PREFIX = "/CATList-8100-CHANGYIEXINWE"
GENERATED_LISTING_PREFIX = "/gen/CATList-8100-CHANGYIEXINWE"
FEED_PATH = "/rss/ofweek/news"
ARTICLE_PATH_RE = re.compile(r"^/(\d{4}-\d{2})/ART-8100-2801-(\d+)\.html$")
LISTING_PATH_RE = re.compile(r"^(/gen)?/CATList-8100-CHANGYIEXINWE(?:-(\d+))?\.html$")
UPLOAD_PATH_RE = re.compile(r"^/Upload/News/[\w./-]+\.(?:jpg|jpeg|png|gif)$")

#: First id of the synthetic articles of ``generated=N``.
GENERATED_ID_BASE = 50_000_000
GENERATED_START = datetime(2021, 4, 1, 8, 0)
GENERATED_STEP = timedelta(minutes=37)

ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\n"

LAYOUTS = ("current", "legacy")
ENCODINGS = ("header", "meta", "wrong-header")

_P_STYLE = "text-indent: 2em; text-align: left;"
_IDEO_INDENT = "\u3000\u3000"
_CURRENT_TIME = "%Y-%m-%d %H:%M"
_LEGACY_TIME = "%Y年%m月%d日 %H:%M"
_UTC_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no DST


@dataclass(frozen=True)
class DemoArticle:
    """One article page of the demo portal."""

    art_id: int
    month: str  # "2022-08" -> URL path /2022-08/ART-8100-2801-{art_id}.html
    title: str  # may be "" for the broken page
    published: str  # exactly as shown on the page ("2022-08-25 16:09" / "2021年04月02日 10:30")
    source: str  # e.g. "OFweek锂电网" / "来源：OFweek维科网"
    body_html: str  # inner HTML of #articleC
    layout: str = "current"  # "current" | "legacy"
    encoding: str = "header"  # "header" | "meta" | "wrong-header"
    in_listing: bool = True
    in_feed: bool = True
    tags: tuple[str, ...] = ()  # shown in div.tag and <meta name="keywords">

    @property
    def path(self) -> str:
        """URL path of the article page."""
        return article_path(self)


def article_path(a: DemoArticle) -> str:
    return f"/{a.month}/ART-8100-2801-{a.art_id}.html"


def article_url(a: DemoArticle, base_url: str) -> str:
    return base_url + article_path(a)


def listing_path(page: int, *, generated: bool = False) -> str:
    prefix = GENERATED_LISTING_PREFIX if generated else LISTING_PREFIX
    return f"{prefix}.html" if page <= 1 else f"{prefix}-{page}.html"


# --------------------------------------------------------------------------------------------
# Dates


def published_datetime(a: DemoArticle) -> datetime:
    """The page time as a naive Asia/Shanghai datetime (both layouts' formats)."""
    return parse_published(a.published)


def parse_published(text: str) -> datetime:
    text = text.strip()
    fmt = _LEGACY_TIME if "年" in text else _CURRENT_TIME
    return datetime.strptime(text, fmt)  # naive Asia/Shanghai local time


def listing_time_text(a: DemoArticle) -> str:
    """Time as the (current-generation) listing shows it: ``2022-08-25 16:09``."""
    return published_datetime(a).strftime(_CURRENT_TIME)


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
# Article bodies


def keyword_link(word: str, url: str | None = None) -> str:
    href = url or KEYWORD_LINKS[word]
    return (
        f'<span class="hrefStyle"><a href="{href}" target="_blank" title="{word}">{word}</a></span>'
    )


def _inline(text: str) -> str:
    return re.sub(r"\[\[(.+?)\]\]", lambda m: keyword_link(m.group(1)), text)


def _img(kind: str, rel_path: str, title: str) -> str:
    abs_src = f"{BASE_PLACEHOLDER}/Upload/News/{rel_path}"
    t = html.escape(title)
    if kind == "IMG":
        tag = f'<img src="{abs_src}" title="{t}" alt="{t}">'
    elif kind == "IMG-LAZY":
        tag = f'<img src="/images/loading.gif" data-src="{abs_src}" title="{t}" alt="{t}">'
    elif kind == "IMG-ORIG":
        tag = (
            f'<img class="lazy" src="/images/loading.gif" data-original="{abs_src}" '
            f'title="{t}" alt="{t}">'
        )
    elif kind == "IMG-REL":
        tag = f'<img src="/Upload/News/{rel_path}" title="{t}" alt="{t}">'
    else:
        raise ValueError(f"unknown image kind {kind!r}")
    return f'<p style="text-align:center">{tag}</p>'


def build_body(blocks: Iterable[str], title: str) -> str:
    """Turn the block markup of :mod:`demo_portal.articles` into portal body HTML."""
    out: list[str] = []
    for block in blocks:
        head, _, rest = block.partition(" ")
        if block.startswith("## "):
            out.append(f'<p style="{_P_STYLE}"><strong>{_inline(rest)}</strong></p>')
        elif head in ("IMG", "IMG-LAZY", "IMG-ORIG", "IMG-REL"):
            out.append(_img(head, rest, title))
        elif head == "IDEO":
            out.append(f"<p>{_IDEO_INDENT}{_inline(rest)}</p>")
        elif block == "EMPTY":
            out.append("<p></p>")
        elif head == "RAW":
            out.append(rest)
        else:
            out.append(f'<p style="{_P_STYLE}">{_inline(block)}</p>')
    return "\n".join(out)


def _article_from_spec(spec: ArticleSpec, base_url: str) -> DemoArticle:
    body = build_body(spec.blocks, spec.title).replace(BASE_PLACEHOLDER, base_url)
    return DemoArticle(
        art_id=spec.art_id,
        month=spec.month,
        title=spec.title,
        published=spec.published,
        source=spec.source,
        body_html=body,
        layout=spec.layout,
        encoding=spec.encoding,
        in_listing=spec.in_listing,
        in_feed=spec.in_feed,
        tags=spec.tags,
    )


def builtin_articles(base_url: str) -> list[DemoArticle]:
    """The hand-written articles, with absolute URLs on ``base_url``."""
    return [_article_from_spec(s, base_url) for s in BUILTIN_SPECS]


def builtin_roles() -> dict[int, str]:
    """Article id -> the trap / special role of that built-in article (for docs and tests)."""
    roles = {s.art_id: s.role for s in BUILTIN_SPECS}
    roles[MISSING_SPEC.art_id] = MISSING_SPEC.role
    return roles


def missing_article(base_url: str) -> DemoArticle:
    """The listing entry whose page answers 404 (never served)."""
    return _article_from_spec(MISSING_SPEC, base_url)


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
# Synthetic articles (generated=N): rendered from the index, never stored


def generated_published(index: int) -> datetime:
    return GENERATED_START + GENERATED_STEP * index


def generated_month(index: int) -> str:
    return generated_published(index).strftime("%Y-%m")


def generated_image_path(index: int) -> str:
    d = generated_published(index)
    return f"/Upload/News/{d:%Y-%m}/{d:%d}/g{GENERATED_ID_BASE + index}.png"


def generated_article(index: int, base_url: str) -> DemoArticle:
    """Synthetic article number ``index`` (0-based; id ``GENERATED_ID_BASE + index``)."""
    if index < 0:
        raise IndexError(index)
    rng = random.Random(GENERATED_ID_BASE + index)  # noqa: S311 -- deterministic fake text only
    company = rng.choice(GEN_COMPANIES)
    product, kw = rng.choice(GEN_PRODUCTS)
    title = f"{company}{rng.choice(GEN_ACTIONS)}{product} {rng.choice(GEN_OUTCOMES)}（{index + 1}）"
    values = {
        "company": company,
        "product": product,
        "kw": keyword_link(kw),
        "year": str(rng.randint(2022, 2025)),
        "months": str(rng.randint(3, 11)),
        "pct": str(rng.randint(12, 96)),
        "pct2": str(rng.randint(5, 35)),
        "pct3": str(rng.randint(60, 95)),
        "n": str(rng.randint(2, 9)),
        "amount": f"{rng.randint(3, 90) / 10:.1f}",
        "cap": str(rng.randint(5, 120)),
    }
    paragraphs: list[str] = []
    for _ in range(rng.randint(3, 5)):
        sentences = rng.sample(GEN_SENTENCES, rng.randint(2, 4))
        paragraphs.append(f'<p style="{_P_STYLE}">' + "".join(sentences).format(**values) + "</p>")
    t = html.escape(title)
    image = (
        f'<p style="text-align:center"><img src="{base_url}{generated_image_path(index)}" '
        f'title="{t}" alt="{t}"></p>'
    )
    paragraphs.insert(1, image)
    d = generated_published(index)
    return DemoArticle(
        art_id=GENERATED_ID_BASE + index,
        month=f"{d:%Y-%m}",
        title=title,
        published=d.strftime(_CURRENT_TIME),
        source="OFweek维科网",
        body_html="\n".join(paragraphs),
        tags=(kw, product),
    )


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


def head_meta(a: DemoArticle) -> str:
    """The charset declaration inside ``<head>`` for the article's encoding mode."""
    if a.encoding == "meta":
        return '<meta charset="gb2312">'
    charset = "gb2312" if a.layout == "legacy" and a.encoding == "header" else "gbk"
    return f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'


def content_type(a: DemoArticle) -> str:
    """HTTP Content-Type header value for the article's encoding mode."""
    if a.encoding == "meta":
        return "text/html"
    if a.encoding == "wrong-header":
        return "text/html; charset=utf-8"
    return "text/html; charset=gbk"


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
