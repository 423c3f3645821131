"""虎嗅 (www.huxiu.com/article/{aid}.html): a JSON-state layout and an older HTML one.

Current pages: ``window.__INITIAL_STATE__={…};(function(){…}())`` →
``articleDetail.articleDetail`` (``title``, ``dateline`` epoch seconds, ``user_info.username``,
``channel_info.name``, ``content``). Older pages: ``.article__title``, ``.article__time``
(Beijing time), ``.author-info__username``, body ``.top-img`` + ``.article__content`` with
``_src`` lazy images. Both bodies lose the ``div.neirong-shouquan`` authorisation box. A
field the state lacks (a page whose state is cut or changed) falls back to the HTML layout's
selectors.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from parsel import Selector

from crawler.parsers.base import Page, ParseError, ParserProxy, attribute
from crawler.parsers.helpers import CssParser, JsonStateParser, body_without

SHOUQUAN = (".neirong-shouquan",)
"""Huxiu's authorisation box inside bodies."""


class HuxiuParser(ParserProxy):
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

    class V2(JsonStateParser, V1):
        """JSON state `window.__INITIAL_STATE__` → `articleDetail.articleDetail`."""

        VERSION = "V2"
        VALID_UNTIL = None
        STATE_RE = r"window\.__INITIAL_STATE__\s*=\s*(\{.*\})\s*;\s*\(function"
        STATE_MARKER = "window.__INITIAL_STATE__"
        DATA = "articleDetail.articleDetail"

        @attribute
        def title(self, page: Page) -> str:
            return self.field(page, "title") or super().title(page)

        @attribute
        def published(self, page: Page) -> str:
            value = self.field(page, "dateline")
            if value:
                return value
            try:
                return super().published(page)
            except ParseError:
                raise ParseError("published", "no dateline in the state or the page") from None

        @attribute
        def author(self, page: Page) -> str:
            return self.field(page, "user_info.username") or super().author(page)

        @attribute
        def category(self, page: Page) -> str:
            return self.field(page, "channel_info.name") or super().category(page)

        @attribute
        def body(self, page: Page) -> str:
            content = self.field(page, "content")
            if not content:
                return super().body(page)
            return body_without(Selector(text=content), "body", SHOUQUAN).strip()

    versions = (V2, V1)
