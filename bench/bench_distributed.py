"""Scale-out of a distributed crawl: 1 → 2 → 4 crawl workers feeding one writer.

The demo portal (our own generated articles, ``generated=N``, 50 per listing page) answers
every request after 200 ms. Each worker is polite on its own: one request every
``DOWNLOAD_DELAY`` (default 0.1 s, randomized 0.5–1.5× as Scrapy does), no AutoThrottle. So
one worker fetches ~10 pages/s whatever the machine, and adding workers should add
throughput until something else (the writer, Redis, the CPU) limits it.

(``CONCURRENT_REQUESTS_PER_DOMAIN`` alone is no limit here: measured on the demo portal,
Scrapy 2.19 starts every queued request of a slot at once when there is no download delay —
the slot's transfer count grows only once each download coroutine runs — so 16 requests were
in flight with ``CONCURRENT_REQUESTS_PER_DOMAIN=2``, embedded crawl and worker alike.)

Per worker count, in one run, on a fresh Redis (``redis-server`` started here, 127.0.0.1,
ephemeral port, AOF ``everysec``) and a fresh archive:

* articles/s = articles in the index / (time the index got its last article − time the
  portal served the first article page), i.e. the steady crawl without process start-up;
* the writer's queue length (``LLEN pa:items``) sampled every 0.25 s: its maximum, and its
  maximum over the last third of the crawl (a writer that falls behind shows a queue that
  keeps growing to the end).

Images are not downloaded (``ARCHIVE_IMAGES_DOWNLOAD=False`` for the writer): this measures
pages. Writes a section of ``docs/benchmarks.md`` (``--no-docs`` to skip).

Usage: python bench/bench_distributed.py [--articles 400] [--workers 1,2,4] [--delay 0.1]
       [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docsection import write_section  # noqa: E402
from demo_portal import DemoPortal  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

LATENCY = 0.2
START = "<!-- bench:distributed -->"
END = "<!-- /bench:distributed -->"


class SlowPortal(DemoPortal):
    """The demo portal answering every request after :data:`LATENCY` seconds (threaded
    server: waiting requests cost no CPU); notes when the first article page was served."""

    first_article: float | None = None

    def respond(self, path: str, referer: str = "") -> Any:
        time.sleep(LATENCY)
        if "/ART-" in path and self.first_article is None:
            self.first_article = time.monotonic()
        return super().respond(path, referer)


@dataclass
class Result:
    workers: int
    articles: int
    seconds: float
    queue: list[tuple[float, int]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.articles / self.seconds

    @property
    def queue_max(self) -> int:
        return max((n for _, n in self.queue), default=0)

    @property
    def queue_last_third_max(self) -> int:
        if not self.queue:
            return 0
        end = self.queue[-1][0]
        return max((n for t, n in self.queue if t >= end * 2 / 3), default=0)


def cli(archive: Path, *args: str, settings: list[str], log: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "portal_archive", "--archive", str(archive)]
    for setting in settings:
        argv += ["--set", setting]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen([*argv, *args], stdout=out, stderr=subprocess.STDOUT, env=env)


def count_rows(index: Path) -> int:
    if not index.is_file():
        return 0
    try:
        con = sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("select count(*) from articles").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def run(workers: int, articles: int, delay: float, tmp: Path) -> Result:
    import redis

    folder = tmp / f"w{workers}"
    folder.mkdir(parents=True)
    common = ["AUTOTHROTTLE_ENABLED=False", "LOG_LEVEL=INFO"]
    with (
        RedisServer(folder / "redis", appendfsync="everysec") as server,
        SlowPortal(port=0, generated=articles, listing_page_size=50) as portal,
    ):
        client = redis.Redis.from_url(server.url)
        pages = -(-articles // 50)
        writer = cli(
            folder / "archive",
            "writer",
            "--redis",
            server.url,
            "--idle-exit",
            "0",
            settings=[*common, "DOWNLOAD_DELAY=0", "ARCHIVE_IMAGES_DOWNLOAD=False"],
            log=folder / "writer.log",
        )
        crawl = ["crawl", "ofweek", "--base-url", portal.base_url]
        crawl += ["--listing-url", portal.generated_listing_url, "--max-pages", str(pages)]
        crawl += ["--redis", server.url, "--idle-exit", "5"]
        procs = [
            cli(
                folder / "unused",
                *crawl,
                settings=[*common, f"DOWNLOAD_DELAY={delay}"],
                log=folder / f"worker{i}.log",
            )
            for i in range(workers)
        ]
        index = folder / "archive" / "index.db"
        queue: list[tuple[float, int]] = []
        done_at = None
        deadline = time.monotonic() + 60 + articles * delay * 3
        while time.monotonic() < deadline:
            now = time.monotonic()
            if portal.first_article is not None:
                queue.append((now - portal.first_article, int(client.llen("pa:items"))))
            if count_rows(index) >= articles:
                done_at = time.monotonic()
                break
            time.sleep(0.25)
        for proc in procs:
            proc.wait(timeout=120)
        writer.send_signal(signal.SIGTERM)
        writer.wait(timeout=120)
        if done_at is None or portal.first_article is None:
            raise SystemExit(f"{workers} worker(s): the crawl did not finish (logs in {folder})")
        got = count_rows(index)
        return Result(workers, got, done_at - portal.first_article, queue)


def section(results: list[Result], args: argparse.Namespace, runs: dict[int, list[Result]]) -> str:
    base = results[0].rate
    lines = [
        START,
        "## Distributed crawl: scale-out of workers (issue #12, `bench/bench_distributed.py`)",
        "",
        f"* Data: the demo portal's generated articles (our own text), {args.articles} "
        f"articles, 50 per listing page; every request answered after {LATENCY * 1000:.0f} ms.",
        f"* Each worker: `crawl ofweek --redis` with `DOWNLOAD_DELAY={args.delay}` (its own "
        "politeness limit, randomized 0.5–1.5× by Scrapy), no AutoThrottle; one `writer` "
        "(batches of 200, images not downloaded); Redis 7 from Debian, AOF everysec.",
        "* articles/s from the first article page served to the last article in the index "
        "(process start-up excluded); queue = `LLEN pa:items` sampled every 0.25 s.",
        f"* Machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other jobs; "
        f"Python {platform.python_version()}.",
        "* Tuned on this benchmark: a first run gave 1.80× and 3.07×; idle workers then saw "
        "new requests only on Scrapy's 5-second engine heartbeat and listing pages waited "
        "behind articles, so workers now look at the frontier every 0.5 s and listing, feed "
        "and sitemap requests go first.",
        "* The writer is the batched one (`Archive.save_batch`: one transaction and one flush "
        "pass per batch).",
        "",
        f"* {args.repeat} runs per worker count, interleaved (1, 2, 4, 1, 2, 4, …); the table "
        "gives the median run, the last column every run's articles/s.",
        "",
        "| workers | articles | seconds | articles/s | × one worker | queue max | "
        "queue max, last third | articles/s of each run |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        each = ", ".join(f"{x.rate:.1f}" for x in runs[r.workers])
        lines.append(
            f"| {r.workers} | {r.articles} | {r.seconds:.1f} | {r.rate:.1f} | "
            f"{r.rate / base:.2f} | {r.queue_max} | {r.queue_last_third_max} | {each} |"
        )
    last = results[-1]
    series = []
    for second in range(int(last.queue[-1][0]) + 1 if last.queue else 0):
        near = [n for t, n in last.queue if second <= t < second + 1]
        series.append(str(max(near)) if near else "·")
    lines += [
        "",
        f"Writer queue over time in the median run with {last.workers} workers (max per "
        f"second, from the first article page): {' '.join(series)}.",
    ]
    lines += [
        "",
        "Targets: 2 workers ≥ 1.8×, 4 workers ≥ 3.2× one worker; the queue does not grow "
        "without bound (its last-third maximum stays small next to the article count).",
        END,
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per worker count")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    try:
        runs: dict[int, list[Result]] = {}
        counts = [int(w) for w in args.workers.split(",")]
        for repeat in range(args.repeat):
            for n in counts:  # interleaved: machine load drifts over the run
                result = run(n, args.articles, args.delay, tmp / f"r{repeat}")
                print(
                    f"run {repeat + 1}: {n} worker(s): {result.articles} articles in "
                    f"{result.seconds:.1f} s = {result.rate:.1f}/s; queue max "
                    f"{result.queue_max}, last third {result.queue_last_third_max}",
                    flush=True,
                )
                runs.setdefault(n, []).append(result)
        results = [sorted(runs[n], key=lambda r: r.rate)[(len(runs[n]) - 1) // 2] for n in counts]
        for r in results:
            print(f"{r.workers} worker(s), median run: x{r.rate / results[0].rate:.2f}")
        if not args.no_docs:
            write_section(section(results, args, runs), START, END)
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
