"""``portal-archive [--archive DIR] COMMAND``: the command group.

Each command lives in a module of this package, a thin click wrapper over the library
(``archive``) or the application (``portal_archive.runner``, ``.replay``, ``.reexport``);
what they share (context, console, options, lock, error translation) is in
:mod:`portal_archive.cli.common`. The commands are added to the group here, explicitly.
"""

from __future__ import annotations

from pathlib import Path

import click

from portal_archive.cli import crawl, demo, export, maintenance, replay, serve, writer
from portal_archive.cli.common import Context, parse_set


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--archive",
    "archive_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("archive-data"),
    envvar="PORTAL_ARCHIVE_DIR",
    show_default=True,
    help="Archive folder: posts/ (front-matter files), assets/, index.db.",
)
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a Scrapy or ARCHIVE_* setting (repeatable).",
)
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
)
@click.version_option(package_name="portal-archive")
@click.pass_context
def cli(ctx: click.Context, archive_dir: Path, settings: tuple[str, ...], log_level: str) -> None:
    """Archive tech-news portals into front-matter files and a SQLite index.

    Example: portal-archive --archive ./archive-data crawl ofweek
    """
    overrides = {"LOG_LEVEL": log_level, **parse_set(settings)}
    ctx.obj = Context(archive_dir, overrides)


for command in (
    crawl.crawl,
    crawl.fetch,
    demo.demo,
    demo.demo_portal,
    export.export_command,
    maintenance.import_command,
    maintenance.reindex_command,
    maintenance.stats_command,
    maintenance.verify_command,
    replay.reextract,
    serve.serve,
    writer.writer,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="portal-archive")
