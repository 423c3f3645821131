"""Author (byline) of any page: declarations first, then the bylines Chinese and English
news pages print.

Order: ``<meta name=author>`` and similar, JSON-LD ``author``, then labelled text
(``作者：宋怡 杨志华``, ``执笔人：``, ``文/``), a reporter credit (``本报记者 王建宏 张文攀``,
``（记者 胡晓蓉）``, ``新京报记者 彭冲``), ``By Jane Doe``, a name in brackets closing the
article (``（袁源）``, ``（姚峰 上海报道）``), a forum credit (``本贴由 大卫 于…``,
``ggjjzhzz 发表于 2004…``) and last the editor (``责任编辑：刘林源``, ``编辑：山石``).
A declared author that is a site, a company or an id (``www.yunnan.cn,云南网``,
``L_104485``) is not taken. Several names are joined with one space.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import pairwise
from typing import Any, NamedTuple

from archive.dates import find_date

AUTHOR_META: tuple[str, ...] = (
    "author",
    "article:author",
    "og:article:author",
    "dc.creator",
    "dcterms.creator",
    "byl",
    "sailthru.author",
    "parsely-author",
    "citation_author",
    "twitter:creator",
    "twitter:data",
)
"""``<meta>`` keys that name the author, in order of trust."""

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝封蔺"
)
"""Common Chinese surnames (single character): a second name in a byline must start with one."""
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "宇文",
        "长孙",
        "司徒",
        "夏侯",
        "轩辕",
        "端木",
        "独孤",
        "南宫",
    ]
)
_ZH_NAME = rf"[{_HAN}][{_HAN}·]{{1,3}}"
"""A Chinese name: 2-4 Han characters (``·`` inside minority names)."""
_LATIN_NAME = r"[A-Za-z][\w.\-]{1,24}"
"""A Latin pen name or user name (``zboygirl``)."""
_FULL_NAME = r"(?-i:[A-Z][\w.'\-]+(?:[ \xa0]+(?:[A-Z][\w.'\-]+|de|van|von|der|da|di|le)){1,3})"
"""A Latin full name, each part capitalized (``Tom May``, ``Ludwig van Beethoven``), on one line."""
_NAME = rf"(?:{_ZH_NAME}(?:&{_ZH_NAME})?|{_FULL_NAME}|{_LATIN_NAME})"
_SEP = r"[ \u3000\xa0、，,]+"
_REST = r"(?=(?P<rest>[^\n]{0,40}))"
_END = r"(?=$|[\s\u3000\xa0)）\]】|/｜:：,，。]|报道|发自|摄|整理)"
"""What may follow a name: a space, a closing bracket, ``报道``, ``发自`` …"""

LABELLED = re.compile(
    rf"(?:作\s*者|撰文|执笔人?|撰稿人?|(?<![{_HAN}])文|Author|Written by)\s*[:：/]\s*"
    rf"(?P<names>{_NAME}){_END}{_REST}",
    re.I,
)
REPORTER = re.compile(
    rf"(?:(?:本报|本刊|本台|总台|特约|实习)?(?:记者|通讯员|实习生))[\s\u3000\xa0]*"
    rf"(?P<names>{_ZH_NAME}){_END}{_REST}"
)
_EN_NAME = r"[A-Z][\w.'\-]+(?:\s+[A-Z][\w.'\-]+){0,3}"
BY_LINE = re.compile(rf"^\s*By\s+(?P<names>{_EN_NAME}(?:\s*(?:,|and|&)\s*{_EN_NAME})*)\s*$")
BY_LABEL = re.compile(
    r"^\s*(?:(?:Written|Posted|Article|Text|Words|Story|Reported)\s+)?by\s*:?\s*$", re.I
)
"""A byline's label standing alone, the name in the next text (``By`` | ``Sofia Gonzalez``)."""
CLOSING_BRACKET = re.compile(
    rf"[。！？”」.!?]\s*[（(]\s*(?P<names>{_ZH_NAME}(?:{_SEP}{_ZH_NAME}){{0,4}})"
    rf"\s*(?:[{_HAN}]{{2,3}}报道)?\s*[)）]\s*$"
)
FORUM = re.compile(
    rf"(?:本贴|本帖|此贴)?由\s*(?P<names>{_NAME})\s*(?:于|张贴|发表)"
    rf"|(?P<poster>{_NAME})\s+发表于\s*\d"
)
EDITOR = re.compile(rf"(?:责任编辑|责编|编辑)\s*[:：]\s*(?P<names>{_NAME}){_END}{_REST}")


def looks_like_chinese_name(token: str, *, allow_four: bool = False) -> bool:
    """A 2-3 character name starting with a common surname, or 3-4 with a compound one
    (``allow_four``: also four characters after a single surname, e.g. a joint name)."""
    if not re.fullmatch(rf"[{_HAN}]{{2,4}}", token):
        return False
    if token[:2] in COMPOUND_SURNAMES:
        return len(token) in (3, 4)
    return token[0] in SURNAMES and len(token) in ((2, 3, 4) if allow_four else (2, 3))


def _names(first: str, rest: str = "", *, check_first: bool = False) -> str:
    """``first`` and the names after it in ``rest`` (each must look like a Chinese name)."""
    names = [first.strip()]
    if check_first and not (looks_like_chinese_name(names[0]) or re.match("[A-Za-z]", names[0])):
        return ""
    for token in re.split(_SEP, rest.strip()) if rest.strip() else []:
        if not looks_like_chinese_name(token):
            break
        names.append(token)
    names = [n for n in names if n and n not in _NOT_NAMES]
    return " ".join(dict.fromkeys(names))


_NOT_A_PERSON = re.compile(
    r"[,，;；@!]|www\.|https?:|\.(?:com|cn|net|org)\b|\d{3}|_"
    r"|网$|报$|社$|台$|公司|集团|出版|新闻|中心|频道|编辑部|管理员|admin",
    re.I,
)
"""A declared author that is a site, a company, software or an id. A desk that signs the
article (``Camphouse Team``, ``Podium Staff``, ``AAA Travel Editor``) is what a reader sees
as its author, and is kept."""
_NOT_NAMES = frozenset(
    [
        "本报",
        "本刊",
        "记者",
        "编辑",
        "通讯员",
        "实习生",
        "报道",
        "来源",
        "日期",
        "时间",
        "发布",
        "摄影",
        "图片",
        "供图",
        "原创",
        "转载",
        "网友",
        "作者",
        "文章",
        "发表",
        "评论",
        "阅读",
        "点击",
    ]
)


_PARTICLES = frozenset("的了是在和与及就都也而这那其我你他她它")
"""Characters no name starts with (a label matched inside a sentence)."""


def _clean_names(raw: str) -> str:
    names = [n for n in re.split(_SEP, raw.strip()) if n and n not in _NOT_NAMES]
    return " ".join(dict.fromkeys(names))


def plausible_person(name: str, site_names: Iterable[str] = ()) -> bool:
    """Whether a declared author looks like a person (not a site, company or id)."""
    text = name.strip()
    if text.lower() in _NOT_AUTHORS:
        return False
    if not text or len(text) > 40 or text.lower() in {s.lower() for s in site_names}:
        return False
    return not _NOT_A_PERSON.search(text)


def declared_author(
    meta: dict[str, str],
    ld_objects: Iterable[dict[str, Any]],
    site_names: Iterable[str] = (),
    *,
    site_signs: bool = False,
) -> str:
    """The author a page declares in ``<meta>`` or JSON-LD, when it names a person (or, with
    ``site_signs``, when it is the site's own name: a personal blog, a company signing its
    posts — taken only when the page prints no byline)."""
    sites = [] if site_signs else list(site_names)
    meta = dict(meta)
    for n in ("1", "2"):  # Slack-style labels many CMS print: label1 "Written by", data1 name
        if meta.get(f"twitter:label{n}", "").strip().lower() in ("written by", "author", "by"):
            meta.setdefault("twitter:data", meta.get(f"twitter:data{n}", ""))
    for key in AUTHOR_META:
        value = _bare_name(meta.get(key, ""))
        if value and plausible_person(value, sites):
            if _CJK_ONLY.match(value):
                tokens = _clean_names(value).split()
                return "".join(tokens) if all(len(t) == 1 for t in tokens) else " ".join(tokens)
            return value
    objects = list(ld_objects)
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str) and "name" in o}
    for data in objects:
        authors = data.get("author")
        if isinstance(authors, dict | list):  # {"@id": …} points at a Person of the @graph
            items = authors if isinstance(authors, list) else [authors]
            authors = [by_id.get(a.get("@id"), a) if isinstance(a, dict) else a for a in items]
        names = [_bare_name(n) for n in _ld_author_names(authors)]
        names = [n for n in names if plausible_person(n, sites)]
        if names:
            return ", ".join(dict.fromkeys(names))
    return ""


_NOT_AUTHORS = frozenset(
    [
        "undefined",
        "null",
        "none",
        "unknown",
        "about",
        "category",
        "state",
        "role",
        "webmaster",
        "admin",
        "author",
        "the author",
    ]
)
"""Template and interface words that stand where a name should be."""
_CJK_ONLY = re.compile(rf"^[{_HAN}·\s、，,]+$")


def _bare_name(value: str) -> str:
    """A declared name without quotes or a desk after it (``"David Kim"``,
    ``David Jackson - FullStack Editorial Team`` → ``David Jackson``)."""
    text = value.strip().strip("\"“”'").strip()
    text = re.sub(r"^By\s+(?=[A-Z])", "", text)
    head = re.split(r"\s+[-|–—]\s+", text, maxsplit=1)[0]
    return head if head != text and re.fullmatch(_FULL_NAME, head) else text


def _ld_author_names(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value.strip()
    elif isinstance(value, dict):
        if value.get("@type", "Person") in ("Person", ["Person"]) and isinstance(
            value.get("name"), str
        ):
            yield value["name"].strip()
    elif isinstance(value, list):
        for item in value:
            yield from _ld_author_names(item)


def name_under_title(texts: list[str], title: str, window: int = 6) -> str:
    """A text node of only names (each like a Chinese name) among the few after the title."""
    for i, text in enumerate(texts):
        if not text or not (text == title or (len(text) >= len(title) // 2 and text in title)):
            continue
        for near in texts[i + 1 : i + 1 + window]:
            tokens = [t for t in re.split(_SEP, near.strip(" ()（）[]【】")) if t]
            if tokens and all(looks_like_chinese_name(t) for t in tokens):
                return " ".join(tokens)
    return ""


def marked_author(text: str) -> str:
    """The name in the text of an element marked as the byline (``class=byline``…)."""
    text = re.sub(
        r"^\s*(?:(?:(?:Written|Posted|Text|Words|Story|Article)\s+)?By|作者|文)\s*[:：/]?\s*",
        "",
        text.strip(),
        flags=re.I,
    )
    text = text.strip().strip("\"“”'")
    text = re.split(
        r"\s*(?:\||•|·|—|–| - |\bon\b|\bupdated\b|\bpublished\b)\s*", text, maxsplit=1, flags=re.I
    )[0]
    text = text.strip(" ,;")
    if not text or len(text) > 60 or re.search(r"\d|@|https?:", text):
        return ""
    return text if plausible_person(text) or " and " in text else ""


def byline_author(texts: list[str], title: str = "", marked: Iterable[str] = ()) -> str:
    """The author printed on the page: ``texts`` are its text nodes in document order,
    ``title`` its headline (a line of names just under it is a byline) and ``marked`` the
    texts of elements marked as the byline."""
    joined = "\n".join(texts)
    for match in LABELLED.finditer(joined):
        if match.group("names") not in _NOT_NAMES and match.group("names")[0] not in _PARTICLES:
            return _names(match.group("names"), match.group("rest"))
    for line in joined.splitlines():
        credits = [
            _names(m.group("names"), m.group("rest"))
            for m in REPORTER.finditer(line)
            if looks_like_chinese_name(m.group("names"), allow_four=True)
        ]
        if any(credits):
            return " ".join(dict.fromkeys(" ".join(credits).split()))
    for text in marked:
        name = marked_author(text)
        if name:
            return name
    if title:
        names = name_under_title(texts, title)
        if names:
            return names
    for text in texts:
        by = BY_LINE.match(text)
        if by:
            return re.sub(r"\s*(?:,|\band\b|&)\s*", ", ", by.group("names")).strip(", ")
    for label, text in pairwise(texts):
        if BY_LABEL.match(label) and re.fullmatch(_FULL_NAME, text.strip(" ,")):
            return text.strip(" ,")
    for text in texts:
        bracket = CLOSING_BRACKET.search(text)
        if bracket:
            tokens = _clean_names(bracket.group("names")).split()
            if tokens and all(looks_like_chinese_name(t) for t in tokens):
                return " ".join(tokens)
    for match in FORUM.finditer(joined):
        names = _clean_names(match.group("names") or match.group("poster") or "")
        if names:
            return names
    for match in EDITOR.finditer(joined):
        if match.group("names") not in _NOT_NAMES:
            return _names(match.group("names"), match.group("rest"))
    return ""


# ------------------------------------------------------------------ the date a reader sees

UPDATED_LABEL = re.compile(
    r"\b(?:updated|modified|revised|reviewed|edited|fact[- ]checked|aktualisiert|geändert"
    r"|mis à jour|actualizado|aggiornato|atualizado|bijgewerkt)\b|更新|修改|修订",
    re.I,
)
"""Words that make a printed date the article's last change rather than its publication."""
PRINTED_DATE_CHARS = 80
"""A printed date stands in a short text (a byline, a date line), not in the article's prose."""


def _is_headline(text: str, headlines: list[str]) -> bool:
    return any(text == h or (len(text) >= len(h) // 2 and text in h) for h in headlines)


def _dates_in(text: str) -> Iterator[tuple[int, str]]:
    """Every absolute date (with a year) printed in ``text``, with where it starts."""
    start = 0
    while (found := find_date(text[start:], relative=False)) is not None:
        at = text.index(found, start)
        yield at, found
        start = at + len(found)


class PrintedDate(NamedTuple):
    """A date printed by the headline: its text, and what the page says about it."""

    text: str
    updated: bool
    """Labelled as the last change (``Updated``, ``Last reviewed``)."""
    before: bool
    """Printed above the headline (a kicker or a breadcrumb line), not in the byline under it."""
    at: int = 0
    """Index of its text among the page's texts."""


def _label_before(texts: list[str], j: int) -> str:
    """The short texts just before ``texts[j]`` (``Updated`` ``:``), up to one with a date."""
    label: list[str] = []
    for text in reversed(texts[max(0, j - 2) : j]):
        if len(text) >= 30 or find_date(text, relative=False):
            break
        label.insert(0, text)
    return " ".join(label)


def printed_date(
    texts: list[str], headlines: Iterable[str], before: int = 4, after: int = 12
) -> PrintedDate | None:
    """The date a reader sees by the headline: ``texts`` are the page's text nodes in order,
    ``headlines`` its title and ``<h1>``.

    Among the short texts (a byline, a date line) a few before and after the headline (its
    first occurrence with a date about it: a forum repeats it over every reply), the nearest
    date with a year wins, the one after the headline on a tie; a
    date labelled as the last change (``Updated``, ``Last reviewed``) only when the page prints
    no other (``August 16, 2019 - Updated July 9, 2025`` is from August 16, 2019).
    """
    heads = [h for h in headlines if h]
    best: tuple[bool, int, int, bool, str, int] | None = None
    occurrences = (i for i, text in enumerate(texts) if text and _is_headline(text, heads))
    for n, i in enumerate(occurrences):
        for j in range(max(0, i - before), min(len(texts), i + after + 1)):
            node = texts[j]
            if j == i or len(node) > PRINTED_DATE_CHARS or _is_headline(node, heads):
                continue
            for at, found in _dates_in(node):
                label = node[:at]
                if not re.search(r"\w", label):  # the label in its own node(s) before it
                    label = _label_before(texts, j)
                rank = (bool(UPDATED_LABEL.search(label)), n, abs(j - i), j < i, found, j)
                best = min(best, rank) if best else rank
    return PrintedDate(best[4], best[0], best[3], best[5]) if best else None
