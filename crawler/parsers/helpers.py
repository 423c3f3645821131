"""Field helpers shared by portal parsers: body without furniture, JSON states, meta tags."""

from __future__ import annotations

import copy
import json
import re
from typing import Any, ClassVar
from urllib.parse import urljoin

from lxml import html as lxml_html
from parsel import Selector

from crawler.parsers.base import (
    BaseParser,
    Page,
    ParseError,
    attribute,
    css_matches,
    first_text,
    inner_html,
    node_html,
)


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
    found = css_matches(page.selector, 'link[rel="canonical"]::attr(href)')
    return (found[0] if found else "").strip()


def css_value(selector: Selector, css: str) -> str:
    """The first match of ``css``: an ``::attr()``/``::text`` value as is, else the node's text."""
    if "::" in css:
        found = css_matches(selector, css)
        return (node_html(found[0]) if found else "").strip()
    return first_text(selector, css)


class CssParser(BaseParser):
    """A layout whose fields are CSS selectors in class constants; most portal versions.

    ``TITLE``, ``TIME`` and the body are required: ``BODY`` (inner HTML of its first match,
    without ``FURNITURE``) or ``PARTS`` (several blocks, each wrapped in a ``<div>``).
    ``AUTHOR``, ``SOURCE`` and ``CHANNEL`` are optional (empty: the field stays empty). A version
    overrides a field's method only where it needs more (a JSON state, a meta tag).
    """

    TITLE: ClassVar[str] = ""
    TIME: ClassVar[str] = ""
    AUTHOR: ClassVar[str] = ""
    SOURCE: ClassVar[str] = ""
    CHANNEL: ClassVar[str] = ""
    BODY: ClassVar[str] = ""
    PARTS: ClassVar[tuple[str, ...]] = ()
    FURNITURE: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def matches(cls, page: Page) -> bool:
        return bool(css_matches(page.selector, cls.BODY or cls.PARTS[-1]))

    def _required(self, page: Page, name: str, css: str) -> str:
        value = css_value(page.selector, css) if css else ""
        if not value:
            raise ParseError(name, f"no text in {css}")
        return value

    def _optional(self, page: Page, css: str) -> str:
        return css_value(page.selector, css) if css else ""

    @attribute
    def canonical_url(self, page: Page) -> str:
        return urljoin(page.url, canonical_href(page))

    @attribute
    def title(self, page: Page) -> str:
        return self._required(page, "title", self.TITLE)

    @attribute
    def published(self, page: Page) -> str:
        return self._required(page, "published", self.TIME)

    @attribute
    def author(self, page: Page) -> str:
        return self._optional(page, self.AUTHOR)

    @attribute
    def source(self, page: Page) -> str:
        return self._optional(page, self.SOURCE)

    @attribute
    def category(self, page: Page) -> str:
        return self._optional(page, self.CHANNEL)

    @attribute
    def body(self, page: Page) -> str:
        if self.PARTS:
            parts = (body_without(page.selector, css, self.FURNITURE) for css in self.PARTS)
            return "".join(f"<div>{p.strip()}</div>" for p in parts if p.strip())
        if self.FURNITURE:
            return body_without(page.selector, self.BODY, self.FURNITURE).strip()
        return inner_html(page.selector, self.BODY).strip()


class JsonStateParser(BaseParser):
    """A layout whose article is a JSON object a ``<script>`` assigns (``window.initialState``).

    ``STATE_MARKER`` in the page's text selects the version, ``STATE_RE`` captures the JSON and
    ``DATA`` is the dotted path of the article in it; fields read it with :meth:`field`.
    """

    STATE_MARKER: ClassVar[str] = ""
    STATE_RE: ClassVar[str] = ""
    DATA: ClassVar[str] = ""

    def __init__(self) -> None:
        self._data: dict[str, Any] | None = None  # a version instance parses one page

    @classmethod
    def matches(cls, page: Page) -> bool:
        return cls.STATE_MARKER in page.selector.xpath("string(//body)").get("")

    def data(self, page: Page) -> dict[str, Any]:
        """The article object of the state, parsed once per page (``{}`` when absent)."""
        if self._data is None:
            found = dig(state_json(page, self.STATE_RE), self.DATA)
            self._data = found if isinstance(found, dict) else {}
        return self._data

    def field(self, page: Page, key: str) -> str:
        """The stripped string at the dotted ``key`` of the article ('' when absent)."""
        value = dig(self.data(page), key)
        return "" if value is None else str(value).strip()
