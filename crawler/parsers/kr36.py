"""36氪 (36kr.com): every field from the ``window.initialState`` JSON of the page.

The article markup is an empty app shell; ``articleDetail.articleDetailData.data`` holds
``widgetTitle``, ``author``, ``publishTime`` (epoch milliseconds, normalized as UTC),
``column.name`` and ``widgetContent`` (the body HTML). The encrypted state of the newest
pages (``"isEncrypt":true``) is not handled: such a page fails ``title`` and ``body``.
"""

from __future__ import annotations

from urllib.parse import urljoin

from crawler.parsers.base import Page, ParseError, ParserProxy, attribute
from crawler.parsers.helpers import JsonStateParser, canonical_href


class Kr36Parser(ParserProxy):
    dates = "`publishTime` epoch milliseconds in the JSON state (UTC)"

    class V1(JsonStateParser):
        """JSON state `window.initialState` → `articleDetail.articleDetailData.data`."""

        VERSION = "V1"
        STATE_RE = r"window\.initialState\s*=\s*(\{.*\})\s*;?\s*$"
        STATE_MARKER = "window.initialState"
        DATA = "articleDetail.articleDetailData.data"

        @attribute
        def canonical_url(self, page: Page) -> str:
            return urljoin(page.url, canonical_href(page))

        @attribute
        def title(self, page: Page) -> str:
            return self.field(page, "widgetTitle")

        @attribute
        def published(self, page: Page) -> str:
            value = self.field(page, "publishTime")
            if not value:
                raise ParseError("published", "no publishTime in the state")
            return value

        @attribute
        def author(self, page: Page) -> str:
            return self.field(page, "author")

        @attribute
        def category(self, page: Page) -> str:
            return self.field(page, "column.name")

        @attribute
        def body(self, page: Page) -> str:
            return self.field(page, "widgetContent")

    versions = (V1,)
