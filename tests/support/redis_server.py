"""A real ``redis-server`` for the distributed tests: 127.0.0.1, an ephemeral port, AOF on.

Never a system Redis: each :class:`RedisServer` is a child process with its own folder
(``--dir``), no RDB snapshots (``--save ''``) and the append-only file on, so it can be
restarted mid-crawl (:meth:`restart`) and come back with everything it had.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import pytest

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(self, folder: Path, *, appendfsync: str = "always") -> None:
        if not Path(REDIS_SERVER).is_file():
            pytest.fail("redis-server is missing: `make test` installs it (Debian redis-server)")
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.appendfsync = appendfsync
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        for _ in range(20):  # the port may be taken between choosing and binding it
            self.port = self.port or _free_port()
            argv = [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                self.appendfsync,
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.log),
            ]
            self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
            if self._wait_ready():
                return self
            self.process.kill()
            self.process.wait()
            self.port = 0
        raise RuntimeError(f"redis-server did not start: {self.log.read_text(errors='replace')}")

    def _wait_ready(self, timeout: float = 30.0) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.process = None

    def restart(self, down: float = 0.5) -> None:
        """Stop, stay away ``down`` seconds, start again on the same port from the AOF."""
        self.stop()
        time.sleep(down)
        self.start()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
