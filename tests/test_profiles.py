"""The hugo and jekyll profiles as pure functions: front matter, file names, read-back."""

from __future__ import annotations

import json
import tempfile
import tomllib
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.errors import InvalidSettingError, UnknownProfileError
from archive.frontmatter_files import ExportOptions, export_options, post_relpath, render_article
from archive.items import ArticleItem, ImageRef
from archive.maintenance import indexed_post, verify
from archive.normalize import normalize_article
from archive.profiles import (
    SiteFormatError,
    hugo_escape,
    hugo_unescape,
    parse_site_post,
    render_site_post,
)
from archive.store import Archive, sidecar_path
from tests.test_hostile import hostile_html, hostile_text

PUBLISHED = datetime(2022, 8, 24, 17, 30, tzinfo=UTC)  # 2022-08-25 01:30 in Beijing


def article(**changes: object) -> ArticleItem:
    values: dict[str, object] = {
        "url": "https://ee.ofweek.com/2022-08/ART-8100-2801-1.html",
        "portal": "ofweek",
        "canonical_url": "https://ee.ofweek.com/2022-08/ART-8100-2801-1.html",
        "title": "芯片: 国产 {{% 替代 %}}",
        "author": "高科技行业门户",
        "categories": ["新媒体", "高科技行业门户", "新闻"],
        "published": PUBLISHED,
        "body_html": '<p>甲 {{% x %}} 乙</p><p><img src="https://img.test/a.png" alt="a"></p>',
        "images": [ImageRef(url="https://img.test/a.png", alt="a")],
    }
    values.update(changes)
    return ArticleItem(**values)  # type: ignore[arg-type]


def split(text: str, delimiter: str) -> tuple[str, str]:
    assert text.startswith(delimiter + "\n")
    fm, _, body = text[len(delimiter) + 1 :].partition(f"\n{delimiter}\n")
    return fm, body


def test_hugo_post_is_toml_with_an_rfc3339_date() -> None:
    text = render_article(article(), ExportOptions(profile="hugo", image_mode="proxy"))
    fm, body = split(text, "+++")
    assert "date = 2022-08-25T01:30:00+08:00" in fm.splitlines()
    data = tomllib.loads(fm)
    assert data["title"] == "芯片: 国产 {{% 替代 %}}"  # no legacy title rule here
    assert data["date"] == PUBLISHED
    assert data["draft"] is False
    assert data["categories"] == ["新媒体", "高科技行业门户", "新闻"]
    assert data["images"] == ["https://cors.zfour.workers.dev/?https://img.test/a.png"]
    assert "tags" not in data  # crawled articles have none
    assert body.endswith("</p>\n")
    assert "{{%" not in body and "{{&#37; x %}}" in body
    assert 'src="https://cors.zfour.workers.dev/?https://img.test/a.png"' in body


def test_jekyll_post_is_yaml_with_liquid_off() -> None:
    text = render_article(article(), ExportOptions(profile="jekyll"))
    fm, body = split(text, "---")
    assert "date: 2022-08-25T01:30:00+08:00" in fm.splitlines()
    data = yaml.safe_load(fm)
    assert data["date"] == PUBLISHED
    assert data["render_with_liquid"] is False
    assert data["image"] == "https://img.test/a.png"
    assert "{{% x %}}" in body  # Liquid is off, Hugo's escape is not needed


def test_a_verbatim_body_gets_both_shortcode_openers_escaped() -> None:
    verbatim = article(
        body_html="<p>{{< figure >}} {{% note %}}</p>",
        images=[],
        render_hints={"body_verbatim": True},
    )
    body = split(render_article(verbatim, ExportOptions(profile="hugo")), "+++")[1]
    assert body == "<p>{{&#60; figure >}} {{&#37; note %}}</p>\n"


def test_site_timezone_moves_the_offset_not_the_instant() -> None:
    options = ExportOptions(profile="hugo", site_timezone="UTC")
    data = tomllib.loads(split(render_article(article(), options), "+++")[0])
    assert data["date"] == PUBLISHED
    assert data["date"].utcoffset().total_seconds() == 0


def test_imported_tags_are_written() -> None:
    tagged = article(render_hints={"extra_metadata": {"tags": ["储能", "钠电"]}})
    text = render_article(tagged, ExportOptions(profile="jekyll"))
    assert yaml.safe_load(split(text, "---")[0])["tags"] == ["储能", "钠电"]


def test_file_names_per_profile() -> None:
    a = article(title="钠电池")
    hexo = post_relpath(a)
    assert hexo == post_relpath(a, ExportOptions(profile="hexo"))
    assert hexo.suffix == ".md"
    hugo = post_relpath(a, ExportOptions(profile="hugo"))
    assert hugo == hexo.with_suffix(".html")
    jekyll = post_relpath(a, ExportOptions(profile="jekyll"))
    # the UTC month folder, the site-zone day in the name (what Jekyll shows)
    assert jekyll == PurePosixPath("ofweek/2022-08", "2022-08-25-" + hugo.name)
    undated = post_relpath(article(published=None), ExportOptions(profile="jekyll"))
    assert undated.parent.name == "undated" and undated.name.startswith("1970-01-01-")


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(UnknownProfileError, match="hexo, hugo, jekyll"):
        render_article(article(), ExportOptions(profile="wordpress"))


def test_strings_that_span_lines_stay_on_one_line() -> None:
    metadata = {"title": "a\n---\nb", "author": "x\u2028y"}
    text = render_site_post(metadata, "<p>body</p>", "jekyll")
    assert text.count("\n---\n") == 1
    parsed = parse_site_post(text, "jekyll")
    assert parsed.metadata == metadata
    assert parsed.body == "<p>body</p>"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title = 'x'\n+++\n<p></p>\n", "no front matter"),
        ("+++\ntitle = 'x'\n<p></p>\n", "unterminated"),
        ("+++\ntitle = \n+++\n<p></p>\n", "invalid front matter"),
        ("+++\ntitle = 'x'\n+++\n<p></p>", "line break"),
    ],
)
def test_broken_hugo_posts_are_typed_errors(text: str, message: str) -> None:
    with pytest.raises(SiteFormatError, match=message):
        parse_site_post(text, "hugo")


def test_reindex_reads_a_hugo_post_back() -> None:
    a = article()
    options = ExportOptions(profile="hugo", image_mode="proxy")
    text = render_article(a, options)
    sidecar = {
        "id": "x",
        "url": a.url,
        "canonical_url": a.canonical_url,
        "portal": "ofweek",
        "title": a.title,
        "profile": "hugo",
        "image_mode": "proxy",
        "image_proxy": options.image_proxy,
        "images": [{"url": "https://img.test/a.png", "alt": "a"}],
    }
    post = indexed_post("ofweek/2022-08/x.html", text, sidecar)
    # the original image URL and the shortcode text come back; the sanitizer drops the
    # referrerpolicy the export added, as for hexo posts
    assert post.article.body_html == a.body_html


@given(st.text())
def test_hugo_escape_round_trips(body: str) -> None:
    if "{{&#37;" in body or "{{&#60;" in body:
        return  # the documented exception: bodies that already hold the escaped forms
    escaped = hugo_escape(body)
    assert "{{%" not in escaped and "{{<" not in escaped
    assert hugo_unescape(escaped) == body


@given(
    title=st.text(min_size=1),
    categories=st.lists(st.text(min_size=1), max_size=3),
    body=st.text(),
    profile=st.sampled_from(["hugo", "jekyll"]),
)
def test_front_matter_reads_back_as_written(
    title: str, categories: list[str], body: str, profile: str
) -> None:
    if "\x00" in title + "".join(categories):
        return  # TOML cannot hold NUL in a string; titles never have one after normalizing
    metadata = {"title": title, "draft": False, "categories": categories}
    text = render_site_post(metadata, body, profile)
    parsed = parse_site_post(text, profile)
    assert parsed.metadata == metadata
    assert parsed.body == body


class Settings(dict[str, object]):
    def get(self, name: str, default: object = None) -> object:  # type: ignore[override]
        return super().get(name, default)

    def getbool(self, name: str, default: bool = False) -> bool:
        return bool(super().get(name, default))


def test_export_options_refuse_unusable_settings() -> None:
    assert export_options(Settings(ARCHIVE_PROFILE="jekyll")).profile == "jekyll"
    assert export_options(Settings()).site_timezone == "Asia/Shanghai"
    with pytest.raises(UnknownProfileError, match="wordpress"):
        export_options(Settings(ARCHIVE_PROFILE="wordpress"))
    with pytest.raises(InvalidSettingError, match="ARCHIVE_SITE_TIMEZONE"):
        export_options(Settings(ARCHIVE_SITE_TIMEZONE="Mars/Base"))
    with pytest.raises(InvalidSettingError, match="ARCHIVE_IMAGE_MODE"):
        export_options(Settings(ARCHIVE_IMAGE_MODE="inline"))


def test_export_keeps_a_posts_own_profile_mode_and_proxy_template(tmp_path: Path) -> None:
    from portal_archive.reexport import kept_options

    posts = tmp_path / "posts"
    (posts / "ofweek").mkdir(parents=True)
    (posts / "ofweek" / ".a_1.json").write_text('{"image_proxy": "https://p.test/?{url}"}')
    given = ExportOptions(profile="hugo", image_mode="origin")
    stored = ("jekyll", "proxy", "ofweek/a_1.html")
    kept = kept_options(given, stored, posts, keep_profile=True, keep_image_mode=True)
    assert (kept.profile, kept.image_mode, kept.image_proxy) == (
        "jekyll",
        "proxy",
        "https://p.test/?{url}",
    )
    assert kept_options(given, stored, posts, keep_profile=False, keep_image_mode=False) == given
    only_mode = kept_options(given, stored, posts, keep_profile=False, keep_image_mode=True)
    assert (only_mode.profile, only_mode.image_mode) == ("hugo", "proxy")
    # an unreadable sidecar: the mode is kept, the template is the configured one
    (posts / "ofweek" / ".a_1.json").write_text("{")
    broken = kept_options(given, stored, posts, keep_profile=False, keep_image_mode=True)
    assert broken.image_proxy == given.image_proxy


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    title=hostile_text,
    author=hostile_text,
    categories=st.lists(hostile_text, max_size=3),
    body=hostile_html,
    profile=st.sampled_from(["hugo", "jekyll"]),
)
def test_hostile_articles_save_and_read_back_in_the_site_profiles(
    title: str, author: str, categories: list[str], body: str, profile: str
) -> None:
    """Written through the writer, parsed by the profile's own reader, rebuilt by ``reindex``."""
    article = ArticleItem(
        url="https://news.example.com/a/1.html",
        portal="ofweek",
        title_raw=title,
        author=author,
        categories=categories,
        published_raw="2022-08-25 16:09",
        body_raw=body,
        fetched_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    normalize_article(article)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with Archive(root, ExportOptions(profile=profile, fsync=False)) as archive:
            result = archive.save(article)
            row = archive.db.table("articles").get(result.article_id)
        text = result.path.read_text(encoding="utf-8")
        metadata = parse_site_post(text, profile).metadata
        assert metadata["title"] == article.title
        assert metadata.get("author", "") == article.author
        assert metadata.get("categories", []) == article.categories
        assert metadata["date"] == article.published
        sidecar = json.loads(sidecar_path(result.path).read_text(encoding="utf-8"))
        rebuilt = indexed_post(row["path"], text, sidecar).row
        for key in ("title", "author", "categories", "published", "body", "body_text", "path"):
            assert rebuilt[key] == row[key], key
        assert verify(root).ok
