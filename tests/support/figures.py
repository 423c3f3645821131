"""Figures the reliability tests measure, written as JSON for ``bench/reliability_figures.py``.

Each test module writes one file ``bench/out/reliability/<name>.json`` at the end of its run;
the script renders them into the figures section of ``docs/reliability.md``. Nothing here is
typed by hand: a number in that section is what the last run counted.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIGURES_DIR = Path(
    os.environ.get("PORTAL_ARCHIVE_FIGURES_DIR", ROOT / "bench" / "out" / "reliability")
)


def write_figures(name: str, data: dict[str, Any]) -> Path:
    """Write ``data`` (plus when and where it was measured) to ``FIGURES_DIR/<name>.json``."""
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    path = FIGURES_DIR / f"{name}.json"
    payload = {
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "python": sys.version.split()[0],
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        **data,
    }
    path.write_text(
        json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return path
