"""How every bench script updates ``docs/benchmarks.md``: it replaces its own marked section.

A section runs from its start marker (``<!-- bench:NAME -->``) to its end marker; the text
passed in includes both. A missing section is appended, a missing file started with
:data:`DOC_HEADER`; the rest of the file is left as it is. The file is replaced atomically.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
DOC_HEADER = "# Benchmarks\n\nMeasured figures; each section is written by its bench script.\n"


def replace_section(text: str, section: str, start: str, end: str) -> str:
    """``text`` with its ``start``…``end`` section replaced by ``section`` (or appended)."""
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: section, text, count=1)
    return text.rstrip("\n") + "\n\n" + section


def write_section(section: str, start: str, end: str, doc: Path = DOC) -> None:
    """Write ``section`` (markers included) into ``doc`` in place of its previous version."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else DOC_HEADER
    tmp = doc.with_name(f".{doc.name}.{os.getpid()}.tmp")
    tmp.write_text(replace_section(text, section, start, end), encoding="utf-8")
    tmp.replace(doc)
