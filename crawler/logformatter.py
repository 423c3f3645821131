"""Log lines a person reads: dropped items name the reason and URL, not the whole item; a
network failure is one line (ours), not Scrapy's traceback and "Gave up retrying" besides."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TimeoutError
from twisted.web.client import ResponseFailed

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure


class ArchiveLogFormatter(LogFormatter):
    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        return {**result, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}


# --- quiet network failures ---------------------------------------------------------------

NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    DownloadTimeoutError,
    DownloadFailedError,
    ResponseDataLossError,
    ConnectError,  # refused, TCP timeout, no route …
    DNSLookupError,
    TimeoutError,
    ConnectionLost,
    ResponseFailed,  # a reset or TLS failure before or during the answer
    builtins.TimeoutError,
    builtins.ConnectionError,
)
"""Exceptions that mean "the network failed": the request's own failure line says so."""

NOISY_LOGGERS = (
    "scrapy.downloadermiddlewares.robotstxt",  # a traceback per robots.txt that failed
    "scrapy.downloadermiddlewares.retry",  # "Gave up retrying …" before the failure line
    "scrapy.core.scraper",
    "scrapy.pipelines.files",
    "scrapy.pipelines.media",
)
"""Scrapy loggers whose network-failure records repeat what our own failure line says."""


def is_network_noise(record: logging.LogRecord) -> bool:
    """A Scrapy record about a failed download that our own one-line report covers: a
    network exception (with its traceback), or the retry middleware giving up."""
    if record.name == "scrapy.downloadermiddlewares.retry":
        return str(record.msg).startswith("Gave up retrying")
    exception = record.exc_info[1] if record.exc_info else None
    if exception is None and isinstance(record.args, Mapping):
        exception = next((v for v in record.args.values() if isinstance(v, BaseException)), None)
    return isinstance(exception, NETWORK_ERRORS)


class DemoteNetworkNoise(logging.Filter):
    """Lowers :func:`is_network_noise` records to DEBUG: ``--log-level DEBUG`` still shows
    them (tracebacks included), the default level shows only the failure line of our own."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and is_network_noise(record):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_DEMOTE = DemoteNetworkNoise()


class QuietNetworkLog:
    """Extension installing :class:`DemoteNetworkNoise` on :data:`NOISY_LOGGERS` (once per
    process; a logger filter sees the records of that logger only)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietNetworkLog:
        for name in NOISY_LOGGERS:
            logging.getLogger(name).addFilter(_DEMOTE)  # a no-op when already there
        return cls()
