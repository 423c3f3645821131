"""The root (OFweek-shaped) demo's articles: the article model, the built-in and generated
articles, dates and encoding modes.

Shared by the OFweek pages (:mod:`demo_portal.portals.ofweek`), the server, fault mode,
discovery documents and image cases. Nothing here touches the network or the file system, and
every function is deterministic: the same arguments always give the same text.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import overload

from demo_portal.articles import (
    BUILTIN_SPECS,
    GEN_ACTIONS,
    GEN_COMPANIES,
    GEN_OUTCOMES,
    GEN_PRODUCTS,
    GEN_SENTENCES,
    KEYWORD_LINKS,
    MISSING_SPEC,
    ArticleSpec,
)

#: Replaced by the portal's base URL wherever it occurs in a body (built-in bodies use it).
BASE_PLACEHOLDER = "{{BASE}}"

#: First id of the synthetic articles of ``generated=N``.
GENERATED_ID_BASE = 50_000_000
GENERATED_START = datetime(2021, 4, 1, 8, 0)
GENERATED_STEP = timedelta(minutes=37)

LAYOUTS = ("current", "legacy")
ENCODINGS = ("header", "meta", "wrong-header")

_P_STYLE = "text-indent: 2em; text-align: left;"
_IDEO_INDENT = "\u3000\u3000"
CURRENT_TIME = "%Y-%m-%d %H:%M"
"""Page time format of the current layout (and of listings)."""
_LEGACY_TIME = "%Y年%m月%d日 %H:%M"


@dataclass(frozen=True)
class DemoArticle:
    """One article page of the demo portal."""

    art_id: int
    month: str  # "2022-08" -> URL path /2022-08/ART-8100-2801-{art_id}.html
    title: str  # may be "" for the broken page
    published: str  # exactly as shown on the page ("2022-08-25 16:09" / "2021年04月02日 10:30")
    source: str  # e.g. "OFweek锂电网" / "来源：OFweek维科网"
    body_html: str  # inner HTML of #articleC
    layout: str = "current"  # "current" | "legacy"
    encoding: str = "header"  # "header" | "meta" | "wrong-header"
    in_listing: bool = True
    in_feed: bool = True
    tags: tuple[str, ...] = ()  # shown in div.tag and <meta name="keywords">

    @property
    def path(self) -> str:
        """URL path of the article page."""
        return article_path(self)


def article_path(a: DemoArticle) -> str:
    return f"/{a.month}/ART-8100-2801-{a.art_id}.html"


def article_url(a: DemoArticle, base_url: str) -> str:
    return base_url + article_path(a)


# --------------------------------------------------------------------------------------------
# Dates


def published_datetime(a: DemoArticle) -> datetime:
    """The page time as a naive Asia/Shanghai datetime (both layouts' formats)."""
    return parse_published(a.published)


def parse_published(text: str) -> datetime:
    text = text.strip()
    fmt = _LEGACY_TIME if "年" in text else CURRENT_TIME
    return datetime.strptime(text, fmt)  # naive Asia/Shanghai local time


# --------------------------------------------------------------------------------------------
# Article bodies


def keyword_link(word: str, url: str | None = None) -> str:
    href = url or KEYWORD_LINKS[word]
    return (
        f'<span class="hrefStyle"><a href="{href}" target="_blank" title="{word}">{word}</a></span>'
    )


def _inline(text: str) -> str:
    return re.sub(r"\[\[(.+?)\]\]", lambda m: keyword_link(m.group(1)), text)


def _img(kind: str, rel_path: str, title: str) -> str:
    abs_src = f"{BASE_PLACEHOLDER}/Upload/News/{rel_path}"
    t = html.escape(title)
    if kind == "IMG":
        tag = f'<img src="{abs_src}" title="{t}" alt="{t}">'
    elif kind == "IMG-LAZY":
        tag = f'<img src="/images/loading.gif" data-src="{abs_src}" title="{t}" alt="{t}">'
    elif kind == "IMG-ORIG":
        tag = (
            f'<img class="lazy" src="/images/loading.gif" data-original="{abs_src}" '
            f'title="{t}" alt="{t}">'
        )
    elif kind == "IMG-REL":
        tag = f'<img src="/Upload/News/{rel_path}" title="{t}" alt="{t}">'
    else:
        raise ValueError(f"unknown image kind {kind!r}")
    return f'<p style="text-align:center">{tag}</p>'


def build_body(blocks: Iterable[str], title: str) -> str:
    """Turn the block markup of :mod:`demo_portal.articles` into portal body HTML."""
    out: list[str] = []
    for block in blocks:
        head, _, rest = block.partition(" ")
        if block.startswith("## "):
            out.append(f'<p style="{_P_STYLE}"><strong>{_inline(rest)}</strong></p>')
        elif head in ("IMG", "IMG-LAZY", "IMG-ORIG", "IMG-REL"):
            out.append(_img(head, rest, title))
        elif head == "IDEO":
            out.append(f"<p>{_IDEO_INDENT}{_inline(rest)}</p>")
        elif block == "EMPTY":
            out.append("<p></p>")
        elif head == "RAW":
            out.append(rest)
        else:
            out.append(f'<p style="{_P_STYLE}">{_inline(block)}</p>')
    return "\n".join(out)


def _article_from_spec(spec: ArticleSpec, base_url: str) -> DemoArticle:
    body = build_body(spec.blocks, spec.title).replace(BASE_PLACEHOLDER, base_url)
    return DemoArticle(
        art_id=spec.art_id,
        month=spec.month,
        title=spec.title,
        published=spec.published,
        source=spec.source,
        body_html=body,
        layout=spec.layout,
        encoding=spec.encoding,
        in_listing=spec.in_listing,
        in_feed=spec.in_feed,
        tags=spec.tags,
    )


def builtin_articles(base_url: str) -> list[DemoArticle]:
    """The hand-written articles, with absolute URLs on ``base_url``."""
    return [_article_from_spec(s, base_url) for s in BUILTIN_SPECS]


def builtin_roles() -> dict[int, str]:
    """Article id -> the trap / special role of that built-in article (for docs and tests)."""
    roles = {s.art_id: s.role for s in BUILTIN_SPECS}
    roles[MISSING_SPEC.art_id] = MISSING_SPEC.role
    return roles


def missing_article(base_url: str) -> DemoArticle:
    """The listing entry whose page answers 404 (never served)."""
    return _article_from_spec(MISSING_SPEC, base_url)


# --------------------------------------------------------------------------------------------
# Synthetic articles (generated=N): rendered from the index, never stored


def generated_published(index: int) -> datetime:
    return GENERATED_START + GENERATED_STEP * index


def generated_month(index: int) -> str:
    return generated_published(index).strftime("%Y-%m")


def generated_image_path(index: int) -> str:
    d = generated_published(index)
    return f"/Upload/News/{d:%Y-%m}/{d:%d}/g{GENERATED_ID_BASE + index}.png"


def generated_article(index: int, base_url: str) -> DemoArticle:
    """Synthetic article number ``index`` (0-based; id ``GENERATED_ID_BASE + index``)."""
    if index < 0:
        raise IndexError(index)
    rng = random.Random(GENERATED_ID_BASE + index)  # noqa: S311 -- deterministic fake text only
    company = rng.choice(GEN_COMPANIES)
    product, kw = rng.choice(GEN_PRODUCTS)
    title = f"{company}{rng.choice(GEN_ACTIONS)}{product} {rng.choice(GEN_OUTCOMES)}（{index + 1}）"
    values = {
        "company": company,
        "product": product,
        "kw": keyword_link(kw),
        "year": str(rng.randint(2022, 2025)),
        "months": str(rng.randint(3, 11)),
        "pct": str(rng.randint(12, 96)),
        "pct2": str(rng.randint(5, 35)),
        "pct3": str(rng.randint(60, 95)),
        "n": str(rng.randint(2, 9)),
        "amount": f"{rng.randint(3, 90) / 10:.1f}",
        "cap": str(rng.randint(5, 120)),
    }
    paragraphs: list[str] = []
    for _ in range(rng.randint(3, 5)):
        sentences = rng.sample(GEN_SENTENCES, rng.randint(2, 4))
        paragraphs.append(f'<p style="{_P_STYLE}">' + "".join(sentences).format(**values) + "</p>")
    t = html.escape(title)
    image = (
        f'<p style="text-align:center"><img src="{base_url}{generated_image_path(index)}" '
        f'title="{t}" alt="{t}"></p>'
    )
    paragraphs.insert(1, image)
    d = generated_published(index)
    return DemoArticle(
        art_id=GENERATED_ID_BASE + index,
        month=f"{d:%Y-%m}",
        title=title,
        published=d.strftime(CURRENT_TIME),
        source="OFweek维科网",
        body_html="\n".join(paragraphs),
        tags=(kw, product),
    )


class ArticleSequence(Sequence[DemoArticle]):
    """Stored articles followed by ``generated`` synthetic ones built on access (memory-flat)."""

    def __init__(self, stored: Sequence[DemoArticle], generated: int, base_url: str) -> None:
        self._stored = list(stored)
        self._generated = generated
        self._base_url = base_url

    def __len__(self) -> int:
        return len(self._stored) + self._generated

    @overload
    def __getitem__(self, index: int) -> DemoArticle: ...

    @overload
    def __getitem__(self, index: slice) -> list[DemoArticle]: ...

    def __getitem__(self, index: int | slice) -> DemoArticle | list[DemoArticle]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("article index out of range")
        if index < len(self._stored):
            return self._stored[index]
        return generated_article(index - len(self._stored), self._base_url)

    def __iter__(self) -> Iterator[DemoArticle]:
        yield from self._stored
        for i in range(self._generated):
            yield generated_article(i, self._base_url)

    def __repr__(self) -> str:
        return f"<ArticleSequence stored={len(self._stored)} generated={self._generated}>"


# --------------------------------------------------------------------------------------------
# Encoding modes


def gbk(text: str) -> bytes:
    """``text`` as GBK; characters GBK lacks become numeric character references."""
    return text.encode("gbk", errors="xmlcharrefreplace")


def head_meta(a: DemoArticle) -> str:
    """The charset declaration inside ``<head>`` for the article's encoding mode."""
    if a.encoding == "meta":
        return '<meta charset="gb2312">'
    charset = "gb2312" if a.layout == "legacy" and a.encoding == "header" else "gbk"
    return f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'


def content_type(a: DemoArticle) -> str:
    """HTTP Content-Type header value for the article's encoding mode."""
    if a.encoding == "meta":
        return "text/html"
    if a.encoding == "wrong-header":
        return "text/html; charset=utf-8"
    return "text/html; charset=gbk"
