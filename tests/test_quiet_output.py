"""What a person sees at the default log level: progress and result, no framework internals.

Each network failure (refused, DNS, reset, timeout, TLS) is one line naming the reason, for
``fetch``, ``crawl`` and image downloads, with no traceback; ``--log-level DEBUG`` still shows
everything (Scrapy's own lines and tracebacks). Real CLI runs against 127.0.0.1 servers.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FAST_SETTINGS, run_cli, serve_routes

SETTINGS = (*FAST_SETTINGS, "DOWNLOAD_TIMEOUT=2")
TRACEBACK = "Traceback (most recent call last)"


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound then closed: connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def raw_server(answer: str) -> Iterator[str]:
    """A TCP server on 127.0.0.1: ``reset`` closes each connection with an RST after reading
    the request, ``stall`` reads it and never answers. Yields ``host:port``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.settimeout(5)
            with contextlib.suppress(OSError):
                conn.recv(65536)
            if answer == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            else:
                held.append(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        for conn in held:
            conn.close()


@contextlib.contextmanager
def failing_host(kind: str) -> Iterator[tuple[str, str]]:
    """``(base URL, reason word the failure line must hold)`` for a failing host."""
    if kind == "refused":
        yield f"http://127.0.0.1:{closed_port()}", "connection"
    elif kind == "dns":
        yield "http://no-such-host.invalid", "dns"
    elif kind == "tls":  # TLS spoken to a plain HTTP server: the handshake fails
        with serve_routes({}) as base:
            yield base.replace("http://", "https://"), "tls"
    else:
        with raw_server(kind) as hostport:
            yield f"http://{hostport}", {"reset": "download", "stall": "timeout"}[kind]


def problem_lines(stderr: str) -> list[str]:
    """Lines that are not the command's own result lines (``error: …``)."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("error:")]


KINDS = ["refused", "dns", "reset", "stall", "tls"]


@pytest.mark.parametrize("kind", KINDS)
def test_fetch_failure_is_one_line(tmp_path: Path, kind: str) -> None:
    with failing_host(kind) as (base, reason):
        url = base + "/a.html"
        result = run_cli(tmp_path, "fetch", url, settings=SETTINGS)
    assert result.returncode == 1
    assert TRACEBACK not in result.stderr
    assert problem_lines(result.stderr) == [], result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {url}: {reason} ")
    assert result.stdout == ""


def test_fetch_does_not_retry_a_refused_connection_and_debug_shows_everything(
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/a.html"
    result = run_cli(tmp_path, "--log-level", "DEBUG", "fetch", url, settings=SETTINGS)
    assert result.returncode == 1
    # the robots.txt failure, with Scrapy's traceback, is there at DEBUG …
    assert "[scrapy.downloadermiddlewares.robotstxt] DEBUG: Error downloading" in result.stderr
    assert TRACEBACK in result.stderr
    # … and neither robots.txt nor the page was retried (no backoff waits)
    assert "Retrying <GET" not in result.stderr
    assert result.stderr.count("Connection was refused") >= 2


def test_fetch_retries_a_refused_connection_when_asked(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/a.html"
    settings = (*SETTINGS, "ARCHIVE_RETRY_UNREACHABLE=True", "ARCHIVE_RETRY_BACKOFF=0")
    result = run_cli(tmp_path, "--log-level", "DEBUG", "fetch", url, settings=settings)
    assert result.returncode == 1
    assert "Retrying <GET" in result.stderr


PAGE = (
    "<html lang=en><head><title>Quiet page</title>"
    '<meta property="article:published_time" content="2024-05-01T10:00:00+00:00">'
    "</head><body><article><h1>Quiet page</h1>"
    + "".join(
        f"<p>Paragraph {i} of an article that a reader fetches and expects to see saved, "
        "with nothing else printed but the path of the post.</p>"
        for i in range(8)
    )
    + "{image}</article></body></html>"
)


def test_successful_fetch_prints_only_the_path(tmp_path: Path) -> None:
    body = PAGE.format(image="").encode()
    with serve_routes({"/a.html": (200, "text/html; charset=utf-8", body)}) as base:
        result = run_cli(tmp_path, "fetch", base + "/a.html", settings=SETTINGS)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no "Disabled …" warnings
    assert Path(result.stdout.strip()).is_file()


@pytest.mark.parametrize("kind", ["refused", "reset"])
def test_image_download_failure_is_one_line(tmp_path: Path, kind: str) -> None:
    with failing_host(kind) as (image_base, _):
        image = image_base + "/picture.png"
        body = PAGE.format(image=f'<p><img src="{image}" alt="a picture"></p>').encode()
        with serve_routes({"/a.html": (200, "text/html; charset=utf-8", body)}) as base:
            result = run_cli(tmp_path, "fetch", base + "/a.html", settings=SETTINGS)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_file()
    assert TRACEBACK not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert image in lines[0]
    assert "twisted.python.failure" not in lines[0]  # the reason, not a repr


@pytest.mark.parametrize("kind", ["refused", "stall"])
def test_crawl_failure_is_one_line(tmp_path: Path, kind: str) -> None:
    with failing_host(kind) as (base, reason):
        feed = base + "/feed.xml"
        settings = (*SETTINGS, "RETRY_TIMES=0")
        result = run_cli(tmp_path, "crawl", "generic", "--start-url", feed, settings=settings)
    assert TRACEBACK not in result.stderr
    mentions = [line for line in result.stderr.splitlines() if feed in line]
    assert len(mentions) == 1, result.stderr
    assert f"Fetch failed ({reason}): {feed}: " in mentions[0]
