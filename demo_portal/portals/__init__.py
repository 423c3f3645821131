"""Demo pages of the other portals, one module each, served under ``/<portal>/``.

The one demo server (:class:`demo_portal.DemoPortal`) serves OFweek at its root and
every portal registered here below its own prefix, so a crawl is pointed at a portal with::

    portal-archive crawl ithome --base-url http://127.0.0.1:8765/ithome

Each module builds pages in that portal's real shape (selectors, JSON states, feeds, date
forms from ``../shared/docs/portals.md``) with text written for this project, and lists
the articles a crawl must archive (``Site.articles``) for the end-to-end tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

from demo_portal.portals.common import Response, Site, SiteArticle, SiteRequest


def _sites() -> dict[str, Site]:
    from demo_portal.portals import arstechnica, cnbeta, huxiu, ithome, kr36, oschina

    sites = (ithome.SITE, kr36.SITE, oschina.SITE, arstechnica.SITE, cnbeta.SITE, huxiu.SITE)
    return {s.name: s for s in sites}


SITES: dict[str, Site] = _sites()
"""Portal key → demo site."""


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


__all__ = ["SITES", "Response", "Site", "SiteArticle", "SiteRequest", "respond", "site_base"]
