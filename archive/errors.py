"""Typed errors of the archive library; ``portal_archive.cli`` turns them into clean CLI errors."""


class ArchiveError(Exception):
    """Base class of every error the archive reports to its users."""


class UnsafePathError(ArchiveError):
    """A computed file path would leave the archive's ``posts/`` folder."""


class UnknownProfileError(ArchiveError):
    """No front-matter profile of that name."""


class InvalidSettingError(ArchiveError, ValueError):
    """An ``ARCHIVE_*`` setting has a value the archive cannot use."""


class UnknownPortalError(ArchiveError):
    """No portal (spider/parser) of that name."""


class NoParserForUrlError(ArchiveError):
    """No portal parser handles the URL's host."""


class InvalidUrlError(ArchiveError):
    """The URL is not an absolute http(s) URL."""


class ArchiveLockedError(ArchiveError):
    """Another run holds the archive's writer lock."""


class PostImportError(ArchiveError):
    """A file could not be imported as a post (no front matter, invalid YAML/TOML, bad date)."""


class IndexInUseError(ArchiveError):
    """``reindex`` cannot swap ``index.db`` while another process has it open."""


class NoIndexError(ArchiveError):
    """The archive has no ``index.db`` (yet)."""


class FeedsFileError(ArchiveError):
    """The ``--feeds`` file of ``crawl rsshub`` is missing, not TOML or lists no usable feed."""


def exception_text(exc: BaseException) -> str:
    """One line for ``exc``: its message, or, for a download error wrapping Twisted failures
    (``ResponseFailed.reasons``), each underlying ``Type: message`` instead of their reprs.

    >>> exception_text(ValueError("bad\\n value"))
    'bad value'
    """
    reasons = getattr(exc.__cause__, "reasons", None) or getattr(exc, "reasons", None)
    if reasons:
        parts = []
        for reason in reasons:
            value = getattr(reason, "value", reason)
            parts.append(f"{type(value).__name__}: {value}".rstrip(": "))
        return " ".join("; ".join(parts).split())
    return " ".join(str(exc).split())


class BadRecordError(ArchiveError):
    """A queue record (crawl worker → writer) that this version cannot read."""


class RedisUnavailableError(ArchiveError):
    """The Redis of a distributed crawl cannot be reached (or its URL is not one)."""
