"""Raw capture to WARC (``--warc``) and offline re-extraction (``reextract``), issue #5 part 3."""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, HtmlResponse, Request
from scrapy.utils.test import get_crawler
from sqlite_utils import Database
from warcio.archiveiterator import ArchiveIterator

from crawler.warc import (
    WarcFile,
    WarcReplayMiddleware,
    capture_kind,
    encode_pair,
    finalize_open_file,
    http_response_headers,
    parse_warc_date,
    warc_date,
)
from demo_portal import DemoArticle, DemoPortal, builtin_articles, render_article_page
from tests.conftest import FAST_SETTINGS, run_cli


def sha1_digest(data: bytes) -> str:
    """``WARC-Payload-Digest`` / ``WARC-Block-Digest`` form, computed independently."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every record of a WARC file, digests checked by warcio and recomputed here."""
    out = []
    with path.open("rb") as fh:
        records = ArchiveIterator(fh, check_digests=True)
        for record in records:
            raw = record.raw_stream.read()  # the payload as stored
            assert record.digest_checker.passed is not False, record.digest_checker.problems
            headers = record.rec_headers
            if record.rec_type in {"request", "response"}:
                assert record.digest_checker.passed is True  # digests present and verified
                assert headers.get_header("WARC-Payload-Digest") == sha1_digest(raw)
            out.append(
                {
                    "type": record.rec_type,
                    "id": headers.get_header("WARC-Record-ID"),
                    "uri": headers.get_header("WARC-Target-URI"),
                    "date": headers.get_header("WARC-Date"),
                    "concurrent": headers.get_header("WARC-Concurrent-To"),
                    "kind": headers.get_header("Portal-Archive-Kind"),
                    "status": record.http_headers.get_statuscode() if record.http_headers else None,
                    "http": record.http_headers,
                    "payload": raw,
                }
            )
    return out


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``posts/`` (posts and sidecars) with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in (root / "posts").rglob("*") if p.is_file()
    }


def warc_files(root: Path, pattern: str = "*.warc.gz") -> list[Path]:
    return sorted((root / "warc").glob(pattern))


# --------------------------------------------------------------------------- pure parts


def test_capture_kind_keeps_articles_and_images_only() -> None:
    assert capture_kind(Request("http://x/a", meta={"archive_article": True})) == "article"
    assert capture_kind(Request("http://x/i.png", meta={"archive_image": True})) == "image"
    assert capture_kind(Request("http://x/list.html")) is None
    assert capture_kind(Request("http://x/robots.txt")) is None


def test_response_headers_drop_chunked_framing_but_keep_content_encoding() -> None:
    response = HtmlResponse(
        "http://x/a",
        status=200,
        body=b"\x1f\x8b...",
        headers={
            "Content-Encoding": "gzip",
            "Transfer-Encoding": "chunked",
            "Content-Type": "text/html; charset=gbk",
        },
    )
    http = http_response_headers(response)
    assert http.get_statuscode() == "200"
    assert http.statusline == "200 OK"
    assert http.get_header("Content-Encoding") == "gzip"
    assert http.get_header("Transfer-Encoding") is None


def test_warc_date_round_trip() -> None:
    moment = datetime(2026, 12, 1, 20, 47, 45, tzinfo=UTC)
    assert warc_date(moment) == "2026-12-01T20:47:45Z"
    assert parse_warc_date(warc_date(moment)) == moment


def _pair(url: str, body: bytes) -> bytes:
    request = Request(url, meta={"archive_article": True})
    response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html"}, request=request)
    return encode_pair(
        request,
        response,
        kind="article",
        portal="ofweek",
        moment=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def test_torn_tail_of_a_killed_run_is_cut_off(tmp_path: Path) -> None:
    file = WarcFile(tmp_path, "ofweek", datetime.now(UTC))
    for i in range(3):
        file.write(_pair(f"http://x/{i}.html", f"<h1>第{i}篇</h1>".encode()), 2)
    good = file.open_path.stat().st_size
    torn = _pair("http://x/torn.html", b"<h1>torn</h1>" * 50)
    with file.open_path.open("ab") as fh:  # what a kill in the middle of a write would leave
        fh.write(torn[:200])  # inside the first gzip member
    assert file._fh is not None
    file._fh.close()  # the killed process's descriptor
    final = finalize_open_file(file.open_path)
    assert final.name.endswith(".warc.gz") and not file.open_path.exists()
    assert final.stat().st_size == good
    records = read_records(final)
    assert [r["uri"] for r in records if r["type"] == "response"] == [
        f"http://x/{i}.html" for i in range(3)
    ]


def test_replay_refuses_what_was_not_captured(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"ARCHIVE_DIR": str(tmp_path), "ARCHIVE_REPLAY": True})
    crawler.stats.open_spider()
    middleware = WarcReplayMiddleware.from_crawler(crawler)
    with pytest.raises(IgnoreRequest, match="not captured"):
        middleware.process_request(Request("http://127.0.0.1:9/never.html"))
    assert crawler.stats.get_value("archive/replay/missing") == 1


# --------------------------------------------------------------------------- end to end


def _crawl(root: Path, portal: DemoPortal, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(root, "crawl", "ofweek", "--base-url", portal.base_url, *extra)


def test_crawl_warc_records_read_back_with_warcio(tmp_path: Path) -> None:
    with DemoPortal(port=0) as portal:
        result = _crawl(tmp_path, portal, "--warc")
        assert result.returncode == 0, result.stderr
    files = warc_files(tmp_path)
    assert len(files) == 1 and files[0].name.startswith("ofweek-")
    assert not warc_files(tmp_path, "*.open")
    records = read_records(files[0])
    assert records[0]["type"] == "warcinfo"
    assert b"portal: ofweek" in records[0]["payload"]
    pairs = records[1:]
    assert len(pairs) % 2 == 0
    for response, request in zip(pairs[::2], pairs[1::2], strict=True):
        assert (response["type"], request["type"]) == ("response", "request")
        assert request["concurrent"] == response["id"]  # request/response pairing
        assert request["uri"] == response["uri"] and request["date"] == response["date"]
        assert request["http"].protocol == "GET"
    responses = {r["uri"]: r for r in pairs if r["type"] == "response"}
    db = Database(tmp_path / "index.db")
    archived = {row["url"]: row for row in db["articles"].rows}
    assert archived and set(archived) <= set(responses)
    for url, row in archived.items():
        assert responses[url]["kind"] == "article"
        # the article's fetched_at is its capture's WARC-Date
        assert datetime.fromisoformat(row["fetched_at"]) == parse_warc_date(responses[url]["date"])
    images = [r for r in responses.values() if r["kind"] == "image"]
    downloaded = {row["url"] for row in db["images"].rows_where("status = 'downloaded'")}
    assert downloaded and downloaded <= {r["uri"] for r in images}
    for image in images:
        if image["status"] == "200":
            assert image["http"].get_header("Content-Type").startswith("image/")
    assert any(image["status"] == "403" for image in images)  # a refused image, kept as it came
    # listing pages, the feed and robots.txt are not article responses: not captured
    assert not any("CATList" in uri or "/rss/" in uri or "robots" in uri for uri in responses)
    assert portal.missing_url in responses  # the 404 article page is captured as it came
    assert responses[portal.missing_url]["status"] == "404"


def test_reextract_offline_reproduces_the_same_articles_byte_for_byte(tmp_path: Path) -> None:
    with DemoPortal(port=0) as portal:
        result = _crawl(tmp_path, portal, "--warc")
        assert result.returncode == 0, result.stderr
    # the demo portal is stopped: nothing answers on its port any more
    before = snapshot(tmp_path)
    db = Database(tmp_path / "index.db")
    seen_before = {r["id"]: r["last_seen"] for r in db["articles"].rows}
    time.sleep(1.1)  # a touched last_seen would differ
    result = run_cli(tmp_path, "reextract")
    assert result.returncode == 0, result.stderr
    assert snapshot(tmp_path) == before
    db = Database(tmp_path / "index.db")
    assert {r["id"]: r["last_seen"] for r in db["articles"].rows} == seen_before
    assert db["revisions"].count == 0
    run = next(iter(db["crawl_runs"].rows_where(order_by="id desc", limit=1)))
    assert "reextract" in run["command"]
    assert (run["status"], run["new"], run["updated"]) == ("finished", 0, 0)
    assert run["unchanged"] == len(seen_before)
    assert db["warc_records"].count == sum(
        1 for r in read_records(warc_files(tmp_path)[0]) if r["type"] == "response"
    )
    line = next(line for line in result.stderr.splitlines() if line.startswith("│ ofweek"))
    cells = [c.strip() for c in line.strip("│").split("│")]
    assert cells[1] == str(len(seen_before) + 1)  # articles + the page without a title
    assert cells[5] == str(len(seen_before))  # "same"


IMPROVED_SPIDER = '''\
"""ofweek with a parser change: the V2 layout also keeps the article's tags."""

from crawler.parsers.base import attribute
from crawler.parsers.ofweek import OfweekParser
from crawler.spiders.ofweek import OfweekSpider


class ImprovedParser(OfweekParser):
    class V3(OfweekParser.V2):
        VERSION = "V3"

        @attribute
        def body(self, page):
            tags = page.selector.css("div.artical div.tag a::text").getall()
            extra = "<p>标签：" + "、".join(tags) + "</p>" if tags else ""
            return super().body(page) + extra

    versions = (V3, OfweekParser.V1)


class ImprovedOfweekSpider(OfweekSpider):
    parser = ImprovedParser
'''


def test_reextract_with_a_changed_parser_updates_and_records_revisions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "archive"
    with DemoPortal(port=0) as portal:
        result = _crawl(root, portal, "--warc")
        assert result.returncode == 0, result.stderr
        articles = {portal.article_url(a): a for a in portal.stored_articles if a.title}
    before = snapshot(root)
    modules = tmp_path / "modules" / "improved_spiders"
    modules.mkdir(parents=True)
    (modules / "__init__.py").write_text("")
    (modules / "ofweek.py").write_text(IMPROVED_SPIDER, encoding="utf-8")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(modules.parent), os.environ.get("PYTHONPATH", "")])
    )
    result = run_cli(
        root,
        "reextract",
        "--portal",
        "ofweek",
        settings=(*FAST_SETTINGS, "SPIDER_MODULES=improved_spiders"),
    )
    assert result.returncode == 0, result.stderr
    db = Database(root / "index.db")
    rows = {r["url"]: r for r in db["articles"].rows}
    expected_changed = {u for u, a in articles.items() if a.layout == "current" and a.tags}
    assert expected_changed and expected_changed != set(articles)  # legacy pages stay V1
    after = snapshot(root)
    for url, article in articles.items():
        post = rows[url]["path"]
        old, new = before[f"posts/{post}"], after[f"posts/{post}"]
        if url in expected_changed:
            assert rows[url]["parser"] == "ofweek.V3"
            assert "<p>标签：" + "、".join(article.tags) + "</p>" in new.decode()
            assert new != old
        else:
            assert rows[url]["parser"] == "ofweek.V1"
            assert new == old
    revisions = list(db["revisions"].rows)
    ids = {rows[u]["id"] for u in expected_changed}
    assert {r["article_id"] for r in revisions} == ids and len(revisions) == len(ids)
    for revision in revisions:
        assert "body" in revision["changed_fields"]
        assert revision["old_text"].encode() == before[f"posts/{revision['old_path']}"]
    # idempotent: the same parser over the same captures changes nothing more
    again = run_cli(root, "reextract", settings=(*FAST_SETTINGS, "SPIDER_MODULES=improved_spiders"))
    assert again.returncode == 0, again.stderr
    assert snapshot(root) == after and Database(root / "index.db")["revisions"].count == len(ids)


def test_capture_older_than_a_live_refetch_is_left_alone(tmp_path: Path) -> None:
    first = DemoArticle(
        art_id=30590001,
        month="2022-09",
        title="固态电池样品通过针刺测试",
        published="2022-09-20 10:15",
        source="OFweek锂电网",
        body_html='<p style="text-indent: 2em;">第一版：样品完成针刺测试。</p>',
    )
    with DemoPortal(port=0, extra_articles=[first]) as portal:
        port, url = portal.port, portal.article_url(first)
        assert _crawl(tmp_path, portal, "--warc").returncode == 0
    second = replace(first, body_html='<p style="text-indent: 2em;">第二版：补充数据。</p>')
    time.sleep(1.1)
    with DemoPortal(port=port, extra_articles=[second]) as portal:
        refreshed = _crawl(tmp_path, portal, "--refresh")  # live, without --warc
        assert refreshed.returncode == 0, refreshed.stderr
    assert len(warc_files(tmp_path)) == 1  # the run without --warc wrote none
    before = snapshot(tmp_path)
    result = run_cli(tmp_path, "reextract")
    assert result.returncode == 0, result.stderr
    assert snapshot(tmp_path) == before  # the newer live version stays
    db = Database(tmp_path / "index.db")
    row = next(db["articles"].rows_where("url = ?", [url]))
    assert "第二版" in (tmp_path / "posts" / row["path"]).read_text(encoding="utf-8")
    line = next(line for line in result.stderr.splitlines() if line.startswith("│ ofweek"))
    cells = [c.strip() for c in line.strip("│").split("│")]
    assert cells[-2] == "1"  # "older than live"
    assert cells[5] == str(db["articles"].count - 1)  # the others replayed, "same"


# --------------------------------------------------------------------------- gzip on the wire


@contextlib.contextmanager
def gzip_portal() -> Iterator[tuple[str, str, str]]:
    """An OFweek-shaped article served gzip-encoded (Content-Encoding: gzip), GBK."""
    state: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            article = builtin_articles(state["base"])[0]
            page = render_article_page(article, state["base"]).encode("gbk")
            body = gzip.compress(page)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=gbk")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state["base"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    article = builtin_articles(state["base"])[0]
    try:
        url = f"{state['base']}/{article.month}/ART-8100-2801-{article.art_id}.html"
        yield url, article.title, render_article_page(article, state["base"])
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_gzip_encoded_page_is_stored_as_received_and_replays(tmp_path: Path) -> None:
    with gzip_portal() as (url, title, page):
        result = run_cli(
            tmp_path,
            "fetch",
            url,
            "--portal",
            "ofweek",
            "--warc",
            settings=(*FAST_SETTINGS, "ARCHIVE_IMAGES_DOWNLOAD=False"),
        )
        assert result.returncode == 0, result.stderr
    (record,) = [r for r in read_records(warc_files(tmp_path)[0]) if r["type"] == "response"]
    assert record["http"].get_header("Content-Encoding") == "gzip"
    assert record["payload"][:2] == b"\x1f\x8b"  # compressed, as on the wire
    assert gzip.decompress(record["payload"]).decode("gbk") == page
    before = snapshot(tmp_path)
    assert title in "".join(v.decode() for k, v in before.items() if k.endswith(".md"))
    result = run_cli(tmp_path, "reextract")
    assert result.returncode == 0, result.stderr
    assert snapshot(tmp_path) == before
    assert Database(tmp_path / "index.db")["crawl_runs"].get(2)["unchanged"] == 1


# --------------------------------------------------------------------------- killed crawl


def test_killed_crawl_leaves_readable_warc_and_reextract_uses_it(tmp_path: Path) -> None:
    total = 400
    with DemoPortal(port=0, generated=total, listing_page_size=50) as portal:
        argv = [sys.executable, "-m", "portal_archive", "--archive", str(tmp_path)]
        for setting in (*FAST_SETTINGS, "ARCHIVE_IMAGES_DOWNLOAD=False"):
            argv += ["--set", setting]
        crawl = [
            "crawl",
            "ofweek",
            "--base-url",
            portal.base_url,
            "--max-pages",
            "100",
            "--listing-url",
            portal.generated_listing_url,
            "--warc",
        ]
        proc = subprocess.Popen(
            [*argv, *crawl], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        opened: list[Path] = []
        while time.monotonic() < deadline:
            opened = warc_files(tmp_path, "*.warc.gz.open")
            if opened and opened[0].stat().st_size > 150_000:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert opened, "no WARC file was opened"
    records = read_records(opened[0])  # readable as it is, every record complete
    responses = [r for r in records if r["type"] == "response"]
    assert 0 < len(responses) < total, "the kill came too late or too early"
    assert sum(r["type"] == "request" for r in records) == len(responses)
    archived = Database(tmp_path / "index.db")["articles"].count
    result = run_cli(tmp_path, "reextract")
    assert result.returncode == 0, result.stderr
    assert "closed 1 file(s) of interrupted runs" in result.stderr
    assert not warc_files(tmp_path, "*.open") and len(warc_files(tmp_path)) == 1
    db = Database(tmp_path / "index.db")
    # captured but not yet written when the crawl died: written now, from the WARC alone
    assert db["articles"].count == len(responses) >= archived
    assert {r["url"] for r in db["articles"].rows} == {r["uri"] for r in responses}


def test_index_payload_and_headers_are_consistent(tmp_path: Path) -> None:
    """A response rebuilt by the replay middleware equals the captured one."""
    from crawler.warc import read_response_record, stored_response

    request = Request("http://x/a.html", meta={"archive_article": True})
    body = "<html><body><h1>碳化硅</h1></body></html>".encode("gbk")
    headers = Headers({"Content-Type": "text/html; charset=gbk"})
    response = HtmlResponse("http://x/a.html", body=body, request=request, headers=headers)
    data = encode_pair(
        request,
        response,
        kind="article",
        portal="ofweek",
        moment=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    path = tmp_path / "one.warc.gz"
    path.write_bytes(data)
    http, payload, date = read_response_record(path, 0)
    assert date == "2026-01-02T03:04:05Z"
    rebuilt = stored_response(Request("http://x/a.html"), http, payload)
    assert isinstance(rebuilt, HtmlResponse)
    assert rebuilt.body == body and rebuilt.status == 200
    assert rebuilt.css("h1::text").get() == "碳化硅"
    assert io.BytesIO(data).read(2) == b"\x1f\x8b"  # gzip member per record
