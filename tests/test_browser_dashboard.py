"""The health dashboard in a real browser, on a running ``portal-archive serve``.

The archive is the demo portal crawled for real by ``demo`` (every portal), then the
redesigned OFweek demo crawled once more, so the parser-breakage alarm marks a run degraded.
Chromium (Debian's, through chromedriver, as in tests/test_browser.py) opens
``/-/dashboards/health``; the charts are Vega-Lite drawn on canvases by the JavaScript that
``datasette-dashboards`` bundles. Each chart is checked for the colours of its marks (the
scales are fixed in ``archive/datasette_metadata.py``), the totals against the index, and
every resource the page loaded against the server's own origin (offline: no CDN).
Set ``PORTAL_ARCHIVE_SCREENSHOTS=docs/img`` to refresh the README's screenshot.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from archive import datasette_metadata as dm
from demo_portal import DemoPortal
from tests.conftest import run_cli
from tests.test_browser import (  # noqa: F401 - fixtures used by name
    Served,
    browser,
    screenshot,
    screenshots,
    served,
    wait_for,
)

DASHBOARD = f"/-/dashboards/{dm.DASHBOARD}"

BAR_FILLS = """
const bars = document.querySelectorAll(arguments[0] + ' svg .mark-rect path');
const fills = {};
for (const bar of bars) {
  const box = bar.getBBox();
  if (box.width < 1 || box.height < 1) continue;
  const fill = (bar.getAttribute('fill') || '').toLowerCase();
  fills[fill] = (fills[fill] || 0) + 1;
}
return fills;
"""
"""Bars drawn in a chart's SVG (Vega's rect marks with a visible size), counted per fill."""

TABLEAU10 = (
    "#4c78a8",
    "#f58518",
    "#e45756",
    "#72b7b2",
    "#54a24b",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
)
"""Vega-Lite's default categorical scheme (series coloured by portal)."""


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``demo`` (all portals), then a crawl of the redesigned OFweek demo: a degraded run."""
    root = tmp_path_factory.mktemp("health")
    demo = run_cli(root, "demo", "--port", "0", timeout=300)
    assert demo.returncode == 0, demo.stderr
    with DemoPortal(port=0, redesigned=True) as redesigned:
        broken = run_cli(root, "crawl", "ofweek", "--base-url", redesigned.base_url)
    assert "parser breakage" in broken.stderr, broken.stderr
    return root, ""


def bars(driver: WebDriver, chart: str) -> dict[str, int]:
    """Bars per fill colour in ``chart``, once it has drawn some (the chart fetches its data
    and draws after the page loaded); ``{}`` when nothing was drawn within 20 s."""
    seen: dict[str, int] = {}

    def drawn(d: WebDriver) -> bool:
        seen.clear()
        seen.update(d.execute_script(BAR_FILLS, f"#chart-{chart}") or {})
        return bool(seen)

    with contextlib.suppress(TimeoutException):  # the assertions say what is missing
        WebDriverWait(driver, 20).until(drawn)
    return dict(seen)


def _index(root: Path, sql: str) -> list[Any]:
    with sqlite3.connect(root / "index.db") as conn:
        rows = conn.execute(sql).fetchall()
    conn.close()
    return rows


def test_dashboard_charts_render_with_data(
    served: Served,  # noqa: F811
    browser: WebDriver,  # noqa: F811
    screenshots: Path,  # noqa: F811
) -> None:
    browser.set_window_size(1400, 1500)
    browser.get(served.url + DASHBOARD)
    wait_for(browser, "return document.readyState === 'complete'")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Archive health"

    per_portal = dict(_index(served.root, "select portal, count(*) from articles group by 1"))
    month_bars = bars(browser, "per_month")
    assert len(per_portal) == 7 and len(set(month_bars) & set(TABLEAU10)) == len(per_portal)
    (months,) = _index(
        served.root,
        "select count(distinct portal || substr(published, 1, 7)) "
        "from articles where published is not null",
    )
    assert sum(month_bars.values()) == months[0]

    runs = dm.STATUS_COLORS["runs"]
    run_bars = bars(browser, "runs")
    (run_rows,) = _index(
        served.root, "select count(*), sum(new > 0), sum(failed > 0) from crawl_runs"
    )
    n_runs, with_new, with_failed = run_rows
    assert run_bars.get(runs["new"]) == with_new == n_runs == 8
    assert run_bars.get(runs["failed"]) == with_failed == 2
    assert runs["updated"] not in run_bars  # the demo updates no article

    alarm = dm.STATUS_COLORS["alarm"]
    alarm_bars = bars(browser, "alarm")
    assert alarm_bars.get(alarm["degraded"]) == 1
    assert alarm_bars.get(alarm["finished"], 0) >= 1  # ofweek's no-title page in the demo run

    (reasons,) = _index(served.root, "select count(distinct reason || portal) from failures")
    failure_bars = bars(browser, "failures")
    assert sum(failure_bars.values()) == reasons[0] >= 2

    images = dm.STATUS_COLORS["images"]
    image_bars = bars(browser, "images")
    (downloaded, failed) = _index(
        served.root,
        "select count(distinct a.portal) from images i join articles a on a.id = i.article_id "
        "where i.status = 'downloaded' union all select count(distinct a.portal) from images i "
        "join articles a on a.id = i.article_id where i.status = 'failed'",
    )
    assert image_bars.get(images["downloaded"]) == downloaded[0] == 7
    assert image_bars.get(images["failed"]) == failed[0] >= 1

    ((articles,),) = _index(served.root, "select count(*) from articles")
    ((degraded,),) = _index(served.root, "select count(*) from crawl_runs where status='degraded'")
    assert degraded == 1
    wait_for(browser, "return document.querySelector('#chart-degraded_total p') !== null")
    assert browser.find_element(By.CSS_SELECTOR, "#chart-articles p").text == str(articles)
    assert browser.find_element(By.CSS_SELECTOR, "#chart-degraded_total p").text == "1"

    origins = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)"
    )
    assert origins and set(origins) == {served.url}, origins
    screenshot(browser, screenshots, "dashboard.png")


def test_serve_sends_robots_txt_and_stays_read_only_on_loopback(
    served: Served,  # noqa: F811
) -> None:
    """The real ``serve`` with every plugin loaded: robots.txt, still 127.0.0.1 and immutable,
    and it printed where the dashboard and the feed are."""
    with urllib.request.urlopen(f"{served.url}/robots.txt", timeout=10) as response:
        assert response.headers.get_content_type() == "text/plain"
        assert response.read().decode().splitlines() == ["User-agent: *", "Disallow: /"]
    assert served.url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{served.url}/-/databases.json", timeout=10) as response:
        assert [(d["name"], d["is_mutable"]) for d in json.load(response)] == [("index", False)]
    with urllib.request.urlopen(f"{served.url}/-/plugins.json", timeout=10) as response:
        plugins = {p["name"] for p in json.load(response)}
    assert {"datasette-atom", "datasette-dashboards", "datasette-block-robots"} <= plugins
    log = "".join(served.log)
    assert f"dashboard: {DASHBOARD}" in log and "feed:      /index/feed.atom" in log
    with urllib.request.urlopen(f"{served.url}/index/feed.atom", timeout=10) as response:
        entries = response.read().count(b"<entry>")
    ((articles,),) = _index(served.root, "select count(*) from articles")
    assert entries == min(articles, dm.FEED_LIMIT) > 0
