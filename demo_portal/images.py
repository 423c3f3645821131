"""Image bytes of the demo portals, encoded by Pillow: small, valid, deterministic.

Every function returns the same bytes for the same arguments (no timestamps, seeded noise), so a
path always serves the same image and distinct paths serve distinct images.
"""

from __future__ import annotations

import hashlib
import io
import random

from PIL import Image, PngImagePlugin

IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gif_bytes(rgb: tuple[int, int, int], *, transparent: bool = False) -> bytes:
    """A 1x1 GIF89a of colour ``rgb`` (its only pixel transparent with ``transparent``)."""
    image = Image.new("P", (1, 1), 0)
    image.putpalette([*rgb, 0xFF, 0xFF, 0xFF])
    image.info["version"] = b"89a"  # Pillow writes GIF87a for a plain opaque image
    if transparent:
        return _encode(image, "GIF", transparency=0)
    return _encode(image, "GIF")


def _gradient(width: int, height: int, rgb: tuple[int, int, int]) -> Image.Image:
    r, g, b = rgb
    raw = bytes(
        channel
        for y in range(height)
        for x in range(width)
        for channel in ((r + x) & 0xFF, (g + y) & 0xFF, (b + x + y) & 0xFF)
    )
    return Image.frombytes("RGB", (width, height), raw)


def png_bytes(width: int, height: int, rgb: tuple[int, int, int], text: str = "") -> bytes:
    """An 8-bit RGB PNG: a gradient around ``rgb``, with an optional tEXt ``Comment``."""
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text.encode("latin-1", "replace"))
    return _encode(_gradient(width, height, rgb), "PNG", pnginfo=info, compress_level=6)


def jpeg_bytes(width: int, height: int, rgb: tuple[int, int, int], comment: str = "") -> bytes:
    """A baseline JFIF JPEG of one solid colour, with an optional COM ``comment``."""
    image = Image.new("RGB", (width, height), rgb)
    extra = {"comment": comment.encode("utf-8")[:60000]} if comment else {}
    return _encode(image, "JPEG", quality=90, **extra)


def noise_png(seed: int, target_bytes: int) -> bytes:
    """A PNG of incompressible (seeded) noise, about ``target_bytes`` long."""
    width = 256
    height = max(1, target_bytes // (width * 3))
    noise = random.Random(seed).randbytes(width * height * 3)  # noqa: S311 -- test data
    return _encode(Image.frombytes("RGB", (width, height), noise), "PNG", compress_level=1)


def image_for_path(path: str) -> tuple[str, bytes]:
    """(content type, bytes) of the image at ``path``; distinct bytes for distinct paths."""
    h = hashlib.sha256(path.encode("utf-8")).digest()
    rgb = (h[0], h[1], h[2])
    width = 24 + h[3] % 72
    height = 16 + h[4] % 48
    ext = path[path.rfind(".") :].lower()
    if ext in (".jpg", ".jpeg"):
        return IMAGE_TYPES[ext], jpeg_bytes(width, height, rgb, comment=path)
    if ext == ".png":
        return IMAGE_TYPES[ext], png_bytes(width, height, rgb, text=path)
    return "image/gif", gif_bytes(rgb)
