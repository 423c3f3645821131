"""Ars Technica-shaped demo: an English WordPress news site discovered through its RSS feed.

Shape: RSS 2.0 at ``/feed/`` (``feeds.arstechnica.com/arstechnica/index`` on the real
site) with RFC 822 ``pubDate`` in UTC, ``dc:creator`` and ``category``; articles at
``/<section>/YYYY/MM/<slug>/``. Two page layouts are served side by side, as during a
redesign: the older one marks fields with schema.org microdata (``itemprop="headline"``,
``time[datetime]``, ``itemprop="articleBody"``), the newer one carries a JSON-LD
``NewsArticle`` and a ``div.post-content`` body with promo boxes inside it. One older
article runs over two pages, WordPress style (``…/slug/2/``, a ``nav.page-numbers`` bar with
"Next →"), and every older page links the *next story* with ``rel="next"`` (not a page of
the article: a crawl must not append it). All text was written for this project.
"""

from __future__ import annotations

import email.utils
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from demo_portal.portals.common import (
    Response,
    Site,
    SiteArticle,
    SiteRequest,
    at,
    html_response,
    image_response,
    not_found,
    xml_response,
)

CREDIT = "Credit: Ars Technica"
PROMO = "Ars Pro subscribers get ad-free reading. Sign up today."


@dataclass(frozen=True)
class _Article:
    path: str
    title: str
    dek: str
    author: str
    section: str
    published: str  # ISO, UTC
    paragraphs: tuple[str, ...]
    image: str
    layout: str  # "microdata" (older) | "jsonld" (current)
    split: int = 0
    """Paragraphs on page 1 of a two-page article (``0``: one page)."""


ARTICLES = (
    _Article(
        "/science/2024/11/a-cheaper-way-to-store-grid-heat-in-sand/",
        "A cheaper way to store grid heat: researchers fill old silos with sand",
        "Pilot plant keeps 500 °C heat for a week with losses under 5 percent.",
        "Maya Lindqvist",
        "Science",
        "2024-11-12T15:20:00+00:00",
        (
            "A pilot plant built inside two decommissioned grain silos has kept sand at about "
            "500 °C for a full week, losing less than 5 percent of the stored heat, according to "
            "the engineering group that runs it.",
            "The team says the design uses off-the-shelf blowers and resistive heaters, which "
            "keeps the cost per stored kilowatt-hour well below that of lithium-ion batteries.",
            "The next step is a year-long test connected to a district heating network, where the "
            "sand will be charged with surplus wind power at night.",
        ),
        "/wp-content/uploads/2024/11/sand-silo-800x450.jpg",
        "jsonld",
    ),
    _Article(
        "/gadgets/2024/09/hands-on-a-repairable-e-reader-with-a-swappable-battery/",
        "Hands-on: A repairable e-reader with a swappable battery",
        "Four screws and a spudger are all you need to replace nearly every part.",
        "Daniel Okafor",
        "Gadgets",
        "2024-09-03T18:35:01+00:00",
        (
            "The e-reader we tested this week opens with four standard screws, and the battery "
            "pops out of a tray without any adhesive.",
            "Page turns are a little slower than on the market leaders, but the front light is "
            "even and the 7-inch screen is sharp enough for small print.",
            "The maker promises spare parts for seven years, which is longer than most phone "
            "makers commit to.",
        ),
        "/wp-content/uploads/2024/09/ereader-open-800x450.png",
        "microdata",
    ),
    _Article(
        "/security/2024/09/router-firmware-bug-let-attackers-skip-the-login-page/",
        "Router firmware bug let attackers skip the login page entirely",
        "A patch is out, but older models will not receive it.",
        "Priya Raman",
        "Security",
        "2024-09-02T09:05:44+00:00",
        (
            "A flaw in the web interface of several home routers allowed anyone on the local "
            "network to reach the settings pages without a password, researchers said on Monday.",
            "The researchers found the bug by replaying requests from the setup wizard after "
            "it had finished, when the pages should have asked for the password again.",
            "The vendor has shipped fixed firmware for current models and recommends that owners "
            "of discontinued ones disable remote administration.",
        ),
        "/wp-content/uploads/2024/09/router-ui-800x450.jpg",
        "microdata",
        split=2,
    ),
)
OFFSITE_ITEM = ("Sponsored: Cloud backup week", "https://sponsor.example.net/backup-week")


def _rfc822(iso: str) -> str:
    return email.utils.format_datetime(datetime.fromisoformat(iso).astimezone(UTC))


def _feed(base: str) -> str:
    items = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{base}{a.path}</link>"
        f"<dc:creator><![CDATA[{a.author}]]></dc:creator><pubDate>{_rfc822(a.published)}</pubDate>"
        f'<category><![CDATA[{a.section}]]></category><guid isPermaLink="false">{base}/?p='
        f"{2_050_000 + i}</guid><description><![CDATA[{a.dek}]]></description></item>"
        for i, a in enumerate(ARTICLES)
    )
    sponsored = (
        f"<item><title>{OFFSITE_ITEM[0]}</title><link>{OFFSITE_ITEM[1]}</link>"
        "<pubDate>Mon, 02 Sep 2024 12:00:00 +0000</pubDate></item>"
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Ars Technica - All content</title>
<link>{base}/</link><description>Serving the Technologist since 1998.</description>
<language>en-US</language>
<atom:link href="{base}/feed/" rel="self" type="application/rss+xml"/>{items}{sponsored}
</channel></rss>"""


def _figure(a: _Article, base: str) -> str:
    return (
        f'<figure class="intro-image"><img src="{base}{a.image}" width="800" height="450" '
        f'alt="{html.escape(a.title)}"><figcaption>{CREDIT}</figcaption></figure>'
    )


def _head(a: _Article, base: str, extra: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8">'
        f"<title>{html.escape(a.title)} - Ars Technica</title>"
        f'<link rel="canonical" href="{base}{a.path}">'
        f'<meta property="og:site_name" content="Ars Technica">{extra}</head>'
    )


def _pager(a: _Article, base: str, page: int) -> str:
    """WordPress's page-number bar of a two-page article (empty for one page)."""
    if not a.split:
        return ""
    other = f"{base}{a.path}2/" if page == 1 else f"{base}{a.path}"
    number = f'<a href="{other}">{2 if page == 1 else 1}</a>'
    numbers = f"1 {number}" if page == 1 else f"{number} 2"
    follow = f'<a href="{other}"><span class="next">Next &rarr;</span></a>' if page == 1 else ""
    return f'<nav class="page-numbers">Page: <span class="numbers">{numbers} {follow}</span></nav>'


def _next_story(a: _Article, base: str) -> str:
    """The "Next story" link with ``rel="next"``: another article, never a page of this one."""
    nxt = ARTICLES[(ARTICLES.index(a) + 1) % len(ARTICLES)]
    return f'<div class="story-nav"><a href="{base}{nxt.path}" rel="next">Next story</a></div>'


def _microdata_page(a: _Article, base: str, page: int = 1) -> str:
    shown_paragraphs = a.paragraphs
    if a.split:
        shown_paragraphs = a.paragraphs[: a.split] if page == 1 else a.paragraphs[a.split :]
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in shown_paragraphs)
    figure = _figure(a, base) if page == 1 else ""
    shown = datetime.fromisoformat(a.published).strftime("%-m/%-d/%Y, %-I:%M %p")
    nav = f'<nav><a href="{base}/{a.section.lower()}/">{a.section}</a></nav>'
    return f"""{_head(a, base)}<body>{nav}
<article class="article-single" itemscope itemtype="http://schema.org/NewsArticle">
<header class="article-header"><h1 itemprop="headline">{html.escape(a.title)}</h1>
<h2 itemprop="description">{html.escape(a.dek)}</h2>
<section class="post-meta"><p class="byline" itemprop="author creator" itemscope
 itemtype="http://schema.org/Person"><a href="{base}/author/x/" rel="author"><span
 itemprop="name">{a.author}</span></a> - <time class="date" datetime="{a.published}">{shown}
</time></p><a class="site-section" href="{base}/{a.section.lower()}/">{a.section}</a></section>
</header><section class="article-guts"><div itemprop="articleBody" class="article-content
 post-page">{figure}{paragraphs}<div class="ad-wrapper">Advertisement</div></div>
{_pager(a, base, page)}</section><aside class="comments">Reader comments (42)</aside></article>
{_next_story(a, base)}</body></html>"""


def _jsonld_page(a: _Article, base: str) -> str:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Ars Technica", "url": base + "/"},
            {
                "@type": "NewsArticle",
                "headline": a.title,
                "description": a.dek,
                "datePublished": a.published,
                "author": [{"@type": "Person", "name": a.author}],
                "articleSection": a.section,
                "mainEntityOfPage": base + a.path,
            },
        ],
    }
    blocks = [f"<p>{html.escape(p)}</p>" for p in a.paragraphs]
    blocks.insert(2, f'<div class="ars-interlude-container"><p>{PROMO}</p></div>')
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    return f"""{_head(a, base, script)}<body><main><article><header class="article-header">
<h1 class="dusk:text-gray-100 text-3xl">{html.escape(a.title)}</h1>
<p class="text-gray-550 leading-tight">{html.escape(a.dek)}</p>
<div class="font-impact text-sm"><a href="{base}/author/x/">{a.author}</a> &ndash;
<time datetime="{a.published}">{datetime.fromisoformat(a.published):%b %d, %Y %I:%M %p}</time>
</div></header>{_figure(a, base)}
<div class="post-content post-content-double">{"".join(blocks)}</div>
<div class="comments-cta">Comments</div></article></main></body></html>"""


def respond(request: SiteRequest) -> Response:
    path, base = request.path, request.base
    if path == "/feed/":
        return xml_response(_feed(base))
    for a in ARTICLES:
        if path == a.path:
            page = _jsonld_page if a.layout == "jsonld" else _microdata_page
            return html_response(page(a, base))
        if a.split and path == a.path + "2/":
            return html_response(_microdata_page(a, base, page=2))
    if path in {a.image for a in ARTICLES}:
        return image_response(path)
    return not_found()


def _expected(a: _Article) -> SiteArticle:
    return SiteArticle(
        path=a.path,
        title=a.title,
        author=a.author,
        published=at(a.published.removesuffix("+00:00"), tz="UTC"),
        body_contains=(a.paragraphs[0][:40], a.paragraphs[-1][-30:]),
        images=(a.image,),
        category=a.section,
    )


SITE = Site("arstechnica", respond, tuple(_expected(a) for a in ARTICLES), language="en")
