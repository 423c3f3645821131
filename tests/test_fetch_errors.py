"""``fetch`` gives one clear line and exit code 1 for every kind of bad URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FAST_SETTINGS, Route, run_cli, serve_routes

SETTINGS = (*FAST_SETTINGS, "RETRY_TIMES=0", "DOWNLOAD_TIMEOUT=1")


ROUTES: dict[str, Route] = {
    "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
    "/500.html": (500, "text/html", b"<h1>oops</h1>"),
    "/403.html": (403, "text/html", b"<h1>forbidden</h1>"),
    "/image.png": (200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    "/private/a.html": (200, "text/html", b"<p>secret</p>"),
    "/slow.html": (200, "text/html", b"<p>too late</p>"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_routes(ROUTES, delays={"/slow.html": 3}) as base_url:
        yield base_url


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/500.html", "http_500"),
        ("/403.html", "http_403"),
        ("/missing.html", "http_404"),
        ("/image.png", "not_html"),
        ("/slow.html", "timeout"),
        ("/private/a.html", "robots"),
    ],
)
def test_fetch_failure_reasons(server: str, tmp_path: Path, path: str, reason: str) -> None:
    url = server + path
    result = run_cli(tmp_path, "fetch", url, "--portal", "ofweek", settings=SETTINGS)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: {url}: {reason}")
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.rglob("*.md"))


def test_connection_refused_and_dns(tmp_path: Path) -> None:
    urls = ["http://127.0.0.1:9/a.html", "http://no-such-host.invalid/a.html"]
    result = run_cli(tmp_path, "fetch", *urls, "--portal", "ofweek", settings=SETTINGS)
    assert result.returncode == 1
    assert f"error: {urls[0]}: connection" in result.stderr
    assert f"error: {urls[1]}: dns" in result.stderr


def test_one_bad_url_does_not_stop_the_others(
    server: str, demo_portal: object, tmp_path: Path
) -> None:
    good = next(a for a in demo_portal.articles if a.title)  # type: ignore[attr-defined]
    good_url = demo_portal.article_url(good)  # type: ignore[attr-defined]
    result = run_cli(
        tmp_path, "fetch", server + "/500.html", good_url, "--portal", "ofweek", settings=SETTINGS
    )
    assert result.returncode == 1
    assert len(result.stdout.strip().splitlines()) == 1
    assert Path(result.stdout.strip()).is_file()
