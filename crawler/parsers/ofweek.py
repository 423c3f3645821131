"""OFweek 维科网 (www.ofweek.com and its channel subdomains).

Selectors from the real site (see ``docs/portals.md``): article scope ``div.artical`` (the
site's own spelling), body ``#articleC``. Pages are GBK; times are Beijing local time.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from crawler.parsers.base import Page, ParserProxy, css_matches
from crawler.parsers.helpers import CssParser


class OfweekParser(ParserProxy):
    dates = "`div.time.fl` `2022-08-25 16:09` (V1 `2021年04月02日 10:30`), Beijing time"

    class V1(CssParser):
        """Older layout (2021): ``h1.artical-title``, ``span.time`` as ``2021年04月02日 10:30``."""

        VERSION = "V1"
        VALID_UNTIL: ClassVar[date | None] = date(2021, 12, 31)
        TITLE = "div.artical h1"
        TIME = "div.artical span.time"
        SOURCE = "div.artical span.source"
        BODY = "div.artical #articleC"

        @classmethod
        def matches(cls, page: Page) -> bool:
            return bool(css_matches(page.selector, cls.TITLE))

    class V2(V1):
        """Current layout (2022–): ``p.title``, ``div.time.fl`` as ``2022-08-25 16:09``."""

        VERSION = "V2"
        VALID_UNTIL = None
        TITLE = "div.artical p.title"
        TIME = "div.artical div.time.fl"
        SOURCE = "div.artical div.source-name"

    versions = (V2, V1)
