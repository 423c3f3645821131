"""The crawl's writer in a child process: the crawl parses, the child normalizes and writes.

A crawl on one machine is CPU-bound in its own process: Scrapy, the portal parser, then
normalizing (lxml cleaning, nh3), rendering (YAML) and writing each article. The writer child
takes the second half off it (``ARCHIVE_WRITE_PROCESS``, ``pipelines/store.py``): the crawl's
writer pipeline starts it as a plain ``python -c`` process that imports only ``archive``
(:class:`WriterProcess`), sends it batches of pickled items through a pipe and gets one
:class:`Outcome` per article back.

For each batch the child (:func:`write_items`, pure apart from the archive it writes):

1. when the crawl left it out (``prepare``: image downloads off), runs what pipelines 100–400
   run in the crawl's process — :func:`archive.normalize.normalize_article`,
   :func:`archive.image_urls.unwrap_article_images`, :func:`archive.normalize.missing_fields`
   and one article per canonical URL per run — and reports each drop instead of writing it;
2. refuses an article whose path would leave ``posts/`` (an ``unsafe_path`` failure row);
3. writes the rest as one batch (``Archive.save_batch``: the batched, crash-safe commit of
   ``archive/writer.py``) and records the batch's failures.

Exactly one process writes a batch and the batch commit is crash-safe, so the guarantees of
the in-process writer hold: a batch the child could not write (an exception, or the child
died) is reported to the crawl, which counts ``archive/write_error`` and fails the run; its
articles are not in the index, so the next run fetches them again. The child dies with the
crawl (Linux ``PR_SET_PDEATHSIG``): a ``kill -9`` of the crawl ends it at once and the batch it
was writing is abandoned like any killed write (temp files are removed on the next open).
Elsewhere it sees the pipe close and stops after its batch. It ignores SIGINT and SIGTERM,
which reach the whole process group: the crawl decides when the writer stops (after the last
batch).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from archive.errors import UnsafePathError, exception_text
from archive.frontmatter_files import ExportOptions, post_relpath, safe_join
from archive.image_urls import unwrap_article_images
from archive.items import ArticleItem, FetchFailure, RawPage
from archive.normalize import missing_fields, normalize_article
from archive.store import Archive

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this child when its parent dies (a killed writer or crawl must not
    leave a second process writing the archive beside its successor); elsewhere only the
    start is checked."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


@dataclass(frozen=True)
class Preparation:
    """What the crawl's process left to the writer: the settings of pipelines 100–400."""

    timezone: str
    """``ARCHIVE_PAGE_TIMEZONE`` of the spider (normalize)."""
    proxies: tuple[str, ...]
    """Image proxy wrappers to remove (``ARCHIVE_IMAGE_PROXIES`` + ``ARCHIVE_IMAGE_PROXY``)."""


@dataclass(frozen=True)
class WriterConfig:
    """Everything the child needs, sent once when it starts."""

    root: str
    options: ExportOptions
    run_id: int | None
    touch: bool
    preparation: Preparation | None
    """``None``: items arrive normalized and validated (image downloads on)."""
    parent: int
    reader: Any = None
    """With ``ARCHIVE_PARSE_IN_WRITER``: the configuration of the child's page reader
    (``crawler.page_reader.ReaderConfig``), given to the reader factory of :func:`main`."""


@dataclass(frozen=True)
class Outcome:
    """What became of one article of a batch."""

    status: str
    """``new``/``updated``/``unchanged``; ``dropped`` (not an article, or a duplicate),
    ``unsafe_path`` (recorded as a failure row) or ``error`` (preparing it raised)."""
    path: str = ""
    article_id: str = ""
    message: str = ""
    """Why it was dropped (the ``DropItem`` message the pipelines would raise)."""
    problems: tuple[str, ...] = ()
    """Fields normalization could not parse (``published``)."""
    counts: tuple[tuple[str, int], ...] = ()
    """Stats to add for it (``archive/dropped/missing_title`` …)."""
    logs: tuple[tuple[str, int, str], ...] = ()
    """``(logger, level, message)`` lines reading its page gave (a raw page)."""


@dataclass
class Reading:
    """What reading one :class:`RawPage` gave (:class:`PageReading`)."""

    item: ArticleItem | None = None
    failure: FetchFailure | None = None
    """A page the parser crashed on (recorded as a failure row)."""
    held: bool = False
    """Held by the parser-breakage alarm until it decides (released later)."""
    released: list[ArticleItem] = field(default_factory=list)
    """Items of earlier pages the alarm released with this one."""
    counts: dict[str, int] = field(default_factory=dict)
    logs: list[tuple[str, int, str]] = field(default_factory=list)


class PageReading(Protocol):
    """Reads raw pages in the child (``crawler.page_reader.PageReader``)."""

    def read(self, raw: RawPage) -> Reading: ...

    def release(self) -> Reading: ...


ReaderFactory = Callable[[Any], PageReading]


@dataclass(frozen=True)
class BatchResult:
    outcomes: list[Outcome]
    """One per article, in order."""
    attempts: list[int]
    """Attempt count of each failure of the batch, in order."""
    unsafe: int = 0
    """Failure rows the child added (counted as failures too): articles with an unsafe path,
    pages the parser crashed on, released pages that are no article."""
    released: list[tuple[ArticleItem, Outcome]] = field(default_factory=list)
    """Items the breakage alarm released (no crawl item waits for them) and their fate."""
    counts: dict[str, int] = field(default_factory=dict)
    """Stats of the batch as a whole (the alarm's release at the run's end)."""
    logs: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass
class RunState:
    """What the child remembers across the batches of one run."""

    seen: set[str] = field(default_factory=set)
    """Canonical URLs written this run (one article per canonical URL per run)."""
    reader: PageReading | None = None
    """The page reader (``ARCHIVE_PARSE_IN_WRITER``), holding the run's breakage alarm."""


def prepare_article(
    item: ArticleItem, preparation: Preparation, state: RunState
) -> tuple[str, tuple[str, ...], dict[str, int]]:
    """Pipelines 100–400 on one item: ``(drop message or "", problems, stats counts)``."""
    counts: dict[str, int] = {}
    problems = tuple(normalize_article(item, preparation.timezone))
    for problem in problems:
        counts[f"archive/normalize_failed/{problem}"] = 1
    changed = unwrap_article_images(item, preparation.proxies)
    if changed:
        counts["archive/images_unproxied"] = changed
    missing = missing_fields(item)
    if missing:
        for name in missing:
            counts[f"archive/dropped/missing_{name}"] = 1
        return f"missing {', '.join(missing)}: {item.url}", problems, counts
    if item.canonical_url in state.seen:
        counts["archive/dropped/duplicate"] = 1
        return f"duplicate of {item.canonical_url}", problems, counts
    state.seen.add(item.canonical_url)
    return "", problems, counts


def _no_article_failure(item: ArticleItem, drop: str) -> FetchFailure | None:
    """The failure row of a released item dropped as not an article (as the crawl's writer
    pipeline records a dropped item: ``missing title: URL`` → ``no_title``)."""
    if not drop.startswith("missing"):
        return None
    reason = "no_" + drop.split(":")[0].removeprefix("missing ").split(",")[0]
    return FetchFailure(url=item.url, portal=item.portal, reason=reason, detail=drop)


@dataclass
class _Work:
    """One item of a batch on its way to the commit."""

    item: ArticleItem
    position: int | None
    """Its place in the batch; ``None``: released by the alarm (no crawl item waits)."""
    problems: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    """Stats of reading its page (kept whatever becomes of it)."""
    prepared: dict[str, int] = field(default_factory=dict)
    """Stats of preparing it (pipelines 100–400)."""
    logs: tuple[tuple[str, int, str], ...] = ()


def write_items(
    archive: Archive,
    articles: Sequence[ArticleItem | RawPage],
    failures: Sequence[FetchFailure],
    config: WriterConfig,
    state: RunState,
    *,
    release: bool = False,
) -> BatchResult:
    """One batch, as the module doc says; raises only when the batch could not be written.

    A :class:`RawPage` is read first (``state.reader``); ``release``: the alarm's held pages
    are released too (the run's end)."""
    outcomes: list[Outcome | None] = [None] * len(articles)
    released: list[tuple[ArticleItem, Outcome]] = []
    work: list[_Work] = []
    extra: list[FetchFailure] = []
    for position, entry in enumerate(articles):
        if not isinstance(entry, RawPage):
            work.append(_Work(entry, position))
            continue
        try:
            assert state.reader is not None, "a raw page, but no page reader"
            reading = state.reader.read(entry)
        except Exception as exc:  # a bug on one page must not lose the batch
            text = f"{exception_text(exc)}\n{traceback.format_exc()}"
            outcomes[position] = Outcome("error", message=text)
            continue
        lines = tuple(reading.logs)
        if reading.failure is not None:
            extra.append(reading.failure)
            outcomes[position] = Outcome(
                "failed",
                message=f"{reading.failure.reason}: {reading.failure.detail}",
                counts=tuple(reading.counts.items()),
                logs=lines,
            )
        elif reading.item is None:  # held by the alarm
            outcomes[position] = Outcome("held", counts=tuple(reading.counts.items()), logs=lines)
        else:
            work.append(_Work(reading.item, position, counts=dict(reading.counts), logs=lines))
        work.extend(_Work(item, None) for item in reading.released)
    counts: dict[str, int] = {}
    logs: list[tuple[str, int, str]] = []
    if release and state.reader is not None:
        reading = state.reader.release()
        counts, logs = reading.counts, reading.logs
        work.extend(_Work(item, None) for item in reading.released)
    keep: list[_Work] = []
    done: list[tuple[_Work, Outcome]] = []
    real_dirs: dict[str, str] = {}  # the batch's folders, resolved once
    for job in work:
        item = job.item
        if config.preparation is not None:
            try:
                drop, job.problems, counts = prepare_article(item, config.preparation, state)
            except Exception as exc:  # a bug on one page must not lose the batch
                text = f"{exception_text(exc)}\n{traceback.format_exc()}"
                done.append((job, Outcome("error", message=text, logs=job.logs)))
                continue
            job.prepared = counts
            if drop:
                if job.position is None:  # no crawl item to drop: record its failure here
                    failure = _no_article_failure(item, drop)
                    if failure is not None:
                        extra.append(failure)
                done.append((job, _outcome(job, "dropped", message=drop)))
                continue
        try:
            safe_join(archive.posts_dir, post_relpath(item), real_dirs=real_dirs)
        except UnsafePathError as exc:  # e.g. posts/<portal> is a link leading out of posts/
            extra.append(
                FetchFailure(
                    url=item.url, portal=item.portal, reason="unsafe_path", detail=str(exc)
                )
            )
            done.append((job, _outcome(job, "unsafe_path", message=str(exc), counts=False)))
            continue
        keep.append(job)
    results = archive.save_batch([job.item for job in keep], touch=config.touch) if keep else []
    for job, result in zip(keep, results, strict=True):
        outcome = _outcome(job, result.status, path=str(result.path), article_id=result.article_id)
        done.append((job, outcome))
    for job, outcome in done:
        if job.position is None:
            released.append((job.item, outcome))
        else:
            outcomes[job.position] = outcome
    recorded = [*failures, *extra]
    attempts = archive.record_failures(recorded, run_id=config.run_id) if recorded else []
    finished = [o for o in outcomes if o is not None]
    assert len(finished) == len(articles)
    return BatchResult(
        finished,
        attempts[: len(failures)],
        unsafe=len(extra),
        released=released,
        counts=counts,
        logs=logs,
    )


def _outcome(
    job: _Work,
    status: str,
    *,
    message: str = "",
    path: str = "",
    article_id: str = "",
    counts: bool = True,
) -> Outcome:
    return Outcome(
        status,
        path,
        article_id,
        message=message,
        problems=job.problems,
        counts=tuple(job.counts.items()) + (tuple(job.prepared.items()) if counts else ()),
        logs=job.logs,
    )


# --------------------------------------------------------------------------- the child


class _StopRequestedError(Exception):
    """SIGTERM while waiting for a batch."""


def serve(conn: Any, config: WriterConfig, reader_factory: ReaderFactory | None = None) -> None:
    """The child's main loop: ``(articles, failures, release)`` in, ``("done", BatchResult)``
    or ``("error", text)`` out, until ``None`` (the crawl's end) or the pipe closes. With
    ``config.reader``, ``reader_factory`` makes the page reader of raw pages."""
    die_with_parent(config.parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the crawl closes, then we stop
    busy = False
    stopping = False

    def on_term(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        if not busy:  # mid-batch: finish it, answer, then stop
            raise _StopRequestedError

    signal.signal(signal.SIGTERM, on_term)
    archive = Archive(Path(config.root), config.options, remove_partial=False)
    state = RunState()
    if config.reader is not None and reader_factory is not None:
        state.reader = reader_factory(config.reader)
    gc.freeze()  # the start-up heap lives as long as the child: out of the collector's way
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError, _StopRequestedError):
                break  # the crawl is gone (or stops us): nothing more will come
            if message is None:
                break
            busy = True
            articles, failures, release = message
            try:
                reply: tuple[str, Any] = (
                    "done",
                    write_items(archive, articles, failures, config, state, release=release),
                )
            except Exception as exc:  # the crawl counts the batch as not written
                reply = ("error", f"{exception_text(exc)}\n{traceback.format_exc()}")
            busy = False
            try:
                conn.send(reply)
            except (OSError, _StopRequestedError):
                break
            if stopping:
                break
    finally:
        archive.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with contextlib.suppress(OSError):
        conn.send(("closed", (usage.ru_utime + usage.ru_stime, usage.ru_maxrss)))


class WriterDiedError(RuntimeError):
    """The writer process exited (was killed) before it answered."""


def main(reader_factory: ReaderFactory | None = None) -> None:
    """Entry point of the child (``python -c``): ``argv[1:3]`` are the pipe's two file
    descriptors (to read batches from, to answer on); the first message is the
    :class:`WriterConfig`. A child that reads pages is started through the crawl's module that
    calls this with its reader (``crawler.page_reader.main``)."""
    from multiprocessing.connection import Connection

    incoming = Connection(int(sys.argv[1]), writable=False)
    outgoing = Connection(int(sys.argv[2]), readable=False)
    config = incoming.recv()
    serve(_Duplex(incoming, outgoing), config, reader_factory)


class _Duplex:
    """Two one-way connections used as one (``recv`` from one, ``send`` on the other)."""

    def __init__(self, incoming: Connection, outgoing: Connection) -> None:
        self.incoming, self.outgoing = incoming, outgoing

    def recv(self) -> Any:
        return self.incoming.recv()

    def send(self, obj: Any) -> None:
        self.outgoing.send(obj)

    def poll(self, timeout: float) -> bool:
        return self.incoming.poll(timeout)

    def close(self) -> None:
        self.incoming.close()
        self.outgoing.close()


class WriterProcess:
    """The parent's handle of the writer child: :meth:`send` batches (one thread sends, a
    thread of its own reads the answers), then :meth:`close`.

    The child is a plain ``python -c`` process importing only ``archive`` (not the parent's
    ``__main__``, as multiprocessing's spawn would: Scrapy's command line, the CLI), with the
    parent's ``sys.path``; batches are pickled over two pipes."""

    def __init__(self, config: WriterConfig, entry: str = "archive.write_process") -> None:
        """``entry``: the module whose ``main()`` the child runs (one that reads pages when
        ``config.reader`` is set: ``ARCHIVE_PARSE_IN_WRITER``)."""
        from multiprocessing.connection import Connection

        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p or str(Path.cwd()) for p in sys.path)
        if not re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", entry):
            raise ValueError(f"not a module name: {entry!r}")
        code = f"from {entry} import main; main()"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code, str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.conn = _Duplex(
            Connection(from_child_r, writable=False), Connection(to_child_w, readable=False)
        )
        self.conn.send(config)
        self.cpu_seconds = 0.0
        self.maxrss_kib = 0
        self.dead = False
        self._lock = threading.Lock()
        self._answers: deque[Future[BatchResult]] = deque()
        """Futures of the batches sent and not answered yet, oldest first."""
        self._reader: threading.Thread | None = None

    def describe(self) -> str:
        code = self.process.poll()
        if code is None:
            return "the writer process stopped answering"
        if code < 0:
            return f"the writer process was killed by {signal.Signals(-code).name}"
        return f"the writer process exited with code {code}"

    def send(
        self,
        articles: Sequence[ArticleItem | RawPage],
        failures: Sequence[FetchFailure],
        release: bool = False,
    ) -> Future[BatchResult]:
        """Send one batch (blocking only while the child is busy with an earlier one) and
        return the future of its answer: answers are read in order by a thread of their own,
        so the next batch can wait in the child's pipe while this one is written. ``release``:
        the alarm's held pages are written with it (the run's end)."""
        answer: Future[BatchResult] = Future()
        with self._lock:
            if self.dead:
                answer.set_exception(WriterDiedError(self.describe()))
                return answer
            self._answers.append(answer)
            if self._reader is None:
                self._reader = threading.Thread(
                    target=self._read_answers, name="archive-writer-answers", daemon=True
                )
                self._reader.start()
        try:
            self.conn.send((list(articles), list(failures), release))
        except OSError:
            self._died()
        return answer

    def write(
        self,
        articles: Sequence[ArticleItem | RawPage],
        failures: Sequence[FetchFailure],
        release: bool = False,
    ) -> BatchResult:
        """Send one batch and wait until it is durable (or raise)."""
        return self.send(articles, failures, release).result()

    def _read_answers(self) -> None:
        """The answer thread: each ``done``/``error`` resolves the oldest batch's future;
        ``closed`` (after :meth:`close`) ends it, as does the child's death."""
        while True:
            try:
                kind, payload = self.conn.recv()
            except (EOFError, OSError):
                self._died()
                return
            if kind == "closed":
                self.cpu_seconds, self.maxrss_kib = payload
                return
            with self._lock:
                answer = self._answers.popleft()
            if kind == "done":
                answer.set_result(payload)
            elif kind == "error":
                answer.set_exception(RuntimeError(f"writer process: {payload.strip()}"))
            else:  # pragma: no cover - a protocol error
                answer.set_exception(RuntimeError(f"writer process: unexpected {kind!r}"))

    def _died(self) -> None:
        """The pipe broke: every batch without an answer fails with :class:`WriterDiedError`."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        with self._lock:
            self.dead = True
            waiting, self._answers = list(self._answers), deque()
        for answer in waiting:
            if not answer.done():
                answer.set_exception(WriterDiedError(self.describe()))

    def close(self, timeout: float = 60.0) -> None:
        """Tell the child the run is over, wait for it to exit (its CPU time and peak RSS are
        kept: :attr:`cpu_seconds`, :attr:`maxrss_kib`)."""
        if not self.dead:
            with contextlib.suppress(OSError):
                self.conn.send(None)
            if self._reader is not None:  # it reads the "closed" answer
                self._reader.join(timeout)
            else:
                try:
                    if self.conn.poll(timeout):
                        kind, payload = self.conn.recv()
                        if kind == "closed":
                            self.cpu_seconds, self.maxrss_kib = payload
                except (EOFError, OSError):
                    pass
        self.conn.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck child
            self.process.kill()
            self.process.wait()
