"""``docs/cli.md`` generated from the commands' own ``--help`` (a test keeps them equal).

Regenerate with ``.venv/bin/python -m portal_archive.cli.reference > docs/cli.md``.
"""

from __future__ import annotations

import click

from portal_archive.cli import cli

HEADER = """# Command-line reference

Generated from `--help` by `python -m portal_archive.cli.reference > docs/cli.md`;
`tests/test_docs.py` fails when this file and the commands disagree.

Global form: `portal-archive [--archive DIR] [--set KEY=VALUE]… [--log-level LEVEL] COMMAND`.
Exit codes: 0 success, 1 failure (a failed run or URL), 2 usage error, 75 the archive is
locked by another run.
"""


def _help(command: click.Command, name: str, parent: click.Context | None) -> str:
    ctx = click.Context(
        command, info_name=name, parent=parent, terminal_width=100, max_content_width=100
    )
    return command.get_help(ctx)


def render() -> str:
    """The whole reference as Markdown."""
    root = click.Context(
        cli,
        info_name="portal-archive",
        terminal_width=100,
        max_content_width=100,
        **cli.context_settings,
    )
    parts = [HEADER, "## portal-archive\n", "```", cli.get_help(root), "```\n"]
    for name in sorted(cli.commands):
        parts += [
            f"## portal-archive {name}\n",
            "```",
            _help(cli.commands[name], name, root),
            "```\n",
        ]
    return "\n".join(parts)


if __name__ == "__main__":
    click.echo(render(), nl=False)
