"""Parser building blocks: a page parsed once, one method per field, versions by layout.

Modelled on Fundus (``ParserProxy`` with nested versions, ``@attribute`` methods) and
web-poet's ``layout_switch``: a portal module declares versions newest first and each
version says whether a page is in its layout.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Literal, TypeVar

from lxml import etree
from parsel import Selector, css2xpath

from archive.boilerplate import clean_container

logger = logging.getLogger(__name__)

ErrorPolicy = Literal["raise", "suppress"]
F = TypeVar("F", bound=Callable[..., Any])

REQUIRED_FIELDS = ("title", "body")
"""Fields without which a page is not an article (the validate pipeline drops such items)."""


class ParseError(ValueError):
    """A field could not be extracted from a page."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field_name = field_name
        self.reason = reason


class ExtractorError(RuntimeError):
    """A field method failed with an unexpected exception where the page cannot be an article
    without that field (title, body), or a module it needs cannot be imported: the page's
    failure names the exception (``extractor failed: body: ImportError: …``) instead of
    reading as a page without an article."""

    def __init__(self, field_name: str, error: BaseException) -> None:
        message = " ".join(str(error).split())  # one line, whatever the exception says
        super().__init__(f"extractor failed: {field_name}: {type(error).__name__}: {message}")
        self.field_name = field_name


@dataclass(frozen=True)
class Page:
    """A fetched page, parsed once and shared by every field method."""

    url: str
    selector: Selector

    @classmethod
    def from_html(cls, html: str, url: str) -> Page:
        # type="html": parsel would read a body such as "[]" or "1" as JSON and refuse XPath
        return cls.from_selector(Selector(text=html, type="html", base_url=url), url)

    @classmethod
    def from_selector(cls, selector: Selector, url: str) -> Page:
        """A page from an already parsed document (e.g. ``response.selector``)."""
        return cls(url=url, selector=selector)

    @functools.cached_property
    def meta(self) -> Mapping[str, str]:
        """``<meta name|property=… content=…>`` values, lower-cased keys (read on first use:
        most portal parsers never look)."""
        meta: dict[str, str] = {}
        for node in self.selector.xpath("//head/meta[@content]"):
            # attributes by XPath, not ``node.attrib``: lxml's dict view raises on hostile
            # attribute names such as ``{}"`` (read as a namespace)
            key = node.xpath("@name").get() or node.xpath("@property").get()
            if key:
                meta.setdefault(key.lower(), node.xpath("@content").get() or "")
        return meta


def attribute(func: F) -> F:
    """Mark a parser method as the extractor of the field of the same name."""
    func.__dict__["_is_attribute"] = True
    return func


@functools.lru_cache(maxsize=1024)
def compiled_css(css: str) -> etree.XPath:
    """``css`` (with parsel's ``::text`` and ``::attr()``) as a compiled XPath: what
    ``selector.css(css)`` evaluates, without compiling it again and wrapping every match in a
    parsel ``Selector`` (a portal parser runs about ten queries per page)."""
    return etree.XPath(css2xpath(css), smart_strings=False)


_TEXTS = etree.XPath(".//text()", smart_strings=False)
_CHILD_NODES = etree.XPath("node()", smart_strings=False)


def css_matches(selector: Selector, css: str) -> list[Any]:
    """The matches of ``css`` in ``selector``'s document: lxml elements, or strings for
    ``::text`` and ``::attr()`` (as ``[s.root for s in selector.css(css)]``)."""
    result = compiled_css(css)(selector.root)
    return result if isinstance(result, list) else []


def first_text(selector: Selector, css: str) -> str:
    """Whitespace-joined text of the first node matching ``css`` ('' when none)."""
    nodes = css_matches(selector, css)
    if not nodes:
        return ""
    return " ".join(t.strip() for t in _TEXTS(nodes[0]) if t.strip())


def node_html(node: Any) -> str:
    """A node as parsel's ``Selector.get()`` serializes it (text as is, elements and comments
    as HTML without their tail)."""
    if isinstance(node, str):
        return node
    return str(etree.tostring(node, method="html", encoding="unicode", with_tail=False))


def inner_html(selector: Selector, css: str) -> str:
    """Inner HTML (children, text and comments) of the first node matching ``css``."""
    nodes = css_matches(selector, css)
    if not nodes:
        return ""
    return "".join(node_html(node) for node in _CHILD_NODES(nodes[0]))


class BaseParser:
    """One layout of a portal's article page. Subclass per version (``V2(V1)``)."""

    VERSION: ClassVar[str] = "V1"
    VALID_UNTIL: ClassVar[date | None] = None
    """Last day this layout was served (documentation; selection is by page content)."""

    @classmethod
    def matches(cls, page: Page) -> bool:
        """Whether ``page`` is in this version's layout. Override per version."""
        return True

    @classmethod
    def attributes(cls) -> list[str]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if getattr(value, "_is_attribute", False) and name not in names:
                    names.append(name)
        return names

    def parse(self, page: Page, errors: ErrorPolicy = "raise") -> tuple[dict[str, str], list[str]]:
        """Run every field method; return the values and the names of fields that failed.

        ``errors="raise"`` (tests) re-raises the first :class:`ParseError`;
        ``"suppress"`` (crawls) records the field name and yields ``""`` for it; an
        unexpected exception in a required field, or an ``ImportError`` anywhere, is raised as
        :class:`ExtractorError` (the page becomes a ``parser_crash`` failure naming it).
        """
        values: dict[str, str] = {}
        failed: list[str] = []
        for name in self.attributes():
            try:
                value = getattr(self, name)(page)
                if not value and name in REQUIRED_FIELDS:
                    raise ParseError(name, "empty")
            except ParseError:
                if errors == "raise":
                    raise
                failed.append(name)
                value = ""
            except Exception as exc:  # a bug in one field method must not lose the whole article
                if errors == "raise":
                    raise
                if name in REQUIRED_FIELDS or isinstance(exc, ImportError):
                    # no article without it (or the install is broken): never "no article"
                    raise ExtractorError(name, exc) from exc
                logger.exception("%s.%s crashed on %s", type(self).__name__, name, page.url)
                failed.append(name)
                value = ""
            values[name] = value
        return values, failed


@dataclass(frozen=True)
class ParseResult:
    parser: str
    """``<portal>.<version>``, stored with the article."""
    fields: dict[str, str]
    failed: list[str]


class ParserProxy:
    """A portal's parser: picks the version whose layout matches, newest first."""

    versions: ClassVar[tuple[type[BaseParser], ...]]
    clean: ClassVar[bool] = True
    """Whether the body goes through the shared cleaning stage
    (:func:`archive.boilerplate.clean_container`): the parser finds the article container,
    the cleaner removes the furniture inside it. Off for the generic extractor, which trims
    its own output."""

    def __init__(self, portal: str) -> None:
        self.portal = portal
        """The portal key (its spider's ``name``): results are labelled ``<portal>.<version>``."""

    def select(self, page: Page) -> BaseParser:
        for version in self.versions:
            if version.matches(page):
                return version()
        return self.versions[0]()

    def parse(self, page: Page, errors: ErrorPolicy = "raise") -> ParseResult:
        parser = self.select(page)
        fields, failed = parser.parse(page, errors=errors)
        if self.clean and fields.get("body"):
            fields["body"] = clean_container(fields["body"], {page.url})
            if not fields["body"] and "body" not in failed:  # nothing but furniture
                if errors == "raise":
                    raise ParseError("body", "only furniture in the container")
                failed.append("body")
        return ParseResult(parser=f"{self.portal}.{parser.VERSION}", fields=fields, failed=failed)
