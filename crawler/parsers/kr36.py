"""36氪 (36kr.com): every field from the ``window.initialState`` JSON of the page.

The article markup is an empty app shell; ``articleDetail.articleDetailData.data`` holds
``widgetTitle``, ``author``, ``publishTime`` (epoch milliseconds, normalized as UTC),
``column.name`` and ``widgetContent`` (the body HTML). The encrypted state of the newest
pages (``"isEncrypt":true``) is not handled: such a page fails ``title`` and ``body``.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urljoin

from crawler.parsers.base import BaseParser, Page, ParseError, ParserProxy, attribute
from crawler.parsers.helpers import canonical_href, dig, state_json


class Kr36Parser(ParserProxy):
    name = "36kr"
    dates = "`publishTime` epoch milliseconds in the JSON state (UTC)"

    class V1(BaseParser):
        """JSON state `window.initialState` → `articleDetail.articleDetailData.data`."""

        VERSION = "V1"
        STATE_RE: ClassVar[str] = r"window\.initialState\s*=\s*(\{.*\})\s*;?\s*$"
        DATA: ClassVar[str] = "articleDetail.articleDetailData.data"

        def __init__(self) -> None:
            self._data: dict[str, Any] | None = None

        @classmethod
        def matches(cls, page: Page) -> bool:
            return "window.initialState" in page.selector.xpath("string(//body)").get("")

        def data(self, page: Page) -> dict[str, Any]:
            """The article object of the state, parsed once per page."""
            if self._data is None:
                found = dig(state_json(page, self.STATE_RE), self.DATA)
                self._data = found if isinstance(found, dict) else {}
            return self._data

        def _field(self, page: Page, key: str) -> str:
            value = dig(self.data(page), key)
            return "" if value is None else str(value).strip()

        @attribute
        def canonical_url(self, page: Page) -> str:
            return urljoin(page.url, canonical_href(page))

        @attribute
        def title(self, page: Page) -> str:
            return self._field(page, "widgetTitle")

        @attribute
        def published(self, page: Page) -> str:
            value = self._field(page, "publishTime")
            if not value:
                raise ParseError("published", "no publishTime in the state")
            return value

        @attribute
        def author(self, page: Page) -> str:
            return self._field(page, "author")

        @attribute
        def category(self, page: Page) -> str:
            return self._field(page, "column.name")

        @attribute
        def body(self, page: Page) -> str:
            return self._field(page, "widgetContent")

    versions = (V1,)
