"""Every portal parser over every stored fixture (captured with ``scrapy savefixture``)."""

from __future__ import annotations

import pytest

from crawler.fixtures import extract
from crawler.parsers import Page, ParseError
from crawler.parsers.ofweek import OfweekParser
from crawler.portals import parsers
from tests.support.fixtures import Fixture, fetched_at, load_fixtures

PARSERS = parsers()

STATED = ("title", "published", "author", "body_contains", "body_excludes")
"""What every fixture's expected.json states, written (or reviewed) by a person reading the
page, never regenerated from the parser's output."""

FIXTURES = load_fixtures()


def test_every_portal_has_fixtures() -> None:
    assert {f.portal for f in FIXTURES} == set(PARSERS)


def test_every_parser_version_is_covered() -> None:
    covered = {f.expected["parser"] for f in FIXTURES}
    for portal, proxy in PARSERS.items():
        for version in proxy.versions:
            assert f"{portal}.{version.VERSION}" in covered, (
                f"add a fixture for {portal}.{version.VERSION}: scrapy savefixture {portal} <url>"
            )


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f"{f.portal}/{f.name}")
def test_fixture_states_what_a_person_reads(fixture: Fixture) -> None:
    missing = [key for key in STATED if key not in fixture.expected]
    assert not missing, f"{fixture.name}: expected.json must state {missing}"
    if not fixture.expected["parse_errors"]:  # an article: its text and its furniture named
        assert len(fixture.expected["body_contains"]) >= 1
        assert fixture.expected["body_excludes"], "name the furniture a reader sees on the page"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f"{f.portal}/{f.name}")
def test_parser_matches_expected(fixture: Fixture) -> None:
    expected = fixture.expected
    assert list(expected) == sorted(expected), "expected.json keys must be sorted"
    actual = extract(fixture.portal, fixture.html, fixture.meta["url"], fetched_at(fixture))
    checked = [k for k in expected if k != "body_excludes"]
    mismatches = {k: (expected[k], actual.get(k)) for k in checked if expected[k] != actual.get(k)}
    assert not mismatches, (
        f"{fixture.name}: parser output changed {mismatches}. If the site changed, add a new "
        "parser version and a new fixture instead of editing this one."
    )
    leaked = [text for text in expected.get("body_excludes", []) if text in actual["body_text"]]
    assert not leaked, f"{fixture.name}: furniture in the body: {leaked}"


def test_raise_mode_reports_the_missing_field() -> None:
    broken = next(f for f in FIXTURES if f.expected["parse_errors"])
    with pytest.raises(ParseError) as info:
        OfweekParser("ofweek").parse(
            Page.from_html(broken.html, broken.meta["url"]), errors="raise"
        )
    assert info.value.field_name == broken.expected["parse_errors"][0]


def test_garbage_page_fails_every_required_field() -> None:
    result = OfweekParser("ofweek").parse(
        Page.from_html("<html><p>nothing</p>", "http://x/"), "suppress"
    )
    assert {"title", "body", "published"} <= set(result.failed)
    assert result.parser == "ofweek.V2"
