"""``reextract``: a thin click wrapper over :mod:`portal_archive.replay`."""

from __future__ import annotations

import click
from rich.table import Table

from portal_archive.cli.common import console, current, locked

SUMMARY = (
    ("replayed", "archive/replay/served"),
    ("new", "archive/new"),
    ("updated", "archive/updated"),
    ("same", "archive/unchanged"),
    ("failed", "archive/failed"),
    ("not captured", "archive/replay/missing"),
)


@click.command()
@click.option(
    "--portal",
    "portals",
    multiple=True,
    metavar="NAME",
    help="Only this portal's captures (repeatable).  [default: all]",
)
def reextract(portals: tuple[str, ...]) -> None:
    """Re-run today's parsers over the stored WARC responses, without network.

    The latest 200 capture of each article goes through the same parser, pipelines and
    writer as a crawl; articles whose file changes are rewritten (the old version kept in
    revisions), unchanged ones are left alone. Captures older than a later live fetch are
    skipped. Needs captures from crawl --warc or fetch --warc.

    Example: portal-archive reextract --portal ofweek
    """
    from portal_archive.replay import reextract as run

    ctx = current()
    # locked() marks the lock as held in ctx.overrides: the writer must not lock again
    report = locked(ctx, lambda: run(ctx.archive_dir, ctx.overrides, portals))
    indexed = report.indexed
    closed = f"; closed {len(indexed.finalized)} file(s) of interrupted runs"
    console.print(
        f"WARC: {indexed.files} new file(s), {indexed.records} response record(s) indexed"
        + (closed if indexed.finalized else "")
    )
    table = Table(title="reextract")
    table.add_column("portal")
    table.add_column("captures", justify="right")
    for label, _ in SUMMARY:
        table.add_column(label, justify="right")
    table.add_column("older than live", justify="right")
    table.add_column("not 200", justify="right")
    plan = report.plan
    names = sorted({*plan.targets, *plan.stale, *plan.not_ok})
    stats = report.run.stats if report.run is not None else {}
    for name in names:
        spider_stats = stats.get(name, {})
        counts = [str(int(spider_stats.get(key, 0) or 0)) for _, key in SUMMARY]
        table.add_row(
            name,
            str(len(plan.targets.get(name, []))),
            *counts,
            str(plan.stale.get(name, 0)),
            str(plan.not_ok.get(name, 0)),
        )
    console.print(table)
    if not names:
        console.print("nothing to re-extract: no article captures (crawl with --warc first)")
