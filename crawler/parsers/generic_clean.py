"""Boilerplate left in an extracted body: what follows the article, and stray labels.

trafilatura stops at most page furniture, but on older portals (tables, no semantic markup)
and on many blogs it keeps going past the end of the article: "相关报道" and a list of
headlines, "发表评论", "【打印】【关闭】", "Related Articles", "Tags", a copyright line. Such a
line is a *closing marker*: once an article's worth of text stands before it, it and
everything after it are cut, unless the body's longest block comes after it (then the
marker belongs to a header or sidebar in front of the article). A few labels are dropped
on their own wherever they stand (``Advertisement``, the page's own URL printed in the
body).

The rules are about the words pages use for these blocks, in Chinese, English and a few
other languages, never about a site's markup.
"""

from __future__ import annotations

import re
from typing import Any

from crawler.parsers.generic_body import BLOCK_TAGS

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
    rf"){_WRAP}$",
    re.I,
)
"""A line that closes the article: related links, comments, page tools, tags, source."""
COPYRIGHT = re.compile(r"^\s*(?:copyright\b|©|\(c\)\s*\d{4}|版权所有|all rights reserved)", re.I)
"""A copyright line (any length) also closes the article."""
LABEL = re.compile(r"^\s*(?:advertisement|advertising|广告)\s*$", re.I)
"""A line dropped wherever it stands."""


def _leaf_blocks(body: Any) -> list[Any]:
    """Blocks holding no other block, in document order."""
    return [
        node
        for node in body.iter(*BLOCK_TAGS)
        if node is not body and next(node.iterdescendants(*BLOCK_TAGS), None) is None
    ]


def _text(node: Any) -> str:
    return " ".join("".join(node.itertext()).split())


def _remove(node: Any) -> None:
    """Remove ``node`` and its content; its tail text goes too (it belongs to the block)."""
    parent = node.getparent()
    if parent is not None:
        parent.remove(node)


def trim_boilerplate(body: Any, page_urls: set[str], weight: Any) -> None:
    """Cut the body (an lxml element, changed in place) at its closing marker, and drop
    stray labels and lines that are only the page's own URL. ``weight`` is the text-weight
    function (:func:`crawler.parsers.generic.text_weight`)."""
    seen = 0
    blocks = _leaf_blocks(body)
    texts = [_text(block) for block in blocks]
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


def _drop_empty_containers(body: Any) -> None:
    for node in list(body.iter(*BLOCK_TAGS)):
        empty = not _text(node) and node.find(".//img") is None and node.tag != "hr"
        if empty and node is not body:
            _remove(node)
