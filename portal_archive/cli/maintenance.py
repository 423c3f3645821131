"""``import``, ``reindex``, ``verify``, ``stats``: thin click wrappers over
``archive.importer`` and ``archive.maintenance``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from portal_archive.cli.common import (
    EXIT_FAILED,
    Context,
    console,
    current,
    library_errors,
    locked,
    settings_for,
)

# --------------------------------------------------------------------------- import


def _proxies(settings: Any) -> list[str]:
    proxies = list(settings.getlist("ARCHIVE_IMAGE_PROXIES"))
    template = settings.get("ARCHIVE_IMAGE_PROXY")
    if template and template not in proxies:
        proxies.append(template)
    return proxies


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--portal",
    metavar="NAME",
    help="Portal key for every post [default: from the legacy site folder, else 'imported'].",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file.")
@click.option(
    "--image-mode",
    type=click.Choice(["origin", "proxy", "local"]),
    default=None,
    help="Rewrite the imported posts in this image mode (local downloads their "
    "images)  [default: as found, byte-identical]",
)
@click.option(
    "--bulk/--no-bulk",
    default=None,
    help="Load the index in one transaction and build the search indexes once at the end, "
    "or row by row in a transaction per batch  [default: bulk from 1,000 posts into an "
    "archive holding at most a quarter as many]",
)
def import_command(
    paths: tuple[Path, ...],
    portal: str | None,
    as_json: bool,
    image_mode: str | None,
    bulk: bool | None,
) -> None:
    """Import existing Hexo/Hugo/Jekyll posts (files, or folders: their .md, .markdown and
    .html files) into the archive.

    Each post is re-rendered through the exporter into posts/ (never copied); legacy Hexo
    posts come out byte-identical to their source, which the summary counts. Importing the
    same files again writes nothing. Exit code 1 when a file could not be imported.

    Example: portal-archive import ../shared/corpus/rsshub-page/posts
    """
    from archive.frontmatter_files import export_options
    from archive.importer import IMPORT_BATCH, ImportResult, collect_sources, import_batch
    from archive.store import Archive

    ctx = current()
    settings = settings_for(ctx)

    def run() -> list[ImportResult]:
        sources = collect_sources(paths)
        results = []
        with (
            Archive(ctx.archive_dir, export_options(settings)) as archive,
            _progress() as bar,
            archive.bulk_index(len(sources), bulk),
        ):
            task = bar.add_task("import", total=len(sources))
            for start in range(0, len(sources), IMPORT_BATCH):
                batch = sources[start : start + IMPORT_BATCH]
                results += import_batch(
                    archive,
                    batch,
                    proxies=_proxies(settings),
                    portal=portal,
                    tz=settings.get("ARCHIVE_PAGE_TIMEZONE"),
                )
                bar.advance(task, len(batch))
        return results

    results = locked(ctx, run)
    if image_mode is not None:
        _rewrite_imported(ctx, results, image_mode)
    for result in results:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "source": str(result.source),
                        "status": result.status,
                        "path": str(result.path or ""),
                        "identical": result.identical,
                        "detail": result.detail,
                    },
                    ensure_ascii=False,
                )
            )
        if result.status == "failed":
            console.print(f"error: {result.source}: {result.detail}", markup=False)
        elif not result.identical:
            console.print(f"differs: {result.source} -> {result.path}", markup=False)
    _import_summary(results)
    if any(r.status == "failed" for r in results):
        sys.exit(EXIT_FAILED)


def _rewrite_imported(ctx: Context, results: Sequence[Any], image_mode: str) -> None:
    """Render the posts just imported in ``image_mode`` (``portal_archive.reexport``)."""
    from sqlite_utils import Database

    from portal_archive.cli.export import print_export_report
    from portal_archive.reexport import export_archive
    from portal_archive.runner import project_settings

    sources = [str(r.source.absolute()) for r in results if r.status != "failed"]
    with Database(ctx.archive_dir / "index.db") as db:
        marks = ", ".join("?" for _ in sources)
        ids = [
            row[0]
            for row in db.execute(
                f"select id from articles where imported_from in ({marks})", sources
            )
        ]

    def run() -> Any:  # inside the lock: locked() has marked it held in ctx.overrides
        overrides = {**ctx.overrides, "ARCHIVE_IMAGE_MODE": image_mode}
        return export_archive(project_settings(ctx.archive_dir, overrides), ids=ids)

    report = locked(ctx, run)
    print_export_report(report, image_mode)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _import_summary(results: Sequence[Any]) -> None:
    table = Table(title="import")
    for column in ("files", "new", "updated", "unchanged", "failed", "byte-identical"):
        table.add_column(column, justify="right")
    counts = {
        s: sum(r.status == s for r in results) for s in ("new", "updated", "unchanged", "failed")
    }
    imported = len(results) - counts["failed"]
    identical = sum(r.identical for r in results)
    table.add_row(str(len(results)), *(str(counts[s]) for s in counts), str(identical))
    console.print(table)
    share = f"{100 * identical / imported:.1f} %" if imported else "-"
    console.print(f"{identical}/{imported} re-rendered byte-identical to their source ({share})")


# --------------------------------------------------------------------------- reindex


@click.command("reindex")
def reindex_command() -> None:
    """Rebuild index.db from the files under posts/ (the files are the source of truth).

    Builds a new index beside the old one and swaps it in atomically; crawl runs, failures,
    revisions and last_seen are carried over from the old index. Exit code 1 when a file
    could not be indexed.

    Example: portal-archive --archive ./archive-data reindex
    """
    from archive.maintenance import reindex

    ctx = current()
    prefix = settings_for(ctx).get("ARCHIVE_LOCAL_IMAGE_PREFIX")
    report = locked(ctx, lambda: reindex(ctx.archive_dir, local_prefix=prefix))
    for problem in report.skipped:
        console.print(f"skipped: {problem}", markup=False)
    carried = ", ".join(f"{t} {n}" for t, n in report.carried_over.items()) or "nothing"
    console.print(
        f"reindexed {report.articles} articles ({report.images} images, {report.categories} "
        f"categories) from {ctx.archive_dir / 'posts'}; carried over: {carried}",
        markup=False,
    )
    if report.skipped:
        sys.exit(EXIT_FAILED)


# --------------------------------------------------------------------------- verify


@click.command("verify")
def verify_command() -> None:
    """Report every disagreement between the files and the index, one per line.

    Files without a row, rows without a file, content-hash mismatches, missing or invalid
    sidecars, paths and links leading outside posts/. Exit code 1 when there is any.

    Example: portal-archive --archive ./archive-data verify
    """
    from archive.maintenance import verify

    ctx = current()
    with library_errors():
        report = verify(ctx.archive_dir)
    for problem in report.problems:
        click.echo(str(problem))
    verdict = "OK" if report.ok else f"{len(report.problems)} problem(s)"
    console.print(f"{report.files} files, {report.rows} index rows: {verdict}", markup=False)
    if not report.ok:
        sys.exit(EXIT_FAILED)


# --------------------------------------------------------------------------- stats


def _count_table(title: str, key: str, rows: Sequence[tuple[str, int]]) -> Table:
    table = Table(title=title)
    table.add_column(key)
    table.add_column("articles", justify="right")
    for name, count in rows:
        table.add_row(name, str(count))
    return table


RUN_COLUMNS = (
    "id",
    "portal",
    "started",
    "finished",
    "status",
    "discovered",
    "new",
    "updated",
    "unchanged",
    "failed",
    "fallback",
    "error_summary",
)


@click.command("stats")
@click.option("--runs", type=int, default=5, show_default=True, help="Crawl runs to show.")
def stats_command(runs: int) -> None:
    """Articles per portal, category and month, and the last crawl runs.

    Example: portal-archive --archive ./archive-data stats
    """
    from archive.maintenance import stats

    ctx = current()
    with library_errors():
        report = stats(ctx.archive_dir, runs=runs)
    out = Console(width=None if sys.stdout.isatty() else 120)
    out.print(f"{report.articles} articles in {ctx.archive_dir}", markup=False)
    out.print(_count_table("per portal", "portal", report.by_portal))
    out.print(_count_table("per origin", "origin", report.by_origin))
    out.print(_count_table("per category", "category", report.by_category))
    out.print(_count_table("per month (published, UTC)", "month", report.by_month))
    out.print(_count_table("per parser", "parser", report.by_parser))
    out.print(
        f"{report.fallback_articles} articles by the generic fallback (broken portal "
        f"parser); degraded runs (latest {runs}): {len(report.degraded_runs) or 'none'}",
        markup=False,
    )
    for run in report.degraded_runs:
        out.print(
            f"degraded run {run['id']} ({run['portal']}, {run['started']}): "
            f"{run.get('parse_broken')}/{run.get('parse_checked')} pages broken, "
            f"{run.get('fallback')} by the generic fallback",
            markup=False,
        )
    table = Table(title=f"last {runs} crawl runs")
    for column in RUN_COLUMNS:
        table.add_column(column)
    for run in report.runs:
        table.add_row(*("" if run.get(c) is None else str(run.get(c)) for c in RUN_COLUMNS))
    out.print(table)


COMMANDS: tuple[click.Command, ...] = (
    import_command,
    reindex_command,
    verify_command,
    stats_command,
)
