"""Discovery documents and a non-portal site for the demo portal (issue #7).

For the OFweek-shaped portal:

* ``/robots.txt`` -- the portal's rules plus ``Sitemap:`` lines for both sitemap indexes
* ``/sitemap_index.xml`` -- sitemap index of the two below
* ``/sitemap-news.xml`` -- Google News sitemap (``<news:news>`` with publication date and
  title) of the feed articles
* ``/sitemap-articles.xml.gz`` -- gzip'd urlset (served as ``application/gzip``, no
  ``Content-Encoding``) of everything the listing links to
* ``/atom/ofweek/news.xml`` -- the feed articles as Atom 1.0

(``DemoPortal(redesigned=True)``, article pages in a layout no OFweek parser version knows,
is in :mod:`demo_portal.portals.ofweek`.)

A generic site (a small blog, UTF-8, its own markup) under ``/blog/``:

* ``/blog/`` and ``/blog/page/N/`` -- listing, ``<link rel="next">`` pagination
* ``/blog/posts/<slug>/`` -- article pages; ``/blog/about/`` -- a page that is no article
* ``/blog/atom.xml`` -- Atom feed (relative ``<link href>``) of the newest posts
* ``/blog/sitemap_index.xml`` -- index of ``/blog/sitemap-news.xml`` (news sitemap of the
  two newest posts) and ``/blog/sitemap-posts.xml.gz`` (every post and the about page)

All texts were written for this project; the blog, its people and figures are fictional.
"""

from __future__ import annotations

import gzip
import html
from collections.abc import Sequence
from dataclasses import dataclass

from demo_portal.content import article_url
from demo_portal.portals.common import Response
from demo_portal.portals.ofweek import ROBOTS_TXT, OfweekPortal, iso_time

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
SITEMAP_INDEX_PATH = "/sitemap_index.xml"
NEWS_SITEMAP_PATH = "/sitemap-news.xml"
GZIP_SITEMAP_PATH = "/sitemap-articles.xml.gz"
ATOM_PATH = "/atom/ofweek/news.xml"
BLOG = "/blog"
BLOG_PAGE_SIZE = 3
XML = "application/xml; charset=utf-8"
_GZIP_MTIME = 0  # reproducible .gz bytes


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def sitemap_index(locs: Sequence[str]) -> str:
    items = "".join(f"<sitemap><loc>{_esc(loc)}</loc></sitemap>\n" for loc in locs)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        f"{items}</sitemapindex>\n"
    )


def urlset(entries: Sequence[tuple[str, str]]) -> str:
    """``(loc, lastmod)`` pairs as a plain urlset (``lastmod`` may be '')."""
    items = "".join(
        f"<url><loc>{_esc(loc)}</loc>"
        + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
        + "</url>\n"
        for loc, lastmod in entries
    )
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
    return f"{head}{items}</urlset>\n"


def news_urlset(entries: Sequence[tuple[str, str, str]], name: str, language: str) -> str:
    """``(loc, title, publication date)`` as a Google News sitemap."""
    items = "".join(
        f"<url><loc>{_esc(loc)}</loc><news:news><news:publication><news:name>{_esc(name)}"
        f"</news:name><news:language>{language}</news:language></news:publication>"
        f"<news:publication_date>{date}</news:publication_date>"
        f"<news:title>{_esc(title)}</news:title></news:news></url>\n"
        for loc, title, date in entries
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}" '
        f'xmlns:news="{NEWS_NS}">\n{items}</urlset>\n'
    )


def atom_feed(title: str, self_url: str, entries: Sequence[tuple[str, str, str, str]]) -> str:
    """``(href, title, published, summary)`` entries as Atom 1.0; ``href`` may be relative."""
    updated = max((e[2] for e in entries), default="2022-01-01T00:00:00+08:00")
    items = "".join(
        f'<entry><title>{_esc(t)}</title><link rel="alternate" type="text/html" '
        f'href="{_esc(href)}"/><id>tag:demo,{_esc(href)}</id><published>{date}</published>'
        f"<updated>{date}</updated><summary>{_esc(summary)}</summary></entry>\n"
        for href, t, date, summary in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"\n<title>{_esc(title)}</title><id>{_esc(self_url)}</id>"
        f'<link rel="self" href="{_esc(self_url)}"/><updated>{updated}</updated>\n'
        f"{items}</feed>\n"
    )


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), mtime=_GZIP_MTIME)


# ------------------------------------------------------------------ the generic blog


@dataclass(frozen=True)
class BlogPost:
    slug: str
    title: str
    published: str
    """W3C datetime with offset."""
    author: str
    paragraphs: tuple[str, ...]
    lang: str = "en"

    @property
    def path(self) -> str:
        return f"{BLOG}/posts/{self.slug}/"


BLOG_NAME = "Lantern Notes"
BLOG_POSTS: tuple[BlogPost, ...] = (
    BlogPost(
        "sqlite-backups-on-a-budget",
        "SQLite backups on a budget",
        "2024-03-12T08:30:00+08:00",
        "Mira Holt",
        (
            "Our small team keeps every service's state in SQLite, and for a long time the backup "
            "plan was a nightly copy of the database file. That works until the night the copy "
            "runs during a write and the restored file refuses to open.",
            "We now use the online backup API through the sqlite3 command line tool. It takes a "
            "consistent snapshot while the service keeps running, and the snapshot of our largest "
            "database, about four gigabytes, finishes in under two minutes on a modest disk.",
            "Every snapshot is verified with an integrity check before it is uploaded, and once a "
            "week a job restores the newest one into a scratch directory and runs the test suite "
            "of the service against it. A backup that was never restored is only a hope.",
            "The whole setup is a forty-line shell script and a systemd timer. It has caught two "
            "corrupted snapshots so far, both caused by a failing disk on the build machine.",
        ),
    ),
    BlogPost(
        "reading-sitemaps-politely",
        "Reading sitemaps politely",
        "2024-03-05T21:10:00+08:00",
        "Jonas Reed",
        (
            "A sitemap tells a crawler which pages exist and when they changed, which makes it the "
            "cheapest way to keep a mirror of a site current. Large sites split theirs into an "
            "index of many gzip-compressed files, each holding up to fifty thousand addresses.",
            "News publishers add a separate sitemap with only the articles of the last two days. "
            "Each entry carries the headline and the publication time, so a crawler can decide "
            "what to fetch before it downloads a single article page.",
            "Being polite means reading robots.txt first, honouring its crawl delay, and fetching "
            "the compressed files as they are instead of asking the server to decompress them. "
            "It also means remembering what was already fetched, so the next run only asks for "
            "the pages that are new.",
        ),
    ),
    BlogPost(
        "edge-cache-lessons",
        "边缘缓存上线三个月的经验",
        "2024-02-27T10:00:00+08:00",
        "林舟",
        (
            "三个月前，我们把静态资源和部分接口放到了边缘缓存节点上。上线第一周，源站的带宽下降了六成，"
            "但客服收到的投诉反而变多了：有用户看到的是两天前的价格。",
            "问题出在缓存键上。接口按地区返回不同的价格，而缓存键里没有地区信息，"
            "于是第一个访问的用户决定了整个节点的内容。我们把地区加进缓存键，并把价格接口的缓存时间缩短到一分钟。",
            "第二个教训是清除缓存要有预案。一次发布后需要立即清除全部节点，控制台的批量接口却有频率限制，"
            "最后花了四十分钟才完成。现在发布脚本会按目录分批提交清除请求，并在完成后自动抽查十个地址。",
            "总体来看，边缘缓存值得投入，但它不是开关，而是一套需要监控和演练的系统。",
        ),
        lang="zh",
    ),
    BlogPost(
        "type-hints-in-old-code",
        "Adding type hints to a ten-year-old codebase",
        "2024-02-14T16:45:00+08:00",
        "Mira Holt",
        (
            "Our billing service is older than most of the people who maintain it. When we decided "
            "to add type hints, the first run of the checker reported more than three thousand "
            "errors, and the team briefly considered giving up.",
            "Instead we started with the modules that change most often. Each pull request that "
            "touches a file adds hints to the functions it changes, and the checker runs in strict "
            "mode only on the files listed in a small configuration section that grows every week.",
            "After four months, sixty percent of the code is checked strictly. The checker found "
            "eleven real bugs along the way, most of them places where a function could return "
            "nothing and its caller never expected that.",
        ),
    ),
    BlogPost(
        "quiet-on-call",
        "What made our on-call rotation quiet",
        "2024-01-30T09:20:00+08:00",
        "Jonas Reed",
        (
            "A year ago the person on call was woken up about three times a week. Today it is "
            "about once a month, and nobody on the team would go back to the old alert rules.",
            "We deleted every alert that had not led to an action in the previous quarter, which "
            "removed half of them. The rest were rewritten to fire on symptoms users notice, such "
            "as slow checkouts and failed logins, instead of on causes like a busy processor.",
            "Each remaining alert links to a short page that says what to check first. Writing "
            "those pages forced us to admit that some alerts had no useful first step, and those "
            "alerts went too.",
        ),
    ),
    BlogPost(
        "release-notes-people-read",
        "写出有人读的发布说明",
        "2024-01-16T14:00:00+08:00",
        "林舟",
        (
            "我们的发布说明曾经是一串提交记录，用户从来不看。后来我们换了写法：每条说明先写用户能感受到的变化，"
            "再写原因，最后才是技术细节。",
            "比如“修复了导出时的编码问题”改成了“导出的表格在旧版办公软件里不再出现乱码”。"
            "同一件事，后一种写法让用户知道这和自己有没有关系。",
            "我们还把破坏性变更放在最前面，并给出迁移步骤。改版之后，关于升级的咨询少了一半，"
            "发布说明页面的平均停留时间从十几秒增加到一分多钟。",
        ),
        lang="zh",
    ),
)
"""Newest first."""
BLOG_FEED_SIZE = 4
BLOG_NEWS_SIZE = 2


def _blog_page(base_url: str, title: str, body: str, head: str = "", lang: str = "en") -> str:
    nav = (
        f'<header class="site"><a href="{base_url}{BLOG}/">{BLOG_NAME}</a> '
        f'<nav><a href="{base_url}{BLOG}/about/">About</a> '
        f'<a href="{base_url}{BLOG}/atom.xml">Feed</a></nav></header>'
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_esc(title)} | {BLOG_NAME}</title>\n{head}</head>\n<body>\n{nav}\n"
        f"{body}\n<footer>© 2024 {BLOG_NAME}. Subscribe via the feed.</footer>\n"
        "</body>\n</html>\n"
    )


def render_blog_post(post: BlogPost, base_url: str) -> str:
    url = base_url + post.path
    head = (
        f'<link rel="canonical" href="{url}">\n'
        f'<meta property="og:title" content="{_esc(post.title)}">\n'
        f'<meta property="og:site_name" content="{BLOG_NAME}">\n'
        f'<meta property="article:published_time" content="{post.published}">\n'
        f'<meta name="author" content="{_esc(post.author)}">\n'
    )
    paragraphs = "\n".join(f"<p>{_esc(p)}</p>" for p in post.paragraphs)
    body = (
        f'<main><article class="post"><h1>{_esc(post.title)}</h1>\n'
        f'<p class="byline">By {_esc(post.author)} · <time datetime="{post.published}">'
        f"{post.published[:10]}</time></p>\n{paragraphs}\n</article>\n"
        '<aside class="share">Share this post · '
        f'<a href="{base_url}{BLOG}/">More posts</a></aside></main>'
    )
    return _blog_page(base_url, post.title, body, head, post.lang)


def blog_pages() -> int:
    return -(-len(BLOG_POSTS) // BLOG_PAGE_SIZE)


def blog_page_path(page: int) -> str:
    return f"{BLOG}/" if page <= 1 else f"{BLOG}/page/{page}/"


def render_blog_listing(page: int, base_url: str) -> str:
    posts = BLOG_POSTS[(page - 1) * BLOG_PAGE_SIZE : page * BLOG_PAGE_SIZE]
    items = "\n".join(
        f'<li><a href="{base_url}{p.path}">{_esc(p.title)}</a> '
        f'<time datetime="{p.published}">{p.published[:10]}</time></li>'
        for p in posts
    )
    head = ""
    pager = ""
    if page < blog_pages():
        nxt = base_url + blog_page_path(page + 1)
        head = f'<link rel="next" href="{nxt}">\n'
        pager = f'<a rel="next" href="{nxt}">Older posts</a>'
    return _blog_page(
        base_url, f"Posts, page {page}", f"<main><ul>{items}</ul>{pager}</main>", head
    )


def render_blog_about(base_url: str) -> str:
    return _blog_page(
        base_url, "About", "<main><h1>About</h1><p>Notes from a small team.</p></main>"
    )


# ------------------------------------------------------------------ routing


def route(portal: OfweekPortal, path: str) -> Response | None:
    """The response for one of this module's paths, ``None`` for any other path."""
    base = portal.base_url
    text: str | None = None
    if path == "/robots.txt":
        lines = f"Sitemap: {base}{SITEMAP_INDEX_PATH}\nSitemap: {base}{BLOG}/sitemap_index.xml\n"
        return Response(200, "text/plain; charset=utf-8", (ROBOTS_TXT + lines).encode())
    if path == SITEMAP_INDEX_PATH:
        text = sitemap_index([base + NEWS_SITEMAP_PATH, base + GZIP_SITEMAP_PATH])
    elif path == NEWS_SITEMAP_PATH:
        feed = [a for a in portal.feed_articles if a.title]
        text = news_urlset(
            [(article_url(a, base), a.title, iso_time(a)) for a in feed], "OFweek维科网", "zh"
        )
    elif path == GZIP_SITEMAP_PATH:
        entries = [(article_url(a, base), iso_time(a)[:10]) for a in portal.listing_entries]
        return Response(200, "application/gzip", gzipped(urlset(entries)))
    elif path == ATOM_PATH:
        feed = [a for a in portal.feed_articles if a.title]
        atom = [(article_url(a, base), a.title, iso_time(a), a.source) for a in feed]
        text = atom_feed("高科技行业门户", base + ATOM_PATH, atom)
    elif path == BLOG or path.startswith(BLOG + "/"):
        return _blog_route(portal, path)
    if text is None:
        return None
    return Response(200, XML, text.encode("utf-8"))


def _blog_route(portal: OfweekPortal, path: str) -> Response:
    base = portal.base_url
    html_type = "text/html; charset=utf-8"
    by_path = {p.path: p for p in BLOG_POSTS}
    if path in by_path:
        return Response(200, html_type, render_blog_post(by_path[path], base).encode())
    pages = {blog_page_path(n): n for n in range(1, blog_pages() + 1)}
    if path in pages:
        return Response(200, html_type, render_blog_listing(pages[path], base).encode())
    if path == f"{BLOG}/about/":
        return Response(200, html_type, render_blog_about(base).encode())
    if path == f"{BLOG}/atom.xml":
        newest = BLOG_POSTS[:BLOG_FEED_SIZE]
        entries = [(p.path, p.title, p.published, p.paragraphs[0]) for p in newest]
        feed = atom_feed(BLOG_NAME, base + path, entries)
        return Response(200, "application/atom+xml; charset=utf-8", feed.encode())
    if path == f"{BLOG}/sitemap_index.xml":
        index = sitemap_index(
            [f"{base}{BLOG}/sitemap-news.xml", f"{base}{BLOG}/sitemap-posts.xml.gz"]
        )
        return Response(200, XML, index.encode())
    if path == f"{BLOG}/sitemap-news.xml":
        news = [(base + p.path, p.title, p.published) for p in BLOG_POSTS[:BLOG_NEWS_SIZE]]
        return Response(200, XML, news_urlset(news, BLOG_NAME, "en").encode())
    if path == f"{BLOG}/sitemap-posts.xml.gz":
        locs = [(base + p.path, p.published[:10]) for p in BLOG_POSTS]
        locs.append((f"{base}{BLOG}/about/", ""))
        return Response(200, "application/gzip", gzipped(urlset(locs)))
    return portal.not_found()


def blog_post_urls(base_url: str) -> list[str]:
    return [base_url + p.path for p in BLOG_POSTS]
