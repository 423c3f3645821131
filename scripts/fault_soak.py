"""Fault soak: crawl the fault-mode demo portal under many seeds and check nothing is lost.

    python scripts/fault_soak.py                      # seeds 1-10, 120 articles, 3 runs each
    python scripts/fault_soak.py --seeds 1-3 --articles 60 --runs 2
    python scripts/fault_soak.py --write-docs docs/reliability.md   # also refresh the docs

Each seed gets a fresh archive and a fresh ``fault_portal("all", seed=…)``; every run is
compared with the portal's ground truth (``tests.support.faultcheck.problems``).
Exit code 1 when any seed shows a problem (each is printed). ``--write-docs`` rewrites the
``faults`` section (the fault catalogue) and this script's lines of the ``figures`` section
of docs/reliability.md, so the figures there always come from a run of this script.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from demo_portal.faults import CATALOGUE, FaultConfig, fault_portal  # noqa: E402
from tests.support.faultcheck import (  # noqa: E402
    CI_SETTINGS,
    crawl_faults,
    figures,
    problems,
    snapshot,
)

CONFIG = FaultConfig(
    stall=2.0, oversize_bytes=12 * 1024 * 1024, bomb_bytes=512 * 1024 * 1024, deadline=0.5
)  # the bomb's ~540 KB body passes DOWNLOAD_MAXSIZE (1 MiB); its 512 MiB inside must not

T = "tests/test_faults.py::"
PROVED_BY: dict[str, tuple[str, ...]] = {
    "transient": ("test_archive_matches_ground_truth", "test_failures_are_retried_next_run"),
    "permanent": (
        "test_archive_matches_ground_truth",
        "test_never_served_articles_are_failures_with_a_reason",
    ),
    "content": (
        "test_archive_matches_ground_truth",
        "test_content_faults_archived_with_the_served_text",
    ),
    "duplicate": ("test_duplicate_urls_archive_one_article", "test_archive_matches_ground_truth"),
    "robots": ("test_robots_txt_respected",),
    "listing": ("test_listing_page_failing_once_loses_nothing",),
    "http_503_retry_after": ("test_retry_after_honoured_within_the_cap",),
    "http_429": ("test_retry_after_honoured_within_the_cap",),
    "http_503_retry_later": ("test_retry_after_honoured_within_the_cap",),
    "redirect_offsite": ("test_offsite_redirect_never_followed",),
    "oversize": ("test_size_limits_cut_off_oversize_and_bombs",),
    "oversize_unsized": ("test_size_limits_cut_off_oversize_and_bombs",),
    "gzip_bomb": ("test_size_limits_cut_off_oversize_and_bombs",),
}
"""Fault name or group → the tests of tests/test_faults.py that prove its outcome."""


def proved_by(name: str, group: str) -> tuple[str, ...]:
    return (*PROVED_BY.get(name, ()), *PROVED_BY[group])


def seeds_of(text: str) -> list[int]:
    """``1-10`` or ``1,4,9`` → the seeds."""
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def soak_spec(articles: int) -> dict[str, float]:
    """Every fault, each on ``count × (articles // 50)`` articles (~80 % of them faulty)."""
    scale = max(1, articles // 50)
    return {f.name: float(f.count * scale) for f in CATALOGUE}


def soak_one(seed: int, articles: int, runs: int, images: bool) -> dict[str, Any]:
    settings = CI_SETTINGS if images else (*CI_SETTINGS, "ARCHIVE_IMAGES_DOWNLOAD=False")
    started = time.monotonic()
    spec = soak_spec(articles)
    with (
        tempfile.TemporaryDirectory(prefix="fault-soak-") as tmp,
        fault_portal(spec, seed=seed, generated=articles, config=CONFIG) as portal,
    ):
        injector = portal.faults
        assert injector is not None
        snaps = []
        found: list[str] = []
        for run in range(1, runs + 1):
            result = crawl_faults(Path(tmp), portal, settings)
            if result.returncode != 0:
                found.append(f"run {run}: exit {result.returncode}: {result.stderr[-500:]}")
                break
            snaps.append(snapshot(Path(tmp), injector, run, result.maxrss_kb))
            previous = snaps[-2] if len(snaps) > 1 else None
            found += [f"run {run}: {p}" for p in problems(snaps[-1], injector, previous)]
        fig = figures(snaps, injector) if snaps else {"seed": seed}
    fig["seconds"] = round(time.monotonic() - started, 1)
    fig["problems"] = found
    return fig


def totals(results: list[dict[str, Any]]) -> dict[str, Any]:
    keys = (
        "articles",
        "faulty_articles",
        "faults_injected",
        "served_ok",
        "served_late",
        "archived",
        "failures",
        "lost",
        "duplicates",
        "violations",
    )
    out: dict[str, Any] = {k: sum(r.get(k, 0) for r in results) for k in keys}
    out["seeds"] = len(results)
    out["fault_kinds"] = max((r.get("fault_kinds", 0) for r in results), default=0)
    out["peak_rss_mb"] = max((r.get("peak_rss_mb", 0) for r in results), default=0)
    out["problems"] = sum(len(r["problems"]) for r in results)
    out["seconds"] = round(sum(r["seconds"] for r in results), 1)
    return out


# --- docs --------------------------------------------------------------------------------------


def catalogue_markdown() -> str:
    lines = [
        "Generated by `python scripts/fault_soak.py --write-docs docs/reliability.md` from",
        "`demo_portal/faults.py` (`CATALOGUE`). Start the portal with",
        "`portal-archive demo-portal --faults SPEC --seed N` (SPEC: `all`, group or fault",
        "names, each optionally `=COUNT` or `=RATE`, e.g. `http_503,timeout=3`) and crawl",
        "the line it prints. Transient faults fail the first *N* requests of an article (N",
        "drawn by the seed from 1–3; with `RETRY_TIMES = 2` an article drawn 3 fails a whole",
        'run and is archived by the next); the portal logs every answer, so "served',
        'correctly at least once" is a fact of the log, not of the crawler.',
        "",
        "| Fault | Group | What the portal does | Expected outcome | `failures.reason` | "
        "Proved by |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in CATALOGUE:
        tests = ", ".join(f"`{t}`" for t in dict.fromkeys(proved_by(f.name, f.group)))
        lines.append(
            f"| `{f.name}` | {f.group} | {f.does} | {f.expect} | "
            f"{f'`{f.reason}`' if f.reason else '—'} | {tests} |"
        )
    lines += [
        "",
        "How the crawler copes (settings in docs/settings.md):",
        "",
        "* `crawler/downloader.py` — `PatientRetryMiddleware` (Scrapy's retry with `Retry-After`",
        "  honoured up to `ARCHIVE_RETRY_AFTER_MAX`, otherwise a back-off from",
        "  `ARCHIVE_RETRY_BACKOFF`; `RETRY_TIMES = 2`, 429 and 5xx in `RETRY_HTTP_CODES`),",
        "  `SafeRedirectMiddleware`/`SafeMetaRefreshMiddleware` (off-site redirects and loops",
        "  refused with a reason, `REDIRECT_MAX_TIMES = 5`, redirected requests never dropped",
        "  silently by the dupefilter), `SharedRobotsTxtMiddleware` (Scrapy 2.19 gives the parsed",
        "  robots.txt only to the first request waiting for it — with the asyncio reactor",
        "  `Deferred.asFuture` consumes the result — so a run that queues its retries at once",
        "  fetched forbidden paths; found by `test_robots_txt_respected`, upstream change",
        "  scrapy/scrapy#6802), and `failure_reason_of()` (typed reasons: `robots`, `too_large`,",
        "  `offsite_redirect`, `redirect_loop`, `too_many_redirects`).",
        "* `DOWNLOAD_MAXSIZE = 16 MiB`, `DOWNLOAD_WARNSIZE = 4 MiB`, `DOWNLOAD_TIMEOUT = 30`:",
        "  Scrapy cuts off bodies by `Content-Length`, by bytes received and while",
        "  decompressing, and the timeout covers the whole body (slow drips end).",
        "* `crawler/urls.py` — `UrlPolicy`: tracking parameters (`ARCHIVE_TRACKING_PARAMS`),",
        "  `m.`/`wap.` hosts and trailing slashes are removed from discovered article links",
        "  before the request; `<link rel=canonical>` is trusted only on the portal's hosts.",
        "* `crawler/encoding.py` — a `gbk` header over valid UTF-8 bytes is read as UTF-8.",
        "* A failure is recorded under the URL the spider asked for, not where its redirects",
        "  led, so the next run retries the listed URL.",
        "",
        f"All tests are in `{T.removesuffix('::')}`: one fixture crawls a 50-article portal",
        "with every fault (seed 1) twice over HTTP; `test_archive_matches_ground_truth` runs",
        "`faultcheck.problems()` after each run (archived exactly once with the served title,",
        "date and body end; every other listed article in `failures` with its reason; one",
        "file per row; no forbidden or off-site request; `crawl_runs` counts). Unit tests:",
        "`tests/test_crawler_urls.py`, `tests/test_crawler_downloader.py`,",
        "`tests/test_demo_portal_faults.py`.",
    ]
    return "\n".join(lines)


def figures_markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    t = totals(results)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            f"**Fault runs** (`python scripts/fault_soak.py --seeds {args.seeds} --articles "
            f"{args.articles} --runs {args.runs}`, {when}, {platform.python_version()}, "
            "busy 2-core machine):",
            "",
            "| seeds | articles | fault kinds | faulty articles | faults injected "
            "| served correctly "
            "| archived | in `failures` | lost | duplicates | forbidden/off-site requests "
            "| peak crawl RSS | wall time |",
            "| " + " | ".join(["---"] * 13) + " |",
            f"| {t['seeds']} | {t['articles']} | {t['fault_kinds']} | {t['faulty_articles']} | "
            f"{t['faults_injected']} | {t['served_ok']} | {t['archived']} | {t['failures']} | "
            f"**{t['lost']}** | **{t['duplicates']}** | {t['violations']} | "
            f"{t['peak_rss_mb']} MB | {t['seconds']} s |",
            "",
            f"Problems found by `faultcheck.problems()`: {t['problems']}. "
            "(faults injected = fault responses the portal sent; served correctly = articles "
            "whose page went out complete at least once; in `failures` = the permanent and "
            "robots faults, by design.)",
        ]
    )


def replace_section(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:begin -->\n)(.*?)(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"no <!-- {name}:begin/end --> markers")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(3), text, count=1)


FIGURES_BEGIN = "<!-- figures:faults:begin -->"
FIGURES_END = "<!-- figures:faults:end -->"


def write_docs(path: Path, results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    text = replace_section(path.read_text(encoding="utf-8"), "faults", catalogue_markdown())
    mine = f"{FIGURES_BEGIN}\n{figures_markdown(results, args)}\n{FIGURES_END}"
    if FIGURES_BEGIN in text:
        text = re.sub(
            re.escape(FIGURES_BEGIN) + ".*?" + re.escape(FIGURES_END),
            lambda _: mine,
            text,
            count=1,
            flags=re.S,
        )
    else:  # our lines go first in the shared figures section
        text = text.replace("<!-- figures:begin -->\n", "<!-- figures:begin -->\n" + mine + "\n", 1)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1-10", help="e.g. 1-10 or 1,5,9 (default 1-10)")
    parser.add_argument("--articles", type=int, default=120, help="articles per portal")
    parser.add_argument("--runs", type=int, default=3, help="crawls per seed (default 3)")
    parser.add_argument("--images", action="store_true", help="also download images")
    parser.add_argument("--write-docs", type=Path, metavar="MD", help="refresh docs sections")
    parser.add_argument("--json", action="store_true", help="one JSON line per seed")
    args = parser.parse_args(argv)
    results = []
    for seed in seeds_of(args.seeds):
        fig = soak_one(seed, args.articles, args.runs, args.images)
        results.append(fig)
        if args.json:
            sys.stdout.write(json.dumps(fig, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(
                f"seed {seed}: served {fig.get('served_ok')} archived "
                f"{fig.get('archived')} failures {fig.get('failures')} lost "
                f"{fig.get('lost')} duplicates {fig.get('duplicates')} "
                f"({fig['seconds']} s)\n"
            )
        for p in fig["problems"]:
            sys.stdout.write(f"  PROBLEM seed {seed}: {p}\n")
        sys.stdout.flush()
    t = totals(results)
    sys.stdout.write("total: " + json.dumps(t) + "\n")
    if args.write_docs:
        write_docs(args.write_docs, results, args)
    return 1 if t["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
