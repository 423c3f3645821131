"""Stored images: content-addressed file names (``assets/<sha256>.<ext>``) and image types.

The downloads themselves are Scrapy's (``pipelines.images.ArchiveImagesPipeline``); what a
stored image is called and what type it is are decided here, for the pipeline, ``export``
and ``verify`` alike.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import filetype

ASSETS_DIR = "assets"
"""Folder of the archive holding the downloaded images (``<sha256>.<ext>``)."""


TMP_PREFIX = ".tmp-"


EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/pjpeg": "jpg",
    "image/jpg": "jpg",
    "image/png": "png",
    "image/apng": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "image/svg+xml": "svg",
    "image/bmp": "bmp",
    "image/x-ms-bmp": "bmp",
    "image/tiff": "tif",
    "image/x-icon": "ico",
    "image/vnd.microsoft.icon": "ico",
    "image/heic": "heic",
    "image/heif": "heif",
    "image/jxl": "jxl",
}
"""MIME type → file extension of stored images."""


_GENERIC = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}


class NotAnImageError(ValueError):
    """The response is not an image (e.g. an HTML page answered with 200)."""


def _mime(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _looks_like_svg(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head)


def image_type(body: bytes, content_type: str = "", url: str = "") -> tuple[str, str]:
    """``(mime type, extension)`` of a downloaded image: the Content-Type when it names an
    image, else what the bytes are (magic numbers), else the URL's extension.

    >>> image_type(b"\\x89PNG\\r\\n\\x1a\\n....", "image/png; charset=binary")
    ('image/png', 'png')
    >>> image_type(b"\\xff\\xd8\\xff\\xe0....", "application/octet-stream", "http://x/a")
    ('image/jpeg', 'jpg')
    """
    declared = _mime(content_type)
    if declared.startswith("image/"):
        ext = EXTENSIONS.get(declared) or (mimetypes.guess_extension(declared) or ".img")[1:]
        return declared, ext
    kind = filetype.guess(body[:8192])
    if kind is not None and kind.mime.startswith("image/"):
        return kind.mime, EXTENSIONS.get(kind.mime, kind.extension)
    if _looks_like_svg(body):
        return "image/svg+xml", "svg"
    if declared in _GENERIC:
        suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
        guessed = mimetypes.types_map.get(suffix, "")
        if guessed.startswith("image/"):
            return guessed, EXTENSIONS.get(guessed, suffix[1:])
    raise NotAnImageError(f"not an image ({declared or 'no content type'})")


def asset_name(body: bytes, ext: str) -> tuple[str, str]:
    """``(sha256, file name)`` of a stored image."""
    digest = hashlib.sha256(body).hexdigest()
    return digest, f"{digest}.{ext}"
