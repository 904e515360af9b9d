"""`i3x write` on every server generation, and `i3x demo --dialect` playing them."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable

import pytest

from i3x.testing import DIALECTS, DemoServer, Dialect

from .conftest import Cli

_MAIN = "import sys; sys.argv[0] = 'i3x'; from i3x._cli import main; main()"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_write_reads_back_what_was_written(
    cli: Cli, i3x_server_factory: Callable[..., DemoServer], dialect: Dialect
) -> None:
    server = i3x_server_factory(dialect=dialect)
    for element_id, text, value in [
        ("tank-201-setpoint", '{"temperature": 72.5}', {"temperature": 72.5}),
        ("pt-304", "3.9", 3.9),
        ("conveyor-501", '{"running": false, "speed": 0}', {"running": False, "speed": 0}),
    ]:
        out = cli("--url", server.url, "--json", "write", element_id, text)
        assert out.exit_code == 0, out.stderr
        assert out.json()["data"][0]["value"] == value
        assert server.space.get_value(element_id).value == value


def test_write_with_a_quality_on_the_earlier_generation(
    cli: Cli, i3x_server_factory: Callable[..., DemoServer]
) -> None:
    server = i3x_server_factory(dialect="early-1.0")
    out = cli("--url", server.url, "--json", "write", "pt-304", "3.9", "--quality", "Uncertain")
    assert out.exit_code == 0, out.stderr
    assert out.json()["data"][0]["quality"] == "Uncertain"


def test_write_refuses_a_quality_node_i3x_cannot_store(
    cli: Cli, i3x_server_factory: Callable[..., DemoServer]
) -> None:
    server = i3x_server_factory(dialect="node-i3x")
    out = cli("--url", server.url, "write", "pt-304", "3.9", "--quality", "Uncertain")
    assert out.exit_code != 0
    assert out.stderr.startswith("error: pt-304: this server stores the value alone")
    assert "nothing was written" in out.stderr
    assert server.space.get_value("pt-304").value != 3.9
    assert not [r for r in server.requests if r.method == "PUT"]


def test_demo_plays_a_dialect(cli: Cli, unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}"
    with subprocess.Popen(
        [sys.executable, "-c", _MAIN, "demo", "--port", str(unused_port), "--dialect", "early-1.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline().strip()
            assert first == f"i3X demo server on {url} (dialect early-1.0)"
            out = cli("--url", url, "--json", "write", "tank-201-setpoint", '{"temperature": 50}')
            assert out.exit_code == 0, out.stderr
            assert out.json()["data"][0]["value"] == {"temperature": 50}
            info = cli("--url", url, "--json", "info")
            assert info.json()["serverName"] == "I3X API Prototype"
            proc.send_signal(signal.SIGINT)
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_demo_refuses_an_unknown_dialect(cli: Cli) -> None:
    out = cli("demo", "--dialect", "server-c")
    assert out.exit_code == 2
    assert "--dialect" in out.stderr
