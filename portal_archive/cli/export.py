"""``export``: rewrite every archived post in another image mode (``portal_archive.reexport``)."""

from __future__ import annotations

from typing import Any

import click

from portal_archive.cli.common import Context, console, export_options, locked, settings_for


def print_export_report(report: Any, mode: str) -> None:
    console.print(
        f"export ({mode}): {report.rewritten} rewritten, {report.unchanged} unchanged, "
        f"{report.downloaded} images downloaded, {report.failed} failed"
        + (f", {report.migrated} moved from images/ to assets/" if report.migrated else ""),
        markup=False,
    )


@click.command("export")
@click.option(
    "--no-download",
    is_flag=True,
    help="Do not fetch missing images (local mode uses what is stored).",
)
@export_options
@click.pass_obj
def export_command(ctx: Context, no_download: bool) -> None:
    """Rewrite every archived post from the index in an image mode, without re-crawling.

    --image-mode local first downloads the images still missing (through Scrapy, with the
    article as Referer); failed ones keep their original URL. Posts and sidecars are written
    atomically and only when their bytes change. Prints rewritten/unchanged/downloaded/failed.

    Example: portal-archive export --image-mode proxy --image-proxy 'https://p.example/?{url}'
    """
    from portal_archive.reexport import export_archive

    settings = settings_for(ctx)
    mode = str(settings.get("ARCHIVE_IMAGE_MODE"))
    report = locked(ctx, lambda: export_archive(settings_for(ctx), download=not no_download))
    print_export_report(report, mode)
