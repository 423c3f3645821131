"""The docs are part of the product: settings, item fields, portals and CLI commands."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.items import ArticleItem, FetchFailure, ImageRef
from crawler import settings as project_settings
from crawler.portals import parsers
from portal_archive.cli import cli

PARSERS = parsers()

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = DOCS.parent / "README.md"


def _documented(path: Path) -> set[str]:
    return set(re.findall(r"^\| `([A-Za-z0-9_]+)` \|", path.read_text(encoding="utf-8"), re.M))


def test_every_archive_setting_is_documented() -> None:
    ours = {name for name in vars(project_settings) if name.startswith("ARCHIVE_")}
    documented = {n for n in _documented(DOCS / "settings.md") if n.startswith("ARCHIVE_")}
    assert ours == documented, "document new ARCHIVE_* settings in docs/settings.md"


@pytest.mark.parametrize("item_class", [ArticleItem, ImageRef, FetchFailure])
def test_every_item_field_is_documented(item_class: type) -> None:
    text = (DOCS / "item-schema.md").read_text(encoding="utf-8")
    section = text.split(f"## {item_class.__name__}\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert documented == {f.name for f in dataclasses.fields(item_class)}


def test_every_portal_is_in_the_portals_table() -> None:
    assert set(PARSERS) <= _documented(DOCS / "portals.md")


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    runner = CliRunner()
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example:" in result.output, f"{name} --help needs an Example"
        assert f"portal-archive {name}" in readme, f"document {name} in README.md"


def test_readme_states_exactly_two_setup_commands() -> None:
    readme = README.read_text(encoding="utf-8")
    assert "make demo" in readme
    assert "make test" in readme


def test_cli_reference_is_current() -> None:
    from portal_archive.cli.reference import render

    assert (DOCS / "cli.md").read_text(encoding="utf-8") == render(), (
        "docs/cli.md is stale: .venv/bin/python -m portal_archive.cli.reference > docs/cli.md"
    )
