"""Proxied image URLs: stored as their originals, re-wrapped only at export time.

Feeds and mirrors wrap images in CORS/hotlink proxies such as
``https://cors.zfour.workers.dev/?http://images.ofweek.com/…``. The archive keeps the
original URL; ``archive.frontmatter_files`` applies the image mode when writing a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from archive.html import map_img_src
from archive.items import ArticleItem

DEFAULT_IMAGE_PROXIES: tuple[str, ...] = ("https://cors.zfour.workers.dev/?{url}",)
"""Proxy templates recognised out of the box; ``{url}`` marks the wrapped original."""


def _split_template(template: str) -> tuple[str, str]:
    if "{url}" not in template:
        return template, ""
    prefix, _, suffix = template.partition("{url}")
    return prefix, suffix


def unwrap_proxy_url(url: str, proxies: Sequence[str] = DEFAULT_IMAGE_PROXIES) -> str:
    """The original URL inside a proxied one; other URLs come back unchanged.

    Nested wrappers are removed too; a percent-encoded inner URL is decoded.

    >>> unwrap_proxy_url("https://cors.zfour.workers.dev/?http://images.ofweek.com/a.jpg?x=1&y=2")
    'http://images.ofweek.com/a.jpg?x=1&y=2'
    """
    templates = [_split_template(template) for template in proxies]
    unwrapped = True
    while unwrapped:  # a loop, not recursion: a hostile feed may nest wrappers thousands deep
        unwrapped = False
        for prefix, suffix in templates:
            if not prefix or not url.startswith(prefix) or not url.endswith(suffix):
                continue
            inner = url[len(prefix) : len(url) - len(suffix)]
            if inner.lower().startswith(("http%3a", "https%3a")):
                inner = unquote(inner)
            if inner.lower().startswith(("http://", "https://")):
                url, unwrapped = inner, True
                break
    return url


def wrap_proxy_url(url: str, template: str) -> str:
    """Wrap ``url`` with a proxy template (``{url}`` placeholder, or a plain prefix)."""
    prefix, suffix = _split_template(template)
    return f"{prefix}{url}{suffix}"


def unwrap_article_images(item: ArticleItem, proxies: Sequence[str]) -> int:
    """Unwrap every image URL of ``item`` (body and image list); return how many changed."""
    changed = 0
    for ref in item.images:
        original = unwrap_proxy_url(ref.url, proxies)
        if original != ref.url:
            ref.url = original
            changed += 1
    if changed:
        item.body_html = map_img_src(item.body_html, lambda src: unwrap_proxy_url(src, proxies))
        # two proxied forms of one image collapse into one reference
        unique: dict[str, Any] = {}
        for ref in item.images:
            unique.setdefault(ref.url, ref)
        item.images = list(unique.values())
    return changed
