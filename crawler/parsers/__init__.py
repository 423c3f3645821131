"""Versioned page parsers, one module per portal, plus the registry that picks one.

A parser turns one fetched page into raw field values; it never touches files, the
index or the network, so it can run anywhere (a crawl worker, the CLI, a test).
"""

from __future__ import annotations

from crawler.parsers.arstechnica import ArstechnicaParser
from crawler.parsers.base import BaseParser, Page, ParseError, ParseResult, ParserProxy
from crawler.parsers.cnbeta import CnbetaParser
from crawler.parsers.generic import GenericParser
from crawler.parsers.huxiu import HuxiuParser
from crawler.parsers.ithome import IthomeParser
from crawler.parsers.kr36 import Kr36Parser
from crawler.parsers.ofweek import OfweekParser
from crawler.parsers.oschina import OschinaParser

PARSERS: dict[str, type[ParserProxy]] = {
    "36kr": Kr36Parser,
    "arstechnica": ArstechnicaParser,
    "cnbeta": CnbetaParser,
    "generic": GenericParser,
    "huxiu": HuxiuParser,
    "ithome": IthomeParser,
    "ofweek": OfweekParser,
    "oschina": OschinaParser,
}
"""Portal key → parser proxy. ``docs/portals.md`` lists the same keys (a test checks it)."""

__all__ = ["PARSERS", "BaseParser", "Page", "ParseError", "ParseResult", "ParserProxy"]
