"""Ars Technica (arstechnica.com): an English WordPress site, dates in UTC.

Two layouts: the older one with schema.org microdata (``itemprop="headline"``,
``time[datetime]`` in ISO 8601 with offset, ``itemprop="articleBody"``) and the current one
whose JSON-LD ``NewsArticle`` gives headline, author, date and section, with the body in
``div.post-content`` (its promo boxes are dropped here, being Ars-specific).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, ClassVar

from crawler.parsers.base import (
    Page,
    ParserProxy,
    attribute,
)
from crawler.parsers.helpers import CssParser, body_without


def news_article_ld(page: Page) -> dict[str, Any]:
    """The page's JSON-LD ``NewsArticle`` object (``@graph`` members included), or ``{}``."""
    for raw in page.selector.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        nodes = data.get("@graph", [data]) if isinstance(data, dict) else data
        for node in nodes if isinstance(nodes, list) else []:
            if isinstance(node, dict) and node.get("@type") in ("NewsArticle", "Article"):
                return node
    return {}


class ArstechnicaParser(ParserProxy):
    dates = "ISO 8601 with offset (`time[datetime]`, JSON-LD); feed `pubDate` RFC 822 UTC"

    class V1(CssParser):
        """Microdata layout (until the 2024 redesign): `itemprop` headline/author/articleBody."""

        VERSION = "V1"
        VALID_UNTIL: ClassVar[date | None] = date(2024, 10, 14)
        TITLE = 'h1[itemprop="headline"]'
        AUTHOR = '[itemprop~="author"] [itemprop="name"]'
        TIME = "header time::attr(datetime)"
        CHANNEL = "section.post-meta a.site-section"
        BODY = '[itemprop="articleBody"]'

        @attribute
        def source(self, page: Page) -> str:
            return page.meta.get("og:site_name", "")

    class V2(V1):
        """Current layout (2024-10 redesign): JSON-LD `NewsArticle`, body `div.post-content`."""

        VERSION = "V2"
        VALID_UNTIL = None
        TITLE = "article header h1"
        TIME = "article header time::attr(datetime)"
        BODY = "div.post-content"
        FIGURE: ClassVar[str] = "article > figure.intro-image"
        PROMOS: ClassVar[tuple[str, ...]] = (".ars-interlude-container",)

        @classmethod
        def matches(cls, page: Page) -> bool:
            return bool(page.selector.css(cls.BODY))

        @attribute
        def title(self, page: Page) -> str:
            return str(news_article_ld(page).get("headline") or "") or super().title(page)

        @attribute
        def published(self, page: Page) -> str:
            return str(news_article_ld(page).get("datePublished") or "") or super().published(page)

        @attribute
        def author(self, page: Page) -> str:
            authors = news_article_ld(page).get("author") or []
            names = [a.get("name", "") for a in authors if isinstance(a, dict)]
            return ", ".join(n for n in names if n)

        @attribute
        def category(self, page: Page) -> str:
            return str(news_article_ld(page).get("articleSection") or "")

        @attribute
        def body(self, page: Page) -> str:
            """The lead figure (outside the body in this layout) and the body without promos."""
            figure = page.selector.css(self.FIGURE).get() or ""
            return (figure + body_without(page.selector, self.BODY, self.PROMOS)).strip()

    versions = (V2, V1)
