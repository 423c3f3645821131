"""Measure the generic extractor against its peers; rewrite its part of ``docs/benchmarks.md``.

Body text: ``../shared/bench/extract_eval.py`` (one process per run, as its README asks) with
``crawler.parsers.generic:extract_text`` and the built-in ``trafilatura`` and ``readability``
peers, on the scrapinghub set (word tokenizer) and on CWCE (``--tokenizer cjk-char``). The
runs are interleaved, ``--rounds`` times, the order of the extractors rotating each round,
so that every extractor meets the same machine load; pages/s is the median of the rounds
(F1 does not change between rounds). Each set is also scored on two fixed halves (page id
hash), the split used while developing: half A for tuning, half B held out.

Metadata (not timed): title, author and date of every page by ``GenericParser`` and by
trafilatura's ``bare_extraction(with_metadata=True)``; author and date scored on CWCE's gold,
title (no gold in either set) as coverage and agreement between the two.

Usage: .venv/bin/python bench/bench_extract.py [--rounds N] [--no-write]  (default 5 rounds)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from docsection import write_section  # bench/docsection.py

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = ROOT.parent / "shared" / "bench"
HARNESS = SHARED_BENCH / "extract_eval.py"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:extract -->", "<!-- /bench:extract -->"
OURS = "crawler.parsers.generic:extract_text"
PRELOADED = "bench.generic_preloaded:extract_text"
"""The same function, trafilatura imported before timing (as the harness does for its peer)."""
PEERS = ("trafilatura", "readability")
DATASETS = {"scrapinghub": (), "cwce": ("--dataset", "cwce", "--tokenizer", "cjk-char")}
NO_VALUE = {"UNKNOWN", "UNKNWON", ""}
ZONE = ZoneInfo("Asia/Shanghai")


def half(page_id: str) -> str:
    """The fixed development split: ``A`` (tuned on) or ``B`` (held out)."""
    digest = hashlib.md5(page_id.encode(), usedforsecurity=False).digest()
    return "A" if digest[0] % 2 == 0 else "B"


def harness() -> Any:
    sys.path.insert(0, str(SHARED_BENCH))
    import extract_eval  # the third-party harness, read in place (never copied)

    return extract_eval


def run_harness(
    extractor: str, dataset: str, bootstrap: bool = True
) -> tuple[dict[str, Any], dict[str, str]]:
    """One harness process: its JSON result line and the texts it extracted (``bootstrap``
    off: 2 resamples instead of 1000, for the rounds that only time)."""
    with tempfile.TemporaryDirectory() as tmp:
        out, texts = Path(tmp) / "result.json", Path(tmp) / "texts.json"
        argv = [
            sys.executable,
            str(HARNESS),
            "--extractor",
            extractor,
            *DATASETS[dataset],
            "--json",
            str(out),
            "--save-output",
            str(texts),
            *(() if bootstrap else ("--n-bootstrap", "2")),
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])
        saved = json.loads(texts.read_text(encoding="utf-8"))
    print(f"{extractor:40} {dataset:12} F1 {result['f1']:.3f} {result['pages_per_s']:.1f} pages/s")
    return result, {k: v["articleBody"] for k, v in saved.items()}


def half_scores(dataset: str, texts: dict[str, str]) -> dict[str, float]:
    """F1 of ``texts`` on each half of ``dataset`` (the harness's own metric)."""
    ev = harness()
    ev._tokenizer_re = ev._CJK_TOKEN_RE if dataset == "cwce" else ev._TOKEN_RE
    ds = ev.DATASETS[dataset]()
    if dataset == "scrapinghub":
        gold = {k: v.get("articleBody", "") or "" for k, v in ds.gt.items()}
    else:
        gold = {pid: text for pid, _url, _path, text in ds.items}
    scores = {}
    for part in ("A", "B"):
        pairs = [(g, texts.get(k, "")) for k, g in gold.items() if half(k) == part]
        tp_fp_fn = [ev.string_shingle_matching(true=t, pred=p) for t, p in pairs]
        scores[part] = ev.metrics_from_tp_fp_fns(tp_fp_fn)["f1"]
    return scores


def available(peer: str) -> bool:
    try:
        harness().load_extractor(peer)
    except ImportError:
        print(f"{peer}: not installed, left out")
        return False
    return True


def bodies(rounds: int) -> list[dict[str, Any]]:
    """Interleaved harness runs; one summary per (extractor, dataset)."""
    extractors = [OURS, PRELOADED, *(p for p in PEERS if available(p))]
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    texts: dict[tuple[str, str], dict[str, str]] = {}
    for round_no in range(rounds):
        order = extractors[round_no % len(extractors) :] + extractors[: round_no % len(extractors)]
        for dataset in DATASETS:
            for extractor in order:
                result, extracted = run_harness(extractor, dataset, bootstrap=round_no == 0)
                runs.setdefault((extractor, dataset), []).append(result)
                texts.setdefault((extractor, dataset), extracted)
    rows = []
    for (extractor, dataset), results in runs.items():
        speeds = [r["pages_per_s"] for r in results]
        rows.append(
            {
                **results[0],
                "speeds": speeds,
                "pages_per_s": statistics.median(speeds),
                "halves": half_scores(dataset, texts[(extractor, dataset)]),
            }
        )
    return rows


def cpu_times(rounds: int) -> dict[str, dict[str, float]]:
    """Pages per CPU second in this process (``time.process_time``), best of ``rounds``
    interleaved passes over each set after one untimed warm-up pass (imports, justext's
    stop lists): the steady state, which other processes on a shared machine disturb less
    than wall time."""
    import time

    import trafilatura

    from crawler.parsers.generic import extract_text

    ev = harness()

    def peer(html: str, url: str) -> str | None:
        return trafilatura.extract(html, include_comments=False)

    funcs = {"ours": extract_text, "trafilatura": peer}
    if available("readability"):
        funcs["readability"] = ev.load_extractor("readability")[0]
    result: dict[str, dict[str, float]] = {}
    for dataset in DATASETS:
        pages = [(url, load()) for _pid, url, load in ev.DATASETS[dataset]().pages()]
        best: dict[str, float] = {}
        for func in funcs.values():
            for url, html in pages:
                func(html, url)
        for _ in range(rounds):
            for name, func in funcs.items():
                start = time.process_time()
                for url, html in pages:
                    func(html, url)
                spent = time.process_time() - start
                best[name] = min(best.get(name, spent), spent)
        result[dataset] = {name: len(pages) / spent for name, spent in best.items()}
        print(dataset, {k: round(v, 1) for k, v in result[dataset].items()}, "pages per CPU s")
    return result


def names(text: str) -> set[str]:
    return {n for n in re.split(r"[\s\u3000\xa0、，,]+", text.strip()) if n}


def same_day(found: Any, gold: str) -> bool:
    wanted = [int(n) for n in re.findall(r"\d+", gold)[:3]]
    if found is None or not wanted:
        return False
    local = found.astimezone(ZONE)
    return [local.year, local.month, local.day][: len(wanted)] == wanted


def metadata() -> dict[str, Any]:
    """Title/author/date of ours and trafilatura: CWCE gold scores, scrapinghub coverage."""
    import trafilatura

    from archive.normalize import parse_published
    from crawler.parsers.base import Page
    from crawler.parsers.generic import GenericParser

    ev = harness()

    def ours(html: str, url: str) -> tuple[str, str, Any]:
        page, parser = Page.from_html(html, url or "http://localhost/"), GenericParser.V1()
        fields, _failed = parser.parse(page, errors="suppress")
        return fields["title"], fields["author"], parse_published(fields["published"] or "")

    def theirs(html: str, url: str) -> tuple[str, str, Any]:
        doc = trafilatura.bare_extraction(html, url=url or None, with_metadata=True)
        if doc is None:
            return "", "", None
        return doc.title or "", doc.author or "", parse_published(doc.date or "")

    scores: dict[str, Any] = {}
    root = ev.DATA / "chinese-web-content-extraction"
    for name, func in (("ours", ours), ("trafilatura", theirs)):
        tally = {
            "author_right": 0,
            "author_gold": 0,
            "author_invented": 0,
            "author_none": 0,
            "date_right": 0,
            "date_gold": 0,
            "date_invented": 0,
            "date_none": 0,
            "title": 0,
            "pages": 0,
            "halves": {"A": [0, 0], "B": [0, 0]},
        }
        titles: dict[str, dict[str, str]] = {}
        for pid, _url, path, _gold in ev.cwce_dataset().items:
            title, author, found = func(ev._read_bytes_decoded(path), "")
            titles.setdefault("cwce", {})[pid] = title
            tally["pages"] += 1
            tally["title"] += bool(title.strip())
            gold_author = (root / "author" / f"{pid}.txt").read_text(encoding="utf-8").strip()
            gold_date = (root / "date" / f"{pid}.txt").read_text(encoding="utf-8").strip()
            if gold_author in NO_VALUE:
                tally["author_none"] += 1
                tally["author_invented"] += bool(author.strip())
            else:
                tally["author_gold"] += 1
                right = names(author) == names(gold_author)
                tally["author_right"] += right
                tally["halves"][half(pid)][0] += right
            if gold_date in NO_VALUE:
                tally["date_none"] += 1
                tally["date_invented"] += found is not None
            else:
                tally["date_gold"] += 1
                right = same_day(found, gold_date)
                tally["date_right"] += right
                tally["halves"][half(pid)][1] += right
        sh = {"title": 0, "author": 0, "date": 0, "pages": 0}
        for pid, url, load in ev.Scrapinghub().pages():
            title, author, found = func(load(), url)
            titles.setdefault("scrapinghub", {})[pid] = title
            sh["pages"] += 1
            sh["title"] += bool(title.strip())
            sh["author"] += bool(author.strip())
            sh["date"] += found is not None
        scores[name] = {"cwce": tally, "scrapinghub": sh, "titles": titles}
    for dataset in ("cwce", "scrapinghub"):
        a, b = scores["ours"]["titles"][dataset], scores["trafilatura"]["titles"][dataset]
        scores.setdefault("title_agreement", {})[dataset] = sum(
            " ".join(a[k].split()) == " ".join(b.get(k, "").split()) for k in a
        )
    return scores


NAMES = {
    OURS: "**generic (ours)**",
    PRELOADED: "**generic (ours)**, trafilatura imported before timing",
}


def row(r: dict[str, Any]) -> str:
    speeds = "/".join(f"{s:.1f}" for s in r["speeds"])
    name = NAMES.get(r["spec"], r["extractor"])
    return (
        f"| {name} | {r['dataset']} ({r['pages']}) | {r['f1']:.3f} ± {r['f1_std']:.3f} | "
        f"{r['precision']:.3f} | {r['recall']:.3f} | {r['halves']['A']:.3f} | "
        f"{r['halves']['B']:.3f} | **{r['pages_per_s']:.1f}** | {max(r['speeds']):.1f} | "
        f"{speeds} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['peak_rss_mb']:.0f} MB | "
        f"{r['empty_outputs']} |"
    )


def meta_rows(meta: dict[str, Any]) -> list[str]:
    lines = []
    for name in ("ours", "trafilatura"):
        c, s = meta[name]["cwce"], meta[name]["scrapinghub"]
        label = "**generic (ours)**" if name == "ours" else "trafilatura 2.3.1 (`with_metadata`)"
        lines.append(
            f"| {label} | {c['author_right']}/{c['author_gold']} "
            f"(A {c['halves']['A'][0]}, B {c['halves']['B'][0]}) | "
            f"{c['author_invented']}/{c['author_none']} | {c['date_right']}/{c['date_gold']} "
            f"(A {c['halves']['A'][1]}, B {c['halves']['B'][1]}) | "
            f"{c['date_invented']}/{c['date_none']} | {c['title']}/{c['pages']} | "
            f"{s['title']}/{s['pages']} | {s['author']}/{s['pages']} | {s['date']}/{s['pages']} |"
        )
    return lines


def render(
    rows: list[dict[str, Any]], meta: dict[str, Any], rounds: int, cpu: dict[str, Any]
) -> str:
    order = {OURS: 0, PRELOADED: 1, "trafilatura": 2, "readability": 3}
    rows = sorted(rows, key=lambda r: (r["dataset"] != "scrapinghub", order.get(r["spec"], 9)))
    agree = meta["title_agreement"]
    titles = meta["ours"]["titles"]
    halves_n = {ds: sum(half(k) == "A" for k in titles[ds]) for ds in titles}
    sizes = {ds: len(titles[ds]) for ds in titles}
    lines = [
        BEGIN,
        "## Generic extractor (`crawler.parsers.generic:extract_text`)",
        "",
        f"Measured {date.today().isoformat()} by `.venv/bin/python bench/bench_extract.py "
        f"--rounds {rounds}` on {os.cpu_count()} cores "
        f"({platform.python_implementation()} {platform.python_version()}); the machine is "
        "shared, so pages/s moves with the load of the moment. Each run is one process of "
        "`../shared/bench/extract_eval.py` (scrapinghub metric, ± = std of 1000 bootstraps), "
        "the same commands as:",
        "",
        "```sh",
        "PYTHONPATH=. .venv/bin/python ../shared/bench/extract_eval.py --extractor "
        "crawler.parsers.generic:extract_text",
        "PYTHONPATH=. .venv/bin/python ../shared/bench/extract_eval.py --extractor "
        "crawler.parsers.generic:extract_text --dataset cwce --tokenizer cjk-char",
        ".venv/bin/python ../shared/bench/extract_eval.py --extractor trafilatura  # readability",
        ".venv/bin/python ../shared/bench/extract_eval.py --extractor trafilatura --dataset cwce "
        "--tokenizer cjk-char",
        "```",
        "",
        f"The {rounds} rounds are interleaved (ours, ours preloaded, trafilatura, readability, on "
        "one set and then the other; the order rotates each round), so every extractor runs "
        "under the same load; **pages/s** is the median of the rounds, *best* the fastest. "
        "The harness imports an extractor's module before timing: for its trafilatura peer "
        "that includes `import trafilatura`, while the generic parser imports trafilatura on "
        "its first page (to keep it out of every `portal-archive` start-up), inside the timed "
        "region; the *trafilatura imported before timing* rows "
        "(`--extractor bench.generic_preloaded:extract_text`, the same function) time both on "
        "the same work. *Half A / B*: "
        f"F1 on two fixed halves of each set (md5 of the page id; scrapinghub "
        f"{halves_n['scrapinghub']}/{sizes['scrapinghub'] - halves_n['scrapinghub']} pages, "
        f"CWCE {halves_n['cwce']}/{sizes['cwce'] - halves_n['cwce']}); while developing, rules "
        "were checked on both, and none names a site. The text scored is the plain text of the "
        "body the generic parser stores (images and their captions kept).",
        "",
        "| extractor | dataset (pages) | F1 | P | R | half A | half B | pages/s median | best "
        "| rounds | p50 ms | p95 ms | peak RSS | empty |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *(row(r) for r in rows),
        "",
        f"Steady state in one process (`time.process_time`, best of {rounds} interleaved "
        "passes after an untimed warm-up pass; CPU time, which the machine's other load "
        "disturbs less than wall time), pages per CPU second:",
        "",
        "| dataset | " + " | ".join(cpu["scrapinghub"]) + " |",
        "| --- |" + " --- |" * len(cpu["scrapinghub"]),
        *(f"| {ds} | " + " | ".join(f"{v:.1f}" for v in cpu[ds].values()) + " |" for ds in cpu),
        "",
        "Title, author and date (not timed; `GenericParser.V1().parse(page)` against "
        "`trafilatura.bare_extraction(html, with_metadata=True)`). CWCE has gold authors "
        "(names compared as a set) and dates (compared as the local day in Asia/Shanghai, as "
        "far as the gold gives it); *invented* counts a value on a page whose gold has none. "
        "Neither set has gold titles: the title columns count pages with one, and the two "
        f"extractors' titles agree on {agree['cwce']}/{sizes['cwce']} CWCE and "
        f"{agree['scrapinghub']}/{sizes['scrapinghub']} scrapinghub pages.",
        "",
        "| extractor | CWCE author right | author invented | CWCE date right | date invented "
        "| CWCE title | scrapinghub title | scrapinghub author | scrapinghub date |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *meta_rows(meta),
        END,
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    args = parser.parse_args()
    if not HARNESS.is_file():
        print(f"{HARNESS} is absent: the benchmark needs ../shared beside the clone")
        return 1
    sys.path.insert(0, str(ROOT))
    rows = bodies(args.rounds)
    section = render(rows, metadata(), args.rounds, cpu_times(args.rounds))
    if args.no_write:
        print(section)
    else:
        write_section(section, BEGIN, END)
        print(f"rewrote the {BEGIN} section of {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
