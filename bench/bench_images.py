"""Benchmark of issue #5: image mode ``local`` on the demo portal, images/s and MB/s.

The demo portal (in this process, 127.0.0.1) serves ``--articles`` articles with three
distinct generated PNG images each (incompressible noise, 30–400 KB, mean ≈ 120 KB, like news
photos; ``demo_portal.image_cases.bench_size``), hotlink-protected like the real
hosts. Every measured run is one process of the real CLI, timed from start to exit:

1. ``crawl`` with ``ARCHIVE_IMAGES_DOWNLOAD=False`` (pages only, the baseline);
2. ``crawl --image-mode local`` into a fresh archive (pages + images);
3. ``export --image-mode local`` of the first archive: only the image downloads (through the
   same pipeline, Referer = article) and the rewrite of every post.

Images/s and MB/s are given for 3 (downloads alone) and for 2 minus 1 (what the images add to
a crawl). All runs use ``AUTOTHROTTLE_ENABLED=False``, ``ARCHIVE_FSYNC=True`` (the default)
and the project's concurrency. The machine is shared: figures are indicative. Prints a table
and writes the ``<!-- bench:images -->`` section of ``docs/benchmarks.md`` (not with
``--quick``)::

    .venv/bin/python bench/bench_images.py [--articles 200] [--repeat 2]
    .venv/bin/python bench/bench_images.py --quick      # 30 articles, no doc update
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from docsection import write_section  # bench/docsection.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo_portal import DemoPortal  # noqa: E402 - after the path set-up
from demo_portal.image_cases import bench_articles, install_image_cases  # noqa: E402

BEGIN, END = "<!-- bench:images -->", "<!-- /bench:images -->"
PER_ARTICLE = 3
PAGE = 50
SETTINGS = ("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "LOG_LEVEL=WARNING")


def cli(archive: Path, *args: str, extra: tuple[str, ...] = ()) -> float:
    argv = [sys.executable, "-m", "portal_archive", "--archive", str(archive)]
    for setting in (*SETTINGS, *extra):
        argv += ["--set", setting]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    result = subprocess.run(
        [*argv, *args], capture_output=True, text=True, env=env, check=False, timeout=3600
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return elapsed


def stored(archive: Path) -> tuple[int, int]:
    """Downloaded images and their bytes, from the index."""
    with sqlite3.connect(archive / "index.db") as conn:
        n, size = conn.execute(
            "select count(*), coalesce(sum(bytes), 0) from image_urls where status = 'downloaded'"
        ).fetchone()
    return int(n), int(size)


def run_once(portal: DemoPortal, work: Path, n_articles: int) -> dict[str, float]:
    pages = -(-n_articles // PAGE)
    crawl = ("crawl", "ofweek", "--base-url", portal.base_url, "--max-pages", str(pages))
    base, local = work / "pages-only", work / "local"
    for folder in (base, local):
        shutil.rmtree(folder, ignore_errors=True)
    t_pages = cli(base, *crawl, extra=("ARCHIVE_IMAGES_DOWNLOAD=False",))
    t_crawl = cli(local, *crawl, "--image-mode", "local")
    n_crawl, bytes_crawl = stored(local)
    t_export = cli(base, "export", "--image-mode", "local")
    n_export, bytes_export = stored(base)
    expected = n_articles * PER_ARTICLE
    if not n_crawl == n_export == expected:
        sys.exit(f"expected {expected} images, crawl stored {n_crawl}, export {n_export}")
    return {
        "pages": t_pages,
        "crawl": t_crawl,
        "export": t_export,
        "images": expected,
        "bytes": bytes_export,
        "bytes_crawl": bytes_crawl,
    }


def section(best: dict[str, float], n_articles: int, repeat: int) -> str:
    images, mb = best["images"], best["bytes"] / 1e6
    extra = max(best["crawl"] - best["pages"], 1e-9)
    rows = [
        ("crawl, pages only (`ARCHIVE_IMAGES_DOWNLOAD=False`)", best["pages"], "", ""),
        (
            "crawl `--image-mode local` (pages + images)",
            best["crawl"],
            f"{images / best['crawl']:.0f}",
            f"{mb / best['crawl']:.1f}",
        ),
        ("… of which the images (difference)", extra, f"{images / extra:.0f}", f"{mb / extra:.1f}"),
        (
            "`export --image-mode local` (downloads + rewrite)",
            best["export"],
            f"{images / best['export']:.0f}",
            f"{mb / best['export']:.1f}",
        ),
    ]
    lines = [
        BEGIN,
        "## Images, local mode (issue #5)",
        "",
        f"`bench/bench_images.py`, {dt.date.today().isoformat()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores shared with other work (figures "
        f"are indicative). Demo portal on 127.0.0.1: {n_articles} articles × {PER_ARTICLE} "
        f"distinct PNGs = {images:.0f} images, {mb:.1f} MB (30–400 KB each, incompressible), "
        "served only with the article as Referer. Each run is one CLI process, wall time from "
        f"start to exit; best of {repeat}; `AUTOTHROTTLE_ENABLED=False`, fsync on, Scrapy's "
        "default concurrency (16 requests, 8 per host).",
        "",
        "| run | wall s | images/s | MB/s |",
        "| --- | ---: | ---: | ---: |",
        *[f"| {name} | {secs:.1f} | {ips} | {mbs} |" for name, secs, ips, mbs in rows],
        "",
        "Every image is stored once as `assets/<sha256>.<ext>` (written through a temp file, "
        "fsync'd, renamed). In a crawl the image requests overlap with the page requests "
        "(Scrapy's concurrency), so the difference row is what images *add* to a crawl, not a "
        "download rate. The export run is the download rate: it reads the articles from the "
        "index (no page is fetched), downloads every image and rewrites every post and "
        "sidecar; its wall time includes about 2 s of process start-up and Scrapy's idle "
        "check, which runs every 5 s (an engine heartbeat) after the last item.",
        END,
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="30 articles, once, no doc update")
    args = parser.parse_args()
    n, repeat = (30, 1) if args.quick else (args.articles, args.repeat)
    articles = bench_articles(n, PER_ARTICLE)
    with (
        tempfile.TemporaryDirectory(prefix="bench-images-") as tmp,
        DemoPortal(
            port=0, extra_articles=articles, include_builtin=False, listing_page_size=PAGE
        ) as portal,
    ):
        install_image_cases(portal)
        runs = [run_once(portal, Path(tmp), n) for _ in range(repeat)]
    best = {key: min(r[key] for r in runs) for key in runs[0]}
    text = section(best, n, repeat)
    print(text)
    if not args.quick:
        write_section(text, BEGIN, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
