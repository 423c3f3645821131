"""Golden conformance: the legacy site's OFweek post, crawled back from a demo page.

Reads ``../shared/golden/000_07d2a805625afdba.txt`` (never copied into the repo), wraps
its title, time and body into a demo-portal article page (GBK, page time 16:09 Beijing,
original image URLs), fetches it through the real pipeline with image mode ``proxy``, and
compares what was written with the golden file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from parsel import Selector

from archive.hexo import legacy_title, parse_post
from demo_portal import DemoArticle, DemoPortal
from tests.conftest import run_cli

CORS = "https://cors.zfour.workers.dev/?"
GOLDEN = "golden/000_07d2a805625afdba.txt"


def _structure(body: str) -> list[tuple[str, str]]:
    """Paragraph texts, links and images in document order, whitespace-normalized."""
    out: list[tuple[str, str]] = []
    for node in Selector(text=f"<div>{body}</div>").xpath("//p | //a | //img"):
        tag = node.root.tag
        if tag == "p":
            out.append(("p", " ".join("".join(node.xpath(".//text()").getall()).split())))
        elif tag == "a":
            out.append(("a", f"{node.attrib.get('href')} {node.attrib.get('title')}"))
        else:
            out.append(("img", f"{node.attrib.get('src')} {node.attrib.get('alt')}"))
    return out


def _original_title(golden_title: str, body: str) -> str:
    """The page title before the legacy rule: the images' title attribute carries it."""
    for candidate in Selector(text=body).css("img::attr(title)").getall():
        if legacy_title(candidate) == golden_title:
            return candidate
    return golden_title


@pytest.fixture(scope="module")
def golden_text(shared_dir: Path) -> str:
    return (shared_dir / GOLDEN).read_text(encoding="utf-8")


def test_golden_round_trip_through_a_demo_page(golden_text: str, tmp_path: Path) -> None:
    golden = parse_post(golden_text)
    title = _original_title(str(golden.metadata["title"]), golden.body_html)
    assert golden.metadata["date"] == "Thu, 25 Aug 2022 08:09:00 GMT"
    page_body = golden.body_html.replace(CORS, "").replace(' referrerpolicy="no-referrer"', "")
    page = DemoArticle(
        art_id=30572367,
        month="2022-08",
        title=title,
        published="2022-08-25 16:09",
        source="OFweek维科网",
        body_html=page_body,
        in_listing=False,
        in_feed=False,
    )
    with DemoPortal(port=0, extra_articles=[page]) as portal:
        url = portal.article_url(page)
        result = run_cli(
            tmp_path,
            "fetch",
            url,
            "--portal",
            "ofweek",
            "--image-mode",
            "proxy",
            "--image-proxy",
            CORS + "{url}",
            settings=("AUTOTHROTTLE_ENABLED=False", "ARCHIVE_IMAGES_DOWNLOAD=False"),
        )
        assert result.returncode == 0, result.stderr
        assert portal.hits[url.removeprefix(portal.base_url)] == 1
    written_path = Path(result.stdout.strip().splitlines()[-1])
    written_text = written_path.read_text(encoding="utf-8")
    written = parse_post(written_text)

    front = re.compile(r"\A\n---\n.*?\n---\n", re.S)
    assert front.match(written_text).group(0) == front.match(golden_text).group(0)  # type: ignore[union-attr]
    assert written.metadata == golden.metadata
    assert written.frame == golden.frame
    assert _structure(written.body_html) == _structure(golden.body_html)
    assert len([s for s in _structure(golden.body_html) if s[0] == "img"]) == 4
    # The strongest form: the whole file is byte-identical to the golden one.
    assert written_text == golden_text
