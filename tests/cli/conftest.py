"""Run the ``i3x`` command in-process (typer's CliRunner) against the embedded server."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from typer.testing import CliRunner

from i3x._cli._app import app
from i3x.testing import DemoServer

# Variables that would change what the CLI prints or where it connects.
_CLEAN_ENV: Mapping[str, str | None] = {
    "I3X_URL": None,
    "I3X_TOKEN": None,
    "I3X_USER": None,
    "I3X_PASSWORD": None,
    "FORCE_COLOR": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
    "COLUMNS": None,
}


@dataclass(frozen=True)
class Outcome:
    """What one invocation printed and how it exited."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as one JSON document."""
        return json.loads(self.stdout)

    def json_lines(self) -> list[Any]:
        """stdout parsed as JSON lines."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


class Cli(Protocol):
    """Runs ``i3x`` with these arguments."""

    def __call__(self, *args: str, env: Mapping[str, str | None] | None = None) -> Outcome: ...


def invoke(*args: str, env: Mapping[str, str | None] | None = None) -> Outcome:
    """Run ``i3x ARGS`` in-process; exceptions the CLI lets through fail the test."""
    result = CliRunner().invoke(
        app, list(args), env={**_CLEAN_ENV, **(env or {})}, catch_exceptions=False
    )
    return Outcome(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli() -> Cli:
    """``i3x`` with no server chosen (pass ``--url`` yourself)."""
    return invoke


@pytest.fixture
def plant(i3x_server: DemoServer) -> Cli:
    """``i3x --url <the demo server> --retries 0 ...``."""

    def run(*args: str, env: Mapping[str, str | None] | None = None) -> Outcome:
        return invoke("--url", i3x_server.url, "--retries", "0", *args, env=env)

    return run


class _HtmlHandler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        body = b"<html><body>Welcome to the plant portal</body></html>"
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[Callable[[int], str]]:
    """Start plain web servers (not i3X) answering every GET with HTML and a status."""
    started: list[tuple[http.server.ThreadingHTTPServer, threading.Thread]] = []

    def start(status: int) -> str:
        handler = type("Handler", (_HtmlHandler,), {"status": status})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        started.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
