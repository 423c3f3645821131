"""Fault mode of the demo portal: a seeded, reproducible misbehaving portal with ground truth.

``portal-archive demo-portal --faults all --seed 7`` (or :func:`fault_portal` in tests)
serves ``generated`` synthetic articles on the generated listing
(``/gen/CATList-8100-CHANGYIEXINWE.html``) and gives some of them one fault each from
:data:`CATALOGUE`, chosen by the seed. Everything else is the ordinary demo portal.

* **Transient** faults (5xx, 429, timeouts, drips, resets, truncated bodies) fail the
  first *N* requests of an article (*N* drawn from ``1..max_failures`` by the seed, or
  fixed per fault) and then serve it correctly, so "served correctly at least once within
  the retry policy" is well defined: it is whatever the log says happened.
* **Permanent** faults (404/410, redirect loops and off-site redirects, oversize pages,
  gzip bombs, pages without a title) never serve the article.
* **Content** faults (charset lies, malformed HTML, no date) serve a correct but messy
  page; **duplicate** faults link the article under several URLs; **robots** forbids the
  article's path; **listing** makes a listing page fail once.

:class:`FaultInjector` answers the requests and keeps the ground-truth log
(:class:`Served`, one per request): which articles were served correctly at least once,
which never, how many fault responses went out, and any request that should never have
been made (a path robots.txt forbids, a host the portal redirected off-site to).

SPEC grammar: ``all`` or a comma list of fault names or group names, each optionally
``=COUNT`` (articles per fault) or ``=RATE`` (a fraction of the articles, ``0 < RATE < 1``),
e.g. ``all``, ``http_503,timeout=3``, ``transient=0.1,robots_forbidden``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import functools
import gzip
import json
import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from demo_portal.content import (
    GENERATED_ID_BASE,
    DemoArticle,
    content_type,
    gbk,
    generated_article,
    generated_month,
)
from demo_portal.portals.ofweek import (
    ARTICLE_PATH_RE,
    LISTING_PATH_RE,
    ROBOTS_TXT,
    render_article_page,
)
from demo_portal.server import DemoPortal

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler


# --- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One kind of misbehaviour, with what the crawler is expected to do about it."""

    name: str
    group: str
    """``transient`` | ``permanent`` | ``content`` | ``duplicate`` | ``robots`` | ``listing``."""
    does: str
    """What the portal does."""
    expect: str
    """What the crawler must do."""
    reason: str = ""
    """``failures.reason`` expected while the article is not served correctly."""
    count: int = 1
    """Articles given this fault by ``all``."""
    fail_times: int = 0
    """Transient faults: fixed number of failing requests (0: drawn by the seed)."""


_RETRIED = "retried (after Retry-After or a back-off); archived once; if every attempt of a run "
_NEXT = "failed, recorded in `failures` and retried by the next run"

CATALOGUE: tuple[Fault, ...] = (
    Fault("http_500", "transient", "HTTP 500, no Retry-After", _RETRIED + _NEXT, "http_500", 2),
    Fault("http_502", "transient", "HTTP 502, no Retry-After", _RETRIED + _NEXT, "http_502", 2),
    Fault("http_503", "transient", "HTTP 503, no Retry-After", _RETRIED + _NEXT, "http_503", 2),
    Fault(
        "http_503_retry_after",
        "transient",
        "HTTP 503 with `Retry-After: <seconds>`",
        "waits the asked seconds (≤ `ARCHIVE_RETRY_AFTER_MAX`), then " + _RETRIED + _NEXT,
        "http_503",
        2,
    ),
    Fault(
        "http_429",
        "transient",
        "HTTP 429 with `Retry-After: <HTTP date>`",
        "waits until the date (≤ `ARCHIVE_RETRY_AFTER_MAX`), then " + _RETRIED + _NEXT,
        "http_429",
        2,
    ),
    Fault(
        "http_503_retry_later",
        "transient",
        "HTTP 503 with `Retry-After: 3600`, once",
        "does not wait an hour: " + _NEXT + "; archived then",
        "http_503",
        1,
        fail_times=1,
    ),
    Fault(
        "timeout",
        "transient",
        "accepts, then says nothing for `stall` seconds",
        "`DOWNLOAD_TIMEOUT` ends the wait; " + _RETRIED + _NEXT,
        "timeout",
        2,
    ),
    Fault(
        "slow_drip",
        "transient",
        "sends the page a few bytes at a time over `stall` seconds",
        "`DOWNLOAD_TIMEOUT` covers the whole body; " + _RETRIED + _NEXT,
        "timeout",
        2,
    ),
    Fault(
        "reset",
        "transient",
        "half a status line, then a TCP reset (RST)",
        _RETRIED + _NEXT,
        "download",
        2,
    ),
    Fault(
        "truncated",
        "transient",
        "`Content-Length` larger than the body, connection closed",
        "data loss detected (never archived half a page); " + _RETRIED + _NEXT,
        "download",
        2,
    ),
    Fault(
        "http_404",
        "permanent",
        "HTTP 404 for a listed article",
        "in `failures` (`http_404`), retried by later runs up to `ARCHIVE_MAX_ATTEMPTS`",
        "http_404",
    ),
    Fault(
        "http_410",
        "permanent",
        "HTTP 410 for a listed article",
        "in `failures` (`http_410`), retried by later runs up to `ARCHIVE_MAX_ATTEMPTS`",
        "http_410",
    ),
    Fault(
        "redirect_loop",
        "permanent",
        "302 `A → A?loop=1 → A`",
        "loop detected at the second hop: `redirect_loop`",
        "redirect_loop",
    ),
    Fault(
        "redirect_chain",
        "permanent",
        "302 to `?hop=n+1`, endlessly",
        "stops after `REDIRECT_MAX_TIMES`: `too_many_redirects`",
        "too_many_redirects",
    ),
    Fault(
        "redirect_offsite",
        "permanent",
        "302 to the same path on another host (`localhost`)",
        "refused, never requested: `offsite_redirect`",
        "offsite_redirect",
    ),
    Fault(
        "oversize",
        "permanent",
        "200 with `Content-Length` above `DOWNLOAD_MAXSIZE`",
        "cancelled at the headers: `too_large`",
        "too_large",
    ),
    Fault(
        "oversize_unsized",
        "permanent",
        "200, no `Content-Length`, streams past the limit",
        "cut off once `DOWNLOAD_MAXSIZE` bytes arrived: `too_large`",
        "too_large",
    ),
    Fault(
        "gzip_bomb",
        "permanent",
        "`Content-Encoding: gzip`, a body 1/1000 of the `bomb_bytes` (1 GiB) it expands to",
        "decompression stops at `DOWNLOAD_MAXSIZE`, memory stays bounded: `too_large`",
        "too_large",
    ),
    Fault(
        "no_title",
        "permanent",
        "the article page without its title",
        "not an article: `no_title` in `failures`",
        "no_title",
    ),
    Fault(
        "charset_utf8_over_gbk",
        "content",
        "`charset=utf-8` header over a GBK body",
        "re-decoded from `<meta>`: archived with the right title",
    ),
    Fault(
        "charset_gbk_over_utf8",
        "content",
        "`charset=gbk` header over a UTF-8 body",
        "recognised as UTF-8 (valid UTF-8 is not GBK): archived with the right title",
    ),
    Fault(
        "malformed_html",
        "content",
        "unclosed tags, NUL bytes, broken entities",
        "archived with the right title and the whole body text",
    ),
    Fault(
        "no_date",
        "content",
        "the article page without its date",
        "archived; date = fetch time, counted as `archive/normalize_failed/published`",
    ),
    Fault(
        "dup_tracking",
        "duplicate",
        "also listed with `utm_*`/`spm` parameters",
        "parameters stripped before the request: fetched and archived once",
    ),
    Fault(
        "dup_mobile",
        "duplicate",
        "also listed on the `m.` host",
        "`m.` host mapped to the portal host: fetched and archived once",
    ),
    Fault(
        "dup_slash",
        "duplicate",
        "also listed with a trailing slash (served too)",
        "slash stripped before the request: fetched and archived once",
    ),
    Fault(
        "dup_canonical",
        "duplicate",
        "also listed under another path whose `<link rel=canonical>` names the article",
        "both fetched, one article by the canonical URL: archived once",
    ),
    Fault(
        "canonical_offsite",
        "duplicate",
        "`<link rel=canonical>` to one off-site URL, on two different articles",
        "off-site canonical ignored: both archived, neither merged into the other",
        count=2,
    ),
    Fault(
        "robots_forbidden",
        "robots",
        "robots.txt `Disallow:` for the article's path",
        "never requested: `robots` in `failures`",
        "robots",
    ),
    Fault(
        "listing_503",
        "listing",
        "the second listing page answers 503 once",
        "retried; every article of that page found",
    ),
)
"""Every fault the portal can inject (docs/reliability.md is generated from this)."""

FAULTS: dict[str, Fault] = {f.name: f for f in CATALOGUE}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(f.group for f in CATALOGUE))
LISTING_FAULTS = frozenset(f.name for f in CATALOGUE if f.group == "listing")


class FaultSpecError(ValueError):
    """A ``--faults`` SPEC that names no known fault or has a bad count/rate."""


def parse_spec(spec: str) -> dict[str, float]:
    """Fault name → count (≥ 1) or rate (0 < rate < 1) from a SPEC string.

    >>> parse_spec("http_503,timeout=3")
    {'http_503': 1.0, 'timeout': 3.0}
    >>> sorted(parse_spec("robots"))
    ['robots_forbidden']
    """
    chosen: dict[str, float] = {}
    for raw in spec.split(","):
        part = raw.strip()
        if not part:
            continue
        name, _, value = part.partition("=")
        name = name.strip()
        if name == "all":
            names = [f.name for f in CATALOGUE]
        elif name in GROUPS:
            names = [f.name for f in CATALOGUE if f.group == name]
        elif name in FAULTS:
            names = [name]
        else:
            raise FaultSpecError(
                f"unknown fault {name!r} (known: all, {', '.join(GROUPS)}, {', '.join(FAULTS)})"
            )
        amount: float | None = None
        if value:
            try:
                amount = float(value)
            except ValueError:
                raise FaultSpecError(f"bad count or rate {value!r} for {name}") from None
            if amount <= 0 or (amount >= 1 and not amount.is_integer()):
                raise FaultSpecError(f"{name}={value}: use a count ≥ 1 or a rate in (0, 1)")
        for n in names:
            chosen[n] = amount if amount is not None else float(FAULTS[n].count)
    if not chosen:
        raise FaultSpecError("empty fault SPEC")
    return chosen


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultConfig:
    """Sizes and times of the faults (the crawler's limits must be below them)."""

    stall: float = 3.0
    """Seconds a ``timeout``/``slow_drip`` response takes; must exceed ``DOWNLOAD_TIMEOUT``."""
    max_failures: int = 3
    """Transient faults fail the first 1..max_failures requests of an article; with
    ``RETRY_TIMES = 2`` (3 attempts a run) one drawn 3 fails the whole first run and is
    archived by the next."""
    retry_after: int = 1
    """Seconds of ``Retry-After`` in 503/429 answers."""
    oversize_bytes: int = 24 * 1024 * 1024
    """Size of ``oversize`` pages; must exceed ``DOWNLOAD_MAXSIZE``."""
    bomb_bytes: int = 1024 * 1024 * 1024
    """Decompressed size of the gzip bomb."""
    deadline: float = 0.0
    """Seconds within which a complete answer counts as ``ok``; a slower one (a busy
    machine) is ``late``: the crawler may or may not have timed out. 0: no deadline."""


@dataclass(frozen=True)
class FaultPlan:
    """Which article gets which fault, and how often a transient one fails (seeded)."""

    seed: int
    article_ids: tuple[int, ...]
    assignments: dict[int, str]
    failures: dict[int, int]
    listing: frozenset[str] = frozenset()
    config: FaultConfig = FaultConfig()

    def fault_of(self, art_id: int) -> Fault | None:
        name = self.assignments.get(art_id)
        return FAULTS[name] if name else None

    def articles_with(self, name: str) -> list[int]:
        return sorted(a for a, n in self.assignments.items() if n == name)


def plan_faults(
    spec: str | dict[str, float],
    article_ids: Sequence[int],
    seed: int = 0,
    config: FaultConfig | None = None,
) -> FaultPlan:
    """Assign the faults of ``spec`` to ``article_ids`` (at most one fault per article)."""
    config = config or FaultConfig()
    chosen = parse_spec(spec) if isinstance(spec, str) else dict(spec)
    rng = random.Random(seed)  # noqa: S311 -- reproducible fault placement, not security
    pool = sorted(article_ids)
    rng.shuffle(pool)
    assignments: dict[int, str] = {}
    failures: dict[int, int] = {}
    listing = frozenset(n for n in chosen if n in LISTING_FAULTS)
    counts = {
        f.name: int(a) if (a := chosen[f.name]) >= 1 else max(1, round(a * len(article_ids)))
        for f in CATALOGUE
        if f.name in chosen and f.name not in LISTING_FAULTS
    }
    if sum(counts.values()) > len(pool):
        raise FaultSpecError(
            f"SPEC needs at least {sum(counts.values())} articles, the portal "
            f"has {len(article_ids)} (use --generated)"
        )
    for fault in CATALOGUE:
        if fault.name not in counts:
            continue
        n = counts[fault.name]
        for art_id in pool[:n]:
            assignments[art_id] = fault.name
            if fault.group == "transient":
                failures[art_id] = fault.fail_times or rng.randint(1, config.max_failures)
        del pool[:n]
    return FaultPlan(seed, tuple(sorted(article_ids)), assignments, failures, listing, config)


# --- pages ------------------------------------------------------------------------------------

_CANONICAL_RE = re.compile(r'<link rel="canonical" href="[^"]*">\n?')
_LISTING_MARK = '<div class="list-left"><div class="con-details">\n'
_LISTED_ID_RE = re.compile(r"ART-8100-2801-(\d+)\.html")
ALIAS_PATH_RE = re.compile(r"^/(\d{4}-\d{2})/ART-8100-2802-(\d+)\.html$")
OFFSITE_CANONICAL = "https://spam.example/landing.html"
TRACKING_QUERY = "utm_source=rss&utm_medium=feed&utm_campaign=faults&spm=a2c4g.11186623"


def alias_path(a: DemoArticle) -> str:
    """Another path serving the same article (its canonical link names the real one)."""
    return f"/{a.month}/ART-8100-2802-{a.art_id}.html"


def mangle_html(body: str) -> str:
    """Malformed but recoverable body HTML: unclosed tags, NUL bytes, broken entities.

    >>> mangle_html("<p>一。二。</p>")
    '<div class="x"><span><p>一。\\x00二。\\x00<p>价格 &lt 100 &amp 50 &#xZZ; &nbsp 注<b>完'
    """
    body = body.replace("。", "。\x00").replace("</p>", "", 1)
    return f'<div class="x"><span>{body}<p>价格 &lt 100 &amp 50 &#xZZ; &nbsp 注<b>完'


def article_page(a: DemoArticle, base_url: str, fault: str | None) -> tuple[str, bytes]:
    """``(content type, body)`` of an article page as ``fault`` distorts it (served correctly)."""
    if fault == "no_title":
        a = dataclasses.replace(a, title="")
    elif fault == "no_date":
        a = dataclasses.replace(a, published="")
    elif fault == "malformed_html":
        a = dataclasses.replace(a, body_html=mangle_html(a.body_html))
    elif fault == "charset_utf8_over_gbk":
        a = dataclasses.replace(a, encoding="wrong-header")
    page = render_article_page(a, base_url, related=())
    if fault in {"dup_tracking", "dup_mobile", "dup_slash"}:
        page = _CANONICAL_RE.sub("", page)  # only URL rules can tell the copies apart
    elif fault == "canonical_offsite":
        page = _CANONICAL_RE.sub(f'<link rel="canonical" href="{OFFSITE_CANONICAL}">\n', page)
    if fault == "charset_gbk_over_utf8":
        page = re.sub(r"<meta [^>]*charset[^>]*>", '<meta charset="utf-8">', page, count=1)
        return "text/html; charset=gbk", page.encode("utf-8")
    return content_type(a), gbk(page)


def variant_urls(a: DemoArticle, fault: str, base_url: str, host: str, port: int) -> list[str]:
    """The extra URLs under which a duplicate-fault article is listed."""
    main = base_url + a.path
    if fault == "dup_tracking":
        return [f"{main}?{TRACKING_QUERY}"]
    if fault == "dup_mobile":
        return [f"http://m.{host}:{port}{a.path}"]
    if fault == "dup_slash":
        return [main + "/"]
    if fault == "dup_canonical":
        return [base_url + alias_path(a)]
    return []


@functools.lru_cache(maxsize=4)
def gzip_bomb(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, built from repeated 1 MiB members (fast)."""
    member = gzip.compress(b"\0" * (1 << 20), compresslevel=9, mtime=0)
    whole, rest = divmod(size, 1 << 20)
    tail = gzip.compress(b"\0" * rest, compresslevel=9, mtime=0) if rest else b""
    return member * whole + tail


# --- ground truth -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """One request as the portal saw and answered it."""

    t: float
    """``time.time()`` when it was recorded; an article request's is its arrival."""
    host: str
    path: str
    query: str
    art_id: int | None
    fault: str
    attempt: int
    outcome: str
    """``ok`` (article page sent in full), ``late`` (sent in full after ``deadline``),
    ``fault``, ``page`` (not an article), ``forbidden`` (robots.txt forbids it), ``offsite``
    (a host the portal never links)."""
    bytes_sent: int = 0


@dataclass
class FaultInjector:
    """Answers the requests of a fault-mode portal and logs what it served."""

    portal: DemoPortal
    plan: FaultPlan
    log_path: Path | None = None
    log: list[Served] = field(default_factory=list)
    attempts: Counter[int] = field(default_factory=Counter)
    listing_attempts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ ground truth

    @property
    def listed_ids(self) -> list[int]:
        return list(self.plan.article_ids)

    def served_ok(self) -> set[int]:
        """Articles served correctly at least once."""
        return {r.art_id for r in self.log if r.outcome == "ok" and r.art_id is not None}

    def late_only(self) -> set[int]:
        """Articles sent in full only after the deadline: archived or failed, either is fine."""
        late = {r.art_id for r in self.log if r.outcome == "late" and r.art_id is not None}
        return late - self.served_ok()

    def never_served_ok(self) -> set[int]:
        """Listed articles never sent in full: each must end up in ``failures``."""
        return set(self.plan.article_ids) - self.served_ok() - self.late_only()

    def violations(self) -> list[Served]:
        """Requests a polite, safe crawler never makes (robots-forbidden, off-site)."""
        return [r for r in self.log if r.outcome in {"forbidden", "offsite"}]

    def fault_responses(self) -> int:
        return sum(r.outcome == "fault" for r in self.log)

    def summary(self) -> dict[str, Any]:
        kinds = sorted({*self.plan.assignments.values(), *self.plan.listing})
        return {
            "seed": self.plan.seed,
            "articles": len(self.plan.article_ids),
            "fault_kinds": len(kinds),
            "faulty_articles": len(self.plan.assignments),
            "fault_responses": self.fault_responses(),
            "requests": len(self.log),
            "served_ok": len(self.served_ok()),
            "never_served_ok": len(self.never_served_ok()),
            "violations": len(self.violations()),
        }

    def _record(self, served: Served) -> None:
        with self._lock:
            self.log.append(served)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(dataclasses.asdict(served), ensure_ascii=False) + "\n")

    # ------------------------------------------------------------------ routing

    def robots_txt(self) -> str:
        forbidden = [
            generated_article(a - GENERATED_ID_BASE, "").path
            for a in self.plan.articles_with("robots_forbidden")
        ]
        return ROBOTS_TXT + "".join(f"Disallow: {p}\n" for p in forbidden)

    def _article_of(self, path: str) -> DemoArticle | None:
        """The generated article of a main, trailing-slash or (``dup_canonical``) alias path."""
        path = path.rstrip("/") or "/"
        m = ARTICLE_PATH_RE.match(path)
        alias = m is None
        if m is None:
            m = ALIAS_PATH_RE.match(path)
        if m is None:
            return None
        index = int(m.group(2)) - GENERATED_ID_BASE
        if not 0 <= index < self.portal.generated or generated_month(index) != m.group(1):
            return None
        art_id = GENERATED_ID_BASE + index
        if alias and self.plan.assignments.get(art_id) != "dup_canonical":
            return None
        return generated_article(index, self.portal.base_url)

    def handle(self, handler: BaseHTTPRequestHandler, *, head: bool) -> bool:
        """Answer the request if fault mode concerns it; ``False``: serve it normally."""
        started = time.time()
        parts = urlsplit(handler.path)
        path, query = parts.path or "/", parts.query
        host = handler.headers.get("Host", "")
        offsite = (host.rsplit(":", 1)[0] or self.portal.host) != self.portal.host
        if path == "/robots.txt":
            sent = _answer(
                handler, 200, "text/plain; charset=utf-8", self.robots_txt().encode(), head=head
            )
            self._record(Served(time.time(), host, path, query, None, "", 0, "page", sent))
            return True
        m = LISTING_PATH_RE.match(path)
        if m and m.group(1):
            return self._listing(handler, path, query, host, int(m.group(2) or 1), head=head)
        a = self._article_of(path)
        if a is None:
            if offsite:
                self._record(Served(time.time(), host, path, query, None, "", 0, "offsite"))
            return False
        fault = self.plan.assignments.get(a.art_id, "")
        with self._lock:
            if not head:
                self.attempts[a.art_id] += 1
            attempt = self.attempts[a.art_id]
        outcome, sent = self._article(handler, a, fault, attempt, query, head=head)
        deadline = self.plan.config.deadline
        if outcome == "ok" and deadline and time.time() - started > deadline:
            outcome = "late"
        if offsite:
            outcome = "offsite"
        elif fault == "robots_forbidden":
            outcome = "forbidden"
        if not head:
            self._record(  # stamped with its arrival: a client cannot act before that
                Served(started, host, path, query, a.art_id, fault, attempt, outcome, sent)
            )
        return True

    def _listing(
        self,
        handler: BaseHTTPRequestHandler,
        path: str,
        query: str,
        host: str,
        page: int,
        *,
        head: bool,
    ) -> bool:
        with self._lock:
            self.listing_attempts[path] += 1
            attempt = self.listing_attempts[path]
        target = 2 if self.portal.generated_listing_pages > 1 else 1
        if "listing_503" in self.plan.listing and page == target and attempt == 1:
            sent = _status_page(handler, 503, head=head)
            self._record(
                Served(time.time(), host, path, query, None, "listing_503", attempt, "fault", sent)
            )
            return True
        resp = self.portal.respond(path)
        body = resp.body
        if resp.status == 200:
            text = body.decode("gbk")
            extra = []
            for art_id in map(int, _LISTED_ID_RE.findall(text)):
                fault = self.plan.assignments.get(art_id, "")
                if not fault.startswith("dup_"):
                    continue
                a = generated_article(art_id - GENERATED_ID_BASE, self.portal.base_url)
                for url in variant_urls(
                    a, fault, self.portal.base_url, self.portal.host, self.portal.port
                ):
                    extra.append(
                        f'<div class="con-details"> <h3><a href="{url}" '
                        f'target="_blank">{a.title}</a></h3> </div>\n'
                    )
            body = gbk(text.replace(_LISTING_MARK, _LISTING_MARK + "".join(extra), 1))
        sent = _answer(handler, resp.status, resp.content_type, body, head=head)
        self._record(Served(time.time(), host, path, query, None, "", attempt, "page", sent))
        return True

    def _article(
        self,
        handler: BaseHTTPRequestHandler,
        a: DemoArticle,
        fault: str,
        attempt: int,
        query: str,
        *,
        head: bool,
    ) -> tuple[str, int]:
        """Serve article ``a`` under ``fault``; ``(outcome, bytes sent)``."""
        info = FAULTS.get(fault)
        failing = info is not None and (
            info.group == "permanent"
            or (info.group == "transient" and attempt <= self.plan.failures.get(a.art_id, 0))
        )
        if failing:
            return "fault", self._fail(handler, a, fault, query, head=head)
        ctype, body = article_page(a, self.portal.base_url, fault or None)
        sent = _answer(handler, 200, ctype, body, head=head)
        return ("ok" if sent == len(body) else "fault"), sent

    def _fail(
        self, handler: BaseHTTPRequestHandler, a: DemoArticle, fault: str, query: str, *, head: bool
    ) -> int:
        config = self.plan.config
        base = self.portal.base_url
        if fault in {"http_500", "http_502", "http_503", "http_404", "http_410"}:
            return _status_page(handler, int(fault[5:]), head=head)
        if fault == "http_503_retry_after":
            return _status_page(
                handler, 503, head=head, headers=[("Retry-After", str(config.retry_after))]
            )
        if fault == "http_503_retry_later":
            return _status_page(handler, 503, head=head, headers=[("Retry-After", "3600")])
        if fault == "http_429":
            when = email.utils.formatdate(time.time() + config.retry_after + 1, usegmt=True)
            return _status_page(handler, 429, head=head, headers=[("Retry-After", when)])
        if fault == "redirect_loop":
            target = base + a.path + ("" if "loop=1" in query else "?loop=1")
            return _status_page(handler, 302, head=head, headers=[("Location", target)])
        if fault == "redirect_chain":
            hop = int(query.removeprefix("hop=") or 0) if query.startswith("hop=") else 0
            target = f"{base}{a.path}?hop={hop + 1}"
            return _status_page(handler, 302, head=head, headers=[("Location", target)])
        if fault == "redirect_offsite":
            target = f"http://localhost:{self.portal.port}{a.path}"
            return _status_page(handler, 302, head=head, headers=[("Location", target)])
        if fault == "no_title":
            ctype, body = article_page(a, base, "no_title")
            return _answer(handler, 200, ctype, body, head=head)
        if fault == "gzip_bomb":
            bomb = gzip_bomb(config.bomb_bytes)
            return _answer(
                handler,
                200,
                "text/html; charset=gbk",
                bomb,
                head=head,
                headers=[("Content-Encoding", "gzip")],
            )
        if fault in {"oversize", "oversize_unsized"}:
            return _stream_big(handler, config.oversize_bytes, sized=fault == "oversize", head=head)
        _, body = article_page(a, base, None)
        if fault == "timeout":
            time.sleep(config.stall)
            return _answer(handler, 200, content_type(a), body, head=head)
        if fault == "slow_drip":
            return _drip(handler, content_type(a), body, config.stall, head=head)
        if fault == "reset":
            return _reset(handler)
        if fault == "truncated":
            return _truncated(handler, content_type(a), body)
        raise AssertionError(f"no failure behaviour for {fault!r}")


# --- raw answers (each returns the body bytes written) ------------------------------------------


def _answer(
    handler: BaseHTTPRequestHandler,
    status: int,
    ctype: str,
    body: bytes,
    *,
    head: bool,
    headers: Iterable[tuple[str, str]] = (),
) -> int:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        if head:
            return 0
        handler.wfile.write(body)
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True
        return 0
    return len(body)


def _status_page(
    handler: BaseHTTPRequestHandler,
    status: int,
    *,
    head: bool,
    headers: Iterable[tuple[str, str]] = (),
) -> int:
    body = f"<html><body><h1>{status}</h1></body></html>".encode()
    return _answer(handler, status, "text/html; charset=utf-8", body, head=head, headers=headers)


def _stream_big(handler: BaseHTTPRequestHandler, size: int, *, sized: bool, head: bool) -> int:
    chunk = (b"<p>" + "填充".encode("gbk") * 4000 + b"</p>\n")[: 64 * 1024]
    sent = 0
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=gbk")
        if sized:
            handler.send_header("Content-Length", str(size))
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        if head:
            return 0
        handler.wfile.write(b"<html><body>")
        while sent < size:
            part = chunk[: size - sent]
            handler.wfile.write(part)
            sent += len(part)
    except OSError:
        handler.close_connection = True
    return sent


def _drip(
    handler: BaseHTTPRequestHandler, ctype: str, body: bytes, stall: float, *, head: bool
) -> int:
    pieces = [body[i : i + 256] for i in range(0, len(body), 256)]
    pause = stall / max(1, len(pieces))
    sent = 0
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if head:
            return 0
        for piece in pieces:
            time.sleep(pause)
            handler.wfile.write(piece)
            sent += len(piece)
    except OSError:
        handler.close_connection = True
    return sent


def _reset(handler: BaseHTTPRequestHandler) -> int:
    with contextlib.suppress(OSError):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Ty")
        handler.wfile.flush()
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()  # SO_LINGER 0: the close sends RST, not FIN
    handler.close_connection = True
    return 0


def _truncated(handler: BaseHTTPRequestHandler, ctype: str, body: bytes) -> int:
    half = body[: len(body) // 2]
    with contextlib.suppress(OSError):
        handler.send_response(200)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))  # the lie
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(half)
        handler.wfile.flush()
    handler.close_connection = True
    return len(half)


# --- construction -----------------------------------------------------------------------------


def fault_portal(
    spec: str | dict[str, float] = "all",
    *,
    seed: int = 0,
    generated: int = 50,
    config: FaultConfig | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    listing_page_size: int = 10,
    include_builtin: bool = False,
    log_path: Path | None = None,
) -> DemoPortal:
    """A :class:`DemoPortal` in fault mode; ``portal.faults`` is its :class:`FaultInjector`."""
    ids = [GENERATED_ID_BASE + i for i in range(generated)]
    plan = plan_faults(spec, ids, seed, config)
    portal = DemoPortal(
        port=port,
        host=host,
        generated=generated,
        listing_page_size=listing_page_size,
        include_builtin=include_builtin,
    )
    if log_path is not None:
        log_path.write_text("", encoding="utf-8")
    portal.faults = FaultInjector(portal, plan, log_path)
    return portal
