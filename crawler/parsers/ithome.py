"""IT之家 (www.ithome.com, category subdomains such as it.ithome.com).

Selectors from the real site (``../shared/docs/portals.md``): time ``#pubtime_baidu``
(Beijing time, ``2024/3/5 10:20:31``), byline ``#author_baidu``, body ``#paragraph`` whose
images are lazy (``data-original``; the pipelines promote it to ``src``). The
``p.ad-tips`` disclaimer inside the body is removed by the general furniture list.
"""

from __future__ import annotations

from crawler.parsers.base import ParserProxy
from crawler.parsers.helpers import CssParser


class IthomeParser(ParserProxy):
    dates = "`#pubtime_baidu` `2024/3/5 10:20:31`, Beijing time"

    class V1(CssParser):
        """Current article layout: `div.fl.content` with `h1` and the `*_baidu` spans."""

        VERSION = "V1"
        TITLE = "div.content h1"
        TIME = "#pubtime_baidu"
        AUTHOR = "#author_baidu strong"
        SOURCE = "#source_baidu a"
        CHANNEL = "div.crumb a:last-child"
        BODY = "#paragraph"

    versions = (V1,)
