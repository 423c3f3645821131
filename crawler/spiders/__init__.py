"""Portal spiders: one small declarative class per portal on top of ``base.PortalSpider``."""

from __future__ import annotations


def portal_names() -> list[str]:
    """Portals that ``crawl`` can run (they have listings or feeds), sorted."""
    from crawler.portal_table import portal_spiders

    return [s.portal for s in portal_spiders() if s.listing_paths or s.feed_urls]
