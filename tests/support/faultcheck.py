"""Compare an archive with a fault-mode portal's ground truth (tests and the soak script).

:func:`crawl_faults` runs ``portal-archive crawl`` against the portal in a child process
(its peak RSS measured), :func:`snapshot` reads what the archive holds afterwards
(read-only), and :func:`problems` lists every way it differs from what the portal served:

* every article served correctly at least once is archived exactly once, with its title,
  its date (none for ``no_date``: the fetch time is not a publication date) and the end of
  its body;
* every other listed article is in ``failures`` with the reason its fault implies;
* one file per row, no two rows for one article, no request robots.txt forbids or to a
  host the portal never linked;
* the ``crawl_runs`` row counts what happened (new rows, failures recorded, URLs found).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo_portal.content import GENERATED_ID_BASE, generated_article, generated_published
from demo_portal.faults import FAULTS, FaultInjector

ART_ID_RE = re.compile(r"ART-8100-280[12]-(\d+)\.html")

CI_SETTINGS: tuple[str, ...] = (
    "AUTOTHROTTLE_ENABLED=False",
    "DOWNLOAD_DELAY=0",
    "ARCHIVE_FSYNC=False",
    "DOWNLOAD_TIMEOUT=1",
    "ARCHIVE_RETRY_BACKOFF=0.05",
    "ARCHIVE_RETRY_AFTER_MAX=3",
    "DOWNLOAD_MAXSIZE=1048576",
    "DOWNLOAD_WARNSIZE=262144",
)
"""Short timeouts and small limits so a fault run takes seconds (the portal's stall and
sizes must stay above them: ``FaultConfig(stall=2, oversize_bytes=12 MiB)``)."""

_WRAPPER = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:])\n"
    "print('maxrss_kb=%d' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
    " file=sys.stderr)\n"
    "sys.exit(r.returncode)\n"
)


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    maxrss_kb: int
    started: float
    ended: float


def generated_crawl_args(portal: Any, pages: int, *listings: str) -> list[str]:
    """``crawl ofweek`` over the demo portal's generated listing (and ``listings``), ``pages``
    listing pages deep: the CLI arguments after ``--archive``."""
    extra = [arg for url in listings for arg in ("--listing-url", url)]
    return [
        "crawl",
        "ofweek",
        "--base-url",
        portal.base_url,
        "--listing-url",
        portal.generated_listing_url,
        *extra,
        "--max-pages",
        str(pages),
    ]


def crawl_faults(
    archive: Path, portal: Any, settings: Sequence[str] = CI_SETTINGS, timeout: float = 300
) -> CrawlResult:
    """``portal-archive crawl ofweek`` over the portal's generated listing, in a child."""
    argv = [sys.executable, "-m", "portal_archive", "--archive", str(archive)]
    for setting in settings:
        argv += ["--set", setting]
    argv += generated_crawl_args(portal, portal.generated_listing_pages)
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning", "COLUMNS": "200"}
    started = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    ended = time.time()
    m = re.search(r"maxrss_kb=(\d+)\s*$", proc.stderr)
    return CrawlResult(
        proc.returncode,
        proc.stdout,
        proc.stderr[: m.start()] if m else proc.stderr,
        int(m.group(1)) if m else 0,
        started,
        ended,
    )


def art_id_of(url: str) -> int | None:
    m = ART_ID_RE.search(url)
    return int(m.group(1)) if m else None


@dataclass
class Snapshot:
    """What the archive holds after a run, keyed by the portal's article ids."""

    run: int
    archived: Counter[int] = field(default_factory=Counter)
    rows: list[dict[str, Any]] = field(default_factory=list)
    files: int = 0
    failures: dict[int, dict[str, Any]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    crawl_run: dict[str, Any] = field(default_factory=dict)
    served_ok: set[int] = field(default_factory=set)
    late_only: set[int] = field(default_factory=set)
    never_served_ok: set[int] = field(default_factory=set)
    violations: int = 0
    fault_responses: int = 0
    maxrss_kb: int = 0


def snapshot(archive: Path, injector: FaultInjector, run: int, maxrss_kb: int = 0) -> Snapshot:
    """Read ``archive`` (read-only) after run number ``run`` (1-based)."""
    snap = Snapshot(run, maxrss_kb=maxrss_kb)
    con = sqlite3.connect(f"file:{archive / 'index.db'}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        for row in con.execute("select * from articles"):
            aid = art_id_of(row["canonical_url"])
            if aid is None:
                snap.unmapped.append(row["canonical_url"])
                continue
            snap.archived[aid] += 1
            snap.rows.append(dict(row))
        for row in con.execute("select * from failures"):
            aid = art_id_of(row["url"])
            if aid is None or aid in snap.failures:
                snap.unmapped.append(row["url"])
                continue
            snap.failures[aid] = dict(row)
        runs = con.execute("select * from crawl_runs order by id").fetchall()
        snap.crawl_run = dict(runs[run - 1]) if len(runs) >= run else {}
    finally:
        con.close()
    snap.files = sum(1 for _ in (archive / "posts").rglob("*.md"))
    snap.served_ok = injector.served_ok()
    snap.late_only = injector.late_only()
    snap.never_served_ok = injector.never_served_ok()
    snap.violations = len(injector.violations())
    snap.fault_responses = injector.fault_responses()
    return snap


def _published_ok(row: dict[str, Any], art_id: int, fault: str) -> bool:
    if fault == "no_date":  # no date is invented: the fetch time stays fetched_at
        return row["published"] is None and bool(row["fetched_at"])
    published = datetime.fromisoformat(row["published"])
    truth = generated_published(art_id - GENERATED_ID_BASE) - timedelta(hours=8)
    return published == truth.replace(tzinfo=UTC)


def _body_probe(art_id: int) -> str:
    """The last 16 characters of the article's last paragraph (no markup)."""
    body = generated_article(art_id - GENERATED_ID_BASE, "").body_html
    last = re.findall(r"(?s)<p\b[^>]*>(.*?)</p>", body)[-1]
    return re.sub(r"<[^>]+>", "", last).strip()[-16:]


def problems(
    snap: Snapshot, injector: FaultInjector, previous: Snapshot | None = None
) -> list[str]:
    """Every difference between the archive and the ground truth; ``[]`` when none."""
    plan = injector.plan
    out: list[str] = []
    listed = set(plan.article_ids)
    out += [f"row or failure not mapped to an article: {u}" for u in snap.unmapped]
    for aid, n in sorted(snap.archived.items()):
        if n != 1:
            out.append(f"{aid}: archived {n} times")
    archived = set(snap.archived)
    for aid in sorted(snap.served_ok - archived):
        out.append(f"{aid} ({plan.assignments.get(aid, 'clean')}): served correctly, not archived")
    for aid in sorted(archived - snap.served_ok - snap.late_only):
        out.append(f"{aid}: archived but never served correctly")
    for aid in sorted(snap.late_only - archived - set(snap.failures)):
        out.append(f"{aid}: served late, neither archived nor a failure")
    if snap.files != len(snap.rows):
        out.append(f"{snap.files} files for {len(snap.rows)} rows")
    for aid in sorted(snap.never_served_ok - set(snap.failures)):
        out.append(f"{aid} ({plan.assignments.get(aid, 'clean')}): lost (not archived, no failure)")
    for aid, row in sorted(snap.failures.items()):
        fault = plan.assignments.get(aid, "")
        if aid in archived:
            out.append(f"{aid}: archived and still in failures")
        elif aid not in listed:
            out.append(f"{aid}: failure for an article the portal never listed")
        elif aid in snap.late_only:
            pass  # a late answer may have timed out on the crawler's side
        elif not fault or row["reason"] != FAULTS[fault].reason:
            want = FAULTS[fault].reason if fault else "no failure"
            out.append(f"{aid} ({fault or 'clean'}): failure {row['reason']!r}, want {want!r}")
        if previous is not None and aid in previous.failures:
            attempts = previous.failures[aid]["attempts"] + 1
            if row["attempts"] != attempts:
                out.append(
                    f"{aid}: {row['attempts']} attempts after run {snap.run}, want {attempts}"
                )
    for row in snap.rows:
        row_id = art_id_of(row["canonical_url"])
        assert row_id is not None
        aid = row_id
        truth = generated_article(aid - GENERATED_ID_BASE, "")
        fault = plan.assignments.get(aid, "")
        if row["title"] != " ".join(truth.title.split()):
            out.append(f"{aid} ({fault}): title {row['title']!r}, served {truth.title!r}")
        if not _published_ok(row, aid, fault):
            out.append(f"{aid} ({fault}): published {row['published']}")
        if _body_probe(aid) not in (row["body_text"] or ""):
            out.append(f"{aid} ({fault}): body lacks {_body_probe(aid)!r}")
    if snap.violations:
        out.append(f"{snap.violations} request(s) robots.txt forbids or to an off-site host")
    out += _run_row_problems(snap, injector, previous)
    return out


def _run_row_problems(
    snap: Snapshot, injector: FaultInjector, previous: Snapshot | None
) -> list[str]:
    run = snap.crawl_run
    if not run:
        return [f"no crawl_runs row for run {snap.run}"]
    out = []
    before = len(previous.rows) if previous else 0
    aliases = len(injector.plan.articles_with("dup_canonical"))
    expect = {
        "status": "finished",
        "new": len(snap.rows) - before,
        "failed": sum(1 for f in snap.failures.values() if f["run_id"] == run["id"]),
        "discovered": len(injector.plan.article_ids) + aliases,
    }
    for key, want in expect.items():
        if run[key] != want:
            out.append(f"crawl_runs.{key} = {run[key]!r} after run {snap.run}, want {want!r}")
    return out


def figures(snaps: Sequence[Snapshot], injector: FaultInjector) -> dict[str, int]:
    """The figures of a fault run (last snapshot): faults, served, archived, lost, dups."""
    last = snaps[-1]
    kept = set(last.archived) | set(last.failures)
    lost = len((last.never_served_ok | last.late_only) - kept) + len(
        last.served_ok - set(last.archived)
    )
    return {
        "seed": injector.plan.seed,
        "articles": len(injector.plan.article_ids),
        "runs": len(snaps),
        "fault_kinds": len({*injector.plan.assignments.values(), *injector.plan.listing}),
        "faulty_articles": len(injector.plan.assignments),
        "faults_injected": last.fault_responses,
        "served_ok": len(last.served_ok),
        "served_late": len(last.late_only),
        "archived": len(last.archived),
        "failures": len(last.failures),
        "lost": lost,
        "duplicates": sum(n - 1 for n in last.archived.values()) + (last.files - len(last.rows)),
        "violations": last.violations,
        "peak_rss_mb": max(s.maxrss_kb for s in snaps) // 1024,
    }
