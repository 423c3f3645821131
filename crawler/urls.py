"""Article URL canonicalization: one URL per article, however the portal links it.

Portals link the same article under several URLs: with tracking parameters (``utm_*``,
``spm``), on a mobile host (``m.``), with a trailing slash, or on a page whose
``<link rel=canonical>`` names the real URL. :class:`UrlPolicy` maps all of them to one
URL before the request is made (so the dupefilter and the incremental skip see one URL)
and decides which canonical link to trust (only one within the portal; an off-site
canonical could merge unrelated articles into one and lose them).

Pure functions; the spider holds one :class:`UrlPolicy` built in ``from_crawler``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

DEFAULT_TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*",
    "spm",
    "from",
    "isappinstalled",
    "fbclid",
    "gclid",
    "yclid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "share_token",
    "scene",
    "sharer_shareid",
)
"""Query parameters (fnmatch patterns) that only track who shared a link."""

MOBILE_PREFIXES: tuple[str, ...] = ("m.", "wap.", "mobile.")
"""Host prefixes of mobile editions that serve the same articles as the desktop host."""


def tracking_keys(url: str, patterns: Sequence[str]) -> list[str]:
    """The query keys of ``url`` that match one of the tracking ``patterns``.

    >>> tracking_keys("http://x/a?utm_source=rss&id=3&spm=1.2", ["utm_*", "spm"])
    ['utm_source', 'spm']
    """
    keys = [k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
    return [k for k in dict.fromkeys(keys) if any(fnmatch.fnmatchcase(k, p) for p in patterns)]


def strip_tracking(url: str, patterns: Sequence[str]) -> str:
    """``url`` without tracking parameters (and without a fragment); other keys are kept.

    >>> strip_tracking("http://x/a.html?utm_medium=feed&page=2#top", ["utm_*"])
    'http://x/a.html?page=2'
    """
    keys = tracking_keys(url, patterns)
    if keys:
        url = url_query_cleaner(url, keys, remove=True, unique=False)
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def desktop_host(host: str, primary_host: str) -> str:
    """The desktop host of a mobile host (``m.example.com`` → ``www.example.com``).

    ``primary_host`` is the portal's own host: a mobile host whose rest is that host (or
    that host without ``www.``) maps to it; other mobile hosts just lose the prefix.

    >>> desktop_host("m.ofweek.com", "www.ofweek.com")
    'www.ofweek.com'
    >>> desktop_host("m.solar.ofweek.com", "www.ofweek.com")
    'solar.ofweek.com'
    >>> desktop_host("www.ofweek.com", "www.ofweek.com")
    'www.ofweek.com'
    """
    host = host.lower()
    for prefix in MOBILE_PREFIXES:
        if host.startswith(prefix) and len(host) > len(prefix):
            rest = host[len(prefix) :]
            if primary_host.lower() in {rest, "www." + rest}:
                return primary_host.lower()
            return rest
    return host


def _with_host(url: str, host: str) -> str:
    parts = urlsplit(url)
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    if parts.username or parts.password:  # keep credentials as they were (rare on portals)
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    return urlunsplit(parts._replace(netloc=netloc))


_FILE_SEGMENT = re.compile(r"\.[A-Za-z0-9]{2,5}$")
"""A last path segment naming a file (``ART-1.html``, ``index.php``), not a directory."""


def strip_trailing_slash(url: str) -> str:
    """``/a/b.html/`` → ``/a/b.html``; directory-style paths and the root keep their slash.

    A slash after a file name is a duplicate spelling; ``/2024/03/slug/`` is how many sites
    (WordPress, Ars Technica) spell the article itself, and they redirect the slashless form.

    >>> strip_trailing_slash("http://x/2022/a.html/")
    'http://x/2022/a.html'
    >>> strip_trailing_slash("http://x/2024/03/some-slug/")
    'http://x/2024/03/some-slug/'
    >>> strip_trailing_slash("http://x/")
    'http://x/'
    """
    parts = urlsplit(url)
    path = parts.path
    stripped = path.rstrip("/")
    if len(path) > 1 and path.endswith("/") and _FILE_SEGMENT.search(stripped):
        path = stripped
    return urlunsplit(parts._replace(path=path))


def article_request_url(url: str, primary_host: str, tracking: Sequence[str]) -> str:
    """The URL to fetch for an article link: tracking, mobile host and trailing slash gone.

    >>> article_request_url("http://m.x.com/a.html/?utm_source=wx&id=1", "www.x.com", ["utm_*"])
    'http://www.x.com/a.html?id=1'
    """
    url = strip_trailing_slash(strip_tracking(url, tracking))
    host = urlsplit(url).hostname
    if host:
        desktop = desktop_host(host, primary_host)
        if desktop != host:
            url = _with_host(url, desktop)
    return url


def host_in(host: str, domains: Iterable[str]) -> bool:
    """``host`` is one of ``domains`` or a subdomain of one (Scrapy's offsite rule)."""
    host = host.lower().rstrip(".")
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in domains if d)


@dataclass(frozen=True)
class UrlPolicy:
    """How one portal's article URLs are canonicalized (built from settings + spider)."""

    primary_host: str
    domains: tuple[str, ...]
    tracking: tuple[str, ...] = DEFAULT_TRACKING_PARAMS

    def request_url(self, url: str) -> str:
        """The URL to request for an article link (see :func:`article_request_url`)."""
        return article_request_url(url, self.primary_host, self.tracking)

    def on_portal(self, url: str) -> bool:
        host = urlsplit(url).hostname
        return bool(host) and host_in(host or "", (self.primary_host, *self.domains))

    def canonical(self, declared: str, page_url: str) -> str:
        """The de-duplication key of a page: its ``<link rel=canonical>`` when that is on the
        portal, else the page URL, canonicalized (:func:`article_request_url`, query sorted).

        >>> p = UrlPolicy("www.x.com", ("x.com",))
        >>> p.canonical("https://spam.example/a", "http://www.x.com/b.html?utm_source=1")
        'http://www.x.com/b.html'
        >>> p.canonical("http://www.x.com/c.html", "http://www.x.com/b.html")
        'http://www.x.com/c.html'
        """
        declared = declared.strip()
        chosen = declared if declared and self.on_portal(declared) else page_url
        return canonicalize_url(self.request_url(chosen))
