"""Tests for archive.importer: legacy Hexo posts round-trip through the exporter byte for byte.

Synthetic posts use our own text. The conformance tests import the real posts under
``../shared`` (beside the repository clone) and skip when that directory is absent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from click.testing import CliRunner

from archive.errors import PostImportError
from archive.frontmatter_files import (
    ExportOptions,
    img_srcs,
    render_article,
    replace_img_src_text,
)
from archive.hexo import FRAMES, legacy_title, parse_post, render_post
from archive.importer import (
    ImportResult,
    collect_sources,
    import_paths,
    parse_import,
    portal_for,
    post_options,
)
from archive.store import Archive, sidecar_path
from portal_archive.cli import cli

SHARED = Path(__file__).resolve().parents[2] / "shared"
GOLDEN = SHARED / "golden" / "000_07d2a805625afdba.txt"
CORPUS = SHARED / "corpus" / "rsshub-page" / "posts"
CORPUS_FILES = 143
ROUND_TRIP_FLOOR = 143
"""Corpus files that must re-render byte-identical (all of them, measured)."""

CORS = "https://cors.zfour.workers.dev/?"
IMG1 = "http://img.example.com/upload/2024/01/a.jpg"
IMG2 = "http://img.example.com/upload/2024/01/b.jpg?x=1&y=2"
IMG2_ATTR = IMG2.replace("&", "&amp;")


def legacy(
    *,
    title: str = "示例新闻：测试标题",
    date: str = "Mon, 01 Jan 2024 08:00:05 GMT",
    body: str = "<p>正文</p>",
    head: str | None = None,
    categories: tuple[str, ...] = ("新媒体", "高科技行业门户", "新闻"),
    frame: str = "ofweek",
) -> str:
    """A post in the legacy layout, written by the legacy renderer (our own text)."""
    head = head or "https://picsum.photos/400/300?random=42"
    metadata = {
        "title": title,
        "categories": list(categories),
        "headimg": head,
        "author": categories[1],
        "comments": False,
        "date": date,
        "thumbnail": head,
    }
    return render_post(metadata, body, FRAMES[frame])


PROXIED_BODY = (
    f'<p style="text-indent: 2em;">第一段。</p><p><img src="{CORS}{IMG1}" title alt '
    f'referrerpolicy="no-referrer"></p><p><img alt="第二张" src="{CORS}{IMG2_ATTR}"'
    ' width="100%" referrerpolicy="no-referrer"></p>'
)


def rerender(text: str, rel: str = "新媒体/高科技行业门户/新闻/x.md") -> str:
    article = parse_import(text, rel)
    return render_article(article, post_options(article, ExportOptions()))


# --------------------------------------------------------------------------- verbatim bodies


def test_replace_img_src_text_changes_only_the_value() -> None:
    body = (
        '<p><img src="http://a.test/1.jpg" title alt></p><!-- <img src="http://a.test/1.jpg"> -->'
    )
    out = replace_img_src_text(body, lambda url: CORS + url)
    assert out == body.replace('src="http', f'src="{CORS}http', 1)
    assert out.count(CORS) == 1  # the commented-out tag is not an image


@pytest.mark.parametrize(
    ("tag", "src"),
    [
        ('<img src="http://a.test/1.jpg?a=1&amp;b=2">', "http://a.test/1.jpg?a=1&b=2"),
        ("<img alt='x' src='http://a.test/2.jpg'>", "http://a.test/2.jpg"),
        ("<IMG SRC=http://a.test/3.jpg />", "http://a.test/3.jpg"),
        (
            '<img data-original="http://a.test/o.jpg" src="http://a.test/t.jpg">',
            "http://a.test/t.jpg",
        ),
    ],
    ids=["entity", "single-quotes", "unquoted-upper", "data-original-first"],
)
def test_wrap_and_unwrap_keep_the_raw_text(tag: str, src: str) -> None:
    assert img_srcs(tag) == [(src, "x" if "alt='x'" in tag else "")]
    wrapped = replace_img_src_text(tag, lambda url: CORS + url)
    assert img_srcs(wrapped)[0][0] == CORS + src
    assert replace_img_src_text(wrapped, lambda url: url.removeprefix(CORS)) == tag


def test_replace_img_src_text_escapes_new_values() -> None:
    out = replace_img_src_text('<img src="a.jpg">', lambda _url: '/images/x"y&z.jpg')
    assert out == '<img src="/images/x&quot;y&amp;z.jpg">'


# --------------------------------------------------------------------------- parsing legacy posts


def test_legacy_post_is_parsed_with_originals_and_hints() -> None:
    text = legacy(body=PROXIED_BODY, head=CORS + IMG1)
    article = parse_import(text, "新媒体/高科技行业门户/新闻/示例新闻：测试标题.md")
    assert article.title == article.title_raw == "示例新闻：测试标题"  # verbatim, no title rule
    assert article.categories == ["新媒体", "高科技行业门户", "新闻"]
    assert article.author == "高科技行业门户"
    assert article.portal == "ofweek"
    assert article.published == datetime(2024, 1, 1, 8, 0, 5, tzinfo=UTC)
    assert [ref.url for ref in article.images] == [IMG1, IMG2]
    assert [ref.url_raw for ref in article.images] == [CORS + IMG1, CORS + IMG2]
    assert article.images[1].alt == "第二张"
    assert CORS not in article.body_html
    assert ' title alt referrerpolicy="no-referrer"' in article.body_html  # body kept verbatim
    assert "第一段。" in article.body_text
    hints = article.render_hints
    assert hints["image_proxy"] == CORS + "{url}"
    assert hints["date_form"] == "rfc1123"
    assert hints["frame"] == {
        "lead": "\n",
        "body_open": "<div>   \n",
        "body_close": " \n  \n</div>",
        "trailer": "\n" + " " * 12,
    }
    assert "headimg" not in hints  # derived from the first image again
    assert article.canonical_url == "import:新媒体/高科技行业门户/新闻/示例新闻：测试标题.md"


def test_identity_is_the_legacy_path_whatever_folder_is_imported() -> None:
    text = legacy()
    deep = parse_import(text, "新媒体/高科技行业门户/新闻/x.md")
    flat = parse_import(text, "x.md")
    assert deep.canonical_url == flat.canonical_url


@pytest.mark.parametrize(
    ("date", "form", "utc"),
    [
        ("Thu, 25 Aug 2022 08:09:00 GMT", {"date_form": "rfc1123"}, datetime(2022, 8, 25, 8, 9)),
        (
            "2021-07-31 05:06:47",
            {"date_form": "local", "date_tz": "Asia/Shanghai"},
            datetime(2021, 7, 30, 21, 6, 47),
        ),
        (
            "Thu, 25 Aug 2022 16:09:00 +0800",
            {"date_text": "Thu, 25 Aug 2022 16:09:00 +0800"},
            datetime(2022, 8, 25, 8, 9),
        ),
    ],
    ids=["rfc1123", "dockone-bare", "other-zone"],
)
def test_dates_are_aware_and_keep_their_form(
    date: str, form: dict[str, str], utc: datetime
) -> None:
    text = legacy(date=date, frame="dockone")
    article = parse_import(text, "编程/Dockone/周报/x.md")
    assert article.published == utc.replace(tzinfo=UTC)
    assert {k: v for k, v in article.render_hints.items() if k.startswith("date")} == form
    assert rerender(text, "编程/Dockone/周报/x.md") == text


def test_placeholder_images_are_kept_verbatim() -> None:
    text = legacy(head="https://picsum.photos/400/300?random=1515")
    article = parse_import(text, "x.md")
    assert article.images == []
    assert article.render_hints["headimg"] == "https://picsum.photos/400/300?random=1515"
    assert rerender(text) == text


@pytest.mark.parametrize(
    "title",
    ["Mini_Micro LED 130 km_h", "+_&~_%！'^……", '"海斗一号"无人潜水器', " ", "两个  空格"],
)
def test_titles_round_trip_verbatim(title: str) -> None:
    assert legacy_title(title) == title  # the legacy rule is idempotent on legacy titles
    text = legacy(title=title)
    assert parse_import(text, "x.md").title == title
    assert rerender(text) == text


def test_mixed_proxied_and_direct_images_round_trip() -> None:
    body = f'<img src="{CORS}{IMG1}" referrerpolicy="no-referrer"><img src="{IMG2_ATTR}">'
    text = legacy(body=body, head=CORS + IMG1)
    article = parse_import(text, "x.md")
    assert article.render_hints["unproxied_images"] == [IMG2]
    assert rerender(text) == text


def test_unknown_site_gets_a_slug_portal_and_default_frame_is_not_assumed() -> None:
    text = legacy(categories=("编程", "Some Blog", "周报"), frame="cnbeta")
    article = parse_import(text, "编程/Some Blog/周报/x.md")
    assert article.portal == "some-blog"
    assert portal_for(["编程", "开源中国", "资讯"]) == "oschina"
    assert portal_for(["图片"]) == "imported"
    assert rerender(text) == text  # the frame found, not the portal's (unknown) one


def test_extra_front_matter_keys_survive() -> None:
    text = legacy().replace("thumbnail:", "tags: \n - a\n - b\nthumbnail:")
    article = parse_import(text, "x.md")
    assert article.render_hints["extra_metadata"] == {"tags": ["a", "b"]}
    assert "tags: \n - a\n - b\n" in rerender(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter at all", "no front matter"),
        ("---\ntitle: [unclosed\n---\nbody", "invalid YAML"),
        ("+++\ntitle = \n+++\nbody", "invalid TOML"),
        (legacy(date="sometime, never"), "unparseable date"),
    ],
    ids=["none", "yaml", "toml", "date"],
)
def test_bad_files_raise_a_typed_error(text: str, message: str) -> None:
    with pytest.raises(PostImportError, match=message):
        parse_import(text, "x.md")


# --------------------------------------------------------------------------- Hugo / Jekyll

HUGO = """+++
title = "Hugo: a post"
date = 2023-05-10T10:00:00+08:00
tags = ["go", "static"]
categories = ["blog"]
author = "Someone"
draft = false
+++

Some *markdown* text.

![a picture](https://cors.zfour.workers.dev/?https://img.example.com/p.png)
"""

JEKYLL = """---
layout: post
title: "Jekyll post"
categories: notes misc
tags: [one]
---
Plain **text** <script>alert(1)</script>
"""


def test_hugo_toml_post_is_imported_into_the_hexo_profile() -> None:
    article = parse_import(HUGO, "content/posts/hugo.md")
    assert article.title == "Hugo: a post"
    assert article.published == datetime(2023, 5, 10, 2, 0, tzinfo=UTC)
    assert article.categories == ["blog"]
    assert article.author == "Someone"
    assert article.portal == "imported"
    assert article.canonical_url == "import:content/posts/hugo.md"
    # draft = false says nothing the post does not (docs/profiles.md: derived keys are dropped)
    assert article.render_hints["extra_metadata"] == {"tags": ["go", "static"]}
    assert "<em>markdown</em>" in article.body_html
    assert [ref.url for ref in article.images] == ["https://img.example.com/p.png"]
    text = render_article(article, post_options(article, ExportOptions()))
    parsed = parse_post(text)
    assert parsed.metadata["title"] == "Hugo: a post"  # verbatim, ':' kept
    assert parsed.metadata["date"] == "Wed, 10 May 2023 02:00:00 GMT"
    assert parsed.metadata["tags"] == ["go", "static"]
    assert f'src="{CORS}https://img.example.com/p.png"' in parsed.body_html


def test_jekyll_post_takes_its_date_from_the_file_name_and_is_sanitized() -> None:
    article = parse_import(JEKYLL, "_posts/2022-03-04-jekyll-post.md")
    assert article.title == "Jekyll post"
    assert article.published == datetime(2022, 3, 3, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
    assert article.categories == ["notes", "misc"]
    assert "<strong>text</strong>" in article.body_html
    assert "<script" not in article.body_html
    assert article.render_hints["extra_metadata"] == {"layout": "post", "tags": ["one"]}


# --------------------------------------------------------------------------- writing


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(tmp_path / "archive", ExportOptions(fsync=False)) as opened:
        yield opened


def _write(folder: Path, rel: str, text: str) -> Path:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def test_import_writes_file_sidecar_and_row(archive: Archive, tmp_path: Path) -> None:
    source = _write(
        tmp_path / "src",
        "新媒体/高科技行业门户/新闻/示例.md",
        legacy(body=PROXIED_BODY, head=CORS + IMG1),
    )
    (result,) = import_paths(archive, [tmp_path / "src"])
    assert (result.status, result.identical) == ("new", True)
    assert result.path is not None
    assert result.path.read_bytes() == source.read_bytes()  # re-rendered, equal to the source
    assert result.path.relative_to(archive.posts_dir).parts[:2] == ("ofweek", "2024-01")
    row = next(iter(archive.db["articles"].rows))
    assert row["origin"] == "import"
    assert row["imported_from"] == str(source.absolute())
    assert row["image_mode"] == "proxy"
    assert row["url"] == ""
    assert CORS not in row["body"]
    hints = json.loads(row["render_hints"])
    assert hints["image_proxy"] == CORS + "{url}"
    sidecar = json.loads(sidecar_path(result.path).read_text(encoding="utf-8"))
    assert sidecar["origin"] == "import"
    assert sidecar["render_hints"] == hints
    assert [img["url"] for img in sidecar["images"]] == [IMG1, IMG2]
    assert [r["url"] for r in archive.db["images"].rows] == [IMG1, IMG2]


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in root.rglob("*")
        if p.is_file() and p.suffix in {".md", ".json"}
    }


def test_importing_twice_writes_nothing(archive: Archive, tmp_path: Path) -> None:
    _write(tmp_path / "src", "a/b/c/one.md", legacy(title="一"))
    _write(tmp_path / "src", "a/b/c/two.md", legacy(title="二", body=PROXIED_BODY))
    first = import_paths(archive, [tmp_path / "src"])
    assert [r.status for r in first] == ["new", "new"]
    before = _snapshot(archive.posts_dir)
    rows = [{k: v for k, v in r.items() if k != "last_seen"} for r in archive.db["articles"].rows]
    second = import_paths(archive, [tmp_path / "src", tmp_path / "src" / "a" / "b" / "c"])
    assert [r.status for r in second] == ["unchanged", "unchanged"]  # each file once
    assert _snapshot(archive.posts_dir) == before
    assert [
        {k: v for k, v in r.items() if k != "last_seen"} for r in archive.db["articles"].rows
    ] == rows


def test_changed_source_updates_the_post(archive: Archive, tmp_path: Path) -> None:
    source = _write(tmp_path / "src", "x.md", legacy(body="<p>旧</p>"))
    (first,) = import_paths(archive, [source])
    _write(tmp_path / "src", "x.md", legacy(body="<p>新</p>"))
    (second,) = import_paths(archive, [source])
    assert (second.status, second.identical, second.path) == ("updated", True, first.path)
    assert archive.db["articles"].count == 1


def test_bad_files_are_reported_not_raised(archive: Archive, tmp_path: Path) -> None:
    _write(tmp_path / "src", "bad.md", "just text")
    _write(tmp_path / "src", "good.md", legacy())
    _write(tmp_path / "src", ".hidden/skipped.md", legacy())
    _write(tmp_path / "src", "notes.txt", "not a post")
    results = import_paths(archive, [tmp_path / "src"])
    assert [(r.source.name, r.status) for r in results] == [
        ("bad.md", "failed"),
        ("good.md", "new"),
    ]
    assert "no front matter" in results[0].detail


def test_a_folder_gives_its_posts_and_html_posts_but_not_plain_pages(tmp_path: Path) -> None:
    (tmp_path / "_posts").mkdir()
    (tmp_path / "_posts" / "2022-08-25-a.html").write_text("---\ntitle: a\n---\n<p>a</p>\n")
    (tmp_path / "_posts" / "b.htm").write_text("+++\ntitle = 'b'\n+++\n<p>b</p>\n")
    (tmp_path / "about.html").write_text("<!DOCTYPE html><title>about</title>")
    (tmp_path / "note.md").write_text("no front matter")  # reported, as before
    (tmp_path / "_posts" / ".2022-08-25-a.json").write_text("{}")
    names = [s.relpath.as_posix() for s in collect_sources([tmp_path])]
    assert names == ["_posts/2022-08-25-a.html", "_posts/b.htm", "note.md"]
    assert [s.relpath.name for s in collect_sources([tmp_path / "about.html"])] == ["about.html"]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PostImportError, match="no such file"):
        collect_sources([tmp_path / "nope"])


def test_files_inside_the_archive_are_refused(archive: Archive) -> None:
    _write(archive.posts_dir, "x.md", legacy())
    (result,) = import_paths(archive, [archive.posts_dir])
    assert result.status == "failed"
    assert "inside this archive" in result.detail


def test_crawled_articles_have_no_hints() -> None:
    from archive.items import ArticleItem

    assert ArticleItem(url="u", portal="p").render_hints == {}


# --------------------------------------------------------------------------- CLI


def test_cli_import_prints_the_share_and_fails_on_bad_files(tmp_path: Path) -> None:
    _write(tmp_path / "src", "good.md", legacy())
    runner = CliRunner()
    args = ["--archive", str(tmp_path / "a"), "--set", "ARCHIVE_FSYNC=False", "import"]
    ok = runner.invoke(cli, [*args, str(tmp_path / "src"), "--json"])
    assert ok.exit_code == 0, ok.output
    assert "1/1 re-rendered byte-identical" in ok.output
    line = next(line for line in ok.output.splitlines() if line.startswith("{"))
    assert json.loads(line)["status"] == "new"
    _write(tmp_path / "src", "bad.md", "no front matter")
    bad = runner.invoke(cli, [*args, str(tmp_path / "src")])
    assert bad.exit_code == 1
    assert "bad.md: no front matter" in bad.output


# --------------------------------------------------------------------------- conformance


@pytest.fixture(scope="module")
def corpus_import(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not CORPUS.is_dir():
        pytest.skip(f"real-post corpus not found at {CORPUS}")
    root = tmp_path_factory.mktemp("corpus-archive")
    with Archive(root, ExportOptions(fsync=False)) as archive:
        results = import_paths(archive, [CORPUS])
        before = _snapshot(archive.posts_dir)
        again = import_paths(archive, [CORPUS])
        after = _snapshot(archive.posts_dir)
        rows = archive.db["articles"].count
    by_source = {r.source.relative_to(CORPUS).as_posix(): r for r in results}
    return {"results": by_source, "again": again, "before": before, "after": after, "rows": rows}


def _corpus_params() -> list[Any]:
    if not CORPUS.is_dir():
        return [pytest.param(None, id="corpus-missing")]
    return [
        pytest.param(p.relative_to(CORPUS).as_posix(), id=p.relative_to(CORPUS).as_posix())
        for p in sorted(CORPUS.rglob("*.md"))
    ]


@pytest.mark.parametrize("rel", _corpus_params())
def test_corpus_post_round_trips_byte_for_byte(corpus_import: dict[str, Any], rel: str) -> None:
    result: ImportResult = corpus_import["results"][rel]
    assert result.status == "new", result.detail
    assert result.path is not None
    assert result.path.read_bytes() == (CORPUS / rel).read_bytes()


def test_corpus_round_trip_share(corpus_import: dict[str, Any]) -> None:
    results = corpus_import["results"].values()
    identical = sum(r.identical for r in results)
    print(f"corpus round trip: {identical}/{len(results)} byte-identical")
    assert len(results) == CORPUS_FILES
    assert identical >= ROUND_TRIP_FLOOR
    assert corpus_import["rows"] == CORPUS_FILES


def test_corpus_import_is_idempotent(corpus_import: dict[str, Any]) -> None:
    assert {r.status for r in corpus_import["again"]} == {"unchanged"}
    assert corpus_import["after"] == corpus_import["before"]


def test_corpus_portals_are_the_feeds(corpus_import: dict[str, Any]) -> None:
    portals: dict[str, set[str]] = {}
    for rel, result in corpus_import["results"].items():
        assert result.path is not None
        site = "/".join(PurePosixPath(rel).parts[:2])
        portals.setdefault(site, set()).add(result.path.parents[1].name)
    assert all(len(found) == 1 for found in portals.values())
    assert {found.pop() for found in portals.values()} == set(FRAMES)


def test_golden_imports_byte_for_byte(tmp_path: Path) -> None:
    if not GOLDEN.is_file():
        pytest.skip(f"golden file not found at {GOLDEN}")
    with Archive(tmp_path, ExportOptions(fsync=False)) as archive:
        (result,) = import_paths(archive, [GOLDEN])
        row = next(iter(archive.db["articles"].rows))
    assert result.identical
    assert result.path is not None
    assert result.path.read_bytes() == GOLDEN.read_bytes()
    assert row["portal"] == "ofweek"
    assert row["published"] == "2022-08-25T08:09:00+00:00"
    assert row["image_count"] == 4
    assert "cors.zfour.workers.dev" not in row["body"]
    assert json.loads(row["render_hints"])["image_proxy"] == CORS + "{url}"
