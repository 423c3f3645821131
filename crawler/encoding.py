"""Charset safeguards for portals whose headers lie (see docs/architecture.md §Encodings).

Scrapy decodes by BOM, then the HTTP header, then ``<meta>``, then detection. Three cases
go wrong on GBK portals: a header that says ``utf-8`` over GBK bytes (U+FFFD everywhere),
the reverse (a ``gbk`` header over UTF-8 bytes: silent mojibake, since GB18030 decodes
almost any byte string) and short pages with no declaration that detection guesses as
Big5. All are repaired here, from the bytes themselves (non-ASCII text that is valid
UTF-8 is UTF-8), the page's own ``<meta>`` or the portal's known encoding.
"""

from __future__ import annotations

from scrapy.http import TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

_UNICODE_SAFE = {"utf-8", "utf8", "ascii", "us-ascii"}


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def fix_encoding(response: TextResponse, portal_encoding: str | None = None) -> TextResponse:
    """``response`` re-decoded when its text is evidently wrong; otherwise unchanged."""
    if (
        response.encoding.lower() not in _UNICODE_SAFE
        and not response.body.isascii()
        and _decodes(response.body, "utf-8")
    ):
        fixed = response.replace(encoding="utf-8")
        assert isinstance(fixed, TextResponse)
        return fixed
    declared = html_body_declared_encoding(response.body)
    text = response.text
    if "\ufffd" in text:
        for candidate in (declared, portal_encoding, "gb18030"):
            if candidate and candidate.lower() != response.encoding.lower():
                fixed = response.replace(encoding=candidate)
                assert isinstance(fixed, TextResponse)
                if fixed.text.count("\ufffd") < text.count("\ufffd"):
                    return fixed
        return response
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    undeclared = not http_content_type_encoding(content_type) and not declared
    if (
        undeclared
        and portal_encoding
        and response.encoding.lower() not in _UNICODE_SAFE
        and response.encoding.lower() != portal_encoding.lower()
        and _decodes(response.body, portal_encoding)
    ):
        fixed = response.replace(encoding=portal_encoding)
        assert isinstance(fixed, TextResponse)
        return fixed
    return response
