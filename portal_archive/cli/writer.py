"""``writer``: the single writer of a distributed crawl (:mod:`portal_archive.writer`)."""

from __future__ import annotations

import click

from portal_archive.cli.common import Context, console, export_options, locked, settings_for


@click.command("writer")
@click.option(
    "--redis",
    "redis_url",
    required=True,
    metavar="URL",
    help="The Redis the crawl workers push to (redis://host:port/db).",
)
@click.option(
    "--idle-exit",
    type=float,
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Exit once the queue has been empty this long (0: run until SIGTERM).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=200,
    show_default=True,
    help="Records written per batch (one transaction).",
)
@export_options
@click.pass_obj
def writer(ctx: Context, redis_url: str, idle_exit: float, batch_size: int) -> None:
    """Write what crawl workers (crawl --redis) send: the only process writing the archive.

    Takes records in batches from Redis, acknowledges a batch once it is written, writes an
    unacknowledged batch again after a crash (without changing anything twice), downloads
    the articles' images itself (Referer = article) and publishes the archived URLs so
    workers skip them. SIGTERM finishes the current batch, then exits 0. See
    docs/distributed.md.

    Example: portal-archive --archive ./archive-data writer --redis redis://127.0.0.1:6379/0
    """
    from archive.distributed import check_redis
    from archive.frontmatter_files import export_options as options_of
    from portal_archive.writer import make_writer

    def run() -> None:
        check_redis(redis_url)
        settings = settings_for(ctx)
        images = None
        if settings.getbool("ARCHIVE_IMAGES_DOWNLOAD", True):
            images = {k: v for k, v in ctx.overrides.items() if k != "ARCHIVE_LOCK_HELD"}
        prefix = settings.get("ARCHIVE_REDIS_PREFIX") or "pa"
        writer = make_writer(
            ctx.archive_dir,
            redis_url,
            prefix=prefix,
            options=options_of(settings),
            idle_exit=idle_exit,
            batch_size=batch_size,
            image_settings=images,
        )
        report = writer.run()
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items())) or "nothing"
        console.print(
            f"writer: {report.batches} batch(es), {counts}; "
            f"{report.recovered} recovered, {report.bad} unreadable, "
            f"{report.image_runs} image back-fill(s)"
        )

    locked(ctx, run)
