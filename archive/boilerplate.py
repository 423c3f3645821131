"""Page furniture inside an article: one cleaning stage, for portal parsers and generic pages.

Two uses of the same knowledge:

* :func:`trim_boilerplate` (the generic extractor, on trafilatura's output) and
* :func:`clean_container` (every portal parser, on the article container its selectors
  found): furniture by markup (:data:`FURNITURE_CSS`, :data:`FURNITURE_CLASS`, ``<aside>``),
  furniture by wording (:data:`FURNITURE_TEXT`: reader-thanks boxes, comment counters,
  photo credits), then the closing markers below.

Boilerplate left in an extracted body: what follows the article, and stray labels.

trafilatura stops at most page furniture, but on older portals (tables, no semantic markup)
and on many blogs it keeps going past the end of the article: "相关报道" and a list of
headlines, "发表评论", "【打印】【关闭】", "Related Articles", "Tags", a copyright line. Such a
line is a *closing marker*: once an article's worth of text stands before it, it and
everything after it are cut, unless the body's longest block comes after it (then the
marker belongs to a header or sidebar in front of the article). A few labels are dropped
on their own wherever they stand (``Advertisement``, the page's own URL printed in the
body).

The closing-marker rules are about the words pages use for these blocks, in Chinese,
English and a few other languages, never about a site's markup.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from lxml import html as lxml_html
from lxml.cssselect import CSSSelector

from archive.html import xml_safe

BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
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
        "table",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "hr",
        "section",
        "article",
        "body",
    }
)
"""Elements whose text stands on its own lines (a *block*)."""

CJK_WEIGHT = 3
"""One CJK character carries about as much as three Latin ones (so ~84 Han characters)."""
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")


def text_weight(text: str) -> int:
    """Non-space characters of ``text``, each CJK character counting ``CJK_WEIGHT``."""
    compact = "".join(text.split())  # str.split's spaces are the regex's \s
    if _CJK.search(compact) is None:
        return len(compact)
    return len(compact) + (CJK_WEIGHT - 1) * (len(compact) - len(_CJK.sub("", compact)))


MIN_ARTICLE_WEIGHT = 250
"""Text weight (CJK counting 3) that must precede a closing marker for it to end the body."""
MARKER_CHARS = 40
"""Longest line (characters) read as a closing marker; copyright lines may be longer."""

_WRAP = r"[\s\[\]【】()（）<>《》■□●◆·•|:：>»\-_=*#]*"
CLOSING = re.compile(
    rf"^{_WRAP}(?:"
    r"相关(?:报道|新闻|文章|阅读|链接|内容|推荐|专题|资讯|搜索|评论|稿件)?|延伸阅读|推荐阅读|精彩推荐"
    r"|热点推荐|猜你喜欢|热门(?:文章|排行|推荐|评论)|(?:发表|查看|最新|网友|文章|我要)评论"
    r"|我来说两句|打印(?:本文|本页|此文)?|关闭(?:窗口|本页)?|收藏(?:本文|本页)?|发送给朋友"
    r"|推荐给(?:朋友|好友)|页面功能|返回(?:顶部|首页|页首)|上一篇|下一篇|版权声明|免责声明"
    r"|分享到|(?:文章|新闻)?来源[:：].*|(?:责任)?编辑[:：].*"
    r"|関連記事|関連ニュース"
    r"|related(?: articles?| stories| posts?| coverage| content| links| reading| topics"
    r"| news| roundup.*)?|read more|more from .+|more stories|recommended(?: for you)?"
    r"|you (?:may|might) also like|comments?|\d+ comments?|leave a (?:comment|reply)"
    r"|share this(?: article| story| post)?|tags?(?: ?[:：].*)?|topics|see also|about the author"
    r"|related \w+|most (?:read|popular)|back to top"
    # German, French, Spanish, Portuguese, Italian, Dutch: the same blocks (not "read also"
    # boxes such as "Leggi anche", "Lire aussi": those often stand inside the article)
    r"|mehr zum thema|(?:meist gelesene?|weitere|ähnliche|verwandte) (?:artikel|beiträge|themen)"
    r"|das könnte sie (?:auch )?interessieren|zurück (?:nach oben|zum .+|zur .+)"
    r"|videos? zum thema|artikel bewerten|kommentare?|articles? similaires|sur le même sujet"
    r"|noticias relacionadas|notícias relacionadas|articoli correlati|gerelateerde artikelen"
    rf"){_WRAP}$",
    re.I,
)
"""A line that closes the article: related links, comments, page tools, tags, source."""
COPYRIGHT = re.compile(
    r"^\s*(?:copyright\s*(?:©|\(c\)|\d{4}|by\b|[:：])|©|\(c\)\s*\d{4}"
    r"|版权所有|all rights reserved)",
    re.I,
)
"""A copyright line (any length) also closes the article: ``Copyright © 2024 …``, ``© …``,
``版权所有`` — not a line that only starts with the word (``Copyright license``, a list item)."""
LABEL = re.compile(r"^\s*(?:advertisement|advertising|广告)\s*$", re.I)
"""A line dropped wherever it stands."""


def _leaf_blocks(body: Any) -> list[Any]:
    """Blocks holding no other block, in document order: one walk, as a block's first block
    inside comes right after it in document order."""
    blocks = [node for node in body.iter(*BLOCK_TAGS) if node is not body]
    return [
        node
        for node, following in zip(blocks, [*blocks[1:], None], strict=False)
        if following is None or not any(a is node for a in following.iterancestors())
    ]


def _text(node: Any) -> str:
    return " ".join("".join(node.itertext()).split())


def _remove(node: Any) -> None:
    """Remove ``node`` and its content; its tail text goes too (it belongs to the block)."""
    parent = node.getparent()
    if parent is not None:
        parent.remove(node)


def trim_boilerplate(
    body: Any,
    page_urls: set[str],
    weight: Any,
    leaves: tuple[list[Any], list[str]] | None = None,
) -> None:
    """Cut the body (an lxml element, changed in place) at its closing marker, and drop
    stray labels and lines that are only the page's own URL. ``weight`` is the text-weight
    function (:func:`text_weight`); ``leaves``: the body's :func:`_leaf_blocks` and their
    texts, when the caller has them already."""
    seen = 0
    if leaves is None:
        blocks = _leaf_blocks(body)
        texts = [_text(block) for block in blocks]
    else:
        blocks, texts = leaves
    # UTF-8 length: like the text weight, about 3 per CJK character and 1 per Latin one
    longest = max(range(len(blocks)), key=lambda i: len(texts[i].encode()), default=0)
    for index, (block, text) in enumerate(zip(blocks, texts, strict=True)):
        if not text:
            continue
        if LABEL.match(text) or text in page_urls:
            _remove(block)
            continue
        closing = (len(text) <= MARKER_CHARS and CLOSING.match(text)) or COPYRIGHT.match(text)
        if closing and seen >= MIN_ARTICLE_WEIGHT and longest < index:
            for later in blocks[index:]:
                _remove(later)
            _drop_empty_containers(body)
            return
        if seen < MIN_ARTICLE_WEIGHT:  # past the threshold the sum no longer matters
            seen += weight(text)


def _has_text(node: Any) -> bool:
    """Whether ``node`` holds any non-blank text (``bool(_text(node))``, stopping at the first)."""
    return any(not text.isspace() for text in node.itertext() if text)


def _drop_empty_containers(body: Any) -> None:
    for node in list(body.iter(*BLOCK_TAGS)):
        empty = node.tag != "hr" and not _has_text(node) and node.find(".//img") is None
        if empty and node is not body:
            _remove(node)


# --------------------------------------------------------------------- portal containers

BASIC_FURNITURE_CSS: tuple[str, ...] = (
    ".ad-in-article",
    ".ad",
    "[class^='ad-']",
    "[id^='ad-']",
    ".advert",
    "[class^='share']",
    ".related",
    ".comment",
    ".recommend",
)
"""Furniture removed from every stored body (``archive.normalize.clean_body``)."""

FURNITURE_CSS: tuple[str, ...] = (*BASIC_FURNITURE_CSS, "aside", "[class*='sidebar']")
"""Furniture removed from a portal's article container, with its content."""

FURNITURE_CLASS = re.compile(
    r"^(?:comments?-?counts?(?:-.+)?|comment-count.*|share(?:-.+|bar|s)?|social(?:-.+)?|sharing"
    r"|related(?:-.+)?|recommend(?:ed|ations?)?(?:-.+)?|(?:caption|photo|image|img)-?credits?"
    r"|credits?|tougao(?:-.+)?|ads?|advert(?:isement)?s?|ad-.+|sponsor(?:ed)?(?:-.+)?"
    r"|newsletter(?:-.+)?|subscribe(?:-.+)?|(?:story-)?sidebar(?:-.+)?|print(?:-.+)?)$",
    re.I,
)
"""A class token that marks furniture (``comment-count``, ``caption-credit``, ``tougao-user``)."""

FURNITURE_TEXT = re.compile(
    r"^\s*(?:感谢.{0,40}网友.{0,300}(?:线索投递|投递|爆料|提供)"
    r"|(?:reader )?comments?\s*\d*(?:\s*with \d+ posters participating)?"
    r"|\d+\s*(?:comments?|条评论|评论)|评论\s*[（(]?\d+[)）]?"
    r"|(?:图片|题图|图|照片|视频)来源\s*[:：].{0,60}"
    r"|(?:image|photo|picture) (?:credit|by|source)\s*[:：]?.{0,80}"
    r"|(?:credit|photograph|enlarge)\s*[:：/].{0,80})\s*[!！。.]?\s*$",
    re.I,
)
"""A short block that is furniture by its wording: reader thanks (``感谢IT之家网友…的线索投递！``),
comment counters, photo credits."""
FURNITURE_TEXT_CHARS = 400
"""Longest block tested against :data:`FURNITURE_TEXT` (longer ones are article text)."""


@functools.cache
def _furniture_selector() -> CSSSelector:
    """:data:`FURNITURE_CSS` as one compiled XPath (compiling costs more than matching)."""
    return CSSSelector(", ".join(FURNITURE_CSS), translator="html")


def _is_furniture_node(node: Any) -> bool:
    tokens = (node.get("class") or "").split()
    return any(FURNITURE_CLASS.match(token) for token in tokens)


def clean_container(html: str, page_urls: set[str] | None = None) -> str:
    """The inner HTML of an article container without its furniture (pure; idempotent).

    Removes, with their content: :data:`FURNITURE_CSS` matches and elements with a
    :data:`FURNITURE_CLASS` token; blocks whose whole text is furniture by wording
    (:data:`FURNITURE_TEXT`); the closing marker and what follows (:func:`trim_boilerplate`);
    then containers left empty. Image-only blocks stay.

    >>> clean_container('<div class="tougao-user">感谢IT之家网友 X 的线索投递！</div><p>正文</p>')
    '<p>正文</p>'
    >>> clean_container('<a class="comment-count"><h4>reader comments</h4> 75</a><p>Text</p>')
    '<p>Text</p>'
    """
    if not html.strip():
        return html
    root = lxml_html.fragment_fromstring(xml_safe(html), create_parent="div")
    doomed: list[Any] = list(_furniture_selector()(root))
    doomed.extend(
        node for node in root.iter() if isinstance(node.tag, str) and _is_furniture_node(node)
    )
    blocks = _leaf_blocks(root)
    texts = [_text(block) for block in blocks]
    links = list(root.iter("a"))
    for block, text in zip(blocks + links, texts + [_text(a) for a in links], strict=True):
        short = bool(text) and len(text) <= FURNITURE_TEXT_CHARS
        if short and FURNITURE_TEXT.match(text) and block.find(".//img") is None:
            doomed.append(block)
    for node in doomed:
        if node is not root:
            _drop_keep_tail(node)
    # nothing dropped: the leaf blocks and their texts are still those of the tree
    leaves = None if any(node is not root for node in doomed) else (blocks, texts)
    trim_boilerplate(root, page_urls or set(), text_weight, leaves)
    _drop_empty_containers(root)
    inner = (root.text or "") + "".join(
        lxml_html.tostring(child, encoding="unicode") for child in root
    )
    return inner.strip()


def _drop_keep_tail(node: Any) -> None:
    """Remove ``node`` with its content, keeping its tail text (the next words of its parent)."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    previous = node.getprevious()
    parent.remove(node)
    if tail and tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
