"""The plain install, as a new user gets it: build the wheel, install it WITHOUT the dev extra
into a fresh virtual environment, then, from that environment only, ``fetch`` a generic page
(served here on 127.0.0.1) and crawl the demo portal. Exit status 1 with the reason when any
step fails. ``make test`` runs it (so CI does), before the test suite.

Usage: python scripts/check_plain_install.py [--keep DIR]

Needs PyPI (or a pip cache holding the runtime dependencies) and nothing else of the machine:
the check runs the console script of the new venv, with ``PYTHONPATH`` unset and the working
directory outside the repository, so no module of the source tree can stand in for the wheel.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import venv
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = (".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis")
NOT_SOURCE += ("archive-data", "out")

PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Plain install works</title>"
    '<meta name="author" content="Jane Doe">'
    '<meta property="article:published_time" content="2024-05-01T10:00:00+00:00"></head>'
    "<body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav><article>"
    "<h1>Plain install works</h1>"
    + "".join(
        f"<p>Paragraph {i}: an ordinary article, written for the install check, long enough "
        "that the generic extractor takes it for the main content of the page.</p>"
        for i in range(8)
    )
    + "</article><footer>© the install check</footer></body></html>"
).encode()


class CheckError(Exception):
    """A step of the check failed; the message says which and why."""


@contextlib.contextmanager
def serve_page() -> Iterator[str]:
    """A one-page HTTP server on 127.0.0.1 (ephemeral port); yields the page's URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/article.html"
            body = PAGE if found else b"not found"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/article.html"
    finally:
        server.shutdown()
        server.server_close()


def run(step: str, argv: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (no PYTHONPATH, outside the repository); print how long it took."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    started = time.monotonic()
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    print(f"  {step}: exit {result.returncode} in {time.monotonic() - started:.1f} s")
    if result.returncode != 0:
        raise CheckError(f"{step} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def framework_noise(stderr: str) -> list[str]:
    """Lines of a default-level run that are not progress or result: tracebacks, warnings."""
    return [
        line
        for line in stderr.splitlines()
        if "Traceback" in line or " WARNING: " in line or " ERROR: " in line
    ]


def check(work: Path) -> None:
    print(f"plain install check in {work}")
    wheels = work / "wheels"
    # built from a copy: setuptools leaves build/ and *.egg-info where it builds
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    run(
        "build the wheel",
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        work,
        600,
    )
    (wheel,) = wheels.glob("portal_archive-*.whl")
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    run(
        "install it without dev extras",
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        work,
        900,
    )
    listed = run("list the venv", [str(python), "-m", "pip", "list"], work, 120).stdout.lower()
    for dev_only in ("pytest", "readability-lxml", "ruff", "mypy"):
        if f"\n{dev_only} " in listed:
            raise CheckError(f"{dev_only} (a dev dependency) got installed")
    cli = str(env_dir / "bin" / "portal-archive")

    archive = work / "archive"
    with serve_page() as url:
        fetched = run(
            "fetch a generic page", [cli, "--archive", str(archive), "fetch", url], work, 300
        )
    post = Path(fetched.stdout.strip())
    if not post.is_file() or "Plain install works" not in post.read_text(encoding="utf-8"):
        raise CheckError(
            f"fetch wrote no post: stdout {fetched.stdout!r} stderr {fetched.stderr!r}"
        )
    if "Paragraph 7" not in post.read_text(encoding="utf-8"):
        raise CheckError(f"the generic extractor lost the article body: {post}")
    noise = framework_noise(fetched.stderr)
    if noise:
        raise CheckError("fetch printed framework internals:\n" + "\n".join(noise))
    print(f"  fetched {url} -> {post.relative_to(work)}")

    demo_archive = work / "demo"
    demo = run(
        "demo crawl",
        [cli, "--archive", str(demo_archive), "demo", "--port", "0"],
        work,
        600,
    )
    posts = sorted((demo_archive / "posts").rglob("*.md"))
    if len(posts) < 10 or not (demo_archive / "index.db").is_file():
        raise CheckError(f"the demo crawl archived {len(posts)} posts:\n{demo.stderr[-3000:]}")
    print(f"  demo crawl archived {len(posts)} posts")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="work in DIR and leave it (default: a temp dir)")
    args = parser.parse_args()
    try:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            check(args.keep.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="plain-install-") as work:
                check(Path(work))
    except CheckError as exc:
        print(f"plain install check FAILED: {exc}", file=sys.stderr)
        return 1
    print("plain install check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
