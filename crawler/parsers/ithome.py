"""IT之家 (www.ithome.com, category subdomains such as it.ithome.com).

Selectors from the real site (``../shared/docs/portals.md``): time ``#pubtime_baidu``
(Beijing time, ``2024/3/5 10:20:31``), byline ``#author_baidu``, body ``#paragraph`` whose
images are lazy (``data-original``; the pipelines promote it to ``src``). The
``p.ad-tips`` disclaimer inside the body is removed by the general furniture list.
"""

from __future__ import annotations

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


class IthomeParser(ParserProxy):
    name = "ithome"
    dates = "`#pubtime_baidu` `2024/3/5 10:20:31`, Beijing time"

    class V1(BaseParser):
        """Current article layout: ``div.fl.content`` with ``h1`` and the ``*_baidu`` spans."""

        VERSION = "V1"
        TITLE: ClassVar[str] = "div.content h1"
        TIME: ClassVar[str] = "#pubtime_baidu"
        AUTHOR: ClassVar[str] = "#author_baidu strong"
        SOURCE: ClassVar[str] = "#source_baidu a"
        CHANNEL: ClassVar[str] = "div.crumb a:last-child"
        BODY: ClassVar[str] = "#paragraph"

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
        def source(self, page: Page) -> str:
            return first_text(page.selector, self.SOURCE)

        @attribute
        def category(self, page: Page) -> str:
            return first_text(page.selector, self.CHANNEL)

        @attribute
        def body(self, page: Page) -> str:
            return inner_html(page.selector, self.BODY).strip()

    versions = (V1,)
