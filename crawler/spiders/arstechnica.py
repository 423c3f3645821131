"""Ars Technica: English tech news found through the site's RSS feed (RFC 822 dates, UTC)."""

from crawler.parsers.arstechnica import ArstechnicaParser
from crawler.spiders.base import PortalSpider, Taxonomy


class ArstechnicaSpider(PortalSpider):
    name = "arstechnica"
    real_base_url = "https://arstechnica.com"
    domains = ("arstechnica.com",)
    feed_paths = ("/feed/",)
    feed_urls = ("https://feeds.arstechnica.com/arstechnica/index",)
    article_url_pattern = r"/[a-z-]+/\d{4}/\d{2}/[\w-]+/$"
    parser = ArstechnicaParser
    taxonomy = Taxonomy(categories=("Tech news", "Ars Technica"), author="Ars Technica")
    page_timezone = "UTC"
    language = "en"
