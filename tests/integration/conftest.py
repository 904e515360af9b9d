"""Fixtures running the sync and the async client against the embedded server.

Every test that takes ``client`` runs twice: with ``i3x.Client``, and with
``i3x.AsyncClient`` driven on a real event loop (in an anyio blocking portal)
behind a facade with the sync client's surface. A signature test keeps the two
surfaces identical, so one test body checks both.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

import i3x
from i3x.testing import DemoServer, waits


class _AsyncIterFacade:
    """Iterate an async subscription stream from a sync test."""

    def __init__(self, stream: Any, portal: BlockingPortal) -> None:
        self._stream = stream
        self._portal = portal

    def __getattr__(self, name: str) -> Any:
        return _wrap(getattr(self._stream, name), self._portal)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            return self._portal.call(self._stream.__anext__)
        except StopAsyncIteration:
            raise StopIteration from None


def _wrap(attr: Any, portal: BlockingPortal) -> Any:
    if inspect.iscoroutinefunction(attr):

        def call(*args: Any, **kwargs: Any) -> Any:
            return portal.call(lambda: attr(*args, **kwargs))

        return call
    return attr


class AsyncFacade:
    """``AsyncClient`` with ``Client``'s blocking surface, for paired tests."""

    def __init__(self, client: i3x.AsyncClient, portal: BlockingPortal) -> None:
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_portal", portal)

    def __getattr__(self, name: str) -> Any:
        if name == "subscription":
            return self._subscription
        if name == "with_options":
            return lambda **kw: AsyncFacade(self._client.with_options(**kw), self._portal)
        return _wrap(getattr(self._client, name), self._portal)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._client, name, value)

    def _subscription(self, *args: Any, **kwargs: Any) -> Any:
        cm = self._portal.wrap_async_context_manager(self._client.subscription(*args, **kwargs))
        portal = self._portal

        class _Context:
            def __enter__(self) -> Any:
                return _AsyncIterFacade(cm.__enter__(), portal)

            def __exit__(self, *exc: Any) -> Any:
                return cm.__exit__(*exc)

        return _Context()


@pytest.fixture(params=["sync", "async"])
def client_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., i3x.Client]]:
    """Make connected clients of the parametrised kind; all are disconnected afterwards."""
    made: list[Callable[[], None]] = []
    portal_cm = start_blocking_portal() if request.param == "async" else None
    portal = portal_cm.__enter__() if portal_cm is not None else None

    def factory(url: str, **kwargs: Any) -> i3x.Client:
        if portal is None:
            sync_client = i3x.Client(url, **kwargs)
            made.append(sync_client.disconnect)
            return sync_client
        async_client = portal.call(lambda: _make_async(url, **kwargs))
        made.append(lambda: portal.call(async_client.disconnect))
        return cast(i3x.Client, AsyncFacade(async_client, portal))

    try:
        yield factory
    finally:
        for disconnect in reversed(made):
            disconnect()
        if portal_cm is not None:
            portal_cm.__exit__(None, None, None)


async def _make_async(url: str, **kwargs: Any) -> i3x.AsyncClient:
    return i3x.AsyncClient(url, **kwargs)


@pytest.fixture
def short_delivery_wait() -> Iterator[None]:
    """A sync-mode delivery waits 0.5 s (not 5 s) for its consumer before syncing anyway."""
    with waits(sync_delivery_wait=0.5):
        yield


@pytest.fixture
def client(client_factory: Callable[..., i3x.Client], i3x_server: DemoServer) -> i3x.Client:
    """A client of each kind, connected to a fresh demo-plant server."""
    return client_factory(i3x_server.url)


class Recorder:
    """Collects callback deliveries and lets a test wait for them, never by sleeping."""

    def __init__(self) -> None:
        self.changes: list[i3x.ValueChange] = []
        self.errors: list[BaseException] = []
        self.subscribed: list[i3x.Subscription] = []
        self._cond = threading.Condition()

    def on_value_change(self, client: object, change: i3x.ValueChange) -> None:
        with self._cond:
            self.changes.append(change)
            self._cond.notify_all()

    def on_error(self, client: object, error: BaseException) -> None:
        with self._cond:
            self.errors.append(error)
            self._cond.notify_all()

    def on_subscribe(self, client: object, subscription: i3x.Subscription) -> None:
        with self._cond:
            self.subscribed.append(subscription)
            self._cond.notify_all()

    def attach(self, client: i3x.Client) -> None:
        client.on_value_change = self.on_value_change
        client.on_error = self.on_error
        client.on_subscribe = self.on_subscribe

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise AssertionError(
                    f"timed out: {len(self.changes)} changes, errors={self.errors!r}"
                )

    def values(self, element_id: str | None = None) -> list[Any]:
        with self._cond:
            return [c.value for c in self.changes if element_id in (None, c.element_id)]

    def errors_of(self, kind: type[BaseException]) -> list[BaseException]:
        with self._cond:
            return [e for e in self.errors if isinstance(e, kind)]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def read_and_subscribe(client: i3x.Client, server: DemoServer, mode: i3x.Mode) -> None:
    """A read, then a change delivered by a subscription in `mode`, over its own connection."""
    server.set_value("pt-304", 1.5)
    assert client.get_value("pt-304").value == 1.5
    with client.subscription(["pt-304"], mode=mode) as changes:
        assert changes.mode == mode
        server.set_value("pt-304", 2.5)
        event = changes.get(timeout=10)
    assert isinstance(event, i3x.ValueChange)
    assert (event.element_id, event.value) == ("pt-304", 2.5)
    delivered = "/v1/subscriptions/stream" if mode == "stream" else "/v1/subscriptions/sync"
    assert any(r.path == delivered for r in server.requests)


class Proxy:
    """proxy.py, a real HTTP proxy, in a process of its own on a free loopback port.

    It requires Basic credentials, as corporate proxies do; `url` carries them. Its log
    (stderr, read by a thread) has one access line per connection it carried, written
    when the connection closes: `wait_for` waits for those, never by sleeping.
    """

    USER, PASSWORD = "proxy-user", "proxy-Pa55word"

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [
                *(sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0"),
                *("--num-acceptors", "1", "--num-workers", "1", "--log-level", "DEBUG"),
                *("--basic-auth", f"{self.USER}:{self.PASSWORD}"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: list[str] = []
        self._ended = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="proxy.py log", daemon=True)
        self._reader.start()
        listening = self.wait_for(r"Listening on 127\.0\.0\.1:(\d+)")[0]
        port = re.search(r"127\.0\.0\.1:(\d+)", listening)
        assert port is not None
        self.address = f"127.0.0.1:{port.group(1)}"
        self.url = f"http://{self.USER}:{self.PASSWORD}@{self.address}"

    def _read(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            with self._changed:
                self._lines.append(line.rstrip())
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def mark(self) -> int:
        """Where the log is now: `wait_for(..., since=mark)` ignores what came before."""
        with self._changed:
            return len(self._lines)

    def wait_for(
        self, pattern: str, *, since: int = 0, count: int = 1, timeout: float = 10.0
    ) -> list[str]:
        """The log lines after `since` that match `pattern`, once there are `count`."""
        regex = re.compile(pattern)

        def found() -> list[str]:
            return [line for line in self._lines[since:] if regex.search(line)]

        with self._changed:
            self._changed.wait_for(lambda: len(found()) >= count or self._ended, timeout)
            lines, tail = found(), self._lines[-10:]
        if len(lines) < count:
            raise AssertionError(f"proxy.py logged {len(lines)} of {count} {pattern!r}: {tail}")
        return lines

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(10)
        self._reader.join(10)
        assert self._process.stderr is not None
        self._process.stderr.close()


@pytest.fixture(scope="session")
def proxy() -> Iterator[Proxy]:
    started = Proxy()
    try:
        yield started
    finally:
        started.close()
