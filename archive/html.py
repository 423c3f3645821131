"""The archive's HTML allow-lists and the sanitizer every stored body goes through."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import nh3
from lxml import html as lxml_html

STORE_TAGS: frozenset[str] = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "center",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)
"""Tags kept in stored bodies. Everything else is unwrapped (its text kept)."""

DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {
        "script",
        "style",
        "iframe",
        "noscript",
        "object",
        "embed",
        "form",
        "template",
        "svg",
        "math",
        "button",
        "select",
        "textarea",
        "frame",
        "frameset",
        "applet",
    }
)
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

STYLE_PROPERTIES: frozenset[str] = frozenset(
    {
        "background-color",
        "border",
        "border-collapse",
        "clear",
        "color",
        "display",
        "float",
        "font-size",
        "font-style",
        "font-weight",
        "height",
        "line-height",
        "list-style-type",
        "margin",
        "margin-bottom",
        "margin-left",
        "margin-right",
        "margin-top",
        "max-width",
        "padding",
        "padding-bottom",
        "padding-left",
        "padding-right",
        "padding-top",
        "text-align",
        "text-decoration",
        "text-indent",
        "vertical-align",
        "white-space",
        "width",
    }
)
"""CSS properties kept in ``style`` attributes: typography and box layout of the text, no
positioning (overlays), no ``url()``/``expression()`` values (beacons, old-IE script)."""

_STYLE_VALUE = re.compile(r"[-#%.,\w\s]*(?:(?:rgba?|hsla?)\([-#%.,\w\s/]*\)[-#%.,\w\s]*)*")
"""A declaration value of words, numbers, units, colours: no function but rgb()/hsl()."""

AttributeFilter = Callable[[str, str, str], str | None]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the control characters lxml refuses (``ValueError``): NUL, ESC, …

    Pages do contain them (a stray ``\\x1b`` or NUL in a CMS body); browsers ignore them.
    """
    return _NOT_XML.sub("", text)


def safe_style(value: str) -> str | None:
    """A ``style`` value with only the declarations of :data:`STYLE_PROPERTIES` and plain values.

    A value that is already safe comes back unchanged, byte for byte (legacy bodies keep
    ``text-indent: 2em;``); otherwise the safe declarations are kept, ``None`` when none is.

    >>> safe_style("text-indent: 2em; text-align: left;")
    'text-indent: 2em; text-align: left;'
    >>> safe_style("color: red; background: url(http://tracker.example/p.gif); position: fixed")
    'color: red'
    """
    kept: list[str] = []
    dropped = False
    for declaration in value.split(";"):
        name, colon, val = declaration.partition(":")
        if not declaration.strip():
            continue
        prop = name.strip().lower()
        if colon and prop in STYLE_PROPERTIES and _STYLE_VALUE.fullmatch(val.strip()):
            kept.append(f"{prop}: {val.strip()}")
        else:
            dropped = True
    if not dropped:
        return value
    return "; ".join(kept) or None


def _style_filter(chain: AttributeFilter | None) -> AttributeFilter:
    def _filter(tag: str, attr: str, value: str) -> str | None:
        if attr == "style":
            style = safe_style(value)
            if style is None:
                return None
            value = style
        return chain(tag, attr, value) if chain else value

    return _filter


def sanitize(
    html: str,
    *,
    attribute_filter: AttributeFilter | None = None,
    set_attributes: dict[str, dict[str, str]] | None = None,
) -> str:
    """Clean ``html`` with the archive allow-list (nh3/ammonia), ``style`` through
    :func:`safe_style`; idempotent.

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
        attribute_filter=_style_filter(attribute_filter),
        set_tag_attribute_values=set_attributes,
    )


def map_img_src(html: str, func: Callable[[str], str], **kwargs: object) -> str:
    """Return ``html`` (already sanitized) with every ``<img src>`` passed through ``func``."""

    def _filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            return func(value)
        return value

    return sanitize(html, attribute_filter=_filter, **kwargs)  # type: ignore[arg-type]


def _fragment(html: str) -> Any:
    """``html`` parsed by lxml as the children of one ``<div>``."""
    return lxml_html.fragment_fromstring(xml_safe(html), create_parent="div")


def img_refs(html: str) -> list[tuple[str, str]]:
    """``(src, alt)`` of every ``<img>`` with a ``src`` in document order."""
    if "<img" not in html:
        return []
    return _img_refs(_fragment(html))


def _img_refs(root: Any) -> list[tuple[str, str]]:
    return [
        (img.get("src", ""), img.get("alt", "") or "") for img in root.iter("img") if img.get("src")
    ]


TEXT_BLOCKS = (
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "table",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "hr",
    "center",
)
"""Elements whose end is a line break in plain text."""


def html_to_text(html: str) -> str:
    """Plain text of a body: paragraphs separated by newlines, whitespace collapsed."""
    if not html.strip():
        return ""
    return _text(_fragment(html))


def refs_and_text(html: str) -> tuple[list[tuple[str, str]], str]:
    """:func:`img_refs` and :func:`html_to_text` of one body, parsed once."""
    if not html.strip():
        return [], ""
    root = _fragment(html)
    refs = _img_refs(root)  # first: _text changes the tree
    return refs, _text(root)


def _text(root: Any) -> str:
    """Plain text of a parsed body (changes the tree's tails)."""
    for cell in root.iter("td", "th"):
        cell.tail = " " + (cell.tail or "")
    for block in root.iter(*TEXT_BLOCKS):
        block.tail = "\n" + (block.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)
