"""OFweek 维科网 (www.ofweek.com and its channel subdomains).

Selectors from the real site (see ``docs/portals.md``): article scope ``div.artical`` (the
site's own spelling), body ``#articleC``. Pages are GBK; times are Beijing local time.
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


class OfweekParser(ParserProxy):
    name = "ofweek"
    dates = "`div.time.fl` `2022-08-25 16:09` (V1 `2021年04月02日 10:30`), Beijing time"

    class V1(BaseParser):
        """Older layout (2021): ``h1.artical-title``, ``span.time`` as ``2021年04月02日 10:30``."""

        VERSION = "V1"
        VALID_UNTIL: ClassVar[date | None] = date(2021, 12, 31)
        TITLE: ClassVar[str] = "div.artical h1"
        TIME: ClassVar[str] = "div.artical span.time"
        SOURCE: ClassVar[str] = "div.artical span.source"
        BODY: ClassVar[str] = "div.artical #articleC"

        @classmethod
        def matches(cls, page: Page) -> bool:
            return bool(page.selector.css(cls.TITLE))

        @attribute
        def canonical_url(self, page: Page) -> str:
            href = page.selector.css('link[rel="canonical"]::attr(href)').get()
            return urljoin(page.url, (href or "").strip())

        @attribute
        def title(self, page: Page) -> str:
            text = first_text(page.selector, self.TITLE)
            if not text:
                raise ParseError("title", f"no text in {self.TITLE}")
            return text

        @attribute
        def published(self, page: Page) -> str:
            text = first_text(page.selector, self.TIME)
            if not text:
                raise ParseError("published", f"no text in {self.TIME}")
            return text

        @attribute
        def source(self, page: Page) -> str:
            return first_text(page.selector, self.SOURCE)

        @attribute
        def body(self, page: Page) -> str:
            html = inner_html(page.selector, self.BODY).strip()
            if not html:
                raise ParseError("body", f"no {self.BODY}")
            return html

    class V2(V1):
        """Current layout (2022–): ``p.title``, ``div.time.fl`` as ``2022-08-25 16:09``."""

        VERSION = "V2"
        VALID_UNTIL = None
        TITLE = "div.artical p.title"
        TIME = "div.artical div.time.fl"
        SOURCE = "div.artical div.source-name"

    versions = (V2, V1)
