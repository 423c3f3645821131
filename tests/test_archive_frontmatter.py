from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import frontmatter
import pytest

from archive.errors import UnknownProfileError, UnsafePathError
from archive.frontmatter_files import (
    ExportOptions,
    export_body,
    post_relpath,
    render_article,
    safe_component,
    safe_join,
    write_atomic,
)
from archive.items import ArticleItem, ImageRef

IMG = "http://images.ofweek.com/Upload/News/2022-08/25/a.jpg"


def article(**changes: object) -> ArticleItem:
    values: dict[str, object] = {
        "url": "http://portal.test/2022-08/ART-8100-2801-7.html",
        "canonical_url": "http://portal.test/2022-08/ART-8100-2801-7.html",
        "portal": "ofweek",
        "title": "储能电池“出海”：一次调研",
        "author": "高科技行业门户",
        "categories": ["新媒体", "高科技行业门户", "新闻"],
        "published": datetime(2022, 8, 25, 8, 9, tzinfo=UTC),
        "body_html": f'<p style="text-indent: 2em;">正文</p><p><img src="{IMG}" alt="图"></p>',
        "images": [ImageRef(url=IMG, alt="图", status="downloaded", path="ab12.jpg")],
    }
    values.update(changes)
    return ArticleItem(**values)  # type: ignore[arg-type]


def test_hexo_front_matter_shape() -> None:
    text = render_article(article(), ExportOptions())
    post = frontmatter.loads(text)
    assert list(post.metadata) == [
        "title",
        "categories",
        "headimg",
        "author",
        "comments",
        "date",
        "thumbnail",
    ]
    assert post["title"] == "储能电池_出海_：一次调研"
    assert post["date"] == "Thu, 25 Aug 2022 08:09:00 GMT"
    assert post["headimg"] == post["thumbnail"] == IMG
    assert post["comments"] is False
    assert text.startswith("\n---\ntitle: '")
    assert "categories: \n - 新媒体\n - 高科技行业门户\n - 新闻\n" in text
    assert text.endswith(" \n  \n</div>\n            ")


def test_title_rule_can_be_switched_off() -> None:
    post = frontmatter.loads(render_article(article(), ExportOptions(legacy_titles=False)))
    assert post["title"] == "储能电池“出海”：一次调研"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("origin", IMG),
        ("proxy", "https://cors.zfour.workers.dev/?" + IMG),
        ("local", "/assets/ab12.jpg"),
    ],
)
def test_image_modes_apply_at_export(mode: str, expected: str) -> None:
    options = ExportOptions(image_mode=mode)  # type: ignore[arg-type]
    body = export_body(article(), options)
    assert f'src="{expected}"' in body
    assert 'referrerpolicy="no-referrer"' in body
    assert frontmatter.loads(render_article(article(), options))["headimg"] == expected


def test_local_mode_falls_back_to_origin_for_failed_images() -> None:
    failed = article(images=[ImageRef(url=IMG, status="failed", error="HTTP 403")])
    assert f'src="{IMG}"' in export_body(failed, ExportOptions(image_mode="local"))


def test_article_without_images_gets_a_stable_placeholder() -> None:
    plain = article(images=[], body_html="<p>无图</p>")
    first = frontmatter.loads(render_article(plain, ExportOptions()))
    again = frontmatter.loads(render_article(plain, ExportOptions()))
    assert str(first["headimg"]).startswith("https://picsum.photos/400/300?random=")
    assert first["headimg"] == again["headimg"] == first["thumbnail"]


def test_unknown_profile_is_a_typed_error() -> None:
    with pytest.raises(UnknownProfileError, match="wordpress"):
        render_article(article(), ExportOptions(profile="wordpress"))


@pytest.mark.parametrize(
    "title",
    [
        "../../etc/passwd",
        "/abs/path",
        'a/b\\c:d*e?f"g<h>i|j',
        "..",
        ".",
        "",
        "CON",
        "\x00\x1f控制",
        "名" * 400,
        "  .hidden ",
        "\u202etxt.exe",
    ],
)
def test_paths_stay_inside_posts_for_any_title(tmp_path: Path, title: str) -> None:
    rel = post_relpath(article(title=title))
    assert rel.suffix == ".md"
    assert len(rel.parts) == 3
    assert ".." not in rel.parts
    target = safe_join(tmp_path, rel)
    assert target.is_relative_to(tmp_path.resolve())
    assert len(rel.name.encode()) < 200


def test_path_is_stable_and_distinct_per_article() -> None:
    a, b = article(), article(canonical_url="http://portal.test/2022-08/ART-8100-2801-8.html")
    assert post_relpath(a) == post_relpath(article())
    assert post_relpath(a) != post_relpath(b)
    assert post_relpath(a).parts[:2] == ("ofweek", "2022-08")


def test_safe_join_refuses_escapes(tmp_path: Path) -> None:
    for bad in ("../x.md", "/etc/passwd", "a/../../x.md"):
        with pytest.raises(UnsafePathError):
            safe_join(tmp_path, PurePosixPath(bad))
    (tmp_path / "posts").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "posts" / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(UnsafePathError):
        safe_join(tmp_path / "posts", "link/x.md")


def test_safe_join_with_resolved_folders_still_follows_links(tmp_path: Path) -> None:
    """The writer's per-batch cache of resolved folders: same answers as without it, a link
    in a folder or as the file itself still refused, and each folder resolved once."""
    posts = tmp_path / "posts"
    (posts / "ofweek" / "2026-12").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (posts / "link").symlink_to(tmp_path / "outside")
    (posts / "ofweek" / "2026-12" / "bad.md").symlink_to(tmp_path / "outside" / "x.md")
    (posts / "ofweek" / "2026-12" / "ok.md").symlink_to(posts / "ofweek" / "2026-12" / "a.md")
    cache: dict[str, str] = {}
    for rel in ("ofweek/2026-12/a.md", "ofweek/2026-12/b.md", "ofweek/new/c.md", "ok.md"):
        assert safe_join(posts, rel, real_dirs=cache) == safe_join(posts, rel)
    assert safe_join(posts, "ofweek/2026-12/ok.md", real_dirs=cache) == (
        (posts / "ofweek" / "2026-12").resolve() / "a.md"
    )
    for bad in ("link/x.md", "ofweek/2026-12/bad.md"):
        with pytest.raises(UnsafePathError):
            safe_join(posts, bad, real_dirs=cache)
    assert sorted(cache) == sorted(
        str(p)
        for p in (posts, posts / "ofweek" / "2026-12", posts / "ofweek" / "new", posts / "link")
    )


def test_safe_component_examples() -> None:
    assert safe_component("a/b") == "a_b"
    assert safe_component("...") == "untitled"
    assert safe_component("nul") == "untitled"


def test_write_atomic_skips_identical_content(tmp_path: Path) -> None:
    target = tmp_path / "d" / "a.md"
    assert write_atomic(target, "一") is True
    mtime = target.stat().st_mtime_ns
    assert write_atomic(target, "一") is False
    assert target.stat().st_mtime_ns == mtime
    assert write_atomic(target, "二") is True
    assert target.read_text(encoding="utf-8") == "二"
    assert [p.name for p in target.parent.iterdir()] == ["a.md"]


def test_write_atomic_leaves_no_partial_file_on_error(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "bad \ud800 surrogate")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]
