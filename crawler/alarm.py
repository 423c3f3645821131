"""Parser-breakage alarm: a run whose portal parser misses required fields too often.

A portal that ships a redesign breaks its parser silently: pages still answer 200, but
title, body or date come out empty. :class:`ParserAlarm` counts, per run, the article pages
the portal parser handled and those it returned without a required field
(:data:`ALARM_FIELDS`). Once at least ``min_pages`` pages were seen and the broken share is
above ``threshold`` (:func:`is_degraded`), the alarm goes off and stays on for the run:

* the run is marked ``degraded`` (stats ``archive/degraded``; ``crawl_runs.status``);
* each broken page, from then on and those held back while the share was still undecided,
  goes through the generic extractor instead (:func:`merge_fallback`), and is stored with
  ``parser = "generic-fallback"``.

With ``each_page`` (``ARCHIVE_FALLBACK_EACH_PAGE``, set by ``fetch``) every broken page goes
to the generic extractor at once, counted but neither held nor marking the run degraded: a
few fetched URLs are no sample to judge a parser by, yet each deserves its best reading.

Broken pages seen before ``min_pages`` are held (the parsed page, not a download) until the
decision can be made; when a run ends before that, they are released unchanged (the
validate pipeline records them as failures, as without the alarm). Pages that broke while
the share was below the threshold are not re-parsed later: they are recorded as failures
and retried by the next run. A distributed worker does not hold pages (``hold`` off,
``ARCHIVE_ALARM_HOLD``): a held page's request would have no lease left in the shared
frontier, so a worker killed while holding one would lose it for the crawl; there a broken
page before ``min_pages`` is released at once, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from archive.items import FALLBACK_PARSER
from crawler.parsers.base import Page, ParseResult

ALARM_FIELDS = ("title", "body", "published")
"""Fields a portal parser must find on every article page."""


def broken_fields(result: ParseResult) -> list[str]:
    """The alarm fields the portal parser failed on (``[]`` for a healthy page)."""
    return [name for name in ALARM_FIELDS if name in result.failed]


def is_degraded(broken: int, total: int, threshold: float, min_pages: int) -> bool:
    """Whether ``broken`` of ``total`` pages is enough to call the parser broken.

    Needs at least ``min_pages`` pages (and one broken page) and a share strictly above
    ``threshold``.

    >>> is_degraded(3, 10, 0.2, 10)
    True
    >>> is_degraded(2, 10, 0.2, 10)
    False
    >>> is_degraded(5, 5, 0.2, 10)
    False
    """
    if total < max(min_pages, 1) or broken == 0:
        return False
    return broken / total > threshold


def merge_fallback(portal: ParseResult, generic: ParseResult) -> ParseResult:
    """Fields of a broken page: the portal parser's good fields, the generic ones for the rest.

    The result is marked :data:`FALLBACK_PARSER`; ``failed`` lists what neither found.
    """
    fields = dict(generic.fields)
    for name, value in portal.fields.items():
        if value and name not in portal.failed:
            fields[name] = value
    failed = [name for name in portal.failed if not fields.get(name)]
    return ParseResult(parser=FALLBACK_PARSER, fields=fields, failed=failed)


@dataclass
class _Held:
    page: Page
    result: ParseResult
    build: Callable[[ParseResult], Any]


@dataclass
class ParserAlarm:
    """Per-run counters and the held pages of one spider (see the module docstring)."""

    threshold: float
    min_pages: int
    fallback: Callable[[Page], ParseResult]
    """The generic extractor (``GenericParser(portal).parse(page, errors="suppress")``)."""
    stats: Any = None
    enabled: bool = True
    """Off for the generic spider, whose parser is the generic extractor already."""
    use_fallback: bool = True
    """``ARCHIVE_GENERIC_FALLBACK``: off, a degraded run is only marked, pages stay as parsed."""
    each_page: bool = False
    hold: bool = True
    """``ARCHIVE_ALARM_HOLD``: hold broken pages until the alarm decides (off in a worker)."""
    """``ARCHIVE_FALLBACK_EACH_PAGE``: every broken page falls back at once (``fetch``)."""
    total: int = 0
    broken: int = 0
    degraded: bool = False
    held: list[_Held] = field(default_factory=list)

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    @property
    def decided(self) -> bool:
        return self.degraded or self.total >= self.min_pages

    def check(
        self, page: Page, result: ParseResult, build: Callable[[ParseResult], Any]
    ) -> Iterator[Any]:
        """Items for one parsed article page; ``build`` turns a result into the item."""
        if not self.enabled:
            yield build(result)
            return
        self.total += 1
        self._inc("archive/parse_checked")
        is_broken = bool(broken_fields(result))
        if is_broken:
            self.broken += 1
            self._inc("archive/parse_broken")
        if is_broken and self.each_page and self.use_fallback:
            yield self._fallback(page, result, build)
            return
        if not self.degraded and is_degraded(
            self.broken, self.total, self.threshold, self.min_pages
        ):
            self.degraded = True
            if self.stats is not None:
                self.stats.set_value("archive/degraded", 1)
        if not is_broken:
            yield build(result)
        elif self.degraded:
            yield self._fallback(page, result, build) if self.use_fallback else build(result)
        elif not self.decided and self.hold:
            self.held.append(_Held(page, result, build))
            return
        else:
            yield build(result)
        if self.decided:
            yield from self.release()

    def release(self) -> Iterator[Any]:
        """Items of the held pages: fallbacks when the run is degraded, else unchanged."""
        held, self.held = self.held, []
        for h in held:
            if self.degraded and self.use_fallback:
                yield self._fallback(h.page, h.result, h.build)
            else:
                yield h.build(h.result)

    def _fallback(
        self, page: Page, result: ParseResult, build: Callable[[ParseResult], Any]
    ) -> Any:
        self._inc("archive/fallback")
        return build(merge_fallback(result, self.fallback(page)))
