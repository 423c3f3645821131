"""开源中国 OSChina (www.oschina.net/news/{id}).

Dates are shown relative to the request (``3 小时前``, ``昨天 10:20``, ``03/05 09:15``) or
in full (``2023/11/20 14:05``), Beijing time; the parser returns the text as shown and the
normalizer resolves it against the fetch time. The channel is the active breadcrumb.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from crawler.parsers.base import ParserProxy
from crawler.parsers.helpers import CssParser


class OschinaParser(ParserProxy):
    dates = "relative (`3 小时前`, `昨天 10:20`), year-less `03/05 09:15` or full; Beijing time"

    class V1(CssParser):
        """Older layout: `h2.title`, `a.__user` byline, `span.time`, body `#articleContent`."""

        VERSION = "V1"
        VALID_UNTIL: ClassVar[date | None] = date(2023, 12, 31)
        TITLE = "div.news-detail h2.title"
        AUTHOR = "div.news-detail a.__user span"
        TIME = "div.news-detail span.time"
        CHANNEL = ".breadcrumb .active.section"
        BODY = "#articleContent"

    class V2(V1):
        """Current layout: `.article-box__title`, meta items (byline, date), `.article-detail`."""

        VERSION = "V2"
        VALID_UNTIL = None
        TITLE = ".article-box__title"
        AUTHOR = ".article-box__meta span.item:nth-of-type(1)"
        TIME = ".article-box__meta span.item:nth-of-type(2)"
        BODY = ".article-detail"

    versions = (V2, V1)
