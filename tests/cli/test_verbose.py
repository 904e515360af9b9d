"""--verbose: every HTTP exchange on stderr, credentials never shown."""

from __future__ import annotations

import base64
import logging

from i3x._pytest_plugin import DemoServerFactory

from .conftest import Cli


def test_verbose_shows_exchanges_with_the_token_masked(
    cli: Cli, i3x_server_factory: DemoServerFactory
) -> None:
    server = i3x_server_factory(token="tok-3f9a-very-secret")
    out = cli("--url", server.url, "--verbose", "--token", "tok-3f9a-very-secret", "get", "pt-304")
    assert out.exit_code == 0, out.stderr
    both = out.stdout + out.stderr
    assert "tok-3f9a-very-secret" not in both
    assert "authorization: Bearer ***" in out.stderr
    assert f"> POST {server.url}/v1/objects/value" in out.stderr
    assert "< 200 OK (" in out.stderr
    assert "content-type: application/json" in out.stderr  # response headers too
    assert "i3x DEBUG: POST" in out.stderr  # the SDK's own log
    assert "pt-304" in out.stdout  # the result is still on stdout, alone
    assert "Bearer" not in out.stdout


def test_verbose_masks_basic_credentials_even_when_they_fail(
    cli: Cli, i3x_server_factory: DemoServerFactory
) -> None:
    server = i3x_server_factory(basic_auth=("alice", "pa55-word-xyz"))
    encoded = base64.b64encode(b"alice:pa55-word-xyz").decode()
    wrong = base64.b64encode(b"alice:wr0ng-pa55").decode()
    for password, secret in (("pa55-word-xyz", encoded), ("wr0ng-pa55", wrong)):
        out = cli(
            "--url", server.url, "--verbose", "--user", "alice", "--password", password, "info"
        )
        both = out.stdout + out.stderr
        assert password not in both
        assert secret not in both
        assert "authorization: Basic ***" in out.stderr


def test_verbose_masks_a_password_in_the_url(
    cli: Cli, i3x_server_factory: DemoServerFactory
) -> None:
    server = i3x_server_factory(basic_auth=("alice", "in-url-pw"))
    url = server.url.replace("http://", "http://alice:in-url-pw@")
    out = cli("--url", url, "--verbose", "get", "pt-304")
    assert out.exit_code == 0, out.stderr
    assert "in-url-pw" not in out.stdout + out.stderr


def test_verbose_masks_a_gateway_key_in_the_url_query(
    cli: Cli, i3x_server_factory: DemoServerFactory
) -> None:
    server = i3x_server_factory()
    out = cli("--url", f"{server.url}/v1?code=gw-key-7d2e", "--verbose", "get", "pt-304")
    assert out.exit_code == 0, out.stderr
    assert {r.query.get("code") for r in server.requests} == {"gw-key-7d2e"}  # it was sent
    assert "gw-key-7d2e" not in out.stdout + out.stderr
    assert f"> POST {server.url}/v1/objects/value?code=***" in out.stderr


def test_the_i3x_logger_is_restored_afterwards(plant: Cli) -> None:
    logger = logging.getLogger("i3x")
    level, handlers = logger.level, list(logger.handlers)
    assert plant("--verbose", "namespaces").exit_code == 0
    assert plant("namespaces").exit_code == 0
    assert logger.level == level
    assert logger.handlers == handlers


def test_quiet_by_default(plant: Cli) -> None:
    out = plant("get", "pt-304")
    assert out.stderr == ""
    assert "> POST" not in out.stdout
