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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from archive.cli_replay import warc_option
from archive.errors import ArchiveError, ArchiveLockedError
from archive.frontmatter_files import IMAGE_MODES
from archive.lock import EXIT_LOCKED

DEFAULT_DEMO_PORT = 8765
EXIT_FAILED = 1
EXIT_DEGRADED = 3

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

    @click.option(
        "--image-mode",
        type=click.Choice(IMAGE_MODES),
        default=None,
        help="How images appear in written files.  [default: origin]",
    )
    @click.option(
        "--image-proxy",
        metavar="TEMPLATE",
        default=None,
        help="Proxy template for --image-mode proxy, e.g. 'https://cors.zfour.workers.dev/?{url}'.",
    )
    @click.option(
        "--profile",
        type=click.Choice(["hexo"]),
        default=None,
        help="Front-matter profile.  [default: hexo]",
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        image_mode: str | None,
        image_proxy: str | None,
        profile: str | None,
        **kwargs: Any,
    ) -> Any:
        ctx = click.get_current_context().find_object(Context)
        assert ctx is not None
        for key, value in (
            ("ARCHIVE_IMAGE_MODE", image_mode),
            ("ARCHIVE_IMAGE_PROXY", image_proxy),
            ("ARCHIVE_PROFILE", profile),
        ):
            if value is not None:
                ctx.overrides[key] = value
        return func(*args, **kwargs)

    return wrapper


def _settings(ctx: Context, **extra: Any) -> Any:
    from archive.runner import project_settings

    return project_settings(ctx.archive_dir, {**extra, **ctx.overrides})


SUMMARY_COLUMNS = (
    ("found", ("discovered",)),
    ("skipped", ("skipped_archived",)),
    ("new", ("new",)),
    ("updated", ("updated",)),
    ("same", ("unchanged",)),
    ("failed", ("failed",)),
    ("fallback", ("fallback",)),
    ("img ok", ("images/downloaded", "images/uptodate", "images/cached")),
    ("img failed", ("images/failed",)),
)


def _summary(report: Any, archive_dir: Path, title: str) -> None:
    table = Table(title=title)
    table.add_column("portal")
    for column, _ in SUMMARY_COLUMNS:
        table.add_column(column, justify="right")
    table.add_column("status", justify="right")
    from archive.runs import run_status

    for name, stats in report.stats.items():
        counts = [
            sum(int(stats.get(f"archive/{k}", 0) or 0) for k in keys) for _, keys in SUMMARY_COLUMNS
        ]
        table.add_row(name, *map(str, counts), run_status(stats))
    console.print(table)
    console.print(f"files: {archive_dir / 'posts'}   index: {archive_dir / 'index.db'}")


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
    overrides = {"LOG_LEVEL": log_level, **_parse_set(settings)}
    ctx.obj = Context(archive_dir, overrides)


@cli.command("demo-portal")
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
    from archive.demo_portal import DemoPortal
    from archive.demo_portal.faults import FaultSpecError, fault_portal

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
    from archive.demo_portal.portals import SITES, site_base

    for name in SITES:  # the other portals' demos, each under its own prefix
        click.echo(
            f"  {name}: crawl {name} --base-url {site_base(portal.base_url, name)}", err=True
        )
    with contextlib.suppress(KeyboardInterrupt):
        portal.serve_forever()
    if portal.faults is not None:
        click.echo(json.dumps(portal.faults.summary()), err=True)


class PortalsEpilog(click.Command):
    """A command whose help ends with the portals it can crawl (spiders loaded on demand)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from crawler.spiders import portal_names

        self.epilog = "Portals: " + ", ".join(portal_names())
        super().format_epilog(ctx, formatter)


@cli.command(cls=PortalsEpilog)
@click.argument("portals", nargs=-1, required=True)
@click.option("--base-url", metavar="URL", help="Point the spider at another host.")
@click.option("--max-pages", type=int, help="Listing pages to follow per listing.")
@click.option(
    "--listing-url",
    "listing_urls",
    multiple=True,
    metavar="URL",
    help="Start from these listing pages instead of the portal's listings and feeds.",
)
@click.option(
    "--start-url",
    "start_urls",
    multiple=True,
    metavar="URL",
    help="Start from these feeds, sitemaps (index, news, .xml.gz), robots.txt or listings "
    "(kind found by content) instead of the portal's own; how `generic` crawls a site.",
)
@click.option(
    "--url-pattern",
    metavar="REGEX",
    help="generic only: archive only URLs matching REGEX (default: every URL on the site).",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="Re-fetch archived articles; rewrite changed ones, keep old versions.",
)
@export_options
@warc_option
@click.pass_obj
def crawl(
    ctx: Context,
    portals: tuple[str, ...],
    base_url: str | None,
    max_pages: int | None,
    listing_urls: tuple[str, ...],
    start_urls: tuple[str, ...],
    url_pattern: str | None,
    refresh: bool,
) -> None:
    """Crawl portals (listings, feeds, sitemaps) into the archive, incrementally.

    Articles already archived are not downloaded again (listings and feeds are); failed
    URLs of earlier runs are retried. Exit code 1 when the run failed as a whole, 75 when
    another run holds the archive.

    A run whose portal parser missed title, body or date on too many pages is marked
    degraded (exit code 3); those pages are archived by the generic extractor instead.

    Example: portal-archive crawl ofweek --base-url http://127.0.0.1:8765

    Example: portal-archive crawl generic --start-url https://example.com/sitemap.xml
    """
    from archive.runner import portal_spiders, run_spiders

    spiders = portal_spiders(_settings(ctx))
    for name in portals:
        spider = spiders.get(name)
        starts = spider and (spider.listing_paths or spider.feed_urls or spider.sitemap_paths)
        if spider is not None and not (starts or listing_urls or start_urls):
            raise click.UsageError(
                f"{name} has no listings, feeds or sitemaps to crawl; use --start-url URL "
                "or fetch URL…"
            )
    kwargs: dict[str, Any] = {}
    if base_url:
        kwargs["base_url"] = base_url
    if max_pages:
        kwargs["max_pages"] = max_pages
    if listing_urls:
        kwargs["listing_urls"] = list(listing_urls)
    if start_urls:
        kwargs["sources"] = list(start_urls)
    if url_pattern:
        if portals != ("generic",):
            raise click.UsageError("--url-pattern applies to `crawl generic` only")
        kwargs["url_pattern"] = url_pattern
    if refresh:
        ctx.overrides["ARCHIVE_REFRESH"] = True
    jobs = [(p, kwargs) for p in portals]
    report = _run(ctx, lambda: run_spiders(_settings(ctx), jobs, keep_outcomes=False))
    _summary(report, ctx.archive_dir, "crawl")
    _exit_for_crawl(report)


def _exit_for_crawl(report: Any) -> None:
    from archive.runs import degraded_summary, run_status

    degraded = []
    for name, stats in report.stats.items():
        status = run_status(stats)
        if status == "degraded":
            degraded.append(f"{name}: {degraded_summary(stats)}")
        elif status != "finished":
            reason = stats.get("finish_reason")
            if reason == "finished":
                raise CrawlFailed(
                    f"{name}: nothing discovered: every listing and feed request failed"
                )
            raise CrawlFailed(f"{name}: crawl did not finish ({reason})")
    if degraded:
        raise CrawlDegraded("parser breakage: " + "; ".join(degraded))


class CrawlDegraded(click.ClickException):
    """A portal parser missed required fields on too many pages (exit code 3)."""

    exit_code = EXIT_DEGRADED


class CrawlFailed(click.ClickException):
    """The crawl as a whole failed (exit code 1)."""

    exit_code = EXIT_FAILED


class ArchiveLocked(click.ClickException):
    """Another run holds the archive (exit code 75)."""

    exit_code = EXIT_LOCKED


def _run(ctx: Context, func: Callable[[], Any]) -> Any:
    """Run ``func`` holding the archive lock; library errors become CLI errors."""
    from archive.lock import ArchiveLock

    try:
        with ArchiveLock(ctx.archive_dir):
            ctx.overrides["ARCHIVE_LOCK_HELD"] = True
            return func()
    except ArchiveLockedError as exc:
        raise ArchiveLocked(str(exc)) from exc
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


FETCH_OK = {"new", "updated", "unchanged", "rendered"}


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@click.option(
    "--portal",
    metavar="NAME",
    help="Force a parser (a portal's or 'generic') for a host it does not own.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per URL.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the post instead of writing it.")
@click.option("--force", is_flag=True, help="Fetch URLs that are already archived again.")
@export_options
@warc_option
@click.pass_obj
def fetch(
    ctx: Context,
    urls: tuple[str, ...],
    portal: str | None,
    as_json: bool,
    to_stdout: bool,
    force: bool,
) -> None:
    """Archive single article URLs through the same parser, pipelines and writer.

    Hosts of a known portal use its parser, any other host the generic extractor.
    Prints the written path per URL; a one-line error and exit code 1 per failed URL.

    Example: portal-archive fetch https://www.ofweek.com/2022-08/ART-8100-2801-1.html
    """
    from archive.runner import archived_paths, run_spiders, spider_jobs

    if to_stdout:
        ctx.overrides["ARCHIVE_WRITE"] = False
    outcomes: list[Any] = []

    def run() -> Any:
        settings = _settings(ctx, ARCHIVE_REFRESH=True)
        todo = list(dict.fromkeys(urls))
        if not force and not to_stdout:
            known = archived_paths(ctx.archive_dir, todo)
            outcomes.extend(known.values())
            todo = [u for u in todo if u not in known]
        if not todo:
            return None
        jobs = spider_jobs(settings, todo, portal)
        with _progress(len(todo)) as advance:
            report = run_spiders(settings, jobs, on_outcome=advance)
        outcomes.extend(report.outcomes)
        missing = set(todo) - {o.url for o in report.outcomes}
        outcomes.extend(_no_result(url) for url in sorted(missing))
        return report

    _run(ctx, run)
    failed = 0
    for outcome in outcomes:
        ok = outcome.status in FETCH_OK or outcome.status == "skipped"
        failed += not ok
        if as_json:
            click.echo(json.dumps(outcome.__dict__, ensure_ascii=False))
        elif to_stdout and outcome.text:
            click.echo(outcome.text, nl=False)
        elif ok:
            click.echo(outcome.path)
            if outcome.status == "skipped":
                click.echo(f"skipped (already archived, use --force): {outcome.url}", err=True)
        else:
            click.echo(
                f"error: {outcome.url}: {outcome.status} {outcome.detail}".rstrip(), err=True
            )
    if failed:
        sys.exit(EXIT_FAILED)


def _no_result(url: str) -> Any:
    from archive.runner import UrlOutcome

    return UrlOutcome(url, "no_result", detail="the page produced no article (see the log)")


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[Any], None]]:
    """A rich progress bar for many URLs (none for a handful); yields the advance callback."""
    if total < 5:
        yield lambda outcome: None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("fetching", total=total)
        yield lambda outcome: progress.advance(task)


@cli.command()
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
        from archive.demo_portal.portals import SITES, site_base

        jobs = [("ofweek", {"base_url": portal.base_url})]
        jobs += [(name, {"base_url": site_base(portal.base_url, name)}) for name in SITES]
        report = _run(  # settings inside: _run marks the lock as held by this process first
            ctx,
            lambda: run_spiders(
                _settings(ctx, AUTOTHROTTLE_START_DELAY=0.2), jobs, keep_outcomes=False
            ),
        )
    _summary(report, ctx.archive_dir, f"demo crawl of {portal.base_url}")
    archived = _count_articles(ctx.archive_dir)
    console.print(f"[bold]{archived} articles archived[/bold] in {ctx.archive_dir}/")
    console.print(f"Browse: .venv/bin/portal-archive --archive {ctx.archive_dir} serve")
    _exit_for_crawl(report)


def _count_articles(archive_dir: Path) -> int:
    from archive.store import Archive

    with Archive(archive_dir) as archive:
        return int(archive.db["articles"].count)


@cli.command()
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
    and plugin (sanitized article bodies); assets/ (images) and posts/ are served at
    /assets/ and /posts/.

    Example: portal-archive --archive ./archive-data serve --port 8001
    """
    from archive import datasette_metadata as dm

    ctx = click.get_current_context().find_object(Context)
    assert ctx is not None
    index_db = ctx.archive_dir / "index.db"
    if not index_db.is_file():
        raise click.ClickException(f"no index at {index_db}; run a crawl first")
    proxy = image_proxy or str(_settings(ctx).get("ARCHIVE_IMAGE_PROXY"))
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
    os.execv(argv[0], argv)  # noqa: S606 - replace this process with Datasette


def main() -> None:
    cli(prog_name="portal-archive")


__import__("archive.cli_maintenance").cli_maintenance.register(cli)  # import/reindex/verify/stats
__import__("archive.cli_export").cli_export.register(cli)  # export
__import__("archive.cli_replay").cli_replay.register(cli)  # reextract
