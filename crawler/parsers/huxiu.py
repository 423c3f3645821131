"""虎嗅 (www.huxiu.com/article/{aid}.html): a JSON-state layout and an older HTML one.

Current pages: ``window.__INITIAL_STATE__={…};(function(){…}())`` →
``articleDetail.articleDetail`` (``title``, ``dateline`` epoch seconds, ``user_info.username``,
``channel_info.name``, ``content``). Older pages: ``.article__title``, ``.article__time``
(Beijing time), ``.author-info__username``, body ``.top-img`` + ``.article__content`` with
``_src`` lazy images. Both bodies lose the ``div.neirong-shouquan`` authorisation box.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from parsel import Selector

from crawler.parsers.base import Page, ParseError, ParserProxy, attribute
from crawler.parsers.helpers import CssParser, body_without, dig, state_json

SHOUQUAN = (".neirong-shouquan",)
"""Huxiu's authorisation box inside bodies."""


class HuxiuParser(ParserProxy):
    name = "huxiu"
    dates = "V2 `dateline` epoch seconds (UTC); V1 `.article__time` `2023-09-01 17:00`, Beijing"

    class V1(CssParser):
        """Older HTML layout: `.article__title`, `.article__time`, `_src` lazy images."""

        VERSION = "V1"
        VALID_UNTIL: ClassVar[date | None] = date(2023, 12, 31)
        TITLE = "h1.article__title"
        TIME = ".article__time"
        AUTHOR = ".author-info__username"
        CHANNEL = ".column-link"
        PARTS = (".top-img", ".article__content")
        FURNITURE = SHOUQUAN

        @classmethod
        def matches(cls, page: Page) -> bool:
            return bool(page.selector.css(cls.TITLE))

    class V2(V1):
        """JSON state `window.__INITIAL_STATE__` → `articleDetail.articleDetail`."""

        VERSION = "V2"
        VALID_UNTIL = None
        STATE_RE: ClassVar[str] = r"window\.__INITIAL_STATE__\s*=\s*(\{.*\})\s*;\s*\(function"
        DATA: ClassVar[str] = "articleDetail.articleDetail"

        def __init__(self) -> None:
            self._data: dict[str, Any] | None = None

        @classmethod
        def matches(cls, page: Page) -> bool:
            return "window.__INITIAL_STATE__" in page.selector.xpath("string(//body)").get("")

        def data(self, page: Page) -> dict[str, Any]:
            if self._data is None:
                found = dig(state_json(page, self.STATE_RE), self.DATA)
                self._data = found if isinstance(found, dict) else {}
            return self._data

        def _field(self, page: Page, key: str) -> str:
            value = dig(self.data(page), key)
            return "" if value is None else str(value).strip()

        @attribute
        def title(self, page: Page) -> str:
            return self._field(page, "title")

        @attribute
        def published(self, page: Page) -> str:
            value = self._field(page, "dateline")
            if not value:
                raise ParseError("published", "no dateline in the state")
            return value

        @attribute
        def author(self, page: Page) -> str:
            return self._field(page, "user_info.username")

        @attribute
        def category(self, page: Page) -> str:
            return self._field(page, "channel_info.name")

        @attribute
        def body(self, page: Page) -> str:
            content = self._field(page, "content")
            if not content:
                return ""
            return body_without(Selector(text=content), "body", SHOUQUAN).strip()

    versions = (V2, V1)
