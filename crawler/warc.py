"""Raw capture to WARC and replay from it (issue #5, part 3).

* :class:`WarcCaptureMiddleware` (``ARCHIVE_WARC``): a downloader middleware at priority 950,
  i.e. *before* ``HttpCompressionMiddleware`` (590) sees a response, so each record keeps the
  payload as the server sent it (still gzip-compressed when its ``Content-Encoding`` says so;
  stack-notes §7). Article responses and image (media) responses are written as a WARC
  ``request`` + ``response`` pair with warcio; listing pages, feeds and robots.txt are not.
* :class:`WarcReplayMiddleware` (``ARCHIVE_REPLAY``, set by ``portal-archive reextract``):
  answers every request from the latest stored response for its URL, without network, so
  the stored pages go through the very same spider, parser and pipelines as a live crawl.

Files are ``<ARCHIVE_DIR>/warc/<portal>-<UTC time>-<pid>.warc.gz``; while a run writes one it
is named ``….warc.gz.open`` and it is renamed when the spider closes. Every record is its own
gzip member and each request/response pair goes to disk in one unbuffered ``write()``, so a
killed crawl leaves a ``.open`` file of complete, readable records (see ``docs/warc.md``).
The record builders are pure functions; only the two middleware classes do I/O.
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from warcio.recordloader import ArcWarcRecord

logger = logging.getLogger(__name__)

WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
KIND_HEADER = "Portal-Archive-Kind"
"""WARC extension field on response records: ``article`` or ``image``."""
PORTAL_HEADER = "Portal-Archive-Portal"
"""WARC extension field on response records: the portal key of the run."""
DROPPED_HEADERS = frozenset({b"transfer-encoding"})
"""Framing Scrapy already removed from the body: kept, it would make readers de-chunk."""
SOFTWARE = "portal-archive (Scrapy downloader middleware, warcio)"


def warc_dir(settings: Any) -> Path:
    """``ARCHIVE_WARC_DIR``, or ``<ARCHIVE_DIR>/warc``."""
    configured = settings.get("ARCHIVE_WARC_DIR") or ""
    return Path(configured) if configured else Path(settings.get("ARCHIVE_DIR")) / "warc"


def warc_date(moment: datetime) -> str:
    """WARC/1.0 date (UTC, seconds): ``2026-12-01T20:47:45Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_warc_date(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def capture_kind(request: Request) -> str | None:
    """``article``/``image`` for the requests we keep, ``None`` for the rest."""
    if request.meta.get("archive_article"):
        return "article"
    if request.meta.get("archive_image"):
        return "image"
    return None


def _header_pairs(
    headers: Headers, *, drop: frozenset[bytes] = frozenset()
) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        if name.lower() in drop:
            continue
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


def http_request_headers(request: Request) -> StatusAndHeaders:
    """The request's start line and headers as Scrapy sent them (``Host`` added)."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pairs = _header_pairs(request.headers)
    if not any(name.lower() == "host" for name, _ in pairs):
        pairs.insert(0, ("Host", parts.netloc))
    return StatusAndHeaders(f"{request.method} {target} HTTP/1.1", pairs, is_http_request=True)


def http_response_headers(response: Response) -> StatusAndHeaders:
    """Status line and headers; the reason phrase is reconstructed (Scrapy does not keep it)."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    protocol = response.protocol or "HTTP/1.1"
    pairs = _header_pairs(response.headers, drop=DROPPED_HEADERS)
    return StatusAndHeaders(f"{response.status} {reason}".rstrip(), pairs, protocol=protocol)


def record_pair(
    writer: WARCWriter,
    request: Request,
    response: Response,
    *,
    kind: str,
    portal: str,
    moment: datetime,
) -> tuple[ArcWarcRecord, ArcWarcRecord]:
    """The WARC ``request`` and ``response`` records of one exchange (digests computed)."""
    date = warc_date(moment)
    response_fields = {"WARC-Date": date, KIND_HEADER: kind, PORTAL_HEADER: portal}
    if response.ip_address is not None:
        response_fields["WARC-IP-Address"] = str(response.ip_address)
    response_record = writer.create_warc_record(
        request.url,
        "response",
        payload=io.BytesIO(response.body),
        length=len(response.body),
        http_headers=http_response_headers(response),
        warc_headers_dict=response_fields,
    )
    request_record = writer.create_warc_record(
        request.url,
        "request",
        payload=io.BytesIO(request.body),
        length=len(request.body),
        http_headers=http_request_headers(request),
        warc_headers_dict={"WARC-Date": date},
    )
    return request_record, response_record


def encode_pair(
    request: Request, response: Response, *, kind: str, portal: str, moment: datetime
) -> bytes:
    """The gzip members of a request/response pair, ready for one ``write()``."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    req, resp = record_pair(writer, request, response, kind=kind, portal=portal, moment=moment)
    writer.write_request_response_pair(req, resp)
    return buffer.getvalue()


def encode_warcinfo(filename: str, fields: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    writer.write_record(writer.create_warcinfo_record(filename, fields))
    return buffer.getvalue()


class WarcFile:
    """One run's WARC file: written as ``NAME.open``, renamed to ``NAME`` by :meth:`close`."""

    def __init__(self, folder: Path, portal: str, moment: datetime) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = folder / f"{portal}-{stamp}-{os.getpid()}{WARC_SUFFIX}"
        self.open_path = self.path.with_name(self.path.name + OPEN_SUFFIX)
        self._fh: BinaryIO | None = self.open_path.open("xb", buffering=0)
        self.records = 0
        self.bytes = 0

    def write(self, data: bytes, records: int) -> None:
        assert self._fh is not None
        written = self._fh.write(data)  # unbuffered: one write() per pair
        if written != len(data):  # a regular file only writes short on a full disk
            raise OSError(f"short write to {self.open_path}: {written} of {len(data)} bytes")
        self.records += records
        self.bytes += len(data)

    def close(self) -> Path:
        if self._fh is not None:
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None
            self.open_path.replace(self.path)
        return self.path


def complete_records_end(path: Path) -> int:
    """Byte offset just after the last complete, readable record of a WARC file."""
    end = 0
    with path.open("rb") as fh:
        records = ArchiveIterator(fh)
        try:
            for _record in records:
                records.read_to_end()
                end = records.get_record_offset() + records.get_record_length()
        except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error):  # a torn tail
            logger.warning("%s: unreadable data after byte %d dropped", path, end)
    return end


def finalize_open_file(path: Path) -> Path:
    """Turn a ``.open`` file a killed run left into a closed one (torn tail cut off)."""
    end = complete_records_end(path)
    if end < path.stat().st_size:
        with path.open("r+b") as fh:
            fh.truncate(end)
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    path.replace(final)
    return final


class WarcCaptureMiddleware:
    """Writes article and image exchanges of a run to ``warc/`` (``ARCHIVE_WARC``)."""

    def __init__(self, crawler: Crawler, folder: Path) -> None:
        self.crawler = crawler
        self.folder = folder
        self.file: WarcFile | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_WARC") or settings.getbool("ARCHIVE_REPLAY"):
            raise NotConfigured  # silently: off by default
        return cls(crawler, warc_dir(settings))

    @property
    def portal(self) -> str:
        spider: Any = self.crawler.spider
        return str(getattr(spider, "name", None) or "run")

    def spider_opened(self, spider: Any) -> None:
        import scrapy

        now = datetime.now(UTC)
        self.file = WarcFile(self.folder, self.portal, now)
        info = {
            "software": f"{SOFTWARE}; Scrapy {scrapy.__version__}",
            "format": "WARC File Format 1.0",
            "portal": self.portal,
            "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": str(self.crawler.settings.get("USER_AGENT")),
            "description": "article and image responses; payloads as received, before "
            "Scrapy's decompression; Transfer-Encoding framing removed",
        }
        self.file.write(encode_warcinfo(self.file.path.name, info), 1)

    def spider_closed(self, spider: Any) -> None:
        if self.file is not None:
            path = self.file.close()
            logger.info(
                "WARC: %d records, %d bytes in %s", self.file.records, self.file.bytes, path
            )
            self.file = None

    def process_response(self, request: Request, response: Response) -> Response:
        kind = capture_kind(request)
        if kind is None or self.file is None:
            return response
        now = datetime.now(UTC).replace(microsecond=0)
        data = encode_pair(request, response, kind=kind, portal=self.portal, moment=now)
        self.file.write(data, 2)
        request.meta["archive_fetched_at"] = now  # the article's fetched_at = its WARC-Date
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"archive/warc/{kind}")
        stats.inc_value("archive/warc/bytes", len(data))
        return response


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True)
class Capture:
    """Where the stored response of a URL is."""

    uri: str
    file: str
    """File name under the WARC folder."""
    offset: int
    date: str
    """``WARC-Date`` of the record."""


def latest_captures(index_path: Path) -> dict[str, Capture]:
    """URL → its latest captured response (read-only; empty without an index)."""
    if not index_path.is_file():
        return {}
    con = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "select uri, file, offset, date from warc_records order by date, file, offset"
        ).fetchall()
    except sqlite3.OperationalError:  # an index without the table yet
        rows = []
    finally:
        con.close()
    return {uri: Capture(uri, file, offset, date) for uri, file, offset, date in rows}


def read_response_record(path: Path, offset: int) -> tuple[StatusAndHeaders, bytes, str]:
    """HTTP headers, raw payload (as stored) and ``WARC-Date`` of the record at ``offset``."""
    with path.open("rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        if record.rec_type != "response" or record.http_headers is None:
            raise ValueError(f"{path}@{offset} is a {record.rec_type} record, not a response")
        payload = record.raw_stream.read()
        return record.http_headers, payload, record.rec_headers.get_header("WARC-Date")


def stored_response(request: Request, http: StatusAndHeaders, payload: bytes) -> Response:
    """A Scrapy response like the download handler builds, from a stored record."""
    headers = Headers([(k.encode("latin-1"), v.encode("latin-1")) for k, v in http.headers])
    cls = responsetypes.from_args(headers=headers, url=request.url, body=payload)
    status = int(http.get_statuscode())
    return cls(
        url=request.url,
        status=status,
        headers=headers,
        body=payload,
        request=request,
        protocol=http.protocol or None,
    )


class WarcReplayMiddleware:
    """Serves every request from ``warc/`` (``ARCHIVE_REPLAY``); never touches the network."""

    def __init__(self, crawler: Crawler, folder: Path, captures: dict[str, Capture]) -> None:
        self.crawler = crawler
        self.folder = folder
        self.captures = captures

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcReplayMiddleware:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_REPLAY"):
            raise NotConfigured  # silently: off by default
        index_path = Path(settings.get("ARCHIVE_DIR")) / "index.db"
        return cls(crawler, warc_dir(settings), latest_captures(index_path))

    def process_request(self, request: Request) -> Response:
        stats = self.crawler.stats
        assert stats is not None
        capture = self.captures.get(request.url)
        if capture is None:
            stats.inc_value("archive/replay/missing")
            raise IgnoreRequest(f"not captured in WARC: {request.url}")
        http, payload, date = read_response_record(self.folder / capture.file, capture.offset)
        request.meta["archive_fetched_at"] = parse_warc_date(date)
        stats.inc_value("archive/replay/served")
        return stored_response(request, http, payload)
