"""Benchmark of issue #2: archiving N demo-portal articles against a bare Scrapy crawl.

For each size N (default 1,000 and 10,000) the demo portal serves N generated articles
(50 per listing page) in its own process, and each measured crawl runs as its own process:

* ``bare`` -- ``scrapy runspider bench/bare_spider.py``: the same listing and article pages,
  no pipelines, one small dict per article;
* ``archive`` -- ``scrapy crawl ofweek`` with the full pipeline chain, image downloads off
  (the same pages as the bare crawl; the headline ratio), fsync on (the default), the
  writer in its child process (``ARCHIVE_WRITE_PROCESS``, the default);
* ``archive-inprocess`` -- the same with the writer (and the pipelines) in the crawl's own
  process (``ARCHIVE_WRITE_PROCESS=False``: a writer thread), for comparison;
* ``archive-nofsync`` -- the same with ``ARCHIVE_FSYNC=False``;
* ``archive-images`` -- the default chain with image downloads on (one more request per
  article, so not the same work as the bare crawl);
* ``*-bfs`` -- memory checks, run once per size: the same with breadth-first scheduling, to
  tell Scrapy's pending-request queue from the archive's own memory.

Both kinds run with the project's settings plus ``AUTOTHROTTLE_ENABLED=False`` and
``LOG_LEVEL=WARNING``. Articles/s is articles / wall time of the crawl process (start to
exit); Scrapy's own ``start_time`` → ``finish_time`` rate is shown beside it. Peak RSS is
the crawl process's ``ru_maxrss`` from ``os.wait4``. Every run is checked (items scraped;
``.md`` files under ``posts/``, rows in ``articles``, ``archive/new`` == N) and the script
fails loudly otherwise. The machine is shared: each run waits for an idle machine and is
redone when other processes used more than ``--max-interference`` % of a core meanwhile;
the fastest of ``--repeat`` interleaved rounds counts. When the archive keeps less than 0.8
of bare Scrapy's rate, a bare and an archive crawl run once more under cProfile to show
where the time goes.

Prints a table and writes the ``<!-- bench:archive -->`` section of ``docs/benchmarks.md``
(not with ``--quick``, which crawls 200 articles to test the script)::

    .venv/bin/python bench/bench_archive.py [--sizes 1000 10000] [--repeat 3] [--quick]

The module is also the Scrapy extension ``bench_archive.BenchStats`` loaded into the crawl
processes (``PYTHONPATH=bench``) to dump their stats as JSON; it imports nothing heavy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import pstats
import re
import select
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docsection import write_section  # bench/docsection.py

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
DOC = ROOT / "docs" / "benchmarks.md"
SECTION_START = "<!-- bench:archive -->"
SECTION_END = "<!-- /bench:archive -->"
PAGE_SIZE = 50
GOAL = 0.8
CRAWL_TIMEOUT = 3600.0
COMMON_SETTINGS = {"AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "WARNING"}

SERVER_CODE = """\
import sys
from demo_portal import DemoPortal
portal = DemoPortal(port=0, generated=int(sys.argv[1]), listing_page_size=int(sys.argv[2]))
if sys.argv[3:] == ["prerender"]:  # every page rendered before any crawl (DemoPortal.prerender)
    portal.prerender()
portal.start()
print(portal.generated_listing_url, flush=True)
sys.stdin.read()  # until the benchmark closes our stdin
portal.stop()
"""


class BenchError(Exception):
    """A crawl failed or archived the wrong number of articles."""


# --------------------------------------------------------------------------- crawl side


class BenchStats:
    """Scrapy extension: write the crawl's stats as JSON to ``BENCH_STATS_FILE`` at the end."""

    def __init__(self, stats: Any, path: str) -> None:
        self.stats = stats
        self.path = Path(path)

    @classmethod
    def from_crawler(cls, crawler: Any) -> BenchStats:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        path = crawler.settings.get("BENCH_STATS_FILE")
        if not path:
            raise NotConfigured("BENCH_STATS_FILE is not set")
        ext = cls(crawler.stats, path)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def engine_stopped(self) -> None:
        stats = self.stats.get_stats()
        self.path.write_text(json.dumps(stats, default=str, sort_keys=True), encoding="utf-8")


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    archive: bool
    settings: dict[str, str] = field(default_factory=dict)
    images: bool = False
    baseline: str = "bare"
    """The bare variant this one's ratio is taken against."""
    check: bool = False
    """A memory check: run once per size (last round), not repeated."""


BFS = {"DEPTH_PRIORITY": "1", "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue"}
"""Breadth-first order: the articles of a listing page before the next listing page."""


VARIANTS = (
    Variant("bare", "bare Scrapy, no pipelines", archive=False),
    Variant(
        "archive",
        "archive, images off, fsync on",
        archive=True,
        settings={"ARCHIVE_IMAGES_DOWNLOAD": "False"},
    ),
    Variant(
        "archive-inprocess",
        "archive, images off, fsync on, writer in the crawl's process "
        "(ARCHIVE_WRITE_PROCESS=False)",
        archive=True,
        settings={"ARCHIVE_IMAGES_DOWNLOAD": "False", "ARCHIVE_WRITE_PROCESS": "False"},
    ),
    Variant(
        "archive-nothread",
        "archive, images off, fsync on, no writer process or thread (ARCHIVE_WRITE_QUEUE=0)",
        archive=True,
        settings={
            "ARCHIVE_IMAGES_DOWNLOAD": "False",
            "ARCHIVE_WRITE_PROCESS": "False",
            "ARCHIVE_WRITE_QUEUE": "0",
        },
    ),
    Variant(
        "archive-nofsync",
        "archive, images off, fsync off",
        archive=True,
        settings={"ARCHIVE_IMAGES_DOWNLOAD": "False", "ARCHIVE_FSYNC": "False"},
    ),
    Variant(
        "archive-images",
        "archive, images on (+1 request/article), fsync on",
        archive=True,
        images=True,
    ),
    Variant(
        "bare-bfs",
        "memory check: bare, breadth-first (DEPTH_PRIORITY=1, FIFO)",
        archive=False,
        settings=BFS,
        check=True,
    ),
    Variant(
        "archive-bfs",
        "memory check: archive, images off, breadth-first",
        archive=True,
        settings={"ARCHIVE_IMAGES_DOWNLOAD": "False", **BFS},
        baseline="bare-bfs",
        check=True,
    ),
    Variant(
        "archive-images-bfs",
        "memory check: archive, images on, breadth-first",
        archive=True,
        settings=BFS,
        images=True,
        baseline="bare-bfs",
        check=True,
    ),
)
HEADLINE = "archive"


@dataclass
class Run:
    variant: Variant
    n: int
    wall: float
    """Seconds from process start to exit."""
    elapsed: float
    """Scrapy's ``finish_time - start_time`` in seconds."""
    maxrss_kib: int
    cpu: float
    """User + system CPU seconds of the crawl process."""
    server_cpu: float
    other_cpu: float
    """CPU seconds of every other process on the machine during the crawl (interference)."""
    requests: int
    writer_cpu: float = 0.0
    """CPU seconds of the writer child process (part of :attr:`cpu`: ``wait4`` counts the
    crawl's waited-for children); 0 without one."""
    writer_rss_kib: int = 0
    """Peak RSS of the writer child process (``ru_maxrss`` is the crawl process's own)."""
    discarded: int = 0
    """Attempts of this measurement redone because other processes disturbed them."""

    @property
    def rate(self) -> float:
        return self.n / self.wall

    @property
    def cpu_ms(self) -> float:
        """Crawl-process CPU milliseconds per article."""
        return 1000 * self.cpu / self.n

    @property
    def crawl_cpu_ms(self) -> float:
        """CPU milliseconds per article of the crawl process alone (without its writer)."""
        return 1000 * (self.cpu - self.writer_cpu) / self.n

    @property
    def interference(self) -> float:
        """Other processes' CPU time during the run, as a share of one core."""
        return self.other_cpu / self.wall

    @property
    def scrapy_rate(self) -> float:
        return self.n / self.elapsed


def crawl_command(variant: Variant, url: str, max_pages: int, archive_dir: Path) -> list[str]:
    """The crawl's argv (run from the repository root)."""
    if variant.archive:
        argv = [sys.executable, "-m", "scrapy", "crawl", "ofweek", "-a", f"listing_urls={url}"]
        argv += ["-a", f"max_pages={max_pages}", "-s", f"ARCHIVE_DIR={archive_dir}"]
    else:
        spider = str(BENCH_DIR.relative_to(ROOT) / "bare_spider.py")
        argv = [sys.executable, "-m", "scrapy", "runspider", spider]
        argv += ["-a", f"listing_url={url}", "-a", f"max_pages={max_pages}"]
    for key, value in {**COMMON_SETTINGS, **variant.settings}.items():
        argv += ["-s", f"{key}={value}"]
    return argv


def stats_extension(stats_file: Path) -> list[str]:
    """Settings that load :class:`BenchStats` into the crawl (``PYTHONPATH=bench``)."""
    return [
        "-s",
        'EXTENSIONS={"bench_archive.BenchStats": 999}',
        "-s",
        f"BENCH_STATS_FILE={stats_file}",
    ]


def display_command(argv: Sequence[str]) -> str:
    shown = [".venv/bin/python" if a == sys.executable else a for a in argv]
    return shlex.join(shown)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(BENCH_DIR), env.get("PYTHONPATH")) if p)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


def run_process(argv: list[str], log_path: Path) -> tuple[float, Any, int]:
    """Run argv from the repository root; ``(wall seconds, rusage, exit code)``."""
    with log_path.open("wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=child_env(), stdout=log, stderr=log)
        timer = threading.Timer(CRAWL_TIMEOUT, proc.kill)
        timer.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    return wall, rusage, code


def machine_busy_seconds() -> float:
    """CPU seconds all processes have used since boot (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def log_tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


# --------------------------------------------------------------------------- demo portal


class PortalProcess:
    """The demo portal with N generated articles, in its own process; ``prerender``: its
    pages rendered before the first crawl (serving one then costs only the HTTP exchange)."""

    def __init__(self, n: int, log_path: Path, *, prerender: bool = False) -> None:
        self.n = n
        self._log = log_path.open("wb")
        extra = ["prerender"] if prerender else []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER_CODE, str(n), str(PAGE_SIZE), *extra],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 60 + n / 500)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http://"):
            self.close()
            raise BenchError(f"demo portal did not start: {log_path.read_text()[-2000:]}")
        self.listing_url = line
        base = line.split("/gen/")[0]
        with urllib.request.urlopen(base + "/robots.txt", timeout=10) as resp:
            resp.read()

    @property
    def max_pages(self) -> int:
        return math.ceil(self.n / PAGE_SIZE)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the portal process has used so far."""
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()


# --------------------------------------------------------------------------- checks


def count_files(folder: Path, pattern: str) -> int:
    return sum(1 for p in folder.rglob(pattern) if p.is_file()) if folder.is_dir() else 0


def count_rows(db_path: Path, sql: str) -> int:
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def check_run(variant: Variant, n: int, stats: dict[str, Any], archive_dir: Path) -> None:
    """Raise :class:`BenchError` unless the crawl did its whole job."""
    problems: list[str] = []
    if stats.get("log_count/ERROR"):
        problems.append(f"{stats['log_count/ERROR']} ERROR log lines")
    if not variant.archive:
        if stats.get("item_scraped_count") != n:
            problems.append(f"item_scraped_count {stats.get('item_scraped_count')} != {n}")
    else:
        posts = count_files(archive_dir / "posts", "*.md")
        rows = count_rows(archive_dir / "index.db", "select count(*) from articles")
        if posts != n:
            problems.append(f"{posts} .md files under posts/, expected {n}")
        if rows != n:
            problems.append(f"{rows} rows in articles, expected {n}")
        if stats.get("archive/new") != n:
            problems.append(f"archive/new {stats.get('archive/new')} != {n}")
        if variant.images:
            # content-addressed: assets/<sha256>.<ext>, one file per distinct image
            images = count_files(archive_dir / "assets", "*.png")
            ok = count_rows(
                archive_dir / "index.db", "select count(*) from images where status='downloaded'"
            )
            distinct = count_rows(
                archive_dir / "index.db",
                "select count(distinct sha256) from images where status='downloaded'",
            )
            if ok != n or images != distinct or not images:
                problems.append(
                    f"{images} image files in assets/ for {distinct} distinct downloaded images,"
                    f" {ok} downloaded rows, expected {n}"
                )
    if problems:
        raise BenchError(f"{variant.key} N={n}: " + "; ".join(problems))


# --------------------------------------------------------------------------- measuring


def measure(
    variant: Variant, portal: PortalProcess, work: Path, tag: str, *, max_pages: int | None = None
) -> Run:
    """One crawl in its own process against ``portal``, checked."""
    archive_dir = work / f"{tag}-archive"
    shutil.rmtree(archive_dir, ignore_errors=True)
    stats_file = work / f"{tag}-stats.json"
    stats_file.unlink(missing_ok=True)
    log_path = work / f"{tag}.log"
    argv = crawl_command(variant, portal.listing_url, max_pages or portal.max_pages, archive_dir)
    argv += stats_extension(stats_file)
    server_before, busy_before = portal.cpu_seconds(), machine_busy_seconds()
    wall, rusage, code = run_process(argv, log_path)
    server_cpu = portal.cpu_seconds() - server_before
    busy = machine_busy_seconds() - busy_before
    if code != 0 or not stats_file.is_file():
        raise BenchError(
            f"{variant.key} N={portal.n}: exit code {code}\n  {display_command(argv)}\n"
            + log_tail(log_path)
        )
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    n = portal.n if max_pages is None else min(portal.n, max_pages * PAGE_SIZE)
    try:
        check_run(variant, n, stats, archive_dir)
    except BenchError as exc:
        raise BenchError(f"{exc}\n  {display_command(argv)}\n{log_tail(log_path)}") from None
    start = dt.datetime.fromisoformat(stats["start_time"])
    finish = dt.datetime.fromisoformat(stats["finish_time"])
    # the archive stays until the benchmark ends (remove_archives): deleting its thousands of
    # files here added 0.5-1.9 s of kernel time to the next archive run's writer (4 of 4
    # interleaved pairs, 2,000 articles; ext4 on a virtual disk), a cost a scheduled crawl
    # does not pay and the bare crawl, which writes nothing, never saw
    cpu = rusage.ru_utime + rusage.ru_stime
    return Run(
        variant=variant,
        n=n,
        wall=wall,
        elapsed=(finish - start).total_seconds(),
        maxrss_kib=rusage.ru_maxrss,
        cpu=cpu,
        server_cpu=server_cpu,
        other_cpu=max(0.0, busy - cpu - server_cpu),
        requests=int(stats.get("downloader/request_count", 0)),
        writer_cpu=float(stats.get("archive/writer_process/cpu_seconds", 0) or 0),
        writer_rss_kib=int(stats.get("archive/writer_process/maxrss_kib", 0) or 0),
    )


@dataclass
class Guard:
    """Keeps other processes' CPU load out of the figures as far as a shared machine allows."""

    max_other: float = 0.25
    """A run during which other processes used more than this share of one core is redone."""
    attempts: int = 4
    """Tries per measurement before the least disturbed one is kept (and flagged)."""
    quiet_wait: float = 120.0
    """Seconds to wait, before each run, for the machine to be idle."""

    def wait_quiet(self) -> float:
        """Flush the file systems (``sync``), then wait until the machine is (nearly) idle;
        return the busy cores seen last. Every measured run starts here: without the flush,
        an archive run's first ``syncfs`` would also write out what the run before it left
        in the page cache (an images run's 2,000 images and posts)."""
        os.sync()
        deadline = time.monotonic() + self.quiet_wait
        while True:
            before = machine_busy_seconds()
            time.sleep(1.0)
            busy = machine_busy_seconds() - before
            if busy < self.max_other / 2 or time.monotonic() > deadline:
                return busy

    def measure(
        self,
        variant: Variant,
        portal: PortalProcess,
        work: Path,
        tag: str,
        *,
        max_pages: int | None = None,
    ) -> Run:
        """:func:`measure`, redone while other processes disturbed it."""
        tries: list[Run] = []
        for attempt in range(1, self.attempts + 1):
            self.wait_quiet()
            run = measure(variant, portal, work, f"{tag}-try{attempt}", max_pages=max_pages)
            tries.append(run)
            if run.interference <= self.max_other:
                break
            progress(
                f"    {variant.key} disturbed: other processes used "
                f"{100 * run.interference:.0f} % of a core; redoing it"
            )
        best = min(tries, key=lambda r: r.interference)
        best.discarded = len(tries) - 1
        return best


@dataclass
class Summary:
    """The runs of one variant at one size; the fastest run stands for them."""

    variant: Variant
    n: int
    runs: list[Run]

    @property
    def best(self) -> Run:
        """The fastest run: interference can only slow a run down (as with ``timeit``)."""
        return max(self.runs, key=lambda r: r.rate)

    @property
    def rate(self) -> float:
        return self.best.rate

    @property
    def scrapy_rate(self) -> float:
        return self.best.scrapy_rate

    @property
    def rate_range(self) -> tuple[float, float]:
        rates = [r.rate for r in self.runs]
        return min(rates), max(rates)

    @property
    def rss_mib(self) -> float:
        return max(r.maxrss_kib for r in self.runs) / 1024

    @property
    def writer_rss_mib(self) -> float:
        return max(r.writer_rss_kib for r in self.runs) / 1024


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def bench_size(
    n: int,
    repeat: int,
    work: Path,
    warm: bool,
    guard: Guard,
    variants: Sequence[Variant] = VARIANTS,
    *,
    prerender: bool,
) -> list[Summary]:
    portal = PortalProcess(n, work / f"portal-{n}.log", prerender=prerender)
    try:
        if warm:  # page cache and .pyc files; not measured
            for variant in (VARIANTS[0], VARIANTS[1]):
                measure(variant, portal, work, f"warmup-{variant.key}", max_pages=1)
        runs: dict[str, list[Run]] = {v.key: [] for v in variants}
        for round_ in range(1, repeat + 1):
            for variant in variants:
                if variant.check and round_ != repeat:
                    continue
                run = guard.measure(variant, portal, work, f"{n}-{variant.key}-{round_}")
                runs[variant.key].append(run)
                progress(
                    f"  N={n:<6} {variant.key:<16} round {round_}: {run.wall:7.2f} s "
                    f"{run.rate:7.1f} articles/s  peak RSS {run.maxrss_kib / 1024:6.1f} MiB  "
                    f"other processes {100 * run.interference:3.0f} % of a core"
                )
    finally:
        portal.close()
    return [Summary(v, n, runs[v.key]) for v in variants]


# --------------------------------------------------------------------------- profile


@dataclass
class ProfileRow:
    label: str
    seconds: float
    calls: int


def _code_key(obj: Any) -> tuple[str, int, str] | None:
    code = getattr(obj, "__code__", None)
    if code is None:
        return None
    return (code.co_filename, code.co_firstlineno, code.co_name)


def _resolve(path: str) -> Any:
    """``"pkg.mod:Class.attr"`` → the object, or ``None`` when it no longer exists."""
    import importlib

    module_name, _, attrs = path.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for attr in attrs.split("."):
            obj = getattr(obj, attr)
    except (ImportError, AttributeError):
        return None
    return obj


SPIDER = "crawler.spiders.base:PortalSpider.parse_article"
PROFILE_PARTS: dict[str, tuple[tuple[str, str, int], ...]] = {
    # parent (the spider callback or a pipeline class) → (label, function, indent) parts of it;
    # a function is "module:qualname" or the pstats name of a built-in
    SPIDER: (
        ("Page.from_html (lxml parse)", "crawler.parsers.base:Page.from_html", 1),
        (
            "Page.from_selector (page reused from Scrapy's parse)",
            "crawler.parsers.base:Page.from_selector",
            1,
        ),
        (
            "Scrapy response.selector (lxml parse)",
            "scrapy.http.response.text:TextResponse.selector.fget",
            1,
        ),
        ("ParserProxy.parse (fields)", "crawler.parsers.base:ParserProxy.parse", 1),
    ),
    "pipelines.normalize.NormalizeContentPipeline": (
        ("clean_body", "archive.normalize:clean_body", 1),
        (
            "lxml .cssselect() (compiles CSS to XPath on every call)",
            "lxml.html:HtmlMixin.cssselect",
            2,
        ),
        ("nh3.clean", "<built-in method nh3.nh3.clean>", 2),
    ),
    "pipelines.store.ArchiveWriterPipeline": (
        ("render the post (hexo front matter, PyYAML)", "archive.store:Archive.render", 1),
        ("write_atomic (post + sidecar)", "archive.frontmatter_files:write_atomic", 1),
        ("os.fsync", "<built-in method posix.fsync>", 2),
        ("sidecar_text (JSON)", "archive.store:sidecar_text", 1),
        ("stored_article (lookup)", "archive.index:stored_article", 1),
        ("index.save_article (one transaction)", "archive.index:save_article", 1),
        ("prepared upserts (INSERT … ON CONFLICT)", "archive.index:_upsert", 2),
        ("sqlite-utils Table.upsert", "sqlite_utils.db:Table.upsert", 2),
        (
            "sqlite-utils Table.insert_all (images, categories; upsert goes through it too)",
            "sqlite_utils.db:Table.insert_all",
            2,
        ),
        (
            "sqlite3 execute, all statements (incl. sqlite-utils introspection)",
            "<method 'execute' of 'sqlite3.Connection' objects>",
            2,
        ),
    ),
}


def _lookup(stats: dict[Any, Any], ref: str) -> tuple[float, int] | None:
    """``(cumulative seconds, calls)`` of a function in pstats' raw dict, if it ran."""
    if ref.startswith("<"):
        keys = [k for k in stats if k[0] == "~" and k[2] == ref]
    else:
        key = _code_key(_resolve(ref))
        keys = [key] if key in stats else []
    if not keys:
        return None
    return sum(stats[k][3] for k in keys), sum(stats[k][1] for k in keys)


def _parts(stats: dict[Any, Any], parent: str) -> list[ProfileRow]:
    rows = []
    for label, ref, indent in PROFILE_PARTS.get(parent, ()):
        found = _lookup(stats, ref)
        if found:
            rows.append(ProfileRow("&nbsp;&nbsp;" * indent + "↳ " + label, *found))
    return rows


@dataclass
class Profile:
    n: int
    rows: list[ProfileRow]
    top: list[str]
    """Markdown rows of the archive run's top functions by own time."""
    total: float
    interference: tuple[float, float]
    """Other processes' CPU share of one core during the bare and the archive profile run."""
    bare_total: float
    bare_callbacks: float
    """Cumulative time of the bare spider's callbacks (listing + article)."""


def _profiled_run(
    variant: Variant, portal: PortalProcess, work: Path, guard: Guard
) -> tuple[float, pstats.Stats]:
    """One checked crawl of ``variant`` under cProfile (not timed), redone while disturbed.

    Returns the least disturbed attempt and the other processes' share of a core during it.
    """
    tries: list[tuple[float, pstats.Stats]] = []
    for _ in range(guard.attempts):
        guard.wait_quiet()
        server_before, busy_before = portal.cpu_seconds(), machine_busy_seconds()
        ps, wall, cpu = _profiled_once(variant, portal, work)
        other = machine_busy_seconds() - busy_before - cpu - (portal.cpu_seconds() - server_before)
        tries.append((max(0.0, other / wall), ps))
        if tries[-1][0] <= guard.max_other:
            break
        progress(f"    profile {variant.key} disturbed ({100 * other / wall:.0f} %); redoing it")
    return min(tries, key=lambda t: t[0])


def _profiled_once(
    variant: Variant, portal: PortalProcess, work: Path
) -> tuple[pstats.Stats, float, float]:
    archive_dir = work / f"profile-{variant.key}-archive"
    shutil.rmtree(archive_dir, ignore_errors=True)
    out = work / f"profile-{variant.key}.pstats"
    stats_file = work / f"profile-{variant.key}-stats.json"
    argv = crawl_command(variant, portal.listing_url, portal.max_pages, archive_dir)
    argv[1:1] = ["-m", "cProfile", "-o", str(out)]
    argv += stats_extension(stats_file)
    log_path = work / f"profile-{variant.key}.log"
    wall, rusage, code = run_process(argv, log_path)
    if code != 0 or not stats_file.is_file():
        raise BenchError(f"profile run {variant.key} failed ({code})\n{log_tail(log_path)}")
    check_run(variant, portal.n, json.loads(stats_file.read_text(encoding="utf-8")), archive_dir)
    shutil.rmtree(archive_dir, ignore_errors=True)
    return pstats.Stats(str(out)), wall, rusage.ru_utime + rusage.ru_stime


def _top_functions(ps: pstats.Stats, count: int = 12) -> list[str]:
    raw: dict[Any, Any] = ps.stats  # type: ignore[attr-defined]
    ps.sort_stats("tottime")
    top: list[str] = []
    for key in ps.fcn_list[:count]:  # type: ignore[attr-defined]
        _, nc, tt, ct, _ = raw[key]
        filename, line, func = key
        name = func if filename == "~" else f"{filename}:{line}({func})"
        name = name.replace(str(ROOT) + "/", "")
        name = re.sub(r"^.*/site-packages/", "", name)
        name = re.sub(r"^.*/lib/python3\.\d+/", "", name)
        top.append(f"| {tt:.2f} | {ct:.2f} | {nc:,} | `{name}` |")
    return top


def profile_runs(portal: PortalProcess, work: Path, guard: Guard) -> Profile:
    """The bare crawl and the archive crawl (images off, fsync on) under cProfile."""
    import inspect

    from bare_spider import BareSpider
    from scrapy.utils.misc import load_object

    from crawler.settings import ITEM_PIPELINES

    by_key = {v.key: v for v in VARIANTS}
    bare_other, bare_ps = _profiled_run(by_key["bare"], portal, work, guard)
    bare_raw: dict[Any, Any] = bare_ps.stats  # type: ignore[attr-defined]
    bare_callbacks = 0.0
    for method in (BareSpider.parse_listing, BareSpider.parse_article):
        key = _code_key(method)
        bare_callbacks += bare_raw[key][3] if key in bare_raw else 0.0

    other, ps = _profiled_run(by_key[HEADLINE], portal, work, guard)
    raw: dict[Any, Any] = ps.stats  # type: ignore[attr-defined]
    total = float(ps.total_tt)  # type: ignore[attr-defined]
    rows: list[ProfileRow] = []
    top_level = 0.0
    for ref, label in (
        ("crawler.spiders.base:PortalSpider.parse_listing", "spider parse_listing"),
        (SPIDER, "spider parse_article: encoding check + versioned parser"),
    ):
        found = _lookup(raw, ref)
        if found:
            top_level += found[0]
            rows.append(ProfileRow(label, *found))
            rows += _parts(raw, ref)
    for path, order in sorted(ITEM_PIPELINES.items(), key=lambda kv: kv[1]):
        process_item = getattr(load_object(path), "process_item", None)
        key = _code_key(inspect.unwrap(process_item)) if process_item is not None else None
        if key is None or key not in raw:
            continue  # disabled (NotConfigured) or renamed
        seconds, calls = raw[key][3], raw[key][1]
        top_level += seconds
        rows.append(ProfileRow(f"pipeline {order} `{path.rsplit('.', 1)[1]}`", seconds, calls))
        rows += _parts(raw, path)
    rows.append(
        ProfileRow(
            "everything else: Scrapy engine and item plumbing, downloader, Twisted/asyncio, "
            "start-up",
            total - top_level,
            0,
        )
    )
    return Profile(
        n=portal.n,
        rows=rows,
        top=_top_functions(ps),
        total=total,
        interference=(bare_other, other),
        bare_total=float(bare_ps.total_tt),  # type: ignore[attr-defined]
        bare_callbacks=bare_callbacks,
    )


# --------------------------------------------------------------------------- report


SOURCE_DIRS = ("crawler", "pipelines", "archive")


def source_files() -> list[Path]:
    """The code a crawl runs: the project's packages and this benchmark's two files."""
    files = [p for folder in SOURCE_DIRS for p in (ROOT / folder).rglob("*.py")]
    return sorted([*files, Path(__file__).resolve(), BENCH_DIR / "bare_spider.py"])


def source_digest() -> str:
    """sha1 over :func:`source_files`: a change during the run spoils the figures."""
    import hashlib

    digest = hashlib.sha1(usedforsecurity=False)
    for path in source_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def code_version() -> str:
    """``commit abc1234`` plus the changed source files not committed yet."""

    def git(*args: str) -> str:
        try:
            out = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return ""
        return out.stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    paths = [str(p.relative_to(ROOT)) for p in source_files()]
    dirty = [line[3:] for line in git("status", "--porcelain", "--", *paths).splitlines()]
    text = f"commit `{commit}`"
    if dirty:
        text += " plus uncommitted changes to " + ", ".join(f"`{d}`" for d in dirty)
    return text


def machine_info(work: Path) -> dict[str, str]:
    import scrapy
    import twisted

    model = ""
    mem = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    fs = ""
    try:
        best = ""
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if str(work).startswith(parts[1]) and len(parts[1]) >= len(best):
                best, fs = parts[1], f"{parts[2]} ({parts[0]} on {parts[1]})"
    except OSError:
        pass
    return {
        "cpu": f"{os.cpu_count()} cores, {model or platform.processor()}",
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "twisted": twisted.__version__,
        "sqlite": sqlite3.sqlite_version,
        "archive_fs": fs,
        "code": code_version(),
    }


def project_settings_line() -> str:
    from crawler import settings as s

    return (
        f"CONCURRENT_REQUESTS={s.CONCURRENT_REQUESTS}, "
        f"CONCURRENT_REQUESTS_PER_DOMAIN={s.CONCURRENT_REQUESTS_PER_DOMAIN}, "
        f"ROBOTSTXT_OBEY={s.ROBOTSTXT_OBEY}, DOWNLOAD_DELAY=0 (Scrapy default), "
        "AUTOTHROTTLE_ENABLED=False, LOG_LEVEL=WARNING"
    )


def repeats_text(args: argparse.Namespace) -> str:
    """How many runs each variant had: ``2 time(s) per size`` or per size when they differ."""
    sizes = sorted(args.sizes)
    if args.small_repeat == args.repeat or len(sizes) == 1:
        runs = args.small_repeat if len(sizes) == 1 else args.repeat
        return f"{runs} time(s) per size"
    return f"{args.small_repeat} time(s) at N = {sizes[0]:,} and {args.repeat} at " + ", ".join(
        f"N = {n:,}" for n in sizes[1:]
    )


def results_table(summaries: list[Summary], repeat: int, guard: Guard) -> list[str]:
    by = {(s.variant.key, s.n): s for s in summaries}
    head = (
        "| N | run | articles/s (process wall) | ratio to bare | articles/s (Scrapy start→finish)"
        " | ratio to bare | wall s | peak RSS MiB | writer process peak RSS MiB"
        " | CPU ms/article (crawl + writer) | of which the writer process | CPU ratio to bare"
        " | portal CPU % of wall | other processes' CPU % of wall | requests |"
    )
    lines = [head, "|" + " --- |" * 15]
    for s in summaries:
        b = by[(s.variant.baseline, s.n)]
        rate = f"{s.rate:.1f}"
        if len(s.runs) > 1:
            lo, hi = s.rate_range
            rate += f" ({lo:.1f}–{hi:.1f})"
        ratio = "—" if s is b else f"**{s.rate / b.rate:.2f}**"
        sratio = "—" if s is b else f"{s.scrapy_rate / b.scrapy_rate:.2f}"
        r = s.best
        other = f"{100 * r.interference:.0f}"
        if r.interference > guard.max_other:
            other += " ⚠ disturbed"
        writer_rss = f"{s.writer_rss_mib:.1f}" if s.writer_rss_mib else "—"
        writer_cpu = f"{1000 * r.writer_cpu / r.n:.2f}" if r.writer_cpu else "—"
        cpu_ratio = "—" if s is b else f"{b.best.cpu_ms / r.cpu_ms:.2f}"
        lines.append(
            f"| {s.n:,} | {s.variant.label} | {rate} | {ratio} | {s.scrapy_rate:.1f} | {sratio} | "
            f"{r.wall:.2f} | {s.rss_mib:.1f} | {writer_rss} | {r.cpu_ms:.2f} | {writer_cpu} | "
            f"{cpu_ratio} | {100 * r.server_cpu / r.wall:.0f} | "
            f"{other} | {r.requests:,} |"
        )
    return lines


def paired_ratios(run: Summary, baseline: Summary) -> list[float]:
    """Round by round: each run's rate over its baseline's run of the same round (the rounds
    are interleaved, so the two ran minutes apart at most). Less sensitive than the ratio of
    the fastest runs to one lucky round of either variant."""
    return [a.rate / b.rate for a, b in zip(run.runs, baseline.runs, strict=False)]


def paired_text(run: Summary, baseline: Summary) -> str:
    ratios = sorted(paired_ratios(run, baseline))
    if len(ratios) < 2:
        return ""
    return (
        f" Round by round (each run against the bare run of its round), the ratio was "
        f"{statistics.median(ratios):.2f} in the median of {len(ratios)} rounds "
        f"({ratios[0]:.2f}–{ratios[-1]:.2f})."
    )


def verdict(summaries: list[Summary]) -> list[str]:
    by = {(s.variant.key, s.n): s for s in summaries}
    sizes = sorted({s.n for s in summaries})
    out: list[str] = []
    for n in sizes:
        bare, arch = by[("bare", n)], by[(HEADLINE, n)]
        ratio = arch.rate / bare.rate
        extra_ms = 1000 * (1 / arch.rate - 1 / bare.rate)
        state = "meets" if ratio >= GOAL else "**misses**"
        out.append(
            f"* N = {n:,}: the archive (images off) keeps **{ratio:.2f}** of bare Scrapy's rate "
            f"({arch.rate:.1f} vs {bare.rate:.1f} articles/s), which {state} the {GOAL} goal; "
            f"it takes {abs(extra_ms):.1f} ms {'more' if extra_ms >= 0 else 'less'} of wall "
            "time per article than the bare crawl. CPU: "
            f"{arch.best.cpu_ms:.1f} ms per article in all (crawl process "
            f"{arch.best.crawl_cpu_ms:.1f} ms + writer process "
            f"{arch.best.cpu_ms - arch.best.crawl_cpu_ms:.1f} ms) against the bare crawl's "
            f"{bare.best.cpu_ms:.1f} ms: a CPU ratio of {bare.best.cpu_ms / arch.best.cpu_ms:.2f} "
            f"for all the work, {bare.best.cpu_ms / arch.best.crawl_cpu_ms:.2f} for the crawl "
            "process alone (the writer process runs on the other core)." + paired_text(arch, bare)
        )
        for key, label in (
            ("archive-inprocess", "Writer in the crawl's process (`ARCHIVE_WRITE_PROCESS=False`)"),
            ("archive-nothread", "No writer process or thread (`ARCHIVE_WRITE_QUEUE=0`)"),
        ):
            if (key, n) in by:
                other = by[(key, n)]
                out.append(
                    f"  {label}: {other.rate:.1f} articles/s, ratio "
                    f"{other.rate / bare.rate:.2f}, {other.best.cpu_ms:.1f} ms of CPU per "
                    f"article (CPU ratio {bare.best.cpu_ms / other.best.cpu_ms:.2f})."
                )
        if ("archive-nofsync", n) in by:
            nofsync = by[("archive-nofsync", n)]
            gain = nofsync.rate / arch.rate - 1
            out.append(
                f"  fsync off: {nofsync.rate:.1f} articles/s ({gain:+.0%} against fsync on, "
                f"ratio {nofsync.rate / bare.rate:.2f})."
            )
        if ("archive-images", n) in by:
            images = by[("archive-images", n)]
            out.append(
                f"  Images on: {images.rate:.1f} articles/s (ratio {images.rate / bare.rate:.2f}, "
                "but that run also downloads one PNG per article, so it is not the same work as "
                "the bare crawl; the pipelines run in the crawl's process, the writer process "
                "only writes)."
            )
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]

        def growth(key: str) -> str:
            a, b = by[(key, lo)].rss_mib, by[(key, hi)].rss_mib
            text = f"{key} {a:.0f} → {b:.0f} MiB ({b - a:+.0f}, {100 * (b / a - 1):+.0f} %)"
            wa, wb = by[(key, lo)].writer_rss_mib, by[(key, hi)].writer_rss_mib
            if wa and wb:
                text += f", its writer process {wa:.0f} → {wb:.0f} MiB"
            return text

        def grew(key: str) -> float:
            return by[(key, hi)].rss_mib - by[(key, lo)].rss_mib

        ran = {key for key, _n in by if (key, lo) in by and (key, hi) in by}  # at both sizes
        plain = [v.key for v in VARIANTS if not v.check and v.key in ran]
        checks = [v.key for v in VARIANTS if v.check and v.key in ran]
        arch_lo, arch_hi = by[(HEADLINE, lo)], by[(HEADLINE, hi)]
        flat = arch_hi.rss_mib <= 1.1 * arch_lo.rss_mib and (
            arch_hi.writer_rss_mib <= 1.1 * arch_lo.writer_rss_mib
        )
        out.append(
            f"* Peak RSS from N = {lo:,} to N = {hi:,}: "
            + "; ".join(growth(k) for k in plain)
            + (
                ". The archive crawl's memory stays flat (≤ +10 %)."
                if flat
                else ". **The archive crawl's memory does not stay flat (≤ +10 %).**"
            )
        )
        if checks:
            out.append(
                "  With breadth-first scheduling (memory checks, one run each): "
                + "; ".join(growth(k) for k in checks)
                + "."
            )
        if "bare-bfs" in checks and grew("bare") - grew("bare-bfs") > 3:
            out.append(
                "  Most of the bare crawl's growth is Scrapy's pending-request queue: the default "
                "LIFO queue pops the next listing page (yielded last) before the articles of the "
                f"current one, so the crawl walks all {math.ceil(hi / PAGE_SIZE)} listing pages "
                "first and keeps every article request waiting in memory. The archive's spider "
                "ranks each listing page's articles above the next page's "
                "(`crawler.spiders.base.listing_priorities`), which keeps about one listing "
                "page of requests queued, as breadth-first order does."
            )
        if {"archive-images-bfs", "archive-bfs"} <= set(checks) and (
            grew("archive-images-bfs") - grew("archive-bfs") > 3
        ):
            out.append(
                "  What remains with images on is Scrapy's media pipeline, which keeps the result "
                "of every downloaded file for the whole crawl (`MediaPipeline` per-spider "
                "`downloaded` cache, used to de-duplicate image requests)."
            )
    return out


def profile_section(p: Profile) -> list[str]:
    n = p.n
    bare_rest = p.bare_total - p.bare_callbacks
    lines = [
        f"### Where the time goes (cProfile, N = {n:,}, archive with images off and fsync on)",
        "",
        f"The same N crawled twice more under cProfile (not timed above): the bare crawl took "
        f"{p.bare_total:.1f} s of profiled time, the archive {p.total:.1f} s, so the archive's "
        f"extra work is {p.total - p.bare_total:.1f} s ({1000 * (p.total - p.bare_total) / n:.1f}"
        " ms per article). cProfile slows Python code down, so compare shares, not absolute "
        "seconds, with the table above. Other processes used "
        f"{100 * p.interference[0]:.0f} % and {100 * p.interference[1]:.0f} % of a core during "
        "the two profiled runs (disk-bound calls such as `open` and `fsync` suffer most when "
        "they are busy). Cumulative time per component of the archive run; rows marked ↳ are "
        "part of the row above them.",
        "",
        "| component | cumulative s | share of archive run | ms per article | calls |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in p.rows:
        calls = f"{row.calls:,}" if row.calls else ""
        lines.append(
            f"| {row.label} | {row.seconds:.2f} | {100 * row.seconds / p.total:.0f} % | "
            f"{1000 * row.seconds / n:.2f} | {calls} |"
        )
    lines += [
        f"| *for comparison, bare crawl: everything but its two callbacks* | {bare_rest:.2f} | "
        f"| {1000 * bare_rest / n:.2f} | |",
        f"| *bare crawl: its callbacks (listing links, one `h1` selector)* | "
        f"{p.bare_callbacks:.2f} | | {1000 * p.bare_callbacks / n:.2f} | |",
        "",
        "Top functions of the archive run by own time:",
        "",
        "| own s | cumulative s | calls | function |",
        "| --- | --- | --- | --- |",
        *p.top,
        "",
    ]
    return lines


def render_section(
    summaries: list[Summary],
    args: argparse.Namespace,
    info: dict[str, str],
    profile: Profile | None,
    commands: list[str],
    guard: Guard,
) -> str:
    discarded = sum(r.discarded for s in summaries for r in s.runs)
    today = dt.datetime.now(dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        SECTION_START,
        "## Archive throughput against bare Scrapy (issue #2)",
        "",
        f"Generated by `{args.command_line}` on {today}. Do not edit by hand.",
        "",
        f"* Machine: {info['cpu']}, {info['memory']} RAM; {info['os']}.",
        f"* Python {info['python']}, Scrapy {info['scrapy']}, Twisted {info['twisted']}, "
        f"SQLite {info['sqlite']}. Archive folders on {info['archive_fs']}.",
        f"* Code: {info['code']} (the script fails if the sources change during the run).",
        f"* Demo portal in its own process: N generated articles, {PAGE_SIZE} per listing page, "
        "one PNG per article; each crawl is a separate process on the same host (2 cores: "
        "portal and crawl each get one). "
        + (
            "Its pages are rendered before the first crawl (`DemoPortal.prerender`): a real "
            "portal renders its pages on its own machines, and the archive crawl, which keeps "
            "both cores busy, would pay for that rendering here while the bare crawl, which "
            "uses one, would not."
            if args.portal == "prerendered"
            else "It renders each page when it is requested (`--portal on-demand`)."
        ),
        f"* Settings of every crawl: the project's, plus {project_settings_line()}.",
        "* articles/s = N / wall time of the crawl process from start to exit (interpreter "
        "start-up, index migrations and shutdown included); the Scrapy column uses the stats' "
        "`start_time` → `finish_time` instead. Peak RSS = `ru_maxrss` of the crawl process "
        "(`os.wait4`; its writer process's own peak from the crawl's stats). CPU = user + "
        "system seconds of the crawl process and its writer process (`wait4` counts a waited-for "
        "child; the writer's share from its own `getrusage`); portal CPU = "
        "the demo portal's CPU time during the crawl, as a share of the crawl's wall time "
        "(near 100 % would mean the portal, not the crawler, sets the pace); other processes = "
        "CPU time used by everything else on the machine during the crawl (`/proc/stat`), as "
        "a share of the wall time: other engineers' jobs share this machine, and a high "
        "figure marks a disturbed run.",
        f"* Each variant ran {repeats_text(args)}, interleaved; the table shows the "
        "fastest run (interference can only slow a run down, as with `timeit`), the range of "
        "rates in brackets, and the highest peak RSS of all runs. Before each run the script "
        "flushes the file systems (`sync`: an archive run's `syncfs` would otherwise also write "
        "out the previous run's files) and waits for an idle machine. The archives of all runs "
        "stay on disk until the benchmark ends: deleting the previous run's thousands of files "
        "right before a run added 0.5-1.9 s of kernel time to that run's writer (4 of 4 "
        "interleaved pairs at N = 2,000), which only archive runs paid. A run during which other "
        "processes used more than "
        f"{100 * guard.max_other:.0f} % of a core is redone (up to {guard.attempts} tries; "
        f"{discarded} redone in this run). Every run is checked: the bare crawl scraped N items; "
        "an archive run wrote N `.md` files under `posts/` and N rows in `articles`, counted "
        "`archive/new` = N, and logged no ERROR (and stored N images when downloads are on).",
        "",
        "Crawl commands (URL, page count and folder vary per run):",
        "",
        "```sh",
        *commands,
        "```",
        "",
        *results_table(summaries, args.repeat, guard),
        "",
        "### Verdict",
        "",
        *verdict(summaries),
        "",
    ]
    if profile is not None:
        lines += profile_section(profile)
    lines.append(SECTION_END)
    return "\n".join(lines) + "\n"


def print_table(summaries: list[Summary]) -> None:
    by = {(s.variant.key, s.n): s for s in summaries}
    print()
    print(
        f"{'N':>7}  {'run':<60} {'art/s':>8} {'ratio':>6} {'scrapy art/s':>12} "
        f"{'wall s':>8} {'RSS MiB':>8} {'CPU ms/a':>8} {'portal%':>7} {'other%':>6}"
    )
    for s in summaries:
        b = by[(s.variant.baseline, s.n)]
        ratio = "" if s is b else f"{s.rate / b.rate:.2f}"
        r = s.best
        portal = 100 * r.server_cpu / r.wall
        other = 100 * r.interference
        print(
            f"{s.n:>7}  {s.variant.label:<60} {s.rate:>8.1f} {ratio:>6} {s.scrapy_rate:>12.1f} "
            f"{r.wall:>8.2f} {s.rss_mib:>8.1f} {r.cpu_ms:>8.2f} {portal:>6.0f}% {other:>5.0f}%"
        )
    print()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], metavar="N")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per variant and size (the fastest counts)"
    )
    parser.add_argument(
        "--small-repeat",
        type=int,
        metavar="R",
        help="runs per variant at the smallest size (default: --repeat); a short crawl is "
        "disturbed by a blip that a long one averages out, so it needs more runs",
    )
    parser.add_argument(
        "--max-interference",
        type=float,
        default=25.0,
        metavar="PCT",
        help="redo a run during which other processes used more than PCT %% of a core",
    )
    parser.add_argument(
        "--quick", action="store_true", help="N = 200 only, do not write the doc (tests the script)"
    )
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument(
        "--doc", type=Path, help="write the section into this file instead of docs/benchmarks.md"
    )
    parser.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="cProfile one archive run: when the ratio misses the goal (auto), always, never",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, stats)")
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=[v.key for v in VARIANTS],
        default=[v.key for v in VARIANTS],
        metavar="KEY",
        help="measure only these variants (bare and archive always run)",
    )
    parser.add_argument(
        "--small-variants",
        nargs="+",
        choices=[v.key for v in VARIANTS],
        default=[],
        metavar="KEY",
        help="measure these variants at the smallest size only (e.g. archive-images)",
    )
    parser.add_argument(
        "--portal",
        choices=("prerendered", "on-demand"),
        default="prerendered",
        help="the demo portal renders every page before the crawls (default), or each page "
        "when it is requested, on the crawl's machine",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="longest wait for an idle machine before each run",
    )
    args = parser.parse_args(argv)
    args.variants = [v.key for v in VARIANTS if v.key in {"bare", HEADLINE, *args.variants}]
    if args.quick:
        args.sizes = [200]
        args.no_doc = args.doc is None
    if args.small_repeat is None:
        args.small_repeat = args.repeat
    if any(n < 1 for n in args.sizes) or args.repeat < 1 or args.small_repeat < 1:
        parser.error("sizes, --repeat and --small-repeat must be >= 1")
    shown = ["bench/bench_archive.py", *(argv if argv is not None else sys.argv[1:])]
    args.command_line = ".venv/bin/python " + shlex.join(shown)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    guard = Guard(max_other=args.max_interference / 100, quiet_wait=args.quiet_wait)
    variants = [v for v in VARIANTS if v.key in args.variants]
    small = [v for v in VARIANTS if v.key in args.small_variants and v not in variants]
    sources = source_digest()
    info = machine_info(Path(tempfile.gettempdir()))
    work = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    progress(f"work folder {work}")
    try:
        summaries: list[Summary] = []
        for i, n in enumerate(sorted(args.sizes)):
            progress(f"N = {n:,}: demo portal in its own process, {len(variants)} variants")
            summaries += bench_size(
                n,
                args.small_repeat if i == 0 else args.repeat,
                work,
                warm=i == 0,
                guard=guard,
                variants=[v for v in VARIANTS if v in variants or (i == 0 and v in small)],
                prerender=args.portal == "prerendered",
            )
        print_table(summaries)
        by = {(s.variant.key, s.n): s for s in summaries}
        misses = any(
            by[(HEADLINE, n)].rate / by[("bare", n)].rate < GOAL for n in sorted(args.sizes)
        )
        profile = None
        if args.profile == "always" or (args.profile == "auto" and misses):
            n = min(args.sizes)
            progress(f"profiling a bare and an archive crawl of N = {n:,} under cProfile")
            portal = PortalProcess(
                n, work / "portal-profile.log", prerender=args.portal == "prerendered"
            )
            try:
                profile = profile_runs(portal, work, guard)
            finally:
                portal.close()
            print(
                f"cProfile, N={n}: bare {profile.bare_total:.1f} s, archive {profile.total:.1f} s"
            )
            for row in profile.rows:
                label = row.label.replace("&nbsp;", " ")
                share = 100 * row.seconds / profile.total
                print(f"  {label:<86} {row.seconds:7.2f} s {share:4.0f} %")
        for line in verdict(summaries):
            print(line.replace("**", ""))
        if source_digest() != sources:
            raise BenchError(
                "the project's sources changed during the run, so the figures mix two versions "
                "of the code; docs/benchmarks.md was not written: run it again"
            )
        if not args.no_doc:
            example = [
                display_command(crawl_command(v, "URL", 0, Path("DIR")))
                .replace("max_pages=0", "max_pages=P")
                .replace(str(Path("DIR")), "DIR")
                for v in variants
            ]
            section = render_section(summaries, args, info, profile, example, guard)
            doc = args.doc or DOC
            write_section(section, SECTION_START, SECTION_END, doc)
            progress(f"wrote {doc}")
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        remove_archives(work)
        if args.keep:
            progress(f"kept {work} (logs and stats; the archives were removed)")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def remove_archives(work: Path) -> None:
    """Delete the runs' archive folders, once every run is measured (see :func:`measure`)."""
    for folder in sorted(work.glob("*-archive")):
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
