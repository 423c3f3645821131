"""虎嗅-shaped demo: an HTML list with relative links, two article layouts side by side.

Real shape (``../shared/docs/portals.md``): the list ``/article/`` links
``.article-item--normal > a`` / ``.article-item--large > a`` with relative hrefs (the demo
writes ``2876543.html``, which resolves as the site's ``/article/2876543.html`` does,
also below the demo's ``/huxiu`` prefix). Current article pages carry
``window.__INITIAL_STATE__={…};(function(){…}())`` with
``articleDetail.articleDetail`` (``title``, ``dateline`` in epoch **seconds**,
``user_info.username``, ``content`` HTML with an authorisation box
``div.neirong-shouquan``); older pages are plain HTML (``.article__title``,
``.article__time``, ``.author-info__username``, ``.article__content``) with lazy
images whose URL is in ``_src``.
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
    shanghai,
)

SHOUQUAN = "本文来自虎嗅，原文链接。未经授权，不得转载。"
LAZY_PLACEHOLDER = "/img/placeholder.png"


@dataclass(frozen=True)
class _Article:
    aid: int
    title: str
    author: str
    channel: str
    dateline: int  # epoch seconds
    paragraphs: tuple[str, ...]
    image: str
    legacy: bool = False

    @property
    def path(self) -> str:
        return f"/article/{self.aid}.html"


ARTICLES = (
    _Article(
        2876543,
        "二手新能源车的残值，为什么这么难算",
        "赵一川",
        "车与出行",
        1709625600,
        (
            "一辆开了三年的新能源车值多少钱？不同平台给出的估价能差出两三万元，"
            "问题的核心在于电池：它的健康状况很难在几分钟的检测里看清楚。",
            "几家二手车平台开始和车企合作读取电池数据，但数据口径并不统一，"
            "行业距离一套公认的残值评估标准还有不短的距离。",
        ),
        "/img/article/2876543-cover.jpg",
    ),
    _Article(
        2876102,
        "小镇青年的“第二份工作”",
        "何夕",
        "社会观察",
        1709539200,
        (
            "晚上八点，县城的快递驿站里还有人在分拣包裹。很多年轻人白天在工厂或商店上班，"
            "晚上再做几个小时兼职，为的是多攒一点钱。",
            "这种“第二份工作”正在改变小镇的消费习惯，也让一些本地服务行业找到了新的用工来源。",
        ),
        "/img/article/2876102-station.png",
    ),
    _Article(
        2790011,
        "一家老牌家电企业的数字化转型笔记",
        "周野",
        "商业",
        1693558800,
        (
            "三年前，这家工厂的排产还靠老师傅手写在白板上。如今，订单从下单到排产的时间"
            "从两天缩短到了两个小时。",
            "转型并不顺利，负责人坦言，最难的不是系统，而是让一线员工相信新流程真的更省事。",
        ),
        "/img/article/2790011-factory.jpg",
        legacy=True,
    ),
)


def _content(a: _Article, base: str, *, lazy: bool) -> str:
    blocks = [f"<p>{html.escape(p)}</p>" for p in a.paragraphs]
    if lazy:
        img = (
            f'<img class="lazyImg" src="{base}{LAZY_PLACEHOLDER}" _src="{base}{a.image}" '
            f'data-w="1080" data-h="720">'
        )
    else:
        img = f'<img src="{base}{a.image}" data-w="1080" data-h="720">'
    blocks.insert(1, f'<p class="img-center-box">{img}</p>')
    blocks.append(f'<div class="neirong-shouquan"><span>{SHOUQUAN}</span></div>')
    return "".join(blocks)


def _listing(base: str) -> str:
    items = "".join(
        f'<div class="article-item article-item--{"large" if i == 0 else "normal"}">'
        f'<a href="{a.aid}.html" target="_blank"><h5 class="article-item__title">'
        f"{html.escape(a.title)}</h5></a></div>"
        for i, a in enumerate(ARTICLES)
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>资讯-虎嗅网</title>
</head><body><div class="article-list">{items}</div>
<div class="hot-list"><a href="/moment/">24小时</a></div></body></html>"""


def _current(a: _Article, base: str) -> str:
    state = {
        "articleDetail": {
            "articleDetail": {
                "aid": a.aid,
                "title": a.title,
                "dateline": a.dateline,
                "user_info": {"uid": 900 + a.aid % 50, "username": a.author},
                "channel_info": {"name": a.channel},
                "content": _content(a, base, lazy=False),
                "video_info": None,
            }
        }
    }
    tail = ";(function(){var s;(s=document.currentScript||document.scripts[document.scripts.length-1]).parentNode.removeChild(s);}());"  # noqa: E501 - the portal's own one-liner
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{html.escape(a.title)}-虎嗅网</title><link rel="canonical" href="{base}{a.path}">
</head><body><div id="__nuxt"></div>{script_state("__INITIAL_STATE__", state, tail)}
</body></html>"""


def _legacy(a: _Article, base: str) -> str:
    local = f"{shanghai(datetime.fromtimestamp(a.dateline, UTC)):%Y-%m-%d %H:%M}"  # Beijing
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{html.escape(a.title)}-虎嗅网</title><link rel="canonical" href="{base}{a.path}">
</head><body><div class="article-wrap"><h1 class="article__title">{html.escape(a.title)}</h1>
<div class="article__author-info-box"><a class="author-info__username">{a.author}</a>
<span class="article__time">{local}</span><a class="column-link">{a.channel}</a></div>
<div class="top-img"><img src="{base}{a.image}"></div>
<div class="article__content">{_content(a, base, lazy=True)}</div>
<div class="article__bottom-content">评论 12 · 收藏 30</div></div></body></html>"""


def respond(request: SiteRequest) -> Response:
    path, base = request.path, request.base
    if path == "/article/":
        return html_response(_listing(base))
    for a in ARTICLES:
        if path == a.path:
            return html_response((_legacy if a.legacy else _current)(a, base))
    if path in {a.image for a in ARTICLES} | {LAZY_PLACEHOLDER}:
        return image_response(path)
    return not_found()


def _expected(a: _Article) -> SiteArticle:
    published = datetime.fromtimestamp(a.dateline, UTC)
    return SiteArticle(
        path=a.path,
        title=a.title,
        author=a.author,
        published=lambda _fetched: published,
        body_contains=(a.paragraphs[0][:30], a.paragraphs[-1][-20:]),
        images=(a.image,),
        category=a.channel,
    )


SITE = Site("huxiu", respond, tuple(_expected(a) for a in ARTICLES))
