"""Distributed crawls: real redis-server, real worker and writer processes, the demo portal.

Two crawl workers (``crawl --redis``) and one writer (``writer --redis``) against the demo
portal must give the archive an uninterrupted embedded ``crawl`` gives, byte for byte (posts;
sidecars and rows apart from the fetch-time fields ``fetched_at``/``first_seen``/``last_seen``),
also when a worker is killed mid-crawl, the writer is killed mid-batch, or Redis restarts.
``PORTAL_ARCHIVE_KILL_TRIALS`` (``make soak``) runs more seeded trials of each fault.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from archive.errors import BadRecordError
from archive.items import ArticleItem, FetchFailure, ImageRef
from archive.maintenance import verify
from archive.records import dumps_record, item_from_record
from tests.conftest import FAST_SETTINGS, run_cli
from tests.support.faultcheck import generated_crawl_args

FETCH_TIME = ("fetched_at", "first_seen", "last_seen")
"""Row and sidecar fields that say when a page was fetched: legitimately differ per run."""

WORKER_SETTINGS = (*FAST_SETTINGS, "ARCHIVE_REDIS_LEASE_TTL=2")
SLOW = ("DOWNLOAD_DELAY=0.05",)
"""Workers of the fault trials: a politeness delay, so the crawl lasts long enough to be hit."""
TRIALS = int(os.environ.get("PORTAL_ARCHIVE_KILL_TRIALS", "1"))
GENERATED = 30


# --------------------------------------------------------------------------- the codec


def test_record_round_trips_every_field() -> None:
    item = ArticleItem(
        url="https://www.ofweek.com/2022-08/ART-8100-2801-1.html",
        portal="ofweek",
        canonical_url="https://www.ofweek.com/2022-08/ART-8100-2801-1.html",
        title_raw=" 标题 ",
        title="标题",
        source_raw="来源：OFweek锂电网",
        source="OFweek锂电网",
        author="作者",
        categories=["科技", "锂电"],
        published_raw="2022-08-25 16:09",
        published=datetime(2022, 8, 25, 8, 9, tzinfo=UTC),
        body_raw="<p>原文</p>",
        body_html="<p>正文</p>",
        body_text="正文",
        images=[
            ImageRef(
                url="https://img.example/a.jpg",
                url_raw="//img.example/a.jpg",
                alt="图",
                status="downloaded",
                path="ab.jpg",
                checksum="md5",
                error=None,
                sha256="ab",
                bytes=12,
                content_type="image/jpeg",
                attempted=True,
            )
        ],
        language="zh",
        parser="ofweek.V2",
        encoding="gb18030",
        fetched_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        feed_published=datetime(2022, 8, 25, tzinfo=UTC),
        parse_errors=["author"],
        render_hints={"frame": "hexo", "n": [1, 2]},
    )
    text = dumps_record(item, id="m1", epoch=3)
    record = json.loads(text)
    assert (record["id"], record["epoch"], record["kind"]) == ("m1", 3, "article")
    assert item_from_record(record) == item
    failure = FetchFailure("https://x.example/1", "ofweek", "http_404", "HTTP 404")
    assert item_from_record(json.loads(dumps_record(failure))) == failure


@pytest.mark.parametrize(
    "record",
    [
        {"kind": "article", "item": {}},
        {"schema": 99, "kind": "article", "item": {}},
        {"schema": 1, "kind": "poem", "item": {}},
        {"schema": 1, "kind": "article", "item": {"url": "u"}},
        {"schema": 1, "kind": "article", "item": {"url": "u", "portal": "p", "nope": 1}},
        [1, 2],
    ],
)
def test_bad_records_are_refused(record: Any) -> None:
    with pytest.raises(BadRecordError):
        item_from_record(record)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args",
    [
        ["writer", "--redis", "redis://127.0.0.1:1/0"],
        ["crawl", "ofweek", "--redis", "redis://127.0.0.1:1/0"],
        ["writer", "--redis", "http://127.0.0.1:6379/0"],
    ],
)
def test_unreachable_redis_is_a_clear_error(args: list[str], tmp_path: Path) -> None:
    done = run_cli(tmp_path / "archive", *args, timeout=120)
    assert done.returncode == 1
    assert "cannot reach Redis at" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "archive" / "posts").exists()  # nothing written


# --------------------------------------------------------------------------- processes

PY = sys.executable
ENV = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning", "COLUMNS": "200"}


def start(
    archive: Path,
    *args: str,
    log: Path,
    env: dict[str, str] | None = None,
    settings: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    argv = [PY, "-m", "portal_archive", "--archive", str(archive), "--log-level", "INFO"]
    for setting in (*WORKER_SETTINGS, *settings):
        argv += ["--set", setting]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*argv, *args], stdout=out, stderr=subprocess.STDOUT, env={**ENV, **(env or {})}
        )


def wait(process: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"{process.args} did not exit:\n{log.read_text(errors='replace')[-3000:]}")


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def article_hits(portal: Any) -> int:
    return sum(n for path, n in portal.hits.items() if "/ART-" in path)


# --------------------------------------------------------------------------- comparing


def snapshot(root: Path) -> dict[str, Any]:
    """What must equal between two archives: post bytes, sidecars and rows without the
    fetch-time fields, failures (reason and attempts), assets."""
    posts: dict[str, bytes] = {}
    sidecars: dict[str, Any] = {}
    for path in sorted((root / "posts").rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if path.name.startswith("."):
            data = json.loads(path.read_text(encoding="utf-8"))
            sidecars[rel] = {k: v for k, v in data.items() if k not in FETCH_TIME}
        else:
            posts[rel] = path.read_bytes()
    db = Database(root / "index.db")
    rows = {
        r["id"]: {k: v for k, v in r.items() if k not in FETCH_TIME} for r in db["articles"].rows
    }
    failures = sorted((r["url"], r["reason"], r["attempts"]) for r in db["failures"].rows)
    images = sorted((r["article_id"], r["url"], r["status"], r["path"]) for r in db["images"].rows)
    assets = (
        sorted(p.name for p in (root / "assets").glob("*")) if (root / "assets").is_dir() else []
    )
    db.close()
    return {
        "posts": posts,
        "sidecars": sidecars,
        "rows": rows,
        "failures": failures,
        "images": images,
        "assets": assets,
    }


def assert_same_archive(got: Path, expected: dict[str, Any]) -> None:
    snap = snapshot(got)
    assert sorted(snap["posts"]) == sorted(expected["posts"])
    for rel, data in expected["posts"].items():
        assert snap["posts"][rel] == data, rel
    assert snap["sidecars"] == expected["sidecars"]
    assert snap["rows"] == expected["rows"]
    assert snap["failures"] == expected["failures"]
    assert snap["images"] == expected["images"]
    assert snap["assets"] == expected["assets"]
    report = verify(got)
    assert report.ok, report.problems
    assert report.files == report.rows == len(expected["rows"])  # no duplicates


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def portal() -> Iterator[Any]:
    from demo_portal import DemoPortal

    with DemoPortal(port=0, generated=GENERATED, listing_page_size=10) as demo:
        yield demo


@pytest.fixture(scope="module")
def reference(portal: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted embedded crawl of the same portal."""
    root = tmp_path_factory.mktemp("embedded")
    done = run_cli(root, *listing_args(portal), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    snap = snapshot(root)
    assert len(snap["rows"]) >= GENERATED  # the generated ones and the listing's
    assert snap["failures"] and snap["assets"]  # a 404 / no-title page, downloaded images
    return snap


def listing_args(portal: Any) -> list[str]:
    """The built-in demo listing (a 404, a page without title, a 403 image) plus the
    generated articles: enough pages for a fault to land mid-crawl."""
    return generated_crawl_args(portal, 5, portal.base_url + "/CATList-8100-CHANGYIEXINWE.html")


class Cluster:
    """Workers and a writer of one archive, on one Redis."""

    def __init__(self, tmp: Path, redis: Any, portal: Any, *, slow: bool = False) -> None:
        self.slow = slow
        self.tmp = tmp
        self.redis = redis
        self.portal = portal
        self.archive = tmp / "dist"
        self.logs = tmp / "logs"
        self.logs.mkdir(exist_ok=True)
        self.n = 0

    def worker(self, idle_exit: float = 4) -> subprocess.Popen[bytes]:
        self.n += 1
        args = [*listing_args(self.portal), "--redis", self.redis.url]
        args += ["--idle-exit", str(idle_exit)]
        # a worker never touches an archive folder: give it one that must stay absent
        log = self.logs / f"worker{self.n}.log"
        return start(self.tmp / "no-archive", *args, log=log, settings=SLOW if self.slow else ())

    def writer(self, idle_exit: float = 0, env: dict[str, str] | None = None) -> Any:
        self.n += 1
        args = ["writer", "--redis", self.redis.url, "--idle-exit", str(idle_exit)]
        return start(self.archive, *args, log=self.logs / f"writer{self.n}.log", env=env)

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.redis.url)

    def drained(self) -> bool:
        """Queue and processing list empty, no image still pending in the index."""
        try:
            client = self.client()
            if client.llen("pa:items") or client.llen("pa:items:processing"):
                return False
        except Exception:
            return False
        index = self.archive / "index.db"
        if not index.is_file():
            return False
        db = Database(index)
        try:
            pending = db.execute("select count(*) from images where status = 'pending'").fetchone()
            return not pending[0] and db["articles"].count > 0
        finally:
            db.close()

    def stop_writer(self, writer: subprocess.Popen[bytes]) -> None:
        wait_for(self.drained, "the writer to drain the queue and its images")
        writer.send_signal(signal.SIGTERM)
        assert wait(writer, self.logs / "writer.log") == 0
        assert not (self.tmp / "no-archive").exists()

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))


# --------------------------------------------------------------------------- end to end


def test_two_workers_and_a_writer_equal_an_embedded_crawl(
    portal: Any, reference: dict[str, Any], redis_server: Any, tmp_path: Path
) -> None:
    cluster = Cluster(tmp_path, redis_server, portal)
    portal.reset_hits()
    writer = cluster.writer()
    workers = [cluster.worker(), cluster.worker()]
    assert [wait(w, cluster.logs / "worker.log") for w in workers] == [0, 0]
    cluster.stop_writer(writer)
    assert_same_archive(cluster.archive, reference)
    # one frontier: each page fetched once across both workers, and both of them worked
    article_pages = {p: n for p, n in portal.hits.items() if "/ART-" in p}
    assert article_pages and set(article_pages.values()) == {1}, article_pages
    log = cluster.log_text()
    assert log.count("seeds crawl 1 of ofweek") == 1
    assert log.count("joins the running crawl of ofweek") == 1
    runs = Database(cluster.archive / "index.db")["crawl_runs"]
    assert [(r["portal"], r["status"]) for r in runs.rows] == [("ofweek", "finished")]

    # incremental across workers: archived articles are not downloaded again, only the
    # failed URLs are retried
    portal.reset_hits()
    writer = cluster.writer()
    assert wait(cluster.worker(), cluster.logs / "worker.log") == 0
    failed = {url.removeprefix(portal.base_url) for url, *_ in reference["failures"]}
    fetched = {p for p in portal.hits if "/ART-" in p}
    assert fetched == failed & fetched and len(fetched) <= len(failed), fetched
    cluster.stop_writer(writer)
    again = snapshot(cluster.archive)
    assert again["posts"] == reference["posts"]
    assert again["rows"] == reference["rows"]


def test_redelivered_batch_changes_nothing(
    portal: Any, reference: dict[str, Any], redis_server: Any, tmp_path: Path
) -> None:
    """The writer dies after writing a batch, before acknowledging it (crash point): the
    next writer writes the batch again — files untouched, failures not counted twice."""
    cluster = Cluster(tmp_path, redis_server, portal)
    env = {"PORTAL_ARCHIVE_CRASHPOINT": "writer.before-ack:2"}
    writer = cluster.writer(env=env)
    workers = [cluster.worker(), cluster.worker()]
    assert wait(writer, cluster.logs / "writer.log") == -signal.SIGKILL
    assert cluster.client().llen("pa:items:processing") > 0  # the unacknowledged batch
    writer = cluster.writer()
    assert [wait(w, cluster.logs / "worker.log") for w in workers] == [0, 0]
    cluster.stop_writer(writer)
    assert "Writing again an unacknowledged batch" in cluster.log_text()
    assert_same_archive(cluster.archive, reference)


# --------------------------------------------------------------------------- faults


def fault_seeds() -> list[int]:
    return list(range(TRIALS))


@pytest.mark.parametrize("seed", fault_seeds())
def test_worker_killed_mid_crawl(
    seed: int, portal: Any, reference: dict[str, Any], redis_server: Any, tmp_path: Path
) -> None:
    rng = random.Random(f"worker-{seed}")  # noqa: S311 - seeded test schedule
    cluster = Cluster(tmp_path, redis_server, portal, slow=True)
    portal.reset_hits()
    writer = cluster.writer()
    victim, other = cluster.worker(), cluster.worker()
    after = rng.randint(2, GENERATED // 2)
    wait_for(lambda: article_hits(portal) >= after, f"{after} article pages served")
    victim.kill()
    assert victim.wait() == -signal.SIGKILL
    assert article_hits(portal) < len(reference["rows"])  # mid-crawl
    restarted = cluster.worker()
    assert [wait(w, cluster.logs / "worker.log") for w in (other, restarted)] == [0, 0]
    cluster.stop_writer(writer)
    assert_same_archive(cluster.archive, reference)


@pytest.mark.parametrize("seed", fault_seeds())
def test_writer_killed_mid_batch(
    seed: int, portal: Any, reference: dict[str, Any], redis_server: Any, tmp_path: Path
) -> None:
    rng = random.Random(f"writer-{seed}")  # noqa: S311 - seeded test schedule
    cluster = Cluster(tmp_path, redis_server, portal, slow=True)
    portal.reset_hits()
    writer = cluster.writer()
    workers = [cluster.worker(), cluster.worker()]
    index = cluster.archive / "index.db"

    def rows() -> int:
        if not index.is_file():
            return 0
        db = Database(index)
        try:
            return db["articles"].count if db["articles"].exists() else 0
        finally:
            db.close()

    after = rng.randint(1, GENERATED // 2)
    wait_for(lambda: rows() >= after, f"{after} rows written")
    writer.kill()
    assert writer.wait() == -signal.SIGKILL
    assert rows() < len(reference["rows"])  # mid-crawl
    writer = cluster.writer()
    assert [wait(w, cluster.logs / "worker.log") for w in workers] == [0, 0]
    cluster.stop_writer(writer)
    assert_same_archive(cluster.archive, reference)


@pytest.mark.parametrize("seed", fault_seeds())
def test_redis_restarted_mid_crawl(
    seed: int, portal: Any, reference: dict[str, Any], redis_server: Any, tmp_path: Path
) -> None:
    rng = random.Random(f"redis-{seed}")  # noqa: S311 - seeded test schedule
    cluster = Cluster(tmp_path, redis_server, portal, slow=True)
    portal.reset_hits()
    writer = cluster.writer()
    workers = [cluster.worker(), cluster.worker()]
    after = rng.randint(2, GENERATED // 2)
    wait_for(lambda: article_hits(portal) >= after, f"{after} article pages served")
    redis_server.stop()
    assert article_hits(portal) < len(reference["rows"])  # mid-crawl
    time.sleep(rng.uniform(0.2, 2.0))
    redis_server.start()
    assert [wait(w, cluster.logs / "worker.log") for w in workers] == [0, 0]
    cluster.stop_writer(writer)
    assert_same_archive(cluster.archive, reference)


def test_sigterm_finishes_the_current_batch(redis_server: Any, tmp_path: Path) -> None:
    """SIGTERM mid-batch: the batch is written and acknowledged, the rest stays queued, exit 0;
    nothing taken from the queue is lost."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    total = 400
    for n in range(total):
        article = ArticleItem(
            url=f"https://www.ofweek.com/2022-08/ART-8100-2801-{n}.html",
            portal="ofweek",
            canonical_url=f"https://www.ofweek.com/2022-08/ART-8100-2801-{n}.html",
            title=f"文章 {n}",
            title_raw=f"文章 {n}",
            body_html=f"<p>正文 {n}</p>",
            body_text=f"正文 {n}",
            published=datetime(2022, 8, 25, 8, 9, tzinfo=UTC),
            parser="ofweek.V2",
        )
        client.lpush("pa:items", dumps_record(article, id=str(n), epoch=1))
    archive, log = tmp_path / "archive", tmp_path / "writer.log"
    args = ["writer", "--redis", redis_server.url, "--idle-exit", "0", "--batch-size", "10"]
    writer = start(archive, *args, log=log)
    wait_for(lambda: client.llen("pa:items:processing") > 0, "a batch in progress")
    writer.send_signal(signal.SIGTERM)
    assert wait(writer, log) == 0
    assert client.llen("pa:items:processing") == 0  # finished and acknowledged
    left = client.llen("pa:items")
    assert left > 0  # it stopped instead of draining the queue
    db = Database(archive / "index.db")
    assert db["articles"].count == total - left
    assert verify(archive).ok


def test_leases_go_back_to_the_frontier_only_when_their_worker_is_dead(
    redis_server: Any,
) -> None:
    """The frontier scripts of crawler/distributed.py on a real Redis: a taken request is in
    its worker's in-flight hash; put back (same priority) only once the heartbeat is gone;
    a crawl ends only with an empty queue and no lease anywhere."""
    import redis

    from crawler.distributed import FINISH, POP, RECLAIM

    client = redis.Redis.from_url(redis_server.url)
    pop, reclaim, finish = (client.register_script(s) for s in (POP, RECLAIM, FINISH))
    queue, inflight, heartbeat = "pa:s:requests", "pa:s:inflight:w1", "pa:worker:w1"
    client.zadd(queue, {b"listing": -10, b"article": 0})
    client.sadd("pa:s:dupefilter", "fp")
    client.set("pa:s:seeded", 7)
    lease_id, data = pop(keys=[queue, inflight])
    assert data == b"listing"  # best priority first
    assert client.hget(inflight, lease_id) == b"-10|listing"  # priority kept for a reclaim
    assert client.zcard(queue) == 1 and client.hlen(inflight) == 1
    assert finish(keys=[queue, "pa:s:dupefilter", "pa:s:seeded"], args=["pa:s:inflight:*"]) is None
    client.set(heartbeat, 1, px=60_000)
    assert reclaim(keys=[queue, inflight, heartbeat]) == -1  # alive: its lease stays
    assert client.hlen(inflight) == 1
    client.delete(heartbeat)  # dead
    assert reclaim(keys=[queue, inflight, heartbeat]) == 1
    assert client.zscore(queue, b"listing") == -10 and not client.exists(inflight)
    # a crawl ends when nothing is queued or leased: fingerprints and seed flag go
    for _ in range(2):
        _, data = pop(keys=[queue, inflight])
    assert finish(keys=[queue, "pa:s:dupefilter", "pa:s:seeded"], args=["pa:s:inflight:*"]) is None
    client.delete(inflight)  # the worker finished them
    ended = finish(keys=[queue, "pa:s:dupefilter", "pa:s:seeded"], args=["pa:s:inflight:*"])
    assert ended == b"7"
    assert not client.exists("pa:s:dupefilter") and not client.exists("pa:s:seeded")
