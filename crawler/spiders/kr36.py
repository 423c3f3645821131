"""36氪: the 最新资讯 list, whose articles are listed in a JSON state, not in links."""

from crawler.parsers.kr36 import Kr36Parser
from crawler.spiders.base import PortalSpider, Taxonomy
from crawler.spiders.listings import JsonInPage


class Kr36Spider(PortalSpider):
    name = "36kr"
    real_base_url = "https://36kr.com"
    domains = ("36kr.com",)
    listing_paths = ("/information/web_news/",)
    listing = JsonInPage(
        script_re=r"window\.initialState\s*=\s*(\{.*\})\s*;?\s*$",
        items_path="information.informationList.itemList",
        url_template="{base}/p/{itemId}",  # itemType 0 (ads) have no itemId: skipped
    )
    article_url_pattern = r"/p/\d+$"
    parser = Kr36Parser
    taxonomy = Taxonomy(categories=("新媒体", "36氪"), author="36氪")
