"""Every --help explains itself, with examples; the top level lists the exit codes."""

from __future__ import annotations

import re

import pytest
from typer.core import TyperGroup
from typer.main import get_command

from i3x._cli._app import app
from i3x._cli._values import HISTORY_ROWS

from .conftest import Cli

_COMMANDS = [
    "info",
    "namespaces",
    "types",
    "relationships",
    "objects",
    "get",
    "history",
    "write",
    "watch",
    "schema",
    "demo",
    "tour",
]


def test_top_level_help(cli: Cli) -> None:
    out = cli("--help")
    assert out.exit_code == 0
    for command in _COMMANDS:
        assert command in out.stdout
    for text in ("Examples", "i3x tour", "Exit codes", "not found (404)", "I3X_URL", "I3X_TOKEN"):
        assert text in out.stdout


def test_no_arguments_shows_help(cli: Cli) -> None:
    out = cli()
    assert "Usage" in out.stdout
    assert "Examples" in out.stdout


@pytest.mark.parametrize("command", _COMMANDS)
def test_command_help_has_examples(cli: Cli, command: str) -> None:
    out = cli(command, "--help")
    assert out.exit_code == 0, out.stderr
    assert "Examples" in out.stdout or "Example" in out.stdout
    assert f"i3x {command}" in out.stdout or command == "demo"


def test_history_help_documents_times(cli: Cli) -> None:
    out = cli("history", "--help")
    for form in ("RFC 3339", "-15m", "-1h", "now"):
        assert form in out.stdout


# ------------------------------------------------------------------ 80 columns

_PLACEHOLDER = re.compile(r"<[^<>\n]+>")
_PANEL = ("╭", "│", "╰")


def _all_commands() -> list[str]:
    """Every command the app has, including those added after this test was written."""
    group = get_command(app)
    assert isinstance(group, TyperGroup)
    return sorted(group.commands)


def wrapping_problems(text: str, width: int = 80) -> list[str]:
    """Lines of a rendered help that show a broken wrap (empty when it reads cleanly).

    - a line wider than `width`;
    - in prose (rich's one-space margin), a line ended early: the next line's
      first word would have fitted on it (what printing a hard-wrapped
      docstring line by line does at a narrower width);
    - in an Examples block, a line that is not an indented `i3x ...` command
      (a wrapped example goes on at the margin).
    """
    problems = []
    lines = [line.rstrip() for line in text.splitlines()]
    in_examples = False
    for number, line in enumerate(lines):
        if len(line) > width:
            problems.append(f"too wide: {line!r}")
        stripped = line.strip()
        if not stripped:
            in_examples = False
            continue
        if stripped.startswith(_PANEL):
            continue
        if stripped in ("Examples", "Example"):
            in_examples = True
            continue
        if in_examples:
            if not (line.startswith("   ") and "i3x " in stripped):
                problems.append(f"broken example: {line!r}")
            continue
        following = lines[number + 1] if number + 1 < len(lines) else ""
        both_prose = line.startswith(" ") and not line.startswith("  ")
        both_prose = both_prose and following.startswith(" ") and not following.startswith("  ")
        if both_prose and following.strip() and not following.strip().startswith(_PANEL):
            next_word = following.split()[0]
            if len(line) + 1 + len(next_word) <= width - 1:
                problems.append(f"ended early: {line!r} before {next_word!r}")
    return problems


@pytest.mark.parametrize("command", [None, *_all_commands()])
def test_help_reads_cleanly_at_80_columns(cli: Cli, command: str | None) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    out = cli(*args, env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.stderr
    assert _PLACEHOLDER.findall(out.stdout) == []
    assert wrapping_problems(out.stdout) == []


def test_the_checker_sees_what_was_wrong() -> None:
    """What 80 columns made of the history help before: the checks catch each flaw."""
    before = "\n".join(
        [
            " Times are RFC 3339 (2025-06-01T08:00:00Z; UTC when no offset is given), 'now',",
            " or",
            " relative to now: -30s, -15m, -1h, -1h30m, -2d, -1w. The default is the last",
            " hour.",
            "",
            " Examples",
            "   i3x history pump-101-flow --start 2025-06-01T08:00:00Z --end",
            " 2025-06-01T09:00:00Z",
        ]
    )
    problems = wrapping_problems(before)
    assert any(p.startswith("ended early: ' or'") for p in problems)
    assert any("broken example: ' 2025-06-01T09:00:00Z'" in p for p in problems)
    assert _PLACEHOLDER.findall("│ --depth  -d  <int range> [x>=0] │ <bool> <list[str]>") == [
        "<int range>",
        "<bool>",
        "<list[str]>",
    ]


def test_subcommand_help_points_to_the_global_options(cli: Cli) -> None:
    out = cli("get", "--help", env={"COLUMNS": "80"})
    assert "Global options" in out.stdout
    assert "before or after the command" in out.stdout


def test_history_help_documents_the_cap(cli: Cli) -> None:
    out = cli("history", "--help", env={"COLUMNS": "200"})
    assert f"the last {HISTORY_ROWS} points" in out.stdout
    for option in ("--last", "--all", "--csv"):
        assert option in out.stdout
