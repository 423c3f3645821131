"""Run portal spiders in-process (``AsyncCrawlerProcess``) and report what happened.

The CLI's ``crawl``, ``fetch`` and ``demo`` all go through :func:`run_spiders`, so a single
URL takes exactly the same parser, pipelines and writer as a scheduled crawl.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from archive.errors import InvalidUrlError, NoParserForUrlError, UnknownPortalError
from crawler.items import ArticleItem, FetchFailure
from pipelines.store import article_saved


def project_settings(archive_dir: Path, overrides: Mapping[str, Any] | None = None) -> Settings:
    """The project's settings (no ``scrapy.cfg`` needed) for an archive folder."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ARCHIVE_DIR", str(archive_dir), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def portal_spiders(settings: Settings) -> dict[str, Any]:
    """Portal name → spider class, as Scrapy's own loader finds them."""
    loader = SpiderLoader.from_settings(settings)
    return {name: loader.load(name) for name in loader.list()}


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
    """``new``/``updated``/``unchanged`` or a failure reason such as ``http_404``."""
    path: str = ""
    detail: str = ""


@dataclass
class RunReport:
    """What a run did, per spider, plus per-URL outcomes in arrival order."""

    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: list[UrlOutcome] = field(default_factory=list)
    keep_outcomes: bool = True

    def count(self, key: str) -> int:
        return sum(int(s.get(key, 0) or 0) for s in self.stats.values())

    @property
    def finished(self) -> bool:
        return all(s.get("finish_reason") == "finished" for s in self.stats.values())

    # signal receivers (bound methods of a live object: Scrapy holds receivers weakly)
    def on_saved(self, item: ArticleItem, result: Any, **kwargs: Any) -> None:
        if self.keep_outcomes:
            self.outcomes.append(UrlOutcome(item.url, result.status, str(result.path)))

    def on_dropped(self, item: Any, exception: Exception, **kwargs: Any) -> None:
        if not self.keep_outcomes:
            return
        if isinstance(item, FetchFailure):
            self.outcomes.append(UrlOutcome(item.url, item.reason, detail=item.detail))
        elif isinstance(item, ArticleItem):
            self.outcomes.append(UrlOutcome(item.url, "dropped", detail=str(exception)))


def run_spiders(
    settings: Settings,
    jobs: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    keep_outcomes: bool = True,
) -> RunReport:
    """Run ``(spider name, spider kwargs)`` jobs in one process until all finish."""
    spiders = portal_spiders(settings)
    for name, _ in jobs:
        if name not in spiders:
            raise UnknownPortalError(f"unknown portal {name!r} (known: {', '.join(spiders)})")
    report = RunReport(keep_outcomes=keep_outcomes)
    process = AsyncCrawlerProcess(settings, install_root_handler=True)
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
