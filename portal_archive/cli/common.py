"""What every command module shares: the group's context object, the console, the option
decorators, the archive lock, the run summary and the one place where library errors
(:class:`archive.errors.ArchiveError`) become one-line CLI errors with their exit code.

Command modules import this module and nothing else of the CLI; ``portal_archive.cli``
imports the command modules and adds their commands to the group.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from archive.errors import ArchiveError, ArchiveLockedError
from archive.frontmatter_files import IMAGE_MODES, PROFILES
from archive.lock import EXIT_LOCKED

EXIT_FAILED = 1
"""A failed run, URL or file."""
EXIT_DEGRADED = 3
"""A crawl whose portal parser broke on too many pages (``docs/reliability.md``)."""

console = Console(stderr=True, width=None if sys.stderr.isatty() else 120)
T = TypeVar("T")


class Context:
    """The group's context object: the archive folder and the ``--set`` overrides."""

    def __init__(self, archive_dir: Path, overrides: dict[str, Any]) -> None:
        self.archive_dir = archive_dir
        self.overrides = overrides


def parse_set(values: Sequence[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` values as a dict."""
    overrides: dict[str, Any] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint="--set")
        overrides[key.strip()] = raw
    return overrides


def current() -> Context:
    """The group's :class:`Context` (for commands that do not take it as an argument)."""
    obj = click.get_current_context().find_object(Context)
    if obj is None:
        raise click.UsageError("run through the portal-archive command group")
    return obj


def settings_for(ctx: Context, **extra: Any) -> Any:
    """The project's Scrapy settings for the archive, with ``extra`` and the overrides."""
    from portal_archive.runner import project_settings

    return project_settings(ctx.archive_dir, {**extra, **ctx.overrides})


# --------------------------------------------------------------------------- options


def export_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--image-mode``, ``--image-proxy``, ``--profile`` shared by crawl, fetch and export."""

    @click.option(
        "--image-mode",
        type=click.Choice(IMAGE_MODES),
        default=None,
        help="How images appear in written files.  [default: origin; export: each post's own]",
    )
    @click.option(
        "--image-proxy",
        metavar="TEMPLATE",
        default=None,
        help="Proxy template for --image-mode proxy, e.g. 'https://cors.zfour.workers.dev/?{url}'.",
    )
    @click.option(
        "--profile",
        type=click.Choice(list(PROFILES)),
        default=None,
        help="Front-matter profile, i.e. the site generator the files are for "
        "(docs/profiles.md).  [default: hexo; export: each post's own]",
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        image_mode: str | None,
        image_proxy: str | None,
        profile: str | None,
        **kwargs: Any,
    ) -> Any:
        ctx = current()
        for key, value in (
            ("ARCHIVE_IMAGE_MODE", image_mode),
            ("ARCHIVE_IMAGE_PROXY", image_proxy),
            ("ARCHIVE_PROFILE", profile),
        ):
            if value is not None:
                ctx.overrides[key] = value
        return func(*args, **kwargs)

    return wrapper


def warc_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--warc``: also write the run's article and image responses to WARC files."""

    @click.option(
        "--warc",
        is_flag=True,
        default=False,
        help="Also keep the raw article and image responses in "
        "warc/*.warc.gz (ARCHIVE_WARC; see docs/warc.md).",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, warc: bool, **kwargs: Any) -> Any:
        if warc:
            current().overrides["ARCHIVE_WARC"] = True
        return func(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------- errors, lock


class ArchiveLocked(click.ClickException):
    """Another run holds the archive (exit code 75)."""

    exit_code = EXIT_LOCKED


class CrawlDegraded(click.ClickException):
    """A portal parser missed required fields on too many pages (exit code 3)."""

    exit_code = EXIT_DEGRADED


class CrawlFailed(click.ClickException):
    """The crawl as a whole failed (exit code 1)."""

    exit_code = EXIT_FAILED


@contextmanager
def library_errors() -> Iterator[None]:
    """Library errors as one-line CLI errors: a held lock exits 75, any other 1."""
    try:
        yield
    except ArchiveLockedError as exc:
        raise ArchiveLocked(str(exc)) from exc
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


def locked(ctx: Context, func: Callable[[], T]) -> T:
    """Run a writing command's ``func`` holding the archive lock (and tell the writer
    pipeline that this process holds it); library errors become CLI errors."""
    from archive.lock import ArchiveLock

    with library_errors(), ArchiveLock(ctx.archive_dir):
        ctx.overrides["ARCHIVE_LOCK_HELD"] = True
        return func()


# --------------------------------------------------------------------------- crawl reports

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


def print_summary(report: Any, archive_dir: Path, title: str) -> None:
    """One table row per spider of a run: what it found, wrote and failed."""
    from archive.runs import run_status

    table = Table(title=title)
    table.add_column("portal")
    for column, _ in SUMMARY_COLUMNS:
        table.add_column(column, justify="right")
    table.add_column("status", justify="right")
    for name, stats in report.stats.items():
        counts = [
            sum(int(stats.get(f"archive/{k}", 0) or 0) for k in keys) for _, keys in SUMMARY_COLUMNS
        ]
        table.add_row(name, *map(str, counts), run_status(stats))
    console.print(table)
    console.print(f"files: {archive_dir / 'posts'}   index: {archive_dir / 'index.db'}")


def exit_for_crawl(report: Any) -> None:
    """Raise :class:`CrawlFailed` or :class:`CrawlDegraded` unless every spider finished."""
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
