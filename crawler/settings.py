"""Scrapy settings of Portal Archive.

Scrapy's own settings first, then ours (``ARCHIVE_*``), grouped and alphabetical. Every
``ARCHIVE_*`` setting is documented in ``docs/settings.md`` (a test checks that).
The CLI overrides some of them per run (``--archive``, ``--image-mode`` …).
"""

import crawler.urls as _urls  # lower-case: not a setting

BOT_NAME = "portal_archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Politeness and identity -------------------------------------------------------------
USER_AGENT = (
    "PortalArchive/0.1 (+https://github.com/portal-archive/portal-archive; archival crawler)"
)
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_TIMEOUT = 30

# --- Misbehaving portals (docs/reliability.md) -----------------------------------------------
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024  # article pages are < 1 MB, photos a few MB; bombs stop here
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_TIMES = 2  # 3 attempts per run; failed articles are retried by the next runs
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
DOWNLOAD_HANDLERS = {
    "http": "crawler.downloader.KeepAliveDownloadHandler",
    "https": "crawler.downloader.KeepAliveDownloadHandler",
}
ARCHIVE_IDLE_CONNECTIONS_PER_HOST = 0  # idle connections kept per host; 0: 2 × per domain
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.downloader.SharedRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.downloader.PatientRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.downloader.SafeMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.downloader.SafeRedirectMiddleware": 600,
    # above HttpCompressionMiddleware (590): WARC records keep the payload as received
    "crawler.warc.WarcCaptureMiddleware": 950,
    "crawler.warc.WarcReplayMiddleware": 960,
}

# --- Unattended operation ----------------------------------------------------------------
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's code-executing HTTP server: never in cron jobs
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
MEDIA_ALLOW_REDIRECTS = True
LOG_FORMATTER = "crawler.logformatter.ArchiveLogFormatter"  # drop reasons without item dumps
EXTENSIONS = {"crawler.logformatter.QuietNetworkLog": 0}  # one line per network failure

SPIDER_MIDDLEWARES = {
    "crawler.middlewares.SkipArchivedMiddleware": 50,
    "crawler.image_retry.RetryImagesMiddleware": 60,
}

ITEM_PIPELINES = {
    "pipelines.normalize.NormalizeContentPipeline": 100,
    "pipelines.image_urls.RewriteImageUrlsPipeline": 200,
    "pipelines.validate.DropIncompleteArticlePipeline": 300,
    "pipelines.validate.DeduplicatePipeline": 400,
    "pipelines.images.ArchiveImagesPipeline": 500,
    "pipelines.store.ArchiveWriterPipeline": 900,
}

# --- Portal Archive ------------------------------------------------------------------------
ARCHIVE_BASE_URL = ""
"""Point the portal spiders at another host (the demo portal); empty = the real site."""
ARCHIVE_DEGRADED_MIN_PAGES = 10
"""Article pages a run must parse before the parser-breakage alarm can go off."""
ARCHIVE_DEGRADED_THRESHOLD = 0.2
"""Share of pages missing title/body/date above which a run is ``degraded`` (alarm)."""
ARCHIVE_ALARM_HOLD = True
"""Hold a broken page until the breakage alarm has seen ``ARCHIVE_DEGRADED_MIN_PAGES`` pages (then
it is re-read by the generic extractor if the run turns out degraded). Off in a distributed
worker: a held page has no lease in the shared frontier, so a killed worker would lose it."""
ARCHIVE_DIR = "archive-data"
"""Archive folder: ``posts/`` (front-matter files), ``assets/`` (images) and ``index.db``."""
ARCHIVE_FALLBACK_EACH_PAGE = False
"""Send every page the portal parser misses title/body/date on to the generic extractor at once,
without waiting for the alarm (``fetch`` sets it: one URL is no sample to judge a parser by)."""
ARCHIVE_FOLLOW_PAGES = True
"""Follow an article's own pagination (``_2.html``, ``/2/``, ``rel=next``) and archive the whole
text as one post; a page that fails makes the article a failure (``incomplete``), retried."""
ARCHIVE_FSYNC = True
"""fsync each written file before renaming it into place (crash safety over speed)."""
ARCHIVE_WRITE_BATCH = 100
"""Items (articles + failures) the writer buffers before writing them as one batch."""
ARCHIVE_WRITE_INTERVAL = 2.0
"""Seconds an item may wait in the writer's buffer; 0 = only by count and at the end."""
ARCHIVE_WRITE_PROCESS = True
"""Write (and, with image downloads off, normalize and validate) in a child process, so the
crawl's own process only crawls and parses (``pipelines/write_mode.py``); off: a thread.
``fetch`` writes in its own process."""
ARCHIVE_PARSE_IN_WRITER = True
"""With the writer process preparing items (image downloads off): article pages are parsed in
it too (``crawler/page_reader.py``), the crawl's own process only downloads them; a page that
may go on (a next-page link) is read in the crawl's process."""
ARCHIVE_WRITE_QUEUE = 2
"""Batches handed to the writer thread or process at most; more and the item pipeline waits."""
ARCHIVE_GENERIC_FALLBACK = True
"""In a degraded run, parse the broken pages with the generic extractor instead."""
ARCHIVE_IMAGE_MODE = "origin"
"""How images appear in written files: ``origin``, ``proxy`` or ``local``."""
ARCHIVE_IMAGE_PROXIES = ["https://cors.zfour.workers.dev/?{url}"]
"""Proxy wrappers removed from image URLs before they are stored."""
ARCHIVE_IMAGE_PROXY = "https://cors.zfour.workers.dev/?{url}"
"""Template used by image mode ``proxy``; ``{url}`` is the original URL."""
ARCHIVE_IMAGES_DOWNLOAD = True
"""Download images into ``assets/<sha256>.<ext>`` (Referer = article), record their status."""
ARCHIVE_IMAGES_MAX_ATTEMPTS = 5
"""A failed image URL is retried by later runs until it has been requested this many times."""
ARCHIVE_IMAGES_MAX_BYTES = 10_000_000
"""Largest image downloaded (per-request ``download_maxsize``); 0 = no limit."""
ARCHIVE_IMAGES_MAX_PER_ARTICLE = 50
"""Images downloaded per article, in body order (the rest keep their URLs); 0 = no limit."""
ARCHIVE_IMAGES_RETRY = True
"""Crawl runs also retry the failed images of archived articles and rewrite their posts."""
ARCHIVE_LEGACY_TITLES = True
"""Apply the legacy site's title rule (``:/\\?*“”<>|[]`` → ``_``) in front matter."""
ARCHIVE_LOCAL_IMAGE_PREFIX = "/assets/"
"""URL prefix of downloaded images in image mode ``local`` (Hexo ``source/assets/``, serve)."""
ARCHIVE_LOCK_HELD = False
"""Set by the CLI, which holds the archive lock itself; ``scrapy crawl`` runs take it."""
ARCHIVE_MAX_ATTEMPTS = 5
"""A failed article URL is retried on later runs until it has failed this many times."""
ARCHIVE_MAX_LISTING_PAGES = 5
"""How many listing pages a portal spider follows per listing (pagination limit)."""
ARCHIVE_PAGE_TIMEZONE = "Asia/Shanghai"
"""Zone of naive page times."""
ARCHIVE_PLACEHOLDER_IMAGE = "https://picsum.photos/400/300?random={n}"
"""headimg/thumbnail of articles without images; ``{n}`` is derived from the article id."""
ARCHIVE_PROFILE = "hexo"
"""Front-matter profile of written files: hexo, hugo or jekyll (docs/profiles.md)."""
ARCHIVE_REDIS_IDLE_EXIT = 30.0
"""A crawl worker (``crawl --redis``) exits once the shared frontier was empty this long."""
ARCHIVE_REDIS_LEASE_TTL = 10.0
"""Seconds a worker's heartbeat lives: a worker silent this long is dead and the requests it
had taken go back to the shared frontier (docs/distributed.md)."""
ARCHIVE_REDIS_PREFIX = "pa"
"""Prefix of every Redis key of a distributed crawl (one Redis can serve several archives)."""
ARCHIVE_REDIS_URL = ""
"""Set by ``crawl --redis URL``: this crawl is a worker feeding the writer through Redis."""
ARCHIVE_REFRESH = False
"""Re-fetch articles already archived (changed ones are rewritten, old version kept)."""
ARCHIVE_REPLAY = False
"""Serve every request from the archive's WARC files, no network (set by ``reextract``)."""
ARCHIVE_RETRY_AFTER_MAX = 120.0
"""Longest ``Retry-After`` (seconds) honoured; a server asking for more is retried next run."""
ARCHIVE_RETRY_BACKOFF = 1.0
"""Wait before the first retry without ``Retry-After`` (seconds), doubled for each next one."""
ARCHIVE_RETRY_UNREACHABLE = True
"""Retry a refused connection or a failed DNS lookup (``fetch`` turns it off: fail at once)."""
ARCHIVE_SITEMAP_MAX_AGE_DAYS = 0
"""Skip sitemap/feed entries dated (publication or lastmod) older than this; 0 = keep all."""
ARCHIVE_SITE_TIMEZONE = "Asia/Shanghai"
"""Zone of the dates the hugo and jekyll profiles write (RFC 3339 with this zone's offset)."""
ARCHIVE_TRACKING_PARAMS = list(_urls.DEFAULT_TRACKING_PARAMS)
"""Query parameters (fnmatch patterns) stripped from article URLs before requesting them."""
ARCHIVE_TAXONOMY: dict[str, dict[str, object]] = {}
"""Per-portal override of front-matter ``categories`` and ``author``."""
ARCHIVE_WARC = False
"""Write each run's article and image responses to WARC files (``--warc``; docs/warc.md)."""
ARCHIVE_WARC_DIR = ""
"""Folder of the WARC files; empty = ``<ARCHIVE_DIR>/warc``."""
ARCHIVE_WRITE = True
"""Write files and index; off, the writer only renders (``fetch --stdout``)."""
COMMANDS_MODULE = "crawler.commands"
