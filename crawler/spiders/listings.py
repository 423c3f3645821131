"""Listing formats beyond plain HTML links: JSON in the page, JSON APIs, paged fragments.

A portal spider declares ``listing = <Format>(...)``; :meth:`PortalSpider.parse_listing`
then asks it for the page's article URLs and the next listing URL. Each format is a small
frozen dataclass whose :meth:`links` is a pure function of the response (no requests, no
state), so it is tested on offline responses like the HTML default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from scrapy.http import TextResponse
from w3lib.url import add_or_replace_parameter


@dataclass(frozen=True)
class ListingPage:
    """What one listing response yields: article URLs in order and the next listing URL."""

    articles: list[str]
    next_url: str | None = None


class ListingFormat(Protocol):
    def links(self, response: TextResponse, base_url: str) -> ListingPage: ...


def dig(data: Any, path: str) -> Any:
    """``dig({"a": {"b": [1]}}, "a.b")`` → ``[1]``; ``None`` when a key is missing."""
    for key in path.split(".") if path else ():
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def script_json(response: TextResponse, pattern: str) -> Any:
    """The JSON value captured by ``pattern``'s first group in a ``<script>`` of the page."""
    regex = re.compile(pattern, re.S)
    try:
        scripts = response.xpath("//script/text()").getall()
    except ValueError:  # parsel refuses XPath on a JSON body
        return None
    for script in scripts:
        match = regex.search(script)
        if match:
            return json.loads(match.group(1))
    return None


def next_page_url(url: str, param: str) -> str:
    """``url`` with its page parameter ``param`` incremented (``1`` when absent)."""
    values = parse_qs(urlsplit(url).query).get(param) or ["1"]
    return add_or_replace_parameter(url, param, str(int(values[0]) + 1))


@dataclass(frozen=True)
class JsonInPage:
    """Articles listed in a JSON state assigned in a ``<script>`` (36氪 ``window.initialState``).

    ``url_template`` is formatted with the item's keys and ``base`` (the spider's base URL).
    """

    script_re: str
    items_path: str
    url_template: str

    def links(self, response: TextResponse, base_url: str) -> ListingPage:
        items = dig(script_json(response, self.script_re), self.items_path) or []
        urls = []
        for item in items:
            try:
                urls.append(self.url_template.format(base=base_url, **item))
            except (KeyError, TypeError):  # an entry without the keys (36氪 ads): not an article
                continue
        return ListingPage(articles=urls)


@dataclass(frozen=True)
class TokenJsonApi:
    """A JSON endpoint behind a token of the HTML page (cnBeta ``/home/more?…&_csrf=``).

    The first listing is an HTML page: its ``token_css`` and ``type_css`` values fill
    ``endpoint`` (page 1). Each JSON answer lists ``items_key[].url_key`` (protocol-relative
    URLs are resolved against the response) and leads to the next page while it has items.
    """

    token_css: str
    type_css: str
    endpoint: str
    items_key: str
    url_key: str
    page_param: str = "page"

    def links(self, response: TextResponse, base_url: str) -> ListingPage:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if "json" not in content_type:
            token = response.css(self.token_css).get()
            kind = response.css(self.type_css).get()
            if not token or not kind:
                return ListingPage(articles=[])
            return ListingPage([], base_url + self.endpoint.format(type=kind, token=token))
        items = dig(json.loads(response.text), self.items_key) or []
        hrefs = [str(item.get(self.url_key) or "") for item in items if isinstance(item, dict)]
        urls = [response.urljoin(h) for h in hrefs if h]
        return ListingPage(urls, next_page_url(response.url, self.page_param) if urls else None)


@dataclass(frozen=True)
class PagedFragment:
    """An AJAX HTML fragment paged by a query parameter (OSChina ``…_list?p=1&type=ajax``)."""

    links_css: str
    page_param: str = "p"

    def links(self, response: TextResponse, base_url: str) -> ListingPage:
        hrefs = response.css(self.links_css).xpath("@href").getall()
        urls = [response.urljoin(h.strip()) for h in hrefs if h.strip()]
        return ListingPage(urls, next_page_url(response.url, self.page_param) if urls else None)
