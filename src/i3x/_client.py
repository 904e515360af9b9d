"""The synchronous client: `Client` drives the shared flows with blocking sends."""

from __future__ import annotations

import concurrent.futures
import logging
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from tenacity import Retrying

from ._base_client import (
    NOT_GIVEN,
    BaseClient,
    Batch,
    Connected,
    Done,
    Flow,
    NotGiven,
    Step,
    SyncResult,
    Timeout,
    first_step,
)
from ._checks import check_positive_int, subscription_key
from ._exceptions import I3XError
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
from ._retry import raise_if_retryable, replaying
from ._streaming import (
    STOP_TIMEOUT,
    Delivery,
    LoopThread,
    SubscriptionStream,
    ThreadBuffer,
    ThreadDispatcher,
    start_delivery,
    stop_delivery,
)
from ._subscriptions import Delivered, DeliverySettings, Mode
from ._wire import Call, map_transport_error, release, request_label

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Client"]

logger = logging.getLogger("i3x")

_T = TypeVar("_T")


class Client(BaseClient):
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
    """

    _transport_type = httpx.BaseTransport
    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    # ------------------------------------------------------------------ plumbing

    def _client(self) -> httpx.Client:
        with self._state.lock:
            http = self._pool.http
            if not isinstance(http, httpx.Client) or http.is_closed:
                http = httpx.Client(**self._http_settings(), transport=self._transport)
                self._pool.http = http
            return http

    def _send(self, call: Call[_T]) -> _T:
        http = self._client()
        request = http.build_request(
            call.method,
            self._url(call),
            params=call.params,
            json=call.json,
            timeout=self._options.timeout,
        )

        def attempt() -> httpx.Response:
            try:
                response = http.send(request)
            except (httpx.HTTPError, OSError, ssl.SSLError) as exc:
                raise map_transport_error(exc, request)  # noqa: B904 (it sets its cause)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("%s %s -> %d", *request_label(request), response.status_code)
            return raise_if_retryable(response)

        try:
            response = attempt()
        except I3XError as exc:
            if not self._may_retry(exc, call):
                raise
            failed: I3XError | None = exc
        else:
            failed = None
        if failed is not None:
            response = Retrying(**self._retry_args(call))(replaying(failed, attempt))
        try:
            return call.parse(response)
        finally:
            release(response)

    def _outcome(self, call: Call[Any]) -> Any:
        try:
            return self._send(call)
        except I3XError as exc:
            return exc

    def _drive(self, flow: Flow[_T], step: Step | None = None) -> _T:
        try:
            if step is None:
                step = next(flow)
            while True:
                try:
                    if isinstance(step, Batch):
                        outcome: Any = [self._outcome(c) for c in step.calls]
                    elif isinstance(step, Connected):
                        outcome = None
                    else:
                        outcome = self._send(step)
                except I3XError as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(outcome)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def _run(self, flow: Flow[_T]) -> _T:
        step = first_step(flow)
        if isinstance(step, Done):
            return step.value  # type: ignore[no-any-return]
        if self._state.api_root is None:
            self._connect(stacklevel=4)
        return self._drive(flow, step)

    def _connect(self, *, stacklevel: int) -> ServerInfo:
        info = self._drive(self._connect_flow())
        for message in self._take_warnings():
            warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)
        callback = self.on_connect
        if callback is not None:
            callback(self)
        return info

    def with_options(
        self,
        *,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        batch_size: int | None = None,
    ) -> Self:
        """A view of this client with other request options, for one call or many.

        It shares the connection pool, the connection and the subscriptions:

        ```python
        client.with_options(timeout=2.0, max_retries=0).get_value("pump-101-flow")
        ```

        An argument left out keeps the client's setting; `timeout=None` turns the
        timeout off (as it does for the client), for a long history read, say.
        """
        clone: Self = self._copy_with(timeout, max_retries, batch_size)
        return clone

    # ---------------------------------------------------------------- connection

    @property
    def is_connected(self) -> bool:
        """Whether [`connect()`][i3x.Client.connect] succeeded and [`disconnect()`][i3x.Client.disconnect] has not been called."""
        return self._state.api_root is not None

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
        with self._state.lock:
            deliveries = list(self._state.deliveries.values())
        runtime = self._state.runtime
        if runtime is not None:
            self._state.runtime = None
            runtime.stop(self)
        for flow in self._final_acks(deliveries):
            try:
                self.with_options(max_retries=0)._run(flow)
            except I3XError as exc:  # the server sends those updates again: nothing is lost
                logger.info("could not acknowledge delivered updates at disconnect: %s", exc)
        with self._state.lock:
            http, self._pool.http = self._pool.http, None
        if isinstance(http, httpx.Client):
            http.close()
        was_connected = self.is_connected
        self._forget_connection()
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
        return self._run(self._get_info())

    def get_namespaces(self) -> list[Namespace]:
        """All namespaces."""
        return self._run(self._get_namespaces())

    def get_object_types(self, namespace_uri: str | None = None) -> list[ObjectType]:
        """All object types, or those of one namespace."""
        return self._run(self._get_object_types(namespace_uri))

    def query_object_types(self, element_ids: Iterable[str]) -> list[ObjectType]:
        """Object types by id, in request order.

        Raises:
            BulkError: Some ids failed; `.results` holds the others.
        """
        return self._run(self._query_object_types(element_ids))

    def get_relationship_types(self, namespace_uri: str | None = None) -> list[RelationshipType]:
        """All relationship types, or those of one namespace."""
        return self._run(self._get_relationship_types(namespace_uri))

    def query_relationship_types(self, element_ids: Iterable[str]) -> list[RelationshipType]:
        """Relationship types by id, in request order.

        Raises:
            BulkError: Some ids failed; `.results` holds the others.
        """
        return self._run(self._query_relationship_types(element_ids))

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
        return self._run(self._get_objects(type_id, include_metadata, root, type_element_id))

    def get_object(self, element_id: str, include_metadata: bool = False) -> ObjectInstance:
        """One object.

        Raises:
            NotFoundError: No such element.
        """
        return self._run(self._get_object(element_id, include_metadata))

    def list_objects(
        self, element_ids: Iterable[str], include_metadata: bool = False
    ) -> list[ObjectInstance]:
        """Objects by id, in request order.

        Raises:
            BulkError: Some ids failed; `.results` holds the others.
        """
        return self._run(self._list_objects(element_ids, include_metadata))

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
            self._get_related_objects(element_ids, relationship_type, include_metadata)
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
        return self._run(self._get_value(element_id, max_depth))

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
        return self._run(self._get_values(element_ids, max_depth))

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
        return self._run(self._get_history(element_id, start_time, end_time, max_depth))

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
        return self._run(self._get_histories(element_ids, start_time, end_time, max_depth))

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

        Raises:
            BadRequestError: The value does not fit the element's type schema.
            NotFoundError: No such element.
        """
        self._run(self._update_value(element_id, value, quality, timestamp))

    def update_values(
        self, updates: Mapping[str, Any] | Iterable[tuple[str, Any]]
    ) -> list[dict[str, Any]]:
        """Write many current values in one request (values or [`VQT`][i3x.VQT] as in [`update_value()`][i3x.Client.update_value]).

        Returns:
            One item per update, in order: `{"success": True, "elementId": ..., "result": None}`.

        Raises:
            BulkError: Some writes failed (the others were applied); `.errors` says which.
        """
        return self._run(self._update_values(updates))

    def update_history(self, element_id: str, value: Any) -> None:
        """Write historical values: a [`VQT`][i3x.VQT] (with timestamp) or a list of them.

        Raises:
            NotSupportedError: The server does not accept history writes.
        """
        self._run(self._update_history(element_id, value))

    # ---------------------------------------------------- subscriptions (requests)

    def create_subscription(self, display_name: str | None = None) -> str:
        """Create an empty subscription and return its id."""
        return self._run(self._create_subscription(display_name))

    def register_items(
        self, subscription_id: str, element_ids: Iterable[str], max_depth: int = 0
    ) -> list[dict[str, Any]]:
        """Monitor elements on a subscription (`max_depth` as for values; 0 = all components).

        Returns:
            One item per id, in order: `{"success": True, "elementId": ..., "result": ...}`.

        Raises:
            BulkError: Some ids could not be registered; the others were.
        """
        return self._run(self._register_items(subscription_id, element_ids, max_depth))

    def unregister_items(
        self, subscription_id: str, element_ids: Iterable[str]
    ) -> list[dict[str, Any]]:
        """Stop monitoring elements (updates already queued stay queued).

        Returns:
            One item per id, in order: `{"success": True, "elementId": ..., "result": ...}`.
        """
        return self._run(self._unregister_items(subscription_id, element_ids))

    def get_subscriptions(self) -> list[Subscription]:
        """The subscriptions this client created that the server still has.

        i3X has no "list all": the client tracks the ids it created.
        """
        return self._run(self._list_subscriptions(None))

    def list_subscriptions(
        self, subscription_ids: Iterable[str] | None = None
    ) -> list[Subscription]:
        """Subscriptions by id (default: those this client created), in request order.

        Raises:
            BulkError: Some ids are unknown (or another client's).
        """
        return self._run(self._list_subscriptions(subscription_ids))

    def get_subscription(self, subscription_id: str) -> Subscription:
        """One subscription's details.

        Raises:
            NotFoundError: Unknown, expired, or another client's subscription.
        """
        return self._run(self._get_subscription(subscription_id))

    def delete_subscriptions(self, subscription_ids: Iterable[str]) -> None:
        """Delete subscriptions on the server (without stopping local delivery; see [`unsubscribe()`][i3x.Client.unsubscribe])."""
        self._run(self._delete_subscriptions(subscription_ids))

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
        return self._run(self._sync_subscription(subscription, last_sequence_number))

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
        sub_id = self._run(self._subscribe_flow(element_ids, max_depth, display_name))
        # Threads only once the subscription exists: a failed subscribe leaves none behind.
        runtime = self._runtime()
        runtime.loop.call(
            runtime.buffer.put(Delivered(subscribed=self._subscription_model(sub_id)))
        )
        delivery = self._start_delivery(sub_id, settings, runtime.buffer)
        return self._subscription_model(sub_id, delivery)

    def unsubscribe(self, subscription: Subscription | str) -> None:
        """Stop delivering a subscription and delete it on the server."""
        key = subscription_key(subscription)
        server_id = self._server_id(key)
        self._stop_delivery(key)
        self._run(self._delete_quietly(server_id))

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
        if self._delivery_for(key) is not None:
            return
        if self._state.api_root is None:
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
        block ends.
        """
        settings = DeliverySettings(mode, poll_interval, resync, stream_idle_timeout)
        size = check_positive_int(buffer_size, "buffer_size")
        sub_id = self._run(self._subscribe_flow(element_ids, max_depth, display_name))
        buffer = ThreadBuffer(self._runtime().loop.loop, size)
        delivery = self._start_delivery(sub_id, settings, buffer)
        closed = threading.Event()

        def close() -> None:
            if closed.is_set():
                return
            closed.set()
            server_id = delivery.server_id
            self._stop_delivery(sub_id)
            buffer.close()
            self._run(self._delete_quietly(server_id))

        stream = SubscriptionStream(
            self._subscription_model(sub_id, delivery), buffer, delivery, close
        )
        try:
            yield stream
        finally:
            close()

    # --------------------------------------------------------- delivery plumbing

    def _runtime(self) -> _Runtime:
        with self._state.lock:
            runtime = self._state.runtime
            if runtime is None:
                runtime = _Runtime(self)
                self._state.runtime = runtime
            return runtime  # type: ignore[no-any-return]

    def _start_delivery(self, sub_id: str, settings: DeliverySettings, sink: Any) -> Delivery:
        timeout = self._options.timeout.connect or 10.0
        runtime = self._runtime()
        try:
            return runtime.loop.call(start_delivery(self, sub_id, settings, sink, timeout))
        except BaseException:
            self._release_idle_runtime()
            raise

    def _release_idle_runtime(self) -> None:
        """Stop the delivery threads when nothing is delivered any more."""
        with self._state.lock:
            runtime = self._state.runtime
            if runtime is None or self._state.deliveries:
                return
            self._state.runtime = None
        runtime.stop(self)

    def _stop_delivery(self, key: str) -> None:
        runtime = self._state.runtime
        if runtime is not None and runtime.loop.alive:
            runtime.loop.call(stop_delivery(self, key), STOP_TIMEOUT)
            runtime.dispatcher.wait_idle()


class _Runtime:
    """The sync client's delivery machinery: an event-loop thread and a dispatcher thread."""

    def __init__(self, client: Client) -> None:
        self.loop = LoopThread()
        self.buffer = ThreadBuffer(self.loop.loop)
        self.dispatcher = ThreadDispatcher(client, self.buffer)

    def stop(self, client: Client) -> None:
        with client._state.lock:
            keys = list(client._state.deliveries)
        for key in keys:
            try:
                self.loop.call(stop_delivery(client, key), STOP_TIMEOUT)
            except (concurrent.futures.TimeoutError, RuntimeError):
                logger.warning("subscription %s did not stop in time", key)
        self.dispatcher.stop()
        self.loop.stop()
