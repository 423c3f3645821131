"""OFweek 维科网: the 产业新闻 listing and its RSS feed (as RSSHub's ``/ofweek/news``)."""

from crawler.parsers.ofweek import OfweekParser
from crawler.spiders.base import PortalSpider, Taxonomy


class OfweekSpider(PortalSpider):
    name = "ofweek"
    real_base_url = "https://www.ofweek.com"
    domains = ("ofweek.com",)
    listing_paths = ("/CATList-8100-CHANGYIEXINWE.html",)
    feed_paths = ("/rss/ofweek/news",)  # the demo portal mirrors the RSSHub route here
    feed_urls = ("https://rsshub.app/ofweek/news",)
    listing_links_css = "div.list-left div.con-details h3 > a"
    next_page_css = "div.page a.next::attr(href)"
    article_url_pattern = r"/ART-\d+-\d+-\d+\.html"
    parser = OfweekParser
    taxonomy = Taxonomy(categories=("新媒体", "高科技行业门户", "新闻"), author="高科技行业门户")
    page_encoding = "gb18030"
