"""Written files follow the umask, as files written with ``open()`` would: a web server or
the owner's group can read a Hexo source tree built from the archive (atomic writes go
through ``mkstemp``, whose 0600 is replaced by ``0o666`` less the umask)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from archive.frontmatter_files import new_file_mode, write_atomic
from tests.conftest import FAST_SETTINGS


def _run(archive: Path, umask: int, *args: str) -> None:
    argv = [sys.executable, "-m", "portal_archive", "--archive", str(archive)]
    for setting in FAST_SETTINGS:
        argv += ["--set", setting]
    result = subprocess.run(
        [*argv, *args], capture_output=True, text=True, timeout=300, check=False, umask=umask
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_posts_sidecars_assets_and_exports_follow_the_umask(tmp_path: Path, umask: int) -> None:
    archive = tmp_path / "archive"
    _run(archive, umask, "demo", "--port", "0", "--image-mode", "local")
    posts = list((archive / "posts").rglob("*.md"))
    assets = [p for p in (archive / "assets").rglob("*") if p.is_file()]
    assert posts and assets
    # exports rewrite every post (and its sidecar) twice
    _run(archive, umask, "export", "--image-mode", "origin", "--no-download")
    _run(archive, umask, "export", "--image-mode", "local", "--no-download")
    files = [p for p in archive.rglob("*") if p.is_file()]  # hidden sidecars, lock included
    kinds = {p.suffix for p in files}
    assert {".md", ".json", ".png", ".jpg", ".db"} <= kinds  # posts, sidecars, assets, index
    modes = {str(p.relative_to(archive)): stat.S_IMODE(p.stat().st_mode) for p in files}
    wrong = {name: oct(mode) for name, mode in modes.items() if mode != 0o666 & ~umask}
    assert not wrong, f"umask {umask:03o}: {wrong}"


def test_write_atomic_gives_new_files_the_open_mode(tmp_path: Path) -> None:
    target = tmp_path / "post.md"
    write_atomic(target, "text", fsync=False)
    with (tmp_path / "plain").open("w") as handle:  # what open() gives, same process umask
        handle.write("text")
    assert stat.S_IMODE(target.stat().st_mode) == new_file_mode()
    assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE((tmp_path / "plain").stat().st_mode)
