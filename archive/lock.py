"""One writer per archive: an advisory ``flock`` on ``DIR/.lock``.

The kernel releases the lock when the holder dies, so a killed run never leaves a stale
lock behind. A second overlapping run fails at once with :class:`ArchiveLockedError`
(the CLI exits with :data:`EXIT_LOCKED`).
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path

from archive.errors import ArchiveLockedError

EXIT_LOCKED = 75
"""Exit code of a run that found the archive locked (``EX_TEMPFAIL``: try again later)."""

LOCK_NAME = ".lock"


class ArchiveLock:
    """``with ArchiveLock(root):`` holds the archive's writer lock or raises at once."""

    def __init__(self, root: Path | str) -> None:
        self.path = Path(root) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> ArchiveLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another run"
            os.close(fd)
            raise ArchiveLockedError(
                f"archive {self.path.parent} is locked by {holder}; not starting a second run"
            ) from None
        os.ftruncate(fd, 0)
        stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
        os.write(fd, f"pid {os.getpid()} since {stamp}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> ArchiveLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
