from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from archive.hexo import parse_post
from archive.lock import EXIT_LOCKED, ArchiveLock
from portal_archive.cli import cli
from tests.conftest import run_cli


def test_help_lists_the_contract_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("demo-portal", "crawl", "fetch", "demo", "serve"):
        assert command in result.output
    assert "--archive" in result.output


def test_bad_set_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["--set", "NOEQUALS", "crawl", "ofweek"])
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


def test_unknown_portal_is_a_clean_error(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "crawl", "nosuchportal")
    assert result.returncode == 1
    assert "unknown portal 'nosuchportal'" in result.stderr
    assert "Traceback" not in result.stderr


def test_crawl_of_a_fetch_only_spider_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "crawl", "generic")
    assert result.returncode == 2
    assert "generic has no listings, feeds or sitemaps to crawl" in result.stderr


def test_fetch_rejects_non_http_urls(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "fetch", "ftp://example.test/a.html")
    assert result.returncode == 1
    assert "not an absolute http(s) URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_fetch_of_a_foreign_host_goes_to_the_generic_extractor(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--log-level", "INFO", "fetch", "http://127.0.0.1:9/x.html")
    assert result.returncode == 1
    assert "error: http://127.0.0.1:9/x.html: connection" in result.stderr
    # the generic spider logged the failure (at INFO: fetch's own error line is the one shown)
    assert "[generic] INFO: Fetch failed (connection)" in result.stderr


def test_fetch_one_article_prints_its_path(demo_portal: Any, tmp_path: Path) -> None:
    article = next(a for a in demo_portal.articles if a.title and a.layout == "current")
    url = demo_portal.article_url(article)
    result = run_cli(tmp_path, "fetch", url, "--portal", "ofweek")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.is_file()
    assert path.is_relative_to((tmp_path / "posts").resolve())
    again = run_cli(tmp_path, "fetch", url, "--portal", "ofweek", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {
        "url": url,
        "status": "skipped",
        "path": str(path),
        "detail": "already archived",
        "text": "",
    }
    forced = run_cli(tmp_path, "fetch", url, "--portal", "ofweek", "--json", "--force")
    assert json.loads(forced.stdout)["status"] == "unchanged"
    assert demo_portal.hits[url.removeprefix(demo_portal.base_url)] == 2


def test_fetch_stdout_prints_the_post_and_writes_nothing(demo_portal: Any, tmp_path: Path) -> None:
    article = next(a for a in demo_portal.articles if a.title and a.layout == "current")
    result = run_cli(
        tmp_path,
        "fetch",
        demo_portal.article_url(article),
        "--portal",
        "ofweek",
        "--stdout",
        "--image-mode",
        "proxy",
    )
    assert result.returncode == 0, result.stderr
    post = parse_post(result.stdout)
    assert post.metadata["author"] == "高科技行业门户"
    assert str(post.metadata["headimg"]).startswith("https://cors.zfour.workers.dev/?http://")
    assert not (tmp_path / "posts").exists() or not list((tmp_path / "posts").rglob("*.md"))


def test_a_locked_archive_refuses_a_second_run(demo_portal: Any, tmp_path: Path) -> None:
    with ArchiveLock(tmp_path):
        result = run_cli(tmp_path, "crawl", "ofweek", "--base-url", demo_portal.base_url)
    assert result.returncode == EXIT_LOCKED
    assert "locked by pid" in result.stderr
    assert not (tmp_path / "index.db").exists()
    assert sum(demo_portal.hits.values()) == 0


def test_fetch_of_a_404_is_a_one_line_error(demo_portal: Any, tmp_path: Path) -> None:
    url = demo_portal.base_url + "/2022-08/ART-8100-2801-99999999.html"
    result = run_cli(tmp_path, "fetch", url, "--portal", "ofweek")
    assert result.returncode == 1
    assert f"error: {url}: http_404" in result.stderr
    assert not list((tmp_path / "posts").rglob("*.md"))


def test_crawl_of_an_unreachable_host_fails_as_a_whole(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "crawl", "ofweek", "--base-url", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert "nothing discovered" in result.stderr


def test_scrapy_list_and_crawl_work_from_the_repo_root(demo_portal: Any, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    listed = subprocess.run(
        [scrapy, "list"], cwd=root, capture_output=True, text=True, check=False, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    assert "ofweek" in listed.stdout.split()
    crawled = subprocess.run(
        [
            scrapy,
            "crawl",
            "ofweek",
            "-a",
            f"base_url={demo_portal.base_url}",
            "-s",
            f"ARCHIVE_DIR={tmp_path}",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert crawled.returncode == 0, crawled.stderr
    assert len(list((tmp_path / "posts").rglob("*.md"))) > 5
    assert (tmp_path / ".lock").exists()  # the writer took the lock itself


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_archives_the_demo_portal_and_reruns_write_nothing(tmp_path: Path) -> None:
    port = str(_free_port())
    first = run_cli(tmp_path, "demo", "--port", port, settings=())
    assert first.returncode == 0, first.stderr
    from demo_portal.portals import SITES

    # every portal of the demo: OFweek's 11 good articles plus each other site's
    expected = 11 + sum(len(site.articles) for site in SITES.values())
    assert f"{expected} articles archived" in first.stderr
    assert "portal-archive --archive" in first.stderr and " serve" in first.stderr
    for portal in ("ofweek", *SITES):
        assert f"│ {portal} " in first.stderr
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "posts").rglob("*.md")}
    assert len(files) == expected
    second = run_cli(tmp_path, "demo", "--port", port, settings=())
    assert second.returncode == 0, second.stderr
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "posts").rglob("*.md")} == files
