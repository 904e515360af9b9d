"""Long reads show progress on a terminal, and never with --json or piped output."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from i3x.testing import DemoServer

from .conftest import Cli

# rich takes TTY_COMPATIBLE=1 as "this is a terminal" for stdout and stderr alike.
_TERMINAL = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "100"}
_READS = [
    (["objects"], "Reading objects"),
    (["objects", "--tree", "--type", "pump-type"], "Reading their components"),
    (["history", "pump-101-flow"], "Reading the history of pump-101-flow"),
    (["get", "pump-101", "--depth", "0"], "Reading values"),
]
_IDS = ["objects", "objects tree of a type", "history", "get"]


@pytest.mark.parametrize(("args", "progress"), _READS, ids=_IDS)
def test_a_terminal_shows_progress(plant: Cli, args: list[str], progress: str) -> None:
    out = plant(*args, env=_TERMINAL)
    assert out.exit_code == 0, out.stderr
    assert progress in out.stderr
    assert progress not in out.stdout


@pytest.mark.parametrize(("args", "progress"), _READS, ids=_IDS)
def test_json_and_pipes_show_none(plant: Cli, args: list[str], progress: str) -> None:
    json_on_terminal = plant("--json", *args, env=_TERMINAL)
    assert json_on_terminal.exit_code == 0, json_on_terminal.stderr
    assert json_on_terminal.stderr == ""
    assert json_on_terminal.json()  # stdout is the JSON document alone
    piped = plant(*args)
    assert piped.exit_code == 0, piped.stderr
    assert piped.stderr == ""


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize("stdout_piped", [False, True], ids=["terminal", "stdout piped"])
def test_a_real_terminal(i3x_server: DemoServer, stdout_piped: bool) -> None:
    """On a pseudo-terminal: progress on stderr, unless stdout goes to a pipe."""
    import pty

    leader, follower = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # a full pseudo-terminal would block the command
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the follower side closed
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    code = "import sys; sys.argv[0] = 'i3x'; from i3x._cli import main; main()"
    env = {k: v for k, v in os.environ.items() if k not in ("TTY_COMPATIBLE", "FORCE_COLOR")}
    env.update(TERM="xterm", COLUMNS="100")
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, "--url", i3x_server.url, "objects"],
            stdout=subprocess.PIPE if stdout_piped else follower,
            stderr=follower,
            env=env,
            check=False,
            timeout=60,
        )
    finally:
        os.close(follower)
    reader.join(10)
    os.close(leader)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert done.returncode == 0
    if stdout_piped:
        assert "Reading objects" not in terminal
        assert "pump-101" in done.stdout.decode()
    else:
        assert "Reading objects" in terminal
        assert "pump-101" in terminal
