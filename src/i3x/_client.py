"""The synchronous client: :class:`Client` drives the shared flows with blocking sends."""

from __future__ import annotations

import logging
import ssl
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from tenacity import Retrying

from ._base_client import Auth, BaseClient, Batch, Flow, SyncResult, Timeout
from ._constants import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LIMITS,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    RETRYABLE_STATUSES,
)
from ._exceptions import I3XError, status_error
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
from ._retry import retry_args
from ._wire import Call, error_detail, map_transport_error, request_label

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Client"]

logger = logging.getLogger("i3x")

_T = TypeVar("_T")


class Client(BaseClient):
    """A synchronous client for an i3X server.

    Usage::

        with i3x.Client("http://localhost:8080") as client:
            print(client.get_value("pump-101-flow").value)

    Args:
        base_url: The server's base URL, with or without the ``/v1`` prefix.
        auth: Anything httpx takes as ``auth=``; a ``(user, password)`` tuple is HTTP Basic.
        timeout: Seconds per request (or an ``httpx.Timeout``); ``None`` waits forever.
        token: Sent as ``Authorization: Bearer <token>``.
        headers: More headers for every request.
        verify: ``True`` (system CAs), ``False`` (test servers only), a CA bundle path,
            or an ``ssl.SSLContext``.
        cert: A client certificate for mutual TLS: a path, or ``(certfile, keyfile[, password])``.
        proxy: A proxy URL or ``httpx.Proxy``.
        max_retries: Retries after a failed attempt (default 2; 0 turns retrying off).
        client_id: The id that scopes subscriptions (a random one by default).
        batch_size: Element ids per request when a bulk read is split.
        max_concurrency: Batches sent at once (used by the async client).
        limits: The connection pool's limits.
        follow_redirects: Follow HTTP redirects.
        transport: An ``httpx.BaseTransport`` to send through (tests, custom networking).
    """

    def __init__(
        self,
        base_url: str,
        auth: Auth | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        verify: bool | str | ssl.SSLContext = True,
        cert: str | tuple[str, str] | tuple[str, str, str] | None = None,
        proxy: str | httpx.Proxy | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        client_id: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        limits: httpx.Limits = DEFAULT_LIMITS,
        follow_redirects: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            auth,
            timeout,
            token=token,
            headers=headers,
            verify=verify,
            cert=cert,
            proxy=proxy,
            max_retries=max_retries,
            client_id=client_id,
            batch_size=batch_size,
            max_concurrency=max_concurrency,
            limits=limits,
            follow_redirects=follow_redirects,
        )
        self._transport = transport
        self._http: httpx.Client | None = None
        self._sleep: Callable[[float], None] = time.sleep

    # ------------------------------------------------------------------ plumbing

    def _client(self) -> httpx.Client:
        with self._state.lock:
            http = self._state.http
            if not isinstance(http, httpx.Client) or http.is_closed:
                http = httpx.Client(**self._http_kwargs, transport=self._transport)
                self._state.http = http
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
                raise map_transport_error(exc, request) from exc
            logger.debug("%s %s -> %d", *request_label(request), response.status_code)
            if response.status_code in RETRYABLE_STATUSES:
                error = status_error(
                    response.status_code,
                    error_detail(response),
                    method=request.method,
                    url=request_label(request)[1],
                )
                error.retry_after = self._retry_after(response)
                raise error
            return response

        retrying = Retrying(
            **retry_args(
                max_retries=self._options.max_retries, idempotent=call.idempotent, sleep=self._sleep
            )
        )
        response = retrying(attempt)
        return call.parse(response)

    def _outcome(self, call: Call[Any]) -> Any:
        try:
            return self._send(call)
        except I3XError as exc:
            return exc

    def _drive(self, flow: Flow[_T]) -> _T:
        try:
            step = next(flow)
            while True:
                try:
                    if isinstance(step, Batch):
                        outcome: Any = [self._outcome(c) for c in step.calls]
                    else:
                        outcome = self._send(step)
                except I3XError as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(outcome)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def _run(self, flow: Flow[_T]) -> _T:
        if self._state.api_root is None:
            self._connect(stacklevel=4)
        return self._drive(flow)

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
        timeout: Timeout | None = None,
        max_retries: int | None = None,
        batch_size: int | None = None,
    ) -> Self:
        """A view of this client with other request options, for one call or many.

        It shares the connection pool, the connection and the subscriptions::

            client.with_options(timeout=2.0, max_retries=0).get_value("pump-101-flow")
        """
        clone: Self = self._copy_with(timeout, max_retries, batch_size)
        return clone

    # ---------------------------------------------------------------- connection

    @property
    def is_connected(self) -> bool:
        """Whether :meth:`connect` succeeded and :meth:`disconnect` has not been called."""
        return self._state.api_root is not None

    def connect(self) -> ServerInfo:
        """Connect: read ``GET /info`` and learn the server's version and capabilities.

        A base URL without a version segment is tried as given, then with
        ``/v1``. Methods connect on first use, so calling this is optional.

        Returns:
            What the server said about itself (also in :attr:`server_info`).

        Raises:
            UnsupportedVersionError: The server has no ``/info`` (alpha servers).
            InvalidServerResponseError: The URL answers, but not with i3X.
            ConnectionError: The server cannot be reached.
        """
        return self._connect(stacklevel=3)

    def disconnect(self) -> None:
        """Stop every subscription's delivery and close the connection pool."""
        self._stop_delivery()
        with self._state.lock:
            http, self._state.http = self._state.http, None
        if isinstance(http, httpx.Client):
            http.close()
        was_connected = self.is_connected
        self._forget_connection()
        callback = self.on_disconnect
        if callback is not None and was_connected:
            callback(self)

    close = disconnect

    def _stop_delivery(self) -> None:
        """Stop subscription delivery threads (see the subscriptions module)."""

    def __enter__(self) -> Self:
        self._connect(stacklevel=3)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.disconnect()

    # --------------------------------------------------------------- exploration

    def get_info(self) -> ServerInfo:
        """Read ``GET /info`` again: spec version, server identity and capabilities."""
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
            BulkError: Some ids failed; ``.results`` holds the others.
        """
        return self._run(self._query_object_types(element_ids))

    def get_relationship_types(self, namespace_uri: str | None = None) -> list[RelationshipType]:
        """All relationship types, or those of one namespace."""
        return self._run(self._get_relationship_types(namespace_uri))

    def query_relationship_types(self, element_ids: Iterable[str]) -> list[RelationshipType]:
        """Relationship types by id, in request order.

        Raises:
            BulkError: Some ids failed; ``.results`` holds the others.
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
        """All objects, or those of one type (``type_id``), or only roots (``root=True``).

        ``type_element_id`` is the same filter under its i3X 1.0 name.
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
            BulkError: Some ids failed; ``.results`` holds the others.
        """
        return self._run(self._list_objects(element_ids, include_metadata))

    def get_related_objects(
        self,
        element_ids: Iterable[str],
        relationship_type: str | None = None,
        include_metadata: bool = False,
    ) -> list[RelatedObject]:
        """Objects related to the given ones, over one relationship type or all.

        Each :class:`RelatedObject` is an :class:`ObjectInstance` that also says
        which relationship led to it (``source_relationship``).

        Raises:
            BulkError: Some ids failed; ``.results`` holds the others' related objects.
        """
        return self._run(
            self._get_related_objects(element_ids, relationship_type, include_metadata)
        )

    # -------------------------------------------------------------------- values

    def get_value(self, element_id: str, max_depth: int = 1) -> LastKnownValue:
        """The current value of an element (``max_depth``: 1 = only it, N levels, 0 = all).

        Raises:
            NotFoundError: No such element.
        """
        return self._run(self._get_value(element_id, max_depth))

    def get_values(
        self, element_ids: Iterable[str], max_depth: int = 1
    ) -> dict[str, LastKnownValue]:
        """Current values by element id, in request order.

        Raises:
            BulkError: Some ids failed; ``.results`` holds the others' values.
        """
        return self._run(self._get_values(element_ids, max_depth))

    def get_history(
        self,
        element_id: str,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        max_depth: int = 1,
    ) -> LastKnownValue:
        """The history of an element between two times; ``data`` is the series, oldest first.

        Args:
            start_time: Aware ``datetime`` or RFC 3339 string; ``None`` reads from the start.
            end_time: Aware ``datetime`` or RFC 3339 string; ``None`` means now (UTC).

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
            BulkError: Some ids failed; ``.results`` holds the others' histories.
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

        ``value`` is written as the value, whatever it is (a number, a string, a
        dict such as ``{"temperature": 72.5}``), with quality Good and the
        server's time unless ``quality``/``timestamp`` say otherwise. Pass an
        :class:`i3x.VQT` to write an explicit value, quality and timestamp.

        Raises:
            BadRequestError: The value does not fit the element's type schema.
            NotFoundError: No such element.
        """
        self._run(self._update_value(element_id, value, quality, timestamp))

    def update_values(self, updates: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Write many current values in one request (values or :class:`VQT` as in :meth:`update_value`).

        Raises:
            BulkError: Some writes failed (the others were applied); ``.errors`` says which.
        """
        self._run(self._update_values(updates))

    def update_history(self, element_id: str, value: Any) -> None:
        """Write historical values: a :class:`VQT` (with timestamp) or a list of them.

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
    ) -> None:
        """Monitor elements on a subscription (``max_depth`` as for values; 0 = all components).

        Raises:
            BulkError: Some ids could not be registered; the others were.
        """
        self._run(self._register_items(subscription_id, element_ids, max_depth))

    def unregister_items(self, subscription_id: str, element_ids: Iterable[str]) -> None:
        """Stop monitoring elements (updates already queued stay queued)."""
        self._run(self._unregister_items(subscription_id, element_ids))

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
        """Delete subscriptions on the server (without stopping local delivery; see :meth:`unsubscribe`)."""
        self._run(self._delete_subscriptions(subscription_ids))

    def sync_subscription(
        self,
        subscription: Subscription | str,
        last_sequence_number: int | None = None,
    ) -> SyncResult:
        """Poll the queued updates of a subscription (at least once).

        A plain call acknowledges what the previous call on this subscription
        returned, so you never carry sequence numbers. Pass
        ``last_sequence_number`` to acknowledge up to a number yourself, or
        ``-1`` to clear the queue.

        Returns:
            The batches, oldest first; ``.gap`` is set when the server dropped updates.

        Raises:
            SubscriptionError: This client is streaming the subscription (stop it first).
            NotFoundError: Unknown, expired, or another client's subscription.
        """
        return self._run(self._sync_subscription(subscription, last_sequence_number))

    def _check_no_stream(self, subscription_id: str) -> None:
        del subscription_id
