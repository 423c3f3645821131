"""IT之家-shaped demo: a category front page and article pages with lazy images.

Real shape (``../shared/docs/portals.md``): one subdomain per category
(``it.ithome.com``) listing ``#list > div.fl > ul > li > div > h2 > a``; articles at
``www.ithome.com/0/781/204.htm`` with the time in ``#pubtime_baidu`` (Beijing time,
``2024/3/5 10:20:31``), the byline in ``#author_baidu`` and the body in ``#paragraph``,
whose images are lazy: a placeholder ``src`` and the real URL in ``data-original``.
Images answer 403 without a Referer on the site (hotlink protection).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from demo_portal.portals.common import (
    Response,
    Site,
    SiteArticle,
    SiteRequest,
    at,
    forbidden,
    html_response,
    image_response,
    not_found,
)

PLACEHOLDER = "//img.ithome.com/images/v2.5/t.png"
AD_TIPS = "广告声明：文内含有的对外跳转链接，用于传递更多信息，节省甄选时间，结果仅供参考。"


@dataclass(frozen=True)
class _Article:
    path: str
    title: str
    time: str  # Beijing time, ISO; the page shows it as 2024/3/5 10:20:31
    author: str
    channel: str
    paragraphs: tuple[str, ...]
    image: str  # path below the base URL


ARTICLES = (
    _Article(
        "/0/781/204.htm",
        "国产桌面级 3D 打印机迎来多色换料方案，整机售价压到 2999 元",
        "2024-03-05 10:20:31",
        "雨声",
        "IT资讯",
        (
            "IT之家 3 月 5 日消息，一家成立四年的打印设备厂商今天发布了新款桌面级 3D 打印机，"
            "主打四色自动换料，官方称单次换色的耗材浪费比上一代减少约四成。",
            "新机采用全封闭机箱和双风道散热，热床最高可达 110℃，可以直接打印 ABS 等需要恒温的材料；"
            "厂商同时开放了切片软件的插件接口，方便用户自行编写换料策略。",
            "首发价格为 2999 元，多色换料模块需另购，3 月 12 日起在各大电商平台陆续发货。",
        ),
        "/newsuploadfiles/2024/3/5e1b7c20-printer.jpg",
    ),
    _Article(
        "/0/781/187.htm",
        "开源浏览器引擎发布新版本：页面首次渲染速度提升约 18%",
        "2024-03-05 08:05:12",
        "木叶",
        "软件之家",
        (
            "IT之家 3 月 5 日消息，一个由社区维护的开源浏览器引擎项目发布了年度大版本，"
            "重写了样式计算模块，在项目自带的基准测试中页面首次渲染平均快了约 18%。",
            "新版还默认开启了新的内存回收策略，长时间打开多个标签页时占用更平稳；"
            "开发者表示，下一阶段将重点改进对老旧网页布局的兼容性。",
        ),
        "/newsuploadfiles/2024/3/a93f0d11-engine.png",
    ),
    _Article(
        "/0/780/966.htm",
        "城市共享充电宝迎来统一归还标准，跨品牌归还试点下月启动",
        "2024-03-04 21:47:03",
        "雨声",
        "IT资讯",
        (
            "IT之家 3 月 4 日消息，多家共享充电宝运营商今天联合发布了一份归还接口标准草案，"
            "计划在两座城市试点跨品牌归还，用户在任意一家的机柜上都能归还其他品牌的充电宝。",
            "草案规定了机柜识别、计费结算和故障上报的统一格式，试点期间产生的跨品牌费用由运营商之间按月结算。",
        ),
        "/newsuploadfiles/2024/3/0c4d2e88-powerbank.jpg",
    ),
)
IMAGES = {a.image for a in ARTICLES}


def _shown(iso: str) -> str:
    """``2024-03-05 10:20:31`` → ``2024/3/5 10:20:31`` (no leading zeros in the date)."""
    t = datetime.fromisoformat(iso)
    return f"{t.year}/{t.month}/{t.day} {t:%H:%M:%S}"


def _article_page(a: _Article, base: str) -> str:
    blocks = [f"<p>{html.escape(p)}</p>" for p in a.paragraphs]
    figure = (
        f'<p style="text-align: center;"><img src="{PLACEHOLDER}" w="1080" h="720" '
        f'title="{html.escape(a.title)}" class="lazy" data-original="{base}{a.image}" '
        'width="1080" height="720"></p>'
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(a.title)} - IT之家</title>
<link rel="canonical" href="{base}{a.path}">
<meta name="keywords" content="{html.escape(a.channel)}"></head>
<body><div id="nav"><a href="{base}/">IT之家</a></div>
<div id="con"><div class="fl content">
<div class="crumb"><a href="{base}/">IT之家</a> &gt; <a href="{base}/">{a.channel}</a></div>
<h1>{html.escape(a.title)}</h1>
<div class="cv"><span id="pubtime_baidu">{_shown(a.time)}</span>
<span id="source_baidu">来源：<a href="{base}/">IT之家</a></span>
<span id="author_baidu">作者：<strong>{a.author}</strong></span>
<span id="editor_baidu">责编：<strong>{a.author}</strong></span></div>
<div class="news-content"><div id="paragraph" class="post_content">
{blocks[0]}{figure}{"".join(blocks[1:])}
<p class="ad-tips">{AD_TIPS}</p>
</div></div>
<div class="related"><h3>相关文章</h3><a href="{base}{ARTICLES[-1].path}">更早的消息</a></div>
<script>var newsid = "{a.path}";</script>
</div></div></body></html>"""


def _listing(base: str) -> str:
    items = "".join(
        f'<li><a class="img" href="{base}{a.path}"><img src="{PLACEHOLDER}" '
        f'data-original="{base}{a.image}"></a><div class="c"><h2><a title="{html.escape(a.title)}" '
        f'target="_blank" href="{base}{a.path}" class="title">{html.escape(a.title)}</a></h2>'
        f'<div class="m">{html.escape(a.paragraphs[0][:40])}</div></div></li>'
        for a in ARTICLES
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>IT资讯 - IT之家</title>
</head><body><div id="list"><div class="fl"><ul class="bl">{items}</ul></div>
<div class="fr"><div class="hot"><h2><a href="{base}/0/700/001.htm">热榜旧闻</a></h2></div></div>
</div></body></html>"""


def respond(request: SiteRequest) -> Response:
    path, base = request.path, request.base
    if path == "/":
        return html_response(_listing(base))
    for a in ARTICLES:
        if path == a.path:
            return html_response(_article_page(a, base))
    if path in IMAGES:
        if not request.headers.get("referer", "").startswith(base + "/"):
            return forbidden("禁止盗链")
        return image_response(path)
    return not_found()


def _expected(a: _Article) -> SiteArticle:
    return SiteArticle(
        path=a.path,
        title=a.title,
        author=a.author,
        published=at(a.time),
        body_contains=(a.paragraphs[0][:30], a.paragraphs[-1][-20:]),
        images=(a.image,),
        category=a.channel,
    )


SITE = Site("ithome", respond, tuple(_expected(a) for a in ARTICLES))
