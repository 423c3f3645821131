"""Any host without a portal parser: fetch mode only (``urls``), the generic extractor.

No listings, feeds or domains: ``allowed_domains`` comes from the URLs given, and
``archive.runner.portal_for_url`` never picks this spider for a host (the CLI falls back to
it when no portal owns the host, or ``--portal generic`` forces it).
"""

from crawler.parsers.generic import GenericParser
from crawler.spiders.base import PortalSpider, Taxonomy


class GenericSpider(PortalSpider):
    name = "generic"
    portal = "generic"
    real_base_url = ""
    domains = ()
    parser = GenericParser
    taxonomy = Taxonomy(categories=("存档",), author="")
    page_encoding = None
    language = ""  # unknown unless the page says (<html lang>, og:locale)
