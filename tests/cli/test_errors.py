"""One ``error:`` line on stderr and an exit code per class of failure; no tracebacks."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from i3x._cli._errors import in_cli_terms, is_argument_check
from i3x._pytest_plugin import DemoServerFactory
from i3x.testing import DemoServer

from .conftest import Cli, Outcome


def _failed(out: Outcome, code: int) -> str:
    """The single error line, after checking the exit code and that nothing else was said."""
    assert out.exit_code == code, (out.exit_code, out.stderr)
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("error: ")
    return line


def test_unknown_id_is_5(plant: Cli) -> None:
    line = _failed(plant("get", "no-such-element"), 5)
    assert "no-such-element" in line
    assert "404" in line


def test_unknown_ids_in_a_bulk_read_are_5_and_what_was_read_is_shown(plant: Cli) -> None:
    out = plant("get", "nope-1", "pt-304", "nope-2")
    assert out.exit_code == 5, out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("error: ")
    assert "2 of 3" in line
    assert "pt-304" in out.stdout
    assert "nope" not in out.stdout
    out = plant("--json", "get", "nope-1", "pt-304")
    assert out.exit_code == 5
    assert [v["elementId"] for v in json.loads(out.stdout)] == ["pt-304"]


def test_bad_value_is_6(plant: Cli) -> None:
    line = _failed(plant("write", "pt-304", '"not a number"'), 6)
    assert "400" in line


def test_wrong_token_is_4(cli: Cli, i3x_server_factory: DemoServerFactory) -> None:
    server = i3x_server_factory(token="secret")
    line = _failed(cli("--url", server.url, "--token", "wrong", "get", "pt-304"), 4)
    assert "401" in line
    assert "wrong" not in line
    assert cli("--url", server.url, "--token", "secret", "get", "pt-304").exit_code == 0


def test_token_from_the_environment(cli: Cli, i3x_server_factory: DemoServerFactory) -> None:
    server = i3x_server_factory(token="secret")
    out = cli("get", "pt-304", env={"I3X_URL": server.url, "I3X_TOKEN": "secret"})
    assert out.exit_code == 0, out.stderr


def test_basic_auth(cli: Cli, i3x_server_factory: DemoServerFactory) -> None:
    server = i3x_server_factory(basic_auth=("alice", "s3cret"))
    ok = cli("--url", server.url, "--user", "alice", "--password", "s3cret", "get", "pt-304")
    assert ok.exit_code == 0, ok.stderr
    env = {"I3X_USER": "alice", "I3X_PASSWORD": "nope"}
    _failed(cli("--url", server.url, "get", "pt-304", env=env), 4)


def test_nothing_listening_is_3(cli: Cli, unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}"
    line = _failed(cli("--url", url, "--retries", "0", "info"), 3)
    assert "cannot connect" in line


def test_timeout_is_3(plant: Cli, i3x_server: DemoServer) -> None:
    i3x_server.faults.latency = 0.5
    line = _failed(plant("--timeout", "0.1", "namespaces"), 3)
    assert "timed out" in line.lower() or "timeout" in line.lower()


def test_server_error_is_7(plant: Cli, i3x_server: DemoServer) -> None:
    i3x_server.faults.fail_next(status=500, path="/v1/objects/value")
    line = _failed(plant("get", "pt-304"), 7)
    assert "500" in line


def test_not_supported_is_8(plant: Cli, i3x_server: DemoServer) -> None:
    i3x_server.set_capabilities(query_history=False)
    line = _failed(plant("history", "pump-101-flow"), 8)
    assert "501" in line


@pytest.mark.parametrize("status", [200, 404])
def test_not_an_i3x_server_is_9(cli: Cli, web_server: Callable[[int], str], status: int) -> None:
    # 200 with HTML: a web page; 404 everywhere: no /info (an alpha server, or a wrong base).
    line = _failed(cli("--url", web_server(status), "--retries", "0", "info"), 9)
    assert "i3X" in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["frobnicate"], "No such command"),
        (["get"], "Missing argument"),
        (["get", "pt-304", "--depth", "deep"], "--depth"),
        (["--token", "t", "--user", "u", "info"], "exclusive"),
        (["--insecure", "--ca", __file__, "info"], "exclusive"),
        (["--password", "p", "info"], "--password needs --user"),
        (["--user", "u", "info"], "--user needs --password"),
        (["watch", "pt-304", "--mode", "carrier-pigeon"], "--mode"),
        (["--timeout", "0", "info"], "--timeout"),
    ],
)
def test_usage_errors_are_2(plant: Cli, args: list[str], needle: str) -> None:
    line = _failed(plant(*args), 2)
    assert needle in line


def test_verbose_adds_the_traceback(plant: Cli) -> None:
    out = plant("--verbose", "get", "no-such-element")
    assert out.exit_code == 5
    assert "Traceback" in out.stderr
    assert "NotFoundError" in out.stderr
    assert out.stderr.splitlines()[-1].startswith("error: ")


# The SDK rejects these arguments before any request; each is a usage error (2) that
# names the option or argument, never an "unexpected ValueError".
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", ""], "error: ID must not be empty (see 'i3x get --help')"),
        (["get", "pt-304", ""], "error: ID #2 must not be empty (see 'i3x get --help')"),
        (["history", ""], "error: ID must not be empty (see 'i3x history --help')"),
        (["watch", "", "--count", "1"], "error: ID #1 must not be empty"),
        (["objects", "--type", ""], "error: --type must not be empty"),
        (["types", "--namespace", ""], "error: --namespace must not be empty"),
        (["relationships", "-n", ""], "error: --namespace must not be empty"),
        (["write", "pt-304", "1", "--quality", ""], "error: --quality must not be empty"),
        (["--url", "ftp://host", "info"], "error: --url must be an http:// or https:// URL"),
    ],
)
def test_sdk_argument_checks_are_usage_errors(plant: Cli, args: list[str], message: str) -> None:
    line = _failed(plant(*args), 2)
    assert line.startswith(message)
    assert "unexpected" not in line
    assert "Error" not in line


def test_sdk_names_in_cli_terms() -> None:
    assert in_cli_terms("start_time (a) is after end_time (b)") == "--start (a) is after --end (b)"
    assert in_cli_terms("element_ids[2] must not be empty") == "ID #3 must not be empty"
    assert in_cli_terms("quality must not be empty") == "--quality must not be empty"
    # A plain word is an option's name only where the message opens with it.
    assert in_cli_terms("value needs a timestamp") == "value needs a timestamp"
    assert in_cli_terms("max_depth must be >= 0", {"max_depth": "--levels"}) == (
        "--levels must be >= 0"
    )


def test_only_the_sdks_own_checks_count_as_usage(i3x_server: DemoServer) -> None:
    import i3x

    with i3x.Client(i3x_server.url) as client, pytest.raises(ValueError, match="empty") as sdk:
        client.get_value("")
    assert is_argument_check(sdk.value)
    with pytest.raises(ValueError, match="invalid literal") as elsewhere:
        int("x")
    assert not is_argument_check(elsewhere.value)
    assert not is_argument_check(KeyError("k"))
