"""The demo portal's HTTP server (``http.server.ThreadingHTTPServer``, HTTP/1.1 keep-alive).

``DemoPortal`` binds its socket in ``__init__`` (so ``base_url`` is known at once, also with
``port=0``), serves in a daemon thread after :meth:`DemoPortal.start` or in the foreground with
:meth:`DemoPortal.serve_forever`.  A request goes to fault mode (:mod:`demo_portal.faults`) or
a streaming route (:mod:`demo_portal.image_cases`) if one is installed, then to the portal
owning its ``/<portal>/`` prefix (:mod:`demo_portal.portals`), else to
:meth:`DemoPortal.respond`: discovery documents (:mod:`demo_portal.discovery`), then OFweek's
pages (:meth:`demo_portal.portals.ofweek.OfweekPortal.route`). Both are plain methods and can
be called without any socket.
"""

from __future__ import annotations

import collections
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlsplit

from demo_portal import discovery, portals
from demo_portal.content import DemoArticle, generated_article
from demo_portal.portals.common import Response
from demo_portal.portals.ofweek import OfweekPortal, check_options, listing_path


class FaultMode(Protocol):
    """What fault mode (``demo_portal.faults.FaultInjector``) plugs into the server."""

    def handle(self, handler: BaseHTTPRequestHandler, *, head: bool) -> bool:
        """Answer (or break) the request; ``False``: serve it normally."""
        ...

    def summary(self) -> dict[str, Any]:
        """What was injected and served, for the log."""
        ...


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

    def process_request(self, request: Any, client_address: Any) -> None:
        self.portal.connections += 1  # the serving thread's only: no lock needed
        super().process_request(request, client_address)

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
            resp = portals.respond(self.path, headers, portal.base_url) or portal.respond(
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


class DemoPortal(OfweekPortal):
    """The demo server on 127.0.0.1: OFweek at the root (see package docstring for the URL
    space), discovery documents and the ``/blog/`` site beside it, the other portals under
    ``/<portal>/``."""

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
        check_options(extra_articles, generated, listing_page_size)  # before binding the port
        self.verbose = False
        self.stopping = False
        self.faults: FaultMode | None = None
        """Fault mode (``faults.fault_portal``): answers requests first, logs ground truth."""
        self.stream_route: Callable[[BaseHTTPRequestHandler, str, bool], bool] | None = None
        """Answers a request itself (slow or truncated bodies) when it returns True."""
        self.hits: collections.Counter[str] = collections.Counter()
        self._hits_lock = threading.Lock()
        self.connections = 0
        """TCP connections accepted so far (a client that keeps its connections alive opens
        few; one that drops them opens one per request)."""
        self._thread: threading.Thread | None = None
        self._closed = False
        self._server = _Server((host, port), self)
        self.host = host
        self.port = int(self._server.server_address[1])
        super().__init__(
            f"http://{host}:{self.port}",
            extra_articles=extra_articles,
            generated=generated,
            listing_page_size=listing_page_size,
            include_builtin=include_builtin,
            redesigned=redesigned,
        )
        self._cache: dict[str, Response] = {}

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

    def prerender(self) -> int:
        """Render every generated listing page and article now and keep them: serving one
        then costs only the HTTP exchange (the benchmark's portal: a real portal's page
        rendering is not done on the crawler's machine). Memory: about 15 KB per article.
        Returns how many pages are kept."""
        paths = [
            listing_path(p, generated=True) for p in range(1, self.generated_listing_pages + 1)
        ]
        paths += [generated_article(i, self.base_url).path for i in range(self.generated)]
        for path in paths:
            resp, _ = self.route(path)
            self._cache[path] = resp
        return len(paths)

    def respond(self, path: str, referer: str = "") -> Response:
        """The response for a GET of ``path`` (no query string) with the given Referer."""
        cached = self._cache.get(path)
        if cached is not None:
            return cached
        extra = discovery.route(self, path)  # sitemaps, Atom, robots Sitemap:, /blog/ site
        resp, cacheable = (extra, True) if extra is not None else self.route(path, referer)
        if cacheable:
            self._cache[path] = resp
        return resp
