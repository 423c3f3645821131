"""A Scrapy extension for tests: logs every ``response_received`` to ``PROBE_FILE`` (JSON lines).

It stands in for a WARC writer hooked to Scrapy's response signals: image downloads must reach
it like page downloads (``tests/test_images.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy import signals


class ResponseProbe:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Any) -> ResponseProbe:
        probe = cls(Path(crawler.settings["PROBE_FILE"]))
        crawler.signals.connect(probe.received, signal=signals.response_received)
        return probe

    def received(self, response: Any, request: Any, **kwargs: Any) -> None:
        record = {
            "url": response.url,
            "status": response.status,
            "bytes": len(response.body),
            "image": bool(request.meta.get("archive_image")),
            "referer": (request.headers.get("Referer") or b"").decode(),
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
