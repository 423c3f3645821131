"""Image trouble for the demo portal: hotlink protection, broken, duplicate, oversized, slow.

Opt-in, so the other tests see the portal unchanged::

    portal = DemoPortal(port=0, extra_articles=image_case_articles())
    cases = install_image_cases(portal)      # serves /Upload/News/cases/… and …/bench/…
    cases.healed = True                      # flaky.png answers 200 from now on

Every path below answers 403 without a Referer on the portal (like the real image hosts):

* ``cases/dup-a.png``, ``cases/dup-b.png`` -- the same bytes under two URLs
* ``cases/flaky.png`` -- 500 until ``healed`` is set, then a PNG
* ``cases/broken-500.png`` -- always 500
* ``cases/truncated.jpg`` -- declares more bytes than it sends, then closes the connection
* ``cases/oversized.jpg`` -- ``OVERSIZED_BYTES`` with a Content-Length
* ``cases/oversized-stream.jpg`` -- as large, without Content-Length (ends at close)
* ``cases/slow.png`` -- ``SLOW_BYTES`` trickled over ``slow_seconds``
* ``bench/<n>.jpg`` -- realistic sizes (30–400 KB), for ``bench/bench_images.py``

All article texts here were written for this project.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from demo_portal.content import BASE_PLACEHOLDER, DemoArticle
from demo_portal.images import noise_png, png_bytes

CASES = "/Upload/News/cases/"
BENCH = "/Upload/News/bench/"
OVERSIZED_BYTES = 3_000_000
SLOW_BYTES = 400_000
CASE_IDS = (39_000_001, 39_000_002)
SLOW_ID = 39_000_003
BENCH_ID_BASE = 39_100_000


def bench_size(n: int) -> int:
    """Size of bench image ``n``: 30–400 KB, most of them under 150 KB (like news photos)."""
    rng = random.Random(BENCH_ID_BASE + n)  # noqa: S311 - test data
    return int(30_000 + min(370_000, rng.expovariate(1 / 90_000)))


def _img(path: str, alt: str) -> str:
    return f'<p style="text-align:center"><img src="{BASE_PLACEHOLDER}{path}" alt="{alt}"></p>'


def _para(text: str) -> str:
    return f'<p style="text-indent: 2em; text-align: left;">{text}</p>'


def image_case_articles(*, slow: bool = False) -> list[DemoArticle]:
    """Two articles that reference every image case (the second shares ``dup-a.png`` with the
    first and has the duplicate ``dup-b.png``), plus, with ``slow``, one with ``slow.png``."""
    first = DemoArticle(
        art_id=CASE_IDS[0],
        month="2022-09",
        title="图片归档测试：防盗链与损坏的图片",
        published="2022-09-01 10:00",
        source="OFweek维科网",
        body_html="\n".join(
            (
                _para("本文的图片只在带有门户 Referer 时才会返回，用来检验归档时的防盗链处理。"),
                _img(CASES + "dup-a.png", "重复图片甲"),
                _para("第二张图片在第一次抓取时会返回 500 错误，之后恢复正常。"),
                _img(CASES + "flaky.png", "时好时坏"),
                _img(CASES + "broken-500.png", "总是出错"),
                _img(CASES + "truncated.jpg", "被截断"),
            )
        ),
        in_feed=False,
    )
    second = DemoArticle(
        art_id=CASE_IDS[1],
        month="2022-09",
        title="图片归档测试：重复与超大的图片",
        published="2022-09-01 11:00",
        source="OFweek维科网",
        body_html="\n".join(
            (
                _para("同一张图片出现在两个不同的地址下，归档里应该只保存一份文件。"),
                _img(CASES + "dup-b.png", "重复图片乙"),
                _img(CASES + "dup-a.png", "重复图片甲"),
                _para("下面两张图片超过了大小限制，其中一张没有声明长度。"),
                _img(CASES + "oversized.jpg", "超大图片"),
                _img(CASES + "oversized-stream.jpg", "超大图片（无长度）"),
            )
        ),
        in_feed=False,
    )
    articles = [first, second]
    if slow:
        articles.append(
            DemoArticle(
                art_id=SLOW_ID,
                month="2022-09",
                title="图片归档测试：下载很慢的图片",
                published="2022-09-01 12:00",
                source="OFweek维科网",
                body_html="\n".join(
                    (_para("这张图片要花好几秒才能下载完。"), _img(CASES + "slow.png", "很慢"))
                ),
                in_feed=False,
            )
        )
    return articles


def bench_articles(count: int, images_per_article: int = 3) -> list[DemoArticle]:
    """``count`` articles with ``images_per_article`` distinct bench images each."""
    articles = []
    for i in range(count):
        day = 1 + i % 28
        images = [
            _img(f"{BENCH}{i * images_per_article + k}.png", f"图{k + 1}")
            for k in range(images_per_article)
        ]
        articles.append(
            DemoArticle(
                art_id=BENCH_ID_BASE + i,
                month="2022-10",
                title=f"图片基准测试文章（{i + 1}）",
                published=f"2022-10-{day:02d} {8 + i % 12:02d}:{i % 60:02d}",
                source="OFweek维科网",
                body_html="\n".join([_para("基准测试用的文章正文，内容为项目自写。"), *images]),
                in_feed=False,
            )
        )
    return articles


@dataclass
class ImageCases:
    """The streaming route installed on a :class:`DemoPortal` (``portal.stream_route``)."""

    base_url: str
    healed: bool = False
    slow_seconds: float = 6.0
    _cache: dict[str, bytes] = field(default_factory=dict)

    def body(self, name: str) -> bytes:
        if name not in self._cache:
            self._cache[name] = self._make(name)
        return self._cache[name]

    def _make(self, name: str) -> bytes:
        if name.startswith("bench/"):
            n = int(name.removeprefix("bench/").split(".")[0])
            return noise_png(BENCH_ID_BASE + n, bench_size(n))
        if name in ("dup-a.png", "dup-b.png"):
            return png_bytes(64, 48, (30, 90, 160), text="same bytes, two URLs")
        if name == "flaky.png":
            return png_bytes(40, 30, (200, 60, 20), text="flaky")
        if name.startswith("oversized"):
            return noise_png(7, OVERSIZED_BYTES)
        if name == "slow.png":
            return noise_png(11, SLOW_BYTES)
        return noise_png(13, 20_000)  # truncated.jpg (only part of it is ever sent)

    def __call__(self, handler: BaseHTTPRequestHandler, path: str, head: bool) -> bool:
        if not path.startswith((CASES, BENCH)):
            return False
        referer = handler.headers.get("Referer", "")
        name = (
            path.removeprefix(CASES)
            if path.startswith(CASES)
            else "bench/" + path.removeprefix(BENCH)
        )
        if not (referer == self.base_url or referer.startswith(self.base_url + "/")):
            self._send(
                handler, 403, "text/html; charset=gbk", "<h1>403 禁止盗链</h1>".encode("gbk"), head
            )
        elif name == "broken-500.png" or (name == "flaky.png" and not self.healed):
            self._send(handler, 500, "text/plain", b"internal error\n", head)
        elif name not in {
            "dup-a.png",
            "dup-b.png",
            "flaky.png",
            "truncated.jpg",
            "oversized.jpg",
            "oversized-stream.jpg",
            "slow.png",
        } and not name.startswith("bench/"):
            self._send(handler, 404, "text/plain", b"not found\n", head)
        elif name == "truncated.jpg":
            data = self.body(name)
            self._start(handler, 200, "image/jpeg", len(data))
            if not head:
                handler.wfile.write(data[: len(data) // 3])
                handler.wfile.flush()
            handler.close_connection = True
        elif name == "oversized-stream.jpg":
            self._start(handler, 200, "image/jpeg", None)
            handler.close_connection = True
            if not head:
                self._write(handler, self.body(name), chunk=65536)
        elif name == "slow.png":
            data = self.body(name)
            self._start(handler, 200, "image/png", len(data))
            if not head:
                self._write(handler, data, chunk=len(data) // 60 + 1, pause=self.slow_seconds / 60)
        else:
            ctype = "image/jpeg" if name.endswith(".jpg") else "image/png"
            self._send(handler, 200, ctype, self.body(name), head)
        return True

    @staticmethod
    def _start(
        handler: BaseHTTPRequestHandler, status: int, ctype: str, length: int | None
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        if length is not None:
            handler.send_header("Content-Length", str(length))
        else:
            handler.send_header("Connection", "close")
        handler.end_headers()

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, ctype: str, body: bytes, head: bool
    ) -> None:
        self._start(handler, status, ctype, len(body))
        if not head:
            handler.wfile.write(body)

    @staticmethod
    def _write(
        handler: BaseHTTPRequestHandler, data: bytes, *, chunk: int, pause: float = 0
    ) -> None:
        try:
            for start in range(0, len(data), chunk):
                handler.wfile.write(data[start : start + chunk])
                handler.wfile.flush()
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True


def install_image_cases(portal: Any) -> ImageCases:
    """Serve the image cases (and bench images) on ``portal``; returns the switchboard."""
    cases = ImageCases(portal.base_url)
    portal.stream_route = cases
    return cases
