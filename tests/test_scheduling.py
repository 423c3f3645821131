"""The cron line and the systemd units of ``deploy/`` run for real, as documented.

Each test takes its command line out of the deploy file itself (``ExecStart=`` of the service,
the command field of the cron line), replaces the install and archive paths with the test's,
appends ``--base-url`` pointing at the demo portal, runs it, and looks for the articles in the
archive. ``docs/scheduling.md`` must show the files verbatim.
"""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from archive.lock import EXIT_LOCKED, ArchiveLock

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SERVICE = DEPLOY / "systemd" / "portal-archive-crawl@.service"
TIMER = DEPLOY / "systemd" / "portal-archive-crawl@.timer"
SCRAPYD_SERVICE = DEPLOY / "systemd" / "portal-archive-scrapyd.service"
CRON = DEPLOY / "cron" / "portal-archive.cron"
DOC = ROOT / "docs" / "scheduling.md"

INSTALL_DIR = "/opt/portal-archive"
ARCHIVE_DIR = "/var/lib/portal-archive"
LOG_DIR = "/var/log/portal-archive"
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"  # what systemd gives services


def unit_values(path: Path) -> dict[tuple[str, str], list[str]]:
    """``(section, key) → values`` of a systemd unit file (keys may repeat)."""
    values: dict[tuple[str, str], list[str]] = {}
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {raw!r}"
        values.setdefault((section, key.strip()), []).append(value.strip())
    return values


def only(values: dict[tuple[str, str], list[str]], section: str, key: str) -> str:
    found = values.get((section, key), [])
    assert len(found) == 1, f"expected one {key}= in [{section}], found {found}"
    return found[0]


def localize(text: str, archive: Path, logs: Path | None = None) -> str:
    """The deploy file's paths → this checkout, its venv and the test's folders."""
    text = text.replace(f"{INSTALL_DIR}/.venv/bin", str(Path(sys.executable).parent))
    text = text.replace(INSTALL_DIR, str(ROOT)).replace(ARCHIVE_DIR, str(archive))
    return text if logs is None else text.replace(LOG_DIR, str(logs))


def require(text: str, *placeholders: str) -> str:
    """``text``, after checking it names every placeholder (so no replacement is a no-op)."""
    for placeholder in placeholders:
        assert placeholder in text, f"{placeholder} not in {text!r}"
    return text


def expand_specifiers(value: str, instance: str) -> str:
    """systemd's ``%i`` (instance) and ``%%``; any other specifier is unexpected here."""
    unknown = set(re.findall(r"%([^i%])", value))
    assert not unknown, f"unexpected specifiers {unknown} in {value!r}"
    return re.sub(r"%([i%])", lambda m: instance if m.group(1) == "i" else "%", value)


def exec_start(archive: Path, instance: str = "ofweek") -> tuple[list[str], Path]:
    """argv and working directory of the crawl service, as systemd would start them."""
    values = unit_values(SERVICE)
    command = require(only(values, "Service", "ExecStart"), f"{INSTALL_DIR}/.venv/bin", ARCHIVE_DIR)
    command = expand_specifiers(localize(command, archive), instance)
    assert command[0] == "/", f"ExecStart needs an absolute path: {command!r}"
    cwd = Path(localize(only(values, "Service", "WorkingDirectory"), archive))
    return shlex.split(command), cwd


def cron_entry() -> tuple[list[str], str, str, dict[str, str]]:
    """``(schedule fields, user, command, environment)`` of the one job in the cron file."""
    env: dict[str, str] = {}
    jobs = []
    for line in CRON.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assignment = re.fullmatch(r"([A-Z_]+)=(.*)", line)
        if assignment:
            env[assignment.group(1)] = assignment.group(2)
            continue
        jobs.append(line.split(None, 6))
    assert len(jobs) == 1, jobs
    *fields, user, command = jobs[0]
    assert len(fields) == 5, fields
    return fields, user, command, env


def cron_shell_line(command: str, archive: Path, logs: Path, base_url: str) -> str:
    """The cron command with local paths and ``--base-url`` added to the crawl itself."""
    require(command, f"{INSTALL_DIR}/.venv/bin", ARCHIVE_DIR, LOG_DIR)
    crawl, sep, rest = localize(command, archive, logs).partition(" >>")
    assert sep, "the cron line should append its output to a log file"
    return f"{crawl} --base-url {base_url} >>{rest}"


def expected_articles(portal: Any) -> list[Any]:
    return [a for a in portal.articles if a.title and (a.in_listing or a.in_feed)]


def assert_archived(archive: Path, portal: Any) -> None:
    expected = expected_articles(portal)
    assert expected
    files = sorted((archive / "posts").rglob("*.md"))
    assert len(files) == len(expected), files
    urls = {row["url"] for row in Database(archive / "index.db")["articles"].rows}
    assert urls == {portal.article_url(a) for a in expected}


# --- systemd --------------------------------------------------------------------------------
def test_service_is_a_oneshot_that_treats_a_busy_archive_as_skipped() -> None:
    values = unit_values(SERVICE)
    assert only(values, "Service", "Type") == "oneshot"
    assert str(EXIT_LOCKED) in only(values, "Service", "SuccessExitStatus").split()
    timer = unit_values(TIMER)
    assert only(timer, "Timer", "Persistent") == "true"
    assert re.fullmatch(r"\d+(min|s|h)", only(timer, "Timer", "RandomizedDelaySec"))
    assert only(timer, "Install", "WantedBy") == "timers.target"


def test_service_exec_start_crawls_the_demo_portal(demo_portal: Any, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    argv, cwd = exec_start(archive)
    assert argv[-2:] == ["crawl", "ofweek"], argv
    env = {"PATH": SYSTEMD_PATH, "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    result = subprocess.run(
        [*argv, "--base-url", demo_portal.base_url],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Spider closed (finished)" in result.stderr  # --log-level INFO: Scrapy's log
    assert re.search(r"ofweek .* finished", result.stderr), result.stderr  # the summary table
    assert_archived(archive, demo_portal)


def test_service_and_cron_runs_stop_at_once_on_a_busy_archive(
    demo_portal: Any, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    logs = tmp_path / "log"
    logs.mkdir()
    argv, cwd = exec_start(archive)
    _, _, command, cron_env = cron_entry()
    with ArchiveLock(archive):
        # both give up at once: one that waited for the lock would run into the timeout, as
        # the lock is held until both have finished (no stopwatch: the machine may be busy)
        service = subprocess.run(
            [*argv, "--base-url", demo_portal.base_url],
            cwd=cwd,
            env={"PATH": SYSTEMD_PATH, "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        line = cron_shell_line(command, archive, logs, demo_portal.base_url)
        cron = subprocess.run(
            ["/bin/sh", "-c", line],
            cwd=tmp_path,
            env={**cron_env, "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert service.returncode == EXIT_LOCKED, service.stderr
    assert "locked" in service.stderr
    assert cron.returncode == 0, cron.stderr
    assert f"failed (exit {EXIT_LOCKED})" in cron.stdout  # what cron mails
    assert "locked" in (logs / "ofweek.log").read_text(encoding="utf-8")
    assert not (archive / "posts").exists()
    assert sum(demo_portal.hits.values()) == 0, demo_portal.hits


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed here (Debian package: systemd)")
    archive = tmp_path / "archive"
    for unit in (SERVICE, TIMER, SCRAPYD_SERVICE):
        text = localize(unit.read_text(encoding="utf-8"), archive)
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    names = [
        "portal-archive-crawl@ofweek.service",
        "portal-archive-crawl@ofweek.timer",
        SCRAPYD_SERVICE.name,
    ]
    result = subprocess.run(
        [tool, "verify", *(f"./{n}" for n in names)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys are only warnings


# --- the schedule: timer and cron agree ----------------------------------------------------
def cron_times(fields: list[str]) -> set[tuple[int, int]]:
    """``(hour, minute)`` pairs of a daily cron schedule (day fields must be ``*``)."""
    minute, hour, *days = fields
    assert days == ["*", "*", "*"], f"not a daily schedule: {fields}"

    def expand(field: str, top: int) -> set[int]:
        match = re.fullmatch(r"(\*|\d+)(?:/(\d+))?", field)
        assert match, f"unsupported cron field {field!r}"
        start = 0 if match.group(1) == "*" else int(match.group(1))
        if match.group(2) is None and match.group(1) != "*":
            return {start}
        return set(range(start, top, int(match.group(2) or 1)))

    return {(h, m) for h in expand(hour, 24) for m in expand(minute, 60)}


def timer_elapses(expression: str, count: int) -> list[datetime]:
    """The next ``count`` elapses of an ``OnCalendar=`` expression, by ``systemd-analyze``."""
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is needed to check OnCalendar= (Debian package: systemd)"
    result = subprocess.run(
        [tool, "calendar", f"--iterations={count}", expression],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"TZ": "UTC", "PATH": SYSTEMD_PATH},
    )
    assert result.returncode == 0, result.stderr
    stamps = re.findall(
        r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", result.stdout
    )
    assert len(stamps) == count, result.stdout
    return [datetime.fromisoformat(s) for s in stamps]


def test_timer_fires_every_two_hours_at_seven_past_like_the_cron_line() -> None:
    expression = only(unit_values(TIMER), "Timer", "OnCalendar")
    elapses = timer_elapses(expression, 12)
    gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(elapses)}
    assert gaps == {7200.0}
    timer = {(e.hour, e.minute) for e in elapses}
    fields, _, _, _ = cron_entry()
    assert cron_times(fields) == timer
    assert timer == {(h, 7) for h in range(0, 24, 2)}


# --- cron -----------------------------------------------------------------------------------
def test_cron_command_crawls_the_demo_portal(demo_portal: Any, tmp_path: Path) -> None:
    _, user, command, env = cron_entry()
    assert user == "portal-archive"
    assert "%" not in command.replace("\\%", ""), "cron turns an unescaped % into a newline"
    assert env.get("SHELL") == "/bin/sh"
    archive, logs = tmp_path / "archive", tmp_path / "log"
    logs.mkdir()
    # cron runs the command field with /bin/sh -c, in the user's home, with the file's PATH
    line = cron_shell_line(command, archive, logs, demo_portal.base_url)
    result = subprocess.run(
        ["/bin/sh", "-c", line],
        cwd=tmp_path,
        capture_output=True,
        env={**env, "HOME": str(tmp_path), "LOGNAME": user},
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == "", "cron mails any output: none on success"
    log = (logs / "ofweek.log").read_text(encoding="utf-8")
    assert "Spider closed (finished)" in log
    assert_archived(archive, demo_portal)


# --- the docs show what the tests run -------------------------------------------------------
@pytest.mark.parametrize("path", [SERVICE, TIMER, CRON], ids=lambda p: p.name)
def test_docs_show_the_deploy_file_verbatim(path: Path) -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").strip() in doc
    assert str(path.relative_to(ROOT)) in doc


def test_docs_install_the_cron_file_under_a_name_cron_reads() -> None:
    doc = DOC.read_text(encoding="utf-8")
    targets = re.findall(r"cp \S*deploy/cron/portal-archive\.cron (/etc/cron\.d/(\S+))", doc)
    assert targets, "docs/scheduling.md should show how to install the cron file"
    for _, name in targets:
        assert "." not in name, "Debian's cron ignores /etc/cron.d files with a dot in the name"
