"""Ars Technica-shaped demo: an English WordPress news site discovered through its RSS feed.

Shape: RSS 2.0 at ``/feed/`` (``feeds.arstechnica.com/arstechnica/index`` on the real
site) with RFC 822 ``pubDate`` in UTC, ``dc:creator`` and ``category``; articles at
``/<section>/YYYY/MM/<slug>/``. Two page layouts are served side by side, as during a
redesign: the older one marks fields with schema.org microdata (``itemprop="headline"``,
``time[datetime]``, ``itemprop="articleBody"``), the newer one carries a JSON-LD
``NewsArticle`` and a ``div.post-content`` body with promo boxes inside it.
All text was written for this project.
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
            "The vendor has shipped fixed firmware for current models and recommends that owners "
            "of discontinued ones disable remote administration.",
        ),
        "/wp-content/uploads/2024/09/router-ui-800x450.jpg",
        "microdata",
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


def _microdata_page(a: _Article, base: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in a.paragraphs)
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
 post-page">{_figure(a, base)}{paragraphs}<div class="ad-wrapper">Advertisement</div></div>
</section><aside class="comments">Reader comments (42)</aside></article></body></html>"""


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
