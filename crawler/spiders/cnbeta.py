"""cnBeta: the home page's CSRF token opens the JSON list API ``/home/more``, paged."""

from crawler.parsers.cnbeta import CnbetaParser
from crawler.spiders.base import PortalSpider, Taxonomy
from crawler.spiders.listings import TokenJsonApi


class CnbetaSpider(PortalSpider):
    name = "cnbeta"
    real_base_url = "https://www.cnbeta.com.tw"
    domains = ("cnbeta.com.tw", "cnbeta.com")
    listing_paths = ("/",)
    listing = TokenJsonApi(
        token_css='meta[name="csrf-token"]::attr(content)',  # noqa: S106 - a selector
        type_css="div[data-type]::attr(data-type)",
        endpoint="/home/more?&type={type}&page=1&_csrf={token}",
        items_key="result",
        url_key="url_show",
    )
    article_url_pattern = r"/articles/\w+/\d+\.htm$"
    parser = CnbetaParser
    taxonomy = Taxonomy(categories=("新媒体", "cnBeta"), author="cnBeta")
