"""Generic article extractor: any host without a portal parser (``portal-archive fetch URL``).

Metadata comes from the page's own declarations first (``<link rel=canonical>``, Open Graph,
``article:published_time``, JSON-LD), then from its markup (``<h1>``, ``<time datetime>``, a
date-looking line next to the headline). The body is found by trafilatura (the best-measured
extractor here, see ``docs/benchmarks.md``), keeping images and links. A page whose
extracted body is too short, mostly links or mostly headings (a login page, an index page)
is not an article: :class:`ParseError` for ``body``.

``extract_text`` is the benchmark entry point: the plain text of the body this parser stores
(``../shared/bench/extract_eval.py --extractor crawler.parsers.generic:extract_text``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from archive.boilerplate import CJK_WEIGHT, text_weight, trim_boilerplate
from archive.dates import RELATIVE, day_first, find_date, parse_page_date
from crawler.parsers.base import BaseParser, Page, ParseError, ParserProxy, attribute, first_text
from crawler.parsers.generic_body import (
    BLOCK_TAGS,
    PagePasses,
    element_text,
    extract_body,
    inner_html,
)
from crawler.parsers.generic_meta import (
    UPDATED_LABEL,
    byline_author,
    declared_author,
    printed_date,
)

TRAFILATURA_OPTIONS: dict[str, Any] = {
    "output_format": "html",
    "include_comments": False,
    "include_images": True,
    "include_links": True,
    "include_tables": True,
    "favor_precision": True,
}
"""Options of ``trafilatura.extract``; ``favor_precision`` measured best on both gold sets."""
RETRY_OPTIONS: tuple[dict[str, Any], ...] = ({}, {"favor_precision": False})
"""Overrides tried in turn until the body is an article: precision first, then recall."""

MIN_TEXT_WEIGHT = 250
"""Least text of an article body: characters, each CJK character counting ``CJK_WEIGHT``."""
MAX_LINK_SHARE = 0.5
"""Above this share of the body's text inside links (and no long paragraph): a list of links."""
LONG_PARAGRAPH = 200
"""Text weight of a paragraph that only articles have (a deal or story, not a teaser)."""
MAX_HEADING_SHARE = 0.5
"""Above this share of the body's text inside headings, the page is a list of headlines."""

_TITLE_SEPARATORS = re.compile(r"\s+[-|–—·•»]\s+|\s*[|｜_]\s*|\s*-{2,}\s*|\s+::\s+")
_DOMAIN = re.compile(r"^(?:[\w-]+\.)+[a-z]{2,}$", re.I)
_SUFFIX_SEPARATOR = r"[-|–—·•»_｜:：]"
DATE_WITH_TIME = re.compile(
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*\d{1,2}\s*[:：]\s*\d{2}"
    r"(?:\s*[:：]\s*\d{2})?"
)
"""A full date with a clock time: a posting stamp, taken anywhere after the headline."""
DATE_LABELLED = re.compile(
    r"(?:发布时间|发表时间|发布日期|发表日期|发稿时间|更新时间|发表于|时间|日期"
    r"|Published(?: on)?|Posted(?: on)?(?: the)?|Updated(?: on)?|Date"
    r"|Veröffentlicht(?: am)?|Publié(?: le)?|Publicado(?: el| em)?|Pubblicato(?: il)?"
    r"|Gepubliceerd(?: op)?|Datum|Fecha|Data)\s*[:：]?\s*(?P<rest>.{0,40})",
    re.I,
)
"""A label before a date (``发布时间：2022-02-13 04:22``), trusted anywhere on the page."""

_BLOCKS = BLOCK_TAGS - {"body"}
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def plain_text(fragment: str) -> str:
    """Text of an HTML fragment: one line per block, table cells apart, whitespace collapsed."""
    if not fragment.strip():
        return ""
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for node in root.iter():
        if node.tag in _BLOCKS:
            node.text = "\n" + (node.text or "")
            node.tail = "\n" + (node.tail or "")
        elif node.tag in {"td", "th"}:
            node.tail = " " + (node.tail or "")
        elif node.tag == "br":
            node.tail = "\n" + (node.tail or "")
    lines = (" ".join(line.split()) for line in _text(root).splitlines())
    return "\n".join(line for line in lines if line)


def extract_text(html: str, url: str) -> str:
    """Plain text of the article body the generic parser stores ('' for a page without one).

    The text of the extracted element itself: ``clean_body`` (which the stored body goes
    through) removes no text from trafilatura's output, so it is not run here.
    """
    page = Page.from_html(html, url or "http://localhost/")
    try:
        return element_text(GenericParser.V1().body_element(page))
    except ParseError:
        return ""


def _json_ld(page: Page) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of the page, ``@graph`` members and list items included."""
    for raw in page.selector.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                yield node
                stack.extend(v for k, v in node.items() if k == "@graph")


def _site_names(page: Page) -> set[str]:
    host = (urlsplit(page.url).hostname or "").lower().removeprefix("www.")
    names = {host}
    for key in ("og:site_name", "application-name", "twitter:site"):
        names.add(page.meta.get(key, "").strip().lstrip("@").lower())
    return {n for n in names if n}


def strip_site_suffix(title: str, site_names: set[str], *, split: bool = True) -> str:
    """``Headline | Site`` → ``Headline``: drop trailing segments that name the site.

    With ``split`` (a ``<title>``), a title still made of several segments keeps its longest
    one that is not a domain name.

    >>> strip_site_suffix("国产传感器良率突破九成_芯闻速递", {"芯闻速递"})
    '国产传感器良率突破九成'
    >>> strip_site_suffix("Relays rewired - Power | The Ledger", {"the ledger"})
    'Relays rewired'
    """
    text = title.strip()
    names = "|".join(re.escape(n) for n in sorted(site_names, key=len, reverse=True))
    if names:
        suffix = re.compile(rf"(?:\s*{_SUFFIX_SEPARATOR}+\s*|\s+)(?:{names})$", re.I)
        while (match := suffix.search(text)) and match.start() > 0:
            text = text[: match.start()].rstrip()
    if split:
        parts = [p.strip() for p in _TITLE_SEPARATORS.split(text) if p.strip()]
        parts = [p for p in parts if not _DOMAIN.match(p)] or parts
        text = max(parts, key=len) if parts else text
    return text


def _text(node: Any) -> str:
    return "".join(node.itertext())


def _text_share(root: Any, tags: tuple[str, ...], total: int) -> float:
    inside = sum(text_weight(_text(node)) for node in root.iter(*tags))
    return inside / total if total else 0.0


def not_an_article(root: Any, page_prose: int | None = None) -> str | None:
    """Why an extracted body (an lxml element) is not an article, or ``None`` when it is one.

    With ``page_prose`` (:func:`prose_length` of the page), a body under ``MIN_TEXT_WEIGHT``
    is a short article when it is most of what the page has to say (:func:`short_article`).
    """
    text = _text(root)
    total = text_weight(text)
    if total < MIN_TEXT_WEIGHT and (page_prose is None or not short_article(text, page_prose)):
        return f"text weight {total} < {MIN_TEXT_WEIGHT}"
    # a paragraph has at most 3 weight per character: shorter ones cannot be long; the first
    # long one settles it (the link share is only measured on a body without one)
    texts = (_text(p) for p in root.iter("p"))
    long_paragraph = any(
        text_weight(t) >= LONG_PARAGRAPH for t in texts if CJK_WEIGHT * len(t) >= LONG_PARAGRAPH
    )
    if not long_paragraph and _text_share(root, ("a",), total) > MAX_LINK_SHARE:
        return "mostly links"
    if _text_share(root, _HEADINGS, total) > MAX_HEADING_SHARE:
        return "mostly headings"
    return None


SHORT_ARTICLE_SHARE = 3
"""A body shorter than ``MIN_TEXT_WEIGHT`` holds at least 1/``SHORT_ARTICLE_SHARE`` of its page's
prose when it is a short article (a two-line blog post, a news brief)."""


def short_article(text: str, page_prose: int) -> bool:
    """Whether ``text``, a body under ``MIN_TEXT_WEIGHT``, is a whole short article: its page
    has prose (``page_prose`` characters in text nodes of ``PROSE_RUN``+ characters; a login
    form or an empty shell has none) and the body is a good share of it, not one caption or
    slogan of a long page whose article was missed."""
    length = len(" ".join(text.split()))
    return page_prose > 0 and SHORT_ARTICLE_SHARE * length >= page_prose


URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d\d)[/-](?P<m>0[1-9]|1[0-2])[/-](?P<d>0[1-9]|[12]\d|3[01])(?:[/-]|$)"
)
"""A day in a URL's path (``/2025/12/15/slug``, ``/articles/2025-12-15-title``)."""


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_CLOCK = re.compile(r"\d{1,2}\s*[:：时]\s*\d{2}|\b\d{1,2}\s*[ap]\.?m\b", re.I)
_PUBLISHED_KEY = re.compile(r"publish(?:ed)?[-_.:]?(?:date|time|on|at)|pub[-_.:]?date", re.I)
"""Other ``<meta>`` keys that hold the publication date (``w-published-date``)."""


MIN_HEADLINE_CHARS = 10
"""A shorter ``<h1>`` (``Blog``, ``News``) is a section's name, not the article's headline."""
MIN_SHARED_WORDS = 0.2
"""Share of the ``<h1>``'s words the declared title must have for the two to be one story."""
MAX_HEADLINES = 2
"""A page with more ``<h1>`` uses them as section headings."""


_HAN = "\u3400-\u4dbf\u4e00-\u9fff"


def _title_tokens(text: str) -> set[str]:
    """Lower-case words, each Han character one word."""
    return set(re.findall(rf"[{_HAN}]|[^\W{_HAN}]+", text.lower()))


_SEGMENT = re.compile(r"\s+[|\-–—]\s+")


def _strip_host_segment(title: str, url: str) -> str:
    """``Post title | Artlyst`` on ``artlyst.com`` → ``Post title``: a first or last segment
    that spells the host's name (letters and digits, any case) is the site's."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    label = re.sub(r"\W", "", host.rsplit(".", 2)[-2] if "." in host else host)
    parts = _SEGMENT.split(title)
    if len(parts) < 2 or len(label) < 4:
        return title
    spelled = [len(p) >= 4 and re.sub(r"\W", "", p.lower()) in label for p in parts]
    if spelled[-1]:
        return title[: title.rindex(parts[-1])].rstrip(" |-–—")
    if spelled[0]:
        return title[len(parts[0]) :].lstrip(" |-–—")
    return title


def _names_the_site(og_title: str, title: str, url: str) -> bool:
    """Whether ``og:title`` is only the site's name: the host's name (``Robomow`` on
    ``www.robomow.com``), ending a longer ``<title>`` after a separator."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    if og_title.lower().replace(" ", "") != host.split(".")[0]:
        return False
    if not title or og_title == title or not title.endswith(og_title):
        return False
    return bool(re.search(rf"{_SUFFIX_SEPARATOR}\s*$", title[: -len(og_title)]))


def _utc(stamp: str) -> datetime | None:
    parsed = parse_page_date(stamp, tz="UTC")
    return parsed.astimezone(UTC) if parsed else None


def _same_day(declared: str, printed: str, day_first: bool = False) -> bool:
    """Whether a declared stamp and a printed date are the same day, give or take the zone."""
    stamp = parse_page_date(declared, tz="UTC")
    day = parse_page_date(printed, tz="UTC", day_first=day_first)
    if stamp is None or day is None:
        return False
    return abs((stamp.astimezone(UTC).date() - day.date()).days) <= 1


class GenericParser(ParserProxy):
    class V1(BaseParser):
        """Any article page: declarations (canonical, Open Graph, JSON-LD) + trafilatura body."""

        VERSION = "V1"
        CANONICAL: ClassVar[str] = 'link[rel="canonical"]::attr(href)'
        HEADLINE: ClassVar[str] = "article h1, main h1, h1"
        TIME: ClassVar[str] = "article time[datetime], time[datetime]"
        DATE_NODES: ClassVar[str] = (
            "[itemprop=datePublished], [class*=time], [class*=date], [id*=time], [id*=date]"
        )
        AUTHOR_NODES: ClassVar[str] = (
            "[itemprop=author], [rel=author], [class*=byline], [class*=by-line], "
            "[class*=author-name], "
            "[class=author], [class*=article-author], [class*=authorName], [class*=AuthorName], "
            "[class*=author_name], [class*=author__name], [class*=creator-name]"
        )
        """Elements that mark the byline (their short text is taken after labelled bylines)."""
        DATE_NODE_CHARS: ClassVar[int] = 200
        """Date-looking text is looked for in short nodes only (not a whole page column)."""
        TEXTS: ClassVar[str] = (
            "//body//text()[normalize-space()]"
            "[not(ancestor::script or ancestor::style or ancestor::noscript)]"
        )
        AFTER_HEADLINE_TEXTS: ClassVar[int] = 12
        """Text nodes after the headline searched for a date (the byline area)."""
        PUBLISHED_META: ClassVar[tuple[str, ...]] = (
            "article:published_time",
            "og:article:published_time",
            "og:published_time",
            "datepublished",
            "pubdate",
            "publishdate",
            "publish-date",
            "publish_date",
            "parsely-pub-date",
            "sailthru.date",
            "dc.date.issued",
            "dc.date",
            "dcterms.created",
            "article.published",
            "published",
            "date",
        )

        @attribute
        def canonical_url(self, page: Page) -> str:
            href = page.selector.css(self.CANONICAL).get() or page.meta.get("og:url", "")
            return urljoin(page.url, href.strip()) if href.strip() else page.url

        @attribute
        def title(self, page: Page) -> str:
            names = _site_names(page)
            og_title = page.meta.get("og:title", "").strip()
            text = first_text(page.selector, "title")
            headline = first_text(page.selector, self.HEADLINE)
            if og_title and _names_the_site(og_title, text, page.url):
                names.add(og_title.lower())  # og:title "Robomow" of "Which mower … | Robomow"
            elif og_title:
                declared = _strip_host_segment(
                    strip_site_suffix(og_title, names, split=False), page.url
                )
                if self._reads_as_headline(headline, declared, text, names, page):
                    return headline  # the headline the reader sees, not the sharing title
                return declared
            if headline and headline.lower() not in names:
                if not text or headline == text:
                    return headline
                if text.endswith(headline):  # an <h1> logo: the site's name
                    names.add(headline.lower())
                elif headline in text or 2 * text_weight(headline) >= text_weight(
                    strip_site_suffix(text, names)
                ):
                    return headline
            if not text:
                raise ParseError("title", "no og:title, <h1> or <title>")
            return strip_site_suffix(text, names)

        def _reads_as_headline(
            self, h1: str, declared: str, title: str, names: set[str], page: Page
        ) -> bool:
            """Whether the page's ``<h1>`` is the article's headline rather than a logo, a
            section name or a dated line: about the same thing as the declared title (a fifth
            of its words, or Han characters, are in it), not the site's name, and one of at
            most two ``<h1>`` on the page (more are section headings)."""
            if len(h1) < MIN_HEADLINE_CHARS or h1.lower() in names or h1 == declared:
                return False
            if h1.isupper() and not declared.isupper() and not re.search(f"[{_HAN}]", h1):
                return False  # capitals for the eye (an uppercase headline, not an acronym)
            if title != h1 and title.endswith(h1):  # "Post title • Site" with the site's h1
                return False
            if find_date(h1, relative=False):
                return False
            words = _title_tokens(h1)
            shared = len(words & _title_tokens(declared)) / len(words) if words else 0.0
            if shared <= MIN_SHARED_WORDS:
                return False
            h1s = [t for t in page.selector.css("h1").xpath("normalize-space()").getall() if t]
            return len(h1s) <= MAX_HEADLINES

        @attribute
        def published(self, page: Page) -> str:
            declared = self._declared_date(page)
            texts = self._texts(page)
            printed = printed_date(texts, self._headlines(page))
            if printed and not declared:
                labelled = self._labelled_date(texts)
                if labelled and labelled[0] < printed.at:
                    # "发表于 2004年12月27日" above a "headline" that is really the blog's name
                    return self._absolute(labelled[1], page)
                return self._absolute(printed.text, page)
            if (
                printed
                and not (printed.updated or printed.before)
                and not _same_day(declared, printed.text, self._day_first(page))
            ):
                # the date a reader sees under the headline, when the declared one is another
                # day (a CMS's re-publication stamp, a template's placeholder)
                return self._absolute(printed.text, page)
            if declared:
                return declared
            for node in page.selector.css(self.DATE_NODES):
                value = node.attrib.get("content") or node.attrib.get("datetime") or ""
                text = " ".join(node.xpath(".//text()[not(ancestor::script)]").getall())
                if len(text) <= self.DATE_NODE_CHARS:
                    value += " " + text
                found = find_date(value)
                if found:
                    return self._absolute(found, page)
            for label in DATE_LABELLED.finditer("\n".join(texts)):
                found = find_date(label.group("rest"))
                if found and label.group("rest").lstrip().startswith(found[:2]):
                    return self._absolute(found, page)
            for node in page.selector.css(self.AUTHOR_NODES)[:3]:
                # a date printed beside the byline ("By Jane Doe - Mar 27, 2024"), in the
                # byline's own box (its parent) when that box is short
                for box in (node, *node.xpath("..")):
                    text = " ".join(box.xpath(".//text()[not(ancestor::script)]").getall())
                    found = find_date(text, relative=False) if len(text) <= 200 else None
                    if found:
                        return self._absolute(found, page)
            for byline in self._after_headline(page, texts):
                found = find_date(byline, relative=False)
                if found:
                    return self._absolute(found, page)
            for after in self._after_headline(page, texts, window=len(texts)):
                match = DATE_WITH_TIME.search(after)
                if match:
                    return self._absolute(match.group(0), page)
            for url in (self.canonical_url(page), page.url):
                match = URL_DATE.search(urlsplit(url).path)
                if match:  # /2025/12/15/slug or /2025-12-15-slug: a day, no time
                    return "-".join(match.group("y", "m", "d"))
            raise ParseError("published", "no date meta, JSON-LD, <time> or date-looking text")

        @staticmethod
        def _labelled_date(texts: list[str]) -> tuple[int, str] | None:
            """The first date after a publication label (``发表于``, ``Published``; not
            ``Updated``) and the index of its text."""
            joined = "\n".join(texts)
            for labelled in DATE_LABELLED.finditer(joined):
                if UPDATED_LABEL.search(labelled.group(0)[: labelled.start("rest")]):
                    continue
                found = find_date(labelled.group("rest"))
                if found and labelled.group("rest").lstrip().startswith(found[:2]):
                    return joined.count("\n", 0, labelled.start("rest")), found
            return None

        def _declared_date(self, page: Page) -> str:
            """The publication date the page declares (``<meta>``, JSON-LD, ``<time>``), if it
            has a year (``<time datetime="Apr 12">`` is no date: its year would be guessed)."""
            for value in [page.meta.get(key, "") for key in self.PUBLISHED_META]:
                if _YEAR.search(value):
                    return value.strip()
            # other keys (``published-date``, ``w-published-date``): of two, the earlier is the
            # publication and the later a re-publication or the time the page was rendered
            others = [v.strip() for k, v in page.meta.items() if _PUBLISHED_KEY.search(k)]
            stamps = [(d, v) for v in others if _YEAR.search(v) and (d := _utc(v)) is not None]
            if stamps:
                return min(stamps)[1]
            for data in _json_ld(page):
                for key in ("datePublished", "dateCreated"):
                    stamp = data.get(key)
                    if isinstance(stamp, str) and _YEAR.search(stamp):
                        return stamp.strip()
            marked = page.selector.css("[itemprop=datePublished]").xpath("@content | @datetime")
            for value in [
                *marked.getall(),
                *page.selector.css(self.TIME).xpath("@datetime").getall(),
            ]:
                if _YEAR.search(value):
                    return value.strip()
            return ""

        def _headlines(self, page: Page) -> list[str]:
            """The page's title and its first ``<h1>`` (they differ on many pages)."""
            try:
                title = self.title(page)
            except ParseError:
                return []
            h1 = first_text(page.selector, self.HEADLINE)
            related = h1 and (h1 in title or title in h1 or h1[:12].lower() == title[:12].lower())
            return [title, h1] if related and h1 != title else [title]

        def _absolute(self, found: str, page: Page) -> str:
            """A date found in the text as ISO 8601: naive when the page printed a clock time
            (the normalizer reads it in the portal's zone), with an offset when it was relative
            (``3 小时前`` is counted back from now)."""
            stamp = parse_page_date(found, self.now(), day_first=self._day_first(page))
            if stamp is None:
                return found
            if RELATIVE.fullmatch(found.strip()):
                return stamp.isoformat()
            if not _CLOCK.search(found):  # a day, no time: kept as a day (no midnight invented)
                return stamp.date().isoformat()
            return stamp.replace(tzinfo=None).isoformat(sep=" ")

        def _day_first(self, page: Page) -> bool:
            """Whether the page prints ``08/12/2021`` day first (its language, its host)."""
            return day_first(self.language(page), page.url)

        @staticmethod
        def now() -> datetime:
            """The moment relative dates count back from (the parse, i.e. about the fetch)."""
            return datetime.now(UTC)

        def _after_headline(self, page: Page, texts: list[str], window: int = 0) -> Iterator[str]:
            """The few texts after each occurrence of the headline (the byline area)."""
            try:
                title = self.title(page)
            except ParseError:
                return
            for i, text in enumerate(texts):
                if text and (text == title or (len(text) >= len(title) // 2 and text in title)):
                    yield " ".join(texts[i + 1 : i + 1 + (window or self.AFTER_HEADLINE_TEXTS)])

        @attribute
        def author(self, page: Page) -> str:
            """The byline: declared (``<meta name=author>``, JSON-LD) or printed; '' if none."""
            sites = _site_names(page)
            declared = declared_author(dict(page.meta), _json_ld(page), sites)
            if declared:
                return declared
            try:
                title = self.title(page)
            except ParseError:
                title = ""
            marked = [
                " ".join(" ".join(node.xpath(".//text()").getall()).split())
                for node in page.selector.css(self.AUTHOR_NODES)[:3]
            ]
            printed = byline_author(self._texts(page), title, marked)
            return printed or declared_author(
                dict(page.meta), _json_ld(page), sites, site_signs=True
            )

        def _texts(self, page: Page) -> list[str]:
            """The page's visible text nodes, whitespace collapsed (computed once per page)."""
            cache = self.__dict__.setdefault("_texts_cache", {})
            if id(page) not in cache:
                texts = page.selector.xpath(self.TEXTS).getall()
                cache.clear()
                cache[id(page)] = [" ".join(t.split()) for t in texts]
            texts_of_page: list[str] = cache[id(page)]
            return texts_of_page

        @attribute
        def source(self, page: Page) -> str:
            site = page.meta.get("og:site_name", "").strip()
            return site or (urlsplit(page.url).hostname or "").removeprefix("www.")

        @attribute
        def language(self, page: Page) -> str:
            """``<html lang>`` (or ``og:locale``) as declared, e.g. ``zh-CN``; '' when absent."""
            lang = page.selector.xpath("/html/@lang").get() or page.meta.get("og:locale", "")
            return lang.strip().replace("_", "-")

        @attribute
        def body(self, page: Page) -> str:
            return inner_html(self.body_element(page))

        def body_element(self, page: Page) -> Any:
            """The article body as an lxml ``<body>`` element (``ParseError`` if none)."""
            reason = "no main content found"
            short = None  # a short article: the last mode's (default mode reads short pages best)
            passes = PagePasses(page.selector.root)  # what the retries' passes share
            for retry in RETRY_OPTIONS:
                root = extract_body(passes, page.url, {**TRAFILATURA_OPTIONS, **retry})
                if root is None:
                    continue
                trim_boilerplate(root, self._page_urls(root, page), text_weight)
                reason = not_an_article(root) or ""
                if not reason:
                    self._drop_headline(root, page)
                    return root
                if reason.startswith("text weight") and not not_an_article(root, passes.prose):
                    short = root
            if short is not None:
                self._drop_headline(short, page)
                return short
            raise ParseError("body", f"page with no article ({reason})")

        def _page_urls(self, root: Any, page: Page) -> set[str]:
            """The page's own URLs (its address, its canonical one) that ``trim_boilerplate``
            drops as lines of the body ``root``. The canonical one (a web address, resolved
            against the page's) is only looked up when the body holds a web address at all."""
            if "://" in page.url and "://" not in _text(root):
                return {page.url}
            return {page.url, self.canonical_url(page)}

        def _drop_headline(self, root: Any, page: Page) -> None:
            """Remove a leading heading that repeats the title (it is in the front matter)."""
            first = next(iter(root), None)
            if first is None or first.tag not in _HEADINGS or (root.text or "").strip():
                return
            try:
                title = self.title(page)
            except ParseError:
                return
            heading = " ".join(_text(first).split())
            if heading and heading in title:
                tail = first.tail or ""
                root.remove(first)
                root.text = tail

    versions = (V1,)
    clean = False  # the extractor trims its own output (trim_boilerplate)
