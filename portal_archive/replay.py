"""``reextract``: today's parsers over the stored WARC responses, without network.

1. :func:`index_warc_files` finalizes ``.open`` files a killed run left (torn tail cut off)
   and adds the response records of every WARC file not indexed yet to ``warc_records``.
2. :func:`plan_reextract` picks, per portal, the URLs whose latest capture is a ``200``
   article response, leaving out captures older than the article's stored ``fetched_at``
   (a later live fetch without ``--warc`` must not be undone by an older capture).
3. :func:`reextract` runs the portal spiders on those URLs with ``ARCHIVE_REPLAY`` on: the
   replay downloader middleware (``crawler/warc.py``) answers every request from the WARC
   files, and the responses go through the same spider, parser, pipelines and writer as a
   live ``fetch``. The writer rewrites only articles whose rendering changed, keeping the
   old version in ``revisions``.

Runs under the archive lock (the CLI holds it); index writes go through the archive's DB.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from warcio.archiveiterator import ArchiveIterator

from crawler.warc import (
    KIND_HEADER,
    OPEN_SUFFIX,
    PORTAL_HEADER,
    WARC_SUFFIX,
    finalize_open_file,
    parse_warc_date,
    warc_dir,
)

REPLAY_SETTINGS: dict[str, Any] = {
    "ARCHIVE_REPLAY": True,
    "ARCHIVE_REFRESH": True,  # every planned URL is parsed again, archived or not
    "ARCHIVE_WARC": False,
    "ROBOTSTXT_OBEY": False,  # robots.txt was obeyed when the pages were captured
    "RETRY_ENABLED": False,  # a stored answer does not change on retry
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "HTTPCACHE_ENABLED": False,
}
"""Overrides of a replay run; they win over ``--set``."""


def scan_warc(path: Path) -> Iterator[dict[str, Any]]:
    """``warc_records`` rows of the response records of one WARC file."""
    with path.open("rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            if record.rec_type != "response":
                continue
            headers = record.rec_headers
            http = record.http_headers
            content_type = http.get_header("Content-Type") if http else None
            row = {
                "file": path.name,
                "offset": records.get_record_offset(),
                "uri": headers.get_header("WARC-Target-URI"),
                "date": headers.get_header("WARC-Date"),
                "kind": headers.get_header(KIND_HEADER) or "",
                "portal": headers.get_header(PORTAL_HEADER) or "",
                "status": int(http.get_statuscode()) if http else None,
                "content_type": content_type or "",
                "payload_digest": headers.get_header("WARC-Payload-Digest") or "",
                "record_id": headers.get_header("WARC-Record-ID"),
            }
            records.read_to_end()
            row["length"] = records.get_record_length()
            yield row


@dataclass
class IndexReport:
    files: int = 0
    """WARC files indexed now (not indexed before)."""
    records: int = 0
    finalized: list[str] = field(default_factory=list)
    """``.open`` files of killed runs, closed now."""


def index_warc_files(db: Database, folder: Path) -> IndexReport:
    """Bring ``warc_records`` up to date with the files in ``folder``."""
    report = IndexReport()
    if not folder.is_dir():
        return report
    for partial in sorted(folder.glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        report.finalized.append(finalize_open_file(partial).name)
    known = {row[0] for row in db.execute("select distinct file from warc_records")}
    for path in sorted(folder.glob(f"*{WARC_SUFFIX}")):
        if path.name in known:
            continue  # closed files never change
        rows = list(scan_warc(path))
        with db.atomic():
            db.table("warc_records").insert_all(rows, pk=("file", "offset"), replace=True)
        report.files += 1
        report.records += len(rows)
    return report


@dataclass
class ReextractPlan:
    targets: dict[str, list[str]] = field(default_factory=dict)
    """Portal → URLs to parse again from their latest capture."""
    stale: dict[str, int] = field(default_factory=dict)
    """Portal → articles fetched live after their latest capture (left alone)."""
    not_ok: dict[str, int] = field(default_factory=dict)
    """Portal → URLs whose latest capture is not a 200 (an error page)."""


def _aware(text: str) -> datetime:
    return datetime.fromisoformat(text)


def plan_reextract(db: Database, portals: Sequence[str] | None = None) -> ReextractPlan:
    """What :func:`reextract` will do (pure reading of the index)."""
    latest: dict[str, tuple[str, str, int]] = {}
    sql = "select uri, portal, date, status from warc_records where kind = 'article'"
    for uri, portal, date, status in db.execute(sql + " order by date, file, offset"):
        latest[uri] = (portal, date, status)
    fetched = dict(db.execute("select url, fetched_at from articles").fetchall())
    plan = ReextractPlan()
    for uri, (portal, date, status) in latest.items():
        if portals and portal not in portals:
            continue
        if status != 200:
            plan.not_ok[portal] = plan.not_ok.get(portal, 0) + 1
            continue
        stored = fetched.get(uri)
        if stored and _aware(stored) > parse_warc_date(date):
            plan.stale[portal] = plan.stale.get(portal, 0) + 1
            continue
        plan.targets.setdefault(portal, []).append(uri)
    return plan


@dataclass
class ReextractReport:
    indexed: IndexReport
    plan: ReextractPlan
    run: Any = None
    """The :class:`portal_archive.runner.RunReport` of the replay run (``None``: nothing to do)."""


def reextract(
    archive_dir: Path,
    overrides: Mapping[str, Any] | None = None,
    portals: Sequence[str] | None = None,
) -> ReextractReport:
    """Index the WARC files, plan, and replay the planned URLs through the portal spiders."""
    from archive.store import Archive
    from portal_archive.runner import portal_spiders, project_settings, run_spiders

    settings = project_settings(archive_dir, {**(overrides or {}), **REPLAY_SETTINGS})
    if portals:
        from archive.errors import UnknownPortalError

        known = portal_spiders(settings)
        for name in portals:
            if name not in known:
                raise UnknownPortalError(f"unknown portal {name!r} (known: {', '.join(known)})")
    with Archive(archive_dir) as archive:
        indexed = index_warc_files(archive.db, warc_dir(settings))
        plan = plan_reextract(archive.db, portals)
    report = ReextractReport(indexed, plan)
    jobs = [(portal, {"urls": urls}) for portal, urls in sorted(plan.targets.items())]
    if jobs:
        report.run = run_spiders(settings, jobs, keep_outcomes=False)
    return report
