"""Render the crash-safety and hostile-input figures of the last test run into docs/reliability.md.

The tests write ``bench/out/reliability/kill.json`` (tests/test_crash.py) and ``hostile.json``
(tests/test_hostile.py); this script turns them into the block between
``<!-- figures:crash:begin -->`` and ``<!-- figures:crash:end -->`` inside the figures section
(added before ``<!-- figures:end -->`` the first time; the rest of the file is left alone).

    .venv/bin/python bench/reliability_figures.py            # after make test or make soak
    .venv/bin/python bench/reliability_figures.py --check    # exit 1 if a figure says loss
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "bench" / "out" / "reliability"
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- figures:crash:begin -->", "<!-- figures:crash:end -->"
SECTION_END = "<!-- figures:end -->"


def _load(name: str) -> dict[str, Any] | None:
    path = FIGURES / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _failures(figures: dict[str, Any]) -> str:
    failed = int(figures.get("failed_tests", 0))
    return "no test failed" if not failed else f"**{failed} test(s) of that run failed**"


def render(kill: dict[str, Any] | None, hostile: dict[str, Any] | None) -> str:
    lines = [
        "**Crash safety and hostile input** (written by `bench/reliability_figures.py`",
        "from the JSON the tests wrote; not typed by hand)",
        "",
    ]
    if kill:
        commands = kill["commands"]
        lines += [
            f"Kill trials: measured {kill['measured_at']} on {kill['machine']} (busy, shared), "
            f"seed {kill['seed']}, {kill['trials_per_command']} trials per command, "
            f"{_failures(kill)}.",
            "",
            "| command | kill trials | verify failures | missing | duplicates | bytes differ "
            "| s per trial | where the kills landed |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for name, c in commands.items():
            landed = ", ".join(f"{k} {v}" for k, v in c["landed"].items())
            lines.append(
                f"| `{name}` | {c['trials']} | {c['verify_failures']} | {c['missing']} "
                f"| {c['duplicates']} | {c['differing']} "
                f"| {c.get('seconds_per_trial', '')} | {landed} |"
            )
        retried = sum(c.get("kills_retried", 0) for c in commands.values())
        total = sum(c["trials"] for c in commands.values())
        lines += [
            "",
            f"Kill trials in all: **{total}**, verify failures "
            f"**{sum(c['verify_failures'] for c in commands.values())}**, missing "
            f"**{sum(c['missing'] for c in commands.values())}**, duplicates "
            f"**{sum(c['duplicates'] for c in commands.values())}** "
            f"({retried} external kill(s) came after the run had finished and were "
            "redone from a fresh copy).",
            "",
        ]
    else:
        lines += ["Kill trials: no figures yet (run `make test` or `make soak`).", ""]
    if hostile:
        inputs = ", ".join(f"{k} {v}" for k, v in hostile["inputs"].items())
        lines += [
            f"Hostile inputs: **{hostile['total']}** tried (hypothesis profile "
            f"`{hostile['profile']}`, measured {hostile['measured_at']}), "
            f"{_failures(hostile)}: {inputs}.",
        ]
    else:
        lines += ["Hostile inputs: no figures yet."]
    return "\n".join(lines)


def update(doc: str, block: str) -> str:
    wrapped = f"{BEGIN}\n{block}\n{END}"
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        return head + wrapped + rest.split(END, 1)[1]
    if SECTION_END not in doc:
        raise SystemExit(f"{DOC}: no {SECTION_END} marker")
    return doc.replace(SECTION_END, f"{wrapped}\n{SECTION_END}", 1)


def losses(kill: dict[str, Any] | None) -> int:
    if not kill:
        return 0
    keys = ("verify_failures", "missing", "duplicates", "differing")
    return sum(c[k] for c in kill["commands"].values() for k in keys)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a figure shows loss")
    args = parser.parse_args()
    kill, hostile = _load("kill"), _load("hostile")
    block = render(kill, hostile)
    DOC.write_text(update(DOC.read_text(encoding="utf-8"), block), encoding="utf-8")
    print(block)
    return 1 if args.check and losses(kill) else 0


if __name__ == "__main__":
    sys.exit(main())
