"""``portal-archive [--archive DIR] COMMAND``: thin click wrappers over the library.

Library errors (:class:`archive.errors.ArchiveError`) become one-line CLI errors here and
nowhere else.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from archive.errors import ArchiveError
from archive.frontmatter_files import IMAGE_MODES
from archive.hexo import DEFAULT_FRAME  # noqa: F401 - fail fast if the exporter is broken

DEFAULT_DEMO_PORT = 8765
EXIT_FAILED = 1

console = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


def _parse_set(values: Sequence[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint="--set")
        overrides[key.strip()] = raw
    return overrides


class Context:
    def __init__(self, archive_dir: Path, overrides: dict[str, Any]) -> None:
        self.archive_dir = archive_dir
        self.overrides = overrides


def export_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--image-mode``, ``--image-proxy``, ``--profile`` shared by crawl and fetch."""

    @click.option("--image-mode", type=click.Choice(IMAGE_MODES), default=None,
                  help="How images appear in written files.  [default: origin]")  # fmt: skip
    @click.option("--image-proxy", metavar="TEMPLATE", default=None,
                  help="Proxy template for --image-mode proxy, e.g. "
                       "'https://cors.zfour.workers.dev/?{url}'.")  # fmt: skip
    @click.option("--profile", type=click.Choice(["hexo"]), default=None,
                  help="Front-matter profile.  [default: hexo]")  # fmt: skip
    @functools.wraps(func)
    def wrapper(*args: Any, image_mode: str | None, image_proxy: str | None,
                profile: str | None, **kwargs: Any) -> Any:  # fmt: skip
        ctx = click.get_current_context().find_object(Context)
        assert ctx is not None
        for key, value in (("ARCHIVE_IMAGE_MODE", image_mode), ("ARCHIVE_IMAGE_PROXY", image_proxy),
                           ("ARCHIVE_PROFILE", profile)):  # fmt: skip
            if value is not None:
                ctx.overrides[key] = value
        return func(*args, **kwargs)

    return wrapper


def _settings(ctx: Context, **extra: Any) -> Any:
    from archive.runner import project_settings

    return project_settings(ctx.archive_dir, {**extra, **ctx.overrides})


def _summary(report: Any, archive_dir: Path, title: str) -> None:
    table = Table(title=title)
    for column in ("portal", "found", "new", "updated", "same", "failed", "img ok",
                   "img failed", "status"):  # fmt: skip
        table.add_column(column, justify="right" if column != "portal" else "left")
    for name, stats in report.stats.items():
        images_ok = int(stats.get("archive/images/downloaded", 0)) + int(
            stats.get("archive/images/uptodate", 0)
        )
        table.add_row(
            name,
            *(
                str(stats.get(f"archive/{k}", 0))
                for k in ("discovered", "new", "updated", "unchanged", "failed")
            ),
            str(images_ok),
            str(stats.get("archive/images/failed", 0)),
            str(stats.get("finish_reason", "?")),
        )
    console.print(table)
    console.print(f"files: {archive_dir / 'posts'}   index: {archive_dir / 'index.db'}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--archive", "archive_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("archive-data"), envvar="PORTAL_ARCHIVE_DIR", show_default=True,
              help="Archive folder: posts/ (front-matter files), images/, index.db.")  # fmt: skip
@click.option("-s", "--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="Override a Scrapy or ARCHIVE_* setting (repeatable).")  # fmt: skip
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))  # fmt: skip
@click.version_option(package_name="portal-archive")
@click.pass_context
def cli(ctx: click.Context, archive_dir: Path, settings: tuple[str, ...], log_level: str) -> None:
    """Archive tech-news portals into front-matter files and a SQLite index.

    Example: portal-archive --archive ./archive-data crawl ofweek
    """
    overrides = {"LOG_LEVEL": log_level, **_parse_set(settings)}
    ctx.obj = Context(archive_dir, overrides)


@cli.command("demo-portal")
@click.option("--port", type=int, default=DEFAULT_DEMO_PORT, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--generated", type=int, default=0, help="Also serve N generated articles.")
def demo_portal(port: int, host: str, generated: int) -> None:
    """Serve the bundled offline demo portal in the foreground until stopped.

    Example: portal-archive demo-portal --port 8765
    """
    from archive.demo_portal import DemoPortal

    try:
        portal = DemoPortal(port=port, host=host, generated=generated)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    click.echo(f"Demo portal on {portal.base_url}  (listing {portal.listing_url})", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        portal.serve_forever()


@cli.command()
@click.argument("portals", nargs=-1, required=True)
@click.option("--base-url", metavar="URL", help="Point the spider at another host.")
@click.option("--max-pages", type=int, help="Listing pages to follow per listing.")
@export_options
@click.pass_obj
def crawl(ctx: Context, portals: tuple[str, ...], base_url: str | None,
          max_pages: int | None) -> None:  # fmt: skip
    """Crawl portals (listings + feeds) into the archive.

    Example: portal-archive crawl ofweek --base-url http://127.0.0.1:8765
    """
    from archive.runner import run_spiders

    kwargs: dict[str, Any] = {}
    if base_url:
        kwargs["base_url"] = base_url
    if max_pages:
        kwargs["max_pages"] = max_pages
    report = _run(lambda: run_spiders(_settings(ctx), [(p, kwargs) for p in portals],
                                      keep_outcomes=False))  # fmt: skip
    _summary(report, ctx.archive_dir, "crawl")
    _exit_for_crawl(report)


def _exit_for_crawl(report: Any) -> None:
    if not report.finished:
        reasons = {name: s.get("finish_reason") for name, s in report.stats.items()}
        raise CrawlFailed(f"crawl did not finish: {reasons}")
    if report.count("archive/discovered") == 0 and report.count("archive/failed") > 0:
        raise CrawlFailed("nothing discovered: every listing and feed request failed")


class CrawlFailed(click.ClickException):
    """The crawl as a whole failed (exit code 1)."""

    exit_code = EXIT_FAILED


def _run(func: Callable[[], Any]) -> Any:
    try:
        return func()
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--portal", metavar="NAME", help="Force a portal parser (host not the portal's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per URL.")
@export_options
@click.pass_obj
def fetch(ctx: Context, urls: tuple[str, ...], portal: str | None, as_json: bool) -> None:
    """Archive single article URLs through the same parser, pipelines and writer.

    Example: portal-archive fetch https://www.ofweek.com/2022-08/ART-8100-2801-1.html
    """
    from archive.runner import check_url, portal_for_url, portal_spiders, run_spiders

    def run() -> Any:
        settings = _settings(ctx)
        spiders = portal_spiders(settings)
        groups: dict[str, list[str]] = {}
        for url in urls:
            check_url(url)
            name = portal or portal_for_url(url, spiders)
            groups.setdefault(name, []).append(url)
        return run_spiders(settings, [(n, {"urls": u}) for n, u in groups.items()])

    report = _run(run)
    failed = 0
    for outcome in report.outcomes:
        ok = outcome.status in {"new", "updated", "unchanged"}
        failed += not ok
        if as_json:
            click.echo(json.dumps(outcome.__dict__, ensure_ascii=False))
        elif ok:
            click.echo(outcome.path)
        else:
            click.echo(
                f"error: {outcome.url}: {outcome.status} {outcome.detail}".rstrip(), err=True
            )
    missing = len(urls) - len(report.outcomes)
    if failed or missing > 0:
        sys.exit(EXIT_FAILED)


@cli.command()
@click.option("--port", type=int, default=DEFAULT_DEMO_PORT, show_default=True,
              help="Port of the demo portal (fixed, so reruns see the same URLs).")  # fmt: skip
@export_options
@click.pass_obj
def demo(ctx: Context, port: int) -> None:
    """Start the demo portal, crawl it into the archive, print a summary.

    Example: portal-archive --archive ./archive-data demo
    """
    from archive.demo_portal import DemoPortal
    from archive.runner import run_spiders

    try:
        portal = DemoPortal(port=port)
    except OSError as exc:
        raise click.ClickException(
            f"cannot start the demo portal on 127.0.0.1:{port} ({exc.strerror}); "
            "pass --port N for another port"
        ) from exc
    with portal:
        settings = _settings(ctx, AUTOTHROTTLE_START_DELAY=0.2)
        jobs = [("ofweek", {"base_url": portal.base_url})]
        report = _run(lambda: run_spiders(settings, jobs, keep_outcomes=False))
    _summary(report, ctx.archive_dir, f"demo crawl of {portal.base_url}")
    archived = _count_articles(ctx.archive_dir)
    index_db = ctx.archive_dir / "index.db"
    console.print(f"[bold]{archived} articles archived[/bold] in {ctx.archive_dir}/")
    console.print(f"Browse: .venv/bin/portal-archive --archive {ctx.archive_dir} serve")
    console.print(f"    or: .venv/bin/datasette serve -i {index_db} -h 127.0.0.1 -p 8001")
    _exit_for_crawl(report)


def _count_articles(archive_dir: Path) -> int:
    from archive.store import Archive

    with Archive(archive_dir) as archive:
        return int(archive.db["articles"].count)


@cli.command()
@click.option("--port", type=int, default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; only 127.0.0.1 unless asked explicitly.")  # fmt: skip
def serve(port: int, host: str) -> None:
    """Browse the archive's index in Datasette (read-only).

    Example: portal-archive serve --port 8001
    """
    ctx = click.get_current_context().find_object(Context)
    assert ctx is not None
    index_db = ctx.archive_dir / "index.db"
    if not index_db.is_file():
        raise click.ClickException(f"no index at {index_db}; run a crawl first")
    datasette = Path(sys.executable).with_name("datasette")
    argv = [str(datasette), "serve", "--immutable", str(index_db), "-h", host, "-p", str(port)]
    os.execv(argv[0], argv)  # noqa: S606 - replace this process with Datasette


def main() -> None:
    cli(prog_name="portal-archive")
