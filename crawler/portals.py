"""The portals, as the spiders declare them: a portal is named once, by its spider's ``name``.

Everything that lists portals derives from here: the parser table (fixtures, ``savefixture``),
the ``crawl`` help, ``docs/portals.md`` (:mod:`crawler.portal_table`).
"""

from __future__ import annotations

from scrapy import Spider
from scrapy.settings import BaseSettings, Settings
from scrapy.spiderloader import SpiderLoader

from crawler import settings as project_settings
from crawler.parsers.base import ParserProxy
from crawler.spiders.base import PortalSpider


def portal_spiders(settings: BaseSettings | None = None) -> list[type[PortalSpider]]:
    """Every portal spider class of ``SPIDER_MODULES`` (the project's, unless ``settings``
    name others), by name, as Scrapy's own loader finds them."""
    if settings is None:
        settings = Settings({"SPIDER_MODULES": project_settings.SPIDER_MODULES})
    loader = SpiderLoader.from_settings(settings)
    found = [loader.load(name) for name in sorted(loader.list())]
    return [cls for cls in found if issubclass(cls, PortalSpider)]


def feed_spiders(settings: BaseSettings | None = None) -> list[type[Spider]]:
    """The spiders of ``SPIDER_MODULES`` that are no portal: sources archived from their feeds'
    own content (``rsshub``: ``crawl rsshub --feeds FILE``), by name."""
    if settings is None:
        settings = Settings({"SPIDER_MODULES": project_settings.SPIDER_MODULES})
    loader = SpiderLoader.from_settings(settings)
    found = [loader.load(name) for name in sorted(loader.list())]
    return [cls for cls in found if not issubclass(cls, PortalSpider)]


def parsers() -> dict[str, type[ParserProxy]]:
    """Portal name → its parser proxy (``generic`` included)."""
    return {spider.name: spider.parser for spider in portal_spiders()}


def portal_names() -> list[str]:
    """Portals that ``crawl`` can run (they have listings or feeds), sorted."""
    return [s.name for s in portal_spiders() if s.listing_paths or s.feed_urls]
