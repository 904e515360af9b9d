"""Every --help explains itself, with examples; the top level lists the exit codes."""

from __future__ import annotations

import pytest

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
