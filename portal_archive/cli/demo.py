"""``demo-portal`` and ``demo``: the bundled offline demo portal, served or crawled."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import click

from portal_archive.cli.common import (
    Context,
    console,
    exit_for_crawl,
    export_options,
    locked,
    print_summary,
    settings_for,
)

DEFAULT_DEMO_PORT = 8765


@click.command("demo-portal")
@click.option("--port", type=int, default=DEFAULT_DEMO_PORT, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--generated", type=int, default=0, help="Also serve N generated articles.")
@click.option(
    "--redesigned",
    is_flag=True,
    help="Serve article pages in a layout the OFweek parser does not know.",
)
@click.option(
    "--faults",
    "fault_spec",
    metavar="SPEC",
    help="Fault mode on the generated articles: 'all' or a comma list of faults, "
    "e.g. 'http_503,timeout=3' (docs/reliability.md).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed choosing which articles get which fault.",
)
@click.option(
    "--faults-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the fault mode's ground truth (one JSON line per request).",
)
def demo_portal(
    port: int,
    host: str,
    generated: int,
    redesigned: bool,
    fault_spec: str | None,
    seed: int,
    faults_log: Path | None,
) -> None:
    """Serve the bundled offline demo portal in the foreground until stopped.

    Example: portal-archive demo-portal --port 8765 --faults all --seed 7
    """
    from demo_portal import DemoPortal
    from demo_portal.faults import FaultSpecError, fault_portal

    try:
        if fault_spec:
            portal = fault_portal(
                fault_spec,
                seed=seed,
                generated=generated or 60,
                port=port,
                host=host,
                include_builtin=True,
                log_path=faults_log,
            )
        else:
            portal = DemoPortal(port=port, host=host, generated=generated, redesigned=redesigned)
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    click.echo(f"Demo portal on {portal.base_url}  (listing {portal.listing_url})", err=True)
    if portal.faults is not None:
        click.echo(
            f"Fault mode (seed {seed}): crawl ofweek --base-url {portal.base_url} "
            f"--listing-url {portal.generated_listing_url}",
            err=True,
        )
    from demo_portal.portals import SITES, site_base

    for name in SITES:  # the other portals' demos, each under its own prefix
        click.echo(
            f"  {name}: crawl {name} --base-url {site_base(portal.base_url, name)}", err=True
        )
    with contextlib.suppress(KeyboardInterrupt):
        portal.serve_forever()
    if portal.faults is not None:
        click.echo(json.dumps(portal.faults.summary()), err=True)


@click.command()
@click.option(
    "--port",
    type=int,
    default=DEFAULT_DEMO_PORT,
    show_default=True,
    help="Port of the demo portal (fixed, so reruns see the same URLs).",
)
@export_options
@click.pass_obj
def demo(ctx: Context, port: int) -> None:
    """Start the demo portal, crawl every portal of it into the archive, print a summary.

    Example: portal-archive --archive ./archive-data demo
    """
    from demo_portal import DemoPortal
    from portal_archive.runner import run_spiders

    try:
        portal = DemoPortal(port=port)
    except OSError as exc:
        raise click.ClickException(
            f"cannot start the demo portal on 127.0.0.1:{port} ({exc.strerror}); "
            "pass --port N for another port"
        ) from exc
    with portal:
        from demo_portal.portals import SITES, site_base

        jobs = [("ofweek", {"base_url": portal.base_url})]
        jobs += [(name, {"base_url": site_base(portal.base_url, name)}) for name in SITES]
        report = locked(  # settings inside: locked() marks the lock as held first
            ctx,
            lambda: run_spiders(
                settings_for(ctx, AUTOTHROTTLE_START_DELAY=0.2), jobs, keep_outcomes=False
            ),
        )
    print_summary(report, ctx.archive_dir, f"demo crawl of {portal.base_url}")
    archived = _count_articles(ctx.archive_dir)
    console.print(f"[bold]{archived} articles archived[/bold] in {ctx.archive_dir}/")
    console.print(f"Browse: .venv/bin/portal-archive --archive {ctx.archive_dir} serve")
    exit_for_crawl(report)


def _count_articles(archive_dir: Path) -> int:
    from archive.store import Archive

    with Archive(archive_dir) as archive:
        return int(archive.db["articles"].count)
