"""Render and parse the legacy Hexo post layout of the site this project replaces, byte for byte.

A legacy post file is::

    lead                      "\\n"
    ---\\n
    <YAML front matter>       keys in KEY_ORDER, legacy quoting (see HexoDumper)
    ---\\n
    \\n
    body_open                 "<div>   \\n"
    <inner body HTML>
    body_close                per feed, e.g. OFweek " \\n  \\n</div>"
    trailer                   "\\n" + 12 spaces, no final newline

The YAML is produced by PyYAML through python-frontmatter (``HexoYAMLHandler``); only the frame
around it is plain text. Parsing uses a SafeLoader that keeps timestamps as strings, so the
exact ``date`` form (RFC 1123 or the bare Dockone form) survives a parse/render round trip.

The module is pure: it reads and writes no files.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler
from yaml._yaml import CEmitter
from yaml.emitter import Emitter
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.representer import SafeRepresenter
from yaml.resolver import Resolver
from yaml.serializer import Serializer

__all__ = [
    "DEFAULT_FRAME",
    "FRAMES",
    "KEY_ORDER",
    "HexoCDumper",
    "HexoDumper",
    "HexoFormatError",
    "HexoFrame",
    "HexoLoader",
    "HexoRepresenter",
    "HexoYAMLHandler",
    "ParsedPost",
    "c_emittable",
    "dump_front_matter",
    "legacy_filename",
    "legacy_title",
    "parse_post",
    "render_post",
]

#: Front-matter keys in the order the legacy site always writes them.
KEY_ORDER: tuple[str, ...] = (
    "title",
    "categories",
    "headimg",
    "author",
    "comments",
    "date",
    "thumbnail",
)

#: Keys whose string values the legacy site always quotes ('…', or "…" when the value has a ').
QUOTED_KEYS: frozenset[str] = frozenset({"title", "headimg", "thumbnail"})

#: Key whose string value is written plain (unquoted) whenever it reads back as the same string.
DATE_KEY = "date"

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

#: The whitespace that can surround the frame (ASCII only: U+3000 and U+00A0 are body text).
_FRAME_WS = " \t\r\n"
_OPEN_TAG = "<div>"
_CLOSE_TAG = "</div>"
_DELIMITER = "---"
#: Emitter line width: never fold long titles or URLs.
_NO_WRAP = sys.maxsize
_NEEDS_ESCAPES = re.compile(
    "[^\x09\x0a\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\x85\u2028\u2029\ufeff]"
)
"""Characters YAML cannot carry unescaped (non-printables) or that readers normalize (NEL, LS,
PS, a BOM): values holding one are written double-quoted, with escapes."""
NEEDS_ESCAPES = _NEEDS_ESCAPES
"""The same pattern for the other profiles' YAML (``archive.profiles``)."""


class HexoFormatError(ValueError):
    """Text is not a post in the legacy Hexo layout."""


def _is_frame_ws(text: str) -> bool:
    return not text.strip(_FRAME_WS)


@dataclass(frozen=True)
class HexoFrame:
    """The exact text around the front matter and the inner body of one feed's posts."""

    lead: str = "\n"
    body_open: str = "<div>   \n"
    body_close: str = " \n  \n</div>"
    trailer: str = "\n            "

    def __post_init__(self) -> None:
        problems = []
        if not _is_frame_ws(self.lead) or self.lead[-1:] not in ("", "\n"):
            problems.append(f"lead must be blank lines, got {self.lead!r}")
        if not self.body_open.startswith(_OPEN_TAG) or not _is_frame_ws(
            self.body_open[len(_OPEN_TAG) :]
        ):
            problems.append(f"body_open must be '<div>' plus whitespace, got {self.body_open!r}")
        if not self.body_close.endswith(_CLOSE_TAG) or not _is_frame_ws(
            self.body_close[: -len(_CLOSE_TAG)]
        ):
            problems.append(f"body_close must be whitespace plus '</div>', got {self.body_close!r}")
        if not _is_frame_ws(self.trailer):
            problems.append(f"trailer must be whitespace, got {self.trailer!r}")
        if problems:
            raise ValueError("invalid HexoFrame: " + "; ".join(problems))


#: The frame of each legacy feed, measured on the RSSHUB-PAGE corpus. ``body_close`` is the whole
#: whitespace run before the final ``</div>``. For Dockone and OSChina that run is longer than the
#: ``"\n          \n</div>"`` SOURCE.md lists (it includes whitespace the feed left at the end of
#: its description); the values here are the ones every corpus file of those feeds ends with.
FRAMES: dict[str, HexoFrame] = {
    "ofweek": HexoFrame(body_close=" \n  \n</div>"),
    "36kr": HexoFrame(body_close="  \n</div>"),
    "woshipm": HexoFrame(body_close="  \n</div>"),
    "jandan": HexoFrame(body_close="  \n</div>"),
    "zaker": HexoFrame(body_close="  \n</div>"),
    "huxiu": HexoFrame(body_close="  \n</div>"),
    "cnbeta": HexoFrame(body_close="   \n</div>"),
    "ithome": HexoFrame(body_close="\n" + " " * 10 + "\n</div>"),
    "dockone": HexoFrame(body_close="\n" + " " * 32 + "\n" + " " * 62 + "\n</div>"),
    "oschina": HexoFrame(body_close="\n" + " " * 38 + "\n</div>"),
}
DEFAULT_FRAME: HexoFrame = FRAMES["ofweek"]


# --------------------------------------------------------------------------- YAML: dumping


class HexoEmitter(Emitter):
    """PyYAML emitter writing a sequence under a mapping key the legacy way.

    PyYAML writes ``categories:\\n- a``; the legacy files have ``categories: \\n - a``: a trailing
    space after the colon and the items indented by one space (PyYAML's ``indent`` cannot be 1).
    """

    def expect_block_sequence(self) -> None:
        if self.mapping_context and not self.indention:
            self.write_indicator("", need_whitespace=True)  # the space after "categories:"
            self.indents.append(self.indent)
            self.indent = (self.indent or 0) + 1
            self.state = self.expect_first_block_sequence_item
        else:
            super().expect_block_sequence()


class _FrontMatter(dict[str, object]):
    """Marks the root mapping, whose values are represented per key (see HexoDumper)."""


class HexoRepresenter(SafeRepresenter):
    """The legacy quoting rules, shared by :class:`HexoDumper` and :class:`HexoCDumper`.

    * ``title``, ``headimg``, ``thumbnail``: single-quoted, or double-quoted when the value
      holds ``'``.
    * ``date``: a string is written plain (``Thu, 25 Aug 2022 08:09:00 GMT``,
      ``2021-05-10 10:00:00``) as long as it reads back as the same string; a ``datetime`` is
      written the YAML way (``2021-05-10 10:00:00``, ``2022-08-25 16:09:00+08:00``).
    * everything else: PyYAML's safe representation (plain unless quoting is needed).
    * no anchors/aliases.
    """

    def ignore_aliases(self, data: object) -> bool:
        return True

    def represent_front_matter(self, data: _FrontMatter) -> MappingNode:
        pairs: list[tuple[Node, Node]] = [
            (self.represent_data(key), self.represent_field(key, value))
            for key, value in data.items()
        ]
        return MappingNode(_MAP_TAG, pairs, flow_style=False)

    def represent_str(self, data: str) -> ScalarNode:
        """PyYAML's choice, except that text a reader would change is double-quoted (escaped).

        YAML readers turn NEL/LS/PS into ``\\n`` and refuse other non-printables in any other
        style, so such a title or category would not read back as written.
        """
        if _NEEDS_ESCAPES.search(data):
            return ScalarNode(_STR_TAG, data, style='"')
        node: ScalarNode = super().represent_str(data)
        return node

    def represent_field(self, key: str, value: object) -> Node:
        """Represent one top-level value, choosing the legacy quote style for ``key``."""
        if isinstance(value, str) and _NEEDS_ESCAPES.search(value):
            return self.represent_str(value)
        if isinstance(value, str):
            if key in QUOTED_KEYS:
                return ScalarNode(_STR_TAG, value, style='"' if "'" in value else "'")
            if key == DATE_KEY:
                # Tag the node with what the plain text resolves to, so the serializer marks it
                # implicit and the emitter may leave it unquoted; HexoLoader reads both back as str.
                tag = self.plain_tag(value)
                if tag in (_STR_TAG, _TIMESTAMP_TAG):
                    return ScalarNode(tag, value, style=None)
        return self.represent_data(value)

    def plain_tag(self, value: str) -> str:
        """The tag a plain (unquoted) scalar ``value`` would be read back with."""
        resolve: Callable[[type[ScalarNode], str, tuple[bool, bool]], str]
        resolve = self.resolve  # type: ignore[attr-defined]  # from Resolver, mixed in beside
        return resolve(ScalarNode, value, (True, False))


class HexoDumper(HexoEmitter, Serializer, HexoRepresenter, Resolver):
    """Safe dumper producing the legacy front matter.

    * ``title``, ``headimg``, ``thumbnail``: single-quoted, or double-quoted when the value
      holds ``'``.
    * ``date``: a string is written plain (``Thu, 25 Aug 2022 08:09:00 GMT``,
      ``2021-05-10 10:00:00``) as long as it reads back as the same string; a ``datetime`` is
      written the YAML way (``2021-05-10 10:00:00``, ``2022-08-25 16:09:00+08:00``).
    * everything else: PyYAML's safe representation (plain unless quoting is needed).
    * no anchors/aliases, no line wrapping, unicode unescaped, keys in the given order.
    """

    def __init__(  # the signature yaml.dump() calls a Dumper class with
        self,
        stream: Any,
        default_style: str | None = None,
        default_flow_style: bool | None = False,
        canonical: bool | None = None,
        indent: int | None = None,
        width: int | None = None,
        allow_unicode: bool | None = None,
        line_break: str | None = None,
        encoding: str | None = None,
        explicit_start: bool | None = None,
        explicit_end: bool | None = None,
        version: tuple[int, int] | None = None,
        tags: Mapping[str, str] | None = None,
        sort_keys: bool = False,
    ) -> None:
        # None (what yaml.dump() passes for an option not given) means the legacy setting.
        Emitter.__init__(
            self,
            stream,
            canonical=canonical,
            indent=indent,
            width=_NO_WRAP if width is None else width,
            allow_unicode=True if allow_unicode is None else allow_unicode,
            line_break="\n" if line_break is None else line_break,
        )
        Serializer.__init__(
            self,
            encoding=encoding,
            explicit_start=explicit_start,
            explicit_end=explicit_end,
            version=version,
            tags=tags,
        )
        HexoRepresenter.__init__(
            self,
            default_style=default_style,
            default_flow_style=bool(default_flow_style),
            sort_keys=sort_keys,
        )
        Resolver.__init__(self)


HexoRepresenter.add_representer(_FrontMatter, HexoRepresenter.represent_front_matter)
HexoRepresenter.add_representer(str, HexoRepresenter.represent_str)


class HexoCDumper(CEmitter, HexoRepresenter, Resolver):
    """:class:`HexoDumper`'s representation emitted by libyaml (PyYAML's C emitter, as in
    ``yaml.CSafeDumper``), several times faster than the pure-Python emitter.

    libyaml writes a sequence under a key the standard way (``categories:\\n- a``), which
    :func:`_legacy_sequences` turns into the legacy form. Used only for front matter that
    :func:`c_emittable` accepts; ``tests/test_archive_hexo.py`` checks both dumpers agree byte
    for byte on hostile values and on every corpus post.
    """

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        CEmitter.__init__(
            self, stream, width=-1, allow_unicode=True, line_break="\n", encoding=None
        )
        HexoRepresenter.__init__(self, default_flow_style=False, sort_keys=False)
        Resolver.__init__(self)


_C_SAFE_TEXT = re.compile("[^\n\r\U00010000-\U0010ffff]*")
"""One line of text without characters beyond the BMP (libyaml escapes those as ``\\U…``,
PyYAML writes them as they are): a value both write alike."""


def _c_safe_value(value: object) -> bool:
    if isinstance(value, str):
        return _C_SAFE_TEXT.fullmatch(value) is not None and not _NEEDS_ESCAPES.search(value)
    return value is None or isinstance(value, bool | int)


def c_emittable(metadata: Mapping[str, object]) -> bool:
    """Whether :class:`HexoCDumper` writes ``metadata`` exactly as :class:`HexoDumper` does:
    string keys, and values that are one-line strings without characters needing escapes,
    booleans, integers, ``None`` or lists of such strings (everything else goes the Python
    way: nested mappings, dates, floats, multi-line or escaped text)."""
    for key, value in metadata.items():
        if not _c_safe_value(key):
            return False
        if isinstance(value, list):
            if not all(isinstance(v, str) and _c_safe_value(v) for v in value):
                return False
        elif not _c_safe_value(value):
            return False
    return True


_SEQUENCE_UNDER_KEY = re.compile(r"^([^\s-][^\n]*:)\n((?:- [^\n]*\n)+)", re.MULTILINE)


def _legacy_sequences(text: str) -> str:
    """``key:\\n- a\\n- b`` → ``key: \\n - a\\n - b`` (what :class:`HexoEmitter` writes)."""

    def legacy(match: re.Match[str]) -> str:
        items = match.group(2).replace("\n- ", "\n - ")
        return f"{match.group(1)} \n - {items[2:]}"

    return _SEQUENCE_UNDER_KEY.sub(legacy, text)


def dump_front_matter(metadata: Mapping[str, object], *, fast: bool = True) -> str:
    """The front matter YAML of ``metadata`` (keys in KEY_ORDER), with its final line break.

    libyaml (:class:`HexoCDumper`) when ``fast`` and :func:`c_emittable`, else the pure-Python
    :class:`HexoDumper`; both give the same bytes.
    """
    ordered = _ordered(metadata)
    if fast and c_emittable(ordered):
        return _legacy_sequences(yaml.dump(ordered, Dumper=HexoCDumper, sort_keys=False))
    text: str = yaml.dump(ordered, Dumper=HexoDumper, sort_keys=False)
    return text


def _ordered(metadata: Mapping[str, object]) -> _FrontMatter:
    """KEY_ORDER keys first (those present), then any other keys in their given order."""
    ordered = _FrontMatter((key, metadata[key]) for key in KEY_ORDER if key in metadata)
    ordered.update((key, value) for key, value in metadata.items() if key not in ordered)
    return ordered


# --------------------------------------------------------------------------- YAML: loading


class HexoLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as the original strings (no timestamp resolver)."""


HexoLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class HexoCLoader(yaml.CSafeLoader):
    """:class:`HexoLoader` with libyaml's parser (``yaml.CSafeLoader``): same resolvers and
    constructors, several times faster. Text it refuses is read again by :class:`HexoLoader`,
    whose error messages are the ones reported."""


HexoCLoader.yaml_implicit_resolvers = HexoLoader.yaml_implicit_resolvers


def load_front_matter(fm_text: str) -> Any:
    """The front matter's data: libyaml first, the pure-Python loader for its errors."""
    loader: yaml.CSafeLoader | HexoLoader = HexoCLoader(fm_text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    loader = HexoLoader(fm_text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- handler


class HexoYAMLHandler(YAMLHandler):
    """python-frontmatter handler for the legacy layout of one feed (``frame``).

    ``export()`` dumps with HexoDumper; ``format()`` adds the frame around the front matter and
    the inner body (the default ``format()`` strips the text, which would lose the frame).
    """

    FM_BOUNDARY = re.compile(r"^---$", re.MULTILINE)

    def __init__(self, frame: HexoFrame = DEFAULT_FRAME) -> None:
        super().__init__(start_delimiter=_DELIMITER, end_delimiter=_DELIMITER)
        self.frame = frame

    def load(self, fm: str, **kwargs: object) -> Any:
        if kwargs:
            raise TypeError(f"HexoYAMLHandler.load() takes no options, got {sorted(kwargs)}")
        return load_front_matter(fm)

    def export(self, metadata: Mapping[str, object], **kwargs: object) -> str:
        """Return the front matter YAML, keys in KEY_ORDER, without the final line break."""
        if kwargs:
            raise TypeError(f"HexoYAMLHandler.export() takes no options, got {sorted(kwargs)}")
        return dump_front_matter(metadata).removesuffix("\n")

    def format(self, post: frontmatter.Post, **kwargs: object) -> str:
        if kwargs:
            raise TypeError(f"HexoYAMLHandler.format() takes no options, got {sorted(kwargs)}")
        frame = self.frame
        return "".join(
            (
                frame.lead,
                f"{self.START_DELIMITER}\n",
                self.export(post.metadata),
                f"\n{self.END_DELIMITER}\n\n",
                frame.body_open,
                post.content,
                frame.body_close,
                frame.trailer,
            )
        )


# --------------------------------------------------------------------------- public API


def render_post(
    metadata: Mapping[str, object], body_html: str, frame: HexoFrame = DEFAULT_FRAME
) -> str:
    """Render one legacy post file.

    ``metadata`` keys are written in KEY_ORDER, extra keys after them in their given order.
    ``body_html`` is the inner body, without ``frame.body_open``/``frame.body_close``.
    """
    post = frontmatter.Post(body_html)
    post.metadata.update(metadata)
    return frontmatter.dumps(post, handler=HexoYAMLHandler(frame))


@dataclass(frozen=True)
class ParsedPost:
    """A legacy post split into front matter, inner body and the exact frame found."""

    metadata: dict[str, object]
    """Front matter; ``date`` (and any timestamp-like value) kept as the original string."""
    body_html: str
    """Inner body HTML, without the frame."""
    frame: HexoFrame
    """The frame strings actually found: ``render_post(metadata, body_html, frame)`` reproduces
    a file written in the legacy style."""


def parse_post(text: str) -> ParsedPost:
    """Split a legacy post file into metadata, inner body and frame.

    Raises HexoFormatError when the text does not have the layout (front matter between
    ``---`` lines, then a blank line and a ``<div>`` … ``</div>`` body) or the YAML is invalid.
    """
    # lead: the blank lines before the opening "---" (whole lines only).
    leading_ws = text[: len(text) - len(text.lstrip(_FRAME_WS))]
    lead = leading_ws[: leading_ws.rfind("\n") + 1]
    rest = text[len(lead) :]
    if not rest.startswith(_DELIMITER + "\n"):
        raise HexoFormatError(
            f"no front matter: expected a '---' line at offset {len(lead)}, found {rest[:20]!r}"
        )
    yaml_start = len(_DELIMITER) + 1
    end = rest.find(f"\n{_DELIMITER}\n", yaml_start - 1)
    if end < 0:
        raise HexoFormatError("unterminated front matter: no closing '---' line")
    fm_text = rest[yaml_start : end + 1]
    content = rest[end + len(_DELIMITER) + 2 :]

    metadata = _load_metadata(fm_text)
    body_html, frame = _split_body(content, lead)
    return ParsedPost(metadata=metadata, body_html=body_html, frame=frame)


def _load_metadata(fm_text: str) -> dict[str, object]:
    try:
        data = HexoYAMLHandler().load(fm_text)
    except yaml.YAMLError as exc:
        raise HexoFormatError(f"front matter is not valid YAML: {exc}") from exc
    except RecursionError:
        raise HexoFormatError("front matter is nested too deeply") from None
    if not isinstance(data, dict):
        raise HexoFormatError(f"front matter must be a YAML mapping, got {type(data).__name__}")
    bad_keys = [key for key in data if not isinstance(key, str)]
    if bad_keys:
        raise HexoFormatError(f"front matter keys must be strings, got {bad_keys!r}")
    return dict(data)


def _split_body(content: str, lead: str) -> tuple[str, HexoFrame]:
    if not content.startswith("\n" + _OPEN_TAG):
        raise HexoFormatError(
            f"expected a blank line and '<div>' after the front matter, found {content[:20]!r}"
        )
    content = content[1:]
    stripped = content.rstrip(_FRAME_WS)
    if not stripped.endswith(_CLOSE_TAG) or len(stripped) < len(_OPEN_TAG) + len(_CLOSE_TAG):
        raise HexoFormatError(f"body must end with '</div>', found {stripped[-20:]!r}")
    trailer = content[len(stripped) :]
    inner = stripped[len(_OPEN_TAG) : -len(_CLOSE_TAG)]

    # body_open: "<div>" plus its whitespace up to and including the first line break.
    open_ws = inner[: len(inner) - len(inner.lstrip(_FRAME_WS))]
    if "\n" in open_ws:
        open_ws = open_ws[: open_ws.index("\n") + 1]
    inner = inner[len(open_ws) :]
    # body_close: the whole whitespace run before "</div>".
    body_html = inner.rstrip(_FRAME_WS)
    close_ws = inner[len(body_html) :]

    frame = HexoFrame(
        lead=lead,
        body_open=_OPEN_TAG + open_ws,
        body_close=close_ws + _CLOSE_TAG,
        trailer=trailer,
    )
    return body_html, frame


#: Characters the legacy site replaced by "_" in titles (and therefore in file names).
_TITLE_REPLACED = ":/\\?*“”<>|[]"
_TITLE_TABLE = str.maketrans(dict.fromkeys(_TITLE_REPLACED, "_"))


def legacy_title(title: str) -> str:
    """Apply the legacy title rule: each of ``: / \\ ? * “ ” < > | [ ]`` becomes ``_``.

    Full-width ``：？`` and ASCII ``"`` / ``'`` are kept.
    """
    return title.translate(_TITLE_TABLE)


def legacy_filename(title: str) -> str:
    """The legacy file name for ``title``: ``legacy_title``, every ``.`` removed, plus ``.md``."""
    return legacy_title(title).replace(".", "") + ".md"
