"""Run portal spiders in-process (``AsyncCrawlerProcess``) and report what happened.

The CLI's ``crawl``, ``fetch`` and ``demo`` all go through :func:`run_spiders`, so a single
URL takes exactly the same parser, pipelines and writer as a scheduled crawl.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings

from archive.errors import InvalidUrlError, NoParserForUrlError, UnknownPortalError
from archive.items import ArticleItem, FetchFailure
from pipelines.store import article_saved

GENERIC = "generic"
"""The spider used for hosts no portal claims."""

NO_ARTICLE = {"no_body": "page with no article", "no_title": "page with no article title"}
"""Clear messages for articles the validate pipeline dropped."""


def project_settings(archive_dir: Path, overrides: Mapping[str, Any] | None = None) -> Settings:
    """The project's settings (no ``scrapy.cfg`` needed) for an archive folder."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_DIR", str(archive_dir), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def portal_spiders(settings: Settings) -> dict[str, Any]:
    """Portal name → spider class, for the ``SPIDER_MODULES`` of ``settings``."""
    from crawler import portals  # the spiders load here, not when the CLI starts

    return {spider.name: spider for spider in portals.portal_spiders(settings)}


def crawl_spiders(settings: Settings) -> dict[str, Any]:
    """Everything ``crawl`` can run: the portals and the feed sources (``rsshub``)."""
    from crawler import portals

    feeds = {spider.name: spider for spider in portals.feed_spiders(settings)}
    return {**portal_spiders(settings), **feeds}


def check_url(url: str) -> str:
    """The URL's host; :class:`InvalidUrlError` unless it is an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidUrlError(f"not an absolute http(s) URL: {url!r}")
    return parts.hostname.lower()


def portal_for_url(url: str, spiders: Mapping[str, Any]) -> str:
    """The portal whose domains include the URL's host."""
    host = check_url(url)
    for name, spider in spiders.items():
        for domain in getattr(spider, "domains", ()):
            if host == domain or host.endswith("." + domain):
                return name
    raise NoParserForUrlError(
        f"no portal parser for host {host!r} (use --portal NAME; known: {', '.join(spiders)})"
    )


@dataclass
class UrlOutcome:
    url: str
    status: str
    """``new``/``updated``/``unchanged``/``rendered``/``skipped`` or a failure reason."""
    path: str = ""
    detail: str = ""
    text: str = ""
    """The rendered post, when the run only renders (``ARCHIVE_WRITE = False``)."""


def spider_jobs(
    settings: Settings, urls: Sequence[str], portal: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Group URLs by the spider that parses them: ``portal``, the host's portal, or generic."""
    spiders = portal_spiders(settings)
    if portal and portal not in spiders:  # e.g. rsshub: it reads feeds, it parses no page
        raise UnknownPortalError(f"no page parser named {portal!r} (known: {', '.join(spiders)})")
    groups: dict[str, list[str]] = {}
    for url in urls:
        check_url(url)
        if portal:
            name = portal
        else:
            try:
                name = portal_for_url(url, spiders)
            except NoParserForUrlError:
                if GENERIC not in spiders:
                    raise
                name = GENERIC
        groups.setdefault(name, []).append(url)
    return [(name, {"urls": group}) for name, group in groups.items()]


def archived_paths(archive_dir: Path, urls: Sequence[str]) -> dict[str, UrlOutcome]:
    """``skipped`` outcomes for the URLs (or their canonical forms) already archived."""
    from archive.normalize import canonical
    from archive.store import Archive

    if not (archive_dir / "index.db").is_file():
        return {}
    found: dict[str, UrlOutcome] = {}
    with Archive(archive_dir) as archive:
        for url in urls:
            row = archive.db.execute(
                "select path from articles where url = ? or canonical_url = ?",
                [url, canonical(url)],
            ).fetchone()
            if row:
                path = str((archive.posts_dir / row[0]).resolve())
                found[url] = UrlOutcome(url, "skipped", path, "already archived")
    return found


@dataclass
class RunReport:
    """What a run did, per spider, plus per-URL outcomes in arrival order."""

    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: list[UrlOutcome] = field(default_factory=list)
    keep_outcomes: bool = True
    on_outcome: Callable[[UrlOutcome], None] | None = None

    def _add(self, outcome: UrlOutcome) -> None:
        if self.keep_outcomes:
            self.outcomes.append(outcome)
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def count(self, key: str) -> int:
        return sum(int(s.get(key, 0) or 0) for s in self.stats.values())

    @property
    def finished(self) -> bool:
        return all(s.get("finish_reason") == "finished" for s in self.stats.values())

    # signal receivers (bound methods of a live object: Scrapy holds receivers weakly)
    def on_saved(self, item: ArticleItem, result: Any, **kwargs: Any) -> None:
        self._add(UrlOutcome(item.url, result.status, str(result.path), text=result.text))

    def on_dropped(self, item: Any, exception: Exception, **kwargs: Any) -> None:
        if isinstance(item, FetchFailure):
            self._add(UrlOutcome(item.url, item.reason, detail=item.detail))
        elif isinstance(item, ArticleItem):
            reason = str(exception).split(":", 1)[0].replace("missing ", "no_").split(",")[0]
            detail = NO_ARTICLE.get(reason, str(exception).removeprefix(f"{reason}: "))
            self._add(UrlOutcome(item.url, reason, detail=detail))


def run_spiders(
    settings: Settings,
    jobs: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    keep_outcomes: bool = True,
    on_outcome: Callable[[UrlOutcome], None] | None = None,
) -> RunReport:
    """Run ``(spider name, spider kwargs)`` jobs in one process until all finish."""
    spiders = crawl_spiders(settings)
    for name, _ in jobs:
        if name not in spiders:
            raise UnknownPortalError(f"unknown portal {name!r} (known: {', '.join(spiders)})")
    report = RunReport(keep_outcomes=keep_outcomes, on_outcome=on_outcome)
    process = AsyncCrawlerProcess(settings)  # LOG_INSTALL_ROOT_HANDLER (default True)
    crawlers = []
    for name, kwargs in jobs:
        crawler = process.create_crawler(name)
        crawler.signals.connect(report.on_saved, signal=article_saved)
        crawler.signals.connect(report.on_dropped, signal=signals.item_dropped)
        process.crawl(crawler, **kwargs)
        crawlers.append((name, crawler))
    process.start()
    for name, crawler in crawlers:
        assert crawler.stats is not None
        report.stats[name] = dict(crawler.stats.get_stats())
    return report
