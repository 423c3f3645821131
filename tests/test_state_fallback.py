"""JSON-state layouts (36氪, 虎嗅) fall back to the page's HTML when the state lacks the article."""

from __future__ import annotations

from crawler.parsers import Page
from crawler.parsers.huxiu import HuxiuParser
from crawler.parsers.kr36 import Kr36Parser

PARAGRAPHS = (
    "<p>第一段：一家做仓储机器人的公司在南京开了第二座工厂，设计年产能约五千台，主要生产料箱机器人。</p>"
    "<p>第二段：公司负责人介绍，过去一年电商和医药仓库的订单增长很快，第一座工厂已经满负荷运转。</p>"
)

KR36_ENCRYPTED = f"""<html><body>
<script>window.initialState={{"state":"b64-cipher-text","isEncrypt":true}}</script>
<div class="article-title-icon"><a class="title-icon-item item-a" href="/user/1">林一帆</a>
<span class="title-icon-item item-time"> · 2019-05-09 09:30</span></div>
<h1 class="article-title">仓储机器人公司开了第二座工厂</h1>
<div class="common-width content articleDetailContent kr-rich-text-wrapper">{PARAGRAPHS}</div>
</body></html>"""

HUXIU_CUT_STATE = f"""<html><body>
<script>window.__INITIAL_STATE__={{"articleDetail":{{"articleDetail":{{}}}}}};(function(){{}}())</script>
<h1 class="article__title">仓储机器人公司开了第二座工厂</h1>
<span class="author-info__username">周野</span><span class="article__time">2023-09-01 17:00</span>
<div class="article__content">{PARAGRAPHS}</div></body></html>"""


def test_36kr_encrypted_state_reads_the_html() -> None:
    page = Page.from_html(KR36_ENCRYPTED, "https://36kr.com/p/5209999")
    result = Kr36Parser("36kr").parse(page, errors="raise")
    assert result.parser == "36kr.V1"  # the state is there, the article is not in it
    assert result.fields["title"] == "仓储机器人公司开了第二座工厂"
    assert result.fields["author"] == "林一帆"
    assert "2019-05-09 09:30" in result.fields["published"]
    assert "第二段" in result.fields["body"]


def test_36kr_without_any_state_is_v0() -> None:
    html = KR36_ENCRYPTED.replace("window.initialState", "window.somethingElse")
    result = Kr36Parser("36kr").parse(Page.from_html(html, "https://36kr.com/p/1"), "raise")
    assert result.parser == "36kr.V0"
    assert result.fields["title"] == "仓储机器人公司开了第二座工厂"


def test_huxiu_state_without_the_article_reads_the_html() -> None:
    page = Page.from_html(HUXIU_CUT_STATE, "https://www.huxiu.com/article/1.html")
    result = HuxiuParser("huxiu").parse(page, errors="raise")
    assert result.parser == "huxiu.V2"
    assert result.fields["title"] == "仓储机器人公司开了第二座工厂"
    assert result.fields["author"] == "周野"
    assert result.fields["published"] == "2023-09-01 17:00"
    assert "第一段" in result.fields["body"]
