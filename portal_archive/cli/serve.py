"""``serve``: the archive's index in Datasette (read-only), with the archive's plugin."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from portal_archive.cli.common import console, current, locked, settings_for


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port to listen on; 0 picks a free one (Datasette prints it).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind; only 127.0.0.1 unless asked explicitly.",
)
@click.option(
    "--image-mode",
    type=click.Choice(["local", "origin", "proxy"]),
    default="local",
    show_default=True,
    help="Images on article pages: downloaded copies (original URL when none), "
    "original URLs, or original URLs through --image-proxy.",
)
@click.option(
    "--image-proxy",
    metavar="TEMPLATE",
    default=None,
    help="Proxy template for --image-mode proxy.  [default: ARCHIVE_IMAGE_PROXY]",
)
def serve(port: int, host: str, image_mode: str, image_proxy: str | None) -> None:
    """Browse the archive's index in Datasette: read-only, Chinese search, facets, articles.

    Datasette opens index.db immutable, with the archive's metadata (canned queries, facets)
    and plugin (sanitized article bodies, the search page /-/search); assets/ (images) and
    posts/ are served at /assets/ and /posts/. Also: the Atom feed /index/feed.atom
    (?portal=, ?category=, ?q=), the health dashboard /-/dashboards/health and a robots.txt
    that disallows crawling. An index of an older version is migrated first (under the
    archive lock).

    Example: portal-archive --archive ./archive-data serve --port 8001
    """
    from archive import datasette_metadata as dm

    ctx = current()
    index_db = ctx.archive_dir / "index.db"
    if not index_db.is_file():
        raise click.ClickException(f"no index at {index_db}; run a crawl first")
    upgrade_index(ctx, index_db)
    proxy = image_proxy or str(settings_for(ctx).get("ARCHIVE_IMAGE_PROXY"))
    posts = ctx.archive_dir / "posts"
    posts_dir = str(posts.resolve()) if posts.is_dir() else None
    metadata = dm.build_metadata(image_mode=image_mode, image_proxy=proxy, posts_dir=posts_dir)
    metadata_file = dm.write_metadata_file(dm.dump_yaml(metadata))
    mounts = dm.static_mounts(ctx.archive_dir)
    argv = dm.datasette_argv(
        index_db.resolve(),
        metadata_file,
        host=host,
        port=port,
        mounts=mounts,
        python=sys.executable,
    )
    wal = index_db.with_name(index_db.name + "-wal")
    if wal.is_file() and wal.stat().st_size:
        console.print(
            f"[yellow]warning:[/yellow] {wal} is not empty: a crawl may be writing; "
            "this read-only snapshot can be stale, restart serve after it"
        )
    if host not in {"127.0.0.1", "localhost", "::1"}:
        console.print(
            f"[yellow]warning:[/yellow] listening on {host}: reachable from other "
            "machines, without authentication"
        )
    for line in dm.served_pages(host, port):
        console.print(line, markup=False, highlight=False)
    os.execv(argv[0], argv)  # noqa: S606 - replace this process with Datasette


def upgrade_index(ctx: Any, index_db: Path) -> None:
    """Apply the index's pending migrations (e.g. the search index of an older archive)
    before Datasette opens it read-only; under the archive lock, as any writer."""
    from archive.index import open_index, pending_migrations

    pending = pending_migrations(index_db)
    if not pending:
        return
    console.print(f"upgrading {index_db} ({', '.join(pending)}); this can take minutes")
    locked(ctx, lambda: open_index(index_db).close())
