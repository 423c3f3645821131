"""cnBeta (www.cnbeta.com.tw): summary + content bodies, Beijing times in 年月日 form.

The time is the first ``header.title .meta span`` (``2024年03月05日 10:20``), the source
``span.source`` (``稿源：…``). The body joins ``.article-summary`` and ``.article-content``
without the ad blocks and topic logos cnBeta puts inside them.
"""

from __future__ import annotations

from crawler.parsers.base import ParserProxy
from crawler.parsers.helpers import CssParser


class CnbetaParser(ParserProxy):
    dates = "first `.meta span` `2024年03月05日 10:20`, Beijing time"

    class V1(CssParser):
        """Current layout: `header.title h1`, `.meta span`, summary + content bodies."""

        VERSION = "V1"
        TITLE = "header.title h1"
        TIME = "header.title div.meta > span:first-child"
        SOURCE = "header.title div.meta span.source"
        PARTS = (".article-summary", ".article-content")
        FURNITURE = (".article-global", ".topic", ".article-topic")

    versions = (V1,)
