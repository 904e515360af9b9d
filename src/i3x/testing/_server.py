"""DemoServer: the i3X app served by uvicorn on a loopback port in a background thread.

The test thread and uvicorn's event loop share the address space and the subscriptions;
both are guarded by locks, and open streams are woken with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
import ssl
import threading
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import uvicorn
from typing_extensions import Self

from ._app import EVENTS_PER_WRITE, Capabilities, build_app
from ._dialects import Dialect, rules_for
from ._faults import Faults, install_log_filter
from ._middleware import RequestLog
from ._plant import demo_plant
from ._space import AddressSpace, Quality, Reading
from ._subscriptions import SubscriptionManager
from ._tls import TLSFiles

__all__ = ["DemoServer", "serve"]

_log = logging.getLogger("i3x.testing")
_START_TIMEOUT = 10.0
_SWEEP_INTERVAL = 0.5


class _Uvicorn(uvicorn.Server):
    """A uvicorn server that says when it accepts connections and stops when told."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self._ready = ready
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self._loop = asyncio.get_running_loop()
        self._ready.set()

    async def main_loop(self) -> None:
        # uvicorn's own loop notices should_exit up to 0.1 s late; being woken by
        # request_exit() keeps stop() (run once per test) fast.
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if not self.config.is_ssl:
            await super().shutdown(sockets=sockets)
            return
        # Closing a TLS connection waits for the client's close_notify, which a client's
        # idle pooled connection never sends: stop() would wait out the graceful timeout,
        # then leave the sockets open. Idle connections are dropped at once instead, as a
        # stopped process drops them; answers in progress still end first.
        self._drop_connections(idle_only=True)
        await super().shutdown(sockets=sockets)
        self._drop_connections(idle_only=False)
        await asyncio.sleep(0)  # their connection_lost callbacks close the sockets

    def _drop_connections(self, *, idle_only: bool) -> None:
        for connection in list(self.server_state.connections):
            cycle = getattr(connection, "cycle", None)
            if not idle_only or cycle is None or cycle.response_complete:
                connection.transport.abort()

    def request_exit(self) -> None:
        """Ask the server to shut down, from any thread."""
        self.should_exit = True
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._wake.set)


class DemoServer:
    """A spec-faithful i3X 1.0 server for tests and demos, on a free loopback port.

    Use it as a context manager, or call `start()` and `stop()`:

        with DemoServer(ticking=False) as server:
            httpx.post(server.api_url + "/objects/value", json={"elementIds": ["pt-304"]})

    Args:
        space: The address space to serve; the demo plant when None.
        host: The interface to listen on.
        port: The port; 0 picks a free one (kept by `restart()`).
        token: Require `Authorization: Bearer <token>` on every endpoint but /info.
        basic_auth: Require HTTP Basic with this (user, password) instead or as well.
        capabilities: The optional features offered; all on by default.
        ticking: Advance the simulation every `tick_interval` seconds by itself.
        tick_interval: Seconds between simulation steps when ticking.
        queue_limit: Updates a subscription queue holds before dropping its oldest batches.
        subscription_ttl: Seconds without a sync or an open stream before a subscription
            is deleted.
        keepalive_interval: Seconds of silence after which a stream sends `: keepalive`.
        events_per_write: The most queued events one write of a stream carries (an HTTP
            chunk each write). 1 plays a server that writes and flushes each event, as
            real servers do: each event then reaches the client in a chunk of its own.
        max_depth_limit: Deepest maxDepth served by value and history queries; deeper
            requests (and 0) are cut to it and answered 206. None means no limit.
        beta: Also serve the beta-era `PUT /v1/objects/{elementId}/value` and report a
            "beta" serverVersion.
        dialect: Answer like a generation of server other than the spec's, to test a
            client against the deviations real servers show: `"spec"` (the default),
            `"early-1.0"` (no bulk `PUT /objects/value` but a per-element VQT route,
            flat sync entries, sequence-less stream events, `error` bodies) or
            `"node-i3x"` (stores the whole `value` member of an update, nests
            current-value results in subscription updates). See docs/testing.md.
        tls: Serve HTTPS with a certificate from a throwaway CA made now (`ca_path`).
        require_client_cert: Refuse clients without a certificate signed by that CA
            (mutual TLS; `client_cert` is one). Needs `tls=True`.

    Raises:
        ValueError: An option out of range, naming it.
    """

    def __init__(
        self,
        space: AddressSpace | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        capabilities: Capabilities | None = None,
        ticking: bool = True,
        tick_interval: float = 1.0,
        queue_limit: int = 1000,
        subscription_ttl: float = 300.0,
        keepalive_interval: float = 15.0,
        events_per_write: int = EVENTS_PER_WRITE,
        max_depth_limit: int | None = None,
        beta: bool = False,
        dialect: Dialect = "spec",
        tls: bool = False,
        require_client_cert: bool = False,
    ) -> None:
        rules = rules_for(dialect)
        _check(
            beta and dialect != "spec", "beta", 'plays a beta server: use it with dialect="spec"'
        )
        _check(not 0 <= port <= 65535, "port", "must be between 0 and 65535")
        _check(token is not None and not token, "token", "must not be empty")
        _check(
            basic_auth is not None and (len(basic_auth) != 2 or not basic_auth[0]),
            "basic_auth",
            "must be a (user, password) pair with a user name",
        )
        _check(tick_interval <= 0, "tick_interval", "must be positive")
        _check(queue_limit < 1, "queue_limit", "must be at least 1")
        _check(subscription_ttl <= 0, "subscription_ttl", "must be positive")
        _check(keepalive_interval <= 0, "keepalive_interval", "must be positive")
        _check(events_per_write < 1, "events_per_write", "must be at least 1")
        _check(
            max_depth_limit is not None and max_depth_limit < 1,
            "max_depth_limit",
            "must be at least 1 (or None for no limit)",
        )
        _check(require_client_cert and not tls, "require_client_cert", "needs tls=True")
        self.space: AddressSpace = space if space is not None else demo_plant()
        """The address space served; change it freely, also while running."""
        self.faults: Faults = Faults()
        """Fault injection for the next requests."""
        self.requests: RequestLog = RequestLog()
        """Every request received, with Authorization masked."""
        self._host = host
        self._port = port
        self._ticking = ticking
        self._tick_interval = tick_interval
        self._capabilities = capabilities if capabilities is not None else Capabilities()
        self._subscriptions = SubscriptionManager(
            self.space,
            queue_limit=queue_limit,
            ttl=subscription_ttl,
            one_update_per_batch=rules.one_update_per_batch,
        )
        self._dialect: Dialect = rules.dialect
        self._app = build_app(
            space=self.space,
            subscriptions=self._subscriptions,
            faults=self.faults,
            requests=self.requests,
            capabilities=lambda: self._capabilities,
            token=token,
            basic_auth=basic_auth,
            max_depth_limit=max_depth_limit,
            beta=beta,
            keepalive_interval=keepalive_interval,
            events_per_write=events_per_write,
            rules=rules,
        )
        self._tls = TLSFiles(host) if tls else None
        self._require_client_cert = require_client_cert
        self._lifecycle = threading.Lock()
        self._thread: threading.Thread | None = None
        self._uvicorn: _Uvicorn | None = None
        self._socket: socket.socket | None = None

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL without /v1, e.g. "http://127.0.0.1:54321", as clients take it.

        Raises:
            RuntimeError: The port is still unknown (port=0 and never started).
        """
        if self._port == 0:
            raise RuntimeError("the server has no port yet; call start() first")
        host = f"[{self._host}]" if ":" in self._host else self._host
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://{host}:{self._port}"

    @property
    def api_url(self) -> str:
        """`url` + "/v1"."""
        return self.url + "/v1"

    @property
    def dialect(self) -> Dialect:
        """The generation of server this one answers like (`"spec"` unless told)."""
        return self._dialect

    @property
    def ca_path(self) -> str:
        """The CA bundle (PEM) that signed the server's certificate: pass it as `verify=`.

        Raises:
            RuntimeError: The server was made without `tls=True`.
        """
        return self._tls_files().ca_path

    @property
    def client_cert(self) -> tuple[str, str]:
        """A client certificate signed by the server's CA and its key: `(certfile, keyfile)`,
        as `cert=` takes it.

        Raises:
            RuntimeError: The server was made without `tls=True`.
        """
        files = self._tls_files()
        return files.client_cert_path, files.client_key_path

    def _tls_files(self) -> TLSFiles:
        if self._tls is None:
            raise RuntimeError("the server does not use TLS; make it with DemoServer(tls=True)")
        return self._tls

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._thread is not None

    def start(self) -> Self:
        """Start serving and return once connections are accepted.

        Subscriptions start empty. Returns the server itself.

        Raises:
            RuntimeError: Already running, or uvicorn did not come up.
            OSError: The port cannot be bound.
        """
        with self._lifecycle:
            if self._thread is not None:
                raise RuntimeError("the server is already running")
            install_log_filter()
            sock = self._bind()
            self._port = sock.getsockname()[1]
            ready = threading.Event()
            config = uvicorn.Config(
                self._app,
                log_config=None,
                access_log=False,
                lifespan="off",
                http="h11",
                ws="none",
                timeout_graceful_shutdown=1,
                **self._ssl_options(),
            )
            server = _Uvicorn(config, ready)
            self._subscriptions.attach()
            thread = threading.Thread(
                target=self._run,
                args=(server, sock),
                name=f"i3x-demo-server-{self._port}",
                daemon=True,
            )
            thread.start()
            if not _wait_ready(ready, thread):
                server.request_exit()
                thread.join(_START_TIMEOUT)
                sock.close()
                self._subscriptions.detach()
                raise RuntimeError("the i3X demo server did not start")
            self._thread, self._uvicorn, self._socket = thread, server, sock
            return self

    def stop(self) -> None:
        """End open streams, stop uvicorn and its thread, and free the port (idempotent)."""
        with self._lifecycle:
            thread, server, sock = self._thread, self._uvicorn, self._socket
            if thread is None or server is None:
                return
            self._subscriptions.detach()
            server.request_exit()
            thread.join(_START_TIMEOUT)
            if thread.is_alive():  # pragma: no cover - only when a request hangs
                server.force_exit = True
                thread.join(_START_TIMEOUT)
            if sock is not None:
                sock.close()
            self._thread = self._uvicorn = self._socket = None

    def restart(self) -> None:
        """Stop and start again on the same port: subscriptions are lost, values kept."""
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- driving it from a test -----------------------------------------------------------

    def set_value(
        self,
        element_id: str,
        value: Any,
        quality: Quality = "Good",
        timestamp: datetime | None = None,
    ) -> Reading:
        """Change one value now: validated, recorded in history, one batch per subscription.

        Raises:
            ValueError: Unknown element or quality, or a value its schema rejects.
        """
        return self.space.set_value(element_id, value, quality, timestamp)

    def push(self, changes: Mapping[str, Any]) -> dict[str, Reading]:
        """Change several values (quality Good, now) as one change event.

        Raises:
            ValueError: As `set_value`; then nothing is changed.
        """
        return self.space.set_values(changes)

    def tick(self) -> dict[str, Reading]:
        """Advance the simulation one step by hand; returns what changed."""
        return self.space.step()

    @property
    def capabilities(self) -> Capabilities:
        """The optional features currently offered."""
        return self._capabilities

    def set_capabilities(
        self,
        *,
        query_history: bool | None = None,
        update_current: bool | None = None,
        update_history: bool | None = None,
        stream: bool | None = None,
    ) -> Capabilities:
        """Turn optional features on or off at run time; returns the new capabilities."""
        changes = {
            name: value
            for name, value in (
                ("query_history", query_history),
                ("update_current", update_current),
                ("update_history", update_history),
                ("stream", stream),
            )
            if value is not None
        }
        self._capabilities = dataclasses.replace(self._capabilities, **changes)
        return self._capabilities

    def advance_time(self, seconds: float) -> None:
        """Move the subscription TTL clock forward and expire what is due, at once."""
        if seconds < 0:
            raise ValueError(f"seconds: must not be negative, not {seconds}")
        self._subscriptions.advance_clock(seconds)

    def subscription_ids(self, client_id: str | None = None) -> list[str]:
        """Ids of the live subscriptions, all or one client's."""
        return self._subscriptions.ids(client_id)

    # -- internals ------------------------------------------------------------------------

    def _ssl_options(self) -> dict[str, Any]:
        """uvicorn's TLS settings: none for plain HTTP."""
        if self._tls is None:
            return {}
        options: dict[str, Any] = {"ssl_certfile": self._tls.server_path}
        if self._require_client_cert:
            options.update(ssl_ca_certs=self._tls.ca_path, ssl_cert_reqs=ssl.CERT_REQUIRED)
        return options

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        # proto must say TCP: asyncio sets TCP_NODELAY only on sockets that do, and without
        # it every small answer waits ~40 ms for Nagle and delayed ACKs.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            # Lets restart() take the same port back while old connections sit in TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    def _run(self, server: _Uvicorn, sock: socket.socket) -> None:
        asyncio.run(self._serve(server, sock))

    async def _serve(self, server: _Uvicorn, sock: socket.socket) -> None:
        chores = [asyncio.create_task(self._sweep())]
        if self._ticking:
            chores.append(asyncio.create_task(self._tick_forever()))
        try:
            await server.serve(sockets=[sock])
        finally:
            for chore in chores:
                chore.cancel()
            await asyncio.gather(*chores, return_exceptions=True)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self._tick_interval)
            try:
                self.tick()
            except Exception:
                _log.exception("the simulation step failed")

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(_SWEEP_INTERVAL)
            self._subscriptions.expire()


def _check(bad: bool, name: str, problem: str) -> None:
    if bad:
        raise ValueError(f"{name}: {problem}")


def _wait_ready(ready: threading.Event, thread: threading.Thread) -> bool:
    waited = 0.0
    while waited < _START_TIMEOUT:
        if ready.wait(0.05):
            return True
        if not thread.is_alive():
            return False
        waited += 0.05
    return False


def serve(host: str = "127.0.0.1", port: int = 8080, **options: Any) -> None:
    """Serve the demo plant in the foreground until Ctrl-C.

    Args:
        host: The interface to listen on.
        port: The port to listen on.
        **options: Any other keyword argument of `DemoServer`.
    """
    server = DemoServer(host=host, port=port, **options)
    with server:
        print(f"i3X demo server on {server.api_url}  (Ctrl-C to stop)", flush=True)
        if options.get("tls"):
            print(f"CA bundle (verify=): {server.ca_path}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
