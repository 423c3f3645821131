"""Front matter of the ``hugo`` and ``jekyll`` profiles: python-frontmatter handlers, pure.

``archive.frontmatter_files`` decides *what* a post of these profiles says (its ``_hugo`` and
``_jekyll`` renderers); this module decides how it is *written*, like ``archive.hexo`` does
for the legacy layout. A file of either profile is::

    +++ / ---            the start delimiter (Hugo: TOML, Jekyll: YAML)
    <front matter>       written by tomli_w (TOML) or a PyYAML safe dumper, never by hand
    +++ / ---            the end delimiter
    <body HTML>          exactly as exported (Hugo: shortcode openers escaped, see below)
                         one final line break

**Hugo** reads TOML front matter natively (its own ``hugo new`` writes TOML), and TOML has a
real offset date-time type, so ``date`` is a date, not a string that happens to parse.
**Jekyll** reads only YAML. Dates are written in RFC 3339 with a ``T``
(``2022-08-25T16:09:00+08:00``) in both.

Hugo expands shortcodes (``{{< name >}}``, ``{{% name %}}``) even in ``.html`` content
files, so a body that holds ``{{%`` as text would break the build (``template for shortcode
… not found``). :func:`hugo_escape` writes those openers as ``{{&#37;`` / ``{{&#60;`` (the
same characters in a browser); :func:`hugo_unescape` reverses it exactly for bodies that do
not already contain those two character references (nh3, which sanitizes every crawled
body, never writes numeric references). Jekyll's Liquid is switched off per post with
``render_with_liquid: false`` instead.

The module reads and writes no files.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import frontmatter
import tomli_w
import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler
from yaml.nodes import ScalarNode

from archive.hexo import NEEDS_ESCAPES

__all__ = [
    "HugoTOMLHandler",
    "JekyllYAMLHandler",
    "RFC3339DateTime",
    "SiteFormatError",
    "SitePost",
    "hugo_escape",
    "hugo_unescape",
    "parse_site_post",
    "render_site_post",
]

_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class SiteFormatError(ValueError):
    """Text is not a post of the hugo or jekyll profile."""


class RFC3339DateTime(datetime):
    """A datetime whose ``str()`` is its RFC 3339 form with a ``T``.

    tomli_w writes a datetime as ``str(value)``, which for ``datetime`` is the ISO form with a
    space (allowed by TOML and by RFC 3339's note in 5.6, but not what the RFC's grammar and
    most readers expect). This subclass is how the TOML gets the ``T`` without editing text.
    """

    def __str__(self) -> str:
        return self.isoformat()

    @classmethod
    def of(cls, value: datetime) -> RFC3339DateTime:
        return cls.combine(value.date(), value.timetz())


def _tomlable(value: object) -> Any:
    """Datetimes as :class:`RFC3339DateTime`, everything else as it is."""
    if isinstance(value, datetime) and not isinstance(value, RFC3339DateTime):
        return RFC3339DateTime.of(value)
    if isinstance(value, Mapping):
        return {str(key): _tomlable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_tomlable(item) for item in value]
    return value


class _SiteHandler(BaseHandler):
    """``START\\n<front matter>\\nEND\\n<body>\\n``, split back exactly (no stripping)."""

    def format(self, post: frontmatter.Post, **kwargs: object) -> str:
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.format() takes no options, got {sorted(kwargs)}"
            )
        return "".join(
            (
                f"{self.START_DELIMITER}\n",
                self.export(post.metadata),
                f"\n{self.END_DELIMITER}\n",
                post.content,
                "\n",
            )
        )

    def split(self, text: str) -> tuple[str, str]:
        start = f"{self.START_DELIMITER}\n"
        end = f"\n{self.END_DELIMITER}\n"
        if not text.startswith(start):
            raise SiteFormatError(f"no front matter: expected a {self.START_DELIMITER!r} line")
        close = text.find(end, len(start) - 1)
        if close < 0:
            raise SiteFormatError(f"unterminated front matter: no closing {self.END_DELIMITER!r}")
        if not text.endswith("\n"):
            raise SiteFormatError("the body does not end with a line break")
        return text[len(start) : close], text[close + len(end) : -1]


class HugoTOMLHandler(_SiteHandler):
    """Hugo's TOML front matter (``+++``): tomli_w writes it, tomllib reads it."""

    FM_BOUNDARY = re.compile(r"^\+{3}$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)

    def export(self, metadata: Mapping[str, object], **kwargs: object) -> str:
        return tomli_w.dumps(_tomlable(metadata)).removesuffix("\n")


class SiteYAMLDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, except: datetimes in RFC 3339 with a ``T``, and strings a reader
    would change (line breaks, non-printables, NEL/LS/PS, BOM) double-quoted with escapes, so no
    value ever spans lines (a ``---`` line can only be a delimiter)."""

    def represent_str(self, data: str) -> ScalarNode:
        if "\n" in data or "\r" in data or NEEDS_ESCAPES.search(data):
            return ScalarNode(_STR_TAG, data, style='"')
        node: ScalarNode = super().represent_str(data)
        return node

    def represent_rfc3339(self, data: datetime) -> ScalarNode:
        node: ScalarNode = self.represent_scalar(_TIMESTAMP_TAG, data.isoformat())
        return node


SiteYAMLDumper.add_representer(str, SiteYAMLDumper.represent_str)
SiteYAMLDumper.add_representer(datetime, SiteYAMLDumper.represent_rfc3339)
SiteYAMLDumper.add_representer(RFC3339DateTime, SiteYAMLDumper.represent_rfc3339)


class JekyllYAMLHandler(_SiteHandler, YAMLHandler):
    """Jekyll's YAML front matter (``---``): keys in the given order, unicode unescaped, no
    line wrapping."""

    FM_BOUNDARY = re.compile(r"^-{3}$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "---"

    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.safe_load(fm)

    def export(self, metadata: Mapping[str, object], **kwargs: object) -> str:
        text: str = yaml.dump(
            dict(metadata),
            Dumper=SiteYAMLDumper,
            sort_keys=False,
            allow_unicode=True,
            width=sys.maxsize,
            default_flow_style=False,
        )
        return text.removesuffix("\n")


HANDLERS: dict[str, type[_SiteHandler]] = {"hugo": HugoTOMLHandler, "jekyll": JekyllYAMLHandler}
"""Profile → the handler of its files."""


def render_site_post(metadata: Mapping[str, object], body: str, profile: str) -> str:
    """One post file of ``profile`` (``hugo`` or ``jekyll``)."""
    post = frontmatter.Post(body)
    post.metadata.update(metadata)
    return frontmatter.dumps(post, handler=HANDLERS[profile]())


@dataclass(frozen=True)
class SitePost:
    metadata: dict[str, Any]
    body: str
    """The body as written in the file (Hugo: still escaped, see :func:`hugo_unescape`)."""


def parse_site_post(text: str, profile: str) -> SitePost:
    """Split a post of ``profile`` into its front matter and body; :class:`SiteFormatError` when
    it is not one."""
    handler = HANDLERS[profile]()
    fm, body = handler.split(text)
    try:
        data = handler.load(fm)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise SiteFormatError(f"invalid front matter: {exc}") from None
    if not isinstance(data, dict):
        raise SiteFormatError("front matter is not a mapping")
    return SitePost(dict(data), body)


_HUGO_ESCAPES = (("{{%", "{{&#37;"), ("{{<", "{{&#60;"))


def hugo_escape(body: str) -> str:
    """``body`` with Hugo's shortcode openers written as character references."""
    for raw, escaped in _HUGO_ESCAPES:
        body = body.replace(raw, escaped)
    return body


def hugo_unescape(body: str) -> str:
    """:func:`hugo_escape` reversed."""
    for raw, escaped in _HUGO_ESCAPES:
        body = body.replace(escaped, raw)
    return body
