"""Named crash points: a test hook that SIGKILLs the process at an exact place in the writer.

The crash-safety tests (``tests/test_crash.py``) kill the writer from outside at seeded random
moments *and*, to be sure every phase is hit, ask it to kill itself at the N-th pass of a named
point: ``PORTAL_ARCHIVE_CRASHPOINT=index.before-commit:7``. The kill is a real ``SIGKILL``
(no ``finally``, no ``atexit``), exactly what the kernel's OOM killer or a power cut does to the
process. Without the variable (always, outside those tests) :func:`crashpoint` is one falsy
check.

Points: ``write.before-rename`` (a temp file is complete, not yet renamed into place),
``save.after-post`` (the post is in place, its sidecar is not), ``save.before-index`` (post and
sidecar are in place, the index row is not), ``index.before-commit`` (inside the index
transaction, before its commit), and the batch writer's own steps (``archive/writer.py``):
``batch.temps-written`` (every temp file of a batch written, none flushed), ``batch.synced``
(all flushed, none renamed), ``batch.dirs-synced`` (all renamed and their folders flushed, the
index transaction not begun), ``batch.committed`` (the index transaction committed, the caller
not told yet), and ``writer.before-ack`` (the distributed writer wrote and
published a batch, not yet acknowledged it: ``portal_archive/writer.py``).

A batch step passes once for all the items of its batch: it counts as one pass per item
(``weight``), so ``index.before-commit:7`` kills in the commit of the batch holding the 7th item
whatever the batch size.
"""

from __future__ import annotations

import os
import signal

ENV = "PORTAL_ARCHIVE_CRASHPOINT"
POINTS = (
    "write.before-rename",
    "save.after-post",
    "save.before-index",
    "index.before-commit",
    "batch.temps-written",
    "batch.synced",
    "batch.dirs-synced",
    "batch.committed",
)
"""The points every writing command passes (``tests/test_crash.py`` cycles through them)."""
WRITER_POINTS = ("writer.before-ack",)
"""Points of the distributed writer only (``tests/test_distributed.py``)."""


def _parse(spec: str) -> tuple[str, int] | None:
    name, _, count = spec.partition(":")
    if not name:
        return None
    known = (*POINTS, *WRITER_POINTS)
    if name not in known:
        raise ValueError(f"{ENV}: unknown crash point {name!r} (known: {', '.join(known)})")
    return name, int(count or "1")


_TARGET = _parse(os.environ.get(ENV, ""))
_passes: dict[str, int] = {}


def crashpoint(name: str, weight: int = 1) -> None:
    """SIGKILL this process on the configured pass of ``name`` (no-op unless configured);
    a batch step passes ``weight`` times at once (once per item of its batch)."""
    if _TARGET is None or _TARGET[0] != name or weight <= 0:
        return
    _passes[name] = _passes.get(name, 0) + weight
    if _passes[name] >= _TARGET[1]:
        os.kill(os.getpid(), signal.SIGKILL)
