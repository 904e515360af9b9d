"""The synchronous client: `Client` runs the shared operations with a blocking driver."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import httpx
from typing_extensions import Self

from ._base_client import BaseClient
from ._checks import check_positive_int, subscription_key
from ._connection import connect_flow
from ._delivery import Delivery, start_delivery, stop_delivery
from ._dispatch import STOP_TIMEOUT, LoopThread, ThreadBuffer, ThreadDispatcher
from ._driver import SyncDriver
from ._events import Delivered, DeliverySettings, Mode, Sink
from ._exceptions import I3XError
from ._exploration import (
    get_info_flow,
    get_namespaces_flow,
    get_object_flow,
    get_object_types_flow,
    get_objects_flow,
    get_related_objects_flow,
    get_relationship_types_flow,
    list_objects_flow,
    query_object_types_flow,
    query_relationship_types_flow,
)
from ._flows import Context, Done, Flow, first_step
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
from ._pull import SubscriptionStream
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
from ._values import get_histories_flow, get_history_flow, get_value_flow, get_values_flow
from ._writes import update_history_flow, update_value_flow, update_values_flow

__all__ = ["Client"]

logger = logging.getLogger("i3x")

_T = TypeVar("_T")


class Client(BaseClient["Client"]):
    """A synchronous client for an i3X server.

    Usage:

    ```python
    with i3x.Client("http://localhost:8080") as client:
        print(client.get_value("pump-101-flow").value)
    ```

    Args:
        base_url: The server's base URL, with or without the `/v1` prefix.
        auth: Anything httpx takes as `auth=`; a `(user, password)` tuple is HTTP Basic.
        timeout: Seconds per request (or an `httpx.Timeout`); `None` waits forever.
        token: Sent as `Authorization: Bearer <token>`.
        headers: More headers for every request.
        verify: `True` (system CAs), `False` (test servers only), a CA bundle path,
            or an `ssl.SSLContext`.
        cert: A client certificate for mutual TLS: a path, or `(certfile, keyfile[, password])`.
        proxy: A proxy URL or `httpx.Proxy`.
        max_retries: Retries after a failed attempt (default 2; 0 turns retrying off).
        client_id: The id that scopes subscriptions (a random one by default).
        batch_size: Element ids per request when a bulk read is split.
        max_concurrency: Batches sent at once (used by the async client).
        limits: The connection pool's limits.
        follow_redirects: Follow HTTP redirects.
        transport: An `httpx.BaseTransport` to send requests through (tests, custom
            networking); subscriptions open their own connections.
        server_profile: How the server takes writes: an `i3x.ServerProfile` or its
            value (`"spec"`, `"bare-value"`, `"per-element"`, `"beta"`). By default
            the client chooses at connect from `/info` and falls back to per-element
            writes when the server has no bulk write route; a profile given here is
            used as it is (see docs/wire.md).
        validate_writes: Check every written value against the JSON Schema of its
            object type before sending anything, and raise
            [`ValueValidationError`][i3x.ValueValidationError] instead of writing a
            value that does not fit. The types are looked up on the first write to
            each element and kept (see docs/typed-values.md). Needs the `validation`
            extra; off by default.
    """

    _transport_type = httpx.BaseTransport
    _driver: SyncDriver
    _machinery: _Machinery

    def _start_parts(self) -> None:
        self._driver = SyncDriver(self._ctx.config)
        self._machinery = _Machinery(self)

    def _share_parts(self, parent: Client) -> None:
        self._driver = parent._driver
        self._machinery = parent._machinery

    def _run(self, flow: Flow[_T]) -> _T:
        """Run an operation: check its arguments, connect if needed, then drive it."""
        step = first_step(flow)
        if isinstance(step, Done):
            value: _T = step.value
            return value
        if self._ctx.state.api_root is None:
            self._connect(stacklevel=4)
        return self._driver.drive(flow, self._ctx, step)

    def _connect(self, *, stacklevel: int) -> ServerInfo:
        info = self._driver.drive(connect_flow(self._ctx), self._ctx)
        for message in self._ctx.state.take_warnings():
            warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)
        callback = self.on_connect
        if callback is not None:
            callback(self)
        return info

    # ---------------------------------------------------------------- connection

    def connect(self) -> ServerInfo:
        """Connect: read `GET /info` and learn the server's version and capabilities.

        A base URL without a version segment is tried as given, then with
        `/v1`. Methods connect on first use, so calling this is optional.

        Returns:
            What the server said about itself (also in [`server_info`][i3x.Client.server_info]).

        Raises:
            UnsupportedVersionError: An alpha server: no `/info`, but its API answers.
            InvalidServerResponseError: The URL answers, but no i3X API answers there.
            ConnectionError: The server cannot be reached.
        """
        return self._connect(stacklevel=3)

    def disconnect(self) -> None:
        """Stop every subscription's delivery and close the connection pool.

        Subscriptions stay on the server (it deletes idle ones after its TTL), so a
        client with the same `client_id` can still sync what they queued.
        `close()` is the same method, for code that expects that name.
        """
        with self._ctx.state.disconnecting():
            runtime = self._machinery.take()
            if runtime is not None:
                runtime.stop(self._ctx)
            quiet = self._quiet_context()
            # Not connected (a second disconnect): what is owed waits for a connected one.
            owed = final_ack_flows(quiet) if self._ctx.state.api_root is not None else []
            for flow in owed:
                try:
                    self._driver.drive(flow, quiet)
                except I3XError as exc:  # the server sends those again: nothing is lost
                    logger.info("could not acknowledge delivered updates at disconnect: %s", exc)
            self._driver.close()
            was_connected = self.is_connected
            self._ctx.state.forget_connection()
        callback = self.on_disconnect
        if callback is not None and was_connected:
            callback(self)

    close = disconnect

    def __enter__(self) -> Self:
        self._connect(stacklevel=3)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.disconnect()

    # --------------------------------------------------------------- exploration

    def get_info(self) -> ServerInfo:
        """Read `GET /info` again: spec version, server identity and capabilities."""
        return self._run(get_info_flow(self._ctx))

    def get_namespaces(self) -> list[Namespace]:
        """All namespaces."""
        return self._run(get_namespaces_flow(self._ctx))

    def get_object_types(self, namespace_uri: str | None = None) -> list[ObjectType]:
        """All object types, or those of one namespace."""
        return self._run(get_object_types_flow(self._ctx, namespace_uri))

    def query_object_types(self, element_ids: Iterable[str]) -> list[ObjectType]:
        """Object types by id, in request order.

        Raises:
            BulkError: Some ids failed; `.results` holds the others.
        """
        return self._run(query_object_types_flow(self._ctx, element_ids))

    def get_relationship_types(self, namespace_uri: str | None = None) -> list[RelationshipType]:
        """All relationship types, or those of one namespace."""
        return self._run(get_relationship_types_flow(self._ctx, namespace_uri))

    def query_relationship_types(self, element_ids: Iterable[str]) -> list[RelationshipType]:
        """Relationship types by id, in request order.

        Raises:
            BulkError: Some ids failed; `.results` holds the others.
        """
        return self._run(query_relationship_types_flow(self._ctx, element_ids))

    def get_objects(
        self,
        type_id: str | None = None,
        include_metadata: bool = False,
        root: bool | None = None,
        *,
        type_element_id: str | None = None,
    ) -> list[ObjectInstance]:
        """All objects, or those of one type (`type_id`), or only roots (`root=True`).

        `type_element_id` is the same filter under its i3X 1.0 name.
        """
        return self._run(
            get_objects_flow(self._ctx, type_id, include_metadata, root, type_element_id)
        )

    def get_object(self, element_id: str, include_metadata: bool = False) -> ObjectInstance:
        """One object.

        Raises:
            NotFoundError: No such element.
        """
        return self._run(get_object_flow(self._ctx, element_id, include_metadata))

    def list_objects(
        self, element_ids: Iterable[str], include_metadata: bool = False
    ) -> list[ObjectInstance]:
        """Objects by id, in request order.

        Raises:
            BulkError: Some ids failed; `.results` holds the others.
        """
        return self._run(list_objects_flow(self._ctx, element_ids, include_metadata))

    def get_related_objects(
        self,
        element_ids: Iterable[str],
        relationship_type: str | None = None,
        include_metadata: bool = False,
    ) -> list[RelatedObject]:
        """Objects related to the given ones, over one relationship type or all.

        Each [`RelatedObject`][i3x.RelatedObject] is an [`ObjectInstance`][i3x.ObjectInstance] that also says
        which relationship led to it (`source_relationship`).

        Raises:
            BulkError: Some ids failed; `.results` holds the others' related objects.
        """
        return self._run(
            get_related_objects_flow(self._ctx, element_ids, relationship_type, include_metadata)
        )

    # -------------------------------------------------------------------- values

    def get_value(self, element_id: str, max_depth: int = 1) -> LastKnownValue:
        """The current value of an element.

        Args:
            element_id: The element to read.
            max_depth: How deep to read a composition: 1 reads only the element, N reads
                N levels of components (into `children`), 0 reads every level.

        Raises:
            NotFoundError: No such element.
            ValueError: `element_id` is empty or `max_depth` negative (before any request).
        """
        return self._run(get_value_flow(self._ctx, element_id, max_depth))

    def get_values(
        self, element_ids: Iterable[str], max_depth: int = 1
    ) -> dict[str, LastKnownValue]:
        """Current values by element id, in request order.

        Args:
            element_ids: The elements to read (a list, not a lone string).
            max_depth: How deep to read compositions: 1 reads only the elements, N reads
                N levels of components (into `children`), 0 reads every level.

        Raises:
            BulkError: Some ids failed; `.results` holds the others' values.
        """
        return self._run(get_values_flow(self._ctx, element_ids, max_depth))

    def get_history(
        self,
        element_id: str,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        max_depth: int = 1,
    ) -> LastKnownValue:
        """The history of an element between two times; `data` is the series, oldest first.

        Args:
            start_time: Aware `datetime` or RFC 3339 string; `None` reads from the start.
            end_time: Aware `datetime` or RFC 3339 string; `None` means now (UTC).

        Raises:
            NotFoundError: No such element.
            NotSupportedError: The server keeps no history.
        """
        return self._run(get_history_flow(self._ctx, element_id, start_time, end_time, max_depth))

    def get_histories(
        self,
        element_ids: Iterable[str],
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        max_depth: int = 1,
    ) -> dict[str, LastKnownValue]:
        """The histories of several elements, by element id, in request order.

        Raises:
            BulkError: Some ids failed; `.results` holds the others' histories.
        """
        return self._run(
            get_histories_flow(self._ctx, element_ids, start_time, end_time, max_depth)
        )

    # -------------------------------------------------------------------- writes

    def update_value(
        self,
        element_id: str,
        value: Any,
        quality: str | None = None,
        timestamp: datetime | str | None = None,
    ) -> None:
        """Write the current value of an element.

        `value` is written as the value (a number, a string, a dict such as
        `{"temperature": 72.5}`), with quality Good and the server's time unless
        `quality`/`timestamp` say otherwise. An [`i3x.VQT`][i3x.VQT] is written as
        the VQT it is, and so is a dict whose keys are `value` and at most `quality`
        and `timestamp` (as the 1.0 reference client reads it); to write such a dict
        as the value, wrap it: `i3x.VQT(value={"value": 72.5, "quality": "Good"})`.
        A pydantic model (one `i3x codegen` wrote, say) is written as its JSON form.

        Raises:
            ValueValidationError: With `validate_writes=True`: the value does not fit
                its type's JSON Schema; nothing was sent.
            BadRequestError: The value does not fit the element's type schema.
            NotFoundError: No such element.
        """
        self._run(update_value_flow(self._ctx, element_id, value, quality, timestamp))

    def update_values(
        self, updates: Mapping[str, Any] | Iterable[tuple[str, Any]]
    ) -> list[BulkItem[None]]:
        """Write many current values in one request (values or [`VQT`][i3x.VQT] as in [`update_value()`][i3x.Client.update_value]).

        Returns:
            One item per update, in order (they read by wire name too:
            `item["elementId"]`, as the 1.0 reference client's dicts).

        Raises:
            ValueValidationError: With `validate_writes=True`: values that do not fit
                their types' JSON Schemas, all of them; nothing was sent.
            BulkError: Some writes failed (the others were applied); `.errors` says which.
        """
        return self._run(update_values_flow(self._ctx, updates))

    def update_history(self, element_id: str, value: Any) -> None:
        """Write historical values: a [`VQT`][i3x.VQT] (with timestamp) or a list of them.

        Raises:
            NotSupportedError: The server does not accept history writes.
        """
        self._run(update_history_flow(self._ctx, element_id, value))

    # ---------------------------------------------------- subscriptions (requests)

    def create_subscription(self, display_name: str | None = None) -> str:
        """Create an empty subscription and return its id."""
        return self._run(create_subscription_flow(self._ctx, display_name))

    def register_items(
        self, subscription_id: str, element_ids: Iterable[str], max_depth: int = 0
    ) -> list[BulkItem[Any]]:
        """Monitor elements on a subscription (`max_depth` as for values; 0 = all components).

        Returns:
            One item per id, in order.

        Raises:
            BulkError: Some ids could not be registered; the others were.
        """
        return self._run(register_items_flow(self._ctx, subscription_id, element_ids, max_depth))

    def unregister_items(
        self, subscription_id: str, element_ids: Iterable[str]
    ) -> list[BulkItem[Any]]:
        """Stop monitoring elements (updates already queued stay queued).

        Returns:
            One item per id, in order.
        """
        return self._run(unregister_items_flow(self._ctx, subscription_id, element_ids))

    def get_subscriptions(self) -> list[Subscription]:
        """The subscriptions this client created that the server still has.

        i3X has no "list all": the client tracks the ids it created.
        """
        return self._run(list_subscriptions_flow(self._ctx, None))

    def list_subscriptions(
        self, subscription_ids: Iterable[str] | None = None
    ) -> list[Subscription]:
        """Subscriptions by id (default: those this client created), in request order.

        Raises:
            BulkError: Some ids are unknown (or another client's).
        """
        return self._run(list_subscriptions_flow(self._ctx, subscription_ids))

    def get_subscription(self, subscription_id: str) -> Subscription:
        """One subscription's details.

        Raises:
            NotFoundError: Unknown, expired, or another client's subscription.
        """
        return self._run(get_subscription_flow(self._ctx, subscription_id))

    def delete_subscriptions(self, subscription_ids: Iterable[str]) -> None:
        """Delete subscriptions on the server (without stopping local delivery; see [`unsubscribe()`][i3x.Client.unsubscribe])."""
        self._run(delete_subscriptions_flow(self._ctx, subscription_ids))

    def sync_subscription(
        self,
        subscription: Subscription | str,
        last_sequence_number: int | None = None,
    ) -> SyncResult:
        """Poll the queued updates of a subscription (at least once).

        A plain call acknowledges what the previous call on this subscription
        returned, so you never carry sequence numbers. Pass
        `last_sequence_number` to acknowledge up to a number yourself, or
        `-1` to clear the queue.

        Returns:
            The batches, oldest first; `.gap` is set when the server dropped updates.

        Raises:
            SubscriptionError: This client is streaming the subscription (stop it first).
            NotFoundError: Unknown, expired, or another client's subscription.
        """
        return self._run(sync_subscription_flow(self._ctx, subscription, last_sequence_number))

    # -------------------------------------------------- subscriptions (delivery)

    def subscribe(
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
        """Create a subscription, register the elements and deliver their changes to callbacks.

        Changes go to `on_value_change(client, change)`, notices (a reconnect, a
        gap, a re-created subscription) to `on_error(client, error)`, all on one
        dispatcher thread, in order. Delivery keeps going across dropped
        connections, server restarts and expired subscriptions until
        [`unsubscribe()`][i3x.Client.unsubscribe] or [`disconnect()`][i3x.Client.disconnect].

        Args:
            element_ids: The elements to monitor.
            max_depth: How far below each element changes are followed (0 = all).
            display_name: A friendly name for the subscription.
            mode: `"stream"` (SSE, at most once), `"sync"` (polling with
                acknowledgement, at least once: nothing is lost), or `"auto"`
                (stream when the server offers it).
            poll_interval: Seconds between syncs that brought nothing (sync mode).
            resync: Read current values again after a reconnect or re-creation, so
                that state built from changes is whole again.
            stream_idle_timeout: Reconnect a stream that sent nothing for this long
                (`None`: quiet streams are kept; dead ones are found by TCP keepalive).

        Returns:
            The subscription (pass it to [`unsubscribe()`][i3x.Client.unsubscribe]).

        Raises:
            BulkError: Some elements could not be registered (the subscription is deleted).
        """
        settings = DeliverySettings(mode, poll_interval, resync, stream_idle_timeout)
        sub_id = self._run(subscribe_flow(self._ctx, element_ids, max_depth, display_name))
        # Threads only once the subscription exists: a failed subscribe leaves none behind.
        runtime = self._runtime()
        runtime.loop.call(
            runtime.buffer.put(Delivered(subscribed=subscription_model(self._ctx, sub_id)))
        )
        delivery = self._start_delivery(sub_id, settings, runtime.buffer)
        return subscription_model(self._ctx, sub_id, delivery)

    def unsubscribe(self, subscription: Subscription | str) -> None:
        """Stop delivering a subscription and delete it on the server."""
        key = subscription_key(subscription)
        server_id = self._ctx.state.server_id(key)
        self._stop_delivery(key)
        self._run(delete_quietly_flow(self._ctx, server_id))

    def start_stream(
        self,
        subscription_id: str,
        *,
        mode: Mode = "stream",
        poll_interval: float = 0.5,
        resync: bool = False,
        stream_idle_timeout: float | None = None,
    ) -> None:
        """Deliver an existing subscription's changes to the callbacks.

        Streams (SSE) by default; a server that cannot stream is polled instead.
        """
        key = subscription_key(subscription_id, "subscription_id")
        settings = DeliverySettings(mode, poll_interval, resync, stream_idle_timeout)
        if self._ctx.state.delivery_for(key) is not None:
            return
        if self._ctx.state.api_root is None:
            self._connect(stacklevel=3)
        self._start_delivery(key, settings, self._runtime().buffer)

    def stop_stream(self, subscription_id: str) -> None:
        """Stop delivering a subscription without deleting it.

        In sync mode, updates not yet delivered stay queued on the server for a
        later [`sync_subscription()`][i3x.Client.sync_subscription].
        """
        self._stop_delivery(subscription_key(subscription_id, "subscription_id"))

    @contextmanager
    def subscription(
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
    ) -> Iterator[SubscriptionStream]:
        """A subscription in pull form: iterate over its changes and notices.

        Usage:

        ```python
        with client.subscription(["pump-101-flow"], mode="sync") as changes:
            for change in changes:
                if isinstance(change, i3x.ValueChange):
                    print(change.element_id, change.value)
        ```

        Arguments as for [`subscribe()`][i3x.Client.subscribe]; `buffer_size` bounds what is held
        between the network and your loop. The subscription is deleted when the
        block ends. Iteration also ends when the client disconnects (from another thread);
        the subscription then stays on the server, as `disconnect()` leaves them all.
        """
        settings = DeliverySettings(mode, poll_interval, resync, stream_idle_timeout)
        size = check_positive_int(buffer_size, "buffer_size")
        sub_id = self._run(subscribe_flow(self._ctx, element_ids, max_depth, display_name))
        buffer = ThreadBuffer(self._runtime().loop.loop, size)
        delivery = self._start_delivery(sub_id, settings, buffer, owns_sink=True)
        closed = threading.Event()

        def close() -> None:
            if closed.is_set():
                return
            closed.set()
            server_id = delivery.server_id
            state = self._ctx.state
            try:
                self._stop_delivery(sub_id)
                if not state.leaves_on_server(delivery):
                    self._run(delete_quietly_flow(self._ctx, server_id))
            except (I3XError, concurrent.futures.CancelledError, RuntimeError):
                # A disconnect() from another thread closed the connection or the
                # delivery's loop under us: it leaves the subscription on the server.
                if not state.leaves_on_server(delivery):
                    raise
            finally:
                buffer.close()

        stream = SubscriptionStream(
            subscription_model(self._ctx, sub_id, delivery), buffer, delivery, close
        )
        try:
            yield stream
        finally:
            close()

    # --------------------------------------------------------- delivery plumbing

    def _runtime(self) -> _Runtime:
        return self._machinery.get()

    def _start_delivery(
        self, sub_id: str, settings: DeliverySettings, sink: Sink, *, owns_sink: bool = False
    ) -> Delivery:
        runtime = self._runtime()
        start = start_delivery(
            self._ctx, sub_id, settings, sink, self._start_timeout(), owns_sink=owns_sink
        )
        try:
            return runtime.loop.call(start)
        except BaseException:
            self._machinery.release_if_idle(self._ctx)
            raise

    def _stop_delivery(self, key: str) -> None:
        runtime = self._machinery.current()
        if runtime is not None and runtime.loop.alive:
            runtime.loop.call(stop_delivery(self._ctx, key), STOP_TIMEOUT)
            runtime.dispatcher.wait_idle()


class _Runtime:
    """The sync client's delivery machinery: an event-loop thread and a dispatcher thread."""

    def __init__(self, client: Client) -> None:
        self.loop = LoopThread()
        self.buffer = ThreadBuffer(self.loop.loop)
        self.dispatcher = ThreadDispatcher(client, self.buffer)

    def stop(self, ctx: Context) -> None:
        with ctx.state.lock:
            keys = list(ctx.state.deliveries)
        for key in keys:
            try:
                self.loop.call(stop_delivery(ctx, key, leave=True), STOP_TIMEOUT)
            except (concurrent.futures.TimeoutError, RuntimeError):
                logger.warning("subscription %s did not stop in time", key)
        self.dispatcher.stop()
        self.loop.stop()


class _Machinery:
    """Holds a client's `_Runtime`, started by its first subscription and shared with its
    `with_options()` views, so that the client's `disconnect()` ends what a view started.

    Callbacks get the client itself as their first argument, whichever of its views
    subscribed: a view's options (its timeout, its retries) are the view's own.
    """

    def __init__(self, client: Client) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._runtime: _Runtime | None = None

    def current(self) -> _Runtime | None:
        return self._runtime

    def get(self) -> _Runtime:
        """The runtime, started now if there is none."""
        with self._lock:
            if self._runtime is None:
                self._runtime = _Runtime(self._client)
            return self._runtime

    def take(self) -> _Runtime | None:
        """Hand over the runtime to stop it; the next subscription starts another."""
        with self._lock:
            runtime, self._runtime = self._runtime, None
        return runtime

    def release_if_idle(self, ctx: Context) -> None:
        """Stop the threads when nothing is delivered any more (a failed start)."""
        with self._lock, ctx.state.lock:
            if self._runtime is None or ctx.state.deliveries:
                return
            runtime, self._runtime = self._runtime, None
        runtime.stop(ctx)
