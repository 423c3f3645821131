"""开源中国 OSChina (www.oschina.net/news/{id}).

Dates are shown relative to the request (``3 小时前``, ``昨天 10:20``, ``03/05 09:15``) or
in full (``2023/11/20 14:05``), Beijing time; the parser returns the text as shown and the
normalizer resolves it against the fetch time. The channel is the active breadcrumb.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from urllib.parse import urljoin

from crawler.parsers.base import (
    BaseParser,
    Page,
    ParseError,
    ParserProxy,
    attribute,
    first_text,
    inner_html,
)
from crawler.parsers.helpers import canonical_href


class OschinaParser(ParserProxy):
    name = "oschina"
    dates = "relative (`3 小时前`, `昨天 10:20`), year-less `03/05 09:15` or full; Beijing time"

    class V1(BaseParser):
        """Older layout: `h2.title`, `a.__user` byline, `span.time`, body `#articleContent`."""

        VERSION = "V1"
        VALID_UNTIL: ClassVar[date | None] = date(2023, 12, 31)
        TITLE: ClassVar[str] = "div.news-detail h2.title"
        AUTHOR: ClassVar[str] = "div.news-detail a.__user span"
        TIME: ClassVar[str] = "div.news-detail span.time"
        CHANNEL: ClassVar[str] = ".breadcrumb .active.section"
        BODY: ClassVar[str] = "#articleContent"

        @classmethod
        def matches(cls, page: Page) -> bool:
            return bool(page.selector.css(cls.BODY))

        @attribute
        def canonical_url(self, page: Page) -> str:
            return urljoin(page.url, canonical_href(page))

        @attribute
        def title(self, page: Page) -> str:
            return first_text(page.selector, self.TITLE)

        @attribute
        def published(self, page: Page) -> str:
            text = first_text(page.selector, self.TIME)
            if not text:
                raise ParseError("published", f"no text in {self.TIME}")
            return text

        @attribute
        def author(self, page: Page) -> str:
            return first_text(page.selector, self.AUTHOR)

        @attribute
        def category(self, page: Page) -> str:
            return first_text(page.selector, self.CHANNEL)

        @attribute
        def body(self, page: Page) -> str:
            return inner_html(page.selector, self.BODY).strip()

    class V2(V1):
        """Current layout: `.article-box__title`, meta items (byline, date), `.article-detail`."""

        VERSION = "V2"
        VALID_UNTIL = None
        TITLE = ".article-box__title"
        AUTHOR = ".article-box__meta span.item:nth-of-type(1)"
        TIME = ".article-box__meta span.item:nth-of-type(2)"
        BODY = ".article-detail"

    versions = (V2, V1)
