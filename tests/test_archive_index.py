from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from archive import index
from archive.frontmatter_files import ExportOptions
from archive.items import ArticleItem, FetchFailure, ImageRef
from archive.store import Archive


def article(n: int, title: str, body: str) -> ArticleItem:
    url = f"http://portal.test/2022-08/ART-8100-2801-{n}.html"
    return ArticleItem(
        url=url,
        canonical_url=url,
        portal="ofweek",
        title=title,
        author="高科技行业门户",
        categories=["新媒体", "高科技行业门户", "新闻"],
        published=datetime(2022, 8, n, 8, 9, tzinfo=UTC),
        body_html=f"<p>{body}</p>",
        body_text=body,
        images=[ImageRef(url=f"http://img.test/{n}.jpg", status="failed", error="HTTP 403")],
    )


def test_migrations_apply_twice_safely(tmp_path: Path) -> None:
    db = index.open_index(tmp_path / "index.db")
    db.close()
    db = index.open_index(tmp_path / "index.db")
    assert {
        "articles",
        "images",
        "article_categories",
        "failures",
        "articles_fts",
        "crawl_runs",
        "revisions",
        "warc_records",
        "articles_fts_words",
    } <= set(db.table_names())
    assert [m.name for m in index.migrations.applied(db)] == [
        "m001_initial",
        "m002_runs_revisions_imports",
        "m003_image_assets",
        "m004_warc_records",
        "m005_parser_alarm",
        "m006_reader_search",
        "m007_word_search",
    ]


def test_save_then_unchanged_then_updated(tmp_path: Path) -> None:
    with Archive(tmp_path, ExportOptions(fsync=False)) as archive:
        first = archive.save(article(1, "储能电池出海调研", "据统计，我国碳排放监测体系完善。"))
        assert first.status == "new"
        assert first.path.is_file()
        mtime = first.path.stat().st_mtime_ns
        first_seen = archive.db["articles"].get(first.article_id)["first_seen"]
        archive.db.execute("update articles set first_seen = '2020-01-01T00:00:00+00:00'")
        again = archive.save(article(1, "储能电池出海调研", "据统计，我国碳排放监测体系完善。"))
        assert again.status == "unchanged"
        assert first.path.stat().st_mtime_ns == mtime
        changed = archive.save(article(1, "储能电池出海调研", "正文修改了，加入GPU算力。"))
        assert changed.status == "updated"
        assert first_seen
        assert (
            archive.db["articles"].get(first.article_id)["first_seen"]
            == "2020-01-01T00:00:00+00:00"
        )
        assert archive.db["articles"].count == 1
        row = archive.db["articles"].get(first.article_id)
        assert row["path"].startswith("ofweek/2022-08/")
        assert row["published"] == "2022-08-01T08:09:00+00:00"
        images = list(archive.db["images"].rows)
        assert images[0]["status"] == "failed"
        assert images[0]["error"] == "HTTP 403"
        categories = [r["category"] for r in archive.db["article_categories"].rows]
        assert categories == ["新媒体", "高科技行业门户", "新闻"]


def test_title_change_moves_the_file(tmp_path: Path) -> None:
    with Archive(tmp_path, ExportOptions(fsync=False)) as archive:
        old = archive.save(article(2, "旧标题", "内容"))
        new = archive.save(article(2, "新标题", "内容"))
        assert new.status == "updated"
        assert not old.path.exists()
        assert new.path.is_file()
        assert len(list((tmp_path / "posts").rglob("*.md"))) == 1


def test_trigram_search_finds_chinese_and_english(tmp_path: Path) -> None:
    with Archive(tmp_path, ExportOptions(fsync=False)) as archive:
        archive.save(article(1, "联想集团绿色发展", "据统计，我国碳排放监测体系完善。"))
        archive.save(article(2, "算力芯片", "新一代GPU集群投入使用。"))
        table = archive.db["articles"]

        def search(q: str) -> list[str]:
            return [r["title"] for r in table.search(q)]

        assert search("碳排放") == ["联想集团绿色发展"]
        assert search("联想集团") == ["联想集团绿色发展"]
        assert search("gpu") == ["算力芯片"]
        assert search("碳排") == []  # trigram needs 3+ characters (issue #4 adds a LIKE fallback)


def test_failures_count_attempts_and_clear_on_success(tmp_path: Path) -> None:
    with Archive(tmp_path, ExportOptions(fsync=False)) as archive:
        url = "http://portal.test/2022-08/ART-8100-2801-3.html"
        assert archive.record_failure(FetchFailure(url, "ofweek", "http_500", "HTTP 500")) == 1
        assert archive.record_failure(FetchFailure(url, "ofweek", "http_500", "HTTP 500")) == 2
        row = archive.db["failures"].get(url)
        assert row["attempts"] == 2
        assert row["first_failed"] <= row["last_failed"]
        archive.save(article(3, "后来成功了", "内容"))
        assert archive.db["failures"].count == 0


def test_partial_files_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / "posts" / "ofweek" / "2022-08" / ".tmp-abc.part"
    stale.parent.mkdir(parents=True)
    stale.write_text("half", encoding="utf-8")
    with Archive(tmp_path) as archive:
        _ = archive.db
    assert not stale.exists()
