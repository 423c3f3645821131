"""Any host without a portal parser: the generic extractor, for single URLs or whole sites.

* fetch mode (``urls``): ``allowed_domains`` comes from the URLs given, and
  ``portal_archive.runner.portal_for_url`` never picks this spider for a host (the CLI falls back to
  it when no portal owns the host, or ``--portal generic`` forces it);
* crawl mode (``sources``, ``portal-archive crawl generic --start-url URL``): a site archived
  from its feed, sitemap (index, news, gzip) or ``robots.txt`` alone; see
  ``docs/discovery.md``. Only URLs on the start URLs' hosts (and matching ``url_pattern``)
  are articles, so failures of other generic sites are not retried by this run.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from archive.dates import PAGE_ZONE
from crawler.parsers.generic import GenericParser
from crawler.spiders.base import PortalSpider, Taxonomy

DISCOVERY_DOCUMENT = re.compile(r"(?:\.xml|\.xml\.gz|\.rss|\.atom|/robots\.txt)$", re.I)
"""Paths of feeds, sitemaps and robots files: never article candidates of a generic crawl."""


class GenericSpider(PortalSpider):
    name = "generic"
    real_base_url = ""
    domains = ()
    parser = GenericParser
    taxonomy = Taxonomy(categories=("存档",), author="")
    page_encoding = None
    language = ""  # unknown unless the page says (<html lang>, og:locale)
    page_timezone = PAGE_ZONE  # each page's own zone (archive.dates.page_zone), not Beijing's
    next_page_css = 'link[rel="next"]::attr(href), a[rel~="next"]::attr(href), a.next::attr(href)'

    def __init__(self, *args: Any, url_pattern: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url_re = re.compile(url_pattern) if url_pattern else None
        starts = [*self.sources, *self.listing_urls]
        self.site_hosts = {urlsplit(u).hostname or "" for u in starts} - {""}
        """Hosts of the crawl-mode start URLs (empty in fetch mode)."""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> GenericSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, GenericSpider)
        spider.alarm.enabled = False  # the parser is the generic extractor already
        return spider

    def is_article_url(self, url: str) -> bool:
        if self.site_hosts and urlsplit(url).hostname not in self.site_hosts:
            return False
        if url in self.sources or DISCOVERY_DOCUMENT.search(urlsplit(url).path):
            return False  # a failed feed or sitemap is not retried as an article
        return self._url_re is None or bool(self._url_re.search(url))
