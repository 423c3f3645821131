"""Offline demo portal: one local HTTP server shaped like seven real tech-news portals.

OFweek 维科网 is served at the root, every other portal below its own prefix. Used by
``make demo``, the end-to-end tests (on an ephemeral port) and the benchmarks::

    with DemoPortal(port=0, listing_page_size=5) as portal:
        portal.listing_url   # http://127.0.0.1:PORT/CATList-8100-CHANGYIEXINWE.html
        portal.feed_url      # http://127.0.0.1:PORT/rss/ofweek/news
        portal.hits["/2022-08/ART-8100-2801-30572367.html"]

URL space (all links absolute on ``base_url``); OFweek's pages are built by
:mod:`demo_portal.portals.ofweek` from the articles of :mod:`demo_portal.content`:

* ``/robots.txt`` -- ``Disallow: /admin/`` plus ``Sitemap:`` lines
* ``/CATList-8100-CHANGYIEXINWE.html``, ``…-{n}.html`` -- listing, newest first, GBK;
  articles are ``div.list-left div.con-details h3 > a``, next page ``div.page a.next``
* ``/gen/CATList-8100-CHANGYIEXINWE[-n].html`` -- listing of the ``generated=N`` articles
* ``/{month}/ART-8100-2801-{id}.html`` -- article pages (``#articleC`` holds the body)
* ``/Upload/News/{month}/{dd}/{name}.jpg|png`` -- images, 403 unless the Referer is on the
  portal; paths containing ``/deleted/`` always answer 403
* ``/rss/ofweek/news`` -- RSSHub-style RSS 2.0 (UTF-8), images wrapped by the CORS proxy
* ``/images/loading.gif``, ``/ad/*``, ``/stat/*``, ``/js/*``, ``/css/*`` -- small assets
* ``/sitemap_index.xml``, ``/sitemap-news.xml``, ``/sitemap-articles.xml.gz``,
  ``/atom/ofweek/news.xml`` and a small blog under ``/blog/`` -- :mod:`demo_portal.discovery`
* ``/<portal>/…`` -- the other portals' demos (``ithome``, ``36kr``, ``oschina``,
  ``arstechnica``, ``cnbeta``, ``huxiu``), each a module of :mod:`demo_portal.portals` with a
  ``SITE``; crawl one with ``--base-url {base_url}/<portal>``
* anything else -- 404 (GBK HTML)

Images are encoded by Pillow (:mod:`demo_portal.images`). All article texts were written for
this project; companies, people and figures are fictional.
"""

from demo_portal.content import (
    BASE_PLACEHOLDER,
    GENERATED_ID_BASE,
    ArticleSequence,
    DemoArticle,
    builtin_articles,
    builtin_roles,
)
from demo_portal.portals.common import Response
from demo_portal.portals.ofweek import CORS_PROXY, render_article_page
from demo_portal.server import DemoPortal

__all__ = [
    "BASE_PLACEHOLDER",
    "CORS_PROXY",
    "GENERATED_ID_BASE",
    "ArticleSequence",
    "DemoArticle",
    "DemoPortal",
    "Response",
    "builtin_articles",
    "builtin_roles",
    "render_article_page",
]
