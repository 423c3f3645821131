"""Downloader middlewares for misbehaving portals: patient retries and safe redirects.

* :class:`PatientRetryMiddleware` replaces Scrapy's ``RetryMiddleware``: the same
  ``RETRY_TIMES`` / ``RETRY_HTTP_CODES`` / ``RETRY_EXCEPTIONS``, but a retry waits for the
  server's ``Retry-After`` (seconds or an HTTP date) when it asks for one, up to
  ``ARCHIVE_RETRY_AFTER_MAX`` seconds, and otherwise backs off exponentially from
  ``ARCHIVE_RETRY_BACKOFF``. A server that asks for a longer wait is not retried in this
  run: the failure is recorded and the next run tries again.
* :class:`SharedRobotsTxtMiddleware` replaces Scrapy's ``RobotsTxtMiddleware``, whose
  2.19 version hands the parsed robots.txt only to the *first* request waiting for it:
  with the asyncio reactor, awaiting the shared Deferred (``Deferred.asFuture``) consumes
  its result, so every other request queued before robots.txt arrived gets ``None`` and is
  allowed, forbidden paths included (scrapy/scrapy#6802 made the change; the fault tests
  caught it when a second run queued its retries at once).
* :class:`KeepAliveDownloadHandler` replaces Scrapy's HTTP/1.1 download handler for
  ``http``/``https``: its connection pool keeps ``ARCHIVE_IDLE_CONNECTIONS_PER_HOST`` idle
  connections per host (default twice ``CONCURRENT_REQUESTS_PER_DOMAIN``) where Scrapy keeps
  ``CONCURRENT_REQUESTS_PER_DOMAIN``. A request that starts as its slot frees often finds the
  previous request's connection not yet back in the pool and opens one more; with only as
  many idle places as requests in flight, one connection was then closed on its return,
  so a crawl of 2,000 demo articles opened 150–320 TCP connections (and as many TLS
  handshakes on an HTTPS portal). With twice the places it opens about 16.
* :class:`SafeRedirectMiddleware` / :class:`SafeMetaRefreshMiddleware` replace Scrapy's
  redirect middlewares: redirects off the portal are refused (``offsite_redirect``), loops
  are detected at once (``redirect_loop``), and chains longer than ``REDIRECT_MAX_TIMES``
  end as ``too_many_redirects``. Redirected requests bypass the dupefilter, so an article
  whose redirect target was already requested is not dropped silently.

Every refusal is an ``IgnoreRequest`` subclass with an ``archive_reason``: the spider's
errback records it in ``failures`` under that reason (:func:`failure_reason_of`).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    IgnoreRequest,
)
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet.error import ConnectionRefusedError, DNSLookupError

from crawler.urls import host_in

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


# --- connections ----------------------------------------------------------------------------


class KeepAliveDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler with room for more idle connections per host (module doc)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        per_domain = max(1, crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        idle = crawler.settings.getint("ARCHIVE_IDLE_CONNECTIONS_PER_HOST") or 2 * per_domain
        self._pool.maxPersistentPerHost = idle


# --- failure reasons ------------------------------------------------------------------------


class RefusedRequest(IgnoreRequest):
    """A request this project refused on purpose; ``archive_reason`` names why."""

    archive_reason = "refused"


class OffsiteRedirect(RefusedRequest):
    """A redirect to a host outside the portal."""

    archive_reason = "offsite_redirect"


class RedirectLoop(RefusedRequest):
    """A redirect back to a URL already visited in the same chain."""

    archive_reason = "redirect_loop"


class TooManyRedirects(RefusedRequest):
    """More than ``REDIRECT_MAX_TIMES`` redirects in a row."""

    archive_reason = "too_many_redirects"


IGNORE_MESSAGES: tuple[tuple[str, str], ...] = (
    ("Forbidden by robots.txt", "robots"),
    ("exceeded DOWNLOAD_MAXSIZE", "too_large"),
    ("Filtered offsite request", "offsite"),
)
"""Substrings of Scrapy's own ``IgnoreRequest`` messages → our failure reason."""


def failure_reason_of(exc: BaseException | None) -> str | None:
    """The ``failures.reason`` for refusals and size limits, ``None`` for anything else.

    >>> failure_reason_of(IgnoreRequest("Forbidden by robots.txt: <GET http://x/a>"))
    'robots'
    >>> failure_reason_of(RedirectLoop("http://x/a"))
    'redirect_loop'
    """
    if isinstance(exc, RefusedRequest):
        return exc.archive_reason
    message = str(exc)
    if isinstance(exc, DownloadCancelledError):
        # Scrapy 2.19's HTTP/1.1 handler cancels a download for one reason: its body passed
        # DOWNLOAD_MAXSIZE (announced by Content-Length, or counted as it arrived)
        return "too_large"
    if isinstance(exc, IgnoreRequest):
        for needle, reason in IGNORE_MESSAGES:
            if needle in message:
                return reason
    return None


# --- robots.txt ------------------------------------------------------------------------------


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """``RobotsTxtMiddleware`` whose parser reaches every request that waited for it."""

    async def robot_parser(self, request: Request) -> Any:
        parser = await super().robot_parser(request)
        if parser is None:
            # a waiter behind the first one got the consumed Deferred's None; the parser
            # (or None after a robots.txt error) is stored before that Deferred fires
            stored = self._parsers.get(urlparse_cached(request).netloc)
            if stored is not None and not hasattr(stored, "addCallback"):
                return stored
        return parser


# --- retries ----------------------------------------------------------------------------------


def parse_retry_after(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or ``None``.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0)
    10.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def retry_delay(
    retry_after: float | None, attempt: int, *, backoff: float, cap: float
) -> float | None:
    """Seconds to wait before retry number ``attempt`` (1-based); ``None``: do not retry now.

    The server's ``retry_after`` wins when it is within ``cap``; a longer one means give up
    for this run. Without it: ``backoff × 2^(attempt-1)``, never above ``cap``.

    >>> retry_delay(None, 1, backoff=0.5, cap=60), retry_delay(None, 3, backoff=0.5, cap=60)
    (0.5, 2.0)
    >>> retry_delay(30.0, 1, backoff=0.5, cap=60), retry_delay(3600.0, 1, backoff=0.5, cap=60)
    (30.0, None)
    """
    if retry_after is not None:
        return retry_after if retry_after <= cap else None
    return min(cap, backoff * 2 ** max(0, attempt - 1))


UNREACHABLE = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    ConnectionRefusedError,
    DNSLookupError,
)
"""Failures that ``ARCHIVE_RETRY_UNREACHABLE = False`` does not retry."""


class PatientRetryMiddleware(RetryMiddleware):
    """``RetryMiddleware`` that honours ``Retry-After`` (within a cap) and backs off."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.retry_after_max = settings.getfloat("ARCHIVE_RETRY_AFTER_MAX", 120.0)
        self.backoff = settings.getfloat("ARCHIVE_RETRY_BACKOFF", 1.0)
        self.retry_unreachable = settings.getbool("ARCHIVE_RETRY_UNREACHABLE", True)

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        attempt = request.meta.get("retry_times", 0) + 1
        asked = parse_retry_after(response.headers.get(b"Retry-After"))
        delay = retry_delay(asked, attempt, backoff=self.backoff, cap=self.retry_after_max)
        if delay is None:
            self._inc("archive/retry_after_too_long")
            logger.warning(
                "Not retrying %s in this run: Retry-After %.0f s is above "
                "ARCHIVE_RETRY_AFTER_MAX (%.0f s)",
                request.url,
                asked,
                self.retry_after_max,
            )
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if asked is not None:
            self._inc("archive/retry_after_honoured")
        await asyncio.sleep(delay)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry"):
            return None
        if not self.retry_unreachable and isinstance(exception, UNREACHABLE):
            return None  # fetch: a refused connection or unknown host fails at once
        retry = self._retry(request, exception)
        if retry is not None:
            attempt = request.meta.get("retry_times", 0) + 1
            delay = retry_delay(None, attempt, backoff=self.backoff, cap=self.retry_after_max)
            await asyncio.sleep(delay or 0)
        return retry


# --- redirects --------------------------------------------------------------------------------


def redirect_problem(
    source: str, target: str, chain: Iterable[str], domains: Iterable[str]
) -> type[RefusedRequest] | None:
    """Why a redirect ``source`` → ``target`` must not be followed, or ``None``.

    ``chain`` holds the URLs redirected from so far; ``domains`` the portal's domains.

    >>> redirect_problem("http://x.com/a", "http://evil.example/a", [], ["x.com"]).__name__
    'OffsiteRedirect'
    >>> redirect_problem("http://x.com/b", "http://x.com/a", ["http://x.com/a"], ["x.com"]).__name__
    'RedirectLoop'
    >>> redirect_problem("http://x.com/a", "https://www.x.com/a", [], ["x.com"]) is None
    True
    """
    domains = list(domains)
    host = urlsplit(target).hostname or ""
    if domains and not host_in(host, domains):
        return OffsiteRedirect
    if target == source or target in set(chain):
        return RedirectLoop
    return None


class _SafeRedirectMixin:
    crawler: Crawler
    max_redirect_times: int

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        spider = self.crawler.spider
        domains = list(getattr(spider, "allowed_domains", None) or [])
        if request.meta.get("allow_offsite"):  # Scrapy's own opt-out of the offsite rule
            domains = []
        chain = request.meta.get("redirect_urls", [])
        problem = redirect_problem(request.url, redirected.url, chain, domains)
        if problem is not None:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(f"archive/redirect_refused/{problem.archive_reason}")
            raise problem(f"{problem.archive_reason}: {request.url} -> {redirected.url}")
        try:
            result: Request = super()._redirect(redirected, request, reason)  # type: ignore[misc]
        except IgnoreRequest as exc:
            if isinstance(exc, RefusedRequest):
                raise
            raise TooManyRedirects(
                f"more than {self.max_redirect_times} redirects from {request.url}"
            ) from exc
        result.dont_filter = True  # checked above; the dupefilter would drop it silently
        return result


class SafeRedirectMiddleware(_SafeRedirectMixin, RedirectMiddleware):
    """``RedirectMiddleware`` that refuses off-site redirects and loops with a reason."""


class SafeMetaRefreshMiddleware(_SafeRedirectMixin, MetaRefreshMiddleware):
    """``MetaRefreshMiddleware`` with the same refusals."""
