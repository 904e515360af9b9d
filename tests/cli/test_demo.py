"""tour (in-process) and demo (a real process, started and stopped), and the missing extras."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading

import pytest

import i3x
from i3x.testing import DemoServer

from .conftest import Cli

_MAIN = "import sys; sys.argv[0] = 'i3x'; from i3x._cli import main; main()"
_SECTIONS = (
    "1. The server",
    "2. The plant: objects in a tree",
    "3. Current values",
    "4. History: the last 10 minutes",
    "5. Writing a value, then reading it back",
    "6. The plant's own types as Python types",
    "7. Live changes for 1 second",
)


def _python(code: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_tour_shows_every_section_then_leaves_nothing_behind(cli: Cli) -> None:
    before = set(threading.enumerate())
    out = cli("tour", "--seconds", "1")
    assert out.exit_code == 0, out.stderr
    assert out.stderr == ""
    positions = [out.stdout.index(heading) for heading in _SECTIONS]
    assert positions == sorted(positions)
    server, plant, values, history, write, types, live = (
        out.stdout[start:end] for start, end in zip(positions, [*positions[1:], None], strict=True)
    )
    assert "i3x demo server" in server
    assert "Streaming (SSE)" in server
    assert "Springfield Bottling Plant  site-1" in plant
    assert "[component]" in plant
    for quality in ("GoodNoData", "Bad", "Uncertain", "Good"):
        assert quality in values
    assert "    pump-101-motor-current" in values  # beneath the motor, beneath the pump
    assert "pump-101-flow  " in history
    assert "The last 5 of" in history
    assert '{"temperature": 72.5}' in write
    assert "$ i3x codegen --out plant.py" in types
    assert "class TemperatureSetpoint(BaseModel):" in types
    assert '>>> client.get_value("tank-201-setpoint").value_as(TemperatureSetpoint)' in types
    assert "TemperatureSetpoint(temperature=72.5, mode=None)" in types
    assert "$ i3x watch pump-101-flow pt-304" in live
    assert "pump-101-flow" in live.split("$ i3x watch")[1] or "(no changes" in live
    assert "i3x --url http://127.0.0.1:8080 get pump-101-flow" in out.stdout

    # No thread and no port left behind.
    new = [t for t in threading.enumerate() if t not in before]
    for thread in new:
        thread.join(5)
    assert [t.name for t in new if t.is_alive()] == []
    match = re.search(r"running in-process at http://127\.0\.0\.1:(\d+)", out.stdout)
    assert match is not None
    assert _refused(int(match.group(1)))


def test_tour_json(cli: Cli) -> None:
    out = cli("--json", "tour", "--seconds", "0.5")
    assert out.exit_code == 0, out.stderr
    data = out.json()
    assert set(data) == {
        "url",
        "info",
        "objects",
        "values",
        "history",
        "write",
        "types",
        "changes",
    }
    assert data["info"]["specVersion"] == "1.0"
    assert len(data["objects"]) == 23
    assert [v["elementId"] for v in data["values"]] == [
        "pump-101",
        "ts-301",
        "ts-302",
        "ts-303",
        "pt-304",
    ]
    assert [v["data"][0]["quality"] for v in data["values"][1:]] == [
        "GoodNoData",
        "Bad",
        "Uncertain",
        "Good",
    ]
    assert data["history"]["elementId"] == "pump-101-flow"
    assert 19 <= len(data["history"]["data"]) <= 23
    assert data["write"]["data"][0]["value"] == {"temperature": 72.5}
    assert data["types"] == {
        "objectTypes": 19,
        "models": 10,
        "value": {"temperature": 72.5, "mode": None},
    }
    assert all(c["elementId"] in ("pump-101-flow", "pt-304") for c in data["changes"])


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_demo_serves_until_stopped(unused_port: int, stop: signal.Signals) -> None:
    url = f"http://127.0.0.1:{unused_port}"
    with subprocess.Popen(
        [sys.executable, "-c", _MAIN, "demo", "--port", str(unused_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stderr is not None
            assert proc.stdout.readline().strip() == f"i3X demo server on {url}"
            assert proc.stdout.readline().strip() == f"try:  i3x --url {url} get pump-101-flow"
            with i3x.Client(url) as client:
                assert client.get_value("pump-101-flow").quality == "Good"
            proc.send_signal(stop)
            assert proc.wait(15) == 0
            stderr = proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert "Ctrl-C to stop" in stderr
    assert "stopped" in stderr
    assert "Traceback" not in stderr
    assert _refused(unused_port)


def test_demo_port_in_use_is_one_line(cli: Cli, i3x_server: DemoServer) -> None:
    port = i3x_server.url.rsplit(":", 1)[1]
    out = cli("demo", "--port", port)
    assert out.exit_code == 1
    assert out.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert len(out.stderr.splitlines()) == 1


@pytest.mark.parametrize("command", ["demo", "tour"])
def test_without_the_server_extra(command: str) -> None:
    # uvicorn missing is what a plain `pip install i3x-client[cli]` looks like.
    done = _python("import sys; sys.modules['uvicorn'] = None; " + _MAIN, command)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'error: the demo server needs the server extra: pip install "i3x-client[server]"'
    )


def test_without_the_cli_extra() -> None:
    blocked = "import sys; sys.modules['typer'] = None; sys.modules['rich'] = None; "
    done = _python(blocked + "import i3x, i3x.testing; print(i3x.Client.__name__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Client"
    done = _python(blocked + _MAIN, "info")
    assert done.returncode == 1
    assert 'pip install "i3x-client[cli]"' in done.stderr
    assert "Traceback" not in done.stderr
