"""The asyncio client: `AsyncClient` drives the shared flows with awaited sends.

Its public surface is `Client`'s, method for method (a test keeps
them in step); each method's full documentation is on the sync client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import warnings
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Mapping,
)
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying
from typing_extensions import Self

from ._base_client import (
    NOT_GIVEN,
    BaseClient,
    Batch,
    Connected,
    Done,
    Flow,
    NotGiven,
    Pool,
    Step,
    SyncResult,
    Timeout,
    first_step,
)
from ._checks import check_bool, check_depth, check_id, subscription_key
from ._exceptions import BulkError, I3XError
from ._models import (
    LastKnownValue,
    Namespace,
    ObjectInstance,
    ObjectType,
    RelatedObject,
    RelationshipType,
    ServerInfo,
    Subscription,
)
from ._retry import areplaying, raise_if_retryable
from ._streaming import (
    KEEPALIVE_SOCKET_OPTIONS,
    AsyncBuffer,
    AsyncDispatcher,
    AsyncSubscriptionStream,
    Delivery,
    start_delivery,
    stop_delivery,
)
from ._subscriptions import Delivered, DeliverySettings, Mode
from ._wire import Call, map_transport_error, release, request_label

__all__ = ["AsyncClient"]

logger = logging.getLogger("i3x")

_T = TypeVar("_T")


class AsyncClient(BaseClient):
    """An asyncio client for an i3X server: [`Client`][i3x.Client] with `await`.

    Usage:

    ```python
    async with i3x.AsyncClient("http://localhost:8080") as client:
        value = await client.get_value("pump-101-flow")
    ```

    Takes the same arguments as [`Client`][i3x.Client]; `transport` is an
    `httpx.AsyncBaseTransport`. Bulk reads split into batches are sent
    `max_concurrency` at a time over one connection pool.

    Event loops: a client may be used from one event loop after another, such as
    two `asyncio.run()` calls. Its connection pool belongs to the loop it was
    made on and is closed when that loop shuts down (`asyncio.run()` does that;
    a loop closed by hand must first run `loop.shutdown_asyncgens()`, or its
    sockets are left to the garbage collector); the next loop gets a new one.
    The connection (`server_info`), the subscriptions this client created
    and their acknowledgements carry over. Subscription deliveries do not: their
    tasks end with their loop, so callbacks and `async for` stop there. On the
    new loop, [`start_stream()`][i3x.AsyncClient.start_stream] resumes one, [`sync_subscription()`][i3x.AsyncClient.sync_subscription] polls it,
    and [`unsubscribe()`][i3x.AsyncClient.unsubscribe], [`stop_stream()`][i3x.AsyncClient.stop_stream] and [`disconnect()`][i3x.AsyncClient.disconnect] forget the
    ended delivery without waiting for it. Use the client from one loop at a time.
    """

    _transport_type = httpx.AsyncBaseTransport
    _sleep: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)
    _keepalive = False
    _buffer: AsyncBuffer | None = None
    _dispatcher: AsyncDispatcher | None = None
    _dispatch_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def _for_delivery(
        cls, config: BaseClient, sleep: Callable[[float], Awaitable[None]] | None = None
    ) -> AsyncClient:
        """A view of any client's configuration and state with its own keepalive pool.

        Each subscription delivery gets one, so that its stream has a dedicated
        connection that can be closed on its own.
        """
        clone = object.__new__(cls)
        clone.__dict__.update(config.__dict__)
        # The delivery's task runs on this loop: the pool says so even before its first
        # request, so that a later loop knows not to wait for the task (_stop_delivery).
        clone._pool = Pool(loop=asyncio.get_running_loop())
        clone._transport = None
        clone._keepalive = True
        clone._sleep = sleep or asyncio.sleep
        clone._buffer = None
        clone._dispatcher = None
        clone._dispatch_loop = None
        return clone

    # ------------------------------------------------------------------ plumbing

    def _local_pool(self) -> Pool:
        """The pool, emptied first when it was built on another event loop than this one.

        An `httpx.AsyncClient`'s connections, the gate (a semaphore) and the
        coalescer's futures all belong to the loop they were made on: used from the
        next `asyncio.run()` they fail with "Event loop is closed". The ended loop
        closed its connections as it shut down (`_closes_with_loop()`); what is
        not loop-bound (connection, subscriptions, acknowledgements) is in `_state`.
        """
        pool = self._pool
        loop = asyncio.get_running_loop()
        if pool.loop is not loop:
            # In place: with_options() views share this Pool object.
            pool.http = pool.gate = pool.coalescer = pool.closer = None
            pool.loop = loop
        return pool

    async def _client(self) -> httpx.AsyncClient:
        pool = self._local_pool()
        http = pool.http
        if not isinstance(http, httpx.AsyncClient) or http.is_closed:
            kwargs = dict(self._http_settings())
            transport = self._transport
            if transport is None and self._keepalive:
                transport = httpx.AsyncHTTPTransport(
                    verify=kwargs["verify"],
                    limits=kwargs["limits"],
                    socket_options=KEEPALIVE_SOCKET_OPTIONS,
                )
            http = httpx.AsyncClient(**kwargs, transport=transport)
            pool.http = http
            # httpcore's pool re-examines every connection for every queued request, so
            # requests beyond its size cost far more CPU waiting inside it than here.
            limit = kwargs["limits"].max_connections
            pool.gate = asyncio.Semaphore(limit) if limit else None
            pool.closer = _closes_with_loop(http)
            # Its first step registers it with the running loop (and returns at once).
            await anext(pool.closer)
        return http

    _stream_pool = _client

    async def _close_pool(self) -> None:
        pool = self._pool
        http, closer = pool.http, pool.closer
        pool.http = pool.closer = None
        if pool.loop is not asyncio.get_running_loop():
            # Made on a loop that has ended (which closed it while shutting down), or
            # at least on another one: its connections cannot be closed from here.
            return
        if isinstance(http, httpx.AsyncClient):
            await http.aclose()
        if closer is not None:
            await closer.aclose()

    async def _send(self, call: Call[_T]) -> _T:
        http = await self._client()
        request = http.build_request(
            call.method,
            self._url(call),
            params=call.params,
            json=call.json,
            timeout=self._options.timeout,
        )

        gate = self._pool.gate

        async def attempt() -> httpx.Response:
            try:
                if gate is None:
                    response = await http.send(request)
                else:
                    async with gate:
                        response = await http.send(request)
            except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
                raise map_transport_error(exc, request)  # noqa: B904 (it sets its cause)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("%s %s -> %d", *request_label(request), response.status_code)
            return raise_if_retryable(response)

        try:
            response = await attempt()
        except I3XError as exc:
            if not self._may_retry(exc, call):
                raise
            failed: I3XError | None = exc
        else:
            failed = None
        if failed is not None:
            response = await AsyncRetrying(**self._retry_args(call))(areplaying(failed, attempt))
        try:
            return call.parse(response)
        finally:
            release(response)

    async def _outcome(self, call: Call[Any], limit: asyncio.Semaphore) -> Any:
        async with limit:
            try:
                return await self._send(call)
            except I3XError as exc:
                return exc

    async def _drive(self, flow: Flow[_T], step: Step | None = None) -> _T:
        try:
            if step is None:
                step = next(flow)
            while True:
                try:
                    if isinstance(step, Batch):
                        limit = asyncio.Semaphore(self._options.max_concurrency)
                        outcome: Any = await asyncio.gather(
                            *(self._outcome(c, limit) for c in step.calls)
                        )
                    elif isinstance(step, Connected):
                        outcome = None
                    else:
                        outcome = await self._send(step)
                except I3XError as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(outcome)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def _run(self, flow: Flow[_T]) -> _T:
        step = first_step(flow)
        if isinstance(step, Done):
            return step.value  # type: ignore[no-any-return]
        if self._state.api_root is None:
            await self._connect(stacklevel=4)
        return await self._drive(flow, step)

    async def _connect(self, *, stacklevel: int) -> ServerInfo:
        info = await self._drive(self._connect_flow())
        for message in self._take_warnings():
            warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)
        callback = self.on_connect
        if callback is not None:
            result = callback(self)
            if asyncio.iscoroutine(result):
                await result
        return info

    def with_options(
        self,
        *,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        batch_size: int | None = None,
    ) -> Self:
        """A view of this client with other request options (see [`Client.with_options()`][i3x.Client.with_options])."""
        clone: Self = self._copy_with(timeout, max_retries, batch_size)
        return clone

    # ---------------------------------------------------------------- connection

    @property
    def is_connected(self) -> bool:
        """Whether [`connect()`][i3x.AsyncClient.connect] succeeded and [`disconnect()`][i3x.AsyncClient.disconnect] has not been called."""
        return self._state.api_root is not None

    async def connect(self) -> ServerInfo:
        """Connect: read `GET /info` (see [`Client.connect()`][i3x.Client.connect])."""
        return await self._connect(stacklevel=3)

    async def disconnect(self) -> None:
        """Stop every subscription's delivery and close the connection pool.

        `aclose()` and `close()` are the same coroutine, for code that expects those names.
        """
        with self._state.lock:
            deliveries = dict(self._state.deliveries)
        for key in deliveries:
            await self._stop_delivery(key)
        if self._dispatcher is not None:
            if self._dispatch_loop is asyncio.get_running_loop():
                await self._dispatcher.stop()
            elif self._buffer is not None:  # its task ended with its loop (_callback_buffer)
                self._buffer.close()
            self._dispatcher = self._buffer = self._dispatch_loop = None
        for flow in self._final_acks(deliveries.values()):
            try:
                await self.with_options(max_retries=0)._run(flow)
            except I3XError as exc:  # the server sends those updates again: nothing is lost
                logger.info("could not acknowledge delivered updates at disconnect: %s", exc)
        await self._close_pool()
        was_connected = self.is_connected
        self._forget_connection()
        callback = self.on_disconnect
        if callback is not None and was_connected:
            result = callback(self)
            if asyncio.iscoroutine(result):
                await result

    aclose = disconnect
    close = disconnect

    async def __aenter__(self) -> Self:
        await self._connect(stacklevel=3)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.disconnect()

    # --------------------------------------------------------------- exploration

    async def get_info(self) -> ServerInfo:
        """Read `GET /info` again."""
        return await self._run(self._get_info())

    async def get_namespaces(self) -> list[Namespace]:
        """All namespaces."""
        return await self._run(self._get_namespaces())

    async def get_object_types(self, namespace_uri: str | None = None) -> list[ObjectType]:
        """All object types, or those of one namespace."""
        return await self._run(self._get_object_types(namespace_uri))

    async def query_object_types(self, element_ids: Iterable[str]) -> list[ObjectType]:
        """Object types by id, in request order (raises [`BulkError`][i3x.BulkError] on failures)."""
        return await self._run(self._query_object_types(element_ids))

    async def get_relationship_types(
        self, namespace_uri: str | None = None
    ) -> list[RelationshipType]:
        """All relationship types, or those of one namespace."""
        return await self._run(self._get_relationship_types(namespace_uri))

    async def query_relationship_types(self, element_ids: Iterable[str]) -> list[RelationshipType]:
        """Relationship types by id, in request order (raises [`BulkError`][i3x.BulkError] on failures)."""
        return await self._run(self._query_relationship_types(element_ids))

    async def get_objects(
        self,
        type_id: str | None = None,
        include_metadata: bool = False,
        root: bool | None = None,
        *,
        type_element_id: str | None = None,
    ) -> list[ObjectInstance]:
        """All objects, or those of one type, or only roots."""
        return await self._run(self._get_objects(type_id, include_metadata, root, type_element_id))

    async def get_object(self, element_id: str, include_metadata: bool = False) -> ObjectInstance:
        """One object (raises [`NotFoundError`][i3x.NotFoundError] if unknown).

        Concurrent calls are merged into one bulk request (see [`get_value()`][i3x.AsyncClient.get_value]).
        """
        key = check_id(element_id, "element_id")
        meta = check_bool(include_metadata, "include_metadata")
        found: ObjectInstance = await self._read_one(
            ("object", meta), key, lambda ids: self._list_objects_by_id(ids, meta)
        )
        return found

    async def list_objects(
        self, element_ids: Iterable[str], include_metadata: bool = False
    ) -> list[ObjectInstance]:
        """Objects by id, in request order (raises [`BulkError`][i3x.BulkError] on failures)."""
        return await self._run(self._list_objects(element_ids, include_metadata))

    async def get_related_objects(
        self,
        element_ids: Iterable[str],
        relationship_type: str | None = None,
        include_metadata: bool = False,
    ) -> list[RelatedObject]:
        """Objects related to the given ones, over one relationship type or all."""
        return await self._run(
            self._get_related_objects(element_ids, relationship_type, include_metadata)
        )

    # -------------------------------------------------------------------- values

    async def get_value(self, element_id: str, max_depth: int = 1) -> LastKnownValue:
        """The current value of an element.

        i3X reads are bulk: concurrent `get_value()` calls on one client (with
        the same `max_depth`) are merged into one `POST /objects/value`, so
        fifty reads in flight cost one round trip. Each caller still gets its own
        value or its own error.

        Args:
            element_id: The element to read.
            max_depth: How deep to read a composition: 1 reads only the element, N reads
                N levels of components (into `children`), 0 reads every level.

        Raises:
            NotFoundError: No such element.
            ValueError: `element_id` is empty or `max_depth` negative (before any request).
        """
        key = check_id(element_id, "element_id")
        depth = check_depth(max_depth)
        value: LastKnownValue = await self._read_one(
            ("value", depth), key, lambda ids: self._get_values(ids, depth)
        )
        return value

    async def get_values(
        self, element_ids: Iterable[str], max_depth: int = 1
    ) -> dict[str, LastKnownValue]:
        """Current values by element id, in request order; batches are sent concurrently.

        Args:
            element_ids: The elements to read (a list, not a lone string).
            max_depth: How deep to read compositions: 1 reads only the elements, N reads
                N levels of components (into `children`), 0 reads every level.

        Raises:
            BulkError: Some ids failed; `.results` holds the others' values.
        """
        return await self._run(self._get_values(element_ids, max_depth))

    async def get_history(
        self,
        element_id: str,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        max_depth: int = 1,
    ) -> LastKnownValue:
        """The history of an element, oldest first (no end time means now)."""
        return await self._run(self._get_history(element_id, start_time, end_time, max_depth))

    async def get_histories(
        self,
        element_ids: Iterable[str],
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        max_depth: int = 1,
    ) -> dict[str, LastKnownValue]:
        """The histories of several elements, by element id, in request order."""
        return await self._run(self._get_histories(element_ids, start_time, end_time, max_depth))

    # -------------------------------------------------------------------- writes

    async def update_value(
        self,
        element_id: str,
        value: Any,
        quality: str | None = None,
        timestamp: datetime | str | None = None,
    ) -> None:
        """Write the current value of an element (an [`VQT`][i3x.VQT], or a dict with only `value`, `quality` and `timestamp`, is written as a VQT)."""
        await self._run(self._update_value(element_id, value, quality, timestamp))

    async def update_values(
        self, updates: Mapping[str, Any] | Iterable[tuple[str, Any]]
    ) -> list[dict[str, Any]]:
        """Write many current values in one request (raises [`BulkError`][i3x.BulkError] on failures); one item per update."""
        return await self._run(self._update_values(updates))

    async def update_history(self, element_id: str, value: Any) -> None:
        """Write historical values: a [`VQT`][i3x.VQT] with timestamp, or a list of them."""
        await self._run(self._update_history(element_id, value))

    # ---------------------------------------------------- subscriptions (requests)

    async def create_subscription(self, display_name: str | None = None) -> str:
        """Create an empty subscription and return its id."""
        return await self._run(self._create_subscription(display_name))

    async def register_items(
        self, subscription_id: str, element_ids: Iterable[str], max_depth: int = 0
    ) -> list[dict[str, Any]]:
        """Monitor elements on a subscription; one item per id."""
        return await self._run(self._register_items(subscription_id, element_ids, max_depth))

    async def unregister_items(
        self, subscription_id: str, element_ids: Iterable[str]
    ) -> list[dict[str, Any]]:
        """Stop monitoring elements; one item per id."""
        return await self._run(self._unregister_items(subscription_id, element_ids))

    async def get_subscriptions(self) -> list[Subscription]:
        """The subscriptions this client created that the server still has."""
        return await self._run(self._list_subscriptions(None))

    async def list_subscriptions(
        self, subscription_ids: Iterable[str] | None = None
    ) -> list[Subscription]:
        """Subscriptions by id (default: those this client created)."""
        return await self._run(self._list_subscriptions(subscription_ids))

    async def get_subscription(self, subscription_id: str) -> Subscription:
        """One subscription's details."""
        return await self._run(self._get_subscription(subscription_id))

    async def delete_subscriptions(self, subscription_ids: Iterable[str]) -> None:
        """Delete subscriptions on the server."""
        await self._run(self._delete_subscriptions(subscription_ids))

    async def sync_subscription(
        self,
        subscription: Subscription | str,
        last_sequence_number: int | None = None,
    ) -> SyncResult:
        """Poll the queued updates of a subscription, acknowledging the previous call's."""
        return await self._run(self._sync_subscription(subscription, last_sequence_number))

    # -------------------------------------------------- subscriptions (delivery)

    async def subscribe(
        self,
        element_ids: Iterable[str],
        max_depth: int = 0,
        *,
        display_name: str | None = None,
        mode: Mode = "auto",
        poll_interval: float = 0.5,
        resync: bool = False,
        stream_idle_timeout: float | None = None,
    ) -> Subscription:
        """Create a subscription, register the elements and deliver changes to the callbacks.

        Callbacks may be plain functions or coroutines; they run in one task, in order.
        """
        settings = DeliverySettings(mode, poll_interval, resync, stream_idle_timeout)
        buffer = self._callback_buffer()
        sub_id = await self._run(self._subscribe_flow(element_ids, max_depth, display_name))
        subscription = self._subscription_model(sub_id)
        await buffer.put(Delivered(subscribed=subscription))
        delivery = await self._start_delivery(sub_id, settings, buffer)
        return self._subscription_model(sub_id, delivery)

    async def unsubscribe(self, subscription: Subscription | str) -> None:
        """Stop delivering a subscription and delete it on the server."""
        key = subscription_key(subscription)
        server_id = self._server_id(key)
        await self._stop_delivery(key)
        await self._run(self._delete_quietly(server_id))

    async def start_stream(
        self,
        subscription_id: str,
        *,
        mode: Mode = "stream",
        poll_interval: float = 0.5,
        resync: bool = False,
        stream_idle_timeout: float | None = None,
    ) -> None:
        """Deliver an existing subscription's changes to the callbacks (SSE, or sync as fallback)."""
        key = subscription_key(subscription_id, "subscription_id")
        settings = DeliverySettings(mode, poll_interval, resync, stream_idle_timeout)
        existing = self._delivery_for(key)
        if existing is not None:
            if not self._ended(existing):
                return
            await self._stop_delivery(key)  # it ended with its event loop: start anew here
        if self._state.api_root is None:
            await self._connect(stacklevel=3)
        await self._start_delivery(key, settings, self._callback_buffer())

    async def stop_stream(self, subscription_id: str) -> None:
        """Stop delivering a subscription without deleting it (sync can take over)."""
        await self._stop_delivery(subscription_key(subscription_id, "subscription_id"))

    @asynccontextmanager
    async def subscription(
        self,
        element_ids: Iterable[str],
        max_depth: int = 0,
        *,
        display_name: str | None = None,
        mode: Mode = "auto",
        poll_interval: float = 0.5,
        resync: bool = False,
        stream_idle_timeout: float | None = None,
        buffer_size: int = 1000,
    ) -> AsyncIterator[AsyncSubscriptionStream]:
        """A subscription in pull form: `async for` its changes and notices.

        The subscription is deleted when the block ends.
        """
        settings = DeliverySettings(mode, poll_interval, resync, stream_idle_timeout)
        buffer = AsyncBuffer(buffer_size)
        sub_id = await self._run(self._subscribe_flow(element_ids, max_depth, display_name))
        delivery = await self._start_delivery(sub_id, settings, buffer)
        closed = False

        async def close() -> None:
            nonlocal closed
            if closed:
                return
            closed = True
            server_id = delivery.server_id
            await self._stop_delivery(sub_id)
            buffer.close()
            await self._run(self._delete_quietly(server_id))

        model = self._subscription_model(sub_id, delivery)
        stream = AsyncSubscriptionStream(model, buffer, delivery, close)
        try:
            yield stream
        finally:
            await close()

    # ------------------------------------------------------------ read merging

    async def _read_one(
        self, kind: Hashable, key: str, bulk: Callable[[list[str]], Flow[dict[str, Any]]]
    ) -> Any:
        pool = self._local_pool()
        coalescer = pool.coalescer
        if coalescer is None:
            coalescer = pool.coalescer = _Coalescer()
        return await coalescer.read(self, kind, key, bulk)

    # --------------------------------------------------------- delivery plumbing

    def _callback_buffer(self) -> AsyncBuffer:
        loop = asyncio.get_running_loop()
        if self._buffer is None or self._dispatch_loop is not loop:
            # The dispatcher is a task of the loop it started on, and ended with it.
            if self._buffer is not None:
                self._buffer.close()
            self._buffer = AsyncBuffer()
            self._dispatcher = AsyncDispatcher(self, self._buffer)
            self._dispatch_loop = loop
        return self._buffer

    @staticmethod
    def _ended(delivery: Delivery) -> bool:
        """Whether a delivery's task belongs to another event loop than the running one.

        That loop ended (`asyncio.run()` cancelled the task) or is not running: the
        task delivers nothing, and waiting for it would hang.
        """
        return delivery.api._pool.loop is not asyncio.get_running_loop()

    def _check_not_delivered(self, subscription_id: str) -> None:
        # A delivery that ended with its loop must not block a plain sync on this one.
        delivery = self._delivery_for(subscription_id)
        if delivery is not None and self._ended(delivery):
            return  # nothing delivers it any more: a sync takes nothing from anyone
        super()._check_not_delivered(subscription_id)

    async def _stop_delivery(self, key: str) -> None:
        """Stop a subscription's delivery, so that none of its callbacks runs after this
        returns; one that ended with its loop is only forgotten."""
        await stop_delivery(self, key)
        if self._dispatcher is not None and self._dispatch_loop is asyncio.get_running_loop():
            await self._dispatcher.wait_idle()

    async def _start_delivery(self, sub_id: str, settings: DeliverySettings, sink: Any) -> Delivery:
        return await start_delivery(self, sub_id, settings, sink, self._start_timeout())

    def _start_timeout(self) -> float:
        return self._options.timeout.connect or 10.0


async def _closes_with_loop(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Keep `http` until the event loop this generator first ran on shuts down, then close it.

    An async generator, because `asyncio.run()` (and `asyncio.Runner`, anyio,
    pytest's runners) closes every unfinished async generator of its loop before
    closing the loop: the last moment the pool's connections can be closed on the
    loop they belong to. Closing them needs that loop; left open, the garbage
    collector would close their sockets later, with a ResourceWarning each.
    """
    try:
        yield
    finally:
        # The loop is shutting down: a connection that fails to close is gone anyway.
        with contextlib.suppress(httpx.HTTPError, OSError):
            await http.aclose()


class _Coalescer:
    """Merges concurrent single-element reads into one bulk request.

    The first read of a kind schedules a flush for the end of the current loop
    iteration; reads arriving until then join it. Every caller gets its own
    result, or the error of its own item, or the error of the whole request.
    """

    def __init__(self) -> None:
        self._pending: dict[Hashable, list[tuple[str, asyncio.Future[Any]]]] = {}
        self._sending: set[asyncio.Task[None]] = set()

    async def read(
        self,
        client: AsyncClient,
        kind: Hashable,
        key: str,
        bulk: Callable[[list[str]], Flow[dict[str, Any]]],
    ) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        # Views from with_options() merge only with reads of the same options.
        batch_key = (kind, id(client._options))
        batch = self._pending.get(batch_key)
        if batch is None:
            batch = self._pending[batch_key] = []
            loop.call_soon(self._flush, client, batch_key, bulk)
        batch.append((key, future))
        return await future

    def _flush(
        self,
        client: AsyncClient,
        batch_key: Hashable,
        bulk: Callable[[list[str]], Flow[dict[str, Any]]],
    ) -> None:
        batch = self._pending.pop(batch_key)
        task = asyncio.get_running_loop().create_task(self._send(client, batch, bulk))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    @staticmethod
    async def _send(
        client: AsyncClient,
        batch: list[tuple[str, asyncio.Future[Any]]],
        bulk: Callable[[list[str]], Flow[dict[str, Any]]],
    ) -> None:
        ids = list(dict.fromkeys(key for key, _ in batch))
        errors: dict[str, I3XError] = {}
        try:
            results = await client._run(bulk(ids))
        except BulkError as exc:
            results, errors = exc.results, exc.errors
        except BaseException as exc:  # the request as a whole failed, or was cancelled
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for key, future in batch:
            if future.done():  # its caller was cancelled
                continue
            if key in errors:
                future.set_exception(errors[key])
            else:
                future.set_result(results[key])
