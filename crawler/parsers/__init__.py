"""Versioned page parsers, one module per portal.

A parser turns one fetched page into raw field values; it never touches files, the
index or the network, so it can run anywhere (a crawl worker, the CLI, a test). Which
parser a portal uses is said once, by its spider (``crawler/spiders/<portal>.py``);
:func:`crawler.portals.parsers` is the table derived from the spiders.
"""

from __future__ import annotations

from crawler.parsers.base import BaseParser, Page, ParseError, ParseResult, ParserProxy

__all__ = ["BaseParser", "Page", "ParseError", "ParseResult", "ParserProxy"]
