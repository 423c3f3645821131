"""虎嗅: the 资讯 list (relative links); articles in a JSON state or, when older, in HTML."""

from crawler.parsers.huxiu import HuxiuParser
from crawler.spiders.base import PortalSpider, Taxonomy


class HuxiuSpider(PortalSpider):
    name = "huxiu"
    real_base_url = "https://www.huxiu.com"
    domains = ("huxiu.com",)
    listing_paths = ("/article/",)
    listing_links_css = ".article-item--normal > a, .article-item--large > a"
    article_url_pattern = r"/article/\d+\.html$"
    parser = HuxiuParser
    taxonomy = Taxonomy(categories=("新媒体", "虎嗅"), author="虎嗅")
