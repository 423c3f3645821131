"""Where the crawl's writer runs (``ARCHIVE_WRITE_PROCESS``), decided once from the settings.

* ``"prepare"``: a writer child process normalizes, validates, de-duplicates, renders and
  writes the items (``archive/write_process.py``); pipelines 100–400 step aside
  (``NotConfigured``), so the crawl's own process only crawls and parses. When images are
  not downloaded (``ARCHIVE_IMAGES_DOWNLOAD = False``).
* ``"write"``: with image downloads on, the images pipeline needs normalized items in the
  crawl's process, so the pipelines run there and the child only renders and writes.
* ``"off"``: the writer runs in the crawl's process (a thread, ``ARCHIVE_WRITE_QUEUE``):
  ``ARCHIVE_WRITE_PROCESS = False``, a run that only renders (``fetch --stdout``), ``reextract``,
  or a chain without :class:`pipelines.store.ArchiveWriterPipeline` (a distributed worker).
"""

from __future__ import annotations

from typing import Any, Literal

from scrapy.utils.conf import build_component_list

WRITER = "pipelines.store.ArchiveWriterPipeline"

WriteMode = Literal["off", "write", "prepare"]


def write_process_mode(settings: Any) -> WriteMode:
    """The writer's place for a crawl with these settings (see the module doc)."""
    if not settings.getbool("ARCHIVE_WRITE_PROCESS", True):
        return "off"
    if not settings.getbool("ARCHIVE_WRITE", True) or settings.getbool("ARCHIVE_REPLAY"):
        return "off"
    chain = build_component_list(settings.getwithbase("ITEM_PIPELINES"))
    names = [c if isinstance(c, str) else f"{c.__module__}.{c.__qualname__}" for c in chain]
    if WRITER not in names:
        return "off"
    return "write" if settings.getbool("ARCHIVE_IMAGES_DOWNLOAD", True) else "prepare"


def writer_prepares(settings: Any) -> bool:
    """Whether the writer process runs pipelines 100–400 itself (they step aside)."""
    return write_process_mode(settings) == "prepare"
