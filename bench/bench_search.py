"""Benchmark of issue #4: search latency of ``portal-archive serve`` on a 100,000-article index.

Generates an index with the real schema (``archive.index.open_index``: FTS5 trigram table and
its triggers) holding N synthetic articles of Chinese tech-news text (seeded: each article
about one of 12 topics with its words, generic and function words, now and then another
topic's words, ~600 characters of body text), then starts
``portal-archive --archive DIR serve --port 0`` as a subprocess and times HTTP requests to
its JSON API from this process (wall time per request, one client, warm cache after one
warm-up round):

* ``zh-3`` — Datasette's search (``/index/articles.json?_search=…``) with 3-character Chinese
  terms, through the trigram index;
* ``en`` — the same with English words;
* ``short`` — the ``search_short`` canned query (LIKE on the base table) with 1–2 characters.

Search requests are timed twice: as the table page asks for them (row count and the four
metadata facets computed over the matches) and rows only (``_nocount=1&_nofacet=1``).
Latency percentiles are nearest-rank over every request of a class.

Prints a table and writes the ``<!-- bench:search -->`` section of ``docs/benchmarks.md``
(not with ``--quick``, which uses 2,000 articles to test the script)::

    .venv/bin/python bench/bench_search.py [--articles 100000] [--repeat 10] [--quick]

The generated archive is kept in ``bench/out/search-N/`` and reused by later runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import queue
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docsection import write_section  # bench/docsection.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.index import open_index  # noqa: E402 - after the path set-up above

OUT = ROOT / "bench" / "out"
DOC = ROOT / "docs" / "benchmarks.md"
SECTION_START = "<!-- bench:search -->"
SECTION_END = "<!-- /bench:search -->"
SEED = 4
BODY_CHARS = 2_000
"""Body text per article, at least (realistic news length; issue #13)."""

GENERIC = (
    "市场",
    "企业",
    "产能",
    "技术",
    "产业链",
    "价格",
    "需求",
    "增长",
    "出货量",
    "同比",
    "发布",
    "投资",
    "项目",
    "研发",
    "制造",
    "工艺",
    "政策",
    "补贴",
    "标准",
    "供应链",
    "订单",
    "营收",
    "利润",
    "季度",
    "上半年",
    "全年",
    "行业",
    "龙头",
    "厂商",
    "客户",
    "设备",
    "材料",
    "突破",
    "量产",
    "试点",
    "示范",
    "平台",
    "方案",
    "系统",
    "模块",
    "成本",
    "碳排放",
    "碳中和",
    "国内",
)
"""Words of every article."""
TOPICS: tuple[tuple[str, ...], ...] = (
    ("碳化硅", "功率器件", "衬底", "晶圆", "良率", "高压", "快充", "SiC", "IGBT"),
    ("锂电池", "正极材料", "负极材料", "电解液", "隔膜", "动力电池", "储能"),
    ("光伏", "组件", "硅料", "逆变器", "TOPCon", "HJT", "装机"),
    ("半导体", "芯片", "封装", "Chiplet", "晶圆厂", "国产化", "光刻"),
    ("新能源", "整车", "智能驾驶", "激光雷达", "LiDAR", "续航", "座舱"),
    ("充电桩", "换电", "电网", "运营商", "充电站", "快充"),
    ("氢燃料", "燃料电池", "加氢站", "重卡", "电解槽"),
    ("传感器", "物联网", "MEMS", "检测", "仪器"),
    ("机器人", "工业互联网", "自动化", "减速器", "伺服"),
    ("人工智能", "算力", "GPU", "服务器", "数据中心", "AI", "大模型"),
    ("显示面板", "MiniLED", "背光", "OLED", "电视"),
    ("5G", "基站", "光模块", "通信", "运营"),
)
"""Topical words: an article is about one topic and mentions others now and then."""
RARE = ("钙钛矿", "固态电池")
"""Words of about 1 article in 400."""
FUNCTION_WORDS = ("的", "在", "和", "是", "了", "将", "与", "也", "已", "对", "为", "从")
PORTALS = ("ofweek", "gg", "cnbeta")
AUTHORS = ("高科技行业门户", "高工锂电", "OFweek新能源汽车网", "OFweek光伏", "OFweek电子工程网")
CATEGORIES = ("新媒体", "高科技行业门户", "新闻", "锂电", "光伏", "半导体", "汽车")

QUERIES: dict[str, tuple[str, ...]] = {
    "zh-3": ("碳化硅", "锂电池", "半导体", "充电桩", "氢燃料", "传感器", "机器人", "钙钛矿"),
    "en": ("GPU", "Chiplet", "TOPCon", "LiDAR", "MiniLED"),
    "short": ("碳", "光伏", "芯片", "储能", "硅"),
}


@dataclass
class Sample:
    kind: str
    variant: str
    term: str
    ms: float
    matches: int
    facets_timed_out: int = 0


@dataclass
class Summary:
    kind: str
    variant: str
    samples: list[Sample] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        values = sorted(s.ms for s in self.samples)
        return values[max(0, math.ceil(q * len(values)) - 1)]

    @property
    def matches(self) -> str:
        counts = sorted({s.matches for s in self.samples})
        return f"{counts[0]:,}–{counts[-1]:,}" if len(counts) > 1 else f"{counts[0]:,}"


def words(rng: random.Random, topic: tuple[str, ...], n: int) -> Iterator[str]:
    for _ in range(n):
        roll = rng.random()
        if roll < 0.3:
            yield rng.choice(FUNCTION_WORDS)
        if roll < 0.68:
            yield rng.choice(GENERIC)
        elif roll < 0.98:
            yield rng.choice(topic)
        elif roll < 0.99999:
            yield rng.choice(rng.choice(TOPICS))
        else:
            yield rng.choice(RARE)


def sentence(rng: random.Random, topic: tuple[str, ...]) -> str:
    return "".join(words(rng, topic, rng.randint(8, 16))) + rng.choice("，。；。")


def article(rng: random.Random, n: int) -> dict[str, Any]:
    topic = rng.choice(TOPICS)
    title = "".join(words(rng, topic, rng.randint(4, 7)))
    paragraphs = []
    while sum(len(p) for p in paragraphs) < BODY_CHARS:
        paragraphs.append("".join(sentence(rng, topic) for _ in range(rng.randint(2, 4))))
    published = dt.datetime(2019, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
        minutes=rng.randint(0, 3_000_000)
    )
    url = f"https://bench.test/{n}.html"
    return {
        "id": f"{n:016x}",
        "url": url,
        "canonical_url": url,
        "portal": rng.choice(PORTALS),
        "title": title,
        "title_raw": title,
        "author": rng.choice(AUTHORS),
        "source": "",
        "categories": json.dumps(rng.sample(CATEGORIES, 3), ensure_ascii=False),
        "published": published.isoformat(),
        "language": "zh",
        "body": "".join(f"<p>{p}</p>" for p in paragraphs),
        "body_text": "\n".join(paragraphs),
        "image_count": 0,
        "parser": "bench.V1",
        "encoding": "utf-8",
        "path": f"bench/{published:%Y-%m}/{n}.md",
        "content_hash": "",
        "profile": "hexo",
        "image_mode": "origin",
        "first_seen": published.isoformat(),
        "last_seen": published.isoformat(),
        "fetched_at": published.isoformat(),
    }


def generate(root: Path, n: int) -> float:
    """Create ``root/index.db`` with ``n`` articles unless it already has them; the seconds the
    generation took (remembered in ``generated.json`` for a reused index)."""
    index, stamp = root / "index.db", root / "generated.json"
    if index.exists() and stamp.exists():
        with sqlite3.connect(index) as conn:
            (count,) = conn.execute("select count(*) from articles").fetchone()
        conn.close()
        if count == n:
            return float(json.loads(stamp.read_text(encoding="utf-8"))["seconds"])
    for stale in (index, stamp, root / "index.db-wal", root / "index.db-shm"):
        stale.unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rng = random.Random(SEED)
    db = open_index(index)
    db.execute("PRAGMA synchronous=OFF")
    batch = 2_000
    for start in range(0, n, batch):
        with db.atomic():
            db["articles"].insert_all(article(rng, i) for i in range(start, min(n, start + batch)))
        print(f"\r  generated {min(n, start + batch):,}/{n:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    seconds = time.perf_counter() - started
    stamp.write_text(json.dumps({"articles": n, "seconds": seconds}), encoding="utf-8")
    return seconds


class Server:
    """``portal-archive serve --port 0`` in a subprocess; its output drained by a thread."""

    def __init__(self, root: Path) -> None:
        argv = [
            sys.executable,
            "-m",
            "portal_archive",
            "--archive",
            str(root),
            "serve",
            "--port",
            "0",
        ]
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.drainer = threading.Thread(target=self._drain, daemon=True)
        self.drainer.start()
        self.url = self._wait_for_url()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + 120
        seen = []
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append(line)
            if match := re.search(r"Uvicorn running on (http://\S+)", line):
                return match.group(1)
        self.stop()
        raise SystemExit("serve did not start:\n" + "".join(seen))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.drainer.join(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def get(self, path: str) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        with urllib.request.urlopen(self.url + path, timeout=60) as response:
            body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed, json.loads(body)


def request_path(kind: str, variant: str, term: str) -> str:
    if kind == "short":
        return "/index/search_short.json?" + urllib.parse.urlencode(
            {"q": term, "_shape": "objects"}
        )
    params = {"_search": term, "_size": "20", "_shape": "objects"}
    if variant == "rows only":
        params.update({"_nocount": "1", "_nofacet": "1"})
    return "/index/articles.json?" + urllib.parse.urlencode(params)


def variants(kind: str) -> tuple[str, ...]:
    return ("canned query",) if kind == "short" else ("table page", "rows only")


def measure(server: Server, repeat: int) -> list[Summary]:
    summaries = {
        (kind, variant): Summary(kind, variant) for kind in QUERIES for variant in variants(kind)
    }
    for (kind, variant), _ in summaries.items():  # warm-up round
        for term in QUERIES[kind]:
            server.get(request_path(kind, variant, term))
    for _ in range(repeat):
        for (kind, variant), summary in summaries.items():
            for term in QUERIES[kind]:
                ms, data = server.get(request_path(kind, variant, term))
                if "error" in data and data.get("error"):
                    raise SystemExit(f"{kind} {term!r}: {data['error']}")
                matches = data.get("filtered_table_rows_count")
                if matches is None:
                    matches = len(data["rows"])
                timed_out = len(data.get("facets_timed_out", []))
                summary.samples.append(Sample(kind, variant, term, ms, matches, timed_out))
    return list(summaries.values())


def render_section(summaries: list[Summary], n: int, info: dict[str, Any]) -> str:
    date = dt.date.today().isoformat()
    lines = [
        SECTION_START,
        "## Search over the Datasette JSON API (`bench/bench_search.py`)",
        "",
        f"Measured {date} by `bench/bench_search.py` on {info['cores']} cores "
        f"(CPython {info['python']}, SQLite {info['sqlite']}): {n:,} synthetic articles "
        f"(~{info['chars']:,} characters of body text each, seeded Chinese tech vocabulary), "
        f"index {info['size_mb']:,.0f} MB, generated in {info['generate_s']:.0f} s "
        "(insert through the FTS triggers). One client, sequential requests to "
        "`portal-archive serve` over HTTP on 127.0.0.1, after a warm-up round; "
        f"{info['repeat']} rounds × each term.",
        "",
        "| query | request | terms | matches | requests | p50 ms | p95 ms | facets timed out |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    labels = {
        "zh-3": "Chinese, 3 characters (FTS5 trigram)",
        "en": "English word (FTS5 trigram)",
        "short": "1–2 characters (`search_short`, LIKE)",
    }
    for s in summaries:
        terms = " ".join(QUERIES[s.kind])
        timed_out = sum(x.facets_timed_out > 0 for x in s.samples)
        matches = s.matches if s.variant == "table page" else f"{s.matches} returned"
        lines.append(
            f"| {labels[s.kind]} | {s.variant} | {terms} | {matches} | {len(s.samples)} | "
            f"{s.percentile(0.5):.1f} | {s.percentile(0.95):.1f} | "
            f"{'—' if s.kind == 'short' else f'{timed_out}/{len(s.samples)}'} |"
        )
    lines += [
        "",
        "*table page* is what the search box asks for (20 rows, the row count, the portal, "
        "category, author and month facets over all matches); *rows only* adds "
        "`_nocount=1&_nofacet=1`. *matches* is the row count of the search (the other "
        "requests count no rows: they return 20, or for `search_short` at most 100). A "
        "facet that exceeds Datasette's `facet_time_limit_ms` (200 ms) is left out of the "
        "page, not an error. `serve` runs "
        "with `suggest_facets off`: Datasette's facet suggestions try every one of the 27 "
        "columns and took the table page to p50 2.4 s / p95 2.7 s (zh-3) on this index.",
        SECTION_END,
    ]
    return "\n".join(lines) + "\n"


def print_table(summaries: list[Summary]) -> None:
    print(f"\n{'query':<6} {'request':<13} {'matches':>15} {'n':>4} {'p50 ms':>8} {'p95 ms':>8}")
    for s in summaries:
        print(
            f"{s.kind:<6} {s.variant:<13} {s.matches:>15} {len(s.samples):>4} "
            f"{s.percentile(0.5):>8.1f} {s.percentile(0.95):>8.1f}"
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10, help="rounds over every term")
    parser.add_argument("--quick", action="store_true", help="2,000 articles, no doc update")
    parser.add_argument(
        "--out", type=Path, default=OUT, help="folder of the generated archives (reused)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    n = 2_000 if args.quick else args.articles
    root = args.out / f"search-{n}"
    generate_s = generate(root, n)
    index = root / "index.db"
    with sqlite3.connect(index) as conn:
        (chars,) = conn.execute("select avg(length(body_text)) from articles").fetchone()
    conn.close()
    server = Server(root)
    try:
        summaries = measure(server, args.repeat)
    finally:
        server.stop()
    print_table(summaries)
    if args.quick:
        return
    info = {
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "chars": round(chars or 0),
        "size_mb": index.stat().st_size / 1e6,
        "generate_s": generate_s,
        "repeat": args.repeat,
    }
    write_section(render_section(summaries, n, info), SECTION_START, SECTION_END)
    print(f"wrote the {SECTION_START} section of {DOC}")


if __name__ == "__main__":
    main()
