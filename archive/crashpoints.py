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
transaction, before its commit), ``writer.before-ack`` (the distributed writer wrote and
published a batch, not yet acknowledged it: ``portal_archive/writer.py``).
"""

from __future__ import annotations

import os
import signal

ENV = "PORTAL_ARCHIVE_CRASHPOINT"
POINTS = ("write.before-rename", "save.after-post", "save.before-index", "index.before-commit")
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


def crashpoint(name: str) -> None:
    """SIGKILL this process on the configured pass of ``name`` (no-op unless configured)."""
    if _TARGET is None or _TARGET[0] != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] >= _TARGET[1]:
        os.kill(os.getpid(), signal.SIGKILL)
