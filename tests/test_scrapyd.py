"""Scrapyd for real: start it from ``deploy/``, deploy with scrapyd-client, schedule, archive.

A real ``scrapyd`` (the venv's, started with the ``ExecStart=`` of
``deploy/systemd/portal-archive-scrapyd.service``) runs on 127.0.0.1 with
``deploy/scrapyd/scrapyd.conf``, its folders moved to a temporary directory. The project is
deployed with ``deploy/scrapyd/deploy.sh`` (scrapyd-deploy on a scratch copy), ``ofweek`` is
scheduled with the ``curl`` fields of ``docs/scheduling.md`` against the demo portal, and the
articles must land in the archive. Scrapyd is stopped by its PID at the end.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.spiderloader import SpiderLoader
from sqlite_utils import Database

from archive.lock import ArchiveLock
from portal_archive.runner import project_settings
from tests.test_scheduling import (
    ARCHIVE_DIR,
    INSTALL_DIR,
    ROOT,
    SCRAPYD_SERVICE,
    assert_archived,
    localize,
    only,
    require,
    unit_values,
)

CONF = ROOT / "deploy" / "scrapyd" / "scrapyd.conf"
DEPLOY_SCRIPT = ROOT / "deploy" / "scrapyd" / "deploy.sh"
DOC = ROOT / "docs" / "scheduling.md"
BIN = Path(sys.executable).parent
PROJECT = "portal_archive"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def post_json(url: str, fields: list[tuple[str, str]]) -> Any:
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(url, data=data, timeout=10) as response:
        return json.load(response)


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8", "replace"))


class Scrapyd:
    """A scrapyd process in ``workdir`` with the project's config; stopped by PID."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.conf = configparser.ConfigParser()
        self.conf.read(CONF, encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = workdir / "scrapyd.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, attempts: int = 3) -> None:
        values = unit_values(SCRAPYD_SERVICE)
        command = require(only(values, "Service", "ExecStart"), f"{INSTALL_DIR}/.venv/bin")
        argv = shlex.split(localize(command, self.workdir))
        for _ in range(attempts):
            self.port = free_port()  # scrapyd cannot listen on port 0 (it disables TCP)
            self._write_conf()
            with self.log.open("wb") as log:
                self.process = subprocess.Popen(
                    argv, cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT
                )
            if self._wait_ready():
                return
            self.stop()
            if "Address already in use" not in self.log.read_text(encoding="utf-8"):
                break
        raise AssertionError(f"scrapyd did not start:\n{self.log.read_text(encoding='utf-8')}")

    def _write_conf(self) -> None:
        section = self.conf["scrapyd"]
        for key in ("eggs_dir", "dbs_dir", "logs_dir"):
            section[key] = str(self.workdir / key.removesuffix("_dir"))
        section["http_port"] = str(self.port)
        section["poll_interval"] = "0.2"  # pick queued jobs up quickly (production: 5 s)
        with (self.workdir / "scrapyd.conf").open("w", encoding="utf-8") as handle:
            self.conf.write(handle)

    def _wait_ready(self, timeout: float = 30) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if get_json(self.url + "daemonstatus.json")["status"] == "ok":
                    return True
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None

    def wait_finished(self, jobid: str, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = get_json(self.url + f"listjobs.json?project={PROJECT}")
            for job in jobs["finished"]:
                if job["id"] == jobid:
                    return dict(job)
            time.sleep(0.2)
        raise AssertionError(f"job {jobid} did not finish in {timeout} s: {jobs}")


def documented_schedule_fields() -> tuple[str, list[tuple[str, str]]]:
    """URL and ``-d`` fields of the ``curl …/schedule.json`` line in docs/scheduling.md."""
    lines = [
        line
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("curl ") and "schedule.json" in line
    ]
    assert len(lines) == 1, lines
    words = shlex.split(lines[0])
    fields = [tuple(words[i + 1].split("=", 1)) for i, w in enumerate(words) if w == "-d"]
    assert all(len(f) == 2 for f in fields), fields
    return words[1], [(k, v) for k, v in fields]


@pytest.fixture(scope="module")
def scrapyd_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from demo_portal import DemoPortal

    base = tmp_path_factory.mktemp("scrapyd")
    for name in ("server", "home", "config", "tmp"):
        (base / name).mkdir()
    env = {
        **os.environ,
        "HOME": str(base / "home"),
        "XDG_CONFIG_HOME": str(base / "config"),
        "TMPDIR": str(base / "tmp"),
        "SCRAPYD_DEPLOY": str(BIN / "scrapyd-deploy"),
    }
    env.pop("PYTHONWARNINGS", None)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    server = Scrapyd(base / "server", env)
    egg_info = sorted(ROOT.glob("*.egg-info/*"))
    egg_info_before = {p: p.stat().st_mtime_ns for p in egg_info}
    try:
        server.start()
        # the deploy target lives in the user's scrapy.cfg, not in the repository's
        (base / "config" / "scrapy.cfg").write_text(
            f"[deploy:test]\nurl = {server.url}\n", encoding="utf-8"
        )
        started = time.monotonic()
        deployed = subprocess.run(
            [str(DEPLOY_SCRIPT), "test"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        deploy_seconds = time.monotonic() - started
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        answer = json.loads(deployed.stdout.strip().splitlines()[-1])

        archive = base / "archive"
        url, fields = documented_schedule_fields()
        assert ("setting", f"ARCHIVE_DIR={ARCHIVE_DIR}") in fields, fields
        fields = [(k, v.replace(ARCHIVE_DIR, str(archive))) for k, v in fields]
        schedule_url = url.replace("http://127.0.0.1:6800/", server.url)
        assert schedule_url != url, "the documented URL should be Scrapyd's default address"
        with DemoPortal(port=0) as portal:
            fields += [("base_url", portal.base_url), ("setting", "AUTOTHROTTLE_ENABLED=False")]
            scheduled = post_json(schedule_url, fields)
            assert scheduled["status"] == "ok", scheduled
            started = time.monotonic()
            job = server.wait_finished(scheduled["jobid"])
            job_seconds = time.monotonic() - started
            hits_after_job = sum(portal.hits.values())
            # a second job while another writer holds the archive must give up at once
            with ArchiveLock(archive):
                locked = post_json(schedule_url, fields)
                locked_job = server.wait_finished(locked["jobid"])
            hits_after_locked_job = sum(portal.hits.values())
            origin = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from scrapyd.runner import project_environment\n"
                    f"with project_environment({PROJECT!r}):\n"
                    "    import crawler.settings, pipelines.store, archive.store\n"
                    "    print(crawler.settings.__file__, pipelines.store.__file__,"
                    " archive.store.__file__)",
                ],
                cwd=server.workdir,
                env={**env, "SCRAPY_PROJECT": PROJECT},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            yield {
                "server": server,
                "answer": answer,
                "deployed": deployed,
                "archive": archive,
                "portal": portal,
                "job": job,
                "log": get_text(server.url + job["log_url"][1:]),
                "locked_log": get_text(server.url + locked_job["log_url"][1:]),
                "hits": (hits_after_job, hits_after_locked_job),
                "origin": origin,
                "spiders": get_json(server.url + f"listspiders.json?project={PROJECT}"),
                "tmp": base / "tmp",
                "egg_info_before": egg_info_before,
                "deploy_seconds": deploy_seconds,
                "job_seconds": job_seconds,
            }
    finally:
        server.stop()


def test_scrapyd_listens_on_loopback_only(scrapyd_run: dict[str, Any]) -> None:
    conf = configparser.ConfigParser()
    conf.read(CONF, encoding="utf-8")
    assert conf["scrapyd"]["bind_address"] == "127.0.0.1"
    assert conf["scrapyd"]["max_proc"] == "1", "one writer per archive: one job at a time"
    server = scrapyd_run["server"]
    log = server.log.read_text(encoding="utf-8")
    assert f"Scrapyd web console available at {server.url}" in log
    assert not (server.workdir / "twistd.pid").exists(), "--pidfile= should write no pid file"


def test_deploy_uploads_the_project_as_an_egg(scrapyd_run: dict[str, Any]) -> None:
    answer = scrapyd_run["answer"]
    assert answer["status"] == "ok", answer
    assert answer["project"] == PROJECT
    local = sorted(SpiderLoader.from_settings(project_settings(ROOT / "unused")).list())
    assert "ofweek" in local
    assert answer["spiders"] == len(local)
    assert sorted(scrapyd_run["spiders"]["spiders"]) == local
    eggs = list((scrapyd_run["server"].workdir / "eggs" / PROJECT).glob("*.egg"))
    assert len(eggs) == 1, eggs
    with zipfile.ZipFile(eggs[0]) as egg:
        names = set(egg.namelist())
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert {
        "crawler/settings.py",
        "crawler/spiders/ofweek.py",
        "pipelines/store.py",
        "archive/store.py",
    } <= names
    assert not any(n.startswith(("tests/", "bench/", "deploy/")) for n in names)
    assert re.search(r"^\[scrapy\]\s*^settings = crawler\.settings$", entry_points, re.M)


def test_deploy_leaves_the_checkout_untouched(scrapyd_run: dict[str, Any]) -> None:
    assert not (ROOT / "setup.py").exists()
    assert not (ROOT / "build").exists()
    egg_info = {p: p.stat().st_mtime_ns for p in sorted(ROOT.glob("*.egg-info/*"))}
    assert egg_info == scrapyd_run["egg_info_before"]
    assert list(scrapyd_run["tmp"].iterdir()) == [], "the scratch copy should be removed"


def test_jobs_run_the_deployed_egg_not_the_checkout(scrapyd_run: dict[str, Any]) -> None:
    origin = scrapyd_run["origin"]
    assert origin.returncode == 0, origin.stderr
    eggs = str(scrapyd_run["server"].workdir / "eggs" / PROJECT)
    files = origin.stdout.split()
    assert len(files) == 3 and all(f.startswith(eggs) for f in files), files


def test_scheduled_crawl_archives_the_demo_portal(scrapyd_run: dict[str, Any]) -> None:
    log = scrapyd_run["log"]
    assert "'finish_reason': 'finished'" in log
    assert "ERROR" not in log, log
    assert_archived(scrapyd_run["archive"], scrapyd_run["portal"])
    hits_after_job, _ = scrapyd_run["hits"]
    assert hits_after_job > 0


def test_a_job_overlapping_another_writer_stops_at_the_lock(scrapyd_run: dict[str, Any]) -> None:
    hits_after_job, hits_after_locked_job = scrapyd_run["hits"]
    assert "is locked" in scrapyd_run["locked_log"]
    assert hits_after_locked_job == hits_after_job, "a locked-out job should fetch nothing"
    rows = Database(scrapyd_run["archive"] / "index.db")["articles"].count
    assert rows == len(list((scrapyd_run["archive"] / "posts").rglob("*.md")))
