"""The demo portal's HTTP server (``http.server.ThreadingHTTPServer``, HTTP/1.1 keep-alive).

``DemoPortal`` binds its socket in ``__init__`` (so ``base_url`` is known at once, also with
``port=0``), serves in a daemon thread after :meth:`DemoPortal.start` or in the foreground with
:meth:`DemoPortal.serve_forever`.  Routing lives in :meth:`DemoPortal.respond`, which is a plain
method and can be called without any socket.
"""

from __future__ import annotations

import collections
import functools
import math
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, overload
from urllib.parse import urlsplit

from demo_portal import discovery
from demo_portal import portals as other_portals
from demo_portal.content import (
    ARTICLE_PATH_RE,
    ENCODINGS,
    FEED_PATH,
    GENERATED_ID_BASE,
    LAYOUTS,
    LISTING_PATH_RE,
    ROBOTS_TXT,
    UPLOAD_PATH_RE,
    DemoArticle,
    builtin_articles,
    content_type,
    generated_article,
    generated_image_path,
    generated_month,
    image_paths,
    listing_order,
    listing_path,
    missing_article,
    page_count,
    parse_published,
    render_article_page,
    render_feed,
    render_home,
    render_listing_page,
    render_not_found,
)
from demo_portal.images import gif_bytes, image_for_path

if TYPE_CHECKING:
    from demo_portal.faults import FaultInjector

HTML_GBK = "text/html; charset=gbk"


class Response(NamedTuple):
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _gbk(text: str) -> bytes:
    return text.encode("gbk", errors="xmlcharrefreplace")


_image = functools.lru_cache(maxsize=4096)(image_for_path)


class ArticleSequence(Sequence[DemoArticle]):
    """Stored articles followed by ``generated`` synthetic ones built on access (memory-flat)."""

    def __init__(self, stored: Sequence[DemoArticle], generated: int, base_url: str) -> None:
        self._stored = list(stored)
        self._generated = generated
        self._base_url = base_url

    def __len__(self) -> int:
        return len(self._stored) + self._generated

    @overload
    def __getitem__(self, index: int) -> DemoArticle: ...

    @overload
    def __getitem__(self, index: slice) -> list[DemoArticle]: ...

    def __getitem__(self, index: int | slice) -> DemoArticle | list[DemoArticle]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("article index out of range")
        if index < len(self._stored):
            return self._stored[index]
        return generated_article(index - len(self._stored), self._base_url)

    def __iter__(self) -> Iterator[DemoArticle]:
        yield from self._stored
        for i in range(self._generated):
            yield generated_article(i, self._base_url)

    def __repr__(self) -> str:
        return f"<ArticleSequence stored={len(self._stored)} generated={self._generated}>"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], portal: DemoPortal) -> None:
        self.portal = portal
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(), a reverse DNS lookup; skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # client went away; nothing to report
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "OFweekDemo/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 30  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        portal = self.server.portal
        path = urlsplit(self.path).path or "/"
        if not head:
            portal.count_hit(path)
        if portal.faults is not None and portal.faults.handle(self, head=head):
            return  # fault mode (faults.py) answered the request, or broke it on purpose
        if portal.stream_route is not None and portal.stream_route(self, path, head):
            return  # answered by a streaming route (demo_portal.image_cases)
        try:
            headers = dict(self.headers.items())  # other portals live under /<portal>/
            resp = other_portals.respond(self.path, headers, portal.base_url) or portal.respond(
                path, referer=self.headers.get("Referer", "")
            )
        except Exception:
            traceback.print_exc()
            resp = Response(500, "text/plain; charset=utf-8", b"internal error\n")
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        if portal.stopping:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not head:
            self.wfile.write(resp.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.portal.verbose:
            super().log_message(format, *args)


class DemoPortal:
    """Offline OFweek-shaped portal on 127.0.0.1 (see package docstring for the URL space)."""

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        extra_articles: Sequence[DemoArticle] = (),
        generated: int = 0,
        listing_page_size: int = 10,
        include_builtin: bool = True,
        redesigned: bool = False,
    ) -> None:
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
        self.verbose = False
        self.redesigned = redesigned
        """Serve article pages in a layout the OFweek parser does not know (the alarm)."""
        self.stopping = False
        self.faults: FaultInjector | None = None
        """Fault mode (``faults.fault_portal``): answers requests first, logs ground truth."""
        self.stream_route: Callable[[BaseHTTPRequestHandler, str, bool], bool] | None = None
        """Answers a request itself (slow or truncated bodies) when it returns True."""
        self.hits: collections.Counter[str] = collections.Counter()
        self._hits_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._server = _Server((host, port), self)
        self.host = host
        self.port = int(self._server.server_address[1])
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
        self._cache: dict[str, Response] = {}

    # ---------------------------------------------------------------- URLs and views

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

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

    # ---------------------------------------------------------------- hits

    def count_hit(self, path: str) -> None:
        with self._hits_lock:
            self.hits[path] += 1

    def reset_hits(self) -> None:
        with self._hits_lock:
            self.hits.clear()

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> DemoPortal:
        if self._closed:
            raise RuntimeError("portal already stopped")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"demo-portal-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._closed:
            return
        self.stopping = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
        self._closed = True

    def __enter__(self) -> DemoPortal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the foreground until KeyboardInterrupt, logging one line per request."""
        if self._thread is not None:
            raise RuntimeError("portal already started in a background thread")
        self.verbose = True
        sys.stderr.write(
            f"demo portal on {self.base_url}\n  listing: {self.listing_url}\n"
            f"  feed:    {self.feed_url}\n"
            + (f"  generated listing: {self.generated_listing_url}\n" if self.generated else "")
        )
        sys.stderr.flush()
        try:
            self._server.serve_forever(poll_interval=0.25)
        except KeyboardInterrupt:
            pass
        finally:
            self.stopping = True
            self._server.server_close()
            self._closed = True

    # ---------------------------------------------------------------- routing

    def respond(self, path: str, referer: str = "") -> Response:
        """The response for a GET of ``path`` (no query string) with the given Referer."""
        cached = self._cache.get(path)
        if cached is not None:
            return cached
        resp, cacheable = self._route(path, referer)
        if cacheable:
            self._cache[path] = resp
        return resp

    def not_found(self) -> Response:
        return Response(404, HTML_GBK, _gbk(render_not_found(self.base_url)))

    def _route(self, path: str, referer: str) -> tuple[Response, bool]:
        extra = discovery.route(self, path)  # sitemaps, Atom, robots Sitemap:, /blog/ site
        if extra is not None:
            return extra, True
        if path == "/robots.txt":
            return Response(200, "text/plain; charset=utf-8", ROBOTS_TXT.encode()), True
        if path == "/":
            home = render_home(self.base_url, has_generated=bool(self.generated))
            return Response(200, HTML_GBK, _gbk(home)), True
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
            related = [
                (self.article_url(r), r.title) for r in self._related(a) if r.art_id != a.art_id
            ]
            page = render_article_page(a, self.base_url, related=related)
            if self.redesigned:
                page = discovery.render_redesigned_article(a, self.base_url)
            return Response(200, content_type(a), _gbk(page)), True
        index = art_id - GENERATED_ID_BASE
        if 0 <= index < self.generated and generated_month(index) == month:
            g = generated_article(index, self.base_url)
            neighbours = [i for i in (index + 1, index - 1, index - 2) if 0 <= i < self.generated]
            related = [
                (self.article_url(r), r.title)
                for r in (generated_article(i, self.base_url) for i in neighbours)
            ]
            page = render_article_page(g, self.base_url, related=related)
            return Response(200, content_type(g), _gbk(page)), False
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
        return Response(200, HTML_GBK, _gbk(html_text))

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
        return Response(200, HTML_GBK, _gbk(html_text))

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
        return Response(403, HTML_GBK, _gbk(f"<html><body><h1>403 {reason}</h1></body></html>"))

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
            return Response(200, HTML_GBK, _gbk(ad))
        if path.startswith("/js/"):
            js = b"/* demo portal statistics stub */\nvar _ofwStat = [];\n"
            return Response(200, "application/javascript", js)
        if path.startswith("/css/"):
            return Response(200, "text/css", b"body{margin:0;font-size:14px}\n")
        return self.not_found()
