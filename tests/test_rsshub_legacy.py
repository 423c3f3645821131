"""``crawl rsshub`` against the legacy site's own posts: byte-identical in proxy mode.

The golden post and every OFweek post of ``../shared/corpus/rsshub-page`` (read from there,
never copied into the repository) are turned back into the RSSHub feed items they were made
from, served as RSS 2.0 feeds on 127.0.0.1, crawled with ``--image-mode proxy``, and the
written files are compared with the originals byte for byte.

How a post becomes its feed item (the inverse of the legacy writer, ``SOURCE.md``):

* description = the post's inner body without the `` referrerpolicy="no-referrer"`` the
  writer added to each ``<img>``; one feed serves the images' original URLs, the other serves
  them wrapped in the CORS proxy as the posts show them (both must come out the same);
* title = the title before the legacy rule (``“”/:?`` → ``_``) where the post still shows it
  (an image ``title`` or the ``原文标题 :`` trailer), else the post's title;
* pubDate = the post's ``date``; link = a made-up OFweek URL per post.

**The one exception, the random placeholder.** A post without images got a random
``https://picsum.photos/400/300?random=N`` as ``headimg`` and ``thumbnail``; N was drawn at
random by the old writer and cannot be reproduced. The archive picks N from the article id
(stable across runs). For those posts the comparison replaces N by the same token in both
files and requires everything else to be byte-identical, N to be one number used for both
keys, and the rest of the URL to be the legacy one.
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.hexo import legacy_title, parse_post
from tests.conftest import FAST_SETTINGS, run_cli, serve_routes

CORS = "https://cors.zfour.workers.dev/?"
GOLDEN = "golden/000_07d2a805625afdba.txt"
OFWEEK = "corpus/rsshub-page/posts/新媒体/高科技行业门户/新闻"
SETTINGS = (*FAST_SETTINGS, "ARCHIVE_IMAGES_DOWNLOAD=False", "RETRY_TIMES=0")
PLACEHOLDER = re.compile(r"https://picsum\.photos/400/300\?random=(\d+)")
FEEDS_TOML = """
[[feed]]
url = "{url}"
categories = ["新媒体", "高科技行业门户", "新闻"]
author = "高科技行业门户"
"""


@dataclass(frozen=True)
class Item:
    name: str
    text: str
    """The legacy post, as the old writer wrote it."""
    title: str
    link: str
    pub_date: str
    description: str


def original_title(post_title: str, body: str) -> str:
    """The title before the legacy rule, where the body still shows it."""
    candidates = re.findall(r'<img[^>]*?\stitle="([^"]*)"', body)
    candidates += re.findall(r"原文标题 : ([^<]*)<", body)
    return next(
        (c for c in candidates if c != post_title and legacy_title(c) == post_title), post_title
    )


def feed_item(name: str, text: str, number: int, *, proxied: bool) -> Item:
    post = parse_post(text)
    body = post.body_html.replace(' referrerpolicy="no-referrer"', "")
    if not proxied:
        body = body.replace(CORS, "")
    title = str(post.metadata["title"])
    return Item(
        name=name,
        text=text,
        title=original_title(title, body),
        link=f"https://www.ofweek.com/rsshub-page/{number:03d}.html",
        pub_date=str(post.metadata["date"]),
        description=body,
    )


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def rss(items: list[Item]) -> bytes:
    """An RSS 2.0 document shaped like RSSHub's ``/ofweek/news``."""
    entries = "".join(
        "<item>"
        f"<title>{cdata(i.title)}</title>"
        f"<description>{cdata(i.description)}</description>"
        f"<pubDate>{i.pub_date}</pubDate>"
        f'<guid isPermaLink="false">{html.escape(i.link)}</guid>'
        f"<link>{html.escape(i.link)}</link>"
        "</item>\n"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel>'
        "<title><![CDATA[维科网 - 产业新闻]]></title><link>https://www.ofweek.com/</link>"
        "<description><![CDATA[维科网 - 产业新闻 - Made with love by RSSHub]]></description>"
        "<generator>RSSHub</generator><language>zh-cn</language>\n"
        f"{entries}</channel></rss>"
    ).encode()


def crawl(folder: Path, feeds: dict[str, list[Item]]) -> tuple[Path, list[str]]:
    """Serve the feeds, crawl them twice into ``folder/archive``; the archive and both runs'
    ``(new, unchanged)`` counts."""
    routes = {
        path: (200, "application/rss+xml; charset=utf-8", rss(items))
        for path, items in feeds.items()
    }
    archive = folder / "archive"
    with serve_routes(routes) as base:
        toml = folder / "feeds.toml"
        toml.write_text("".join(FEEDS_TOML.format(url=base + p) for p in feeds), encoding="utf-8")
        args = (
            "crawl",
            "rsshub",
            "--feeds",
            str(toml),
            "--image-mode",
            "proxy",
            "--image-proxy",
            CORS + "{url}",
        )
        outputs = []
        for _ in range(2):
            result = run_cli(archive, *args, settings=SETTINGS, timeout=300)
            assert result.returncode == 0, result.stderr
            outputs.append(result.stderr)
    return archive, outputs


def written(archive: Path, link: str) -> str:
    con = sqlite3.connect(archive / "index.db")
    try:
        (path,) = con.execute("select path from articles where url = ?", [link]).fetchone()
    finally:
        con.close()
    return (archive / "posts" / path).read_text(encoding="utf-8")


def without_placeholder(text: str) -> str:
    return PLACEHOLDER.sub("https://picsum.photos/400/300?random=N", text)


def test_golden_post_comes_back_byte_identical(shared_dir: Path, tmp_path: Path) -> None:
    text = (shared_dir / GOLDEN).read_text(encoding="utf-8")
    item = feed_item("golden", text, 0, proxied=False)
    assert item.title == "紧抓科技创新“关键变量”，联想集团打造绿色发展新范式"  # from the img title
    archive, _ = crawl(tmp_path, {"/ofweek/news": [item]})
    assert written(archive, item.link) == text


@pytest.fixture(scope="module")
def corpus(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Item]]:
    folder = shared_dir / OFWEEK
    if not folder.is_dir():
        pytest.skip(f"OFweek corpus not found at {folder}")
    posts = sorted(folder.glob("*.md"))
    items = [
        feed_item(p.name, p.read_text(encoding="utf-8"), n, proxied=n % 2 == 1)
        for n, p in enumerate(posts)
    ]
    tmp = tmp_path_factory.mktemp("rsshub-corpus")
    archive, _ = crawl(tmp, {"/ofweek/news": items[0::2], "/ofweek/news/proxied": items[1::2]})
    return archive, items


def test_every_ofweek_post_comes_back_byte_identical(corpus: tuple[Path, list[Item]]) -> None:
    archive, items = corpus
    assert len(items) == 92
    identical, placeholder, different = [], [], []
    for item in items:
        out = written(archive, item.link)
        if out == item.text:
            identical.append(item.name)
            continue
        numbers = PLACEHOLDER.findall(out)
        legacy_numbers = PLACEHOLDER.findall(item.text)
        if (
            "<img" not in item.description
            and len(numbers) == len(legacy_numbers) == 2
            and len(set(numbers)) == 1
            and without_placeholder(out) == without_placeholder(item.text)
        ):
            placeholder.append(item.name)
        else:
            different.append(item.name)
    assert different == []
    # every post with an image is byte-identical; only the image-less ones differ, in N alone
    assert len(identical) == sum("<img" in i.description for i in items) == 56
    assert len(placeholder) == 36


def test_second_crawl_of_the_corpus_writes_nothing(corpus: tuple[Path, list[Item]]) -> None:
    archive, _ = corpus
    con = sqlite3.connect(archive / "index.db")
    try:
        runs = con.execute(
            "select new, updated, unchanged, failed from crawl_runs order by id"
        ).fetchall()
        revisions = con.execute("select count(*) from revisions").fetchone()
    finally:
        con.close()
    assert runs == [(92, 0, 0, 0), (0, 0, 92, 0)]
    assert revisions == (0,)


def test_export_to_origin_and_back_gives_the_legacy_bytes_again(
    corpus: tuple[Path, list[Item]],
) -> None:
    """The hints that make a feed item legacy-exact survive the index (``export`` rebuilds
    every post from it): origin mode unwraps the proxied images, proxy mode brings them back."""
    archive, items = corpus
    before = {i.link: written(archive, i.link) for i in items}
    origin = run_cli(archive, "export", "--image-mode", "origin", settings=SETTINGS, timeout=300)
    assert origin.returncode == 0, origin.stderr
    unproxied = {i.link: written(archive, i.link) for i in items}
    changed = [link for link in before if unproxied[link] != before[link]]
    assert len(changed) == sum(CORS in i.text for i in items) == 26
    assert not any(CORS in text for text in unproxied.values())
    proxy = run_cli(
        archive,
        "export",
        "--image-mode",
        "proxy",
        "--image-proxy",
        CORS + "{url}",
        settings=SETTINGS,
        timeout=300,
    )
    assert proxy.returncode == 0, proxy.stderr
    assert {i.link: written(archive, i.link) for i in items} == before


def test_imported_posts_are_updated_not_copied(shared_dir: Path, tmp_path: Path) -> None:
    """``import`` the legacy posts, then ``crawl rsshub``: one post per article, not two."""
    golden = (shared_dir / GOLDEN).read_text(encoding="utf-8")
    folder = shared_dir / OFWEEK
    if not folder.is_dir():
        pytest.skip(f"OFweek corpus not found at {folder}")
    imageless = next(p for p in sorted(folder.glob("*.md")) if "<img" not in p.read_text("utf-8"))
    source = tmp_path / "legacy" / "新媒体" / "高科技行业门户" / "新闻"
    source.mkdir(parents=True)
    (source / "紧抓科技创新_关键变量_，联想集团打造绿色发展新范式.md").write_text(golden, "utf-8")
    (source / imageless.name).write_text(imageless.read_text("utf-8"), "utf-8")
    archive = tmp_path / "archive"
    imported = run_cli(archive, "import", str(tmp_path / "legacy"), settings=SETTINGS)
    assert imported.returncode == 0, imported.stderr
    items = [
        feed_item("golden", golden, 0, proxied=False),
        feed_item(imageless.name, imageless.read_text("utf-8"), 1, proxied=False),
    ]
    crawled, _ = crawl(tmp_path, {"/ofweek/news": items})
    assert crawled == archive
    con = sqlite3.connect(archive / "index.db")
    try:
        rows = con.execute(
            "select url, canonical_url, origin from articles order by url"
        ).fetchall()
        revisions = con.execute("select count(*) from revisions").fetchone()
    finally:
        con.close()
    assert [(url, origin) for url, _, origin in rows] == [(i.link, "crawl") for i in items]
    assert all(identity.startswith("import:新媒体/高科技行业门户/新闻/") for _, identity, _ in rows)
    assert len(list((archive / "posts").rglob("*.md"))) == 2
    assert written(archive, items[0].link) == golden
    assert without_placeholder(written(archive, items[1].link)) == without_placeholder(
        items[1].text
    )
    assert revisions == (1,)  # the image-less post: its random placeholder became the stable one


def test_whole_corpus_through_the_feed_functions(shared_dir: Path) -> None:
    """The figures of docs/migrating-from-rsshub-page.md for the feeds that were not the target:
    every corpus post as a feed item of its own feed (portal from its categories), in-process."""
    from archive.errors import ArchiveError
    from archive.frontmatter_files import ExportOptions, render_article
    from archive.importer import portal_for
    from archive.normalize import normalize_article
    from archive.rsshub import FeedConfig, FeedEntry, feed_article

    root = shared_dir / "corpus" / "rsshub-page" / "posts"
    if not root.is_dir():
        pytest.skip(f"corpus not found at {root}")
    options = ExportOptions(image_mode="proxy", image_proxy=CORS + "{url}")
    outcome: dict[str, dict[str, int]] = {}
    for number, path in enumerate(sorted(root.rglob("*.md"))):
        site = "/".join(path.relative_to(root).parts[:2])
        counts = outcome.setdefault(site, {})
        item = feed_item(path.name, path.read_text(encoding="utf-8"), number, proxied=True)
        categories = parse_post(item.text).metadata["categories"]
        assert isinstance(categories, list)
        author = str(parse_post(item.text).metadata["author"])
        feed = FeedConfig("https://r.example/x", tuple(categories), author, portal_for(categories))
        entry = FeedEntry(number, item.title, item.link, item.description, item.pub_date)
        try:
            article = feed_article(entry, feed)
        except ArchiveError:
            kind = "refused"
        else:
            normalize_article(article)
            out = render_article(article, options)
            if out == item.text:
                kind = "identical"
            elif without_placeholder(out) == without_placeholder(item.text):
                kind = "placeholder"
            else:
                kind = "different"
        counts[kind] = counts.get(kind, 0) + 1
    assert outcome == {
        "图片/煎蛋": {"identical": 5, "different": 1},
        "新媒体/36kr": {"placeholder": 11},
        "新媒体/IT 之家": {"identical": 1, "different": 5},
        "新媒体/ZAKER": {"different": 3},
        "新媒体/cnBeta": {"different": 7},
        "新媒体/人人都是产品经理": {"identical": 1, "placeholder": 9},
        "新媒体/虎嗅": {"different": 1},
        "新媒体/高科技行业门户": {"identical": 56, "placeholder": 36},
        "编程/Dockone": {"placeholder": 2, "different": 2},
        "编程/开源中国": {"refused": 1, "placeholder": 1, "different": 1},
    }
