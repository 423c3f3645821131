"""The portal registry: spiders, parsers, demo sites, ``scrapy list``, ``fetch`` by domain, docs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.utils.project import get_project_settings

from crawler.parsers import Page
from crawler.portal_table import render
from crawler.portals import parsers, portal_names
from crawler.portals import portal_spiders as table_spiders
from demo_portal.portals import SITES
from portal_archive.runner import portal_for_url, portal_spiders

PARSERS = parsers()

ROOT = Path(__file__).resolve().parents[1]
PORTALS = portal_names()


def test_portals_md_is_generated_and_current() -> None:
    assert (ROOT / "docs" / "portals.md").read_text(encoding="utf-8") == render(), (
        "docs/portals.md is stale: python -m crawler.portal_table > docs/portals.md"
    )


def test_every_portal_has_spider_parser_and_demo_site() -> None:
    spiders = {s.name: s for s in table_spiders()}
    assert set(PORTALS) == set(spiders) - {"generic"}
    assert set(spiders) == set(PARSERS)
    assert set(PORTALS) - {"ofweek"} == set(SITES)  # ofweek's demo is the server root
    for name, spider in spiders.items():
        assert spider.parser is PARSERS[name]


def test_a_portal_is_named_once_by_its_spider() -> None:
    """No second name to keep in step: not on the spider, not on the parser."""
    for spider in table_spiders():
        assert "portal" not in vars(spider), f"{spider.__name__}.portal: use the spider's name"
        assert "name" not in vars(spider.parser), f"{spider.parser.__name__}.name: drop it"
        page = Page.from_html("<html><h1>t</h1></html>", "https://example.com/a")
        label = spider.parser(spider.name).parse(page, errors="suppress").parser
        assert label.startswith(spider.name + ".V"), label


@pytest.mark.parametrize("portal", PORTALS)
def test_fetch_picks_the_portal_by_domain(portal: str) -> None:
    spiders = portal_spiders(get_project_settings())
    for domain in spiders[portal].domains:
        assert portal_for_url(f"https://{domain}/a/1.html", spiders) == portal
        assert portal_for_url(f"https://news.{domain}/a/1.html", spiders) == portal


def test_scrapy_list_and_crawl_help_show_every_portal() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert set(PORTALS) <= set(listed)
    help_text = subprocess.run(
        [sys.executable, "-m", "portal_archive", "crawl", "--help"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Portals: " + ", ".join(PORTALS) in help_text
