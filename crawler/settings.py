"""Scrapy settings of Portal Archive.

Scrapy's own settings first, then ours (``ARCHIVE_*``), grouped and alphabetical. Every
``ARCHIVE_*`` setting is documented in ``docs/settings.md`` (a test checks that).
The CLI overrides some of them per run (``--archive``, ``--image-mode`` …).
"""

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
RETRY_TIMES = 2

# --- Unattended operation ----------------------------------------------------------------
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's code-executing HTTP server: never in cron jobs
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
MEDIA_ALLOW_REDIRECTS = True
LOG_FORMATTER = "crawler.logformatter.ArchiveLogFormatter"  # drop reasons without item dumps

SPIDER_MIDDLEWARES = {
    "crawler.middlewares.SkipArchivedMiddleware": 50,
}

DOWNLOADER_MIDDLEWARES = {
    # above HttpCompressionMiddleware (590): records keep the payload as received
    "crawler.warc.WarcCaptureMiddleware": 950,
    "crawler.warc.WarcReplayMiddleware": 960,
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
ARCHIVE_DIR = "archive-data"
"""Archive folder: ``posts/`` (front-matter files), ``images/`` and ``index.db``."""
ARCHIVE_FSYNC = True
"""fsync each written file before renaming it into place (crash safety over speed)."""
ARCHIVE_IMAGE_MODE = "origin"
"""How images appear in written files: ``origin``, ``proxy`` or ``local``."""
ARCHIVE_IMAGE_PROXIES = ["https://cors.zfour.workers.dev/?{url}"]
"""Proxy wrappers removed from image URLs before they are stored."""
ARCHIVE_IMAGE_PROXY = "https://cors.zfour.workers.dev/?{url}"
"""Template used by image mode ``proxy``; ``{url}`` is the original URL."""
ARCHIVE_IMAGES_DOWNLOAD = True
"""Download images into ``images/`` (Referer = article) and record their status."""
ARCHIVE_LEGACY_TITLES = True
"""Apply the legacy site's title rule (``:/\\?*“”<>|[]`` → ``_``) in front matter."""
ARCHIVE_LOCAL_IMAGE_PREFIX = "/images/"
"""URL prefix of downloaded images in image mode ``local`` (Datasette's static mount)."""
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
"""Front-matter profile of written files."""
ARCHIVE_REFRESH = False
"""Re-fetch articles already archived (changed ones are rewritten, old version kept)."""
ARCHIVE_REPLAY = False
"""Serve every request from the archive's WARC files, no network (set by ``reextract``)."""
ARCHIVE_TAXONOMY: dict[str, dict[str, object]] = {}
"""Per-portal override of front-matter ``categories`` and ``author``."""
ARCHIVE_WARC = False
"""Write each run's article and image responses to WARC files (``--warc``; docs/warc.md)."""
ARCHIVE_WARC_DIR = ""
"""Folder of the WARC files; empty = ``<ARCHIVE_DIR>/warc``."""
ARCHIVE_WRITE = True
"""Write files and index; off, the writer only renders (``fetch --stdout``)."""
COMMANDS_MODULE = "crawler.commands"
