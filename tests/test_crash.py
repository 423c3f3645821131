"""Crash safety: SIGKILL a writing command at seeded random points, resume, compare.

For every command in :data:`CASES` (``crawl``, ``import``, ``import --bulk``; ``export`` is
one more line), a starting archive is built once (partly filled: the first listing pages, half
of the posts),
and one uninterrupted run from a copy of it gives the reference tree. Each trial then takes a
fresh copy, starts the same command in its own process and kills it with ``SIGKILL``:

* ``external`` trials: from outside, once a seeded number of new posts is visible, after a
  seeded delay of up to 30 ms (lands mid-crawl, mid-write, mid-commit as it happens);
* ``crashpoint`` trials: the process kills itself at the seeded N-th pass of a named point
  (``archive/crashpoints.py``): a temp file written but not renamed, a post without its
  sidecar, post + sidecar without the index row, inside the index transaction — so every phase
  is hit on every run, whatever the machine's timing.

Right after the kill: no temp or partial file is inside ``posts/`` and every post there parses
completely. After the same command is run again: ``portal-archive verify`` is clean, the
``.tmp/`` folder is empty, and the tree (``posts/``, plus ``images/`` for crawls) is the
reference's file for file and byte for byte (sidecars compared without their run timestamps),
the index has each article once. Trials: ``PORTAL_ARCHIVE_KILL_TRIALS`` per command (20 in
CI, more in ``make soak``), seeds ``PORTAL_ARCHIVE_KILL_SEED`` + trial.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archive import index, search
from archive.crashpoints import ENV as CRASHPOINT_ENV
from archive.crashpoints import POINTS
from archive.frontmatter_files import TMP_DIR, TMP_PREFIX
from archive.hexo import FRAMES, parse_post, render_post
from demo_portal import DemoPortal
from portal_archive.cli import cli
from tests.conftest import run_cli
from tests.support.figures import write_figures
from tests.support.forkserver import ForkServer

TRIALS = int(os.environ.get("PORTAL_ARCHIVE_KILL_TRIALS", "20"))
SEED = int(os.environ.get("PORTAL_ARCHIVE_KILL_SEED", "6"))
GENERATED = 24
"""Articles the demo portal generates (4 listing pages of 6)."""
BASE_PAGES = 2
"""Listing pages the starting archive was crawled with: 12 of 24 articles are in it."""
SOURCE_POSTS = 24
"""Posts of the import source; the starting archive imported the first half."""
NEW_ITEMS = 12
"""Articles each killed run writes at least (the passes a crash point can be asked for)."""
SETTINGS = (
    "AUTOTHROTTLE_ENABLED=False",
    "DOWNLOAD_DELAY=0",
    "ARCHIVE_FSYNC=True",
    "CONCURRENT_REQUESTS=4",
)
KILL_ATTEMPTS = 5
"""An external kill that came after the run finished is retried (fresh copy, sooner)."""
VOLATILE_SIDECAR_KEYS = ("fetched_at", "first_seen")
"""Run timestamps: differ between any two runs, crashed or not."""


@dataclass(frozen=True)
class Env:
    """What a case's command lines may refer to (paths of the shared inputs)."""

    base_url: str
    listing_url: str
    source_half: Path
    source_full: Path


@dataclass(frozen=True)
class KillCase:
    """A writing command under test.

    ``base`` builds the starting state (run once, uninterrupted), ``run`` is the command that is
    killed and then run again to resume; ``trees`` are the folders (relative to the archive)
    compared with the uninterrupted run.
    """

    name: str
    base: Callable[[Env], list[list[str]]]
    run: Callable[[Env], list[str]]
    trees: tuple[str, ...] = ("posts",)
    resume_in_process: bool = False
    """Resume through click's CliRunner in this process (saves a start-up; no reactor needed)."""
    writer_child: bool = False
    """Its writer is a child process (``ARCHIVE_WRITE_PROCESS``, ``archive/write_process.py``):
    a crash point in the writer kills that child, and the command then fails on its own (exit
    code 1, the writer's death in its log) instead of being killed itself."""


TREES = ("posts", "assets")
"""A crawl is compared on its posts and its downloaded images."""


def _crawl(env: Env, pages: int) -> list[str]:
    return [
        "crawl",
        "ofweek",
        "--base-url",
        env.base_url,
        "--listing-url",
        env.listing_url,
        "--max-pages",
        str(pages),
    ]


def _import(source: Path) -> list[str]:
    return ["import", str(source)]


CASES = [
    KillCase(
        "crawl",
        lambda e: [_crawl(e, BASE_PAGES)],
        lambda e: _crawl(e, 100),
        TREES,
        writer_child=True,
    ),
    KillCase(
        "import",
        lambda e: [_import(e.source_half)],
        lambda e: _import(e.source_full),
        resume_in_process=True,
    ),
    # the bulk path (auto from 1,000 posts): one index transaction, search indexes rebuilt once
    KillCase(
        "import-bulk",
        lambda e: [_import(e.source_half)],
        lambda e: ["import", "--bulk", str(e.source_full)],
        resume_in_process=True,
    ),
    # every post rewritten in another image mode: many writes, no network
    KillCase(
        "export",
        lambda e: [_crawl(e, 100)],
        lambda e: ["export", "--image-mode", "proxy"],
        TREES,
        resume_in_process=True,
    ),
]


# --------------------------------------------------------------------------- shared inputs


def _legacy_post(i: int) -> str:
    """A legacy-layout post of our own text; a few carry YAML-hostile titles."""
    titles = [
        "光伏组件出货量同比增长",
        "储能: 新一轮招标 ---",
        "「固态电池」量产时间表",
        "&锂电 *隔膜* |涂覆| >工艺",
        "氢能重卡 示范运营 #%d",
    ]
    title = f"{titles[i % len(titles)]} 第{i}期"
    head = f"https://img.example.com/upload/2024/0{1 + i % 9}/{i}.jpg"
    metadata = {
        "title": title,
        "categories": ["新媒体", "高科技行业门户", "新闻"],
        "headimg": head,
        "author": "高科技行业门户",
        "comments": False,
        "date": f"Mon, {1 + i % 28:02d} Jan 2024 08:{i % 60:02d}:05 GMT",
        "thumbnail": head,
    }
    body = (
        f'<p style="text-indent: 2em;">第{i}篇正文：产业链上下游的最新动态。</p>'
        f'<p><img src="{head}" referrerpolicy="no-referrer"></p>'
    )
    return render_post(metadata, body, FRAMES["ofweek"])


@pytest.fixture(scope="module")
def kill_portal() -> Iterator[DemoPortal]:
    with DemoPortal(port=0, generated=GENERATED, listing_page_size=6) as portal:
        yield portal


@pytest.fixture(scope="module")
def env(kill_portal: DemoPortal, tmp_path_factory: pytest.TempPathFactory) -> Env:
    src = tmp_path_factory.mktemp("import-source")
    half, full = src / "half", src / "full"
    for i in range(SOURCE_POSTS):
        for folder in (full, half) if i % 2 == 0 else (full,):
            path = folder / "新媒体" / "高科技行业门户" / "新闻" / f"post-{i:03d}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_legacy_post(i), encoding="utf-8")
    return Env(kill_portal.base_url, kill_portal.generated_listing_url, half, full)


@dataclass
class Prepared:
    base: Path
    reference: dict[str, bytes]
    reference_rows: set[tuple[str, str, str]]
    results: list[dict[str, Any]] = field(default_factory=list)


_PREPARED: dict[str, Prepared] = {}


def _prepared(case: KillCase, env: Env, tmp_root: Path) -> Prepared:
    if case.name in _PREPARED:
        return _PREPARED[case.name]
    base = tmp_root / f"{case.name}-base"
    for argv in case.base(env):
        done = run_cli(base, *argv, settings=SETTINGS)
        assert done.returncode == 0, done.stderr
    reference = tmp_root / f"{case.name}-reference"
    shutil.copytree(base, reference)
    done = run_cli(reference, *case.run(env), settings=SETTINGS)
    assert done.returncode == 0, done.stderr
    _assert_verify_clean(reference)
    snapshot = _snapshot(reference, case.trees)
    before = _snapshot(base, case.trees)
    changed = [p for p in _posts(snapshot) if before.get(p) != snapshot[p]]
    assert len(changed) >= NEW_ITEMS, "the run writes too few posts to be killed in between"
    _PREPARED[case.name] = Prepared(base, snapshot, _rows(reference))
    return _PREPARED[case.name]


# --------------------------------------------------------------------------- observations


def _snapshot(archive: Path, trees: tuple[str, ...]) -> dict[str, bytes]:
    """Every file below the trees, by path; sidecars without their run timestamps."""
    files: dict[str, bytes] = {}
    for tree in trees:
        root = archive / tree
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_dir():
                continue
            data = path.read_bytes()
            if path.name.startswith(".") and path.suffix == ".json" and tree == "posts":
                side = json.loads(data)
                for key in VOLATILE_SIDECAR_KEYS:
                    side.pop(key, None)
                data = json.dumps(side, ensure_ascii=False, sort_keys=True).encode()
            files[path.relative_to(archive).as_posix()] = data
    return files


def _posts(snapshot: dict[str, bytes]) -> list[str]:
    return [p for p in snapshot if p.startswith("posts/") and p.endswith(".md")]


def _rows(archive: Path) -> set[tuple[str, str, str]]:
    db = Database(archive / "index.db")
    try:
        return {(r["id"], r["path"], r["content_hash"]) for r in db["articles"].rows}
    finally:
        db.close()


def _search_in_step(archive: Path) -> None:
    """The index is searchable and its search structures agree with ``articles``: every
    trigger of ``articles`` is there, each FTS5 index passes its integrity check and holds one
    entry per article, ``article_search`` one row per article, and each article's title is
    found by the trigram index."""
    db = Database(archive / "index.db")
    try:
        triggers = {name for name, _sql in index.article_triggers(db)}
        assert triggers == search.SEARCH_TRIGGERS
        count = db.execute("select count(*) from articles").fetchone()[0]
        for table in (search.TRIGRAM_TABLE, search.CHARS_TABLE, search.WORDS_TABLE):
            db.execute(f"insert into {table} ({table}, rank) values ('integrity-check', 1)")
            assert db.execute(f"select count(*) from {table}").fetchone()[0] == count, table
        assert db.execute(f"select count(*) from {search.SEARCH_TABLE}").fetchone()[0] == count
        for rowid, title in db.execute("select rowid, title from articles").fetchall():
            sql = f"select rowid from {search.TRIGRAM_TABLE} where {search.TRIGRAM_TABLE} match ?"
            found = {r for (r,) in db.execute(sql, ['"' + title.replace('"', '""') + '"'])}
            assert rowid in found, title
    finally:
        db.close()


def _verify(archive: Path) -> tuple[bool, str]:
    """``portal-archive verify``: clean?, its output."""
    result = CliRunner().invoke(cli, ["--archive", str(archive), "verify"])
    return result.exit_code == 0 and "OK" in result.output, result.output


def _assert_verify_clean(archive: Path) -> None:
    ok, output = _verify(archive)
    assert ok, output


def _partial_in_posts(archive: Path) -> list[str]:
    """Temp or partial files visible inside posts/: anything but posts and their sidecars."""
    bad = []
    for path in (archive / "posts").rglob("*"):
        if path.is_dir():
            continue
        name = path.name
        post = name.endswith(".md") and not name.startswith(".")
        sidecar = name.startswith(".") and name.endswith(".json") and TMP_PREFIX not in name
        if not (post or sidecar):
            bad.append(path.relative_to(archive).as_posix())
    return bad


def _killed_state(archive: Path) -> dict[str, int]:
    """What the kill left behind (classifies where it landed)."""
    posts = [p for p in (archive / "posts").rglob("*.md") if not p.name.startswith(".")]
    no_sidecar = sum(not p.with_name(f".{p.stem}.json").is_file() for p in posts)
    indexed = {row[1] for row in _rows(archive)}
    temp = [*(archive / TMP_DIR).glob("*"), *(archive / "assets").glob(f"{TMP_PREFIX}*")]
    return {
        "posts": len(posts),
        "temp_files": len(temp),
        "posts_without_sidecar": no_sidecar,
        "posts_without_row": sum(
            p.relative_to(archive / "posts").as_posix() not in indexed for p in posts
        ),
    }


def _landed(state: dict[str, int], crashpoint: str | None) -> str:
    if crashpoint:
        return crashpoint.partition(":")[0]
    if state["temp_files"]:
        return "mid-write"
    if state["posts_without_sidecar"] or state["posts_without_row"]:
        return "between file and index commit"
    return "between articles"


# --------------------------------------------------------------------------- the kill


def _argv(archive: Path, argv: list[str]) -> list[str]:
    full = ["--archive", str(archive)]
    for setting in SETTINGS:
        full += ["--set", setting]
    return [*full, *argv]


def _env(crashpoint: str | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"}
    env.pop(CRASHPOINT_ENV, None)
    if crashpoint:
        env[CRASHPOINT_ENV] = crashpoint
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _post_versions(archive: Path) -> dict[Path, int]:
    """Each post file and its modification time (a rewrite renames a new file into place)."""
    return {p: p.stat().st_mtime_ns for p in (archive / "posts").rglob("*.md")}


def _kill_external(pid: int, archive: Path, after_posts: int, delay: float) -> None:
    """SIGKILL ``pid`` ``delay`` s after it wrote ``after_posts`` posts (new or rewritten)."""
    initial = _post_versions(archive)
    deadline = time.monotonic() + 60
    while _alive(pid) and time.monotonic() < deadline:
        written = sum(initial.get(p) != m for p, m in _post_versions(archive).items())
        if written >= after_posts:
            time.sleep(delay)
            break
        time.sleep(0.005)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _resume(archive: Path, case: KillCase, env: Env, server: ForkServer, log: Path) -> None:
    """Run the killed command again, to completion."""
    if case.resume_in_process:
        argv = ["--archive", str(archive)]
        for setting in SETTINGS:
            argv += ["--set", setting]
        result = CliRunner().invoke(cli, [*argv, *case.run(env)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return
    server.start(_argv(archive, case.run(env)), _env(None), log)
    code = server.wait()
    assert code == 0, log.read_text(encoding="utf-8")[-3000:]


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    forks = ForkServer()
    yield forks
    forks.close()


@pytest.mark.parametrize("trial", range(TRIALS))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kill_and_resume_loses_and_duplicates_nothing(
    case: KillCase,
    trial: int,
    env: Env,
    server: ForkServer,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
) -> None:
    prepared = _prepared(case, env, tmp_path_factory.getbasetemp())
    rng = random.Random(f"{SEED}-{case.name}-{trial}")  # noqa: S311 - seeded test schedule
    archive = tmp_path / "archive"
    started = time.monotonic()
    crashpoint = None
    if trial % 2:  # odd trials: the process kills itself at an exact phase
        crashpoint = f"{POINTS[(trial // 2) % len(POINTS)]}:{rng.randint(1, NEW_ITEMS)}"
    after, delay = rng.randint(0, NEW_ITEMS - 3), rng.uniform(0, 0.03)
    log = tmp_path / "killed.log"
    for _attempt in range(KILL_ATTEMPTS):
        shutil.rmtree(archive, ignore_errors=True)
        shutil.copytree(prepared.base, archive)
        pid = server.start(_argv(archive, case.run(env)), _env(crashpoint), log)
        if crashpoint is None:
            _kill_external(pid, archive, after, delay)
        code = server.wait()
        if code == -signal.SIGKILL or crashpoint:
            break
        # an external kill came after a (fast) run finished: again, from a fresh copy, sooner
        after, delay = after // 2, delay / 4
    if crashpoint and case.writer_child and code != -signal.SIGKILL:
        # the crash point killed the writer process: the crawl says so and fails
        text = log.read_text(encoding="utf-8")
        assert code == 1, f"exit {code}: {text[-2000:]}"
        assert "Writer process failed: the writer process was killed by SIGKILL" in text
    else:
        assert code == -signal.SIGKILL, (
            f"the run was not killed (exit {code}): {log.read_text(encoding='utf-8')[-2000:]}"
        )

    # right after the kill: nothing partial inside posts/, every post there complete
    assert _partial_in_posts(archive) == []
    for post in (archive / "posts").rglob("*.md"):
        assert parse_post(post.read_text(encoding="utf-8")).body_html, post
    state = _killed_state(archive)
    landed = _landed(state, crashpoint)
    _search_in_step(archive)  # whatever the kill interrupted, the index is consistent

    _resume(archive, case, env, server, tmp_path / "resumed.log")
    seconds = time.monotonic() - started

    verify_ok, verify_output = _verify(archive)
    got = _snapshot(archive, case.trees)
    missing = sorted(set(prepared.reference) - set(got))
    extra = sorted(set(got) - set(prepared.reference))
    differing = sorted(
        p for p in set(got) & set(prepared.reference) if got[p] != prepared.reference[p]
    )
    rows = _rows(archive)
    ids = Counter(aid for aid, _path, _hash in rows)
    duplicates = len(extra) + sum(n - 1 for n in ids.values())
    prepared.results.append(
        {
            "trial": trial,
            "landed": landed,
            "killed_state": state,
            "verify_ok": verify_ok,
            "seconds": seconds,
            "attempts": _attempt + 1,
            "missing": len(missing),
            "duplicates": duplicates,
            "differing": len(differing),
        }
    )
    assert verify_ok, verify_output
    assert list((archive / TMP_DIR).glob("*")) == []
    assert _partial_in_posts(archive) == []
    assert missing == [], "lost after resume"
    assert extra == [], "files an uninterrupted run does not have"
    assert differing == [], "bytes differ from the uninterrupted run"
    assert rows == prepared.reference_rows
    _search_in_step(archive)


def test_a_killed_image_write_leaves_no_partial_image(tmp_path: Path) -> None:
    """The image store writes whole files or none (Scrapy's stock store writes in place)."""
    from archive.store import Archive
    from pipelines.images import AtomicFilesStore

    assets = tmp_path / "assets"
    script = (
        "import io, sys\n"
        "from pipelines.images import AtomicFilesStore\n"
        "store = AtomicFilesStore(sys.argv[1])\n"
        "store.persist_file('a.png', io.BytesIO(b'x' * 4096), None)\n"
    )
    env = _env("write.before-rename:1")
    done = subprocess.run(
        [sys.executable, "-c", script, str(assets)],
        env=env,
        check=False,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert not (assets / "a.png").exists()
    assert len(list((tmp_path / TMP_DIR).glob(f"{TMP_PREFIX}*"))) == 1  # the complete temp file
    with Archive(tmp_path) as archive:
        assert archive.remove_partial_files() == 1  # what opening the index does first
    assert list((tmp_path / TMP_DIR).glob("*")) == []
    AtomicFilesStore(str(assets)).persist_file("a.png", io.BytesIO(b"y" * 10), None)
    assert (assets / "a.png").read_bytes() == b"y" * 10


def test_zz_write_kill_figures(request: pytest.FixtureRequest) -> None:
    """Write the figures of the trials above (runs last in this module)."""
    if not _PREPARED:
        pytest.skip("no kill trial ran in this session (deselected)")
    per_command = {}
    for name, prepared in _PREPARED.items():
        results = prepared.results
        per_command[name] = {
            "trials": len(results),
            "verify_failures": sum(not r["verify_ok"] for r in results),
            "missing": sum(r["missing"] for r in results),
            "duplicates": sum(r["duplicates"] for r in results),
            "differing": sum(r["differing"] for r in results),
            "landed": dict(sorted(Counter(r["landed"] for r in results).items())),
            "kills_retried": sum(r["attempts"] - 1 for r in results),
            "seconds_per_trial": round(
                sum(r["seconds"] for r in results) / max(len(results), 1), 2
            ),
        }
    write_figures(
        "kill",
        {
            "seed": SEED,
            "trials_per_command": TRIALS,
            "commands": per_command,
            "failed_tests": request.session.testsfailed,
        },
    )
    assert all(c["trials"] == TRIALS for c in per_command.values()), per_command
