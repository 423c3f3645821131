"""Datasette 0.65 metadata of the archive's index, built by a pure function.

:func:`build_metadata` returns a plain ``dict`` that ``portal-archive serve`` dumps as YAML
and hands to Datasette with ``-m``. Two kinds of keys are kept apart, so the split Datasette
1.0 wants (``metadata.yaml`` for descriptions, ``datasette.yaml`` for configuration) is a
matter of calling the two builders separately (stack-notes §3):

* :func:`descriptive_metadata` — title, description, source and licence notes, a
  description for every table and column;
* :func:`configuration` — default sort, facets, the FTS table, canned queries and the
  ``portal-archive`` plugin's settings (image mode, mounts).
"""

from __future__ import annotations

import copy
import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from archive import search
from archive.frontmatter_files import write_atomic

DATABASE = "index"
"""Datasette names a database after its file: ``index.db`` → ``/index``."""

PLUGIN = "portal-archive"
"""Key of the plugin's settings under ``plugins:`` (read by ``archive.datasette_plugin``)."""

IMAGES_MOUNT = "/assets/"
"""Where ``serve`` mounts ``DIR/assets/`` (``--static assets:…``); the default
``ARCHIVE_LOCAL_IMAGE_PREFIX`` too, so local image URLs match the written files."""

POSTS_MOUNT = "/posts/"
"""Where the plugin serves ``DIR/posts/`` as UTF-8 text, so an article's ``path`` links to
its file (a plugin route: Datasette 0.65's static mounts cannot serve non-ASCII names)."""

RENDER_IMAGE_MODES: tuple[str, ...] = ("local", "origin", "proxy")
"""How rendered bodies show images: downloaded copy (falling back to the original URL for an
image that was not downloaded), original URL, or original URL wrapped in a proxy template."""

COLUMNS: dict[str, dict[str, str]] = {
    "articles": {
        "id": "Stable article id: the first 16 hex digits of sha1(canonical_url).",
        "url": "URL the article was fetched from (after redirects); the original page.",
        "canonical_url": "Canonicalized URL, the de-duplication key the id is derived from.",
        "portal": "Portal key (spider name), e.g. ofweek; also the first folder under posts/.",
        "title": "Title, whitespace collapsed.",
        "title_raw": "Title text as found on the page.",
        "author": "Front-matter author: the feed or site name from the portal taxonomy.",
        "source": "Source line without its label (来源：…), e.g. OFweek锂电网.",
        "categories": "Front-matter categories as a JSON array, in order (faceted as a list).",
        "published": "Publication time, ISO 8601 in UTC (page time read as Asia/Shanghai).",
        "published_raw": "Publication time as written on the page.",
        "language": "BCP-47 language of the article, e.g. zh.",
        "body": "Cleaned body HTML with original image URLs; shown here re-sanitized by nh3, "
        "with images per the serve image mode (a snippet in tables, in full on the row page).",
        "body_text": "Plain text of the body; searched with title by the FTS5 trigram index.",
        "image_count": "Number of distinct images in the body (rows in images).",
        "parser": "Parser and version that extracted the article, e.g. ofweek.V2.",
        "encoding": "Encoding the page was decoded with, after the charset safeguard.",
        "path": "Front-matter file below posts/ (<portal>/<YYYY-MM>/<title>_<id8>.md, .html "
        "for hugo and jekyll); links to the archived file.",
        "content_hash": "sha256 of the written file's text; unchanged hash, file not rewritten.",
        "profile": "Front-matter profile the file was written with: hexo, hugo or jekyll.",
        "image_mode": "Image mode the file was written with: origin, proxy or local.",
        "first_seen": "When the article was first archived (UTC).",
        "last_seen": "When a crawl last saw the article (UTC).",
        "fetched_at": "When the page was last fetched (UTC).",
        "origin": "How the row got here: crawl, or import of an existing post.",
        "imported_from": "For imported posts: the file or URL it was imported from.",
        "render_hints": "For imported posts: JSON hints to reproduce the original file.",
    },
    "images": {
        "article_id": "The article the image belongs to.",
        "position": "Order of the image in the body, from 0.",
        "url": "Absolute original image URL (proxy wrappers removed).",
        "alt": "The image's alt text.",
        "status": "pending (download off), downloaded, failed (retried next run), or skipped "
        "(offsite/robots.txt, too large, over the per-article limit).",
        "path": "Downloaded copy relative to assets/ (<sha256>.<ext>); served at /assets/.",
        "checksum": "MD5 of the downloaded bytes.",
        "error": "Why the download failed or was skipped, e.g. HTTP 403.",
        "sha256": "SHA-256 of the downloaded bytes (the file name under assets/).",
        "bytes": "Size of the downloaded file in bytes.",
        "content_type": "MIME type of the downloaded file.",
    },
    "image_urls": {
        "url": "Original image URL: one row per URL ever requested.",
        "sha256": "SHA-256 of its bytes; two URLs with the same bytes share one file.",
        "bytes": "File size (for too_large: the size it was refused at).",
        "content_type": "MIME type (Content-Type header, else sniffed from the bytes).",
        "path": "The file below assets/ (<sha256>.<ext>).",
        "checksum": "MD5 of the bytes.",
        "status": "downloaded, failed (retried by later runs), too_large, or skipped.",
        "error": "The latest failure.",
        "first_article": "The article it was first requested for.",
        "attempts": "How many times it was requested.",
        "first_tried": "When it was first requested (UTC).",
        "last_tried": "When it was last requested (UTC).",
    },
    "article_categories": {
        "article_id": "The article.",
        "position": "Order of the category in the front matter, from 0.",
        "category": "Category name.",
    },
    "failures": {
        "url": "The URL that failed (listing, feed or article).",
        "portal": "Portal key.",
        "reason": "Machine-readable reason: http_404, timeout, dns, no_title …",
        "detail": "Human-readable detail.",
        "attempts": "How many runs failed on this URL so far.",
        "first_failed": "First failure (UTC).",
        "last_failed": "Latest failure (UTC).",
        "run_id": "The crawl run (crawl_runs.id) of the latest failure, when recorded.",
    },
    "crawl_runs": {
        "id": "Run number.",
        "portal": "Portal crawled by the run (one row per portal of a command).",
        "command": "Command line that started the run.",
        "started": "Start (UTC).",
        "finished": "End (UTC); empty while running or after a crash.",
        "status": "running, finished, degraded (parser-breakage alarm) or failed (did not "
        "finish, or nothing discovered).",
        "discovered": "Article URLs discovered.",
        "new": "Articles archived for the first time.",
        "updated": "Articles whose file changed.",
        "unchanged": "Articles seen again unchanged.",
        "failed": "URLs that failed.",
        "skipped": "Article URLs skipped (already archived).",
        "error_summary": "Short summary of the errors, if any.",
        "parse_checked": "Article pages the portal parser handled (parser-breakage alarm).",
        "parse_broken": "Of those, pages without title, body or date.",
        "fallback": "Broken pages archived by the generic extractor (parser generic-fallback).",
    },
    "revisions": {
        "id": "Revision number.",
        "article_id": "The article that changed.",
        "changed_at": "When the change was archived (UTC).",
        "changed_fields": "JSON array of the fields that changed (title, body, path …).",
        "old_title": "Title before the change.",
        "old_hash": "content_hash of the previous file.",
        "new_hash": "content_hash of the new file.",
        "old_path": "Previous path below posts/ (when the title change moved the file).",
        "old_text": "Previous body text.",
    },
    "warc_records": {
        "file": "WARC file under warc/ holding the record (docs/warc.md).",
        "offset": "Byte offset of the record (its gzip member) in the file.",
        "length": "Length in bytes of the record's gzip member.",
        "uri": "WARC-Target-URI: the URL requested.",
        "date": "WARC-Date: when the response was captured (UTC).",
        "kind": "article or image.",
        "portal": "Portal of the run that captured it.",
        "status": "HTTP status of the stored response.",
        "content_type": "Content-Type of the stored response.",
        "payload_digest": "WARC-Payload-Digest (sha1, base32) of the stored payload.",
        "record_id": "WARC-Record-ID of the response record.",
    },
    # reader search (issue #13; archive/search.py) --------------------------------------
    "article_search": {
        "rowid": "The article's rowid in articles (and in both full-text indexes).",
        "published": "Publication time, as in articles (the date order of /-/search).",
        "portal_id": "Portal (article_search_values.id).",
        "author_id": "Author (article_search_values.id).",
        "month_id": "Month of publication, YYYY-MM (article_search_values.id).",
        "categories_id": "The categories JSON array (article_search_values.id).",
    },
    "article_search_values": {
        "id": "Value id.",
        "facet": "portal, author, month or categories.",
        "value": "The value (for categories: the JSON array).",
    },
    "_sqlite_migrations": {
        "id": "Row number.",
        "migration_set": "Migration set (portal-archive).",
        "name": "Migration applied (archive/index.py), e.g. m001_initial.",
        "applied_at": "When it was applied (UTC).",
    },
}
"""A description for every column of every table (a test compares this with the schema)."""

TABLES: dict[str, str] = {
    "articles": "One row per archived article; its front-matter file is under posts/. Search "
    "(FTS5 trigram) needs 3+ characters; the reader's search page /-/search ranks results and "
    "finds 1–2-character words too.",
    "images": "The images of each article, in body order, with their download status.",
    "image_urls": "One row per image URL: its stored file (assets/<sha256>.<ext>) or failure.",
    "article_categories": "The categories of each article, one row each.",
    "failures": "URLs that could not be archived, with their latest reason.",
    "crawl_runs": "One row per crawl run, with its counts.",
    "revisions": "Earlier versions of articles that changed when re-fetched.",
    "warc_records": "Stored raw responses (crawl --warc): where each is, for reextract.",
    "article_search": "Search's narrow copy of each article's facet values (triggers keep it "
    "in step with articles); hidden.",
    "article_search_values": "The facet values article_search refers to; hidden.",
    "_sqlite_migrations": "Schema migrations applied to this index (sqlite-utils); hidden.",
}

QUERIES: dict[str, dict[str, str]] = {
    "latest_articles": {
        "title": "Latest articles",
        "description": "The 100 most recently published articles.",
        "sql": """select id as article_id, published, portal, title, author, image_count, url
from articles
order by published desc, id
limit 100""",
    },
    "articles_per_portal_per_month": {
        "title": "Articles per portal per month",
        "description": "Article and image counts per portal and month of publication (UTC).",
        "sql": """select portal, coalesce(substr(published, 1, 7), 'undated') as month,
  count(*) as articles, coalesce(sum(image_count), 0) as images
from articles
group by portal, month
order by month desc, portal""",
    },
    "changed_articles": {
        "title": "Changed articles with their revisions",
        "description": "Every archived revision, newest first, with the article it belongs to.",
        "sql": """select r.changed_at, r.article_id, a.title, a.portal, r.changed_fields,
  r.old_title, r.old_path, r.old_hash, r.new_hash,
  (select count(*) from revisions r2 where r2.article_id = r.article_id) as revisions,
  a.url
from revisions r left join articles a on a.id = r.article_id
order by r.changed_at desc, r.id desc""",
    },
    "failed_urls_last_run": {
        "title": "Failed URLs of the last run",
        "description": "URLs that failed in the most recent crawl run of each portal.",
        "sql": """with last_runs as (
  select portal, max(id) as id from crawl_runs group by portal
)
select f.url, f.portal, f.reason, f.detail, f.attempts, f.last_failed,
  r.id as run_id, r.started as run_started, r.status as run_status
from failures f
  join last_runs l on f.run_id = l.id
  join crawl_runs r on r.id = l.id
order by f.portal, f.url""",
    },
    "parser_breakage": {
        "title": "Parser breakage: degraded runs",
        "description": "Crawl runs the parser-breakage alarm marked degraded, newest first, and "
        "how many of the portal's articles are still generic-fallback ones (docs/discovery.md).",
        "sql": """select r.id as run_id, r.portal, r.started, r.parse_checked, r.parse_broken,
  r.fallback,
  (select count(*) from articles a
    where a.portal = r.portal and a.parser = 'generic-fallback') as fallback_articles_now
from crawl_runs r
where r.status = 'degraded'
order by r.id desc""",
    },
    "articles_with_failed_images": {
        "title": "Articles whose images failed",
        "description": "Articles with at least one image whose download failed, newest first.",
        "sql": """select a.id as article_id, a.published, a.portal, a.title,
  count(*) as failed_images, a.image_count, group_concat(distinct i.error) as errors,
  group_concat(i.url, ' ') as failed_urls
from images i join articles a on a.id = i.article_id
where i.status = 'failed'
group by a.id
order by a.published desc, a.id""",
    },
}
"""Canned queries; each runs on empty tables (a test runs every one)."""


def descriptive_metadata(database: str = DATABASE) -> dict[str, Any]:
    """Title, description, source/licence notes and every table's and column's description."""
    return {
        "title": "Portal Archive",
        "description": "Archived articles of Chinese tech-news portals: search (中文 too), "
        "facets, and each article rendered from its sanitized HTML.",
        "source": "The portals' public article pages, crawled by portal-archive",
        "license": "Articles remain their publishers' copyright (archived for reference); "
        "the archive's code is MIT",
        "databases": {
            database: {
                "description": "The archive's index (index.db), opened read-only.",
                "tables": {
                    name: {"description": TABLES[name], "columns": dict(columns)}
                    for name, columns in COLUMNS.items()
                },
            }
        },
    }


def configuration(
    database: str = DATABASE,
    *,
    image_mode: str = "local",
    image_proxy: str = "https://cors.zfour.workers.dev/?{url}",
    posts_dir: str | None = None,
) -> dict[str, Any]:
    """Sort, facets, FTS, canned queries and plugin settings (``datasette.yaml`` in 1.0)."""
    if image_mode not in RENDER_IMAGE_MODES:
        raise ValueError(f"image mode {image_mode!r} not in {RENDER_IMAGE_MODES}")
    return {
        "plugins": {
            PLUGIN: {
                "image_mode": image_mode,
                "image_proxy": image_proxy,
                "images_mount": IMAGES_MOUNT,
                "posts_mount": POSTS_MOUNT,
                "posts_dir": posts_dir,
            }
        },
        "databases": {
            database: {
                "tables": {
                    "articles": {
                        "sort_desc": "published",
                        "fts_table": "articles_fts",
                        "facets": [
                            "portal",
                            {"array": "categories"},
                            "author",
                            {"month": "published"},
                        ],
                        "label_column": "title",
                    },
                    "images": {"facets": ["status"], "label_column": "url"},
                    "failures": {"sort_desc": "last_failed", "facets": ["portal", "reason"]},
                    "crawl_runs": {"sort_desc": "id", "facets": ["portal", "status"]},
                    "revisions": {"sort_desc": "changed_at"},
                    "article_categories": {"facets": ["category"]},
                    "_sqlite_migrations": {"hidden": True},
                    "article_search": {"hidden": True},
                    "article_search_values": {"hidden": True},
                    "articles_fts_chars": {"hidden": True},
                    "articles_fts_words": {"hidden": True},
                },
                "queries": copy.deepcopy(QUERIES),
            }
        },
    }


# --- Feeds, health dashboard, robots.txt (issue 14) -------------------------------------
# Kept apart from ``configuration()`` above: ``living_site()`` is merged in by
# ``build_metadata()``, so the search/ranking settings and these can change independently.

FEED_QUERY = "feed"
"""Canned query behind ``/index/feed.atom`` (``datasette-atom`` renders its ``atom_*`` columns)."""

FEED_LIMIT = 50
"""Entries in a feed: the newest articles by publication date."""

FEED_HTML_FUNCTION = "portal_archive_feed_html"
"""SQL function (registered by ``archive.datasette_plugin``): ``(body, images_json)`` → the
body sanitized with the feed allow-list, images per the serve image mode."""

FEED_FILTERS: dict[str, str] = {
    "portal": "Portal key (spider name), e.g. ofweek.",
    "category": "One category, as in article_categories.category.",
    "q": "Full-text search: the articles /-/search finds for the same text (words of 1 or "
    "more characters, all must match).",
}
"""Query-string parameters that narrow a feed; empty or absent: no narrowing."""

FEED_SQL = f"""select a.canonical_url as atom_id,
  a.title as atom_title,
  coalesce(a.published, a.first_seen) as atom_updated,
  a.url as atom_link,
  a.author as atom_author_name,
  {FEED_HTML_FUNCTION}(a.body, (select json_group_object(i.url, i.path) from images i
    where i.article_id = a.id and i.status = 'downloaded' and coalesce(i.path, '') != ''))
    as atom_content_html
from articles a
where (:portal = '' or a.portal = :portal)
  and (:category = '' or a.id in (select c.article_id from article_categories c
    where c.category = :category))
  and (:q = '' or a.rowid in ({search.matched_rowids_sql("q")}))
order by a.published desc, a.id
limit {FEED_LIMIT}"""

DASHBOARD = "health"
"""Slug of the health dashboard: ``/-/dashboards/health`` (``datasette-dashboards``)."""

STATUS_COLORS: dict[str, dict[str, str]] = {
    "runs": {"new": "#2e7d32", "updated": "#1565c0", "failed": "#c62828"},
    "images": {
        "downloaded": "#2e7d32",
        "failed": "#c62828",
        "skipped": "#9e9e9e",
        "too_large": "#ef6c00",
        "pending": "#cfd8dc",
    },
    "alarm": {
        "degraded": "#c62828",
        "finished": "#2e7d32",
        "failed": "#6d4c41",
        "running": "#9e9e9e",
    },
}
"""Fixed colours, so green means good and red bad on every chart."""


CHART_HEIGHT = 190
"""Pixels of plot height per chart: the whole dashboard fits one screen."""


RECENT_RUNS = 60
"""Runs shown by the run charts: the newest ones (3 rows each stay below Datasette's
``max_returned_rows`` of 1,000, and 60 bars stay readable)."""

BAR_STEP = 22
"""Pixels per bar of the horizontal bar charts (one bar per failure reason, per portal)."""


COUNT_AXIS: dict[str, Any] = {
    "tickMinStep": 1,
    "format": "d",
    "labelExpr": "datum.value % 1 === 0 ? datum.label : ''",
}
"""Axis of a count: labels on whole numbers only."""


def _scale(name: str) -> dict[str, list[str]]:
    """A Vega-Lite colour scale with the fixed colours of ``STATUS_COLORS[name]``."""
    return {"domain": list(STATUS_COLORS[name]), "range": list(STATUS_COLORS[name].values())}


def _tooltip(*fields: tuple[str, str]) -> list[dict[str, str]]:
    return [{"field": name, "type": kind} for name, kind in fields]


def dashboard_charts(database: str = DATABASE) -> dict[str, dict[str, Any]]:
    """The health dashboard's charts: Vega-Lite specs over SQL (``datasette-dashboards``)."""
    return {
        "articles": {
            "title": "Articles archived",
            "db": database,
            "query": "select count(*) as n from articles",
            "library": "metric",
            "display": {"field": "n"},
        },
        "runs_total": {
            "title": "Crawl runs",
            "db": database,
            "query": "select count(*) as n from crawl_runs",
            "library": "metric",
            "display": {"field": "n"},
        },
        "degraded_total": {
            "title": "Degraded runs (parser-breakage alarm)",
            "db": database,
            "query": "select count(*) as n from crawl_runs where status = 'degraded'",
            "library": "metric",
            "display": {"field": "n"},
        },
        "per_month": {
            "title": "Articles per portal per month (publication date)",
            "db": database,
            "query": """select portal, substr(published, 1, 7) as month, count(*) as articles
from articles where published is not null
group by portal, month order by month""",
            "library": "vega-lite",
            "display": {
                "height": CHART_HEIGHT,
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "x": {"field": "month", "type": "ordinal", "title": "month"},
                    "y": {
                        "field": "articles",
                        "type": "quantitative",
                        "stack": True,
                        "axis": dict(COUNT_AXIS),
                    },
                    "color": {"field": "portal", "type": "nominal"},
                    "tooltip": _tooltip(
                        ("portal", "nominal"), ("month", "ordinal"), ("articles", "quantitative")
                    ),
                },
            },
        },
        "runs": {
            "title": f"Crawl runs: new, updated and failed per run (last {RECENT_RUNS}, "
            "oldest → newest)",
            "db": database,
            "query": f"""select r.id as run, r.portal, r.started, r.status, k.kind, k.kind_order,
  case k.kind when 'new' then r.new when 'updated' then r.updated else r.failed end as count
from crawl_runs r, (select 'new' as kind, 1 as kind_order union all
  select 'updated', 2 union all select 'failed', 3) k
where r.id in (select id from crawl_runs order by id desc limit {RECENT_RUNS})
order by r.id, k.kind_order""",
            "library": "vega-lite",
            "display": {
                "height": CHART_HEIGHT,
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "x": {"field": "run", "type": "ordinal", "title": "crawl run"},
                    "y": {
                        "field": "count",
                        "type": "quantitative",
                        "stack": True,
                        "axis": dict(COUNT_AXIS),
                    },
                    "color": {
                        "field": "kind",
                        "type": "nominal",
                        "scale": _scale("runs"),
                        "title": "articles",
                    },
                    "order": {"field": "kind_order", "type": "quantitative"},
                    "tooltip": _tooltip(
                        ("run", "ordinal"),
                        ("portal", "nominal"),
                        ("started", "nominal"),
                        ("status", "nominal"),
                        ("kind", "nominal"),
                        ("count", "quantitative"),
                    ),
                },
            },
        },
        "failures": {
            "title": "Failure reasons (failed URLs, latest reason each)",
            "db": database,
            "query": """select coalesce(reason, 'unknown') as reason, portal, count(*) as urls
from failures group by reason, portal order by urls desc""",
            "library": "vega-lite",
            "display": {
                "height": {"step": BAR_STEP},
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "y": {"field": "reason", "type": "nominal", "sort": "-x"},
                    "x": {
                        "field": "urls",
                        "type": "quantitative",
                        "stack": True,
                        "axis": dict(COUNT_AXIS),
                    },
                    "color": {"field": "portal", "type": "nominal"},
                    "tooltip": _tooltip(
                        ("reason", "nominal"), ("portal", "nominal"), ("urls", "quantitative")
                    ),
                },
            },
        },
        "alarm": {
            "title": "Parser breakage: share of broken article pages per run (red = degraded)",
            "db": database,
            "query": f"""select id as run, portal, started, status, parse_checked, parse_broken,
  fallback, round(100.0 * coalesce(parse_broken, 0) / max(parse_checked, 1), 1) as broken_pct
from crawl_runs
where coalesce(parse_checked, 0) > 0
  and id in (select id from crawl_runs order by id desc limit {RECENT_RUNS})
order by id""",
            "library": "vega-lite",
            "display": {
                "height": CHART_HEIGHT,
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "x": {"field": "run", "type": "ordinal", "title": "crawl run"},
                    "y": {
                        "field": "broken_pct",
                        "type": "quantitative",
                        "title": "% pages broken",
                        "scale": {"domain": [0, 100]},
                    },
                    "color": {
                        "field": "status",
                        "type": "nominal",
                        "scale": _scale("alarm"),
                    },
                    "tooltip": _tooltip(
                        ("run", "ordinal"),
                        ("portal", "nominal"),
                        ("started", "nominal"),
                        ("status", "nominal"),
                        ("parse_checked", "quantitative"),
                        ("parse_broken", "quantitative"),
                        ("fallback", "quantitative"),
                    ),
                },
            },
        },
        "images": {
            "title": "Image downloads per portal",
            "db": database,
            "query": """select a.portal, i.status, count(*) as images
from images i join articles a on a.id = i.article_id
group by a.portal, i.status order by a.portal""",
            "library": "vega-lite",
            "display": {
                "height": {"step": BAR_STEP},
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "y": {"field": "portal", "type": "nominal"},
                    "x": {
                        "field": "images",
                        "type": "quantitative",
                        "stack": True,
                        "axis": dict(COUNT_AXIS),
                    },
                    "color": {
                        "field": "status",
                        "type": "nominal",
                        "scale": _scale("images"),
                    },
                    "tooltip": _tooltip(
                        ("portal", "nominal"), ("status", "nominal"), ("images", "quantitative")
                    ),
                },
            },
        },
    }


DASHBOARD_LAYOUT: list[list[str]] = [
    ["articles", "runs_total", "degraded_total"],
    ["per_month", "per_month", "per_month"],
    ["runs", "runs", "alarm"],
    ["failures", "failures", "images"],
]
"""Grid areas of the dashboard: totals on top, then growth, runs, failures and images."""


def living_site(database: str = DATABASE) -> dict[str, Any]:
    """The feed query, the health dashboard and the robots.txt settings (issue 14)."""
    return {
        "plugins": {
            "datasette-dashboards": {
                DASHBOARD: {
                    "title": "Archive health",
                    "description": "What the archive holds and how its crawls went: growth per "
                    "portal, each run's counts, failures, the parser-breakage alarm, images.",
                    "layout": copy.deepcopy(DASHBOARD_LAYOUT),
                    "charts": dashboard_charts(database),
                }
            },
            "datasette-block-robots": {"disallow": ["/"]},
        },
        "databases": {
            database: {
                "queries": {
                    FEED_QUERY: {
                        "title": "Portal Archive: newest articles",
                        "description": f"Atom feed of the {FEED_LIMIT} newest articles at "
                        f"{FEED_QUERY}.atom; ?portal=, ?category= and ?q= (search) narrow it.",
                        "sql": FEED_SQL,
                    }
                }
            }
        },
    }


def served_pages(host: str, port: int, database: str = DATABASE) -> list[str]:
    """What ``serve`` prints before Datasette starts: the articles, dashboard and feed URLs
    (paths only for ``--port 0``, whose port Datasette prints)."""
    origin = "" if port == 0 else f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    return [
        f"articles:  {origin}/{database}/articles",
        f"dashboard: {origin}/-/dashboards/{DASHBOARD}",
        f"feed:      {origin}/{database}/{FEED_QUERY}.atom  (?portal=NAME ?category=NAME ?q=TERM)",
    ]


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep merge of two metadata dicts (``extra`` wins on scalars); inputs unchanged."""
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def build_metadata(
    database: str = DATABASE,
    *,
    image_mode: str = "local",
    image_proxy: str = "https://cors.zfour.workers.dev/?{url}",
    posts_dir: str | None = None,
) -> dict[str, Any]:
    """Everything Datasette 0.65 reads from ``metadata.yaml``, for the database ``database``.

    ``posts_dir`` is the archive's ``posts/`` folder that ``/posts/…`` links serve (none:
    those links answer 404).
    """
    config = configuration(
        database, image_mode=image_mode, image_proxy=image_proxy, posts_dir=posts_dir
    )
    return merge(merge(descriptive_metadata(database), config), living_site(database))


def dump_yaml(metadata: dict[str, Any]) -> str:
    """``metadata`` as YAML text (safe dumper, Unicode kept, key order kept)."""
    return yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False, width=100)


SQL_TIME_LIMIT_MS = 3000
"""Datasette's per-query limit for ``serve`` (default 1000): room for the table search's
count and facets over a large archive (``/index/articles?_search=``, see
docs/benchmarks.md). ``serve`` also turns facet suggestions off: over 27 columns they cost
~2 s per search page at 100,000 articles, and the useful facets are configured."""


def static_mounts(archive_dir: Path) -> dict[str, Path]:
    """Datasette static mounts of an archive: ``assets/`` at ``/assets/`` when it exists."""
    images = archive_dir / "assets"
    return {IMAGES_MOUNT.strip("/"): images.resolve()} if images.is_dir() else {}


def datasette_argv(
    index_db: Path,
    metadata_file: Path,
    *,
    host: str,
    port: int,
    mounts: Mapping[str, Path],
    python: str,
) -> list[str]:
    """The command line of ``datasette serve`` for an archive: immutable, our metadata."""
    argv = [
        python,
        "-m",
        "datasette",
        "serve",
        "--immutable",
        str(index_db),
        "--host",
        host,
        "--port",
        str(port),
        "--metadata",
        str(metadata_file),
        "--setting",
        "sql_time_limit_ms",
        str(SQL_TIME_LIMIT_MS),
        "--setting",
        "suggest_facets",
        "off",
    ]
    for name, folder in mounts.items():
        argv += ["--static", f"{name}:{folder}"]
    return argv


def write_metadata_file(text: str, folder: Path | None = None) -> Path:
    """Write metadata YAML to a content-named file (identical configs share one file)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    path = (folder or Path(tempfile.gettempdir())) / f"portal-archive-metadata-{digest}.yaml"
    write_atomic(path, text, fsync=False)
    return path
