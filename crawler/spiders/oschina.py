"""开源中国: the news list as AJAX fragments (Referer + X-Requested-With), paged by ``p``."""

from crawler.parsers.oschina import OschinaParser
from crawler.spiders.base import PortalSpider, Taxonomy
from crawler.spiders.listings import PagedFragment


class OschinaSpider(PortalSpider):
    name = "oschina"
    real_base_url = "https://www.oschina.net"
    domains = ("oschina.net",)
    listing_paths = ("/news/widgets/_news_index_all_list?p=1&type=ajax",)
    listing = PagedFragment(links_css=".items .news-item h3 a", page_param="p")
    listing_headers = (("Referer", "{base}/news"), ("X-Requested-With", "XMLHttpRequest"))
    article_url_pattern = r"/news/\d+$"
    parser = OschinaParser
    taxonomy = Taxonomy(categories=("新媒体", "开源中国"), author="开源中国")
