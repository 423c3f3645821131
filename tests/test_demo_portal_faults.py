"""The fault-mode portal itself: SPEC, seeded plans, what each fault sends, the ground truth."""

from __future__ import annotations

import gzip
import http.client
import io
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from demo_portal.content import GENERATED_ID_BASE
from demo_portal.faults import (
    CATALOGUE,
    FAULTS,
    FaultConfig,
    FaultSpecError,
    gzip_bomb,
    parse_spec,
    plan_faults,
)
from demo_portal.faults import fault_portal as make_fault_portal
from tests.conftest import run_cli

IDS = [GENERATED_ID_BASE + i for i in range(60)]


def test_spec_names_groups_counts_and_rates() -> None:
    assert set(parse_spec("all")) == set(FAULTS)
    assert parse_spec("http_503=3,timeout=0.1") == {"http_503": 3.0, "timeout": 0.1}
    transient = {f.name for f in CATALOGUE if f.group == "transient"}
    assert set(parse_spec("transient")) == transient
    for bad in ("bogus", "http_503=0", "http_503=1.5", "http_503=x", "", " , "):
        with pytest.raises(FaultSpecError):
            parse_spec(bad)


def test_plans_are_reproducible_and_exclusive() -> None:
    a, b = plan_faults("all", IDS, seed=7), plan_faults("all", IDS, seed=7)
    assert a == b
    assert plan_faults("all", IDS, seed=8).assignments != a.assignments
    assert len(a.assignments) == sum(f.count for f in CATALOGUE if f.group != "listing")
    for art_id, n in a.failures.items():
        fault = FAULTS[a.assignments[art_id]]
        assert fault.group == "transient"
        assert n == fault.fail_times or (not fault.fail_times and 1 <= n <= 3)
    assert {FAULTS[a.assignments[i]].group for i in a.failures} == {"transient"}
    rated = plan_faults("http_503=0.1", IDS, seed=1)
    assert len(rated.assignments) == 6
    with pytest.raises(FaultSpecError, match="needs at least"):
        plan_faults("all", IDS[:10])


@pytest.fixture(scope="module")
def portal() -> Iterator[Any]:
    config = FaultConfig(stall=0.3, bomb_bytes=4 * 1024 * 1024, oversize_bytes=256 * 1024)
    with make_fault_portal("all", seed=3, generated=45, config=config) as p:
        yield p


@dataclass
class Got:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def _get(portal: Any, path: str, host: str | None = None) -> Got:
    """GET ``path`` on a fresh connection, read it whole, close it."""
    conn = http.client.HTTPConnection(portal.host, portal.port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        resp = conn.getresponse()
        return Got(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def _settle(done: Callable[[], bool], timeout: float = 5) -> None:
    """Wait for the server thread: it logs a request after sending its answer."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)


def _path(portal: Any, fault: str) -> str:
    art_id = portal.faults.plan.articles_with(fault)[0]
    return str(portal.generated_article(art_id - GENERATED_ID_BASE).path)


def test_transient_fault_fails_n_times_then_serves(portal: Any) -> None:
    plan = portal.faults.plan
    art_id = plan.articles_with("http_503")[0]
    path = _path(portal, "http_503")
    statuses = [_get(portal, path).status for _ in range(plan.failures[art_id] + 2)]
    assert statuses == [503] * plan.failures[art_id] + [200, 200]
    assert art_id in portal.faults.served_ok()


@pytest.mark.parametrize(
    ("fault", "status", "header", "pattern"),
    [
        ("http_503_retry_after", 503, "Retry-After", r"^1$"),
        ("http_503_retry_later", 503, "Retry-After", r"^3600$"),
        ("http_429", 429, "Retry-After", r"^\w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT$"),
        ("redirect_loop", 302, "Location", r"\?loop=1$"),
        ("redirect_chain", 302, "Location", r"\?hop=1$"),
        ("redirect_offsite", 302, "Location", r"^http://localhost:\d+/"),
        ("http_410", 410, "Content-Type", r"text/html"),
    ],
)
def test_fault_answers(portal: Any, fault: str, status: int, header: str, pattern: str) -> None:
    resp = _get(portal, _path(portal, fault))
    assert resp.status == status
    assert re.search(pattern, resp.headers[header] or ""), resp.headers[header]


def test_loop_comes_back(portal: Any) -> None:
    path = _path(portal, "redirect_loop")
    assert _get(portal, path + "?loop=1").headers["Location"].endswith(path)


def test_truncated_body_and_reset(portal: Any) -> None:
    with pytest.raises(http.client.IncompleteRead) as exc:
        _get(portal, _path(portal, "truncated"))
    assert exc.value.partial  # half the page arrived …
    assert exc.value.expected  # … and Content-Length promised more
    with pytest.raises((http.client.HTTPException, ConnectionError, socket.timeout)):
        _get(portal, _path(portal, "reset"))


def test_gzip_bomb_and_oversize(portal: Any) -> None:
    resp = _get(portal, _path(portal, "gzip_bomb"))
    assert resp.headers["Content-Encoding"] == "gzip"
    body = resp.body
    assert len(body) < 64 * 1024
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
        assert sum(len(c) for c in iter(lambda: f.read(1 << 20), b"")) == 4 * 1024 * 1024
    assert len(gzip_bomb(1 << 30)) < 1_100_000  # 1 GiB in about 1 MB
    sized = _get(portal, _path(portal, "oversize"))
    assert int(sized.headers["Content-Length"]) == 256 * 1024
    assert len(sized.body) == 256 * 1024
    unsized = _get(portal, _path(portal, "oversize_unsized"))
    assert unsized.headers["Content-Length"] is None
    assert len(unsized.body) >= 256 * 1024


def test_charset_lies(portal: Any) -> None:
    utf8 = _get(portal, _path(portal, "charset_gbk_over_utf8"))
    assert "charset=gbk" in utf8.headers["Content-Type"]
    text = utf8.body.decode("utf-8")  # valid UTF-8 despite the header
    assert '<meta charset="utf-8">' in text
    gbk = _get(portal, _path(portal, "charset_utf8_over_gbk"))
    assert "charset=utf-8" in gbk.headers["Content-Type"]
    raw = gbk.body
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "charset=gbk" in raw.decode("gbk")


def test_malformed_and_missing_fields(portal: Any) -> None:
    raw = _get(portal, _path(portal, "malformed_html")).body
    assert b"\x00" in raw and b"&#xZZ;" in raw
    no_title = _get(portal, _path(portal, "no_title")).body.decode("gbk")
    assert '<p class="title"></p>' in no_title
    no_date = _get(portal, _path(portal, "no_date")).body.decode("gbk")
    assert '<div class="time fl"></div>' in no_date


def test_listing_links_duplicates_and_fails_once(portal: Any) -> None:
    pages = [
        _get(portal, portal.listing_page_url(n, generated=True))
        for n in range(1, portal.generated_listing_pages + 1)
    ]
    assert [p.status for p in pages][:2] == [200, 503]
    text = "".join(p.body.decode("gbk") for p in pages)
    text += _get(portal, portal.listing_page_url(2, generated=True)).body.decode("gbk")
    assert "utm_source=rss" in text and "://m.127.0.0.1:" in text
    assert re.search(r'ART-8100-2801-\d+\.html/"', text)
    assert "ART-8100-2802-" in text
    alias = re.search(r'href="http://127\.0\.0\.1:\d+(/[^"]+-2802-\d+\.html)"', text)
    assert alias
    page = _get(portal, alias.group(1)).body.decode("gbk")
    assert '<link rel="canonical" href="' + portal.base_url + "/" in page
    assert alias.group(1).replace("-2802-", "-2801-") in page


def test_robots_and_violations_are_logged(portal: Any) -> None:
    robots = _get(portal, "/robots.txt").body.decode()
    forbidden = _path(portal, "robots_forbidden")
    assert f"Disallow: {forbidden}\n" in robots
    before = len(portal.faults.violations())
    _get(portal, forbidden)
    # the server records a violation after it has answered: wait for each before the next
    # request, or a loaded machine can record the two in either order
    _settle(lambda: len(portal.faults.violations()) >= before + 1)
    _get(portal, _path(portal, "dup_tracking"), host=f"localhost:{portal.port}")
    _settle(lambda: len(portal.faults.violations()) >= before + 2)
    outcomes = [v.outcome for v in portal.faults.violations()[before:]]
    assert outcomes == ["forbidden", "offsite"]


def test_ground_truth_log_file(tmp_path: Path) -> None:
    log = tmp_path / "truth.jsonl"
    with make_fault_portal("http_404", seed=1, generated=3, log_path=log) as p:
        for a in p.articles:
            _get(p, p.article_url(a).removeprefix(p.base_url))
        _settle(lambda: len(p.faults.log) >= len(p.articles))
        summary = p.faults.summary()
    assert summary["served_ok"] == 2 and summary["never_served_ok"] == 1
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and sorted(re.findall(r'"outcome": "(\w+)"', "".join(lines))) == [
        "fault",
        "ok",
        "ok",
    ]


def test_cli_rejects_a_bad_spec(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "demo-portal", "--faults", "http_999", "--port", "0")
    assert result.returncode == 2
    assert "unknown fault 'http_999'" in result.stderr
    assert "Traceback" not in result.stderr


def test_reliability_doc_lists_every_fault_and_real_tests() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text("utf-8")
    section = doc.split("<!-- faults:begin -->")[1].split("<!-- faults:end -->")[0]
    rows = re.findall(r"^\| `(\w+)` \|", section, flags=re.M)
    assert rows == [f.name for f in CATALOGUE], "run scripts/fault_soak.py --write-docs"
    tests = (Path(__file__).parent / "test_faults.py").read_text("utf-8")
    for name in set(re.findall(r"`(test_\w+)`", section)):
        assert f"def {name}(" in tests, name
    figures = doc.split("<!-- figures:faults:begin -->")[1].split("<!-- figures:faults:end -->")[0]
    assert "| **0** | **0** |" in figures  # lost, duplicates of the last soak run
