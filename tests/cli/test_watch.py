"""watch: pushed changes arrive one line each; drops and recoveries are said."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import i3x
from i3x._cli._render import format_time
from i3x.testing import DemoServer

from .conftest import Cli

_LIVE_TIMEOUT = 10.0


class Pusher:
    """Pushes values from a thread once the CLI's subscription is live.

    ``i3x.Client.subscription`` is wrapped so that entering it (the SDK returns
    once delivery is live) sets an event; the pushing thread waits on it.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.live = threading.Event()
        self._thread: threading.Thread | None = None
        original = i3x.Client.subscription
        live = self.live

        @contextlib.contextmanager
        def spy(self: i3x.Client, *args: Any, **kwargs: Any) -> Iterator[i3x.SubscriptionStream]:
            with original(self, *args, **kwargs) as stream:
                live.set()
                yield stream

        monkeypatch.setattr(i3x.Client, "subscription", spy)

    def start(self, push: Callable[[], object]) -> None:
        def run() -> None:
            # Push even if the wait failed, so that the CLI cannot hang; the test then fails.
            self.live.wait(_LIVE_TIMEOUT)
            push()

        self._thread = threading.Thread(target=run, name="test-pusher", daemon=True)
        self._thread.start()

    def join(self) -> None:
        assert self._thread is not None
        self._thread.join(_LIVE_TIMEOUT)
        assert self.live.is_set(), "the subscription never went live"


@pytest.fixture
def pusher(monkeypatch: pytest.MonkeyPatch) -> Pusher:
    return Pusher(monkeypatch)


@pytest.mark.parametrize("mode", ["stream", "sync"])
def test_watch_prints_pushed_changes(
    plant: Cli, i3x_server: DemoServer, pusher: Pusher, mode: str
) -> None:
    def push() -> None:
        i3x_server.set_value("pt-304", 3.45)
        i3x_server.set_value("pump-101-flow", 47.5, quality="Uncertain")
        i3x_server.set_value("pt-304", 3.55)

    pusher.start(push)
    out = plant("watch", "pt-304", "pump-101-flow", "--mode", mode, "--count", "3")
    pusher.join()
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3
    assert "pt-304" in lines[0]
    assert "3.45" in lines[0]
    assert "Good" in lines[0]
    assert "pump-101-flow" in lines[1]
    assert "47.5" in lines[1]
    assert "Uncertain" in lines[1]
    assert "3.55" in lines[2]
    assert f"by {mode}" in out.stderr
    assert i3x_server.subscription_ids() == []  # deleted on the way out


def test_watch_json_lines(plant: Cli, i3x_server: DemoServer, pusher: Pusher) -> None:
    pusher.start(lambda: i3x_server.push({"pt-304": 2.5, "ts-303": 70.25}))
    out = plant("--json", "watch", "pt-304", "ts-303", "--count", "2")
    pusher.join()
    assert out.exit_code == 0, out.stderr
    changes = {c["elementId"]: c for c in out.json_lines()}
    assert changes["pt-304"]["data"][0]["value"] == 2.5
    assert changes["ts-303"]["data"][0]["value"] == 70.25
    assert changes["ts-303"]["data"][0]["quality"] == "Good"


def test_watch_composition_children(plant: Cli, i3x_server: DemoServer, pusher: Pusher) -> None:
    pusher.start(lambda: i3x_server.set_value("pump-101-motor-current", 21.5))
    out = plant("--json", "watch", "pump-101", "--depth", "0", "--count", "1")
    pusher.join()
    assert out.exit_code == 0, out.stderr
    (change,) = out.json_lines()
    # The demo server sends the watched composition, its components inside.
    assert change["elementId"] == "pump-101"
    assert change["children"]["pump-101-motor-current"]["data"][0]["value"] == 21.5


def test_watch_says_when_the_connection_drops_and_recovers(
    plant: Cli, i3x_server: DemoServer, pusher: Pusher
) -> None:
    def push() -> None:
        # The next poll fails; what is pushed meanwhile stays queued on the server (sync).
        i3x_server.faults.fail_next(status=500, path="/v1/subscriptions/sync")
        i3x_server.set_value("pt-304", 4.25)

    pusher.start(push)
    out = plant("watch", "pt-304", "--mode", "sync", "--count", "1")
    pusher.join()
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith("! connection lost")
    assert "500" in lines[0]
    assert lines[1].startswith("! connection restored")
    assert "4.25" in lines[2]


def test_watch_json_notices(plant: Cli, i3x_server: DemoServer, pusher: Pusher) -> None:
    def push() -> None:
        i3x_server.faults.fail_next(status=503, path="/v1/subscriptions/sync")
        i3x_server.set_value("pt-304", 4.5)

    pusher.start(push)
    out = plant("--json", "--retries", "0", "watch", "pt-304", "--mode", "sync", "--count", "1")
    pusher.join()
    assert out.exit_code == 0, out.stderr
    *notices, change = out.json_lines()
    assert notices[0]["notice"] == "StreamError"
    assert notices[-1]["notice"] == "recovered"
    assert change["data"][0]["value"] == 4.5


def test_watch_unknown_element_is_5(plant: Cli) -> None:
    out = plant("watch", "no-such-element", "--count", "1")
    assert out.exit_code == 5
    assert out.stderr.splitlines()[-1].startswith("error: ")


def test_watch_ends_cleanly_on_ctrl_c(i3x_server: DemoServer) -> None:
    code = "import sys; sys.argv[0] = 'i3x'; from i3x._cli import main; main()"
    with subprocess.Popen(
        [sys.executable, "-c", code, "--url", i3x_server.url, "watch", "pt-304"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stderr is not None
            assert proc.stderr.readline().startswith("watching 1 element(s) by stream")
            proc.send_signal(signal.SIGINT)
            assert proc.wait(15) == 0
            rest = proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert rest.strip() == "stopped"
    assert i3x_server.subscription_ids() == []


def test_watch_composition_shows_what_changed(
    plant: Cli, i3x_server: DemoServer, pusher: Pusher
) -> None:
    def push() -> None:
        i3x_server.set_value("pump-101-motor-current", 21.5)
        i3x_server.set_value("pump-101-flow", 44.25, quality="Uncertain")

    # Each set_value reaches the pump, and the motor and the component within it:
    # three changes for the current, two for the flow; two of them bring news, and
    # --count counts the changes shown.
    pusher.start(push)
    out = plant("watch", "pump-101", "--depth", "0", "--mode", "sync", "--count", "2")
    pusher.join()
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    first = [line.split()[1] for line in lines[:7]]
    assert first[0] == "pump-101"
    assert sorted(first[1:]) == sorted(
        [
            "pump-101-flow",
            "pump-101-discharge-pressure",
            "pump-101-state",
            "pump-101-motor",
            "pump-101-motor-temperature",
            "pump-101-motor-current",
        ]
    )
    assert "21.5" in next(line for line in lines[:7] if "pump-101-motor-current" in line)
    # Then only the flow: not the pump again, nor its unchanged components.
    (flow,) = lines[7:]
    assert flow.split()[1:] == ["pump-101-flow", "44.25", "Uncertain"]
    written = i3x_server.space.get_value("pump-101-flow").timestamp
    assert written is not None
    assert flow.split()[0] == format_time(written)
