"""Crawl-run bookkeeping: the ``crawl_runs`` table and whether a run failed as a whole."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from sqlite_utils import Database

from archive.index import now_iso

COUNTS = ("discovered", "new", "updated", "unchanged", "failed")
ALARM_COUNTS = ("parse_checked", "parse_broken", "fallback")
"""Parser-breakage alarm counters (``crawler/alarm.py``), columns of ``crawl_runs`` (m005)."""


def run_status(stats: Mapping[str, Any], finish_reason: str | None = None) -> str:
    """``finished``, ``degraded`` (the parser-breakage alarm went off) or ``failed``.

    ``failed``: the run did not finish, found nothing to do at all, or could not write a
    batch (``archive/write_error``: those articles are fetched again by the next run).

    >>> run_status({"archive/discovered": 0, "archive/failed": 2}, "finished")
    'failed'
    >>> run_status({"archive/discovered": 9, "archive/write_error": 3}, "finished")
    'failed'
    """
    reason = finish_reason or stats.get("finish_reason")
    if reason != "finished" or stats.get("archive/write_error"):
        return "failed"
    if not stats.get("archive/discovered") and stats.get("archive/failed"):
        return "failed"
    if stats.get("archive/degraded"):
        return "degraded"
    return "finished"


def degraded_summary(stats: Mapping[str, Any]) -> str:
    """``3/10 pages without title/body/date, 3 by the generic extractor`` for a run."""
    broken = int(stats.get("archive/parse_broken", 0) or 0)
    total = int(stats.get("archive/parse_checked", 0) or 0)
    fallback = int(stats.get("archive/fallback", 0) or 0)
    return f"{broken}/{total} pages without title/body/date, {fallback} by the generic extractor"


def error_summary(stats: Mapping[str, Any]) -> str:
    """``http_404×1, no_title×1`` from the failure counters of a run."""
    parts = []
    for key, value in sorted(stats.items()):
        for prefix, label in (("archive/fetch_failed/", ""), ("archive/dropped/missing_", "no_")):
            if key.startswith(prefix):
                parts.append(f"{label}{key.removeprefix(prefix)}×{value}")
    return ", ".join(parts)


def start_run(db: Database, portal: str) -> int:
    table = db.table("crawl_runs")
    table.insert(
        {"portal": portal, "command": " ".join(sys.argv), "started": now_iso(), "status": "running"}
    )
    assert table.last_pk is not None
    return int(table.last_pk)


def finish_run(db: Database, run_id: int, stats: Mapping[str, Any], reason: str | None) -> str:
    status = run_status(stats, reason)
    values: dict[str, Any] = {f: int(stats.get(f"archive/{f}", 0) or 0) for f in COUNTS}
    values["skipped"] = int(stats.get("archive/skipped_archived", 0) or 0)
    values.update({f: int(stats.get(f"archive/{f}", 0) or 0) for f in ALARM_COUNTS})
    db.table("crawl_runs").update(
        run_id,
        {**values, "finished": now_iso(), "status": status, "error_summary": error_summary(stats)},
    )
    return status
