"""``crawl`` and ``fetch``: thin click wrappers over :mod:`portal_archive.runner`."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from portal_archive.cli.common import (
    EXIT_FAILED,
    Context,
    CrawlFailed,
    console,
    exit_for_crawl,
    export_options,
    library_errors,
    locked,
    print_summary,
    settings_for,
    warc_option,
)


class PortalsEpilog(click.Command):
    """A command whose help ends with the portals it can crawl (spiders loaded on demand)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from crawler.portals import portal_names

        self.epilog = "Portals: " + ", ".join(portal_names())
        super().format_epilog(ctx, formatter)


@click.command(cls=PortalsEpilog)
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
@click.option(
    "--feeds",
    "feeds_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="rsshub only (and required by it): TOML file of [[feed]] tables with url, "
    "categories and author; every item is archived from the feed's own content.",
)
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Run as a crawl worker of a distributed crawl (redis://host:port/db): shared "
    "frontier, items to the writer's queue, the archive folder is not touched "
    "(docs/distributed.md).",
)
@click.option(
    "--idle-exit",
    type=float,
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="With --redis: exit once the shared frontier has been empty this long.",
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
    feeds_file: Path | None,
    redis_url: str | None,
    idle_exit: float,
) -> None:
    """Crawl portals (listings, feeds, sitemaps) into the archive, incrementally.

    Articles already archived are not downloaded again (listings and feeds are); failed
    URLs of earlier runs are retried. Exit code 1 when the run failed as a whole, 75 when
    another run holds the archive.

    A run whose portal parser missed title, body or date on too many pages is marked
    degraded (exit code 3); those pages are archived by the generic extractor instead.

    Example: portal-archive crawl ofweek --base-url http://127.0.0.1:8765

    Example: portal-archive crawl generic --start-url https://example.com/sitemap.xml

    Example: portal-archive crawl rsshub --feeds feeds.toml --image-mode proxy

    With --redis URL it is one of any number of crawl workers feeding one `writer`
    (portal-archive --archive DIR writer --redis URL); see docs/distributed.md.

    Example: portal-archive crawl ofweek huxiu --redis redis://127.0.0.1:6379/0
    """
    from portal_archive.runner import portal_spiders, run_spiders

    spiders = portal_spiders(settings_for(ctx))
    feed_kwargs = _feed_source_kwargs(portals, feeds_file)
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
    if portals == (RSSHUB,) and kwargs:
        raise click.UsageError(
            "--base-url, --max-pages, --listing-url and --start-url do not apply to rsshub "
            "(its feeds come from --feeds)"
        )
    jobs = [(p, feed_kwargs if p == RSSHUB else kwargs) for p in portals]
    if redis_url:
        _worker(ctx, jobs, redis_url, idle_exit)
        return
    report = locked(ctx, lambda: run_spiders(settings_for(ctx), jobs, keep_outcomes=False))
    print_summary(report, ctx.archive_dir, "crawl")
    exit_for_crawl(report)


RSSHUB = "rsshub"
"""The feed source ``crawl`` runs with ``--feeds`` (``crawler/spiders/rsshub.py``)."""


def _feed_source_kwargs(portals: tuple[str, ...], feeds_file: Path | None) -> dict[str, Any]:
    """The rsshub spider's arguments, once the feeds file has been read (a clean error if it
    cannot be); ``--feeds`` without rsshub and rsshub without ``--feeds`` are usage errors."""
    if RSSHUB not in portals:
        if feeds_file is not None:
            raise click.UsageError("--feeds applies to `crawl rsshub` only")
        return {}
    if feeds_file is None:
        raise click.UsageError("crawl rsshub needs --feeds FILE (a TOML list of [[feed]] tables)")
    from archive.rsshub import load_feeds

    with library_errors():
        load_feeds(feeds_file)
    return {"feeds": str(feeds_file.resolve())}


def _worker(ctx: Context, jobs: Any, redis_url: str, idle_exit: float) -> None:
    """``crawl --redis``: a crawl worker (no archive lock: it never opens the archive)."""
    from archive.distributed import check_redis
    from crawler.distributed import worker_settings
    from portal_archive.runner import run_spiders

    if ctx.overrides.get("ARCHIVE_WARC"):
        raise click.UsageError("--warc is not available to crawl workers (--redis)")
    prefix = str(ctx.overrides.get("ARCHIVE_REDIS_PREFIX") or "pa")
    overrides = worker_settings(redis_url, prefix=prefix, idle_exit=idle_exit)
    with library_errors():
        check_redis(redis_url)
        report = run_spiders(settings_for(ctx, **overrides), jobs, keep_outcomes=False)
    for name, stats in report.stats.items():
        pushed = int(stats.get("archive/redis/pushed", 0) or 0)
        console.print(
            f"{name}: {pushed} record(s) sent to the writer, "
            f"{int(stats.get('archive/skipped_archived', 0) or 0)} archived skipped "
            f"({stats.get('finish_reason')})"
        )
    for name, stats in report.stats.items():
        if stats.get("finish_reason") != "finished":
            raise CrawlFailed(f"{name}: worker did not finish ({stats.get('finish_reason')})")


FETCH_OK = {"new", "updated", "unchanged", "rendered"}


@click.command()
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
    from portal_archive.runner import archived_paths, run_spiders, spider_jobs

    if to_stdout:
        ctx.overrides["ARCHIVE_WRITE"] = False
    outcomes: list[Any] = []

    def run() -> Any:
        # one URL a person typed: a refused connection or unknown host fails at once, and a
        # page the portal parser cannot read goes to the generic extractor (as in a degraded crawl)
        settings = settings_for(
            ctx,
            ARCHIVE_REFRESH=True,
            ARCHIVE_RETRY_UNREACHABLE=False,
            ARCHIVE_FALLBACK_EACH_PAGE=True,
            ARCHIVE_WRITE_PROCESS=False,  # a few URLs: a writer process would only add start-up
        )
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

    locked(ctx, run)
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
    from portal_archive.runner import UrlOutcome

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
