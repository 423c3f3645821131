"""Measure the generic extractor and rewrite its section of ``docs/benchmarks.md``.

Runs ``../shared/bench/extract_eval.py`` (one process per run, as its README asks) with
``crawler.parsers.generic:extract_text`` on the scrapinghub set and on CWCE (``cjk-char``),
the built-in trafilatura peer on both in the same session (same machine load), then scores
the generic parser's ``published`` against CWCE's gold dates. The figures replace the text
between ``<!-- bench:extract -->`` and ``<!-- /bench:extract -->``.

Usage: .venv/bin/python bench/bench_extract.py [--no-peer] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = ROOT.parent / "shared" / "bench"
HARNESS = SHARED_BENCH / "extract_eval.py"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:extract -->", "<!-- /bench:extract -->"
HEADER = "# Benchmarks\n"
OURS = "crawler.parsers.generic:extract_text"
RUNS = (("scrapinghub", ()), ("cwce", ("--dataset", "cwce", "--tokenizer", "cjk-char")))

README_PEERS = (
    # ../shared/bench/README.md, "Peers measured on this machine kind" (2026-11-24)
    ("trafilatura 2.3.1", "0.960", "48.6", "0.902", "90 MB"),
    ("trafilatura favor_precision", "0.964", "47.0", "0.908", "90 MB"),
)
README_DATES = "34 of 57 right, invents a date on 9 of 12"
"""trafilatura on CWCE dates, from the same README."""
NO_DATE = {"UNKNOWN", "UNKNWON", ""}


def run_harness(extractor: str, extra: tuple[str, ...]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        argv = [sys.executable, str(HARNESS), "--extractor", extractor, *extra, "--json", str(out)]
        subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])
    print(f"{extractor:40} {result['dataset']:12} F1 {result['f1']:.3f} "
          f"{result['pages_per_s']:.1f} pages/s")  # fmt: skip
    return result


def date_scores() -> tuple[int, int, int, int]:
    """``(right, with_date, invented, without_date)`` of generic ``published`` on CWCE."""
    sys.path.insert(0, str(SHARED_BENCH))
    import extract_eval  # the third-party harness, read in place (never copied)

    from crawler.parsers.base import Page, ParseError
    from crawler.parsers.generic import GenericParser
    from pipelines.normalize import parse_published

    right = with_date = invented = without = 0
    zone = ZoneInfo("Asia/Shanghai")
    for pid, _url, path, _gold in extract_eval.cwce_dataset().items:
        gold = (path.parents[1] / "date" / f"{pid}.txt").read_text(encoding="utf-8").strip()
        page = Page.from_html(extract_eval._read_bytes_decoded(path), "http://localhost/")
        try:
            found = parse_published(GenericParser.V1().published(page))
        except ParseError:
            found = None
        if gold in NO_DATE:
            without += 1
            invented += found is not None
            continue
        with_date += 1
        wanted = [int(n) for n in re.findall(r"\d+", gold)[:3]]
        if found is not None and wanted:
            local = found.astimezone(zone)
            right += [local.year, local.month, local.day][: len(wanted)] == wanted
    return right, with_date, invented, without


def row(name: str, r: dict[str, Any]) -> str:
    return (
        f"| {name} | {r['dataset']} ({r['pages']}) | {r['f1']:.3f} ± {r['f1_std']:.3f} | "
        f"{r['precision']:.3f} | {r['recall']:.3f} | {r['pages_per_s']:.1f} | {r['p50_ms']:.0f} | "
        f"{r['p95_ms']:.0f} | {r['peak_rss_mb']:.0f} MB | {r['empty_outputs']} |"
    )


def render(ours: list[dict[str, Any]], peer: list[dict[str, Any]], dates: tuple[int, ...]) -> str:
    right, with_date, invented, without = dates
    lines = [
        BEGIN,
        "## Generic extractor (`crawler.parsers.generic:extract_text`)",
        "",
        f"Measured {date.today().isoformat()} by `bench/bench_extract.py` on {os.cpu_count()} "
        f"cores ({platform.python_implementation()} {platform.python_version()}), one run each, "
        "with `../shared/bench/extract_eval.py` (scrapinghub metric; CWCE with `--tokenizer "
        "cjk-char`). The text scored is the plain text of the body the generic parser stores "
        "(images and captions kept, `favor_precision`, cleaned like every body); pages/s vary "
        "±15 %. Ours also times what the peer does not do: the parsel parse every parser "
        "shares, a copy of the tree, `clean_body`, the recall retry of rejected pages and, on "
        "the first page, the lazy trafilatura import.",
        "",
        "| extractor | dataset (pages) | F1 | P | R | pages/s | p50 ms | p95 ms | peak RSS "
        "| empty |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *(row("**generic (ours)**", r) for r in ours),
        *(row(f"{r['extractor']} (same session)", r) for r in peer),
        "",
        "Peers from `../shared/bench/README.md` (same machine kind, 2026-11-24):",
        "",
        "| extractor | scrapinghub F1 | pages/s | CWCE (zh) F1 | peak RSS |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {' | '.join(p)} |" for p in README_PEERS),
        "",
        f"Dates on CWCE (`published` → `parse_published`, compared as local dates): "
        f"{right} of {with_date} right, a date invented on {invented} of the {without} pages "
        f"that have none; trafilatura (README): {README_DATES}.",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(section: str, doc: Path = DOC) -> None:
    """Replace (or append) the delimited section; other sections stay as they are."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else HEADER
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--no-peer", action="store_true", help="skip the trafilatura runs")
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    args = parser.parse_args()
    if not HARNESS.is_file():
        print(f"{HARNESS} is absent: the benchmark needs ../shared beside the clone")
        return 1
    sys.path.insert(0, str(ROOT))
    ours = [run_harness(OURS, extra) for _, extra in RUNS]
    peer = [] if args.no_peer else [run_harness("trafilatura", extra) for _, extra in RUNS]
    section = render(ours, peer, date_scores())
    if args.no_write:
        print(section)
    else:
        write_section(section)
        print(f"rewrote the {BEGIN} section of {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
