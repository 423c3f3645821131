"""Tests for archive.hexo: the legacy Hexo post layout.

Synthetic cases use our own text. The conformance tests read the real posts under
``/work/shared`` (beside the repository clone) and skip when that directory is absent.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import frontmatter
import pytest
import yaml

from archive.hexo import (
    DEFAULT_FRAME,
    FRAMES,
    KEY_ORDER,
    HexoFormatError,
    HexoFrame,
    HexoYAMLHandler,
    ParsedPost,
    legacy_filename,
    legacy_title,
    parse_post,
    render_post,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
GOLDEN = SHARED / "golden" / "000_07d2a805625afdba.txt"
CORPUS = SHARED / "corpus" / "rsshub-page" / "posts"

#: Corpus folder (first two levels below posts/) -> the FRAMES key of that feed.
FEED_OF_FOLDER = {
    "新媒体/高科技行业门户": "ofweek",
    "新媒体/36kr": "36kr",
    "新媒体/人人都是产品经理": "woshipm",
    "图片/煎蛋": "jandan",
    "新媒体/ZAKER": "zaker",
    "新媒体/虎嗅": "huxiu",
    "新媒体/cnBeta": "cnbeta",
    "新媒体/IT 之家": "ithome",
    "编程/Dockone": "dockone",
    "编程/开源中国": "oschina",
}

IMG = "https://img.example.com/upload/2024/01/demo.jpg"
RFC_DATE = "Mon, 01 Jan 2024 08:00:05 GMT"


def meta(**overrides: object) -> dict[str, object]:
    """Synthetic front matter in the legacy key order."""
    data: dict[str, object] = {
        "title": "示例新闻：测试标题",
        "categories": ["新媒体", "示例门户", "新闻"],
        "headimg": IMG,
        "author": "示例门户",
        "comments": False,
        "date": RFC_DATE,
        "thumbnail": IMG,
    }
    data.update(overrides)
    return data


BODY = '<p style="text-indent: 2em;">第一段文字。</p><p>Second paragraph &amp; more.</p>'


def header_lines(text: str) -> list[str]:
    """The front-matter lines of a rendered post (between the two '---' lines)."""
    return text.split("\n---\n")[1].split("\n")


def value_line(text: str, key: str) -> str:
    return next(line for line in header_lines(text) if line.startswith(f"{key}:"))


# --------------------------------------------------------------------------- rendering


def test_render_exact_layout() -> None:
    expected = (
        "\n"
        "---\n"
        "title: '示例新闻：测试标题'\n"
        "categories: \n"
        " - 新媒体\n"
        " - 示例门户\n"
        " - 新闻\n"
        f"headimg: '{IMG}'\n"
        "author: 示例门户\n"
        "comments: false\n"
        f"date: {RFC_DATE}\n"
        f"thumbnail: '{IMG}'\n"
        "---\n"
        "\n"
        "<div>   \n"
        f"{BODY}"
        " \n  \n</div>"
        "\n            "
    )
    assert render_post(meta(), BODY) == expected


def test_key_order_is_legacy_then_extras_in_given_order() -> None:
    shuffled = dict(reversed(list(meta().items())))
    shuffled = {"zeta": 1, **shuffled, "alpha": "x"}
    keys = [
        line.split(":")[0] for line in header_lines(render_post(shuffled, BODY)) if line[:1] != " "
    ]
    assert keys == [*KEY_ORDER, "zeta", "alpha"]


def test_missing_keys_are_left_out() -> None:
    text = render_post({"date": RFC_DATE, "title": "只有标题"}, BODY)
    assert header_lines(text) == ["title: '只有标题'", f"date: {RFC_DATE}"]


@pytest.mark.parametrize(
    ("title", "line"),
    [
        ("Plain title", "title: 'Plain title'"),
        ("它's here", 'title: "它\'s here"'),
        ("'quoted start", 'title: "\'quoted start"'),
        ('He said "yes"', "title: 'He said \"yes\"'"),
        ("前缀: 后缀", "title: '前缀: 后缀'"),
        ("- dash first", "title: '- dash first'"),
        ("% percent first", "title: '% percent first'"),
        ("#hash first", "title: '#hash first'"),
        ("2024", "title: '2024'"),
        (" ", "title: ' '"),
        ("", "title: ''"),
        ("tab\there", 'title: "tab\\there"'),
    ],
)
def test_title_quoting(title: str, line: str) -> None:
    text = render_post(meta(title=title), BODY)
    assert value_line(text, "title") == line
    assert parse_post(text).metadata["title"] == title


@pytest.mark.parametrize("key", ["headimg", "thumbnail"])
def test_image_urls_are_single_quoted(key: str) -> None:
    url = "https://picsum.photos/400/300?random=42"
    assert value_line(render_post(meta(**{key: url}), BODY), key) == f"{key}: '{url}'"


def test_author_and_comments_are_plain() -> None:
    text = render_post(meta(author="Example Site"), BODY)
    assert value_line(text, "author") == "author: Example Site"
    assert value_line(text, "comments") == "comments: false"


def test_categories_layout() -> None:
    text = render_post(meta(categories=["编程", "Some Site", "周报"]), BODY)
    lines = header_lines(text)
    start = lines.index("categories: ")
    assert lines[start : start + 4] == ["categories: ", " - 编程", " - Some Site", " - 周报"]


def test_categories_needing_quotes_are_quoted_by_yaml() -> None:
    text = render_post(meta(categories=["2024", "a: b"]), BODY)
    assert " - '2024'" in header_lines(text)
    assert parse_post(text).metadata["categories"] == ["2024", "a: b"]


@pytest.mark.parametrize(
    ("date", "line", "parsed"),
    [
        (RFC_DATE, f"date: {RFC_DATE}", RFC_DATE),
        ("2024-01-01 08:00:00", "date: 2024-01-01 08:00:00", "2024-01-01 08:00:00"),
        (dt.datetime(2024, 1, 1, 8, 0), "date: 2024-01-01 08:00:00", "2024-01-01 08:00:00"),
        (
            dt.datetime(2024, 1, 1, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            "date: 2024-01-01 16:00:00+08:00",
            "2024-01-01 16:00:00+08:00",
        ),
        (dt.date(2024, 1, 1), "date: 2024-01-01", "2024-01-01"),
        # strings that would read back as something else stay quoted
        ("", "date: ''", ""),
        ("12:30", "date: '12:30'", "12:30"),
    ],
    ids=["rfc1123", "bare-str", "naive", "aware", "date", "empty", "sexagesimal"],
)
def test_date_forms(date: object, line: str, parsed: str) -> None:
    text = render_post(meta(date=date), BODY)
    assert value_line(text, "date") == line
    assert parse_post(text).metadata["date"] == parsed


def test_long_title_is_not_wrapped() -> None:
    title = "很长的标题 " * 60 + "long words " * 40
    text = render_post(meta(title=title, headimg=IMG + "?" + "q=1&" * 100), BODY)
    assert value_line(text, "title") == f"title: '{title}'"
    assert len(header_lines(text)) == 10


def test_non_bmp_emoji_is_written_unescaped() -> None:
    title = "周末好物推荐🎉😀"
    body = "<p>表情🚀</p>"
    text = render_post(meta(title=title), body)
    assert value_line(text, "title") == f"title: '{title}'"
    assert "\\U" not in text
    parsed = parse_post(text)
    assert (parsed.metadata["title"], parsed.body_html) == (title, body)


def test_render_does_not_mutate_metadata() -> None:
    data = meta()
    before = dict(data)
    render_post(data, BODY)
    assert data == before


def test_output_is_standard_yaml() -> None:
    """Any YAML reader (here PyYAML's safe_load) reads the legacy front matter."""
    text = render_post(meta(title="It's 标题", date="2024-01-01 08:00:00"), BODY)
    data = yaml.safe_load(text.split("\n---\n")[1])
    assert data["title"] == "It's 标题"
    assert data["categories"] == ["新媒体", "示例门户", "新闻"]
    assert data["date"] == dt.datetime(2024, 1, 1, 8, 0)


# --------------------------------------------------------------------------- frames


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_each_frame(name: str) -> None:
    frame = FRAMES[name]
    text = render_post(meta(), BODY, frame)
    assert text.startswith("\n---\ntitle: ")
    assert text.endswith(f"\n---\n\n<div>   \n{BODY}{frame.body_close}\n            ")
    parsed = parse_post(text)
    assert parsed.frame == frame
    assert parsed.body_html == BODY


def test_frame_table() -> None:
    assert DEFAULT_FRAME == FRAMES["ofweek"] == HexoFrame()
    closes = {name: frame.body_close for name, frame in FRAMES.items()}
    assert closes["ofweek"] == " \n  \n</div>"
    for name in ("36kr", "woshipm", "jandan", "zaker", "huxiu"):
        assert closes[name] == "  \n</div>"
    assert closes["cnbeta"] == "   \n</div>"
    assert closes["ithome"] == "\n" + " " * 10 + "\n</div>"
    assert closes["dockone"] == "\n" + " " * 32 + "\n" + " " * 62 + "\n</div>"
    assert closes["oschina"] == "\n" + " " * 38 + "\n</div>"
    for frame in FRAMES.values():
        assert (frame.lead, frame.body_open, frame.trailer) == ("\n", "<div>   \n", "\n" + " " * 12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lead": "x\n"},
        {"body_open": "<section>\n"},
        {"body_open": "<div>x\n"},
        {"body_close": "\n</section>"},
        {"body_close": "x</div>"},
        {"trailer": "\nend"},
    ],
)
def test_invalid_frame_is_rejected(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="invalid HexoFrame"):
        HexoFrame(**kwargs)


def test_parse_keeps_unusual_frame_exactly() -> None:
    frame = HexoFrame(lead="", body_open="<div>\n", body_close="\n\n</div>", trailer="")
    text = render_post(meta(), BODY, frame)
    parsed = parse_post(text)
    assert parsed.frame == frame
    assert render_post(parsed.metadata, parsed.body_html, parsed.frame) == text


def test_body_edge_whitespace_goes_to_frame_but_round_trips() -> None:
    body = "  \n第一行\n  "
    text = render_post(meta(), body)
    parsed = parse_post(text)
    assert parsed.body_html == "  \n第一行"
    assert render_post(parsed.metadata, parsed.body_html, parsed.frame) == text


def test_empty_body_round_trips() -> None:
    text = render_post(meta(), "", FRAMES["36kr"])
    parsed = parse_post(text)
    assert parsed.body_html == ""
    assert render_post(parsed.metadata, parsed.body_html, parsed.frame) == text


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("metadata", "body"),
    [
        (meta(), BODY),
        (meta(title='It\'s "混合" 引号: 测试', date="2024-01-01 08:00:00"), "<p>x</p>\n<p>y</p>"),
        (meta(extra_key=[1, 2], other={"k": "v"}), "纯文本正文，没有标签"),
        (meta(title="- 开头 % 和 ' 号", categories=["a", "b c", "d"]), "<br>\n\n<br>"),
        (meta(title="多行\n---\n标题", note="x\n---\ny"), "<hr>\n---\n<p>正文</p>"),
    ],
    ids=["plain", "quotes-and-bare-date", "extra-keys", "odd-title", "dashes-inside"],
)
def test_parse_render_round_trip(metadata: dict[str, object], body: str) -> None:
    text = render_post(metadata, body)
    parsed = parse_post(text)
    assert parsed == ParsedPost(metadata=metadata, body_html=body, frame=DEFAULT_FRAME)
    assert render_post(parsed.metadata, parsed.body_html, parsed.frame) == text


def test_parse_keeps_timestamps_as_strings() -> None:
    text = render_post(meta(date="2024-01-01 08:00:00", updated="2024-01-02"), BODY)
    parsed = parse_post(text)
    assert parsed.metadata["date"] == "2024-01-01 08:00:00"
    assert parsed.metadata["updated"] == "2024-01-02"
    assert parsed.metadata["comments"] is False


GOOD = render_post(meta(), BODY)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no front matter"),
        ("<div>只有正文</div>", "no front matter"),
        ("\ntitle: 'x'\n---\n\n<div>x</div>", "no front matter"),
        ("  ---\ntitle: 'x'\n---\n\n<div>x</div>", "no front matter"),
        ("\n---\ntitle: 'x'\n", "unterminated"),
        ("\n---\ntitle: 'x'\n---", "unterminated"),
        ("\n---\n- a\n- b\n---\n\n<div>x</div>", "must be a YAML mapping"),
        ("\n---\njust a string\n---\n\n<div>x</div>", "must be a YAML mapping"),
        ("\n---\n---\n\n<div>x</div>", "must be a YAML mapping"),
        ("\n---\ntitle: [unclosed\n---\n\n<div>x</div>", "not valid YAML"),
        ("\n---\n1: x\n---\n\n<div>x</div>", "keys must be strings"),
        ("\n---\ntitle: x\n---\n<div>x</div>", "blank line and '<div>'"),
        ("\n---\ntitle: x\n---\n\n<p>x</p>", "blank line and '<div>'"),
        ("\n---\ntitle: x\n---\n\n<div>x</p>\n", "must end with '</div>'"),
        ("\n---\ntitle: !!python/object:os.system x\n---\n\n<div>x</div>", "not valid YAML"),
        (GOOD.replace("\n", "\r\n"), "no front matter"),
    ],
    ids=[
        "empty",
        "no-front-matter",
        "no-opening-delimiter",
        "indented-delimiter",
        "unterminated",
        "unterminated-at-eof",
        "yaml-list",
        "yaml-scalar",
        "yaml-empty",
        "yaml-invalid",
        "non-str-key",
        "no-blank-line",
        "no-div",
        "no-closing-div",
        "unsafe-tag",
        "crlf",
    ],
)
def test_malformed_input_raises(text: str, message: str) -> None:
    with pytest.raises(HexoFormatError, match=message):
        parse_post(text)


def test_format_error_is_a_value_error() -> None:
    assert issubclass(HexoFormatError, ValueError)


# --------------------------------------------------------------------------- handler


def test_handler_works_with_frontmatter_api() -> None:
    post = frontmatter.Post(BODY)
    post.metadata.update(meta())
    assert frontmatter.dumps(post, handler=HexoYAMLHandler()) == render_post(meta(), BODY)
    loaded = frontmatter.loads(render_post(meta(), BODY), handler=HexoYAMLHandler())
    assert loaded.metadata == meta()


def test_handler_export_has_no_frame() -> None:
    exported = HexoYAMLHandler().export(meta())
    assert exported.startswith("title: ")
    assert exported.endswith(f"thumbnail: '{IMG}'")


def test_handler_rejects_options() -> None:
    post = frontmatter.Post(BODY)
    with pytest.raises(TypeError):
        frontmatter.dumps(post, handler=HexoYAMLHandler(), sort_keys=True)


# --------------------------------------------------------------------------- titles


@pytest.mark.parametrize(
    ("title", "expected_title", "expected_filename"),
    [
        ("普通标题", "普通标题", "普通标题.md"),
        ("A/B 测试", "A_B 测试", "A_B 测试.md"),
        ("为什么?", "为什么_", "为什么_.md"),
        ("全角问号？保留", "全角问号？保留", "全角问号？保留.md"),
        ("说“你好”", "说_你好_", "说_你好_.md"),
        ('ASCII "quotes" stay', 'ASCII "quotes" stay', 'ASCII "quotes" stay.md'),
        ("it's 'single'", "it's 'single'", "it's 'single'.md"),
        ("时间 10:30：开始", "时间 10_30：开始", "时间 10_30：开始.md"),
        ("a\\b*c<d>e|f[g]h", "a_b_c_d_e_f_g_h", "a_b_c_d_e_f_g_h.md"),
        ("版本 1.2.3 发布", "版本 1.2.3 发布", "版本 123 发布.md"),
        ("example.org 上线", "example.org 上线", "exampleorg 上线.md"),
        ("50% + 5°C ~ &", "50% + 5°C ~ &", "50% + 5°C ~ &.md"),
        ("两个  空格", "两个  空格", "两个  空格.md"),
        (" ", " ", " .md"),
        ("A_B 测试", "A_B 测试", "A_B 测试.md"),
    ],
)
def test_legacy_title_and_filename(title: str, expected_title: str, expected_filename: str) -> None:
    assert legacy_title(title) == expected_title
    assert legacy_filename(title) == expected_filename
    assert legacy_title(expected_title) == expected_title  # idempotent


# --------------------------------------------------------------------------- conformance


def _corpus_params() -> list[object]:
    if not CORPUS.is_dir():
        return [pytest.param(None, id="corpus-missing")]
    return [
        pytest.param(path.relative_to(CORPUS).as_posix(), id=path.relative_to(CORPUS).as_posix())
        for path in sorted(CORPUS.rglob("*.md"))
    ]


CORPUS_PARAMS = _corpus_params()


def _read_corpus(rel: str | None) -> tuple[Path, str]:
    if rel is None:
        pytest.skip(f"real-post corpus not found at {CORPUS}")
    path = CORPUS / rel
    return path, path.read_text(encoding="utf-8")


def test_golden_round_trips_byte_for_byte() -> None:
    if not GOLDEN.is_file():
        pytest.skip(f"golden file not found at {GOLDEN}")
    data = GOLDEN.read_bytes()
    parsed = parse_post(data.decode("utf-8"))
    assert parsed.frame == FRAMES["ofweek"]
    assert render_post(parsed.metadata, parsed.body_html, parsed.frame).encode("utf-8") == data
    assert render_post(parsed.metadata, parsed.body_html).encode("utf-8") == data


def test_corpus_is_present_in_full() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"real-post corpus not found at {CORPUS}")
    assert len(CORPUS_PARAMS) == 143


@pytest.mark.parametrize("rel", CORPUS_PARAMS)
def test_corpus_round_trips_byte_for_byte(rel: str | None) -> None:
    path, text = _read_corpus(rel)
    parsed = parse_post(text)
    rendered = render_post(parsed.metadata, parsed.body_html, parsed.frame)
    assert rendered.encode("utf-8") == path.read_bytes()


@pytest.mark.parametrize("rel", CORPUS_PARAMS)
def test_corpus_frame_is_the_feeds_frame(rel: str | None) -> None:
    _, text = _read_corpus(rel)
    assert rel is not None
    folder = "/".join(rel.split("/")[:2])
    frame = FRAMES[FEED_OF_FOLDER[folder]]
    parsed = parse_post(text)
    assert parsed.frame == frame
    assert list(parsed.metadata) == list(KEY_ORDER)
    assert render_post(parsed.metadata, parsed.body_html, frame) == text


@pytest.mark.parametrize("rel", CORPUS_PARAMS)
def test_corpus_filename_follows_title(rel: str | None) -> None:
    path, text = _read_corpus(rel)
    title = parse_post(text).metadata["title"]
    assert isinstance(title, str)
    assert legacy_title(title) == title
    assert legacy_filename(title) == path.name


# --------------------------------------------------------------------------- libyaml fast path

HOSTILE_TEXT = [
    "",
    " ",
    "plain text",
    " leading space",
    "trailing space ",
    "It's",
    'say "hi"',
    "both ' and \"",
    "a: b",
    "a:b",
    "a #b",
    "#hash",
    "- dash",
    "-",
    "? question",
    "&anchor",
    "*alias",
    "!tag",
    "%percent",
    "@at",
    "`tick",
    "|pipe",
    ">fold",
    "[list]",
    "{map}",
    "a, b",
    "yes",
    "No",
    "null",
    "~",
    "true",
    "1",
    "0x1F",
    "1e3",
    ".inf",
    "1_000",
    "12:30",
    "2024-01-01",
    "2024-01-01 08:00:00",
    "Mon, 01 Jan 2024 08:00:05 GMT",
    "tab\tinside",
    "\ttab first",
    "全角：冒号，逗号",
    "「引号」『书名』",
    "emoji 🎉😀",
    "\u3000全角空格开头",
    "\u00a0nbsp",
    "中文 'quote' 中文",
    "a\\b",
    "https://cors.zfour.workers.dev/?https://img.example.com/a.jpg?x=1&y=2#frag",
    "=",
    "<<",
    "...",
    "---",
    "a ---",
    "a\x7fb",
    "line\nbreak",
    "cr\rreturn",
    "nel\x85",
    "bom\ufeff",
]
"""Values on which libyaml and PyYAML could disagree (the last ones are not C-emittable)."""


@pytest.mark.parametrize("value", HOSTILE_TEXT)
@pytest.mark.parametrize("key", ["title", "author", "date", "headimg", "extra"])
def test_libyaml_fast_path_writes_the_same_bytes(key: str, value: str) -> None:
    from archive.hexo import dump_front_matter

    data = meta(**{key: value}, categories=["新媒体", value, "新闻"])
    assert dump_front_matter(data) == dump_front_matter(data, fast=False)


@pytest.mark.parametrize(
    "extra",
    [
        {"tags": []},
        {"tags": ["a", "b: c"]},
        {"nested": {"a": [1, 2]}},
        {"n": 3, "f": 1.5, "none": None, "flag": True},
        {"when": dt.datetime(2024, 1, 1, 8, 0)},
    ],
)
def test_libyaml_fast_path_on_other_shapes(extra: dict[str, object]) -> None:
    from archive.hexo import dump_front_matter

    data = meta(**extra)
    assert dump_front_matter(data) == dump_front_matter(data, fast=False)


def test_libyaml_fast_path_is_taken_for_ordinary_posts() -> None:
    from archive.hexo import c_emittable

    assert c_emittable(meta())
    assert not c_emittable(meta(title="two\nlines"))
    assert not c_emittable(meta(nested={"a": 1}))


def test_libyaml_fast_path_on_the_corpus() -> None:
    from archive.hexo import c_emittable, dump_front_matter

    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found: {CORPUS} (shared material, not in the repository)")
    fast = 0
    for path in sorted(CORPUS.rglob("*.md")):
        metadata = parse_post(path.read_text(encoding="utf-8")).metadata
        assert dump_front_matter(metadata) == dump_front_matter(metadata, fast=False), path
        fast += c_emittable(metadata)
    assert fast > 100  # the fast path is what the corpus takes


@pytest.mark.parametrize("value", HOSTILE_TEXT)
def test_libyaml_loader_reads_what_the_python_loader_reads(value: str) -> None:
    from archive.hexo import HexoLoader, dump_front_matter, load_front_matter

    text = dump_front_matter(meta(title=value, author=value, date=value, categories=[value]))
    assert load_front_matter(text) == yaml.load(text, Loader=HexoLoader)  # noqa: S506 - safe


def test_libyaml_loader_errors_are_the_python_loaders() -> None:
    from archive.hexo import HexoLoader, load_front_matter

    bad = "title: 'unclosed\ncategories: [a\n"
    with pytest.raises(yaml.YAMLError) as python_error:
        yaml.load(bad, Loader=HexoLoader)  # noqa: S506 - a safe loader
    with pytest.raises(yaml.YAMLError) as ours:
        load_front_matter(bad)
    assert str(ours.value) == str(python_error.value)
