"""cnBeta (www.cnbeta.com.tw): summary + content bodies, Beijing times in 年月日 form.

The time is the first ``header.title .meta span`` (``2024年03月05日 10:20``), the source
``span.source`` (``稿源：…``). The body joins ``.article-summary`` and ``.article-content``
without the ad blocks and topic logos cnBeta puts inside them.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urljoin

from crawler.parsers.base import BaseParser, Page, ParseError, ParserProxy, attribute, first_text
from crawler.parsers.helpers import body_without, canonical_href


class CnbetaParser(ParserProxy):
    name = "cnbeta"
    dates = "first `.meta span` `2024年03月05日 10:20`, Beijing time"

    class V1(BaseParser):
        """Current layout: `header.title h1`, `.meta span`, summary + content bodies."""

        VERSION = "V1"
        TITLE: ClassVar[str] = "header.title h1"
        TIME: ClassVar[str] = "header.title div.meta > span:first-child"
        SOURCE: ClassVar[str] = "header.title div.meta span.source"
        PARTS: ClassVar[tuple[str, ...]] = (".article-summary", ".article-content")
        FURNITURE: ClassVar[tuple[str, ...]] = (".article-global", ".topic", ".article-topic")

        @classmethod
        def matches(cls, page: Page) -> bool:
            return bool(page.selector.css(cls.PARTS[1]))

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
        def source(self, page: Page) -> str:
            return first_text(page.selector, self.SOURCE)

        @attribute
        def body(self, page: Page) -> str:
            parts = (body_without(page.selector, css, self.FURNITURE) for css in self.PARTS)
            return "".join(f"<div>{p.strip()}</div>" for p in parts if p.strip())

    versions = (V1,)
