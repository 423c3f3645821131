"""36氪 (36kr.com): the ``window.initialState`` JSON of the page, else its HTML.

V1 reads ``articleDetail.articleDetailData.data`` of the state: ``widgetTitle``, ``author``,
``publishTime`` (epoch milliseconds, normalized as UTC), ``column.name`` and
``widgetContent`` (the body HTML). A field the state lacks (an encrypted state,
``"isEncrypt":true``, or a state without the article) falls back to the page's HTML, as a page
without any state (V0, the server-rendered 2019 layout; also what saving tools leave when
they strip scripts) is read: ``h1.article-title``, the byline link, the printed time
(``· 6小时前``, relative to the fetch) and ``div.articleDetailContent``.
"""

from __future__ import annotations

from urllib.parse import urljoin

from crawler.parsers.base import Page, ParseError, ParserProxy, attribute
from crawler.parsers.helpers import CssParser, JsonStateParser, canonical_href


class Kr36Parser(ParserProxy):
    dates = (
        "`publishTime` epoch milliseconds in the JSON state (UTC); "
        "HTML `· 6小时前` relative to the fetch, Beijing time"
    )

    class V0(CssParser):
        """Server-rendered HTML (no state): `h1.article-title`, `div.articleDetailContent`."""

        VERSION = "V0"
        TITLE = "h1.article-title, h1"
        TIME = ".title-icon-item.item-time, .article-title-icon .time"
        AUTHOR = "a.title-icon-item.item-a, a.author-name"
        BODY = "div.articleDetailContent"

    class V1(JsonStateParser, V0):
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
            return self.field(page, "widgetTitle") or super().title(page)

        @attribute
        def published(self, page: Page) -> str:
            value = self.field(page, "publishTime")
            if value:
                return value
            try:
                return super().published(page)
            except ParseError:
                raise ParseError("published", "no publishTime in the state or the page") from None

        @attribute
        def author(self, page: Page) -> str:
            return self.field(page, "author") or super().author(page)

        @attribute
        def category(self, page: Page) -> str:
            return self.field(page, "column.name")

        @attribute
        def body(self, page: Page) -> str:
            return self.field(page, "widgetContent") or super().body(page)

    versions = (V1, V0)
