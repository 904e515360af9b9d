"""Global options after the command: the same meaning in either place, the later one wins."""

from __future__ import annotations

from typing import Annotated

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from i3x._cli._app import app
from i3x._cli._group import Group, hoist_global_options
from i3x.testing import DemoServer

from .conftest import Cli

# Each global option with a value that passes its checks (--ca needs a file that exists).
_GLOBAL_OPTIONS: list[list[str]] = [
    ["--url", "http://127.0.0.1:1"],
    ["--url=http://127.0.0.1:1"],
    ["--token", "t0k"],
    ["--user", "alice", "--password", "s3cret"],
    ["--insecure"],
    ["--ca", __file__],
    ["--cert", __file__, "--key", __file__],
    ["--timeout", "5"],
    ["--retries", "0"],
    ["--json"],
    ["--verbose"],
    ["-v"],
]


def _group() -> Group:
    group = get_command(app)
    assert isinstance(group, Group)
    return group


_GROUP = _group()
_COMMANDS = sorted(_GROUP.commands)


def test_every_global_option_is_known() -> None:
    """The list above covers every option of the group (a new one must join it)."""
    named = {name for option in _GLOBAL_OPTIONS for name in option if name.startswith("-")}
    named = {name.partition("=")[0] for name in named}
    declared = {name for param in _GROUP.params for name in param.opts}
    assert declared == named


@pytest.mark.parametrize("command", _COMMANDS)
@pytest.mark.parametrize("option", _GLOBAL_OPTIONS, ids=lambda o: o[0].partition("=")[0])
def test_after_the_command_parses_as_before_it(command: str, option: list[str]) -> None:
    """Every global option, after every command, is parsed as if it came first."""
    assert hoist_global_options(_GROUP, [command, *option]) == [*option, command]
    assert hoist_global_options(_GROUP, [command, "x", *option, "y"]) == [
        *option,
        command,
        "x",
        "y",
    ]


# Exclusive ones apart (--token and --user, --insecure and --ca), all at once.
_TOGETHER = ["--url", "http://127.0.0.1:1", "--token", "t", "--ca", __file__, "--timeout", "5"]
_TOGETHER += ["--cert", __file__, "--key", __file__, "--retries", "0", "--json", "--verbose", "-v"]


@pytest.mark.parametrize("command", _COMMANDS)
def test_the_parser_takes_them_after_every_command(cli: Cli, command: str) -> None:
    # The group checks the options, then the command prints its help.
    for options in (_TOGETHER, ["--user", "u", "--password", "p", "--insecure"]):
        out = cli(command, *options, "--help")
        assert out.exit_code == 0, out.stderr
        assert f"i3x {command}" in out.stdout


def test_the_group_still_checks_options_given_after_the_command(cli: Cli) -> None:
    out = cli("info", "--token", "t", "--user", "u", "--password", "p")
    assert out.exit_code == 2
    assert "exclusive" in out.stderr
    out = cli("get", "pt-304", "--timeout", "0")
    assert out.exit_code == 2
    assert "--timeout" in out.stderr


def test_info_with_options_after_it_is_info_with_options_before(
    cli: Cli, i3x_server: DemoServer
) -> None:
    after = cli("info", "--url", i3x_server.url, "--json")
    before = cli("--url", i3x_server.url, "--json", "info")
    assert after.exit_code == 0, after.stderr
    assert after.json() == before.json()
    assert after.json()["serverName"] == "i3x demo server"


def test_options_on_both_sides_of_the_command_and_its_arguments(
    cli: Cli, i3x_server: DemoServer
) -> None:
    i3x_server.set_value("pt-304", 3.25)
    out = cli("--retries", "0", "get", "pt-304", "--depth", "1", "--url", i3x_server.url, "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()[0]["data"][0]["value"] == 3.25


def test_verbose_after_the_command(cli: Cli, i3x_server: DemoServer) -> None:
    out = cli("namespaces", "-v", "--url", i3x_server.url)
    assert out.exit_code == 0, out.stderr
    assert "> POST" in out.stderr or "> GET" in out.stderr


def test_the_later_one_wins(cli: Cli, i3x_server: DemoServer, unused_port: int) -> None:
    dead = f"http://127.0.0.1:{unused_port}"
    good = cli("--url", dead, "info", "--url", i3x_server.url, "--retries", "0")
    assert good.exit_code == 0, good.stderr
    assert i3x_server.url in good.stdout
    bad = cli("--url", i3x_server.url, "info", "--url", dead, "--retries", "0")
    assert bad.exit_code == 3
    # The environment is below both.
    env = {"I3X_URL": dead}
    assert cli("info", "--url", i3x_server.url, env=env).exit_code == 0


def test_a_missing_value_after_the_command_is_a_usage_error(cli: Cli) -> None:
    out = cli("info", "--url")
    assert out.exit_code == 2
    assert out.stderr.startswith("error: Option '--url' requires an argument.")
    assert out.stdout == ""


def test_after_a_double_dash_nothing_moves() -> None:
    assert hoist_global_options(_GROUP, ["write", "pt-304", "--", "--json"]) == [
        "write",
        "pt-304",
        "--",
        "--json",
    ]


def test_values_of_the_command_options_are_not_taken_for_options() -> None:
    # "--timestamp" takes a value; that value is the command's even if it looks global.
    args = ["write", "pt-304", "1", "--timestamp", "--json"]
    assert hoist_global_options(_GROUP, args) == args


def test_unknown_commands_and_plain_help_are_left_alone() -> None:
    assert hoist_global_options(_GROUP, ["frobnicate", "--json"]) == ["frobnicate", "--json"]
    assert hoist_global_options(_GROUP, ["--json", "--url", "u"]) == ["--json", "--url", "u"]
    assert hoist_global_options(_GROUP, []) == []


# A small app built like i3x's: a command added later gets the same behaviour with no
# code of its own, one with its own option of a global's name keeps it, and nested
# groups are followed.

toy = typer.Typer(cls=Group, add_completion=False)
seen: dict[str, object] = {}


@toy.callback()
def _toy_options(
    loud: Annotated[bool, typer.Option("--loud")] = False,
    name: Annotated[str, typer.Option("--name")] = "world",
) -> None:
    seen.update(loud=loud, name=name)


@toy.command()
def hello(times: Annotated[int, typer.Option("--times")] = 1) -> None:
    """Say hello."""
    seen["times"] = times


@toy.command()
def rename(name: Annotated[str, typer.Option("--name")] = "") -> None:
    """Its own --name."""
    seen["own name"] = name


nested = typer.Typer()
toy.add_typer(nested, name="things")


@nested.command("make")
def make(count: Annotated[int, typer.Option("--count")] = 0) -> None:
    """Make things."""
    seen["count"] = count


def _run_toy(*args: str) -> dict[str, object]:
    seen.clear()
    result = CliRunner().invoke(toy, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return dict(seen)


def test_a_new_command_gets_global_options_for_free() -> None:
    assert _run_toy("hello", "--times", "2", "--loud", "--name", "you") == {
        "loud": True,
        "name": "you",
        "times": 2,
    }


def test_a_command_option_named_like_a_global_one_stays_the_commands() -> None:
    assert _run_toy("--name", "global", "rename", "--name", "own") == {
        "loud": False,
        "name": "global",
        "own name": "own",
    }


def test_nested_groups_are_followed() -> None:
    assert _run_toy("things", "make", "--count", "3", "--loud") == {
        "loud": True,
        "name": "world",
        "count": 3,
    }
