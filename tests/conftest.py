"""Shared fixtures: the demo portal on an ephemeral port, archive folders, ../shared."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

hypothesis_settings.register_profile(
    "ci", derandomize=True, max_examples=100, deadline=None, database=None, print_blob=True
)
hypothesis_settings.register_profile("soak", max_examples=2000, deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
"""Property tests (tests/test_hostile.py): fixed examples in CI, ``make soak`` draws many more."""

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the clone (third-party yardsticks, never copied into the repo)."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: conformance material lives beside the clone")
    return SHARED


@pytest.fixture
def demo_portal() -> Iterator[object]:
    from demo_portal import DemoPortal

    with DemoPortal(port=0) as portal:
        yield portal


FAST_SETTINGS = ("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "ARCHIVE_FSYNC=False")


def run_cli(
    archive: Path, *args: str, settings: tuple[str, ...] = FAST_SETTINGS, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``portal-archive --archive ARCHIVE ARGS…`` in a fresh process (real reactor)."""
    argv = [sys.executable, "-m", "portal_archive", "--archive", str(archive)]
    for setting in settings:
        argv += ["--set", setting]
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning", "COLUMNS": "200"}
    return subprocess.run(
        [*argv, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


Route = tuple[int, str, bytes]
"""``(status, content type, body)`` answered for a path."""


@contextlib.contextmanager
def serve_routes(
    routes: Mapping[str, Route], delays: Mapping[str, float] | None = None
) -> Iterator[str]:
    """A throw-away HTTP server on 127.0.0.1 (ephemeral port) answering fixed routes.

    Unknown paths answer 404. ``delays`` holds seconds to wait before answering a path.
    Yields the base URL.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if delays and self.path in delays:
                time.sleep(delays[self.path])
            status, content_type, body = routes.get(self.path, (404, "text/html", b"<h1>404</h1>"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[object]:
    """A real ``redis-server`` of this test only: 127.0.0.1, ephemeral port, AOF on."""
    from tests.support.redis_server import RedisServer

    with RedisServer(tmp_path / "redis") as server:
        yield server
