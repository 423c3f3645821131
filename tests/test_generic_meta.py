"""Metadata as a person reads it (issue #15): the date printed by the headline, day-first
pages, bylines with full Latin names. The pages are our own text in the shapes real pages
have; every expected value was written by reading the page, not by running the parser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.dates import day_first, find_date, parse_page_date
from archive.items import ArticleItem
from archive.normalize import page_zone_of, parse_published
from crawler.parsers import Page, ParseError
from crawler.parsers.generic import GenericParser
from crawler.parsers.generic_meta import PrintedDate, marked_author, printed_date

URL = "https://www.harbourledger.test/notes/relays"


def _page(head: str, body: str, url: str = URL, lang: str = "en") -> Page:
    html = f'<html lang="{lang}"><head>{head}</head><body>{body}</body></html>'
    return Page.from_html(html, url)


def _published(head: str, body: str, url: str = URL, lang: str = "en") -> str:
    return GenericParser.V1().published(_page(head, body, url, lang))


NAV = "<nav><a href='/'>Home</a><a href='/notes'>Notes</a></nav>"


# ----------------------------------------------------------------- the printed date


def test_a_printed_date_under_the_headline_beats_a_declared_one_of_another_day() -> None:
    # a site builder's JSON-LD carries the day the item was last re-published, in no standard
    # form; the reader sees the article's own date under the headline
    head = (
        '<script type="application/ld+json">{"@type": "BlogPosting", '
        '"datePublished": "Jun 24, 2025", "dateModified": "Jun 24, 2025"}</script>'
    )
    body = (
        f"{NAV}<h1>How much to charge for a pottery class</h1>"
        '<div class="staff"><div class="who">Maren Holt</div><div>August 25, 2024</div></div>'
        "<p>Pricing a class starts with the clay.</p>"
    )
    assert _published(head, body) == "2024-08-25"


def test_a_declared_stamp_of_the_printed_day_keeps_its_time() -> None:
    # 19:05 in California is the next day in UTC: the same day give or take the zone
    head = '<meta property="article:published_time" content="2025-12-19T03:05:00+00:00">'
    body = "<h1>Lanterns at low tide</h1><div><time>December 18, 2025</time></div><p>Text.</p>"
    assert _published(head, body) == "2025-12-19T03:05:00+00:00"


def test_published_beats_updated_when_the_page_prints_both() -> None:
    body = (
        "<h1>Using the rowing machine</h1><p><span>March 3, 2020</span> "
        "<span>- Updated October 9, 2025</span></p><p>Sit tall and push with the legs.</p>"
    )
    assert _published("", body) == "2020-03-03"


def test_an_updated_date_alone_does_not_replace_the_declared_publication() -> None:
    head = '<meta property="article:published_time" content="2024-02-27T08:00:00Z">'
    body = (
        "<h1>Eleven lakeside cabins</h1><div><span>Updated</span><span>:</span>"
        "<span>December 4, 2025</span></div><p>Cabins by the water.</p>"
    )
    assert _published(head, body) == "2024-02-27T08:00:00Z"


def test_an_updated_date_alone_is_the_date_of_an_undeclared_page() -> None:
    body = (
        '<aside><span class="time">3 weeks ago</span><a href="/x">Older note</a></aside>'
        "<h1>Metadata at the county archive</h1>"
        '<h3>Ines Varga</h3><p class="date">Last updated on 17 December 2025</p>'
        "<p>The county archive catalogues its ledgers.</p>"
    )
    assert _published("", body) == "2025-12-17"


def test_a_date_line_above_the_headline_counts_when_nothing_is_declared() -> None:
    body = (
        '<div class="kicker"><span>Field notes</span><span>Dec 12, 2025</span></div>'
        "<h1>Why we solder by hand</h1><p>" + "Long paragraph about irons. " * 8 + "</p>"
        "<p>Back on 30 October 2025 the new tips arrived, and we tried them.</p>"
    )
    assert _published("", body) == "2025-12-12"


def test_a_year_less_time_element_is_not_a_date() -> None:
    body = (
        '<h1>Designing a reading room</h1><time datetime="Apr 12">Apr 12</time>'
        "<p>Start with the light.</p>"
    )
    with pytest.raises(ParseError):
        _published("", body)
    head = '<meta itemprop="datePublished" content="2020-04-12T18:00:00-0700">'
    assert _published(head, body) == "2020-04-12T18:00:00-0700"


def test_the_first_headline_with_a_date_wins_on_a_forum() -> None:
    post = "<h2>Wiring a shed</h2><p>{who} 发表于 {when}</p><p>Some reply text here.</p>"
    body = (
        "<h1>Wiring a shed</h1><p>lin 发表于 2004-12-27 12:40</p><p>Question.</p>"
        + post.format(who="mo", when="2004-12-27 19:24")
        + post.format(who="su", when="2004-12-28 08:02")
    )
    assert _published("", body) == "2004-12-27 12:40:00"


def test_printed_date_ranks_by_label_then_distance() -> None:
    texts = ["Menu", "Title of it", "Jo Doe", "Updated: May 2, 2025", "May 1, 2024", "Body"]
    assert printed_date(texts, ["Title of it"]) == PrintedDate("May 1, 2024", False, False, 4)
    texts = ["Menu", "Title of it", "Updated", ":", "May 2, 2025", "Body"]
    assert printed_date(texts, ["Title of it"]) == PrintedDate("May 2, 2025", True, False, 4)
    assert printed_date(["Menu", "Body text"], ["Title of it"]) is None


# ------------------------------------------------------------------- declared dates


def test_of_two_publication_metas_the_earlier_is_the_publication() -> None:
    head = (
        '<meta name="published-time" content="2026-03-09T08:45:32Z">'
        '<meta name="published-date" content="2021-02-16">'
    )
    assert _published(head, "<h1>By land and sea</h1><p>Text.</p>") == "2021-02-16"


def test_a_site_builder_publication_meta_is_read() -> None:
    head = '<meta name="w-published-date" content="2025-05-27T06:03:43.274Z">'
    assert _published(head, "<h1>Moving work in-house</h1><p>Text.</p>") == (
        "2025-05-27T06:03:43.274Z"
    )


# ------------------------------------------------------------------ day-first pages


@pytest.mark.parametrize(
    ("text", "first", "day"),
    [
        ("23.07.2025", False, "2025-07-23"),
        ("05.07.2025", True, "2025-07-05"),
        ("05.07.2025", False, "2025-07-05"),  # dots: day first wherever they are printed
        ("Posted on the 15/12/2025 at 19:00", False, "2025-12-15"),
        ("08/12/2021", True, "2021-12-08"),
        ("08/12/2021", False, "2021-08-12"),
        ("12.18.2025", False, "2025-12-18"),  # a month-first page with dots
        ("19 Dec, 2025", False, "2025-12-19"),
        ("the 3rd of March 2024", False, "2024-03-03"),
    ],
)
def test_day_and_month_in_either_order(text: str, first: bool, day: str) -> None:
    parsed = parse_page_date(text, tz="UTC", day_first=first)
    assert parsed is not None and parsed.date().isoformat() == day


def test_dotted_dates_are_found_in_text_but_not_in_version_numbers() -> None:
    assert find_date("Stand: 23.07.2025, 14:30 Uhr") == "23.07.2025, 14:30"
    assert find_date("firmware 1.12.2025.4 released") is None


@pytest.mark.parametrize(
    ("language", "url", "first"),
    [
        ("fr", "https://www.inria.test/en/x", True),
        ("en-GB", "https://example.com/x", True),
        ("en", "https://www.example.co.uk/x", True),
        ("", "https://www.robomow.de/x", True),
        ("en-US", "https://example.com/x", False),
        ("en", "https://example.com/x", False),
        ("", "https://example.com/x", False),
        ("zh-CN", "https://example.com/x", False),
    ],
)
def test_day_first(language: str, url: str, first: bool) -> None:
    assert day_first(language, url) is first


def test_a_french_page_prints_the_day_first() -> None:
    body = "<h1>L'internet des objets</h1><p><span>08/12/2021</span></p><p>Texte.</p>"
    assert _published("", body, "https://www.inria.test/fr/iot", lang="fr") == "2021-12-08"
    assert _published("", body, "https://www.inria.test/fr/iot", lang="en-US") == "2021-08-12"


def test_a_printed_day_stays_that_day_in_the_archive() -> None:
    raw = _published("", "<h1>Hedges</h1><p>17.05.2021</p><p>Text.</p>", lang="en-GB")
    assert raw == "2021-05-17"
    item = ArticleItem(url=URL, portal="generic", canonical_url=URL, language="en-GB")
    stamp = parse_published(raw, page_zone_of(item, raw), datetime(2026, 1, 1, tzinfo=UTC))
    assert stamp is not None and stamp.date().isoformat() == "2021-05-17"


# ---------------------------------------------------------------------- title, author


def test_an_og_title_that_is_the_host_name_is_not_the_title() -> None:
    head = (
        '<meta property="og:title" content="Mowbot">'
        "<title>Which mower suits which lawn? | Mowbot</title>"
    )
    page = _page(head, "<h1>Which mower suits which lawn?</h1>", "https://www.mowbot.test/b/1")
    assert GenericParser.V1().title(page) == "Which mower suits which lawn?"
    head = '<meta property="og:title" content="Mowbot"><title>Frames | Other</title>'
    page = _page(head, "<p>x</p>", "https://www.mowbot.test/b/1")
    assert GenericParser.V1().title(page) == "Mowbot"  # not the site's name: kept


@pytest.mark.parametrize(
    ("body", "author"),
    [
        ('<div>Written By: <a href="/c/tm"><span>Tom May</span></a></div>', "Tom May"),
        ("<div><span>Written By:</span> <span>Celia Longbourne</span></div>", "Celia Longbourne"),
        ('<p class="author-by-line-text"><span>By </span>Scott Pell</p>', "Scott Pell"),
        ('<div class="byline">Posted by BeauHD</div>', "BeauHD"),
        ('<div class="byline">Text by Hunter Dale</div>', "Hunter Dale"),
        ('<span class="author-name">"David Kim"</span>', "David Kim"),
        ('<div class="byline">Posted by:</div><p>作者：宋怡</p>', "宋怡"),
        (
            "<p><span>By</span> <a href='/s'>Sofia Gonzales</a> <span>May 2, 2025</span></p>",
            "Sofia Gonzales",
        ),
        ("<div><span>Written by</span><span>Edda Tabor</span></div>", "Edda Tabor"),
        ("<div><span>by:</span><a>Ziyu Xu</a>, <a>Lin Bo</a></div>", "Ziyu Xu"),
        ('<div class="author-name">Role</div>', ""),
    ],
)
def test_bylines_as_a_reader_sees_them(body: str, author: str) -> None:
    page = _page("", f"<h1>Headline</h1>{body}<p>Text of the article.</p>")
    assert GenericParser.V1().author(page) == author


def test_marked_author_drops_the_label() -> None:
    assert marked_author("Written by Dan Pantel") == "Dan Pantel"
    assert marked_author("Posted by:") == ""


@pytest.mark.parametrize(
    ("head", "body", "author"),
    [
        # a personal blog: the site's name is its author's, and no byline is printed
        (
            '<meta property="og:site_name" content="Mira Castell">'
            '<meta name="author" content="Mira Castell">',
            "",
            "Mira Castell",
        ),
        # the site's name declared, but the page prints a person's byline: the person
        (
            '<meta property="og:site_name" content="Tallyhouse">'
            '<meta name="author" content="Tallyhouse">',
            '<div class="byline">By Annemie Brandt</div>',
            "Annemie Brandt",
        ),
        (
            '<script type="application/ld+json">{"@type": "Article", "author": {"@type": '
            '"Person", "name": "\\"Dara Kell\\""}}</script>',
            "",
            "Dara Kell",
        ),
        (
            '<script type="application/ld+json">{"@type": "Article", "author": {"@type": '
            '"Person", "name": "Dev Jarvis - Stackyard Editorial Team"}}</script>',
            "",
            "Dev Jarvis",
        ),
        ('<meta name="author" content="undefined">', "", ""),
        ('<meta name="author" content="By Arla Marten">', "", "Arla Marten"),
    ],
)
def test_declared_authors_as_a_reader_sees_them(head: str, body: str, author: str) -> None:
    page = _page(head, f"<h1>Headline</h1>{body}<p>Text of the article.</p>")
    assert GenericParser.V1().author(page) == author


@pytest.mark.parametrize(
    ("head", "body", "title"),
    [
        # the sharing title was rewritten for search; the reader sees the <h1>
        (
            '<meta property="og:title" content="Nutritionists explain 2025\'s diet trends">',
            "<h1>The 7 biggest diet trends of 2025, according to nutritionists</h1>",
            "The 7 biggest diet trends of 2025, according to nutritionists",
        ),
        (
            '<meta property="og:title" content="A brief intro to git">'
            "<title>A brief intro to git • Cora Dahl</title>",
            "<h1>Cora Dahl</h1>",  # the site's name as its logo
            "A brief intro to git",
        ),
        (
            '<meta property="og:title" content="Seven lakeside cabins to book">',
            "<h1>Travel journal</h1>",  # no word in common: a section's name
            "Seven lakeside cabins to book",
        ),
        (
            '<meta property="og:title" content="Seven lakeside cabins to book">',
            "<h1>Lakeside cabins</h1><h1>Cabins by the north shore</h1><h1>Cabins by the dam</h1>",
            "Seven lakeside cabins to book",  # three <h1>: section headings
        ),
        (
            '<meta property="og:title" content="Preparing a transition in Debhost">',
            "<h1>Dec 18 2025 Preparing a transition in Debhost</h1>",  # a dated line
            "Preparing a transition in Debhost",
        ),
        (
            '<meta property="og:title" content="Tips for remote study">',
            "<h1>TIPS FOR REMOTE STUDY</h1>",  # capitals for the eye: the declared spelling
            "Tips for remote study",
        ),
        (
            '<meta property="og:title" content="Five pruning mistakes | Hedgewise">',
            "<h1>Pruning</h1>",
            "Five pruning mistakes",  # the host's name (hedgewise.test) as the last segment
        ),
        (
            '<meta property="og:title" content="Hedgewise | Five pruning mistakes">',
            "",
            "Five pruning mistakes",
        ),
        (
            '<meta property="og:title" content="国产传感器良率突破九成">',
            "<h1>国产MEMS传感器良率首次突破九成</h1>",
            "国产MEMS传感器良率首次突破九成",
        ),
    ],
)
def test_the_headline_a_reader_sees(head: str, body: str, title: str) -> None:
    page = _page(head, f"{NAV}{body}<p>Text of the article.</p>", "https://hedgewise.test/a")
    assert GenericParser.V1().title(page) == title


@pytest.mark.parametrize(
    ("text", "stamp"),
    [
        ("Stand: 5. März 2024, 14:30 Uhr", "2024-03-05T14:30:00"),
        ("publié le 12 mars 2024 à 14:05", "2024-03-12T14:05:00"),
        ("15 de marzo de 2024", "2024-03-15T00:00:00"),
        ("pubblicato il 3 gen. 2025", "2025-01-03T00:00:00"),
        ("le 3 juil. 2022", "2022-07-03T00:00:00"),
        ("gepubliceerd op 9 mei 2023", "2023-05-09T00:00:00"),
    ],
)
def test_month_names_of_western_europe(text: str, stamp: str) -> None:
    found = find_date(text)
    assert found is not None
    parsed = parse_page_date(found, tz="UTC")
    assert parsed is not None and parsed.replace(tzinfo=None).isoformat() == stamp


@pytest.mark.parametrize(
    "text", ["10 marks 2024", "the 12 Market 2024 report", "3 juin juillet", "4 jui 2024"]
)
def test_words_that_only_look_like_months(text: str) -> None:
    assert find_date(text, relative=False) is None


def test_a_german_page_published_and_updated() -> None:
    body = (
        "<h1>Neue Relais für das Umspannwerk</h1>"
        "<p><span>Veröffentlicht am 5. März 2024</span> <span>Aktualisiert am 7. März 2024, "
        "09:15 Uhr</span></p><p>Der Netzbetreiber tauscht die Relais.</p>"
    )
    raw = _published("", body, "https://www.netzblatt.test/artikel/relais", lang="de")
    assert raw == "2024-03-05"


def test_a_publication_label_above_beats_a_stamp_near_a_false_headline() -> None:
    # an old blog: <title> is the blogger's name, which also signs every comment below
    body = (
        "<div>Ling Ma</div><div>.NET notes</div>"
        "<h2>On generics</h2><p>发表于 2004年12月27日 12:40 - (阅读:3727;评论:63)</p>"
        "<p>" + "Generics change how collections are written. " * 8 + "</p>"
        "<p>2004-12-27 19:24</p><p>Ling Ma</p><p>Thanks for reading.</p>"
    )
    assert _published("<title>Ling Ma</title>", body) == "2004-12-27 12:40:00"
