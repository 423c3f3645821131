"""36氪-shaped demo: listing and article data in a ``window.initialState`` JSON state.

Real shape (``../shared/docs/portals.md``): the list page carries no article links in its
markup; a ``<script>window.initialState={…}</script>`` holds
``information.informationList.itemList[]`` (``itemType`` 0 entries are ads without an
``itemId``), each linking ``/p/{itemId}``. Article pages hold
``articleDetail.articleDetailData.data`` (``widgetTitle``, ``author``, ``publishTime`` as
epoch milliseconds, ``widgetContent`` HTML); the markup only has an empty app shell.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime

from demo_portal.portals.common import (
    Response,
    Site,
    SiteArticle,
    SiteRequest,
    html_response,
    image_response,
    not_found,
    script_state,
)

LISTING_PATH = "/information/web_news/"


@dataclass(frozen=True)
class _Article:
    item_id: int
    title: str
    author: str
    column: str
    published_ms: int
    paragraphs: tuple[str, ...]
    image: str

    @property
    def path(self) -> str:
        return f"/p/{self.item_id}"


ARTICLES = (
    _Article(
        2751234567,
        "一家做冷链传感器的公司，拿下了第三轮融资",
        "晚舟",
        "创投",
        1709618400000,
        (
            "冷链运输里最难的一环，是货物离开冷库之后的“最后一公里”。一家成立五年的传感器公司"
            "给出的方案，是把温度标签做到一枚硬币大小、可以重复使用三百次。",
            "公司创始人告诉我们，本轮融资将主要用于扩建产线和招聘算法团队，"
            "明年的目标是让标签的单次使用成本降到一毛钱以内。",
        ),
        "/img/20240305/cold-chain.jpg",
    ),
    _Article(
        2751230001,
        "县城咖啡馆的第二年：复购率比客流更重要",
        "林间",
        "消费",
        1709604000000,
        (
            "过去一年，不少连锁品牌把门店开进了县城。我们走访了三家开业满一年的门店，"
            "发现活下来的店有一个共同点：熟客贡献了超过六成的营业额。",
            "一位店长算了一笔账：新客靠补贴拉来，熟客靠口味留下，真正决定门店能否盈利的是后者。",
        ),
        "/img/20240305/county-coffee.png",
    ),
)
AD_ITEM = {"itemType": 0, "templateMaterial": {"adId": 9001, "widgetTitle": "品牌推广"}}


def _listing(base: str) -> str:
    items = [
        {
            "itemId": a.item_id,
            "itemType": 10,
            "templateMaterial": {
                "itemId": a.item_id,
                "widgetTitle": a.title,
                "authorName": a.author,
                "publishTime": a.published_ms,
                "widgetImage": base + a.image,
            },
            "route": f"detail_article?itemId={a.item_id}",
        }
        for a in ARTICLES
    ]
    items.insert(1, AD_ITEM)
    state = {"information": {"informationList": {"itemList": items, "hasNextPage": 0}}}
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>最新资讯_36氪</title>
</head><body><div id="app"></div>{script_state("initialState", state)}</body></html>"""


def _content(a: _Article, base: str) -> str:
    blocks = [f"<p>{html.escape(p)}</p>" for p in a.paragraphs]
    figure = (
        f'<p class="image-wrapper"><img data-img-size-val="1080,720" src="{base}{a.image}"></p>'
    )
    return blocks[0] + figure + "".join(blocks[1:])


def _article_page(a: _Article, base: str) -> str:
    data = {
        "itemId": a.item_id,
        "widgetTitle": a.title,
        "author": a.author,
        "authorId": 1000 + a.item_id % 97,
        "publishTime": a.published_ms,
        "column": {"name": a.column},
        "widgetContent": _content(a, base),
        "summary": a.paragraphs[0][:50],
    }
    state = {"articleDetail": {"articleDetailData": {"code": 0, "data": data}}}
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{html.escape(a.title)}-36氪</title>
<link rel="canonical" href="{base}{a.path}"></head>
<body><div id="app"><div class="kr-header">36氪</div></div>
{script_state("initialState", state)}
<script>window.__kr_stat = [];</script></body></html>"""


def respond(request: SiteRequest) -> Response:
    path, base = request.path, request.base
    if path == LISTING_PATH:
        return html_response(_listing(base))
    for a in ARTICLES:
        if path == a.path:
            return html_response(_article_page(a, base))
    if path in {a.image for a in ARTICLES}:
        return image_response(path)
    return not_found()


def _expected(a: _Article) -> SiteArticle:
    published = datetime.fromtimestamp(a.published_ms / 1000, UTC)
    return SiteArticle(
        path=a.path,
        title=a.title,
        author=a.author,
        published=lambda _fetched: published,
        body_contains=(a.paragraphs[0][:30], a.paragraphs[-1][-20:]),
        images=(a.image,),
        category=a.column,
    )


SITE = Site("36kr", respond, tuple(_expected(a) for a in ARTICLES))
