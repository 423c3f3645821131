"""The archive's HTML allow-lists and the sanitizer every stored body goes through."""

from __future__ import annotations

from collections.abc import Callable

import nh3
from lxml import html as lxml_html

STORE_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
        "dd", "del", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "img", "ins", "li", "mark", "ol", "p", "pre", "q", "s", "small",
        "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "u", "ul",
    }
)  # fmt: skip
"""Tags kept in stored bodies. Everything else is unwrapped (its text kept)."""

DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "iframe", "noscript", "object", "embed", "form", "template", "svg",
     "math", "button", "select", "textarea", "frame", "frameset", "applet"}
)  # fmt: skip
"""Tags removed together with everything inside them."""

_COMMON_ATTRS = {"style", "class", "title", "align", "lang", "dir"}
STORE_ATTRS: dict[str, set[str]] = {
    "*": _COMMON_ATTRS,
    "a": {"href", "target", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "width"},
    "th": {"colspan", "rowspan", "width"},
    "col": {"span", "width"},
    "table": {"border", "cellpadding", "cellspacing", "width"},
    "ol": {"start", "type"},
}
"""Attributes kept per tag (``*`` = every kept tag). No ``on*``, no ``srcset``, no ``data-*``."""

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
"""Link/image schemes kept; ``javascript:``, ``data:``, ``vbscript:`` … are dropped."""

AttributeFilter = Callable[[str, str, str], str | None]


def sanitize(
    html: str,
    *,
    attribute_filter: AttributeFilter | None = None,
    set_attributes: dict[str, dict[str, str]] | None = None,
) -> str:
    """Clean ``html`` with the archive allow-list (nh3/ammonia); idempotent.

    >>> sanitize('<p onclick="x()">hi<script>alert(1)</script></p>')
    '<p>hi</p>'
    """
    return nh3.clean(
        html,
        tags=set(STORE_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes=STORE_ATTRS,
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
        attribute_filter=attribute_filter,
        set_tag_attribute_values=set_attributes,
    )


def map_img_src(html: str, func: Callable[[str], str], **kwargs: object) -> str:
    """Return ``html`` (already sanitized) with every ``<img src>`` passed through ``func``."""

    def _filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            return func(value)
        return value

    return sanitize(html, attribute_filter=_filter, **kwargs)  # type: ignore[arg-type]


def img_refs(html: str) -> list[tuple[str, str]]:
    """``(src, alt)`` of every ``<img>`` with a ``src`` in document order."""
    if "<img" not in html:
        return []
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    return [
        (img.get("src", ""), img.get("alt", "") or "") for img in root.iter("img") if img.get("src")
    ]


TEXT_BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
               "pre", "figure", "figcaption", "table", "ul", "ol", "dl", "dt", "dd", "hr",
               "center")  # fmt: skip
"""Elements whose end is a line break in plain text."""


def html_to_text(html: str) -> str:
    """Plain text of a body: paragraphs separated by newlines, whitespace collapsed."""
    if not html.strip():
        return ""
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    for cell in root.iter("td", "th"):
        cell.tail = " " + (cell.tail or "")
    for block in root.iter(*TEXT_BLOCKS):
        block.tail = "\n" + (block.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)
