from __future__ import annotations

from scrapy.http import HtmlResponse

from crawler.encoding import fix_encoding

TEXT = "朱镕基考察碳排放监测站，钠离子电池中试线投运"


def page(body: bytes, content_type: str = "text/html") -> HtmlResponse:
    return HtmlResponse(
        "http://portal.test/a.html", body=body, headers={"Content-Type": content_type}
    )


def test_lying_utf8_header_is_repaired_from_meta() -> None:
    body = f'<html><head><meta charset="gbk"></head><body><p>{TEXT}</p></body></html>'
    response = page(body.encode("gbk"), "text/html; charset=utf-8")
    assert "\ufffd" in response.text
    fixed = fix_encoding(response, "gb18030")
    assert TEXT in fixed.text
    assert fixed.encoding == "gb18030"


def test_lying_header_without_meta_uses_portal_encoding() -> None:
    response = page(f"<p>{TEXT}</p>".encode("gbk"), "text/html; charset=utf-8")
    assert TEXT in fix_encoding(response, "gb18030").text


def test_tiny_undeclared_gbk_page_uses_portal_encoding() -> None:
    response = page("<p>碳排放</p>".encode("gbk"))
    assert "碳排放" not in response.text  # detection guesses wrong on 8 bytes
    assert "碳排放" in fix_encoding(response, "gb18030").text


def test_gb2312_meta_with_gbk_only_character() -> None:
    body = f'<meta charset="gb2312"><p>{TEXT}</p>'.encode("gbk")
    response = page(body)
    assert TEXT in fix_encoding(response, "gb18030").text


def test_correct_pages_are_left_alone() -> None:
    utf8 = page(f"<p>{TEXT}</p>".encode(), "text/html; charset=utf-8")
    assert fix_encoding(utf8, "gb18030") is utf8
    gbk = page(f"<p>{TEXT}</p>".encode("gbk"), "text/html; charset=gbk")
    assert fix_encoding(gbk, "gb18030") is gbk
