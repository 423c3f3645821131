"""Demo pages of the portals, one module each; every module with a ``SITE`` is served under
``/<portal>/``.

The one demo server (:class:`demo_portal.DemoPortal`) serves OFweek at its root
(:mod:`demo_portal.portals.ofweek`, which has no ``SITE``) and every site found here below its
own prefix, so a crawl is pointed at a portal with::

    portal-archive crawl ithome --base-url http://127.0.0.1:8765/ithome

Each module builds pages in that portal's real shape (selectors, JSON states, feeds, date
forms from ``../shared/docs/portals.md``) with text written for this project, and lists
the articles a crawl must archive (``Site.articles``) for the end-to-end tests. Adding a
portal's demo is adding its module: :func:`discover_sites` finds it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

from demo_portal.portals.common import Response, Site, SiteArticle, SiteRequest


def discover_sites() -> dict[str, Site]:
    """Portal key → the ``SITE`` of every module of this package that defines one, by key."""
    sites: dict[str, Site] = {}
    for module in pkgutil.iter_modules(__path__, f"{__name__}."):
        site = getattr(importlib.import_module(module.name), "SITE", None)
        if isinstance(site, Site):
            if site.name in sites:
                raise ValueError(f"two demo sites named {site.name!r}")
            sites[site.name] = site
    return dict(sorted(sites.items()))


SITES: dict[str, Site] = discover_sites()
"""Portal key → demo site (sorted by key; OFweek, served at the root, is not one of them)."""


def site_base(base_url: str, name: str) -> str:
    """``http://127.0.0.1:8765`` + ``ithome`` → the ``--base-url`` of that portal's demo."""
    return f"{base_url.rstrip('/')}/{name}"


def respond(target: str, headers: Mapping[str, str], base_url: str) -> Response | None:
    """The response of the site owning ``target`` (path + query), ``None`` for other paths."""
    parts = urlsplit(target)
    name, _, rest = parts.path.lstrip("/").partition("/")
    site = SITES.get(name)
    if site is None:
        return None
    request = SiteRequest(
        path="/" + rest,
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
        headers={k.lower(): v for k, v in headers.items()},
        base=site_base(base_url, name),
    )
    return site.respond(request)


__all__ = [
    "SITES",
    "Response",
    "Site",
    "SiteArticle",
    "SiteRequest",
    "discover_sites",
    "respond",
    "site_base",
]
