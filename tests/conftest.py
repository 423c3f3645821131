"""Shared fixtures: the demo portal on an ephemeral port, archive folders, ../shared."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    from archive.demo_portal import DemoPortal

    with DemoPortal(port=0) as portal:
        yield portal


FAST_SETTINGS = ("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "ARCHIVE_FSYNC=False")


def run_cli(
    archive: Path, *args: str, settings: tuple[str, ...] = FAST_SETTINGS, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``portal-archive --archive ARCHIVE ARGS…`` in a fresh process (real reactor)."""
    argv = [sys.executable, "-m", "archive", "--archive", str(archive)]
    for setting in settings:
        argv += ["--set", setting]
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning", "COLUMNS": "200"}
    return subprocess.run(
        [*argv, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
