"""The asyncio client: `AsyncClient` runs the shared operations with an awaited driver.

Its public surface is `Client`'s, method for method (a test keeps them in step); each
method's full documentation is on the sync client.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator, Hashable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

import httpx
from typing_extensions import Self

from ._base_client import BaseClient
from ._checks import check_bool, check_depth, check_id, check_positive_int, subscription_key
from ._coalesce import BulkRead
from ._connection import connect_flow
from ._delivery import Delivery, start_delivery, stop_delivery
from ._dispatch import AsyncBuffer, AsyncDispatcher
from ._driver import AsyncDriver
from ._events import Delivered, DeliverySettings, Mode, Sink
from ._exceptions import I3XError
from ._exploration import (
    get_info_flow,
    get_namespaces_flow,
    get_object_types_flow,
    get_objects_flow,
    get_related_objects_flow,
    get_relationship_types_flow,
    list_objects_by_id_flow,
    list_objects_flow,
    query_object_types_flow,
    query_relationship_types_flow,
)
from ._flows import Done, Flow, first_step
from ._models import (
    BulkItem,
    LastKnownValue,
    Namespace,
    ObjectInstance,
    ObjectType,
    RelatedObject,
    RelationshipType,
    ServerInfo,
    Subscription,
)
from ._pull import AsyncSubscriptionStream
from ._subscriptions import (
    SyncResult,
    create_subscription_flow,
    delete_quietly_flow,
    delete_subscriptions_flow,
    final_ack_flows,
    get_subscription_flow,
    list_subscriptions_flow,
    register_items_flow,
    subscribe_flow,
    subscription_model,
    sync_subscription_flow,
    unregister_items_flow,
)
from ._values import get_histories_flow, get_history_flow, get_values_flow
from ._writes import update_history_flow, update_value_flow, update_values_flow

__all__ = ["AsyncClient"]

logger = logging.getLogger("i3x")

_T = TypeVar("_T")


class AsyncClient(BaseClient["AsyncClient"]):
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
    _awaits_callbacks = True
    _driver: AsyncDriver
    _machinery: _Machinery

    def _start_parts(self) -> None:
        self._driver = AsyncDriver(self._ctx.config)
        self._machinery = _Machinery(self)

    def _share_parts(self, parent: AsyncClient) -> None:
        self._driver = parent._driver
        self._machinery = parent._machinery

    async def _run(self, flow: Flow[_T]) -> _T:
        """Run an operation: check its arguments, connect if needed, then drive it."""
        step = first_step(flow)
        if isinstance(step, Done):
            value: _T = step.value
            return value
        if self._ctx.state.api_root is None:
            await self._connect(stacklevel=4)
        return await self._driver.drive(flow, self._ctx, step)

    async def _connect(self, *, stacklevel: int) -> ServerInfo:
        info = await self._driver.drive(connect_flow(self._ctx), self._ctx)
        for message in self._ctx.state.take_warnings():
            warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)
        callback = self.on_connect
        if callback is not None:
            result = callback(self)
            if asyncio.iscoroutine(result):
                await result
        return info

    # ---------------------------------------------------------------- connection

    async def connect(self) -> ServerInfo:
        """Connect: read `GET /info` (see [`Client.connect()`][i3x.Client.connect])."""
        return await self._connect(stacklevel=3)

    async def disconnect(self) -> None:
        """Stop every subscription's delivery and close the connection pool.

        `aclose()` and `close()` are the same coroutine, for code that expects those names.
        """
        state = self._ctx.state
        with state.disconnecting():
            with state.lock:
                keys = list(state.deliveries)
            for key in keys:
                await self._stop_delivery(key, leave=True)
            await self._machinery.stop()
            quiet = self._quiet_context()
            # Not connected (a second disconnect): what is owed waits for a connected one.
            owed = final_ack_flows(quiet) if state.api_root is not None else []
            for flow in owed:
                try:
                    await self._driver.drive(flow, quiet)
                except I3XError as exc:  # the server sends those again: nothing is lost
                    logger.info("could not acknowledge delivered updates at disconnect: %s", exc)
            await self._driver.close()
            was_connected = self.is_connected
            state.forget_connection()
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
        return await self._run(get_info_flow(self._ctx))

    async def get_namespaces(self) -> list[Namespace]:
        """All namespaces."""
        return await self._run(get_namespaces_flow(self._ctx))

    async def get_object_types(self, namespace_uri: str | None = None) -> list[ObjectType]:
        """All object types, or those of one namespace."""
        return await self._run(get_object_types_flow(self._ctx, namespace_uri))

    async def query_object_types(self, element_ids: Iterable[str]) -> list[ObjectType]:
        """Object types by id, in request order (raises [`BulkError`][i3x.BulkError] on failures)."""
        return await self._run(query_object_types_flow(self._ctx, element_ids))

    async def get_relationship_types(
        self, namespace_uri: str | None = None
    ) -> list[RelationshipType]:
        """All relationship types, or those of one namespace."""
        return await self._run(get_relationship_types_flow(self._ctx, namespace_uri))

    async def query_relationship_types(self, element_ids: Iterable[str]) -> list[RelationshipType]:
        """Relationship types by id, in request order (raises [`BulkError`][i3x.BulkError] on failures)."""
        return await self._run(query_relationship_types_flow(self._ctx, element_ids))

    async def get_objects(
        self,
        type_id: str | None = None,
        include_metadata: bool = False,
        root: bool | None = None,
        *,
        type_element_id: str | None = None,
    ) -> list[ObjectInstance]:
        """All objects, or those of one type, or only roots."""
        return await self._run(
            get_objects_flow(self._ctx, type_id, include_metadata, root, type_element_id)
        )

    async def get_object(self, element_id: str, include_metadata: bool = False) -> ObjectInstance:
        """One object (raises [`NotFoundError`][i3x.NotFoundError] if unknown).

        Concurrent calls are merged into one bulk request (see [`get_value()`][i3x.AsyncClient.get_value]).
        """
        key = check_id(element_id, "element_id")
        meta = check_bool(include_metadata, "include_metadata")
        found: ObjectInstance = await self._read_one(
            ("object", meta), key, lambda ids: list_objects_by_id_flow(self._ctx, ids, meta)
        )
        return found

    async def list_objects(
        self, element_ids: Iterable[str], include_metadata: bool = False
    ) -> list[ObjectInstance]:
        """Objects by id, in request order (raises [`BulkError`][i3x.BulkError] on failures)."""
        return await self._run(list_objects_flow(self._ctx, element_ids, include_metadata))

    async def get_related_objects(
        self,
        element_ids: Iterable[str],
        relationship_type: str | None = None,
        include_metadata: bool = False,
    ) -> list[RelatedObject]:
        """Objects related to the given ones, over one relationship type or all."""
        return await self._run(
            get_related_objects_flow(self._ctx, element_ids, relationship_type, include_metadata)
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
            ("value", depth), key, lambda ids: get_values_flow(self._ctx, ids, depth)
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
        return await self._run(get_values_flow(self._ctx, element_ids, max_depth))

    async def get_history(
        self,
        element_id: str,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        max_depth: int = 1,
    ) -> LastKnownValue:
        """The history of an element, oldest first (no end time means now)."""
        return await self._run(
            get_history_flow(self._ctx, element_id, start_time, end_time, max_depth)
        )

    async def get_histories(
        self,
        element_ids: Iterable[str],
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        max_depth: int = 1,
    ) -> dict[str, LastKnownValue]:
        """The histories of several elements, by element id, in request order."""
        return await self._run(
            get_histories_flow(self._ctx, element_ids, start_time, end_time, max_depth)
        )

    # -------------------------------------------------------------------- writes

    async def update_value(
        self,
        element_id: str,
        value: Any,
        quality: str | None = None,
        timestamp: datetime | str | None = None,
    ) -> None:
        """Write the current value of an element (an [`VQT`][i3x.VQT], or a dict with only `value`, `quality` and `timestamp`, is written as a VQT; a pydantic model as its JSON form).

        Raises:
            ValueValidationError: With `validate_writes=True`: the value does not fit
                its type's JSON Schema; nothing was sent.
        """
        await self._run(update_value_flow(self._ctx, element_id, value, quality, timestamp))

    async def update_values(
        self, updates: Mapping[str, Any] | Iterable[tuple[str, Any]]
    ) -> list[BulkItem[None]]:
        """Write many current values in one request (raises [`BulkError`][i3x.BulkError] on failures); one item per update.

        Raises:
            ValueValidationError: With `validate_writes=True`: values that do not fit
                their types' JSON Schemas, all of them; nothing was sent.
        """
        return await self._run(update_values_flow(self._ctx, updates))

    async def update_history(self, element_id: str, value: Any) -> None:
        """Write historical values: a [`VQT`][i3x.VQT] with timestamp, or a list of them."""
        await self._run(update_history_flow(self._ctx, element_id, value))

    # ---------------------------------------------------- subscriptions (requests)

    async def create_subscription(self, display_name: str | None = None) -> str:
        """Create an empty subscription and return its id."""
        return await self._run(create_subscription_flow(self._ctx, display_name))

    async def register_items(
        self, subscription_id: str, element_ids: Iterable[str], max_depth: int = 0
    ) -> list[BulkItem[Any]]:
        """Monitor elements on a subscription; one item per id."""
        return await self._run(
            register_items_flow(self._ctx, subscription_id, element_ids, max_depth)
        )

    async def unregister_items(
        self, subscription_id: str, element_ids: Iterable[str]
    ) -> list[BulkItem[Any]]:
        """Stop monitoring elements; one item per id."""
        return await self._run(unregister_items_flow(self._ctx, subscription_id, element_ids))

    async def get_subscriptions(self) -> list[Subscription]:
        """The subscriptions this client created that the server still has."""
        return await self._run(list_subscriptions_flow(self._ctx, None))

    async def list_subscriptions(
        self, subscription_ids: Iterable[str] | None = None
    ) -> list[Subscription]:
        """Subscriptions by id (default: those this client created)."""
        return await self._run(list_subscriptions_flow(self._ctx, subscription_ids))

    async def get_subscription(self, subscription_id: str) -> Subscription:
        """One subscription's details."""
        return await self._run(get_subscription_flow(self._ctx, subscription_id))

    async def delete_subscriptions(self, subscription_ids: Iterable[str]) -> None:
        """Delete subscriptions on the server."""
        await self._run(delete_subscriptions_flow(self._ctx, subscription_ids))

    async def sync_subscription(
        self,
        subscription: Subscription | str,
        last_sequence_number: int | None = None,
    ) -> SyncResult:
        """Poll the queued updates of a subscription, acknowledging the previous call's."""
        return await self._run(
            sync_subscription_flow(self._ctx, subscription, last_sequence_number)
        )

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
        buffer = self._machinery.buffer()
        sub_id = await self._run(subscribe_flow(self._ctx, element_ids, max_depth, display_name))
        subscription = subscription_model(self._ctx, sub_id)
        await buffer.put(Delivered(subscribed=subscription))
        delivery = await self._start_delivery(sub_id, settings, buffer)
        return subscription_model(self._ctx, sub_id, delivery)

    async def unsubscribe(self, subscription: Subscription | str) -> None:
        """Stop delivering a subscription and delete it on the server."""
        key = subscription_key(subscription)
        server_id = self._ctx.state.server_id(key)
        await self._stop_delivery(key)
        await self._run(delete_quietly_flow(self._ctx, server_id))

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
        existing = self._ctx.state.delivery_for(key)
        if existing is not None:
            if not existing.ended():
                return
            await self._stop_delivery(key)  # it ended with its event loop: start anew here
        if self._ctx.state.api_root is None:
            await self._connect(stacklevel=3)
        await self._start_delivery(key, settings, self._machinery.buffer())

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

        The subscription is deleted when the block ends. Iteration also ends when the
        client disconnects; the subscription then stays on the server, as
        `disconnect()` leaves them all.
        """
        settings = DeliverySettings(mode, poll_interval, resync, stream_idle_timeout)
        buffer = AsyncBuffer(check_positive_int(buffer_size, "buffer_size"))
        sub_id = await self._run(subscribe_flow(self._ctx, element_ids, max_depth, display_name))
        delivery = await self._start_delivery(sub_id, settings, buffer, owns_sink=True)
        closed = False

        async def close() -> None:
            nonlocal closed
            if closed:
                return
            closed = True
            server_id = delivery.server_id
            state = self._ctx.state
            try:
                await self._stop_delivery(sub_id)
                if not state.leaves_on_server(delivery):
                    await self._run(delete_quietly_flow(self._ctx, server_id))
            except I3XError:
                # A disconnect() from another task closed the connection under us: it
                # leaves the subscription on the server.
                if not state.leaves_on_server(delivery):
                    raise
            finally:
                buffer.close()

        model = subscription_model(self._ctx, sub_id, delivery)
        stream = AsyncSubscriptionStream(model, buffer, delivery, close)
        try:
            yield stream
        finally:
            await close()

    # ------------------------------------------------------------ read merging

    async def _read_one(self, kind: Hashable, key: str, bulk: BulkRead) -> Any:
        # Reads merge only with reads of the same kind from views with the same options.
        merged = (kind, id(self._ctx.options))
        return await self._driver.coalescer().read(merged, key, bulk, self._run)

    # --------------------------------------------------------- delivery plumbing

    async def _stop_delivery(self, key: str, *, leave: bool = False) -> None:
        """Stop a subscription's delivery, so that none of its callbacks runs after this
        returns; one that ended with its loop is only forgotten."""
        await stop_delivery(self._ctx, key, leave=leave)
        await self._machinery.wait_idle()

    async def _start_delivery(
        self, sub_id: str, settings: DeliverySettings, sink: Sink, *, owns_sink: bool = False
    ) -> Delivery:
        return await start_delivery(
            self._ctx, sub_id, settings, sink, self._start_timeout(), owns_sink=owns_sink
        )


class _Machinery:
    """The async client's callback dispatcher (one task, and its buffer), started by the
    first subscription on each event loop and shared with the client's `with_options()`
    views, so that the client's `disconnect()` ends what a view started.

    Callbacks get the client itself as their first argument, whichever of its views
    subscribed: a view's options (its timeout, its retries) are the view's own.
    """

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._buffer: AsyncBuffer | None = None
        self._dispatcher: AsyncDispatcher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def buffer(self) -> AsyncBuffer:
        """The running loop's callback buffer."""
        loop = asyncio.get_running_loop()
        if self._buffer is None or self._loop is not loop:
            # The dispatcher is a task of the loop it started on, and ended with it.
            if self._buffer is not None:
                self._buffer.close()
            self._buffer = AsyncBuffer()
            self._dispatcher = AsyncDispatcher(self._client, self._buffer)
            self._loop = loop
        return self._buffer

    async def wait_idle(self) -> None:
        """Wait for the callback running now, if any (on this loop)."""
        if self._dispatcher is not None and self._loop is asyncio.get_running_loop():
            await self._dispatcher.wait_idle()

    async def stop(self) -> None:
        """Stop the dispatcher (one whose loop ended only has its buffer closed)."""
        if self._dispatcher is not None:
            if self._loop is asyncio.get_running_loop():
                await self._dispatcher.stop()
            elif self._buffer is not None:  # its task ended with its loop
                self._buffer.close()
        self._dispatcher = self._buffer = self._loop = None
