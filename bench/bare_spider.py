"""The baseline of ``bench_archive.py``: a bare Scrapy crawl of the same pages, no pipelines.

It follows the listing pages the archive spider follows (the OFweek spider's own selectors,
URL pattern and page limit) and fetches the same article pages, yielding one small dict per
article (URL + title through one CSS selector). Everything else comes from the project's
settings, exactly as for ``scrapy crawl ofweek``, except that the project's own item
pipelines and spider/downloader middlewares are off (Scrapy's built-in ones stay)::

    .venv/bin/scrapy runspider bench/bare_spider.py -a listing_url=URL -a max_pages=N
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.spiders.ofweek import OfweekSpider


class BareSpider(scrapy.Spider):
    name = "bare"
    # the project's own pipelines and middlewares are archive code: only Scrapy's built-ins run
    custom_settings: dict[str, Any] | None = {  # noqa: RUF012
        "ITEM_PIPELINES": {},
        "SPIDER_MIDDLEWARES": {},
        "DOWNLOADER_MIDDLEWARES": {},
    }

    def __init__(
        self, *args: Any, listing_url: str = "", max_pages: str = "1", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not listing_url:
            raise ValueError("pass -a listing_url=URL")
        self.listing_url = listing_url
        self.max_pages = int(max_pages)
        self._article_re = re.compile(OfweekSpider.article_url_pattern)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.listing_url, callback=self.parse_listing, cb_kwargs={"page": 1})

    def parse_listing(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        for href in response.css(OfweekSpider.listing_links_css + "::attr(href)").getall():
            url = response.urljoin(href.strip())
            if self._article_re.search(url):
                yield scrapy.Request(url, callback=self.parse_article)
        next_href = response.css(OfweekSpider.next_page_css).get()
        if next_href and page < self.max_pages:
            yield response.follow(
                next_href.strip(), callback=self.parse_listing, cb_kwargs={"page": page + 1}
            )

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        yield {"url": response.url, "title": response.css("h1::text").get()}
