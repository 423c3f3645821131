"""Field helpers shared by portal parsers: body without furniture, JSON states, meta tags."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from lxml import html as lxml_html
from parsel import Selector

from crawler.parsers.base import Page


def body_without(selector: Selector, css: str, drop_css: tuple[str, ...] = ()) -> str:
    """Inner HTML of the first ``css`` node with the ``drop_css`` descendants removed.

    For furniture that only one portal puts inside its body (cnBeta's ``.article-global``);
    the general furniture list lives in ``pipelines.normalize``.
    """
    nodes = selector.css(css)
    if not nodes:
        return ""
    root = copy.deepcopy(nodes[0].root)
    for drop in drop_css:
        for node in root.cssselect(drop):
            node.drop_tree()  # keeps the tail text
    text = root.text or ""
    return text + "".join(lxml_html.tostring(child, encoding="unicode") for child in root)


def state_json(page: Page, pattern: str) -> Any:
    """The JSON a ``<script>`` assigns, captured by ``pattern``'s first group (``None`` if absent).

    ``window.initialState={…}`` (36氪) or ``window.__INITIAL_STATE__={…};(function…``
    (虎嗅): the pattern says where the JSON ends.
    """
    regex = re.compile(pattern, re.S)
    for script in page.selector.xpath("//script/text()").getall():
        match = regex.search(script)
        if match:
            try:
                return json.loads(match.group(1))
            except ValueError:
                return None
    return None


def dig(data: Any, path: str) -> Any:
    """``dig(state, "a.b.c")``: nested dict lookup, ``None`` when any key is missing."""
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def canonical_href(page: Page) -> str:
    """``<link rel=canonical href>`` ('' when absent), as found."""
    return (page.selector.css('link[rel="canonical"]::attr(href)').get() or "").strip()
