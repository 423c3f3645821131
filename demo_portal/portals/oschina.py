"""开源中国 OSChina-shaped demo: an AJAX list fragment and pages with relative dates.

Real shape (``../shared/docs/portals.md``): the news list is an HTML fragment from
``/news/widgets/_news_index_all_list?p=1&type=ajax`` that answers only AJAX requests with a
Referer from the news section (403 otherwise); entries are ``.items .news-item`` with
``h3 a``. Dates are shown relative to the time of the request: ``25 分钟前``,
``3 小时前``, ``昨天 10:20``, year-less ``03/05 09:15``, or in full ``2023/11/20 14:05``
(Beijing time). Current article pages put the body in ``.article-detail`` and the byline
in the first ``.article-box__meta .item``; older ones use ``#articleContent`` and
``a.__user``. ``.ad-wrap`` blocks sit inside the body.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from demo_portal.portals.common import (
    Response,
    Site,
    SiteArticle,
    SiteRequest,
    at,
    days_before,
    forbidden,
    html_response,
    image_response,
    not_found,
    shanghai,
)

LIST_PATH = "/news/widgets/_news_index_all_list"
PAGE_SIZE = 3
AD = "开源中国企业版年末特惠，点击了解详情"
FOOTER = "本站新闻禁止未经授权转载"


@dataclass(frozen=True)
class _Article:
    news_id: int
    title: str
    author: str
    channel: str
    shown: Callable[[datetime], str]
    """The date text as the page shows it at a request time."""
    published: Callable[[datetime], datetime]
    """What that text means, given the fetch time."""
    paragraphs: tuple[str, ...]
    image: str = ""
    legacy: bool = False

    @property
    def path(self) -> str:
        return f"/news/{self.news_id}"


DateRule = tuple[Callable[[datetime], str], Callable[[datetime], datetime]]
"""(date text at a request time, its meaning given the fetch time)."""


def _ago(delta: timedelta, text: str) -> DateRule:
    return (lambda _now: text), (lambda fetched: fetched - delta)


def _days_ago(days: int, hour: int, minute: int, *, yesterday: bool = False) -> DateRule:
    def shown(now: datetime) -> str:
        if yesterday:
            return f"昨天 {hour:02d}:{minute:02d}"
        return f"{shanghai(days_before(now, days, hour, minute)):%m/%d %H:%M}"

    return shown, (lambda fetched: days_before(fetched, days, hour, minute))


def _fixed(text: str) -> DateRule:
    moment = at(text.replace("/", "-"))
    return (lambda _now: text), moment


ARTICLES = (
    _Article(
        281_530,
        "轻量级时序数据库发布 2.0：写入路径重写，压缩率提升一倍",
        "达尔",
        "开源资讯",
        *_ago(timedelta(minutes=25), "25 分钟前"),
        (
            "这个面向物联网场景的时序数据库今天发布了 2.0 版本，核心变化是重写了写入路径，"
            "把原来按设备分片的存储改成了按时间窗口合并，官方测试中压缩率提升了一倍。",
            "2.0 同时提供了从 1.x 迁移的离线工具，项目维护者建议先在测试环境验证后再升级生产集群。",
        ),
        "/img/news/tsdb-2.png",
    ),
    _Article(
        281_522,
        "一个用 Rust 编写的终端文件管理器进入 1.0",
        "莫言川",
        "开源资讯",
        *_ago(timedelta(hours=3), "3 小时前"),
        (
            "这款终端文件管理器的作者在发布说明里写道，1.0 意味着配置文件格式从此稳定，"
            "以后的版本会保证向后兼容。",
            "新版本加入了异步预览，大目录下的首屏时间从一秒多降到了两百毫秒左右。",
        ),
    ),
    _Article(
        281_497,
        "国内高校联合发布开源芯片设计课程，配套工具链全部开放",
        "达尔",
        "行业资讯",
        *_days_ago(1, 10, 20, yesterday=True),
        (
            "几所高校的计算机学院联合发布了一门开源芯片设计课程，从指令集讲到流片前验证，"
            "课程使用的仿真器、综合脚本和教学用处理器核全部以开源许可证发布。",
            "课程团队表示，希望降低芯片设计的入门门槛，让更多学生能在笔记本电脑上完成完整的实验。",
        ),
        "/img/news/chip-course.jpg",
    ),
    _Article(
        281_310,
        "开源协作平台调整免费仓库存储上限，个人用户不受影响",
        "青禾",
        "行业资讯",
        *_days_ago(10, 9, 15),
        (
            "一家代码托管平台宣布调整组织账户免费仓库的存储上限，超出部分需要购买扩容包，"
            "个人账户的额度保持不变。",
            "平台同时承诺，新规则生效前会提前三十天通知受影响的组织，并提供数据导出工具。",
        ),
    ),
    _Article(
        279_880,
        "老牌 Web 服务器发布安全更新，修复两个高危漏洞",
        "莫言川",
        "安全资讯",
        *_fixed("2023/11/20 14:05"),
        (
            "项目组发布了安全更新，修复了请求头解析和代理模块中的两个高危漏洞，"
            "建议所有启用了反向代理功能的用户尽快升级。",
            "本次更新不包含新功能，配置文件无需修改，可以直接替换二进制文件完成升级。",
        ),
        legacy=True,
    ),
)


def _list_fragment(page: int, base: str, now: datetime) -> str:
    entries = ARTICLES[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    items = "".join(
        f'<div class="item news-item" data-url="{base}{a.path}"><div class="content">'
        f'<h3 class="header"><a href="{base}{a.path}" title="{html.escape(a.title)}" '
        f'target="_blank">{html.escape(a.title)}</a></h3>'
        f'<div class="description"><p class="line-clamp">{html.escape(a.paragraphs[0][:40])}</p>'
        f'</div><div class="extra"><div class="ui horizontal list">'
        f'<div class="item">{a.author}</div><div class="item">{a.shown(now)}</div></div></div>'
        "</div></div>"
        for a in entries
    )
    return f'<div class="ui items">{items}</div>' if entries else '<div class="ui items"></div>'


def _body(a: _Article, base: str) -> str:
    blocks = [f"<p>{html.escape(p)}</p>" for p in a.paragraphs]
    if a.image:
        blocks.insert(1, f'<p><img src="{base}{a.image}" alt="{html.escape(a.title)}"></p>')
    blocks.insert(-1, f'<div class="ad-wrap"><a href="{base}/ad">{AD}</a></div>')
    return "".join(blocks)


def _article_page(a: _Article, base: str, now: datetime) -> str:
    head = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(a.title)}'
        f" - OSCHINA - 中文开源技术交流社区</title>"
        f'<link rel="canonical" href="{base}{a.path}"></head><body>'
    )
    crumb = (
        f'<div class="ui breadcrumb"><a class="section" href="{base}/">开源中国</a>'
        f'<a class="section" href="{base}/news">资讯</a>'
        f'<div class="active section">{a.channel}</div></div>'
    )
    if a.legacy:
        return (
            f'{head}<div class="news-detail">{crumb}<h2 class="title">{html.escape(a.title)}'
            f'</h2><div class="meta"><a class="__user" href="{base}/u/1"><span>{a.author}'
            f'</span></a> 发布于 <span class="time">{a.shown(now)}</span></div>'
            f'<div id="articleContent">{_body(a, base)}</div></div></body></html>'
        )
    return (
        f'{head}<div class="article-box">{crumb}<h1 class="article-box__title">'
        f'{html.escape(a.title)}</h1><div class="article-box__meta"><div class="item-list">'
        f'<span class="item">{a.author}</span><span class="item">{a.shown(now)}</span>'
        f'<span class="item">阅读 1.2K</span></div></div>'
        f'<div class="article-detail">{_body(a, base)}</div>'
        f'<div class="article-box__footer">{FOOTER}</div></div></body></html>'
    )


def respond(
    request: SiteRequest, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Response:
    path, base = request.path, request.base
    if path == LIST_PATH:
        ajax = request.headers.get("x-requested-with") == "XMLHttpRequest"
        if not ajax or not request.headers.get("referer", "").startswith(base + "/news"):
            return forbidden("非法请求")
        page = int(request.query.get("p") or 1)
        return html_response(_list_fragment(page, base, clock()))
    for a in ARTICLES:
        if path == a.path:
            return html_response(_article_page(a, base, clock()))
    if path in {a.image for a in ARTICLES if a.image}:
        return image_response(path)
    return not_found()


def _expected(a: _Article) -> SiteArticle:
    return SiteArticle(
        path=a.path,
        title=a.title,
        author=a.author,
        published=a.published,
        body_contains=(a.paragraphs[0][:30], a.paragraphs[-1][-20:]),
        images=(a.image,) if a.image else (),
        category=a.channel,
    )


SITE = Site("oschina", respond, tuple(_expected(a) for a in ARTICLES))
