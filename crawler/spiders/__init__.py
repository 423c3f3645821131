"""Portal spiders: one small declarative class per portal on top of ``base.PortalSpider``."""

from __future__ import annotations

import pkgutil

NOT_PORTALS = frozenset({"base", "generic", "listings"})
"""Modules of this package that are not a crawlable portal."""


def portal_names() -> list[str]:
    """Crawlable portals (one module each, named like the portal), without importing them."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in NOT_PORTALS)
