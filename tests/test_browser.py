"""A real browser on a running ``portal-archive serve``: Chinese search, an article with its
image, and a hostile article that must not run any script.

Debian's ``chromium`` + ``chromium-driver`` (installed by ``make test``, see the Makefile's
``browser-deps``) driven by Selenium; ``serve`` runs as a real subprocess on an ephemeral
port of 127.0.0.1 over an archive crawled from the offline demo portal. Set
``PORTAL_ARCHIVE_SCREENSHOTS=docs/img`` to refresh the README's screenshots.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, UnexpectedAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from archive.frontmatter_files import ExportOptions
from archive.store import Archive
from demo_portal import DemoPortal
from tests.conftest import run_cli
from tests.test_datasette import FORBIDDEN, HOSTILE_BODY, item

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1200",
    "--lang=zh-CN",
)
"""stack-notes §10: without the background-networking flags Chromium floods the closed
network with refused connections."""
SEARCH_TERM = "碳化硅"


@dataclass
class Served:
    url: str
    root: Path
    hostile_id: str
    log: list[str]


def _searched_titles(index: Path, term: str) -> list[str]:
    with sqlite3.connect(index) as conn:
        found = conn.execute(
            "select title from articles where rowid in (select rowid from articles_fts "
            "where articles_fts match ?) order by published desc",
            [f'"{term}"'],
        ).fetchall()
    conn.close()
    return [title for (title,) in found]


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo portal crawled for real, plus a hostile article whose stored body is hostile."""
    root = tmp_path_factory.mktemp("browsed")
    with DemoPortal(port=0) as portal:
        result = run_cli(root, "crawl", "ofweek", "--base-url", portal.base_url)
    assert result.returncode == 0, result.stderr
    hostile = item(
        77,
        "恶意样本文章",
        "<p>恶意样本：这篇文章的正文试图运行脚本。</p>",
        published=datetime(2020, 1, 1, tzinfo=UTC),
    )
    with Archive(root, ExportOptions(fsync=False)) as archive:
        saved = archive.save(hostile)
        # The crawl pipeline sanitizes on ingest; Datasette must be safe even when it did not.
        archive.db.execute(
            "update articles set body = ? where id = ?", [HOSTILE_BODY, saved.article_id]
        )
        stored = archive.db["articles"].get(saved.article_id)["body"]
    assert "<script>" in stored and "onerror=" in stored
    return root, saved.article_id


@pytest.fixture(scope="module")
def served(archive_dir: tuple[Path, str]) -> Iterator[Served]:
    """``portal-archive serve --port 0`` as a subprocess; its output drained by a thread."""
    root, hostile_id = archive_dir
    argv = [sys.executable, "-m", "portal_archive", "--archive", str(root), "serve", "--port", "0"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    log: list[str] = []

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.append(line)
            lines.put(line)

    drainer = threading.Thread(target=drain, daemon=True)
    drainer.start()
    url = None
    deadline = time.monotonic() + 30
    while url is None and time.monotonic() < deadline and proc.poll() is None:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        match = re.search(r"Uvicorn running on (http://\S+)", line)
        url = match.group(1) if match else None
    try:
        assert url is not None, "serve did not start:\n" + "".join(log)
        yield Served(url, root, hostile_id, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        drainer.join(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: `make test` installs them (make browser-deps)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("unhandledPromptBehavior", "ignore")  # dialogs stay to be counted
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def screenshot(driver: WebDriver, folder: Path, name: str) -> Path:
    """Save a PNG of the viewport (and into $PORTAL_ARCHIVE_SCREENSHOTS when set)."""
    path = folder / name
    assert driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if target := os.environ.get("PORTAL_ARCHIVE_SCREENSHOTS"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / name)
    return path


def wait_for(driver: WebDriver, script: str, timeout: float = 10) -> Any:
    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


def dialogs(driver: WebDriver) -> list[str]:
    """Accept and return the text of every open alert/confirm/prompt."""
    seen = []
    for _ in range(50):
        try:
            alert = driver.switch_to.alert
        except NoAlertPresentException:
            break
        seen.append(alert.text)
        alert.accept()
    return seen


def settle(driver: WebDriver) -> None:
    """Wait until the page and its images finished loading (error handlers would have run)."""
    wait_for(driver, "return document.readyState === 'complete'")
    wait_for(driver, "return Array.from(document.images).every(i => i.complete)")
    time.sleep(0.5)


def test_serve_is_read_only_on_loopback_with_the_plugin(served: Served) -> None:
    assert served.url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{served.url}/-/databases.json", timeout=10) as response:
        databases = json.load(response)
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("index", False)]
    with urllib.request.urlopen(f"{served.url}/-/plugins.json", timeout=10) as response:
        assert "portal-archive" in response.read().decode()


def test_search_in_chinese(served: Served, browser: WebDriver, screenshots: Path) -> None:
    expected = _searched_titles(served.root / "index.db", SEARCH_TERM)
    assert len(expected) >= 2, "the demo portal should have articles about 碳化硅"
    browser.get(f"{served.url}/index/articles")
    box = browser.find_element(By.CSS_SELECTOR, 'input[name="_search"]')
    box.send_keys(SEARCH_TERM, Keys.RETURN)
    WebDriverWait(browser, 10).until(lambda d: "_search=" in d.current_url)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)["_search"] == [
        SEARCH_TERM
    ]
    heading = browser.find_element(By.CSS_SELECTOR, "h3").text
    assert f'{len(expected)} rows where search matches "{SEARCH_TERM}"' in heading
    titles = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "td.col-title")]
    assert titles == expected
    snippets = browser.find_elements(By.CSS_SELECTOR, "td.col-body .portal-archive-snippet")
    assert len(snippets) == len(expected)
    assert not browser.find_elements(By.CSS_SELECTOR, "td.col-body img")  # tables: text only
    browser.execute_script("document.querySelector('h3').scrollIntoView()")
    screenshot(browser, screenshots, "search.png")


def test_article_page_shows_body_and_image(
    served: Served, browser: WebDriver, screenshots: Path
) -> None:
    with sqlite3.connect(served.root / "index.db") as conn:
        article_id, title, image_path = conn.execute(
            "select a.id, a.title, i.path from articles a join images i on i.article_id = a.id "
            "where i.status = 'downloaded' and a.title like ? and not exists (select 1 from "
            "images j where j.article_id = a.id and j.status != 'downloaded') "
            "order by a.published desc limit 1",
            [f"%{SEARCH_TERM}%"],
        ).fetchone()
    conn.close()
    browser.get(f"{served.url}/index/articles?" + urllib.parse.urlencode({"_search": SEARCH_TERM}))
    browser.find_element(By.LINK_TEXT, article_id).click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith(f"/articles/{article_id}"))
    settle(browser)
    assert browser.find_element(By.CSS_SELECTOR, "td.col-title").text.endswith(title)
    body = browser.find_element(By.CSS_SELECTOR, ".portal-archive-body")
    paragraphs = [p.text for p in body.find_elements(By.TAG_NAME, "p") if p.text.strip()]
    assert len(paragraphs) >= 3 and SEARCH_TERM in " ".join(paragraphs)
    loaded = browser.execute_script(
        "return Array.from(arguments[0].querySelectorAll('img'))"
        ".filter(i => i.complete && i.naturalWidth > 0).map(i => i.getAttribute('src'))",
        body,
    )
    assert f"/assets/{image_path}" in loaded
    screenshot(browser, screenshots, "article.png")
    link = browser.find_element(By.CSS_SELECTOR, "td.col-path a")
    link.click()
    WebDriverWait(browser, 10).until(lambda d: "/posts/" in d.current_url)
    text = browser.find_element(By.TAG_NAME, "body").text
    assert text.lstrip().startswith("---") and f"title: '{title}'" in text


def test_hostile_article_runs_no_script(
    served: Served, browser: WebDriver, screenshots: Path
) -> None:
    browser.get(f"{served.url}/index/articles/{served.hostile_id}")
    settle(browser)
    title = browser.title
    body = browser.find_element(By.CSS_SELECTOR, ".portal-archive-body")
    for element in body.find_elements(By.CSS_SELECTOR, "a, p, div, span"):
        if element.is_displayed():
            ActionChains(browser).move_to_element(element).click(element).perform()
    time.sleep(0.5)
    assert dialogs(browser) == []
    assert browser.current_url.endswith(f"/articles/{served.hostile_id}")
    assert browser.title == title and "PWNED" not in title
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    html = body.get_attribute("innerHTML").lower()
    for token in FORBIDDEN:
        assert token not in html, token
    assert "安全的段落：碳排放监测。" in body.text
    assert "最后一段 GPU。" in body.text
    screenshot(browser, screenshots, "hostile.png")


def test_control_the_same_body_runs_script_when_not_sanitized(browser: WebDriver) -> None:
    """The detector works: the stored payload, opened raw, does set the markers."""
    browser.get("data:text/html;charset=utf-8," + urllib.parse.quote(HOSTILE_BODY))
    deadline = time.monotonic() + 10
    fired: list[str] = []
    pwned = None
    while time.monotonic() < deadline and pwned is None:
        fired += dialogs(browser)
        try:
            pwned = browser.execute_script("return window.__pwned || null")
        except UnexpectedAlertPresentException:
            continue
        time.sleep(0.1)
    fired += dialogs(browser)
    assert pwned is not None, "no payload ran unsanitized: the no-script assertions prove nothing"
