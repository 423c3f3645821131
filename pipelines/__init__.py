"""Item pipelines: pure functions per concern, each wrapped by a thin Scrapy pipeline class.

Their order lives in ``crawler.settings.ITEM_PIPELINES``. Only the last one,
``pipelines.store.ArchiveWriterPipeline``, has side effects (files and index); everything
before it is pure transformation, so crawl workers can run it anywhere.
"""
