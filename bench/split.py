"""The frozen held-out split of the extraction benchmark sets (issue #15).

A page is held out when ``sha1(page id) mod 5 == 0`` (about one page in five); the page id is
the one ``../shared/bench/extract_eval.py`` uses (scrapinghub key, CWCE and WCXB file stem,
trafilatura-evaldata URL) and, for the GNE pages (no gold text: title/date/author by eye),
the file's path inside its folder. ``bench/heldout.json`` is the list it produced, written
once (``--write``) and committed before any tuning on the dev part; the benchmarks read that
list, not the hash, so the split cannot drift. It holds page ids only, no page content.

    .venv/bin/python bench/split.py            # check the committed list against the data
    .venv/bin/python bench/split.py --write    # (re)write it: only with a new data set
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "bench-data"
LIST = Path(__file__).resolve().parent / "heldout.json"


def hashed_held_out(page_id: str) -> bool:
    """The rule the list was made with."""
    return int(hashlib.sha1(page_id.encode(), usedforsecurity=False).hexdigest(), 16) % 5 == 0


def page_ids() -> Iterator[tuple[str, str]]:
    """(set, page id) of every page of every benchmark set present under ``../shared``."""
    sh = DATA / "scrapinghub-article-extraction-benchmark" / "ground-truth.json"
    for key in json.loads(sh.read_text(encoding="utf-8")):
        yield "scrapinghub", key
    cwce = DATA / "chinese-web-content-extraction"
    for html in sorted((cwce / "original").glob("*.html.gz")):
        pid = html.name.removesuffix(".html.gz")
        if (cwce / "cleaned" / f"{pid}.txt").exists():
            yield "cwce", pid
    for gt in sorted((DATA / "wcxb" / "dev-articles" / "ground-truth").glob("*.json.gz")):
        yield "wcxb-dev-articles", gt.name.split(".")[0]
    evaldata = DATA / "trafilatura-evaldata" / "evaldata.json"
    for url in sorted(json.loads(evaldata.read_text(encoding="utf-8"))):
        yield "trafilatura-evaldata", url
    gne = DATA / "gne-chinese-news-pages"
    for path in sorted(gne.rglob("*.html.gz")):
        yield "gne", path.relative_to(gne).as_posix()


@cache
def held_out_ids() -> dict[str, frozenset[str]]:
    """The committed held-out page ids per set."""
    lists: dict[str, list[str]] = json.loads(LIST.read_text(encoding="utf-8"))["held_out"]
    return {name: frozenset(ids) for name, ids in lists.items()}


def is_held_out(dataset: str, page_id: str) -> bool:
    return page_id in held_out_ids().get(dataset, frozenset())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write", action="store_true", help="write bench/heldout.json")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"{DATA} is absent")
        return 1
    counts: dict[str, list[int]] = {}
    held: dict[str, list[str]] = {}
    for name, pid in page_ids():
        counts.setdefault(name, [0, 0])[0] += 1
        if hashed_held_out(pid):
            counts[name][1] += 1
            held.setdefault(name, []).append(pid)
    for name, (total, out) in counts.items():
        print(f"{name:22} {total:4} pages, {out:3} held out, {total - out:4} dev")
    if args.write:
        doc = {
            "rule": "sha1(page id) mod 5 == 0; frozen before tuning (issue #15)",
            "pages": {name: total for name, (total, _out) in counts.items()},
            "held_out": held,
        }
        LIST.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {LIST.relative_to(ROOT)}")
        return 0
    frozen = held_out_ids()
    drift = {n for n in held if frozenset(held[n]) != frozen.get(n)}
    print("the committed list matches the data" if not drift else f"differs: {sorted(drift)}")
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
