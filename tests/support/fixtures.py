"""Parser fixtures as the tests read them: stored page + meta + expected values.

``scrapy savefixture`` (``crawler/fixtures.py``) writes them; ``tests/test_parsers.py`` runs
every portal parser over every fixture.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.fixtures import FIXTURES_DIR  # where scrapy savefixture writes them


@dataclass(frozen=True)
class Fixture:
    portal: str
    name: str
    html: str
    meta: dict[str, Any]
    expected: dict[str, Any]


def load_fixtures(root: Path = FIXTURES_DIR) -> list[Fixture]:
    fixtures = []
    for page in sorted(root.glob("*/*.html.gz")):
        name = page.name.removesuffix(".html.gz")
        fixtures.append(
            Fixture(
                portal=page.parent.name,
                name=name,
                html=gzip.decompress(page.read_bytes()).decode("utf-8"),
                meta=json.loads((page.parent / f"{name}.meta.json").read_text(encoding="utf-8")),
                expected=json.loads(
                    (page.parent / f"{name}.expected.json").read_text(encoding="utf-8")
                ),
            )
        )
    return fixtures


def fetched_at(fixture: Fixture) -> datetime:
    """When the fixture's page was captured (the reference of its relative dates)."""
    return datetime.fromisoformat(fixture.meta["crawled_at"])
