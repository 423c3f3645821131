from __future__ import annotations

import pytest

from archive.image_urls import unwrap_article_images, unwrap_proxy_url, wrap_proxy_url
from archive.items import ArticleItem, ImageRef

CORS = "https://cors.zfour.workers.dev/?"
PROXIES = (CORS + "{url}", "https://img-proxy.test/fetch?u={url}&w=800")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            CORS + "http://images.ofweek.com/Upload/News/a.jpg",
            "http://images.ofweek.com/Upload/News/a.jpg",
        ),
        (CORS + "http://images.ofweek.com/a.jpg?x=1&y=2", "http://images.ofweek.com/a.jpg?x=1&y=2"),
        (CORS + "http%3A%2F%2Fimages.ofweek.com%2Fa%20b.png", "http://images.ofweek.com/a b.png"),
        (CORS + CORS + "https://wx1.sinaimg.cn/x.jpg", "https://wx1.sinaimg.cn/x.jpg"),
        ("https://img-proxy.test/fetch?u=http://a.test/p.png&w=800", "http://a.test/p.png"),
        ("http://images.ofweek.com/plain.jpg", "http://images.ofweek.com/plain.jpg"),
        (CORS, CORS),  # nothing inside: left alone
        (CORS + "ftp://x.test/a.jpg", CORS + "ftp://x.test/a.jpg"),
        (
            "https://cors.zfour.workers.dev.evil.test/?http://a/b.jpg",
            "https://cors.zfour.workers.dev.evil.test/?http://a/b.jpg",
        ),
    ],
)
def test_unwrap_proxy_url(url: str, expected: str) -> None:
    assert unwrap_proxy_url(url, PROXIES) == expected


def test_wrap_is_the_inverse_of_unwrap() -> None:
    original = "http://images.ofweek.com/Upload/News/2022-08/25/a.jpg"
    for template in PROXIES:
        assert unwrap_proxy_url(wrap_proxy_url(original, template), PROXIES) == original
    assert wrap_proxy_url(original, CORS) == CORS + original


def test_unwrap_article_images_rewrites_body_and_list() -> None:
    proxied = CORS + "http://images.ofweek.com/a.jpg"
    item = ArticleItem(
        url="http://p.test/ART-1-1-1.html",
        portal="ofweek",
        body_html=f'<p><img src="{proxied}" alt="甲"></p><p><img src="http://images.ofweek.com/a.jpg"></p>',
        images=[
            ImageRef(url=proxied, url_raw=proxied),
            ImageRef(url="http://images.ofweek.com/a.jpg"),
        ],
    )
    assert unwrap_article_images(item, PROXIES) == 1
    assert CORS not in item.body_html
    assert [ref.url for ref in item.images] == ["http://images.ofweek.com/a.jpg"]
    assert item.images[0].url_raw == proxied
