"""Dates as pages print them, to time-zone-aware datetimes.

:func:`parse_page_date` reads ISO 8601 (with or without an offset), Chinese forms
(``2022年08月25日 16:09``, ``2022-8-25 16:09:05``, ``2022/08/25``), US numeric forms
(``9/17/2004 5:54:13 AM``), English month names (``March 5, 2024``, ``5 Mar 2024``) and
relative dates (``3 小时前``, ``5分钟前``, ``刚刚``, ``昨天 14:20``, ``前天``, ``2 天前``,
``3 hours ago``, ``yesterday``), the last against a given "now". A date without a zone is
read in the page's zone (``Asia/Shanghai`` unless told otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"

_MONTH_NAMES = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
"""An English month, named or abbreviated (not ``Market`` or ``Marks``)."""
_TIME = (
    r"(?:\s*T?\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)

CN_DATE = re.compile(
    rf"(?P<y>(?:19|20)\d{{2}})\s*[-/.年]\s*(?P<m>\d{{1,2}})\s*[-/.月]\s*(?P<d>\d{{1,2}})\s*日?{_TIME}"
)
US_DATE = re.compile(rf"(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})/(?P<y>(?:19|20)\d{{2}}){_TIME}")
EN_DATE = re.compile(
    rf"(?P<mon>{_MONTHS})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{{2}})"
    rf"(?:,?\s*(?:at\s+)?{_TIME})?",
    re.I,
)
EN_DATE_DMY = re.compile(
    rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTHS}),?\s+(?P<y>(?:19|20)\d{{2}})"
    rf"(?:,?\s*(?:at\s+)?{_TIME})?",
    re.I,
)
"""``17 December 2025``, ``19 Dec, 2025``, ``3rd of March 2024``."""
DOTTED_DATE = re.compile(
    rf"(?<![\d.])(?P<d>\d{{1,2}})\.\s?(?P<m>\d{{1,2}})\.\s?(?P<y>(?:19|20)\d{{2}})(?![\d.])"
    rf"(?:,?{_TIME})?"
)
"""Day first with dots, as Europe prints it: ``23.07.2025``, ``5. 3. 2024 14:30``."""
RELATIVE = re.compile(
    r"(?P<n>\d+)\s*(?P<unit>秒|分钟|分|小时|个小时|天|日|周|星期|个月|月|年)\s*前"
    r"|(?P<word>刚刚|刚才|今天|昨天|前天|just now|today|yesterday)"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{2}))?"
    r"|(?P<en_n>\d+|an?|one)\s+(?P<en_unit>second|minute|min|hour|hr|day|week|month|year)s?\s+ago",
    re.I,
)
"""``3 小时前``, ``5分钟前``, ``昨天 14:20``, ``刚刚``, ``2 hours ago``, ``yesterday``."""
LOCAL_MONTHS: dict[str, int] = {}
"""Month names of the languages of Western Europe, by month number (filled below)."""
for _number, _names in enumerate(
    (
        "januar janvier enero gennaio janeiro januari jänner",
        "februar février fevrier febrero febbraio fevereiro februari",
        "märz maerz mars marzo março marco maart",
        "april avril abril aprile",
        "mai mayo maggio maio mei",
        "juni juin junio giugno junho",
        "juli juillet julio luglio julho",
        "august août aout agosto augustus",
        "september septembre septiembre settembre setembro",
        "oktober octobre octubre ottobre outubro",
        "november novembre noviembre novembro",
        "dezember décembre decembre diciembre dicembre dezembro december",
    ),
    start=1,
):
    LOCAL_MONTHS.update(dict.fromkeys(_names.split(), _number))
LOCAL_DATE = re.compile(
    r"(?<!\w)(?P<d>\d{1,2})\.?\s*(?:de\s+)?(?P<mon>[^\W\d_]{3,10})\.?,?\s+(?:de\s+)?"
    rf"(?P<y>(?:19|20)\d{{2}})(?:,?\s*(?:um|à|a las|alle|às|om)?{_TIME})?",
    re.I,
)
"""``5. März 2024``, ``12 mars 2024 à 14h``, ``15 de marzo de 2024``, ``3 gen. 2025``: a day,
a month named in German, French, Spanish, Italian, Portuguese or Dutch (or its first three
or more letters), a year."""


def local_month(word: str) -> int | None:
    """The month a German, French, Spanish, Italian, Portuguese or Dutch word names
    (``März``, ``févr``, ``dic``), when its letters start one month's names only."""
    key = word.lower().rstrip(".")
    if key in LOCAL_MONTHS:
        return LOCAL_MONTHS[key]
    months = {n for name, n in LOCAL_MONTHS.items() if len(key) >= 3 and name.startswith(key)}
    return months.pop() if len(months) == 1 else None


def _local_dates(text: str) -> Iterator[re.Match[str]]:
    return (m for m in LOCAL_DATE.finditer(text) if local_month(m.group("mon")))


ABSOLUTE = (CN_DATE, US_DATE, EN_DATE, EN_DATE_DMY, DOTTED_DATE)


def find_date(text: str, *, relative: bool = True) -> str | None:
    """The first date-looking part of ``text`` (absolute, or also relative), or ``None``."""
    patterns = (*ABSOLUTE, RELATIVE) if relative else ABSOLUTE
    matches = [m for p in patterns if (m := p.search(text))]
    local = next(_local_dates(text), None)
    matches += [local] if local else []
    return min(matches, key=lambda m: m.start()).group(0).strip() if matches else None


_UNITS = {
    "秒": timedelta(seconds=1),
    "second": timedelta(seconds=1),
    "分钟": timedelta(minutes=1),
    "分": timedelta(minutes=1),
    "minute": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "个小时": timedelta(hours=1),
    "hour": timedelta(hours=1),
    "hr": timedelta(hours=1),
    "天": timedelta(days=1),
    "日": timedelta(days=1),
    "day": timedelta(days=1),
    "周": timedelta(weeks=1),
    "星期": timedelta(weeks=1),
    "week": timedelta(weeks=1),
    "个月": timedelta(days=30),
    "月": timedelta(days=30),
    "month": timedelta(days=30),
    "年": timedelta(days=365),
    "year": timedelta(days=365),
}
_DAYS_BACK = {
    "刚刚": 0,
    "刚才": 0,
    "just now": 0,
    "今天": 0,
    "today": 0,
    "昨天": 1,
    "yesterday": 1,
    "前天": 2,
}


def _clock(parts: dict[str, str | None]) -> tuple[int, int, int]:
    hour = int(parts.get("H") or 0)
    ampm = (parts.get("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    return hour, int(parts.get("M") or 0), int(parts.get("S") or 0)


def relative_date(text: str, now: datetime, tz: str = DEFAULT_TZ) -> datetime | None:
    """``3 小时前`` … as an aware datetime, counted back from ``now``."""
    match = RELATIVE.search(text)
    if not match:
        return None
    local_now = now.astimezone(ZoneInfo(tz))
    if match.group("n"):
        return local_now - int(match.group("n")) * _UNITS[match.group("unit")]
    if match.group("en_n"):
        count = match.group("en_n").lower()
        n = 1 if count in {"a", "an", "one"} else int(count)
        return local_now - n * _UNITS[match.group("en_unit").lower()]
    word = match.group("word").lower()
    day = local_now - timedelta(days=_DAYS_BACK[word])
    if match.group("H"):
        return day.replace(
            hour=int(match.group("H")), minute=int(match.group("M")), second=0, microsecond=0
        )
    if word in {"刚刚", "刚才", "just now"}:
        return local_now
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def parse_page_date(
    text: str, now: datetime | None = None, tz: str = DEFAULT_TZ, *, day_first: bool = False
) -> datetime | None:
    """The first date in ``text`` as an aware datetime (``None`` when there is none).

    >>> parse_page_date("发布时间：2022年08月25日 16:09").isoformat()
    '2022-08-25T16:09:00+08:00'
    >>> now = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
    >>> parse_page_date("3 小时前", now).isoformat()
    '2024-03-05T17:00:00+08:00'

    ``03/05/2024`` is read month first (as in the US) unless ``day_first`` (a page of a
    country that prints the day first); ``23/05/2024`` and ``23.05.2024`` are day first anyway.
    """
    stripped = text.strip()
    zone = ZoneInfo(tz)
    try:
        iso = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        return iso if iso.tzinfo else iso.replace(tzinfo=zone)
    numeric = [m for p in (CN_DATE, US_DATE, DOTTED_DATE) if (m := p.search(stripped))]
    if numeric:
        first = min(numeric, key=lambda m: m.start())
        parts = first.groupdict()
        day, month = int(parts["d"] or 0), int(parts["m"] or 0)
        if first.re is not CN_DATE and month > 12 >= day:
            day, month = month, day  # 15/12/2025 (day first), 12.18.2025 (month first)
        elif first.re is US_DATE and day_first and day <= 12:
            day, month = month, day  # 08/12/2021 on a French page
        try:
            return datetime(int(parts["y"] or 0), month, day, *_clock(parts), tzinfo=zone)
        except ValueError:
            return None
    for pattern in (EN_DATE, EN_DATE_DMY):
        match = pattern.search(stripped)
        if match:
            parts = match.groupdict()
            month = _MONTH_NAMES[(parts["mon"] or "")[:3].lower()]
            try:
                return datetime(
                    int(parts["y"] or 0), month, int(parts["d"] or 0), *_clock(parts), tzinfo=zone
                )
            except ValueError:
                return None
    for match in _local_dates(stripped):
        parts = match.groupdict()
        try:
            return datetime(
                int(parts["y"] or 0),
                local_month(parts["mon"] or "") or 0,
                int(parts["d"] or 0),
                *_clock(parts),
                tzinfo=zone,
            )
        except ValueError:
            return None
    return relative_date(stripped, now or datetime.now(UTC), tz)


# --------------------------------------------------------------------- a page's own zone

PAGE_ZONE = ""
"""``ARCHIVE_PAGE_TIMEZONE`` value meaning "each page's own zone" (the generic spider):
:func:`page_zone` from the page's language and host, else :data:`FLOATING_ZONE`."""
FLOATING_ZONE = "UTC"
"""Where a naive time goes when the page's zone is unknown: its wall clock is kept as printed
(the local date stays the printed date) instead of being moved by a guessed offset."""

COUNTRY_ZONES: dict[str, str] = {
    "cn": "Asia/Shanghai",
    "tw": "Asia/Taipei",
    "hk": "Asia/Hong_Kong",
    "mo": "Asia/Macau",
    "sg": "Asia/Singapore",
    "jp": "Asia/Tokyo",
    "kr": "Asia/Seoul",
    "in": "Asia/Kolkata",
    "th": "Asia/Bangkok",
    "vn": "Asia/Ho_Chi_Minh",
    "my": "Asia/Kuala_Lumpur",
    "ph": "Asia/Manila",
    "il": "Asia/Jerusalem",
    "ir": "Asia/Tehran",
    "tr": "Europe/Istanbul",
    "gb": "Europe/London",
    "uk": "Europe/London",
    "ie": "Europe/Dublin",
    "de": "Europe/Berlin",
    "at": "Europe/Vienna",
    "ch": "Europe/Zurich",
    "fr": "Europe/Paris",
    "be": "Europe/Brussels",
    "nl": "Europe/Amsterdam",
    "lu": "Europe/Luxembourg",
    "it": "Europe/Rome",
    "es": "Europe/Madrid",
    "pt": "Europe/Lisbon",
    "dk": "Europe/Copenhagen",
    "se": "Europe/Stockholm",
    "no": "Europe/Oslo",
    "fi": "Europe/Helsinki",
    "pl": "Europe/Warsaw",
    "cz": "Europe/Prague",
    "sk": "Europe/Bratislava",
    "hu": "Europe/Budapest",
    "ro": "Europe/Bucharest",
    "gr": "Europe/Athens",
    "ua": "Europe/Kyiv",
    "ru": "Europe/Moscow",
    "za": "Africa/Johannesburg",
    "eg": "Africa/Cairo",
    "ng": "Africa/Lagos",
    "ar": "America/Argentina/Buenos_Aires",
    "cl": "America/Santiago",
    "pe": "America/Lima",
    "nz": "Pacific/Auckland",
}
"""Countries (ISO 3166 code or country TLD) that keep one clock. Countries spanning several
zones (US, Canada, Mexico, Brazil, Australia, Indonesia) are absent: their naive times float."""

LANGUAGE_ZONES: dict[str, str] = {
    "zh": "Asia/Shanghai",
    "ja": "Asia/Tokyo",
    "ko": "Asia/Seoul",
    "de": "Europe/Berlin",
    "fr": "Europe/Paris",
    "it": "Europe/Rome",
    "nl": "Europe/Amsterdam",
    "pl": "Europe/Warsaw",
    "cs": "Europe/Prague",
    "sk": "Europe/Bratislava",
    "hu": "Europe/Budapest",
    "ro": "Europe/Bucharest",
    "el": "Europe/Athens",
    "da": "Europe/Copenhagen",
    "sv": "Europe/Stockholm",
    "nb": "Europe/Oslo",
    "nn": "Europe/Oslo",
    "no": "Europe/Oslo",
    "fi": "Europe/Helsinki",
    "uk": "Europe/Kyiv",
    "ru": "Europe/Moscow",
    "tr": "Europe/Istanbul",
    "he": "Asia/Jerusalem",
    "fa": "Asia/Tehran",
    "th": "Asia/Bangkok",
    "vi": "Asia/Ho_Chi_Minh",
}
"""Languages spoken (almost) only under one clock, for a tag without a region (``de``,
``ja``). English, Spanish, Portuguese, Arabic … are spoken across zones: no guess."""


def day_first(language: str, url: str) -> bool:
    """Whether a page prints ``08/12/2021`` day first: everywhere but in (or for) the US.

    A page in English without a region on a generic domain (``.com``) is read month first, as
    are ``en-US`` pages; ``en-GB``, ``fr``, ``de``, a ``.co.uk`` or ``.fr`` host are day first.

    >>> day_first("fr-FR", "https://www.inria.fr/x"), day_first("en", "https://a.com/x")
    (True, False)
    """
    tag = language.strip().lower().replace("_", "-")
    parts = [p for p in tag.split("-") if p]
    region = next((p for p in parts[1:] if len(p) == 2 and p.isalpha()), "")
    if parts and parts[0] in {"zh", "ja", "ko"}:  # year first; a slashed date is US-style
        return False
    if region:
        return region not in {"us", "ph", "ca"}
    host = (urlsplit(url).hostname or "").lower()
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    if tld in COUNTRY_ZONES or tld in {"au", "nz", "za", "br", "mx"}:
        return True
    return bool(parts) and parts[0] not in {"en", "zh", "ja", "ko"}


def page_zone(language: str, url: str) -> str | None:
    """The zone a page's naive times are in, from what the page says about itself.

    The region of its language tag first (``en-GB``, ``zh_TW`` from ``og:locale``), then its
    host's country domain (``.de``, ``.co.uk``), then a language spoken under one clock (``ja``);
    ``None`` when none of these tells (``en``, ``en-US``, ``es`` on a ``.com``).

    >>> page_zone("en-GB", "https://example.com/a")
    'Europe/London'
    >>> page_zone("", "https://www.heise.de/news/x.html")
    'Europe/Berlin'
    >>> page_zone("zh-CN", "http://127.0.0.1/x")
    'Asia/Shanghai'
    >>> page_zone("en-US", "https://arstechnica.com/x") is None
    True
    """
    tag = language.strip().lower().replace("_", "-")
    parts = [p for p in tag.split("-") if p]
    region = next((p for p in parts[1:] if len(p) == 2 and p.isalpha()), "")
    if region in COUNTRY_ZONES:
        return COUNTRY_ZONES[region]
    host = (urlsplit(url).hostname or "").lower()
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    if tld in COUNTRY_ZONES:
        return COUNTRY_ZONES[tld]
    if parts and not region:  # a region of several clocks (de-US, en-US) is no guess
        return LANGUAGE_ZONES.get(parts[0])
    return None
