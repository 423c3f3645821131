"""IT之家: the IT资讯 category front page (``it.ithome.com``); lazy images in the body."""

from crawler.parsers.ithome import IthomeParser
from crawler.spiders.base import PortalSpider, Taxonomy


class IthomeSpider(PortalSpider):
    name = "ithome"
    real_base_url = "https://it.ithome.com"
    domains = ("ithome.com",)
    listing_paths = ("/",)
    listing_links_css = "#list > div.fl > ul > li > div > h2 > a"
    next_page_css = "#list a.more::attr(href)"  # the real list loads more by script
    article_url_pattern = r"/0/\d+/\d+\.htm$"
    parser = IthomeParser
    taxonomy = Taxonomy(categories=("新媒体", "IT之家"), author="IT之家")
