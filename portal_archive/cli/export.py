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
    """Rewrite every archived post from the index in a profile and/or image mode, without
    re-crawling.

    --profile hexo|hugo|jekyll rewrites the posts for that site generator (file names change
    with it; docs/profiles.md); without it each post keeps its own profile. Without
    --image-mode each post keeps its own image mode (and proxy template). --image-mode local
    first downloads the images still missing (through Scrapy, with the article as Referer);
    failed ones keep their original URL. Posts and sidecars are written atomically and only
    when their bytes change. Prints rewritten/unchanged/downloaded/failed.

    \b
    Example:
      portal-archive export --profile hugo
      portal-archive export --image-mode proxy --image-proxy 'https://p.example/?{url}'
    """
    from portal_archive.reexport import export_archive

    settings = settings_for(ctx)
    keep_profile = "ARCHIVE_PROFILE" not in ctx.overrides
    keep_image_mode = "ARCHIVE_IMAGE_MODE" not in ctx.overrides
    label = ", ".join(
        (
            "own profile" if keep_profile else f"profile {settings.get('ARCHIVE_PROFILE')}",
            "own image mode" if keep_image_mode else str(settings.get("ARCHIVE_IMAGE_MODE")),
        )
    )
    report = locked(
        ctx,
        lambda: export_archive(
            settings_for(ctx),
            download=not no_download,
            keep_profile=keep_profile,
            keep_image_mode=keep_image_mode,
        ),
    )
    print_export_report(report, label)
