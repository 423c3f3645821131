"""Benchmark of issue #3: ``import`` and ``reindex`` throughput, ``fetch`` wall time on loopback.

Every measurement is one process of the real CLI (``.venv/bin/portal-archive``), timed from
``Popen`` to exit; its peak RSS is the child's ``ru_maxrss`` (``os.wait4``):

1. ``import`` of ``../shared/corpus/rsshub-page/posts`` (143 legacy posts) into a fresh archive,
   then ``reindex`` of that archive (median of ``--repeat`` runs, a fresh archive each);
2. ``import`` of N posts generated from the corpus' *shapes* into a fresh archive, then
   ``reindex`` of it (one run per N). Each generated post takes one corpus post's structure: its
   category folders, feed frame (``archive.hexo.FRAMES``), date form (RFC 1123 or the bare
   Dockone form, with or without seconds), headimg kind (first image, ``picsum`` placeholder,
   other URL) and its body's tag skeleton (tags, ``style``/``class`` and other layout attributes,
   whitespace between tags, proxied and plain image hosts). All text (titles, text nodes,
   comments, ``title``/``alt`` values) is generated from a vocabulary, with lengths scaled
   0.6–1.4×, and every URL gets a new path on the same host (proxy wrapper kept), so no corpus
   text is copied. Posts are rendered with ``archive.hexo.render_post`` into
   ``bench/out/import-N/src/<categories…>/<legacy file name>`` (kept and reused: seeded);
3. ``fetch URL --portal ofweek`` of one demo-portal article (``demo_portal.DemoPortal``
   in its own process on 127.0.0.1), median of ``--fetch-repeat`` runs with a fresh archive
   each, with the project's settings and with ``--set AUTOTHROTTLE_ENABLED=False``; the same
   runs with ``--log-level INFO`` split the time into start-up (process start → Scrapy's
   ``start_time``), crawl (``start_time`` → ``finish_time``) and shut-down.

Before each run the script waits (up to 60 s) for the machine to be idle and records how much
CPU other processes used during the run (the machine is shared). Prints a table and writes the
``<!-- bench:import -->`` section of ``docs/benchmarks.md`` (not with ``--quick``)::

    .venv/bin/python bench/bench_import.py [--sizes 100000] [--repeat 3] [--fetch-repeat 5]
    .venv/bin/python bench/bench_import.py --quick      # N = 2,000, no doc update
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import select
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from docsection import write_section  # bench/docsection.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# after the path set-up above
from archive.frontmatter_files import img_srcs  # noqa: E402
from archive.hexo import FRAMES, HexoFrame, legacy_filename, parse_post, render_post  # noqa: E402
from archive.importer import portal_for  # noqa: E402
from archive.normalize import rfc822  # noqa: E402

OUT = ROOT / "bench" / "out"
DOC = ROOT / "docs" / "benchmarks.md"
SECTION_START = "<!-- bench:import -->"
SECTION_END = "<!-- /bench:import -->"
CORPUS = ROOT.parent / "shared" / "corpus" / "rsshub-page" / "posts"
BIN = Path(sys.executable).parent
CLI = BIN / "portal-archive"
SEED = 3
GENERATOR_VERSION = 1
RUN_TIMEOUT = 3 * 3600.0
TZ = ZoneInfo("Asia/Shanghai")

# --------------------------------------------------------------------------- vocabulary

WORDS = (
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
    "国内",
    "海外",
    "碳化硅",
    "功率器件",
    "晶圆",
    "良率",
    "快充",
    "锂电池",
    "正极材料",
    "电解液",
    "隔膜",
    "储能",
    "光伏",
    "组件",
    "逆变器",
    "装机",
    "半导体",
    "芯片",
    "封装",
    "国产化",
    "新能源",
    "整车",
    "智能驾驶",
    "激光雷达",
    "续航",
    "座舱",
    "充电桩",
    "换电",
    "电网",
    "燃料电池",
    "传感器",
    "物联网",
    "检测",
    "仪器",
    "机器人",
    "自动化",
    "减速器",
    "人工智能",
    "算力",
    "服务器",
    "数据中心",
    "大模型",
    "显示面板",
    "背光",
    "基站",
    "光模块",
    "通信",
    "开源",
    "社区",
    "版本",
    "框架",
    "容器",
    "集群",
    "网关",
    "数据库",
    "用户",
    "产品",
    "运营",
    "体验",
    "手机",
    "屏幕",
    "处理器",
    "内存",
    "电池",
    "相机",
    "价格战",
    "渠道",
    "融资",
    "估值",
)
FUNCTION_WORDS = ("的", "在", "和", "是", "了", "将", "与", "也", "已", "对", "为", "从", "把")
PUNCTUATION = ("，", "，", "，", "。", "。", "、", "；", "：", "！")
ASCII_WORDS = (
    "GPU",
    "SiC",
    "IGBT",
    "AI",
    "5G",
    "OLED",
    "MiniLED",
    "TOPCon",
    "LiDAR",
    "Chiplet",
    "API",
    "Linux",
    "Kubernetes",
    "Docker",
    "release",
    "update",
    "cloud",
    "open",
    "source",
    "data",
    "model",
    "server",
    "chip",
    "battery",
    "market",
    "report",
    "version",
    "beta",
    "app",
    "the",
    "and",
    "new",
    "with",
    "for",
    "system",
    "design",
    "network",
    "device",
    "display",
    "power",
)
TITLE_MARKS = ("％", "~", "&", "+", "°", "！", "？", "，", "：", "…")
"""Characters the corpus titles hold besides words (full-width ``：？`` are kept by the legacy
title rule; ``:/\\?*“”<>|[]`` would be ``_``)."""

#: Attributes whose values are layout, not text: kept as found.
KEEP_ATTRS = frozenset(
    {
        "style",
        "class",
        "target",
        "referrerpolicy",
        "width",
        "height",
        "rel",
        "w",
        "h",
        "align",
        "data-width",
        "data-height",
        "data-w",
        "data-h",
        "contenteditable",
        "frameborder",
        "controls",
        "border",
        "allowfullscreen",
        "scrolling",
        "type",
        "valign",
        "colspan",
        "rowspan",
        "cellpadding",
        "cellspacing",
        "loading",
        "dir",
        "lang",
    }
)

_TOKEN = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>|<![^<>]*>", re.S)
_ATTR = re.compile(
    r"""(?P<name>[^\s"'<>/=]+)(?P<eq>\s*=\s*)(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<uq>[^\s"'=<>`]+))"""
)
_TAG_NAME = re.compile(r"</?[A-Za-z][\w-]*")
_URL_START = re.compile(r"(?i)^(?:https?:)?//")
_PROXY = re.compile(r"(?i)^(https?://[^/?#]+/\?)(https?://.+)$")
_EXT = re.compile(r"(\.[A-Za-z0-9]{1,5})?(![A-Za-z0-9_]+)?$")
_PLAIN_SEGMENT = re.compile(r"[A-Za-z]+")
_NUMERIC = re.compile(r"[\d.%px ]*")


# --------------------------------------------------------------------------- shapes


Slot = tuple[Any, ...]
"""``("text", length, ascii, spaces)``, ``("url", original)``; pieces are ``str | Slot``."""


@dataclass(frozen=True)
class Shape:
    """The structure of one corpus post, without its text."""

    categories: tuple[str, ...]
    author: str
    frame: HexoFrame
    bare_date: bool
    zero_seconds: bool
    head: str
    """``first`` (headimg = first image), ``placeholder`` (picsum) or ``url:<original>``."""
    title_len: int
    title_marks: tuple[str, ...]
    pieces: tuple[str | Slot, ...]


def _is_ascii_text(text: str) -> bool:
    letters = [c for c in text if not c.isspace()]
    return bool(letters) and sum(c.isascii() for c in letters) > 0.8 * len(letters)


def _text_slot(text: str, *, spaces: bool = True) -> list[str | Slot]:
    """Keep the whitespace around ``text`` (it is layout), slot the rest."""
    core = text.strip()
    if not core:
        return [text]
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return [lead, ("text", len(core), _is_ascii_text(core), spaces), trail]


def _value_slot(name: str, value: str, *, quoted: bool) -> list[str | Slot]:
    if not value or name.lower() in KEEP_ATTRS or _NUMERIC.fullmatch(value):
        return [value]
    if _URL_START.match(value):
        return [("url", value)]
    if name.lower() in {"href", "src", "data-original", "data-src", "_src", "srcset"}:
        return [value] if len(value) <= 12 else [("url", value)]  # "#", "javascript:;"
    return _text_slot(value, spaces=quoted)


def _tag_pieces(tag: str) -> list[str | Slot]:
    name = _TAG_NAME.match(tag)
    start = name.end() if name else 1
    pieces: list[str | Slot] = [tag[:start]]
    last = start
    for match in _ATTR.finditer(tag, start):
        group = next(g for g in ("dq", "sq", "uq") if match.group(g) is not None)
        vstart, vend = match.span(group)
        pieces.append(tag[last:vstart])
        pieces += _value_slot(match.group("name"), match.group(group), quoted=group != "uq")
        last = vend
    pieces.append(tag[last:])
    return pieces


def body_pieces(body: str) -> list[str | Slot]:
    """The body as layout text and slots for its text and URLs."""
    pieces: list[str | Slot] = []
    last = 0
    for match in _TOKEN.finditer(body):
        pieces += _text_slot(body[last : match.start()])
        token = match.group()
        if token.startswith("<!--"):
            pieces += ["<!--", *_text_slot(token[4:-3]), "-->"]
        else:
            pieces += _tag_pieces(token)
        last = match.end()
    pieces += _text_slot(body[last:])
    merged: list[str | Slot] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        elif piece != "":
            merged.append(piece)
    return merged


def corpus_shapes(corpus: Path = CORPUS) -> list[Shape]:
    shapes = []
    for path in sorted(corpus.rglob("*.md")):
        post = parse_post(path.read_text(encoding="utf-8"))
        meta = post.metadata
        categories = tuple(str(c) for c in meta["categories"])  # type: ignore[attr-defined]
        date = str(meta["date"])
        headimg = str(meta.get("headimg") or "")
        srcs = img_srcs(post.body_html)
        if srcs and headimg == srcs[0][0]:
            head = "first"
        elif "picsum.photos" in headimg or not headimg:
            head = "placeholder"
        else:
            head = "url:" + headimg
        title = str(meta["title"])
        marks = tuple(sorted({m for m in TITLE_MARKS if m in title}))
        if re.search(r"\d\.\d", title):
            marks += ("decimal",)
        if "_" in title:
            marks += ("_",)
        if "'" in title:
            marks += ("'",)
        if re.search(r"[A-Za-z]{2,}", title):
            marks += ("ascii",)
        shapes.append(
            Shape(
                categories=categories,
                author=str(meta["author"]),
                frame=FRAMES.get(portal_for(list(categories)), post.frame),
                bare_date=not date.endswith(" GMT"),
                zero_seconds=date.endswith((":00", ":00 GMT")),
                head=head,
                title_len=len(title),
                title_marks=marks,
                pieces=tuple(body_pieces(post.body_html)),
            )
        )
    return shapes


# --------------------------------------------------------------------------- generation


class Writer:
    """Generated text and URLs of one post (seeded per post)."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.rng = random.Random(SEED * 1_000_003 + index)
        self.urls: dict[str, str] = {}
        self.scale = self.rng.uniform(0.6, 1.4)

    def chinese(self, length: int) -> str:
        rng, out, size = self.rng, [], 0
        while size < length:
            word = rng.choice(WORDS) if rng.random() < 0.75 else rng.choice(FUNCTION_WORDS)
            if rng.random() < 0.12:
                word += rng.choice(PUNCTUATION)
            elif rng.random() < 0.04:
                word += str(rng.randint(2, 2025))
            out.append(word)
            size += len(word)
        return "".join(out)[:length]

    def ascii(self, length: int, spaces: bool) -> str:
        out, size = [], 0
        while size <= length:
            word = self.rng.choice(ASCII_WORDS)
            out.append(word)
            size += len(word) + 1
        return (" " if spaces else "-").join(out)[:length].strip() or "x"

    def text(self, length: int, ascii: bool, spaces: bool) -> str:
        length = max(1, round(length * self.scale))
        return self.ascii(length, spaces) if ascii else self.chinese(length)

    def url(self, original: str) -> str:
        if original not in self.urls:
            self.urls[original] = self._new_url(original)
        return self.urls[original]

    def _new_url(self, original: str) -> str:
        proxied = _PROXY.match(original)
        if proxied:
            return proxied.group(1) + self._new_url(proxied.group(2))
        parts = urlsplit(original)
        if parts.netloc == "picsum.photos":
            return f"https://picsum.photos/400/300?random={self.rng.randint(1, 9999)}"
        segments = [s for s in parts.path.split("/") if s]
        keep: list[str] = []
        for segment in segments[:-1]:
            if len(keep) == 3 or not _PLAIN_SEGMENT.fullmatch(segment):
                break
            keep.append(segment)
        ext = _EXT.search(segments[-1]).group() if segments else ""  # type: ignore[union-attr]
        name = f"{self.index:06d}{len(self.urls):02d}{self.rng.getrandbits(40):010x}{ext}"
        prefix = (parts.scheme + ":" if parts.scheme else "") + (
            "//" + parts.netloc if parts.netloc else ""
        )
        return "/".join([prefix, *keep, name]) if prefix else "/" + "/".join([*keep, name])

    def piece(self, piece: str | Slot) -> str:
        if isinstance(piece, str):
            return piece
        if piece[0] == "url":
            return self.url(piece[1])
        return self.text(piece[1], piece[2], piece[3])

    def title(self, shape: Shape) -> str:
        rng = self.rng
        length = max(4, min(60, round(shape.title_len * rng.uniform(0.8, 1.2))))
        parts = [self.chinese(max(2, length // 2))]
        for mark in shape.title_marks:
            if mark == "decimal":
                parts.append(f"{rng.randint(1, 999)}.{rng.randint(1, 99)}亿元")
            elif mark == "_":
                parts.append(f"_{rng.choice(WORDS)}_")
            elif mark == "'":
                parts.append(f"'{rng.choice(WORDS)}'")
            elif mark == "ascii":
                parts.append(f" {rng.choice(ASCII_WORDS)} ")
            elif mark == "％":
                parts.append(f"{rng.randint(1, 99)}％")
            else:
                parts.append(mark)
        parts.append(self.chinese(max(2, length - sum(map(len, parts)))))
        return "".join(parts).strip()

    def date(self, shape: Shape) -> str:
        start = dt.datetime(2021, 4, 1, tzinfo=dt.UTC).timestamp()
        end = dt.datetime(2022, 9, 30, tzinfo=dt.UTC).timestamp()
        moment = dt.datetime.fromtimestamp(int(self.rng.uniform(start, end)), dt.UTC)
        if shape.zero_seconds:
            moment = moment.replace(second=0)
        if shape.bare_date:
            return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
        return rfc822(moment)


def generate_post(shape: Shape, index: int, suffix: str = "") -> tuple[str, str]:
    """``(title, file text)`` of generated post ``index`` in ``shape`` (``suffix`` is added to
    the title, to make it unique in its folder)."""
    writer = Writer(index)
    body = "".join(writer.piece(p) for p in shape.pieces)
    title = writer.title(shape) + suffix
    if shape.head == "first":
        head = img_srcs(body)[0][0]
    elif shape.head == "placeholder":
        head = f"https://picsum.photos/400/300?random={writer.rng.randint(1, 9999)}"
    else:
        head = writer.url(shape.head.removeprefix("url:"))
    metadata = {
        "title": title,
        "categories": list(shape.categories),
        "headimg": head,
        "author": shape.author,
        "comments": False,
        "date": writer.date(shape),
        "thumbnail": head,
    }
    return title, render_post(metadata, body, shape.frame)


def generate(n: int, dest: Path) -> tuple[float, dict[str, Any]]:
    """Write ``n`` generated posts below ``dest`` (reused when already complete)."""
    stamp = dest.with_name("source.json")
    if stamp.is_file() and dest.is_dir():
        info = json.loads(stamp.read_text())
        if info.get("n") == n and info.get("version") == GENERATOR_VERSION:
            return float(info["seconds"]), info
    shutil.rmtree(dest, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    started = time.perf_counter()
    shapes = corpus_shapes()
    order = random.Random(SEED)
    names: set[tuple[str, str]] = set()
    size = bare = proxied = images = 0
    for index in range(n):
        shape = order.choice(shapes)
        title, text = generate_post(shape, index)
        folder = dest.joinpath(*shape.categories)
        name = legacy_filename(title)
        if (str(folder), name) in names:  # short titles repeat now and then
            title, text = generate_post(shape, index, f" {index}")
            name = legacy_filename(title)
            if (str(folder), name) in names:
                raise SystemExit(f"duplicate generated title {title!r}")
        names.add((str(folder), name))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
        size += len(text.encode())
        bare += shape.bare_date
        proxied += "cors.zfour.workers.dev" in text
        images += text.count("<img")
    seconds = time.perf_counter() - started
    info = {
        "n": n,
        "version": GENERATOR_VERSION,
        "seconds": seconds,
        "bytes": size,
        "bare_dates": bare,
        "proxied_posts": proxied,
        "images": images,
    }
    stamp.write_text(json.dumps(info, indent=1) + "\n")
    return seconds, info


# --------------------------------------------------------------------------- processes


def machine_busy_seconds() -> float:
    """CPU seconds all processes have used since boot (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def wait_idle(limit: float = 0.25, patience: float = 60.0) -> float:
    """Wait until the machine used less than ``limit`` cores over a second; the last load."""
    deadline = time.monotonic() + patience
    while True:
        before = machine_busy_seconds()
        time.sleep(1.0)
        load = machine_busy_seconds() - before
        if load < limit or time.monotonic() > deadline:
            return load


def process_cpu(pid: int | None) -> float:
    """User + system CPU seconds process ``pid`` has used so far (0 without one)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    argv: list[str]
    wall: float
    maxrss_kib: int
    cpu: float
    others: float
    """Cores other processes used on average during the run."""
    code: int
    started: float
    """``time.time()`` when the process was started."""
    output: str


def display(argv: Sequence[str]) -> str:
    shown = []
    for arg in argv:
        path = Path(arg)
        if path.is_absolute() and path.is_relative_to(ROOT):
            arg = path.relative_to(ROOT).as_posix()
        elif path.is_absolute() and path.is_relative_to(ROOT.parent / "shared"):
            arg = "../" + path.relative_to(ROOT.parent).as_posix()
        shown.append(arg)
    return shlex.join(shown)


def shown(argv: Sequence[str], archive: Path, url: str = "") -> str:
    """``argv`` as the doc shows it: ``DIR`` for the archive, ``URL`` for the article."""
    return display(["DIR" if a == str(archive) else "URL" if url and a == url else a for a in argv])


def run(
    argv: list[str], *, idle: bool = True, check: bool = True, helper: int | None = None
) -> Run:
    """Run ``argv`` from the repository root as one process and measure it. The CPU of the
    ``helper`` process (the demo portal) is not counted as others' load."""
    if idle:
        wait_idle()
    busy = machine_busy_seconds() - process_cpu(helper)
    started = time.time()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(proc.stdout or []), daemon=True)
    reader.start()
    timer = threading.Timer(RUN_TIMEOUT, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - start
    reader.join()
    proc.stdout.close()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    others = max(0.0, machine_busy_seconds() - process_cpu(helper) - busy - cpu) / wall
    output = b"".join(chunks).decode("utf-8", errors="replace")
    if check and code != 0:
        raise SystemExit(f"{display(argv)} exited with {code}:\n{output[-3000:]}")
    return Run(argv, wall, usage.ru_maxrss, cpu, others, code, started, output)


def cli(archive: Path, *args: str) -> list[str]:
    return [str(CLI), "--archive", str(archive), *args]


# --------------------------------------------------------------------------- import/reindex


@dataclass
class Measure:
    label: str
    command: str
    posts: int
    runs: list[Run]
    identical: int | None = None
    imported: int | None = None

    @property
    def median(self) -> Run:
        ordered = sorted(self.runs, key=lambda r: r.wall)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def rate(self) -> float:
        return self.posts / self.median.wall


_IDENTICAL = re.compile(r"(\d+)/(\d+) re-rendered byte-identical")
_REINDEXED = re.compile(r"reindexed (\d+) articles")


def count_rows(archive: Path) -> int:
    with sqlite3.connect(archive / "index.db") as conn:
        (rows,) = conn.execute("select count(*) from articles").fetchone()
    conn.close()
    return int(rows)


def import_and_reindex(
    label: str,
    source: Path,
    posts: int,
    work: Path,
    repeat: int,
    *,
    keep: bool = False,
    settings: Sequence[str] = (),
    reindex: bool = True,
) -> list[Measure]:
    """``import`` of ``source`` into a fresh archive, then ``reindex`` of it, ``repeat`` times."""
    extra = [arg for setting in settings for arg in ("--set", setting)]
    suffix = "".join(f", {setting}" for setting in settings)
    imports = Measure(f"import {label}{suffix}", "", posts, [])
    reindexes = Measure(f"reindex {label}", "", posts, [])
    for attempt in range(repeat):
        archive = work / f"archive-{attempt}"
        shutil.rmtree(archive, ignore_errors=True)
        argv = [*cli(archive, *extra), "import", str(source)]
        result = run(argv)
        found = _IDENTICAL.search(result.output)
        if not found or count_rows(archive) != posts:
            raise SystemExit(f"{display(argv)}: expected {posts} posts:\n{result.output[-3000:]}")
        imports.identical, imports.imported = int(found.group(1)), int(found.group(2))
        imports.runs.append(result)
        imports.command = shown(argv, archive)
        print(f"  {imports.label}: {result.wall:.2f} s, {imports.identical}/{posts} identical")
        if reindex:
            argv = cli(archive, "reindex")
            result = run(argv)
            found = _REINDEXED.search(result.output)
            if not found or int(found.group(1)) != posts:
                raise SystemExit(f"{display(argv)}: expected {posts}:\n{result.output[-3000:]}")
            reindexes.runs.append(result)
            reindexes.command = shown(argv, archive)
            print(f"  {reindexes.label}: {result.wall:.2f} s")
        if not keep:
            shutil.rmtree(archive, ignore_errors=True)
    return [imports, reindexes] if reindex else [imports]


# --------------------------------------------------------------------------- phases


PhaseTable = list[tuple[str, float]]
"""``(label, seconds)`` rows: the total first, then each phase and its parts, then the rest."""

Layout = Sequence[tuple[Any, str, str, Sequence[tuple[Any, str, str]]]]
"""``(module, function, label, parts)`` with parts ``(module, function, label)``."""


class Phases:
    """Wall time spent in named library functions (wrapped in this process)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        func = getattr(owner, name)
        self.seconds[label] = 0.0

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start

        self._undo.append((owner, name, func))
        setattr(owner, name, timed)

    def restore(self) -> None:
        for owner, name, func in reversed(self._undo):
            setattr(owner, name, func)
        self._undo.clear()


def timed_phases(layout: Layout, work: Any) -> PhaseTable:
    """Run ``work()`` with the functions of ``layout`` timed; the rows of the table."""
    phases = Phases()
    for owner, name, label, parts in layout:
        phases.wrap(owner, name, label)
        for part_owner, part_name, part_label in parts:
            phases.wrap(part_owner, part_name, "  of which " + part_label)
    try:
        start = time.perf_counter()
        work()
        total = time.perf_counter() - start
    finally:
        phases.restore()
    rows: PhaseTable = [("total", total)]
    for _owner, _name, label, parts in layout:
        rows.append((label, phases.seconds[label]))
        rows += [("  of which " + p[2], phases.seconds["  of which " + p[2]]) for p in parts]
    top = sum(phases.seconds[entry[2]] for entry in layout)
    rows.append(("everything else", total - top))
    return rows


def phase_breakdown(source: Path, limit: int, work: Path) -> dict[str, PhaseTable]:
    """Where ``import`` and ``reindex`` spend their time, for the first ``limit`` posts of
    ``source``, in this process (the library calls the CLI makes, with timing wrappers)."""
    from archive import frontmatter_files, importer, index, maintenance, search, store, writer

    root = work / "phases"
    shutil.rmtree(root, ignore_errors=True)
    sources = importer.collect_sources([source])[:limit]

    def import_all() -> None:  # as the CLI: batches, the index loaded in bulk when it pays
        batch = importer.IMPORT_BATCH
        with (
            store.Archive(root, frontmatter_files.ExportOptions()) as archive,
            archive.bulk_index(len(sources)),
        ):
            for start in range(0, len(sources), batch):
                importer.import_batch(archive, sources[start : start + batch])

    import_layout: Layout = [
        (
            importer,
            "parse_import",
            "parse_import",
            [
                (importer, "parse_post", "parse_post (YAML front matter)"),
                (importer, "_unwrap_images", "image scan (html.parser)"),
                (importer, "html_to_text", "html_to_text (lxml)"),
            ],
        ),
        (
            writer,
            "render_entry",
            "render_entry (YAML dump, image URLs, sidecar JSON)",
            [(writer, "render_article", "render_article")],
        ),
        (writer, "_plan", "plan (compare with the files on disk)", []),
        (writer, "_write_temps", "write temp files (post + sidecar)", []),
        (writer, "_sync_files", "flush (syncfs / fsync)", []),
        (writer, "_rename", "rename into place", []),
        (index, "save_articles", "index.save_articles (SQLite rows)", []),
        (search, "rebuild_search_index", "rebuild the search indexes (FTS5, once)", []),
    ]
    reindex_layout: Layout = [
        (maintenance, "_read_sidecar", "read sidecar (JSON)", []),
        (maintenance, "parse_post", "parse_post (YAML front matter)", []),
        (maintenance, "stored_body", "stored_body (image URLs back)", []),
        (maintenance, "html_to_text", "html_to_text (lxml)", []),
        (maintenance, "content_hash", "content_hash", []),
        (index, "save_articles", "index.save_articles (SQLite rows)", []),
        (search, "rebuild_search_index", "rebuild the search indexes (FTS5, once)", []),
    ]
    try:
        tables = {
            "import": timed_phases(import_layout, import_all),
            "reindex": timed_phases(reindex_layout, lambda: maintenance.reindex(root)),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return tables


def phase_lines(tables: dict[str, PhaseTable], posts: int) -> list[str]:
    lines = []
    for command, rows in tables.items():
        total = rows[0][1]
        lines.append(f"| **{command}** | {total:.1f} | {1000 * total / posts:.2f} | 100 % |")
        for label, seconds in rows[1:]:
            label = label.replace("  of which ", "… of which ")
            lines.append(
                f"| {label} | {seconds:.1f} | {1000 * seconds / posts:.2f} | "
                f"{100 * seconds / total:.0f} % |"
            )
    return lines


# --------------------------------------------------------------------------- fetch

PORTAL_CODE = """
from demo_portal import DemoPortal
portal = DemoPortal(port=0)
article = next(a for a in portal.listed_articles if a.title)
print(portal.article_url(article), flush=True)
portal.serve_forever()
"""


class PortalProcess:
    """The demo portal in its own process; ``url`` is one article with images."""

    def __init__(self, log: Path) -> None:
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", PORTAL_CODE],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        self.url = self.proc.stdout.readline().decode().strip() if ready else ""
        if not self.url.startswith("http://"):
            self.close()
            raise SystemExit(f"demo portal did not start: {log.read_text()[-2000:]}")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()


@dataclass
class FetchMeasure:
    label: str
    command: str
    runs: list[Run] = field(default_factory=list)
    phases: list[tuple[float, float, float]] = field(default_factory=list)
    """(start-up, crawl, shut-down) seconds of the ``--log-level INFO`` runs."""
    requests: int = 0

    def median(self, values: Sequence[float]) -> float:
        return statistics.median(values) if values else float("nan")


_STAT_TIME = re.compile(
    r"'(start_time|finish_time)': datetime\.datetime\((\d+), (\d+), (\d+), (\d+), (\d+), (\d+)"
    r"(?:, (\d+))?"
)
_REQUESTS = re.compile(r"'downloader/request_count': (\d+)")


def scrapy_times(output: str) -> dict[str, float]:
    times = {}
    for match in _STAT_TIME.finditer(output):
        y, mo, d, h, mi, s = (int(g) for g in match.groups()[1:7])
        micro = int(match.group(8) or 0)
        moment = dt.datetime(y, mo, d, h, mi, s, micro, tzinfo=dt.UTC)
        times[match.group(1)] = moment.timestamp()
    return times


def measure_fetch(work: Path, repeat: int) -> tuple[list[FetchMeasure], dict[str, float]]:
    portal = PortalProcess(work / "portal.log")
    measures = []
    try:
        variants = [
            ("project settings", []),
            ("AUTOTHROTTLE_ENABLED=False", ["--set", "AUTOTHROTTLE_ENABLED=False"]),
        ]
        for label, extra in variants:
            measure = FetchMeasure(label, "")
            for attempt in range(2 * repeat):
                archive = work / f"fetch-{attempt}"
                shutil.rmtree(archive, ignore_errors=True)
                timed = attempt < repeat
                log = [] if timed else ["--log-level", "INFO"]
                argv = [*cli(archive, *extra, *log), "fetch", portal.url, "--portal", "ofweek"]
                result = run(argv, helper=portal.proc.pid)
                if count_rows(archive) != 1:
                    raise SystemExit(f"{display(argv)} archived no article:\n{result.output}")
                if timed:
                    measure.runs.append(result)
                    measure.command = shown(argv, archive, portal.url)
                else:
                    times = scrapy_times(result.output)
                    end = result.started + result.wall
                    start, finish = times["start_time"], times["finish_time"]
                    measure.phases.append((start - result.started, finish - start, end - finish))
                    found = _REQUESTS.search(result.output)
                    measure.requests = int(found.group(1)) if found else 0
                shutil.rmtree(archive, ignore_errors=True)
            walls = [r.wall for r in measure.runs]
            print(f"  fetch, {label}: median {measure.median(walls):.2f} s")
            measures.append(measure)
    finally:
        portal.close()
    startup = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "portal-archive --version": [str(CLI), "--version"],
        "python -c 'import portal_archive.runner'": [
            sys.executable,
            "-c",
            "import portal_archive.runner",
        ],
    }
    overheads = {}
    for label, argv in startup.items():
        overheads[label] = statistics.median(run(argv, idle=False).wall for _ in range(repeat))
    return measures, overheads


# --------------------------------------------------------------------------- output


def machine_info() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split()[1]
    import scrapy

    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu": model,
        "ram_gb": int(mem) / 1024 / 1024,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "scrapy": scrapy.__version__,
        "kernel": platform.release(),
    }


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def table_rows(measures: Sequence[Measure], overhead: float) -> list[list[str]]:
    rows = []
    for m in measures:
        r = m.median
        net = r.wall - overhead
        identical = "—"
        if m.imported and m.identical is not None:
            share = 100 * m.identical / m.imported
            identical = f"{m.identical:,}/{m.imported:,} ({share:.1f} %)"
        rows.append(
            [
                m.label,
                f"{m.posts:,}",
                str(len(m.runs)),
                f"{r.wall:.2f}",
                f"{m.rate:,.0f}",
                f"{m.posts / net:,.0f}" if net > 0 else "—",
                mib(r.maxrss_kib),
                f"{r.cpu:.1f}",
                identical,
                f"{r.others:.2f}",
            ]
        )
    return rows


HEADERS = [
    "run",
    "posts",
    "runs",
    "wall s",
    "posts/s",
    "posts/s after start-up",
    "peak RSS",
    "CPU s",
    "byte-identical",
    "others' cores",
]
FETCH_HEADERS = [
    "fetch",
    "runs",
    "median s",
    "min–max s",
    "peak RSS",
    "CPU s",
    "start-up s",
    "crawl s",
    "shut-down s",
    "others' cores",
]


def fetch_rows(measures: Sequence[FetchMeasure]) -> list[list[str]]:
    rows = []
    for m in measures:
        walls = [r.wall for r in m.runs]
        mid = sorted(m.runs, key=lambda r: r.wall)[(len(m.runs) - 1) // 2]
        start, crawl, stop = (m.median([p[i] for p in m.phases]) for i in range(3))
        rows.append(
            [
                m.label,
                str(len(m.runs)),
                f"{statistics.median(walls):.2f}",
                f"{min(walls):.2f}–{max(walls):.2f}",
                mib(max(r.maxrss_kib for r in m.runs)),
                f"{mid.cpu:.2f}",
                f"{start:.2f}",
                f"{crawl:.2f}",
                f"{stop:.2f}",
                f"{statistics.median(r.others for r in m.runs):.2f}",
            ]
        )
    return rows


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


@dataclass
class Results:
    measures: list[Measure]
    overhead: float
    generated: dict[int, dict[str, Any]]
    fetch: list[FetchMeasure]
    startup: dict[str, float]
    phases: dict[str, PhaseTable]
    phase_posts: int
    argv: list[str]


def render_body(res: Results, info: dict[str, Any]) -> list[str]:
    date = dt.date.today().isoformat()
    corpus = next(m for m in res.measures if m.label == "import corpus")
    gen_notes = "; ".join(
        f"N = {n:,}: {g['bytes'] / 1e6:,.0f} MB of posts, {g['images']:,} `<img>`, "
        f"{g['proxied_posts']:,} posts with proxied images, {g['bare_dates']:,} bare dates, "
        f"generated in {g['seconds']:.0f} s"
        for n, g in sorted(res.generated.items())
    )
    fetch = res.fetch[0]
    lines = [
        "## Import, reindex and fetch (`bench/bench_import.py`)",
        "",
        f"Measured {date} by `{shlex.join(res.argv)}` on {info['cores']} cores ({info['cpu']}, "
        f"{info['ram_gb']:.0f} GB RAM, Linux {info['kernel']}; CPython {info['python']}, "
        f"SQLite {info['sqlite']}, Scrapy {info['scrapy']}). Every figure is one process of "
        "the real CLI, timed from start to exit; peak RSS is that process's `ru_maxrss` "
        "(`os.wait4`). Every import goes into a fresh archive; `reindex` rebuilds the index "
        "of the archive just imported (its files in the page cache). *posts/s after "
        f"start-up* subtracts the {res.overhead:.2f} s an import of an empty folder takes "
        "(interpreter, imports, settings). *others' cores* is the CPU other processes used "
        "during the run: the machine is shared, so the script waits for it to be idle before "
        "each run; disk contention (every post and sidecar is fsynced) is not in that figure.",
        "",
        f"* corpus: `{corpus.command}`, then `… reindex`; median of the runs shown",
        "* generated: posts shaped like the corpus (its category folders, feed frames, date "
        "forms, placeholders, proxied and plain image hosts, tag skeletons; all text and URL "
        "paths generated), written to `bench/out/import-N/src/`, imported with "
        "`… import bench/out/import-N/src`, then `… reindex`, one run each "
        f"({gen_notes})",
        "",
        *markdown_table(HEADERS, table_rows(res.measures, res.overhead)),
        "",
    ]
    if res.phases:
        lines += [
            f"Where the time goes, for the first {res.phase_posts:,} generated posts: the same "
            "library calls as the CLI, in the bench process, with timing wrappers around the "
            "functions named (per post = seconds / posts).",
            "",
            "| phase | s | ms per post | share |",
            "| --- | --- | --- | --- |",
            *phase_lines(res.phases, res.phase_posts),
            "",
        ]
    lines += [
        f"`fetch` of one demo-portal article ({fetch.requests} requests: robots.txt, the page, "
        "its images; the portal runs in its own process on 127.0.0.1, its CPU is not counted "
        f"as others') into a fresh archive each run: `{fetch.command}`, and the same with "
        "`--set AUTOTHROTTLE_ENABLED=False`. Start-up / crawl / shut-down are medians of as "
        "many extra runs with `--log-level INFO`: process start → Scrapy's `start_time`, "
        "`start_time` → `finish_time`, `finish_time` → exit.",
        "",
        *markdown_table(FETCH_HEADERS, fetch_rows(res.fetch)),
        "",
        "Start-up costs (median wall time): "
        + ", ".join(f"`{k}` {v:.2f} s" for k, v in res.startup.items())
        + ". With the project's settings AutoThrottle starts at `AUTOTHROTTLE_START_DELAY` "
        "= 1 s between requests to the host (randomized 0.5–1.5×), so the crawl of one URL "
        "with its images is mostly waiting; without it the crawl takes milliseconds and "
        "start-up (importing Scrapy and Twisted, loading the spiders, opening the index) "
        "dominates.",
    ]
    return lines


def render_section(res: Results, info: dict[str, Any]) -> str:
    return "\n".join([SECTION_START, *render_body(res, info), SECTION_END]) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[100_000],
        help="generated archive sizes (default: 100000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of the corpus import")
    parser.add_argument("--fetch-repeat", type=int, default=5, help="runs per fetch variant")
    parser.add_argument("--quick", action="store_true", help="N = 2,000, no doc update")
    parser.add_argument("--keep", action="store_true", help="keep the generated archives")
    parser.add_argument(
        "--phase-posts",
        type=int,
        default=5_000,
        help="posts of the smallest size timed per phase (0: skip)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = [2_000] if args.quick else args.sizes
    if not CORPUS.is_dir():
        raise SystemExit(f"no corpus at {CORPUS} (../shared beside the clone)")
    work = OUT / "import-work"
    work.mkdir(parents=True, exist_ok=True)
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    overhead = statistics.median(
        run(cli(work / "archive-empty", "import", str(empty))).wall for _ in range(args.repeat)
    )
    print(f"import of an empty folder: {overhead:.2f} s")
    corpus_posts = sum(1 for _ in CORPUS.rglob("*.md"))
    print(f"corpus: {corpus_posts} posts")
    measures = import_and_reindex("corpus", CORPUS, corpus_posts, work, args.repeat)
    measures += import_and_reindex(
        "corpus",
        CORPUS,
        corpus_posts,
        work,
        args.repeat,
        settings=["ARCHIVE_FSYNC=False"],
        reindex=False,
    )
    generated: dict[int, dict[str, Any]] = {}
    phases: dict[str, PhaseTable] = {}
    phase_posts = 0
    for n in sorted(sizes):
        source = OUT / f"import-{n}" / "src"
        seconds, info = generate(n, source)
        generated[n] = info
        print(f"generated {n:,} posts in {seconds:.0f} s ({info['bytes'] / 1e6:,.0f} MB)")
        if not phases and args.phase_posts:
            phase_posts = min(n, args.phase_posts)
            phases = phase_breakdown(source, phase_posts, OUT / f"import-{n}")
            print(
                f"  phases of {phase_posts:,} posts: import {phases['import'][0][1]:.1f} s, "
                f"reindex {phases['reindex'][0][1]:.1f} s"
            )
        label = f"generated {n:,}"
        measures += import_and_reindex(label, source, n, OUT / f"import-{n}", 1, keep=args.keep)
    fetch, startup = measure_fetch(work, args.fetch_repeat)
    shown = [".venv/bin/python", "bench/bench_import.py"]
    shown += list(argv if argv is not None else sys.argv[1:])
    res = Results(measures, overhead, generated, fetch, startup, phases, phase_posts, shown)
    print()
    print("\n".join(render_body(res, machine_info())))
    if args.quick:
        return
    write_section(render_section(res, machine_info()), SECTION_START, SECTION_END)
    print(f"\nwrote the {SECTION_START} section of {DOC}")


if __name__ == "__main__":
    main()
