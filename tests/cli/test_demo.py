"""tour (in-process) and demo (a real process, started and stopped), and the missing extras."""

from __future__ import annotations

import json
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

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
    assert re.search(r"^pump-101-flow: \d+ values  \S+$", history, re.MULTILINE)
    assert "The last 5 of" in history
    assert re.search(r"^\d+ more points; use --all or --csv$", history, re.MULTILINE)
    assert '{"temperature": 72.5}' in write
    assert "$ i3x codegen --out plant.py" in types
    assert "class TemperatureSetpoint(BaseModel):" in types
    assert '>>> client.get_value("tank-201-setpoint").value_as(TemperatureSetpoint)' in types
    assert "TemperatureSetpoint(temperature=72.5, mode=None)" in types
    assert "$ i3x write tank-201-setpoint '{\"temperature\": 500}' --validate" in types
    assert (
        "i3x.ValueValidationError: the value of 'tank-201-setpoint' does not fit its type "
        "'temperature-setpoint-type' (nothing was written): temperature: 500 is greater than "
        "the maximum of 120 (schema: #/properties/temperature/maximum)"
    ) in types
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
        "checkedWrite",
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
    refused = data["checkedWrite"]
    assert (refused["elementId"], refused["value"]) == ("tank-201-setpoint", {"temperature": 500})
    assert refused["error"].startswith("the value of 'tank-201-setpoint' does not fit its type")
    assert [(e["loc"], e["schema_path"]) for e in refused["errors"]] == [
        (["temperature"], ["properties", "temperature", "maximum"])
    ]
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


def test_tour_says_where_the_plant_runs_before_the_first_command(cli: Cli) -> None:
    out = cli("tour", "--seconds", "0")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    running = next(i for i, line in enumerate(lines) if "running in-process at" in line)
    assert lines[running + 1] == "$ i3x info"
    assert lines[running - 1].startswith("1. The server")


def _shape(history: str) -> list[str]:
    """What a history printout says, without the data: header, title, rows, and the note."""
    shape = []
    for line in history.strip().splitlines():
        if line.startswith("│ 20"):
            shape.append("row")
        elif re.fullmatch(r"pump-101-flow: \d+ values  \S+", line):
            shape.append("header")
        elif re.fullmatch(r"The last 5 of \d+ *", line):
            shape.append("title")
        elif re.fullmatch(r"\d+ more points; use --all or --csv", line):
            shape.append("more")
    return shape


def test_tour_history_is_what_its_command_prints(cli: Cli, i3x_server: DemoServer) -> None:
    tour = cli("tour", "--seconds", "0").stdout
    section = tour[tour.index("4. History") : tour.index("5. Writing")]
    command = next(line for line in section.splitlines() if line.startswith("$ i3x "))
    assert command == "$ i3x history pump-101-flow --start -10m --last 5"
    # The command the tour names, run against a server, prints the same things.
    out = cli("--url", i3x_server.url, *shlex.split(command)[2:])
    assert out.exit_code == 0, out.stderr
    expected = ["header", "title", *["row"] * 5, "more"]
    assert _shape(out.stdout) == expected
    assert _shape(section) == expected


def test_demo_tls_hands_out_its_ca_and_a_client_certificate(unused_port: int) -> None:
    url = f"https://127.0.0.1:{unused_port}"
    with subprocess.Popen(
        [
            *(sys.executable, "-c", _MAIN, "--json", "demo", "--port", str(unused_port)),
            *("--tls", "--require-client-cert"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            shown = json.loads(proc.stdout.readline())
            assert (shown["url"], shown["apiUrl"]) == (url, url + "/v1")
            cert = (shown["clientCert"], shown["clientKey"])
            with i3x.Client(url, verify=shown["caPath"], cert=cert) as client:
                assert client.get_value("pump-101-flow").quality == "Good"
            with pytest.raises(i3x.ConnectionError, match="client certificate"):
                i3x.Client(url, verify=shown["caPath"], max_retries=0).connect()
            proc.send_signal(signal.SIGINT)
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    # The throwaway CA and its keys went with the server.
    assert not Path(shown["caPath"]).parent.exists()


def test_demo_require_client_cert_needs_tls(cli: Cli) -> None:
    out = cli("demo", "--require-client-cert")
    assert out.exit_code == 2
    assert "--require-client-cert needs --tls" in out.stderr


def test_ca_and_insecure_work_against_a_tls_server(
    cli: Cli, i3x_server_factory: Callable[..., DemoServer]
) -> None:
    server = i3x_server_factory(tls=True)
    server.set_value("pt-304", 3.25)
    trusted = cli("--url", server.url, "--ca", server.ca_path, "--json", "get", "pt-304")
    assert trusted.exit_code == 0, trusted.stderr
    assert trusted.json()[0]["data"][0]["value"] == 3.25
    # --insecure is the user's explicit choice: no Python warning on top of it.
    insecure = cli("--url", server.url, "--insecure", "--json", "get", "pt-304")
    assert insecure.exit_code == 0, insecure.stderr
    assert insecure.stderr == ""
    unknown = cli("--url", server.url, "--retries", "0", "get", "pt-304")
    assert unknown.exit_code == 3
    # The SDK's advice, in the command line's options.
    assert "pass --ca /path/to/ca.pem to trust its CA, or --insecure" in unknown.stderr
    assert "verify=" not in unknown.stderr


@pytest.mark.parametrize("verbose", [[], ["--verbose"]])
def test_cert_and_key_work_against_a_server_that_requires_a_client_certificate(
    cli: Cli, i3x_server_factory: Callable[..., DemoServer], verbose: list[str]
) -> None:
    server = i3x_server_factory(tls=True, require_client_cert=True)
    server.set_value("pt-304", 3.25)
    cert, key = server.client_cert
    tls = ("--url", server.url, "--ca", server.ca_path, *verbose)
    out = cli(*tls, "--cert", cert, "--key", key, "--json", "get", "pt-304")
    assert out.exit_code == 0, out.stderr
    assert out.json()[0]["data"][0]["value"] == 3.25
    refused = cli(*tls, "--retries", "0", "get", "pt-304")
    assert refused.exit_code == 3
    # The error line (not the SDK's own log, shown by --verbose) in the options' terms.
    (error,) = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert "pass --cert client.pem --key client.key" in error
    assert "cert=" not in error


def test_key_needs_cert(cli: Cli) -> None:
    out = cli("--key", __file__, "info")
    assert out.exit_code == 2
    assert "--key needs --cert" in out.stderr
