"""The generic parser's body: trafilatura on the page's own tree, parsed once.

:func:`extract_body` runs trafilatura's extraction (``bare_extraction``'s steps, driven by
:class:`PagePasses` so that several passes share one pruned copy) on the tree parsel already
built for every field, turns trafilatura's internal XML into simple HTML with its own
``convert_to_html`` and gives back that element: no HTML string is serialized and parsed
again, and nothing is computed that only ``trafilatura.extract`` needs (its content
fingerprint, a pretty-printed string). :func:`element_text` is the plain text of such an
element, block by block, as :func:`crawler.parsers.generic.plain_text` reads a fragment.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from archive.boilerplate import BLOCK_TAGS
from archive.normalize import LAZY_SRC_ATTRS

_IMAGE_ATTRS = (*LAZY_SRC_ATTRS, "srcset", "data-srcset")


def _image_url(img: Any) -> str:
    src = next((img.get(a) for a in LAZY_SRC_ATTRS if (img.get(a) or "").strip()), None)
    src = src or img.get("src") or (img.get("srcset") or "").split(" ")[0]
    return str(src or "").strip()


_IMAGE_EXTENSION = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|bmp|svg)(?:[?#]|$)", re.I)
ANCHOR_RUN = 20
"""Least characters of a text node that anchors an image to the extracted text."""
ANCHOR_CHARS = 60
"""Characters of an anchor text looked for in the extracted blocks."""


def _anchor_text(text: str) -> str:
    """The first ``ANCHOR_CHARS`` characters of ``text`` with its spaces collapsed, read from
    the start of a long text only (its start collapsed is the start of the whole collapsed)."""
    head = " ".join(text[: 4 * ANCHOR_CHARS].split())
    if len(head) >= ANCHOR_CHARS:
        return head[:ANCHOR_CHARS]
    return " ".join(text.split())[:ANCHOR_CHARS]


_IMAGE_UNITS = frozenset({"figure", "picture"})
"""Elements an image stands in with its caption: its next text is the one after them."""
_PIXEL_SIZES = frozenset({"0", "1", "2", "0px", "1px", "2px"})
AFTER_TEXTS = 2
"""Texts after an image looked for (the first may be a caption trafilatura leaves out)."""


class _PageImage:
    """An ``<img>`` of the page and the texts around it: the prose just before it and just
    after the figure it stands in (its caption is not an anchor)."""

    __slots__ = ("after", "before", "node")

    def __init__(self, node: Any) -> None:
        self.node = node
        self.before = ""
        self.after: list[str] = []


def _image_info(img: Any, base_url: str, host: str | None) -> tuple[str, str, bool] | None:
    """``img``'s absolute URL, ``alt`` and whether it links to another page of its site (a
    teaser's thumbnail); ``None`` when it is no image of the article: no real URL, a tracking
    pixel, or the link to another site (an ad, a partner's teaser); ``host``: ``base_url``'s."""
    src = _image_url(img)
    if not src or src.lower().startswith("data:"):
        return None
    if {img.get("width", "").strip(), img.get("height", "").strip()} & _PIXEL_SIZES:
        return None  # a tracking pixel
    link = next(img.iterancestors("a"), None)
    href = urljoin(base_url, (link.get("href") or "").strip()) if link is not None else ""
    page_link = bool(href) and not _IMAGE_EXTENSION.search(href)
    if page_link and urlsplit(href).hostname != host:
        return None
    return urljoin(base_url, src), img.get("alt") or "", page_link


_ANCHORS = etree.XPath(
    "//img[not(ancestor::noscript)]"
    "|//text()[string-length(.) >= $run][normalize-space()][not(ancestor::noscript)]",
    smart_strings=True,
)
"""The page's images and the text nodes long enough to anchor them, in page order (noscript:
tracking pixels, lazy images' doubles). Indentation (a text node of spaces alone) is left to
XPath: it anchors nothing, and the figure it would close is closed by the next node found."""


def _inside(node: Any, unit: Any) -> bool:
    return node is not None and (node is unit or any(a is unit for a in node.iterancestors()))


def _page_images(root: Any) -> tuple[list[_PageImage], dict[str, Any]]:
    """Every ``<img>`` of the page (not in ``<noscript>``), in page order, with its anchor
    texts; and the element each anchor text stands in. One XPath gives the images and the
    long text nodes in page order (no walk over every element in Python); an image in a
    ``<figure>``/``<picture>`` waits for the texts after it (its caption is no anchor)."""
    images: list[_PageImage] = []
    owners: dict[str, Any] = {}
    waiting: list[_PageImage] = []  # images whose next anchor text is still to come
    unit: Any = None  # the outermost figure/picture open at this point of the page
    in_unit: list[_PageImage] = []
    last = ""
    for found in _ANCHORS(root, run=ANCHOR_RUN):
        item: Any = found  # an <img>, or a text node ("smart string": its element, is_tail)
        is_text = isinstance(found, str)
        if is_text:
            parent = item.getparent()
            owner = parent.getparent() if item.is_tail else parent
        else:
            owner = item
        if unit is not None and not _inside(owner, unit):
            waiting.extend(in_unit)  # the figure is over: its images wait for the next text
            unit, in_unit = None, []
        if not is_text:
            image = _PageImage(item)
            image.before = last
            images.append(image)
            units = list(item.iterancestors(*_IMAGE_UNITS))
            if units and unit is None:
                unit = units[-1]
            (in_unit if unit is not None else waiting).append(image)
            continue
        if len(item.strip()) < ANCHOR_RUN:
            continue
        last = _anchor_text(item)
        owners.setdefault(last, owner)
        for image in waiting:
            image.after.append(last)
        waiting[:] = [image for image in waiting if len(image.after) < AFTER_TEXTS]
    return images, owners


def _article_element(body: Any, owners: dict[str, Any]) -> Any:
    """The page's element that holds the extracted text: the closest common ancestor of the
    first and the last block of ``body`` found in the page (``None`` if none is)."""
    texts = [_anchor_text("".join(b.itertext())) for b in body]
    found = [owners[t] for t in texts if t in owners]
    if not found:
        return None
    ancestors = {found[0], *found[0].iterancestors()}
    return next((e for e in (found[-1], *found[-1].iterancestors()) if e in ancestors), None)


_IMAGE_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "td", "dd")
_CONTAINERS = frozenset({"ul", "ol", "dl", "table", "tbody", "thead", "tr"})


def _place_images(body: Any, images: list[_PageImage], owners: dict[str, Any], url: str) -> None:
    """Put the page's images into the extracted ``body`` where they stood in the article:
    before the block that holds the text that followed them, else after the block that holds
    the text before them (not for an image that links to another page: a teaser's thumbnail).
    An image whose texts are not in the body was not in the article (teasers, logos, ads);
    nor is one that :func:`_image_info` refuses (the page's URL ``url`` resolves them)."""
    if not images:
        return
    blocks = list(body.iter(*_IMAGE_BLOCKS))
    if not blocks:
        return
    # the blocks' texts one after the other: the first block holding an anchor is found with
    # one str.find (an anchor holds no newline, so it never spans two blocks)
    texts = [" ".join("".join(b.itertext()).split()) for b in blocks]
    joined = "\n".join(texts)
    starts = list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))

    def block_with(anchor: str) -> Any:
        at = joined.find(anchor)
        return blocks[bisect_right(starts, at) - 1] if at >= 0 else None

    article = _article_element(body, owners)
    if article is not None:  # the page's logo, share buttons, sidebars are outside it
        inside = set(article.iter("img"))
        images = [image for image in images if image.node in inside]
    seen: set[str] = set()
    host = urlsplit(url).hostname
    after_block: dict[Any, Any] = {}  # block -> the last image put after it
    for image in images:
        info = _image_info(image.node, url, host)
        if info is None or info[0] in seen:
            continue
        src, alt, linked = info
        element = etree.Element("img", src=src)
        if alt:
            element.set("alt", alt)
        found = next((b for b in map(block_with, image.after) if b is not None), None)
        if found is not None:
            if found.getparent() is not None and found.getparent().tag in _CONTAINERS:
                element.tail = found.text
                found.text = None
                found.insert(0, element)
            else:
                found.addprevious(element)
            seen.add(src)
            continue
        if linked or not image.before:
            continue
        found = block_with(image.before)
        if found is None:
            continue
        anchor = after_block.get(found, found)
        if found.getparent() is not None and found.getparent().tag in _CONTAINERS:
            found.append(element)
        else:
            element.tail, anchor.tail = anchor.tail, None
            anchor.addnext(element)
        after_block[found] = element
        seen.add(src)


PROSE_RUN = 80
"""Least characters of one text node that count as prose (a sentence, not a menu item)."""
_PROSE_TEXTS = etree.XPath(
    "//body//text()[string-length(normalize-space(.)) >= $run]",  # scripts are gone by then
    smart_strings=False,
)


_PROSE_WITHIN = etree.XPath(
    ".//text()[string-length(normalize-space(.)) >= $run]", smart_strings=False
)


def prose_length(root: Any, *, within: bool = False) -> int:
    """Characters of the page in prose text nodes (``PROSE_RUN``): what a body can hold.
    ``within``: of the element ``root`` only (else of the whole page ``root`` is in)."""
    texts = (_PROSE_WITHIN if within else _PROSE_TEXTS)(root, run=PROSE_RUN)
    return sum(len(text.strip()) for text in texts)


_SANITIZED: Any = None
"""trafilatura's ``SANITIZED_XPATH`` (page chrome in an extraction), compiled once."""
MIN_EXTRACTED = 250
"""Characters below which a fast extraction is checked again (trafilatura's own minimum)."""
PROSE_SHARE = 2
"""A fast extraction with less than 1/``PROSE_SHARE`` of the page's prose is checked again."""


PROSE_LEFT_OUT = "prose left out"


def second_opinion_reason(
    body: Any, length: int, root: Any, prose: int | None = None
) -> str | None:
    """Why trafilatura's fast extraction (``body``, its XML, ``length`` characters of text) of
    the page ``root`` may be wrong, so that its full cascade (readability and justext
    compared) should run; ``None`` when it looks like the article. ``prose``: the page's
    :func:`prose_length` when it is known already.

    The full cascade only changes the result when the fast one is short, holds page chrome
    (``SANITIZED_XPATH``: nav, aside, buttons …), has no paragraphs or more tables than
    paragraphs, or leaves out much of the page's prose.
    """
    global _SANITIZED
    if _SANITIZED is None:
        from trafilatura.external import SANITIZED_XPATH

        _SANITIZED = etree.XPath(SANITIZED_XPATH)
    if length < MIN_EXTRACTED:
        return "short"
    if _SANITIZED(body):
        return "page chrome"
    paragraphs = len(body.findall(".//p"))
    if not paragraphs or len(body.findall(".//table")) > paragraphs:
        return "no paragraphs"
    if (prose_length(root) if prose is None else prose) > PROSE_SHARE * length:
        return PROSE_LEFT_OUT
    if linked_length(body, root) > length / 2:
        return "mostly link texts"
    return None


_LINK_TEXTS = etree.XPath("//a//text()", smart_strings=False)


def linked_length(body: Any, root: Any) -> int:
    """Characters of ``body``'s lines that are the text of a link on the page ``root``
    (trafilatura can keep a list of links as plain lines)."""
    lines = [" ".join(line.split()) for line in "".join(body.itertext()).splitlines()]
    wanted = {line for line in lines if line}
    if not wanted:
        return 0
    # a link's text can only be a line as long as it or longer (its spaces collapsed)
    shortest = min(map(len, wanted))
    links = {" ".join(t.split()) for t in _LINK_TEXTS(root) if len(t) >= shortest} & wanted
    return sum(len(line) for line in lines if line in links)


_NEVER_CONTENT = etree.XPath("//script[not(@type='application/ld+json')]|//style|//svg|//template")
"""Elements trafilatura deletes first anyway; gone before it copies and walks the tree."""


def _extractor(options: dict[str, Any]) -> Any:
    """trafilatura's ``Extractor`` for ``bare_extraction``'s keyword ``options``, built as
    ``bare_extraction`` builds it (its defaults: comments kept, no links, no images …)."""
    from trafilatura.settings import Extractor

    return Extractor(
        output_format=options.get("output_format", "python"),
        fast=bool(options.get("fast")),
        precision=bool(options.get("favor_precision")),
        recall=bool(options.get("favor_recall")),
        comments=options.get("include_comments", True),
        formatting=options.get("include_formatting"),
        links=bool(options.get("include_links")),
        images=bool(options.get("include_images")),
        tables=options.get("include_tables", True),
    )


_PASS_OPTIONS = frozenset(
    {
        "output_format",
        "fast",
        "favor_precision",
        "favor_recall",
        "include_comments",
        "include_formatting",
        "include_links",
        "include_images",
        "include_tables",
    }
)
"""``bare_extraction`` options :meth:`PagePasses.extract` runs itself (others: trafilatura's)."""


_MARKS = etree.XPath("descendant::*/@id|descendant::*/@class", smart_strings=False)
"""Every ``id`` and ``class`` value of a page's elements (the page element's own aside)."""
_PRUNE_TOKENS: dict[str, tuple[str, ...]] = {
    ".//*[self::div or self::section or self::aside][ re:test(@id, 'mvp-post-add-(?:box|wrap)"
    "|infinite-?scroll') or re:test(@class, 'mvp-post-add-(?:box|wrap)|infinite-?scroll')][ "
    "not(.//h1) or re:test(@id, 'mvp-post-add-(?:box|wrap)') or re:test(@class, "
    "'mvp-post-add-(?:box|wrap)')]": ("mvp-post-add-", "infinite"),
    ".//*[self::div or self::section or self::aside][contains(@class, "
    "'elementor-share-buttons')]": ("elementor-share-buttons",),
    ".//*[self::div or self::list or self::section or self::details or self::ol or self::ul][ "
    "re:test(@id, '^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)') or re:test(@class, "
    "'^[Cc]omment(?!ary)|(?:article|post)-comments')][ not(self::ol or self::ul) or re:test(@id, "
    "'^(?:[Cc]omment(?!ary)|comol)') or re:test(@class, '^[Cc]omment(?!ary)|(?:article|post)"
    "-comments')]": ("omment", "comol", "disqus_thread"),
    ".//*[self::div or self::list or self::section or self::details][ re:test(@id, "
    "'^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)') or re:test(@class, "
    "'^[Cc]omment(?!ary)|(?:article|post)-comments')]": ("omment", "comol", "disqus_thread"),
}
"""trafilatura's prune expressions (``RAW_TREE_PRUNE_XPATH``, ``REMOVE_COMMENTS_AND_LISTS_XPATH``,
``REMOVE_COMMENTS_XPATH``) by their XPath text as trafilatura 2.3 writes it (whitespace
collapsed), each with the strings one of which an element's ``id`` or ``class`` must hold for
it to match (what its regular expressions or ``contains()`` need). On a page none of whose ids
and classes holds one, the expression matches nothing and is not evaluated: its regular
expressions are called from XPath, in Python, on every ``div`` of the page (about 1.5 ms a
page each). An expression whose text is not here (another trafilatura) is always evaluated."""


def _may_match(expression: Any, marks: str) -> bool:
    """Whether trafilatura's prune ``expression`` can match an element of a page whose ids and
    classes are ``marks`` (:data:`_PRUNE_TOKENS`); ``True`` when it is not known."""
    tokens = _PRUNE_TOKENS.get(" ".join(expression.path.split()))
    return tokens is None or any(token in marks for token in tokens)


def _prune(tree: Any, expressions: list[Any], marks: str) -> Any:
    """trafilatura's ``prune_unwanted_nodes(tree, expressions)`` on a tree whose elements' ids
    and classes are among ``marks`` (a page's, or a copy of it that lost elements): the
    expressions that cannot match (:func:`_may_match`) are left out, which changes nothing
    (deleting elements never gives another one an id or a class)."""
    from trafilatura.htmlprocessing import prune_unwanted_nodes

    needed = [expression for expression in expressions if _may_match(expression, marks)]
    return prune_unwanted_nodes(tree, needed) if needed else tree


class PagePasses:
    """One page as every trafilatura pass over it starts from it, prepared once.

    ``root`` (the page's ``lxml.html`` tree) loses its HTML comments (their text is joined
    up, as a parser with ``remove_comments`` does) and the scripts (JSON-LD kept), styles,
    SVG and templates no field reads; otherwise it is left as it was: the passes work on
    copies. What every pass would compute alike is computed once, on first use: the page's
    prose (:func:`prose_length`), its images and their anchor texts (:func:`_page_images`),
    and the copy of the page trafilatura's cascade starts from (pruned of infinite-scroll
    containers and comment sections, ``trafilatura.core.trafilatura_sequence``'s first
    steps), which each pass of :meth:`extract` copies again instead of copying and pruning
    the page anew (about 3 ms a pass on WCXB's dev pages without :func:`_prune`'s shortcut);
    the ``id`` and ``class`` values that shortcut reads (:attr:`marks`).
    """

    def __init__(self, root: Any) -> None:
        # trafilatura parses with remove_comments; left in, a comment loses the text after it
        # (React's "text<!-- -->more" would keep only "text")
        etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)
        for node in _NEVER_CONTENT(root):
            node.drop_tree()
        self.root = root
        self._prose: int | None = None
        self._marks: str | None = None
        self._images: tuple[list[_PageImage], dict[str, Any]] | None = None
        self._forum = False
        self._pruned: Any = None  # the page pruned for every mode
        self._forum_pruned: Any = None  # a forum page's comment lists kept (not precision)
        self._page_text: dict[int, int] = {}  # id of a pruned tree -> len(html2txt(tree))

    @property
    def prose(self) -> int:
        """The page's :func:`prose_length`."""
        if self._prose is None:
            self._prose = prose_length(self.root)
        return self._prose

    @property
    def marks(self) -> str:
        """The ``id`` and ``class`` values of the page's elements, one a line (:func:`_prune`)."""
        if self._marks is None:
            self._marks = "\n".join(_MARKS(self.root))
        return self._marks

    @property
    def images(self) -> list[_PageImage]:
        """The page's images with their anchor texts (:func:`_page_images`)."""
        if self._images is None:
            self._images = _page_images(self.root)
        return self._images[0]

    @property
    def owners(self) -> dict[str, Any]:
        """The page element each anchor text stands in (:func:`_page_images`)."""
        if self._images is None:
            self._images = _page_images(self.root)
        return self._images[1]

    def _prepared(self, precise: bool) -> Any:
        """The copy of the page a pass starts from, as ``trafilatura_sequence`` prunes it with
        comments off: infinite-scroll containers (``RAW_TREE_PRUNE_XPATH``), then comment
        sections and lists, except on a forum thread outside precision mode (its posts)."""
        from copy import copy

        from trafilatura.core import _forum_thread_page
        from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

        if self._pruned is None:
            tree = copy(self.root)
            self._forum = _forum_thread_page(tree)
            tree = _prune(tree, RAW_TREE_PRUNE_XPATH, self.marks)
            if self._forum:
                self._forum_pruned = copy(tree)
            self._pruned = _prune(tree, REMOVE_COMMENTS_AND_LISTS_XPATH, self.marks)
        return self._pruned if precise or not self._forum else self._forum_pruned

    def extract(self, options: dict[str, Any]) -> Any:
        """``trafilatura.bare_extraction(root, **options)`` (a ``Document`` or ``None``), its
        steps run here on the page prepared once (:meth:`_prepared`): trafilatura 2.3's
        ``bare_extraction`` and ``trafilatura_sequence`` with comments off and no metadata,
        step for step. Other options go to ``bare_extraction`` itself."""
        import trafilatura

        if (
            set(options) - _PASS_OPTIONS
            or options.get("include_comments", True)
            or options.get("output_format", "python") == "python"
        ):
            return trafilatura.bare_extraction(self.root, **options)
        from trafilatura.settings import Document

        extractor = _extractor(options)
        try:
            body, text = self._sequence(extractor)
            if extractor.max_tree_size and len(body) > extractor.max_tree_size:
                etree.strip_tags(body, "hi")
                if len(body) > extractor.max_tree_size:
                    raise ValueError
            if len(text) < extractor.min_output_size and extractor.min_output_comm_size > 0:
                raise ValueError
        except (TypeError, ValueError):
            return None
        document = Document()
        document.raw_text, document.commentsbody = text, etree.Element("body")
        document.body = body
        return document

    def _sequence(self, options: Any) -> tuple[Any, str]:
        """``trafilatura.core.trafilatura_sequence`` with comments off (``options.comments``
        false): the body and its text, from the page prepared once."""
        from copy import copy

        from trafilatura.core import (
            ESCALATION_ACCEPT_RATIO,
            ESCALATION_JUSTEXT_RATIO,
            ESCALATION_MAX_LENGTH,
            ESCALATION_PAGE_SHARE,
            _extract_and_compare,
            _recall_retry,
            baseline,
            justext_rescue,
        )
        from trafilatura.htmlprocessing import convert_tags, tree_cleaning
        from trafilatura.xpaths import REMOVE_COMMENTS_XPATH

        precise = options.focus == "precision"
        tree = self._prepared(precise)
        cleaned = tree_cleaning(copy(tree), options)
        backup = None if options.fast else copy(cleaned)  # only the comparison reads it
        cleaned = convert_tags(cleaned, options, options.url)
        if precise and not self._forum:
            cleaned = _prune(cleaned, REMOVE_COMMENTS_XPATH, self.marks)
        body, text = _extract_and_compare(cleaned, backup, tree, options)
        # 3. rescue: baseline on the original tree, accepted only if it adds text
        if len(text) < options.min_extracted_size and not precise:
            b_body, b_text, b_len = baseline(tree)
            if b_len > len(text):
                body, text = b_body, b_text
        # 4. recall escalation of a short extraction covering little of the page
        if (
            options.focus == "balanced"
            and 0 < len(text) < ESCALATION_MAX_LENGTH
            and len(text) < ESCALATION_PAGE_SHARE * self._text_length(tree)
        ):
            r_options = copy(options)
            r_options.focus = "recall"
            r_text = j_text = ""
            try:
                r_body, r_text = _recall_retry(tree, r_options, options.url)
            except Exception:  # as trafilatura: a failed retry is no result
                r_text = ""
            if not options.fast:
                try:
                    j_body, j_text = justext_rescue(copy(tree), options)
                except Exception:
                    j_text = ""
            if len(j_text) > len(r_text) and len(j_text) > ESCALATION_JUSTEXT_RATIO * len(text):
                body, text = j_body, j_text
            elif len(r_text) >= options.min_extracted_size and len(
                r_text
            ) > ESCALATION_ACCEPT_RATIO * len(text):
                body, text = r_body, r_text
        return body, text

    def _text_length(self, tree: Any) -> int:
        """``len(html2txt(tree))`` of a prepared tree (computed once per tree)."""
        from trafilatura.core import html2txt

        if id(tree) not in self._page_text:
            self._page_text[id(tree)] = len(html2txt(tree))
        return self._page_text[id(tree)]


def _compare_with_external(document: Any, root: Any, options: dict[str, Any]) -> None:
    """What trafilatura's full precision cascade adds to its fast pass, without redoing it:
    its comparison with readability and justext (``compare_extraction``), on a copy of the
    page. ``document`` gets the chosen body."""
    from copy import copy

    from trafilatura.external import compare_extraction
    from trafilatura.htmlprocessing import tree_cleaning

    extractor = _extractor(
        {
            "include_comments": False,
            **options,
            "output_format": "html",
            "favor_precision": True,
            "favor_recall": False,
            "fast": False,
        }
    )
    raw = copy(root)
    cleaned = tree_cleaning(copy(raw), extractor)
    body, text = compare_extraction(cleaned, raw, document.body, document.raw_text or "", extractor)
    document.body, document.raw_text = body, text


WIDER_MODES: tuple[tuple[dict[str, Any], float, float, float], ...] = (
    ({"favor_precision": False}, 3, 4, 0),
    ({"favor_precision": False, "favor_recall": True}, 1.5, 1.3, 1.4),
)
"""trafilatura's modes tried in turn on a precise body that may be cut short: its default mode,
then recall mode, each with the share of the page's prose below which it is run, how many
times longer its body must be to replace the one so far, and (when not 0) how much more prose
than the body the page element around the body must hold for the mode to run at all (default
mode finds a whole article where precision mode kept one section; recall mode adds the lists
and sections precision mode leaves out *of the article*: when the article's element holds
little more prose than the body, the prose left out is elsewhere, in comments or teasers, and
recall mode did not help on the dev parts). Chosen on the dev parts of the four sets (#15)."""
SHORT_BODY = 2 * MIN_EXTRACTED
"""A precise body shorter than this (one box of the page: a consent notice, a caption) is
replaced by a wider one ``SHORT_GAIN`` times longer (when that is less than the mode's gain)."""
SHORT_GAIN = 3


def _extract(page: PagePasses, options: dict[str, Any]) -> Any:
    """trafilatura's fast pass on the ``page``; its full cascade only when the fast result
    looks wrong (:func:`second_opinion_reason`): in precision mode that is the comparison with
    readability and justext alone (the rest is the fast pass again).

    In precision mode the cascade is not run when the fast pass finds nothing (the parser's
    retry in default mode takes over, ``RETRY_OPTIONS``) nor when its body leaves out so much
    of the page's prose that default mode runs anyway (:func:`_unless_truncated`): on the dev
    parts the comparison changed next to nothing there and cost a pass."""
    from trafilatura.settings import Document

    precise = bool(options.get("favor_precision"))
    document = page.extract({**options, "fast": True})
    if not isinstance(document, Document):
        return None if precise else page.extract(options)
    length = len(document.raw_text or "")
    reason = second_opinion_reason(document.body, length, page.root, page.prose)
    if not reason:
        return document
    if not precise:
        return page.extract(options)
    if reason != PROSE_LEFT_OUT or page.prose <= WIDER_MODES[0][1] * length:
        _compare_with_external(document, page.root, options)
    return document


def _unless_truncated(
    document: Any, page: PagePasses, options: dict[str, Any], *, images: bool = True
) -> Any:
    """The precise body ``document``, or a wider mode's (``WIDER_MODES``) when the precise
    one looks cut short: it holds a small share of the page's prose and the wider body is
    much longer. The wider runs are only paid on pages whose prose says so. Default mode
    runs its full cascade at once (on such a page its fast pass leaves the prose out too and
    asks for the cascade nearly always); recall mode is :func:`_extract`, its fast pass and
    the cascade only when that looks wrong (enough on about half of the dev pages). With
    ``images`` (the page's images are kept), the page element around the body (found by the
    images' anchor texts, ``PagePasses.owners``) decides by its prose whether recall mode is
    worth a run."""
    from trafilatura.settings import Document

    prose = page.prose
    around: int | None = None  # prose of the page element around the precise body
    for overrides, share, gain, article_share in WIDER_MODES:
        length = len(document.raw_text or "")
        if prose <= share * length:
            continue
        if article_share and images and page.owners:
            if around is None:
                article = _article_element(document.body, page.owners)
                around = prose_length(article, within=True) if article is not None else 0
            if around and around < article_share * length:
                continue
        if overrides.get("favor_recall"):  # its fast pass is often enough (dev parts)
            wider = _extract(page, {**options, **overrides})
        else:  # default mode's fast pass nearly always asks for its full cascade
            wider = page.extract({**options, **overrides})
        if length < SHORT_BODY:
            gain = min(gain, SHORT_GAIN)
        if isinstance(wider, Document) and len(wider.raw_text or "") > gain * length:
            document = wider
    return document


def extract_body(root: Any, url: str, options: dict[str, Any]) -> Any:
    """trafilatura's main content of the page ``root`` (an ``lxml.html`` tree, or the
    :class:`PagePasses` of one, shared by several extractions of the page) as a ``<body>``
    element, or ``None``. The page loses its comments, scripts, styles (``PagePasses``);
    otherwise it is left as it was (trafilatura works on copies). With ``include_images``,
    trafilatura chooses the text without images and the page's images are put back next to
    the text they stood by (:func:`_place_images`).
    """
    from trafilatura.htmlprocessing import convert_to_html
    from trafilatura.settings import Document

    page = root if isinstance(root, PagePasses) else PagePasses(root)
    # the text is chosen without images: with them, trafilatura keeps every block that holds
    # one (teaser cards, galleries); they are put back afterwards where the text kept them
    images = bool(options.get("include_images"))
    options = {**options, "output_format": "html", "include_images": False}
    # no url: trafilatura would resolve every link of the page; the body's are done below
    document = _extract(page, options)
    if isinstance(document, Document) and options.get("favor_precision"):
        document = _unless_truncated(document, page, options, images=images)
    if not isinstance(document, Document) or document.body is None or not len(document.body):
        return None
    body = convert_to_html(document.body).find("body")
    for link in body.iter("a"):
        href = link.get("href", "").strip()
        if href and not href.lower().startswith(("javascript:", "data:", "vbscript:")):
            link.set("href", urljoin(url, href))
    if images:
        _place_images(body, page.images, page.owners, url)
    return body


def inner_html(element: Any) -> str:
    """The children of ``element`` (its text first) as an NFC-normalized HTML string."""
    html = (element.text or "") + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in element
    )
    return unicodedata.normalize("NFC", html.strip())


def element_text(element: Any) -> str:
    """Plain text of ``element``: one line per block, table cells apart, whitespace collapsed."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in BLOCK_TAGS
        if block:
            parts.append("\n")
        if node.text and tag:
            parts.append(node.text)
        for child in node:
            walk(child)
        if block:
            parts.append("\n")
        elif tag in {"td", "th"}:
            parts.append(" ")
        elif tag == "br":
            parts.append("\n")
        if node.tail:
            parts.append(node.tail)

    walk(element)
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return unicodedata.normalize("NFC", "\n".join(line for line in lines if line))
