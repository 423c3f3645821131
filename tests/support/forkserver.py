"""A fork server for the kill trials: ``portal-archive`` runs without paying its start-up.

Each kill trial starts the command twice (the run that is killed, the run that resumes); most
of a short run's time is importing Scrapy, Twisted, lxml. This server imports those
third-party modules once, then forks one child per request. The child is a real process of
its own (its own pid, files, SQLite connections, reactor — none of ``archive``, ``crawler``,
``pipelines`` is imported before the fork, and no reactor is installed), so a ``SIGKILL`` to
it is exactly a kill of ``portal-archive``.

Protocol, one JSON object per line: the client sends ``{"argv": [...], "env": {...},
"stderr": PATH}``; the server answers ``{"pid": N}`` once the child runs and
``{"pid": N, "exit": CODE}`` when it is gone (``CODE`` is ``-9`` for a SIGKILL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import IO, Any

PRELOAD = (
    "scrapy",
    "scrapy.crawler",
    "scrapy.http",
    "scrapy.pipelines.files",
    "twisted.web.http",
    "lxml.html",
    "lxml.cssselect",
    "sqlite_utils",
    "nh3",
    "yaml",
    "frontmatter",
    "click",
    "rich.console",
    "rich.table",
    "parsel",
    "w3lib.url",
)


def _child(request: dict[str, Any]) -> None:
    """In the forked child: become ``python -m portal_archive ARGV`` and never return."""
    code = 1
    try:
        os.environ.clear()
        os.environ.update(request["env"])
        fd = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 2)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        warnings.simplefilter("error", DeprecationWarning)
        sys.argv = ["portal-archive", *request["argv"]]
        from portal_archive.cli import main

        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # report like an uncaught exception would, then exit 1
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    for name in PRELOAD:
        __import__(name)
    assert "twisted.internet.reactor" not in sys.modules, "a preloaded module installed a reactor"
    out = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()
        _, status = os.waitpid(pid, 0)
        out.write(json.dumps({"pid": pid, "exit": os.waitstatus_to_exitcode(status)}) + "\n")
        out.flush()


class ForkServer:
    """Client side: ``start(argv, env, stderr) -> pid``, then ``wait() -> exit code``."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in: IO[str] = self.proc.stdin
        self._out: IO[str] = self.proc.stdout

    def start(self, argv: list[str], env: dict[str, str], stderr: Path) -> int:
        self._in.write(json.dumps({"argv": argv, "env": env, "stderr": str(stderr)}) + "\n")
        self._in.flush()
        return int(json.loads(self._out.readline())["pid"])

    def wait(self) -> int:
        return int(json.loads(self._out.readline())["exit"])

    def close(self) -> None:
        self._in.close()
        self.proc.wait(timeout=30)
        self._out.close()


if __name__ == "__main__":
    serve()
