"""cnBeta-shaped demo: a CSRF-protected JSON listing API and two-part article bodies.

Real shape (``../shared/docs/portals.md``): the home page carries
``<meta name="csrf-token">`` and a ``div[data-type]``; the list comes from
``/home/more?&type=<type>&page=N&_csrf=<token>`` as JSON ``result[]`` whose ``url_show``
is protocol-relative (``//www.cnbeta.com.tw/articles/tech/1423001.htm``). Article pages
show the time as ``2024年03月05日 10:20`` (Beijing) in the first ``header.title .meta span``,
the source in ``span.source`` (``稿源：…``), and split the body into ``.article-summary``
and ``.article-content``, with ad blocks (``.article-global``) and a topic logo
(``.article-topic``) inside. Protocol-relative images.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from demo_portal.portals.common import (
    Response,
    Site,
    SiteArticle,
    SiteRequest,
    at,
    html_response,
    image_response,
    json_response,
    not_found,
)

TOKEN = "dGhpcy1pcy1hLWRlbW8tY3NyZi10b2tlbg=="  # noqa: S105 - the demo's public page token
PAGE_SIZE = 2
AD = "【推广】年度旗舰显卡限时直降，点此抢购"
TOPIC_LOGO = "/img/topics/hardware.png"


@dataclass(frozen=True)
class _Article:
    sid: int
    kind: str
    title: str
    time: str  # Beijing, ISO
    source: str
    summary: str
    paragraphs: tuple[str, ...]
    image: str

    @property
    def path(self) -> str:
        return f"/articles/{self.kind}/{self.sid}.htm"


ARTICLES = (
    _Article(
        1423001,
        "tech",
        "国产开源办公套件发布新版 改进了对复杂表格的兼容",
        "2024-03-05 10:20",
        "开源办公社区",
        "开源办公套件发布新版本，重点改进复杂表格和批注的兼容性。",
        (
            "新版本重写了表格公式的导入模块，官方称对常见财务模板的还原度明显提高。",
            "此外，文档批注在多人协作时不再出现错位，开发团队还承诺每季度发布一次维护更新。",
        ),
        "/img/article/2024/0305/office-suite.jpg",
    ),
    _Article(
        1422987,
        "tech",
        "研究人员展示室温下工作的新型存储单元原型",
        "2024-03-05 08:45",
        "科技日报",
        "一个研究团队展示了能在室温下稳定工作的新型存储单元原型，读写次数超过十亿次。",
        (
            "研究人员介绍，这种存储单元利用材料的相变特性保存数据，断电后信息可以保留十年以上。",
            "团队表示距离量产还有很长的路，下一步将重点解决单元之间的串扰问题。",
        ),
        "/img/article/2024/0305/memory-cell.png",
    ),
    _Article(
        1422950,
        "game",
        "独立游戏工作室公开新作实机演示 主打手绘画风",
        "2024-03-04 22:10",
        "游戏日报",
        "一家独立游戏工作室公开了新作的实机演示，全部场景采用手绘画风。",
        (
            "演示长约八分钟，展示了解谜和探索两种玩法，工作室透露游戏将支持中文配音。",
            "新作预计明年上半年推出，首发登陆电脑平台，主机版本仍在评估中。",
        ),
        "/img/article/2024/0304/indie-game.jpg",
    ),
)


def _host_relative(base: str) -> str:
    """``http://127.0.0.1:8765/cnbeta`` → ``//127.0.0.1:8765/cnbeta`` (as ``url_show``)."""
    return "//" + base.split("://", 1)[1]


def _home(base: str) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="csrf-token" content="{TOKEN}"><title>cnBeta.COM - 中文业界资讯站</title></head>
<body><div class="cnbeta-home"><div class="items-area" data-type="all"></div>
<a class="more" href="javascript:;">加载更多</a></div></body></html>"""


def _more(request: SiteRequest) -> Response:
    if request.query.get("_csrf") != TOKEN:
        return json_response({"state": "error", "message": "csrf token mismatch"}, 403)
    page = int(request.query.get("page") or 1)
    entries = ARTICLES[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    rel = _host_relative(request.base)
    result = [
        {
            "sid": a.sid,
            "title": a.title,
            "url_show": rel + a.path,
            "inputtime": a.time + ":00",
            "source": f"{a.source}@http://example.invalid/",
            "hometext": a.summary,
        }
        for a in entries
    ]
    return json_response({"state": "success", "message": "", "result": result})


def _shown(iso: str) -> str:
    day, clock = iso.split(" ")
    y, m, d = day.split("-")
    return f"{y}年{m}月{d}日 {clock}"


def _article_page(a: _Article, base: str) -> str:
    rel = _host_relative(base)
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in a.paragraphs]
    paragraphs.insert(1, f'<p style="text-align:center"><img src="{rel}{a.image}"></p>')
    paragraphs.insert(2, f'<div class="article-global"><a href="{base}/ad">{AD}</a></div>')
    topic = (
        f'<div class="article-topic"><a href="{base}/topics/9.htm"><img title="硬件" '
        f'src="{rel}{TOPIC_LOGO}"></a></div>'
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{html.escape(a.title)} - cnBeta.COM</title>
<link rel="canonical" href="{base}{a.path}"></head><body>
<div class="cnbeta-article"><header class="title"><h1>{html.escape(a.title)}</h1>
<div class="meta"><span>{_shown(a.time)}</span><span class="source">稿源：<a
 href="{base}/"><span>{a.source}</span></a></span></div></header>
<div class="cnbeta-article-body"><div class="article-summary">{topic}<p>{html.escape(a.summary)}
</p></div><div class="article-content">{"".join(paragraphs)}</div></div>
<div class="article-global">猜你喜欢</div></div></body></html>"""


def respond(request: SiteRequest) -> Response:
    path, base = request.path, request.base
    if path == "/":
        return html_response(_home(base))
    if path == "/home/more":
        return _more(request)
    for a in ARTICLES:
        if path == a.path:
            return html_response(_article_page(a, base))
    if path in {a.image for a in ARTICLES} | {TOPIC_LOGO}:
        return image_response(path)
    return not_found()


def _expected(a: _Article) -> SiteArticle:
    return SiteArticle(
        path=a.path,
        title=a.title,
        author="cnBeta",
        published=at(a.time),
        body_contains=(a.summary[:20], a.paragraphs[-1][-20:]),
        images=(a.image,),
    )


SITE = Site("cnbeta", respond, tuple(_expected(a) for a in ARTICLES))
