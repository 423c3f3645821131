"""Benchmark of issue #5 part 3: the cost of WARC capture (``--warc``) on crawl throughput.

For each size N (default 1,000) the demo portal serves N generated articles (50 per listing
page, one PNG each) in its own process, exactly as ``bench_archive.py`` does, and each crawl
is its own ``scrapy crawl ofweek`` process with the project's settings plus
``AUTOTHROTTLE_ENABLED=False`` and ``LOG_LEVEL=WARNING``. Four variants, interleaved over
``--repeat`` rounds, the fastest run of each shown:

* images off, without and with ``ARCHIVE_WARC=True`` (one article response per article);
* images on, without and with ``ARCHIVE_WARC=True`` (article + image responses).

Every run is checked like the archive benchmark (N files, N rows, ``archive/new`` = N), and
every WARC file is read back with warcio: N article responses (and N image responses with
images on), each paired with its request. The WARC bytes give the disk cost per 1,000
articles. Finally one archive captured with images is re-extracted offline
(``portal-archive reextract``, the portal stopped) and timed.

Prints a table and writes the ``<!-- bench:warc -->`` section of ``docs/benchmarks.md``
(not with ``--quick``, N = 200)::

    .venv/bin/python bench/bench_warc.py [--sizes 1000] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench_archive import (
    ROOT,
    BenchError,
    Guard,
    PortalProcess,
    Run,
    Variant,
    count_rows,
    crawl_command,
    display_command,
    machine_info,
    progress,
    project_settings_line,
    source_digest,
)
from docsection import write_section  # bench/docsection.py

SECTION_START = "<!-- bench:warc -->"
SECTION_END = "<!-- /bench:warc -->"
WARC_ON = {"ARCHIVE_WARC": "True"}


def variants(work: Path) -> tuple[Variant, ...]:
    """The four crawls; WARC files go to a folder per variant outside the (deleted) archive."""
    off = {"ARCHIVE_IMAGES_DOWNLOAD": "False"}

    def warc(key: str) -> dict[str, str]:
        return {**WARC_ON, "ARCHIVE_WARC_DIR": str(work / f"warc-{key}")}

    plain = Variant("plain", "images off, no WARC", archive=True, settings=off, baseline="plain")
    images = Variant("images", "images on, no WARC", archive=True, images=True, baseline="images")
    return (
        plain,
        Variant(
            "warc",
            "images off, --warc",
            archive=True,
            settings={**off, **warc("warc")},
            baseline="plain",
        ),
        images,
        Variant(
            "images-warc",
            "images on, --warc",
            archive=True,
            images=True,
            settings=warc("images-warc"),
            baseline="images",
        ),
    )


@dataclass
class WarcFile:
    bytes: int
    articles: int
    images: int


def read_warc(path: Path) -> WarcFile:
    """Count the responses of a WARC file (warcio), checking each has its request."""
    from warcio.archiveiterator import ArchiveIterator

    kinds: dict[str, int] = {}
    responses: set[str] = set()
    requests: set[str] = set()
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            headers = record.rec_headers
            if record.rec_type == "response":
                responses.add(headers.get_header("WARC-Record-ID"))
                kind = headers.get_header("Portal-Archive-Kind") or ""
                kinds[kind] = kinds.get(kind, 0) + 1
            elif record.rec_type == "request":
                requests.add(headers.get_header("WARC-Concurrent-To"))
    if responses != requests:
        raise BenchError(f"{path}: {len(responses ^ requests)} unpaired records")
    return WarcFile(path.stat().st_size, kinds.get("article", 0), kinds.get("image", 0))


@dataclass
class Summary:
    variant: Variant
    n: int
    runs: list[Run] = field(default_factory=list)
    warcs: list[WarcFile] = field(default_factory=list)

    @property
    def best(self) -> Run:
        return max(self.runs, key=lambda r: r.rate)

    @property
    def rate(self) -> float:
        return self.best.rate


def newest_warc(folder: Path) -> Path:
    files = sorted(folder.glob("*.warc.gz"), key=lambda p: p.stat().st_mtime_ns)
    if not files or list(folder.glob("*.open")):
        raise BenchError(f"{folder}: no closed WARC file")
    return files[-1]


def bench_size(n: int, repeat: int, work: Path, guard: Guard) -> list[Summary]:
    all_variants = variants(work)
    summaries = {v.key: Summary(v, n) for v in all_variants}
    portal = PortalProcess(n, work / f"portal-{n}.log")
    try:
        from bench_archive import measure

        measure(all_variants[1], portal, work, "warmup", max_pages=1)
        for round_ in range(1, repeat + 1):
            for variant in all_variants:
                run = guard.measure(variant, portal, work, f"{n}-{variant.key}-{round_}")
                summaries[variant.key].runs.append(run)
                line = f"  N={n:,} round {round_} {variant.key:<12} {run.rate:7.1f} articles/s"
                folder = Path(variant.settings.get("ARCHIVE_WARC_DIR", ""))
                if variant.settings.get("ARCHIVE_WARC"):
                    warc = read_warc(newest_warc(folder))
                    if warc.articles != n or warc.images != (n if variant.images else 0):
                        raise BenchError(
                            f"{variant.key}: WARC holds {warc.articles} articles and "
                            f"{warc.images} images, expected {n}"
                        )
                    summaries[variant.key].warcs.append(warc)
                    line += f", WARC {warc.bytes / 1e6:.2f} MB"
                    shutil.rmtree(folder, ignore_errors=True)
                progress(line)
    finally:
        portal.close()
    return list(summaries.values())


@dataclass
class Replay:
    n: int
    wall: float
    unchanged: int


def bench_reextract(n: int, work: Path, guard: Guard) -> Replay:
    """Capture N articles with images, stop the portal, time ``portal-archive reextract``."""
    archive = work / f"replay-{n}"
    shutil.rmtree(archive, ignore_errors=True)
    portal = PortalProcess(n, work / f"portal-replay-{n}.log")
    try:
        variant = Variant("capture", "capture", archive=True, settings=WARC_ON, images=True)
        argv = crawl_command(variant, portal.listing_url, portal.max_pages, archive)
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchError(f"capture crawl failed: {done.stderr[-2000:]}")
    finally:
        portal.close()  # reextract runs with nothing listening
    argv = [
        sys.executable,
        "-m",
        "portal_archive",
        "--archive",
        str(archive),
        "--set",
        "LOG_LEVEL=WARNING",
        "reextract",
    ]
    guard.wait_quiet()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise BenchError(f"reextract failed: {done.stderr[-2000:]}")
    sql = "select unchanged from crawl_runs order by id desc limit 1"
    unchanged = count_rows(archive / "index.db", sql)
    if unchanged != n:
        raise BenchError(f"reextract: {unchanged} unchanged articles, expected {n}")
    shutil.rmtree(archive, ignore_errors=True)
    return Replay(n, wall, unchanged)


def per_1000(summary: Summary) -> float:
    """MB of WARC per 1,000 articles (the smallest file of the runs: they are all alike)."""
    return min(w.bytes for w in summary.warcs) / summary.n * 1000 / 1e6


def min_cpu_ms(summary: Summary) -> float:
    """The lowest crawl-process CPU per article of the runs (the least disturbed)."""
    return min(r.cpu_ms for r in summary.runs)


def results(summaries: list[Summary]) -> list[str]:
    by = {(s.variant.key, s.n): s for s in summaries}
    lines = [
        "| N | run | articles/s (process wall, fastest) | range | against the same run without "
        "WARC | crawl CPU ms/article (lowest) | WARC MB | WARC MB per 1,000 articles "
        "| other processes' CPU % of wall |",
        "|" + " --- |" * 9,
    ]
    for s in summaries:
        base = by[(s.variant.baseline, s.n)]
        rates = [r.rate for r in s.runs]
        ratio = "—" if base is s else f"**{s.rate / base.rate:.2f}**"
        mb = f"{min(w.bytes for w in s.warcs) / 1e6:.2f}" if s.warcs else "—"
        cost = f"{per_1000(s):.2f}" if s.warcs else "—"
        r = s.best
        lines.append(
            f"| {s.n:,} | {s.variant.label} | {s.rate:.1f} | {min(rates):.1f}–{max(rates):.1f} | "
            f"{ratio} | {min_cpu_ms(s):.2f} | {mb} | {cost} | {100 * r.interference:.0f} |"
        )
    return lines


def verdict(summaries: list[Summary], replays: list[Replay]) -> list[str]:
    by = {(s.variant.key, s.n): s for s in summaries}
    out = []
    for n in sorted({s.n for s in summaries}):
        for key, base in (("warc", "plain"), ("images-warc", "images")):
            s, b = by[(key, n)], by[(base, n)]
            cpu, base_cpu = min_cpu_ms(s), min_cpu_ms(b)
            out.append(
                f"* N = {n:,}, {s.variant.label}: {s.rate:.1f} against {b.rate:.1f} articles/s, "
                f"{s.rate / b.rate:.2f} of the rate without capture "
                f"({1000 * (1 / s.rate - 1 / b.rate):+.2f} ms per article of wall time). Crawl "
                f"CPU, less disturbed by the other processes: {cpu:.2f} against {base_cpu:.2f} "
                f"ms per article ({cpu - base_cpu:+.2f} ms, {cpu / base_cpu - 1:+.1%}). "
                f"{per_1000(s):.2f} MB of WARC per 1,000 articles."
                + (
                    " The run with capture came out faster in wall time: that is the load of "
                    "other processes on this shared machine (last column), not a gain; compare "
                    "the CPU figures."
                    if s.rate > b.rate
                    else ""
                )
            )
    for r in replays:
        out.append(
            f"* `reextract` of N = {r.n:,} captured articles (with images; portal stopped): "
            f"{r.wall:.1f} s, {r.n / r.wall:.1f} articles/s, all {r.unchanged:,} unchanged."
        )
    return out


def render(
    summaries: list[Summary],
    replays: list[Replay],
    args: argparse.Namespace,
    info: dict[str, str],
    commands: list[str],
) -> str:
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION_START,
        "## WARC capture overhead and disk cost (issue #5)",
        "",
        f"Generated by `{args.command_line}` on {today}. Do not edit by hand.",
        "",
        f"* Machine: {info['cpu']}, {info['memory']} RAM; Python {info['python']}, Scrapy "
        f"{info['scrapy']}. Code: {info['code']}. The machine is shared with other engineers' "
        "jobs: figures are from a busy machine.",
        "* Demo portal in its own process (N generated articles, 50 per listing page, one PNG "
        f"per article); every crawl its own process. Settings: the project's, plus "
        f"{project_settings_line()}.",
        f"* {args.repeat} interleaved rounds; the table shows the fastest run of each variant "
        "(interference only slows runs down) and the range. Each run is checked (N files, N "
        "rows, `archive/new` = N) and each WARC file read back with warcio (N article "
        "responses, N image responses with images on, every response paired with its request).",
        "* WARC MB = size of the run's `.warc.gz` file (gzip per record, request + response "
        "records, one warcinfo); the disk cost per 1,000 articles is that size / N × 1,000.",
        "",
        "```sh",
        *commands,
        "```",
        "",
        *results(summaries),
        "",
        "### Verdict",
        "",
        *verdict(summaries, replays),
        SECTION_END,
    ]
    return "\n".join(lines) + "\n"


def cost_table(summaries: list[Summary]) -> str:
    """The disk-cost table of ``docs/warc.md`` (between its ``warc-cost`` markers)."""
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    lines = [
        "<!-- warc-cost -->",
        f"Written by `bench/bench_warc.py` on {today} (do not edit by hand):",
        "",
        "| capture | N | WARC MB | MB per 1,000 articles | KB per article |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in summaries:
        if not s.warcs:
            continue
        size = min(w.bytes for w in s.warcs)
        what = "articles + images" if s.variant.images else "articles only (images off)"
        lines.append(
            f"| {what} | {s.n:,} | {size / 1e6:.2f} | {per_1000(s):.2f} | {size / s.n / 1e3:.1f} |"
        )
    lines.append("<!-- /warc-cost -->")
    return "\n".join(lines) + "\n"


def write_cost(table: str, path: Path = ROOT / "docs" / "warc.md") -> None:
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r"<!-- warc-cost -->.*?<!-- /warc-cost -->\n?", re.S)
    if not pattern.search(text):
        raise BenchError(f"{path} has no warc-cost markers")
    path.write_text(pattern.sub(lambda _: table, text, count=1), encoding="utf-8")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000], metavar="N")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-interference", type=float, default=25.0, metavar="PCT")
    parser.add_argument("--quick", action="store_true", help="N = 200, no doc")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.no_doc, args.repeat = [200], True, 1
    shown = ["bench/bench_warc.py", *(argv if argv is not None else sys.argv[1:])]
    args.command_line = ".venv/bin/python " + shlex.join(shown)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    guard = Guard(max_other=args.max_interference / 100, attempts=2, quiet_wait=30.0)
    sources = source_digest()
    info = machine_info(Path(tempfile.gettempdir()))
    work = Path(tempfile.mkdtemp(prefix="bench-warc-"))
    progress(f"work folder {work}")
    try:
        summaries: list[Summary] = []
        replays: list[Replay] = []
        for n in sorted(args.sizes):
            summaries += bench_size(n, args.repeat, work, guard)
            replays.append(bench_reextract(n, work, guard))
        print("\n".join(results(summaries)))
        for line in verdict(summaries, replays):
            print(line.replace("**", ""))
        if source_digest() != sources:
            raise BenchError("the sources changed during the run; docs not written")
        if not args.no_doc:
            commands = [
                display_command(crawl_command(v, "URL", 0, Path("DIR")))
                .replace("max_pages=0", "max_pages=P")
                .replace(str(work), "WORK")
                for v in variants(work)
            ]
            commands.append(".venv/bin/python -m portal_archive --archive DIR reextract")
            write_section(
                render(summaries, replays, args, info, commands), SECTION_START, SECTION_END
            )
            write_cost(cost_table(summaries))
            progress("wrote docs/benchmarks.md and the disk-cost table of docs/warc.md")
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
