"""Parser fixtures: stored page + meta + expected values, captured by a command.

``scrapy savefixture <portal> <url>`` writes ``tests/fixtures/portals/<portal>/<name>``
``.html.gz``, ``.meta.json`` and ``.expected.json``; ``tests/test_parsers.py`` runs every
portal parser over every fixture. Review the expected file before committing it.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.html import html_to_text
from archive.items import ArticleItem
from archive.normalize import normalize_article
from crawler.parsers import Page
from crawler.portals import parsers, portal_spiders

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "portals"


def extract(portal: str, html: str, url: str, fetched_at: datetime | None = None) -> dict[str, Any]:
    """What a fixture's ``expected.json`` describes: parser output after normalization.

    ``body_text`` is returned for the ``body_excludes`` check; it is not stored.

    ``fetched_at`` (the fixture's ``crawled_at``) resolves relative dates (``3 小时前``).
    """
    result = parsers()[portal](portal).parse(Page.from_html(html, url), errors="suppress")
    item = ArticleItem(
        url=url,
        portal=portal,
        canonical_url=result.fields.get("canonical_url", ""),
        title_raw=result.fields.get("title", ""),
        source_raw=result.fields.get("source", ""),
        published_raw=result.fields.get("published", ""),
        body_raw=result.fields.get("body", ""),
        fetched_at=fetched_at,
        language=result.fields.get("language", ""),
    )
    zones = {spider.name: spider.page_timezone for spider in portal_spiders()}
    normalize_article(item, zones.get(portal, "Asia/Shanghai"))  # the crawl's zone rule
    paragraphs = [line for line in html_to_text(item.body_html).splitlines() if line]
    return {
        "author": " ".join(result.fields.get("author", "").split()),
        "body_contains": [paragraphs[0][:40], paragraphs[-1][:40]] if paragraphs else [],
        "canonical_url": item.canonical_url,
        "category": " ".join(result.fields.get("category", "").split()),
        "image_count": len(item.images),
        "images": [ref.url for ref in item.images],
        "parser": result.parser,
        "parse_errors": result.failed,
        "published": item.published.isoformat() if item.published else None,
        "source": item.source,
        "title": item.title,
        "body_text": item.body_text,
    }


def save_fixture(
    portal: str, url: str, body: bytes, encoding: str, name: str, root: Path = FIXTURES_DIR
) -> Path:
    """Store a captured page and its generated expectations; return the folder."""
    folder = root / portal
    folder.mkdir(parents=True, exist_ok=True)
    html = body.decode(encoding, errors="replace")
    (folder / f"{name}.html.gz").write_bytes(gzip.compress(html.encode("utf-8"), mtime=0))
    now = datetime.now(UTC).replace(microsecond=0)
    meta = {"url": url, "crawled_at": now.isoformat(), "encoding": encoding}
    expected = extract(portal, html, url, now)
    del expected["body_text"]  # too long to review; body_contains/body_excludes stand for it
    expected["body_excludes"] = []  # fill in: furniture that must not reach the body
    for suffix, data in ((".meta.json", meta), (".expected.json", expected)):
        (folder / f"{name}{suffix}").write_text(
            json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    return folder
