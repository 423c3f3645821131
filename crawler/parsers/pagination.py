"""An article's own pagination: the URL of its next page, never the next story.

A long article is split over pages by its site: OFweek ``ART-…-30572367_2.html``, WordPress
``…/slug/2/`` (Ars Technica's ``nav.page-numbers``), ``?page=2``. A page announces its next
one by ``<link rel="next">``, an ``<a rel="next">`` or a "next" link of a page-number bar
(``Next →``, ``下一页``). The same markup also links the *next story* (Ars's ``rel="next"``
"Next story"), so a candidate counts only when its URL is a page of the same article:
:func:`page_number` of the first page's URL.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml import etree
from parsel import css2xpath

from crawler.parsers.base import Page

NEXT_LINKS = (
    'link[rel~="next"]::attr(href)',
    "nav.page-numbers a:has(span.next)::attr(href)",
    ".page-numbers a.next::attr(href)",
    ".pagination a.next::attr(href)",
    'a[rel~="next"]::attr(href)',
)
"""Where a page may say what its next page is, in order of trust."""
NEXT_TEXT = '//a[normalize-space(.)="下一页" or normalize-space(.)="下页"]/@href'
"""Chinese portals' "next page" link (OFweek, many CMSs)."""
MAX_PAGES = 30
"""Most pages an article is followed to (a loop guard)."""

PAGE_QUERY = ("page", "p", "pg", "pageno")
_SUFFIX_PAGE = re.compile(r"^(?P<stem>.+?)_(?P<n>\d{1,3})(?P<ext>\.s?html?)$")
_PATH_PAGE = re.compile(r"^(?P<stem>.+?)/(?P<n>\d{1,3})/?$")


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def page_number(first_url: str, url: str) -> int | None:
    """Which page of the article at ``first_url`` ``url`` is (``None``: another document).

    >>> page_number("https://www.ofweek.com/2022-08/ART-8100-2801-30572367.html",
    ...             "https://www.ofweek.com/2022-08/ART-8100-2801-30572367_2.html")
    2
    >>> page_number("https://arstechnica.com/gadgets/2016/08/the-renter/",
    ...             "http://arstechnica.com/gadgets/2016/08/the-renter/3/")
    3
    >>> page_number("https://arstechnica.com/a/2015/04/story/",
    ...             "https://arstechnica.com/gaming/2015/04/other-story/") is None
    True
    """
    first, other = urlsplit(first_url), urlsplit(url)
    if _host(first_url) != _host(url):
        return None
    first_path, path = first.path, other.path
    if path.rstrip("/") == first_path.rstrip("/"):
        query = dict(parse_qsl(other.query))
        for key in PAGE_QUERY:
            if query.get(key, "").isdigit() and dict(parse_qsl(first.query)).get(key) is None:
                return int(query[key])
        return 1
    suffix = _SUFFIX_PAGE.match(path)
    if suffix and first_path == suffix.group("stem") + suffix.group("ext"):
        return int(suffix.group("n"))
    paged = _PATH_PAGE.match(path)
    if paged and paged.group("stem").rstrip("/") == first_path.rstrip("/"):
        return int(paged.group("n"))
    return None


_REL_OR_CLASS_IS = re.compile(r"\b(?:rel|class)\s*=\s*$", re.I)
"""What stands before the value of a ``rel`` or ``class`` attribute (its quote excluded)."""
_NAME_WINDOW = 40
"""How far before an attribute's value its name is looked for (``class =  "``)."""
_UNQUOTED_VALUE = re.compile(r"[^\s\"'=<>`]*")
_NEXT_TEXT_HTML = re.compile(r"下(?:<!--.*?-->|<[^>]*>)*一?(?:<!--.*?-->|<[^>]*>)*页", re.S)
"""下一页/下页 in the HTML, tags or comments allowed between the characters (a link's text
split by inner tags: ``下<span>一</span>页``)."""
_MARK_REFERENCES = re.compile(
    r"&#(?:0*(?:101|110|116|120|19968|19979|39029)(?!\d)"
    r"|[xX]0*(?:65|6[eE]|74|78|4[eE]00|4[eE]0[bB]|9875)(?![0-9a-fA-F]))"
)
"""A character reference spelling a letter of ``next`` or a character of ``下一页``
(attribute values match case by case: only ``next`` in lower case counts)."""


def may_have_next_page(html: str) -> bool:
    """A cheap look at a page's HTML: ``False`` when :func:`next_page_url` must find nothing
    (most pages), so the page need not be parsed for it here.

    ``True`` when a ``next`` stands in a ``rel`` or ``class`` attribute (:data:`NEXT_LINKS`),
    when 下一页/下页 is written with at most tags between its characters (:data:`NEXT_TEXT`),
    or when a character reference could spell either. It may say ``True`` for a page without
    a next link (``class="next-story"``), never ``False`` for one with it (the crawl would
    archive a multi-page article as its first page): on the 2,024 real pages of
    ``../shared/bench-data`` it says ``True`` for the 224 the XPath finds a next link on and
    for 398 more, ``False`` for the other 1,402 (a ``next`` in a script or a text does not
    count), in about 0.25 ms per page (``tests/test_multipage.py`` checks it on them).

    >>> may_have_next_page('<a href="/a_2.html">下<b>一</b>页</a>'), may_have_next_page("<p>x</p>")
    (True, False)
    >>> may_have_next_page('<link rel="next" href="/2/">'), may_have_next_page("<p>Next</p>")
    (True, False)
    """
    if _MARK_REFERENCES.search(html):
        return True
    if "下" in html and _NEXT_TEXT_HTML.search(html):
        return True
    at = html.find("next")  # attribute values match case by case (rel="Next" is no link)
    while at >= 0:
        if _in_rel_or_class(html, at):
            return True
        at = html.find("next", at + 4)
    return False


def _in_rel_or_class(html: str, at: int) -> bool:
    """Whether the text at ``at`` may lie in the value of a ``rel`` or ``class`` attribute:
    after ``rel="`` (or ``'``) with no such quote between, or in an unquoted value."""
    for quote in ('"', "'"):
        opening = html.rfind(quote, 0, at)
        if opening >= 0 and _REL_OR_CLASS_IS.search(html, max(0, opening - _NAME_WINDOW), opening):
            return True
    equals = html.rfind("=", 0, at)
    if equals < 0 or _UNQUOTED_VALUE.fullmatch(html, equals + 1, at) is None:
        return False
    return _REL_OR_CLASS_IS.search(html, max(0, equals + 1 - _NAME_WINDOW), equals + 1) is not None


@functools.cache
def _any_next_link() -> etree.XPath:
    """Every place of :data:`NEXT_LINKS` and :data:`NEXT_TEXT` as one compiled XPath: most
    pages have none, and one evaluation tells."""
    return etree.XPath(" | ".join([*(css2xpath(css) for css in NEXT_LINKS), NEXT_TEXT]))


def has_next_link(page: Page) -> bool:
    """Whether ``page`` has a link where :data:`NEXT_LINKS` or :data:`NEXT_TEXT` look (of any
    document: the next story too)."""
    return bool(_any_next_link()(page.selector.root))


def next_page_url(page: Page, first_url: str, current: int) -> str | None:
    """The URL of page ``current + 1`` of the article whose first page is ``first_url``, as
    ``page`` (page ``current``) links it; ``None`` on the last page."""
    if current >= MAX_PAGES:
        return None
    if not has_next_link(page):
        return None
    candidates = [href for css in NEXT_LINKS for href in page.selector.css(css).getall()]
    candidates += page.selector.xpath(NEXT_TEXT).getall()
    for href in candidates:
        url = urljoin(page.url, href.strip())
        if page_number(first_url, url) == current + 1:
            return url
    return None


def first_page_url(page: Page, canonical: str) -> str:
    """The article's first-page URL: its canonical URL when on the page's host, else the page's."""
    if canonical and _host(canonical) == _host(page.url):
        return canonical
    return page.url
