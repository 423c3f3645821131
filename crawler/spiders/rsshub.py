"""RSSHub full-text feeds: every item archived from the feed's own content, no page fetched.

``portal-archive crawl rsshub --feeds FILE``: the feeds file (TOML, ``archive.rsshub``) lists
each feed with its categories and author, as the legacy site's config did. A feed that cannot
be downloaded or read, and an item without link or title or with an unreadable date, become
failure rows (portal ``rsshub``) with their reason; the other items are archived. Feeds are
read again by every run (nothing to skip: no article page is requested), and the writer
leaves an unchanged item's file alone and rewrites an updated one (keeping a revision).
An item whose legacy post was imported (``import``) updates that post: no second copy.

Not a :class:`~crawler.spiders.base.PortalSpider`: there is no page parser, no listing and
no host of its own; its items carry the portal of their feed (``FeedConfig.portal``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from archive.image_urls import DEFAULT_IMAGE_PROXIES
from archive.importer import IMPORT_PREFIX
from archive.items import FetchFailure
from archive.rsshub import (
    FeedConfig,
    FeedEntry,
    FeedError,
    FeedItemError,
    feed_article,
    load_feeds,
    read_feed,
)
from crawler.spiders.base import failure_reason


def imported_identities(index_path: Path) -> set[str]:
    """Identities of the imported posts in the index (read-only; none without an index)."""
    if not index_path.is_file():
        return set()
    con = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "select canonical_url from articles where canonical_url like ?", [IMPORT_PREFIX + "%"]
        )
        return {row[0] for row in rows}
    except sqlite3.OperationalError:  # an index without the table yet
        return set()
    finally:
        con.close()


class RssHubSpider(scrapy.Spider):
    """Archives the items of the RSSHub feeds listed in a feeds file (``feeds=FILE``)."""

    name = "rsshub"

    def __init__(self, *args: Any, feeds: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not feeds:
            raise ValueError("the rsshub spider needs feeds=FILE (crawl rsshub --feeds FILE)")
        self.feed_configs: list[FeedConfig] = load_feeds(Path(feeds))
        self.proxies: tuple[str, ...] = DEFAULT_IMAGE_PROXIES
        self.tz = "Asia/Shanghai"
        self.imported: set[str] = set()
        """Identities of imported legacy posts: an item of one of them updates it."""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> RssHubSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, RssHubSpider)
        settings = crawler.settings
        proxies = settings.getlist("ARCHIVE_IMAGE_PROXIES", list(DEFAULT_IMAGE_PROXIES))
        template = settings.get("ARCHIVE_IMAGE_PROXY")
        if template and template not in proxies:
            proxies.append(template)
        spider.proxies = tuple(proxies)
        spider.tz = settings.get("ARCHIVE_PAGE_TIMEZONE", "Asia/Shanghai")
        index_path = Path(settings.get("ARCHIVE_DIR", "archive-data")) / "index.db"
        spider.imported = imported_identities(index_path)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for feed in self.feed_configs:
            yield scrapy.Request(
                feed.url,
                callback=self.parse_feed,
                errback=self.on_error,
                cb_kwargs={"feed": feed},
                dont_filter=True,
            )

    def is_article_url(self, url: str) -> bool:
        """No recorded failure is retried as a page: a failed item comes back with its feed."""
        return False

    def parse_feed(self, response: Response, feed: FeedConfig) -> Iterator[Any]:
        stats = self.crawler.stats
        stats.inc_value("archive/feeds")
        try:
            entries = read_feed(response.body)
        except FeedError as exc:
            stats.inc_value(f"archive/fetch_failed/{exc.reason}")
            self.logger.warning("Feed %s unreadable: %s", response.url, exc)
            yield FetchFailure(feed.url, self.name, exc.reason, str(exc))
            return
        fetched_at = datetime.now(UTC).replace(microsecond=0)
        for entry in entries:
            stats.inc_value("archive/discovered")
            try:
                yield feed_article(
                    entry,
                    feed,
                    proxies=self.proxies,
                    tz=self.tz,
                    fetched_at=fetched_at,
                    imported=self.imported,
                )
            except FeedItemError as exc:
                stats.inc_value(f"archive/fetch_failed/{exc.reason}")
                self.logger.warning("Feed item not archived (%s): %s", exc.reason, exc)
                yield FetchFailure(self.item_url(feed, entry), self.name, exc.reason, str(exc))
            except Exception as exc:  # a bug on one item must not cost the feed's other items
                self.logger.exception("Feed item %s of %s crashed", entry.position, feed.url)
                stats.inc_value("archive/fetch_failed/item_crash")
                detail = f"{type(exc).__name__}: {exc}"
                yield FetchFailure(self.item_url(feed, entry), self.name, "item_crash", detail)

    @staticmethod
    def item_url(feed: FeedConfig, entry: FeedEntry) -> str:
        """The failure row's URL of an item: its link, else its place in the feed."""
        return entry.link or f"{feed.url}#item-{entry.position}"

    def on_error(self, failure: Failure) -> Iterator[FetchFailure]:
        reason, detail = failure_reason(failure)
        request = getattr(failure, "request", None)
        url = (request.meta.get("redirect_urls") or [request.url])[0] if request else ""
        self.crawler.stats.inc_value(f"archive/fetch_failed/{reason}")
        self.logger.warning("Feed failed (%s): %s", reason, url)
        yield FetchFailure(url=url, portal=self.name, reason=reason, detail=f"feed: {detail}")
