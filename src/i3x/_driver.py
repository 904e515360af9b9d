"""Drivers: the only code that sends requests. Each owns a connection pool and runs flows.

A flow (`i3x._flows`) yields what it needs; a driver sends each `Call` (retrying what
is safe to retry, see `i3x._retry`), parses the answer with the call's own parser and
sends the result back into the flow, or throws the `I3XError` into it.

- `SyncDriver` sends with a blocking `httpx.Client`: `Client` holds one.
- `AsyncDriver` sends with an `httpx.AsyncClient`, a batch's calls concurrently (up to
  `max_concurrency`), and never more requests in flight than the pool has connections.
  `AsyncClient` holds one, and so does each subscription delivery: its own pool, with
  TCP keepalive, so that its stream has a dedicated connection that can be closed on
  its own. An async pool belongs to the event loop it was made on; the next loop gets
  a new one (`AsyncClient` may serve one `asyncio.run()` after another).

`with_options()` views share their client's driver, so they share its pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import httpx
from tenacity import AsyncRetrying, Retrying

from ._coalesce import Coalescer
from ._config import Config
from ._exceptions import I3XError
from ._flows import Batch, Connected, Context, Flow, Step
from ._retry import areplaying, raise_if_retryable, replaying, retry_args, should_retry
from ._timing import current, sleep_async
from ._wire import Call, map_transport_error, parse_answer, request_label

__all__ = ["KEEPALIVE_SOCKET_OPTIONS", "AsyncDriver", "SyncDriver"]

logger = logging.getLogger("i3x")

_T = TypeVar("_T")


def _keepalive_options() -> list[tuple[int, int, int]]:
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    idle = getattr(socket, "TCP_KEEPIDLE", None) or getattr(socket, "TCP_KEEPALIVE", None)
    for opt, value in (
        (idle, 15),
        (getattr(socket, "TCP_KEEPINTVL", None), 5),
        (getattr(socket, "TCP_KEEPCNT", None), 3),
    ):
        if opt is not None:
            options.append((socket.IPPROTO_TCP, opt, value))
    return options


KEEPALIVE_SOCKET_OPTIONS: Final = _keepalive_options()
"""Probe an idle connection after 15 s, every 5 s, and give up after 3 silent probes."""


def _may_retry(exc: I3XError, call: Call[Any], ctx: Context) -> bool:
    return ctx.options.max_retries > 0 and should_retry(exc, idempotent=call.idempotent)


def _log_sent(request: httpx.Request, response: httpx.Response) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s %s -> %d", *request_label(request), response.status_code)


class SyncDriver:
    """Sends a client's requests with blocking calls over one `httpx.Client`, made on first use."""

    def __init__(self, config: Config) -> None:
        transport = config.transport
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise TypeError("a SyncDriver needs an httpx.BaseTransport")
        self._config = config
        self._transport = transport
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None

    def _client(self) -> httpx.Client:
        with self._lock:
            http = self._http
            if http is None or http.is_closed:
                http = httpx.Client(**self._config.http.kwargs(), transport=self._transport)
                self._http = http
            return http

    def send(self, call: Call[_T], ctx: Context) -> _T:
        """Send one call (retrying what is safe to retry) and parse its answer."""
        http = self._client()
        request = http.build_request(
            call.method,
            ctx.url(call),
            params=call.params,
            json=call.json,
            timeout=ctx.options.timeout,
        )

        def attempt() -> httpx.Response:
            try:
                response = http.send(request)
            except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
                raise map_transport_error(exc, request, self._config.http.proxy)  # noqa: B904
            _log_sent(request, response)
            return raise_if_retryable(response)

        # Most requests succeed at once, and a tenacity loop costs more than a small
        # request: only a retryable failure enters it (see `replaying`).
        try:
            response = attempt()
        except I3XError as exc:
            if not _may_retry(exc, call, ctx):
                raise
            sleep = current().sleep or time.sleep
            retrying = Retrying(
                **retry_args(
                    max_retries=ctx.options.max_retries, idempotent=call.idempotent, sleep=sleep
                )
            )
            response = retrying(replaying(exc, attempt))
        return parse_answer(call, response)

    def _outcome(self, call: Call[Any], ctx: Context) -> Any:
        try:
            return self.send(call, ctx)
        except I3XError as exc:
            return exc

    def drive(self, flow: Flow[_T], ctx: Context, step: Step | None = None) -> _T:
        """Run a flow to its end (from `step`, if it was already started) and return its value."""
        try:
            if step is None:
                step = next(flow)
            while True:
                try:
                    if isinstance(step, Batch):
                        outcome: Any = [self._outcome(c, ctx) for c in step.calls]
                    elif isinstance(step, Connected):
                        outcome = None
                    else:
                        outcome = self.send(step, ctx)
                except I3XError as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(outcome)
        except StopIteration as stop:
            value: _T = stop.value
            return value

    def close(self) -> None:
        """Close the pool (a later request opens a new one)."""
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            http.close()


@dataclass
class _LoopPool:
    """What an `AsyncDriver` holds for one event loop: all of it belongs to that loop."""

    loop: asyncio.AbstractEventLoop
    http: httpx.AsyncClient | None = None
    gate: asyncio.Semaphore | None = None
    """The limit on requests in flight: the pool's connection count."""
    closer: AsyncGenerator[None, None] | None = None
    """The async generator that closes `http` when `loop` shuts down."""
    coalescer: Coalescer | None = None
    """The merger of concurrent single-element reads (`AsyncClient.get_value`)."""


class AsyncDriver:
    """Sends requests with awaited calls over one `httpx.AsyncClient` per event loop.

    Args:
        config: The client's configuration.
        keepalive: A delivery's driver: its own pool with TCP keepalive, never the
            user's transport (streams need real connections).
    """

    def __init__(self, config: Config, *, keepalive: bool = False) -> None:
        transport = None if keepalive else config.transport
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError("an AsyncDriver needs an httpx.AsyncBaseTransport")
        self._config = config
        self._transport = transport
        self._keepalive = keepalive
        self._pool: _LoopPool | None = None

    def _local(self) -> _LoopPool:
        """The running loop's pool: a new one when the last was made on another loop.

        An `httpx.AsyncClient`'s connections, the gate (a semaphore) and the coalescer's
        futures all belong to the loop they were made on: used from the next
        `asyncio.run()` they fail with "Event loop is closed". The ended loop closed its
        connections as it shut down (`_closes_with_loop`).
        """
        loop = asyncio.get_running_loop()
        pool = self._pool
        if pool is None or pool.loop is not loop:
            pool = self._pool = _LoopPool(loop)
        return pool

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop the current pool belongs to (`None` before the first use)."""
        return self._pool.loop if self._pool is not None else None

    def coalescer(self) -> Coalescer:
        """The running loop's merger of concurrent single-element reads."""
        pool = self._local()
        if pool.coalescer is None:
            pool.coalescer = Coalescer()
        return pool.coalescer

    async def client(self) -> httpx.AsyncClient:
        """The running loop's `httpx.AsyncClient`, made on first use."""
        pool = self._local()
        http = pool.http
        if http is None or http.is_closed:
            kwargs = self._config.http.kwargs()
            transport = self._transport
            if self._keepalive:
                transport = httpx.AsyncHTTPTransport(
                    verify=kwargs["verify"],
                    limits=kwargs["limits"],
                    socket_options=KEEPALIVE_SOCKET_OPTIONS,
                )
            http = httpx.AsyncClient(**kwargs, transport=transport)
            pool.http = http
            # httpcore's pool re-examines every connection for every queued request, so
            # requests beyond its size cost far more CPU waiting inside it than here.
            limit = self._config.http.limits.max_connections
            pool.gate = asyncio.Semaphore(limit) if limit else None
            pool.closer = _closes_with_loop(http)
            # Its first step registers it with the running loop (and returns at once).
            await anext(pool.closer)
        return http

    async def close(self) -> None:
        """Close the pool, if it belongs to the running loop (an ended loop closed it)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if pool.loop is not running:
            # Made on a loop that has ended (which closed it while shutting down), or
            # at least on another one: its connections cannot be closed from here.
            return
        if pool.http is not None:
            await pool.http.aclose()
        if pool.closer is not None:
            await pool.closer.aclose()

    async def send(self, call: Call[_T], ctx: Context) -> _T:
        """Send one call (retrying what is safe to retry) and parse its answer."""
        http = await self.client()
        request = http.build_request(
            call.method,
            ctx.url(call),
            params=call.params,
            json=call.json,
            timeout=ctx.options.timeout,
        )
        gate = self._local().gate

        async def attempt() -> httpx.Response:
            try:
                if gate is None:
                    response = await http.send(request)
                else:
                    async with gate:
                        response = await http.send(request)
            except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
                raise map_transport_error(exc, request, self._config.http.proxy)  # noqa: B904
            _log_sent(request, response)
            return raise_if_retryable(response)

        try:
            response = await attempt()
        except I3XError as exc:
            if not _may_retry(exc, call, ctx):
                raise

            async def sleep(seconds: float) -> None:
                await sleep_async(seconds, asyncio.sleep)

            retrying = AsyncRetrying(
                **retry_args(
                    max_retries=ctx.options.max_retries, idempotent=call.idempotent, sleep=sleep
                )
            )
            response = await retrying(areplaying(exc, attempt))
        return parse_answer(call, response)

    async def _outcome(self, call: Call[Any], ctx: Context, limit: asyncio.Semaphore) -> Any:
        async with limit:
            try:
                return await self.send(call, ctx)
            except I3XError as exc:
                return exc

    async def drive(self, flow: Flow[_T], ctx: Context, step: Step | None = None) -> _T:
        """Run a flow to its end (from `step`, if it was already started) and return its value."""
        try:
            if step is None:
                step = next(flow)
            while True:
                try:
                    if isinstance(step, Batch):
                        limit = asyncio.Semaphore(ctx.options.max_concurrency)
                        outcome: Any = await asyncio.gather(
                            *(self._outcome(c, ctx, limit) for c in step.calls)
                        )
                    elif isinstance(step, Connected):
                        outcome = None
                    else:
                        outcome = await self.send(step, ctx)
                except I3XError as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(outcome)
        except StopIteration as stop:
            value: _T = stop.value
            return value


async def _closes_with_loop(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Keep `http` until the event loop this generator first ran on shuts down, then close it.

    An async generator, because `asyncio.run()` (and `asyncio.Runner`, anyio, pytest's
    runners) closes every unfinished async generator of its loop before closing the
    loop: the last moment the pool's connections can be closed on the loop they belong
    to. Left open, the garbage collector would close their sockets later, with a
    `ResourceWarning` each.
    """
    try:
        yield
    finally:
        # The loop is shutting down: a connection that fails to close is gone anyway.
        with contextlib.suppress(httpx.HTTPError, OSError):
            await http.aclose()
