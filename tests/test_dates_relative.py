"""Relative, year-less and epoch page dates, resolved against the fetch time in Beijing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.normalize import parse_published

# 20:56 UTC on 1 December is already 04:56 on 2 December in Beijing.
FETCHED = datetime(2026, 12, 1, 20, 56, 17, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25 分钟前", "2026-12-01T20:31:17+00:00"),
        ("3 小时前", "2026-12-01T17:56:17+00:00"),
        ("3小时前", "2026-12-01T17:56:17+00:00"),
        ("刚刚", "2026-12-01T20:56:17+00:00"),
        ("昨天 10:20", "2026-12-01T02:20:00+00:00"),  # Beijing's yesterday is 1 December
        ("前天 08:05", "2026-11-30T00:05:00+00:00"),
        ("2 天前", "2026-11-29T20:56:17+00:00"),
        ("11/22 09:15", "2026-11-22T01:15:00+00:00"),  # year-less: the latest past one
        ("12/28 22:10", "2025-12-28T14:10:00+00:00"),  # would be in the future this year
        ("2023/11/20 14:05", "2023-11-20T06:05:00+00:00"),
        ("1709618400000", "2024-03-05T06:00:00+00:00"),  # epoch ms (36氪)
        ("1709618400", "2024-03-05T06:00:00+00:00"),  # epoch s
        ("Tue, 05 Mar 2024 06:00:00 +0000", "2024-03-05T06:00:00+00:00"),
    ],
)
def test_page_dates_resolve_against_the_fetch_time(text: str, expected: str) -> None:
    parsed = parse_published(text, now=FETCHED)
    assert parsed is not None
    assert parsed.isoformat() == expected


def test_another_fetch_time_gives_another_date() -> None:
    later = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert parse_published("昨天 10:20", now=later) == datetime(2026, 12, 2, 2, 20, tzinfo=UTC)
