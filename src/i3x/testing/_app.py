"""The Starlette app: every i3X 1.0 endpoint under /v1, the envelopes and the SSE stream.

Middleware, outermost first: gzip (every JSON answer compressed when asked; SSE is left
alone by Starlette), the request log, fault injection, authentication. Errors of any
kind, including unknown routes (404) and wrong methods (405), leave in the i3X failure
envelope, unless a dialect (`_dialects.py`) makes the server answer like another
generation of server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ._dialects import NODE_I3X_BOOLEAN_REFUSAL, Rules
from ._faults import ConnectionCut, FaultMiddleware, Faults, StreamFault
from ._middleware import AuthMiddleware, RequestLog, RequestLogMiddleware
from ._space import QUALITIES, AddressSpace, ObjectType, Quality, Reading, RelationshipType, utc_now
from ._subscriptions import (
    Batch,
    StreamHandle,
    StreamOpenError,
    SubscriptionManager,
    SubscriptionNotFound,
)
from ._wire import (
    ApiError,
    CreateSubscriptionRequest,
    ElementIdsRequest,
    HistoryRequest,
    ObjectsListRequest,
    RegisterRequest,
    RelatedRequest,
    SubscriptionIdsRequest,
    SubscriptionRequest,
    SyncRequest,
    UnregisterRequest,
    UpdateHistoryRequest,
    UpdateValueRequest,
    ValueRequest,
    VQTInput,
    VQTRecord,
    WholeValueUpdateRequest,
    bulk_error,
    bulk_ok,
    bulk_response,
    current_value_json,
    error_body,
    json_response,
    object_json,
    object_type_json,
    parse_json,
    parse_model,
    parse_timestamp,
    relationship_type_json,
    success_response,
    vqt_json,
)

__all__ = ["Capabilities", "EVENTS_PER_WRITE", "SERVER_NAME", "SERVER_VERSION", "build_app"]

SERVER_NAME = "i3x demo server"
SERVER_VERSION = "1.0.0"

_ELEMENT = "elementId"
_SUBSCRIPTION = "subscriptionId"
EVENTS_PER_WRITE = 256
"""By default, the most queued batches one write of a stream's body carries (one event
each): fewer HTTP chunks cost both sides less (`bench/README.md`)."""
_M = TypeVar("_M", bound=BaseModel)

_MISSING: Any = object()
"""A per-item answer meaning "no such id": that item fails with 404."""


@dataclass(frozen=True)
class Capabilities:
    """The optional i3X features a DemoServer offers; off means 501 and false in /info."""

    query_history: bool = True
    update_current: bool = True
    update_history: bool = True
    stream: bool = True


def _quality(text: str | None) -> Quality:
    if text is None:
        return "Good"
    if text not in QUALITIES:
        raise ApiError(400, f"quality: must be one of {', '.join(QUALITIES)}, not {text!r}")
    return text


def _bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ApiError(400, f"{name}: must be true or false, not {raw!r}")


async def _body(request: Request, model: type[_M]) -> _M:
    return parse_model(await request.body(), model)


class _EventStream(StreamingResponse):
    """The SSE body of one subscription stream: queued batches first, then live ones."""

    def __init__(
        self,
        subscriptions: SubscriptionManager,
        handle: StreamHandle,
        *,
        keepalive: float,
        events_per_write: int,
        fault: StreamFault | None,
        shape: Callable[[int, list[dict[str, Any]]], list[dict[str, Any]]],
    ) -> None:
        self._subscriptions = subscriptions
        self._handle = handle
        self._keepalive = keepalive
        self._events_per_write = events_per_write
        self._fault = fault
        self._shape = shape
        super().__init__(
            self._events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the body ended (cleanly, cut, or the client went away), the
            # subscription may be synced again and its TTL starts counting.
            self._subscriptions.close_stream(self._handle)

    async def _events(self) -> AsyncIterator[bytes]:
        handle, fault = self._handle, self._fault
        sent = 0
        while not handle.has_ended():
            limit = self._events_per_write
            if fault is not None:
                if fault.kind == "end" and sent >= fault.events:
                    return
                # No further than the faulty event: the rest stays queued, as asked.
                limit = min(limit, fault.events - sent + (1 if fault.kind == "cut" else 0))
            # Clear before looking at the queue: a batch queued after the look sets it again.
            handle.wake.clear()
            batches = self._subscriptions.next_batches(handle, limit)
            if not batches:
                if handle.has_ended():
                    return
                try:
                    await asyncio.wait_for(handle.wake.wait(), self._keepalive)
                except asyncio.TimeoutError:
                    yield b": keepalive\n\n"
                continue
            events = [self._event(batch) for batch in batches]
            if fault is not None and fault.kind == "cut" and sent + len(events) > fault.events:
                whole, cut = events[: fault.events - sent], events[fault.events - sent]
                yield b"".join(whole) + cut[: len(cut) // 2]
                raise ConnectionCut(f"stream cut in the middle of event {fault.events + 1}")
            # What the queue holds goes out in one body write, several events in one
            # HTTP chunk, as a server does that writes its events to a buffered socket.
            yield b"".join(events)
            sent += len(events)

    def _event(self, batch: Batch) -> bytes:
        items = self._shape(batch.sequence_number, batch.updates)
        payload = json.dumps(items, separators=(",", ":"), ensure_ascii=False)
        return b"data: " + payload.encode() + b"\n\n"


class _Api:
    """The endpoint handlers; one instance per server."""

    def __init__(
        self,
        *,
        space: AddressSpace,
        subscriptions: SubscriptionManager,
        faults: Faults,
        capabilities: Callable[[], Capabilities],
        max_depth_limit: int | None,
        beta: bool,
        keepalive_interval: float,
        events_per_write: int,
        rules: Rules,
    ) -> None:
        self.space = space
        self.subscriptions = subscriptions
        self.faults = faults
        self.capabilities = capabilities
        self.max_depth_limit = max_depth_limit
        self.beta = beta
        self.keepalive_interval = keepalive_interval
        self.events_per_write = events_per_write
        self.rules = rules

    # -- info and types -------------------------------------------------------------------

    async def info(self, request: Request) -> Response:
        caps = self.capabilities()
        version = self.rules.server_version or SERVER_VERSION
        return success_response(
            request.headers,
            {
                "specVersion": "1.0",
                "serverVersion": f"{version}-beta" if self.beta else version,
                "serverName": self.rules.server_name or SERVER_NAME,
                **self.rules.info_extra,
                "capabilities": {
                    "query": {"history": caps.query_history},
                    "update": {"current": caps.update_current, "history": caps.update_history},
                    "subscribe": {"stream": caps.stream},
                },
            },
        )

    async def namespaces(self, request: Request) -> Response:
        return success_response(
            request.headers,
            [{"uri": ns.uri, "displayName": ns.display_name} for ns in self.space.namespaces()],
        )

    async def object_types(self, request: Request) -> Response:
        return _in_namespace(request, self.space.object_types(), object_type_json)

    async def query_object_types(self, request: Request) -> Response:
        return await _query_by_id(
            request, self.space.get_object_type, object_type_json, "Object type"
        )

    async def relationship_types(self, request: Request) -> Response:
        return _in_namespace(request, self.space.relationship_types(), relationship_type_json)

    async def query_relationship_types(self, request: Request) -> Response:
        return await _query_by_id(
            request, self.space.get_relationship_type, relationship_type_json, "Relationship type"
        )

    # -- objects --------------------------------------------------------------------------

    async def objects(self, request: Request) -> Response:
        type_id = request.query_params.get("typeElementId")
        include = bool(_bool_param(request, "includeMetadata"))
        root = _bool_param(request, "root")
        with self.space.lock:
            result = [
                object_json(self.space, obj, include_metadata=include)
                for obj in self.space.objects()
                if (type_id is None or obj.type_id == type_id)
                and (not root or obj.parent_id is None)
            ]
        return success_response(request.headers, result)

    async def list_objects(self, request: Request) -> Response:
        body = await _body(request, ObjectsListRequest)

        def one(eid: str) -> Any:
            obj = self.space.get_object(eid)
            if obj is None:
                return _MISSING
            return object_json(self.space, obj, include_metadata=body.include_metadata)

        with self.space.lock:
            items = _each_element(body.element_ids, map(one, body.element_ids))
        return _bulk_answer(request, items)

    async def related_objects(self, request: Request) -> Response:
        body = await _body(request, RelatedRequest)

        def one(eid: str) -> Any:
            obj = self.space.get_object(eid)
            if obj is None:
                return _MISSING
            related = []
            for rel, targets in obj.relationships.items():
                if body.relationship_type is not None and rel != body.relationship_type:
                    continue
                for target_id in targets:
                    target = self.space.get_object(target_id)
                    assert target is not None
                    related.append(
                        {
                            "sourceRelationship": rel,
                            "object": object_json(
                                self.space, target, include_metadata=body.include_metadata
                            ),
                        }
                    )
            return related

        with self.space.lock:
            items = _each_element(body.element_ids, map(one, body.element_ids))
        return _bulk_answer(request, items)

    # -- values ---------------------------------------------------------------------------

    def _depth(self, requested: int) -> int:
        limit = self.max_depth_limit
        if limit is not None and (requested == 0 or requested > limit):
            return limit
        return requested

    def _cut_short(self, element_id: str, requested: int, served: int) -> bool:
        if requested == served:
            return False
        wanted = self.space.descendants(element_id, requested)
        return len(wanted) > len(self.space.descendants(element_id, served))

    def _partial_detail(self, requested: int, truncated: list[str]) -> str | None:
        if not truncated:
            return None
        return (
            f"maxDepth {requested} goes beyond this server's limit of {self.max_depth_limit}; "
            f"deeper components were left out for: {', '.join(truncated)}"
        )

    async def values(self, request: Request) -> Response:
        if request.method == "PUT" and self.rules.bulk_write == "whole-value":
            return await self._write_whole_values(request)
        if request.method == "PUT":
            return await self._write_values(request)
        body = await _body(request, ValueRequest)
        return self._read_to_depth(
            request, body, lambda eid, depth: current_value_json(self.space, eid, depth)
        )

    def _read_to_depth(
        self,
        request: Request,
        body: ValueRequest,
        read: Callable[[str, int], dict[str, Any]],
    ) -> Response:
        """Values and history: one item per id, `maxDepth` capped by the server's limit (206)."""
        depth = self._depth(body.max_depth)
        truncated: list[str] = []

        def one(eid: str) -> Any:
            obj = self.space.get_object(eid)
            if obj is None:
                return _MISSING
            if self._cut_short(eid, body.max_depth, depth) and eid not in truncated:
                truncated.append(eid)
            if not self.rules.value_is_composition:
                return read(eid, depth)
            return {"isComposition": obj.is_composition, **read(eid, depth)}

        with self.space.lock:
            items = _each_element(body.element_ids, map(one, body.element_ids))
        return _bulk_answer(
            request,
            items,
            partial_detail=self._partial_detail(body.max_depth, truncated),
        )

    async def _write_values(self, request: Request) -> Response:
        if not self.capabilities().update_current:
            raise ApiError(501, "This server does not support writing current values")
        body = await _body(request, UpdateValueRequest)
        now = utc_now()
        accepted: list[tuple[str, Reading]] = []

        def accept(eid: str, value: VQTInput) -> None:
            quality = _quality(value.quality)
            when = now if value.timestamp is None else parse_timestamp(value.timestamp, "timestamp")
            self.space.check_value(eid, value.value, quality)
            accepted.append((eid, Reading(value.value, quality, when)))

        items = self._write_each(body.updates, accept)
        self._store(accepted)
        return _bulk_answer(request, items)

    def _store(self, accepted: list[tuple[str, Reading]], *, check_schema: bool = True) -> None:
        with self.space.lock:
            latest = dict(accepted)
            for eid, reading in accepted:
                # An element written twice in one request: the earlier value is history.
                if latest[eid] is not reading:
                    self.space.insert_history(eid, reading, check_schema=check_schema)
            if latest:
                self.space.apply(latest, check_schema=check_schema)

    async def _write_whole_values(self, request: Request) -> Response:
        """node-i3x's `PUT /objects/value`: each update's whole `value` member is the value.

        A spec VQT is stored as the object it is, quality Good at the server's time,
        without a word; a boolean variable refuses an object with a per-item 403.
        """
        if not self.capabilities().update_current:
            raise ApiError(501, "This server does not support writing current values")
        body = await _body(request, WholeValueUpdateRequest)
        now = utc_now()
        accepted: list[tuple[str, Reading]] = []

        def accept(eid: str, value: Any) -> None:
            try:
                self.space.check_value(eid, value)
            except ValueError:
                if not isinstance(value, dict):
                    raise
                if self._schema_type(eid) == "boolean":
                    raise ApiError(403, NODE_I3X_BOOLEAN_REFUSAL) from None
            accepted.append((eid, Reading(value, "Good", now)))

        items = self._write_each(body.updates, accept)
        self._store(accepted, check_schema=False)
        return _bulk_answer(request, items)

    def _schema_type(self, element_id: str) -> Any:
        obj = self.space.get_object(element_id)
        object_type = self.space.get_object_type(obj.type_id) if obj is not None else None
        return object_type.schema.get("type") if object_type is not None else None

    async def history(self, request: Request) -> Response:
        if request.method == "PUT":
            return await self._write_history(request)
        if not self.capabilities().query_history:
            raise ApiError(501, "This server does not support history queries")
        body = await _body(request, HistoryRequest)
        start = parse_timestamp(body.start_time, "startTime")
        end = parse_timestamp(body.end_time, "endTime")
        if start > end:
            raise ApiError(400, "startTime must not be after endTime")

        def series(eid: str) -> list[dict[str, Any]]:
            return [vqt_json(r) for r in self.space.get_history(eid, start, end)]

        def read(eid: str, depth: int) -> dict[str, Any]:
            result: dict[str, Any] = {"values": series(eid)}
            below = self.space.descendants(eid, depth)
            if below:
                result["components"] = {cid: {"values": series(cid)} for cid, _ in below}
            return result

        return self._read_to_depth(request, body, read)

    async def _write_history(self, request: Request) -> Response:
        if not self.capabilities().update_history:
            raise ApiError(501, "This server does not support writing history")
        body = await _body(request, UpdateHistoryRequest)

        def insert(eid: str, value: VQTRecord) -> None:
            when = parse_timestamp(value.timestamp, "timestamp")
            self.space.insert_history(eid, Reading(value.value, _quality(value.quality), when))

        return _bulk_answer(request, self._write_each(body.updates, insert))

    def _write_each(
        self,
        updates: Iterable[Any],
        write: Callable[[str, Any], None],
    ) -> list[dict[str, Any]]:
        """One bulk item per update: 404 for an unknown element, 400 for a value `write`
        refuses (or the status of the `ApiError` it raises)."""
        items = []
        for update in updates:
            eid = update.element_id
            if eid not in self.space:
                items.append(bulk_error(_ELEMENT, eid, 404, f"Element not found: {eid}"))
                continue
            try:
                write(eid, update.value)
            except ApiError as err:
                items.append(bulk_error(_ELEMENT, eid, err.status, err.detail))
            except ValueError as err:
                items.append(bulk_error(_ELEMENT, eid, 400, str(err)))
            else:
                items.append(bulk_ok(_ELEMENT, eid, None))
        return items

    async def beta_write_value(self, request: Request) -> Response:
        """Beta-era `PUT /objects/{elementId}/value`: the body is the bare new value."""
        if not self.capabilities().update_current:
            raise ApiError(501, "This server does not support writing current values")
        eid = request.path_params["elementId"]
        value = parse_json(await request.body())
        if eid not in self.space:
            raise ApiError(404, f"Element not found: {eid}")
        try:
            self.space.set_value(eid, value)
        except ValueError as err:
            raise ApiError(400, str(err)) from err
        # The beta answer's fields, plus `result` so that a 1.0 envelope parser accepts it.
        return json_response(
            request.headers,
            {"success": True, "elementId": eid, "message": "Updated successfully", "result": None},
        )

    async def element_write_value(self, request: Request) -> Response:
        """An earlier generation's `PUT /objects/{elementId}/value`: the body is a VQT."""
        if not self.capabilities().update_current:
            raise ApiError(501, "This server does not support writing current values")
        eid = request.path_params["elementId"]
        body = await _body(request, VQTInput)
        if eid not in self.space:
            raise ApiError(404, f"Element not found: {eid}")
        quality = _quality(body.quality)
        when = utc_now() if body.timestamp is None else parse_timestamp(body.timestamp, "timestamp")
        try:
            self.space.set_value(eid, body.value, quality, when)
        except ValueError as err:
            raise ApiError(400, str(err)) from err
        return success_response(request.headers, None)

    def _is_composition(self, element_id: str) -> bool:
        obj = self.space.get_object(element_id)
        return obj is not None and obj.is_composition

    def _stream_items(self, seq: int, updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            self.rules.update(u, seq, self._is_composition(u["elementId"]), stream=True)
            for u in updates
        ]

    # -- subscriptions --------------------------------------------------------------------

    async def create_subscription(self, request: Request) -> Response:
        body = await _body(request, CreateSubscriptionRequest)
        return success_response(
            request.headers, self.subscriptions.create(body.client_id, body.display_name)
        )

    async def register(self, request: Request) -> Response:
        body = await _body(request, RegisterRequest)
        depth = 1 if body.max_depth is None else body.max_depth
        known = self.subscriptions.register(
            body.client_id, body.subscription_id, body.element_ids, depth
        )
        items = _each_element(body.element_ids, _done(known))
        return _bulk_answer(request, items)

    async def unregister(self, request: Request) -> Response:
        body = await _body(request, UnregisterRequest)
        found = self.subscriptions.unregister(
            body.client_id, body.subscription_id, body.element_ids
        )
        items = _each(
            _ELEMENT,
            body.element_ids,
            _done(found),
            "Element is not monitored by this subscription",
        )
        return _bulk_answer(request, items)

    async def list_subscriptions(self, request: Request) -> Response:
        body = await _body(request, SubscriptionIdsRequest)
        details = self.subscriptions.details(body.client_id, body.subscription_ids)
        items = _each(
            _SUBSCRIPTION,
            body.subscription_ids,
            (_MISSING if detail is None else detail for detail in details),
            "Subscription not found",
        )
        return _bulk_answer(request, items)

    async def delete_subscriptions(self, request: Request) -> Response:
        body = await _body(request, SubscriptionIdsRequest)
        deleted = self.subscriptions.delete(body.client_id, body.subscription_ids)
        items = _each(
            _SUBSCRIPTION,
            body.subscription_ids,
            _done(deleted),
            "Subscription not found",
        )
        return _bulk_answer(request, items)

    async def sync(self, request: Request) -> Response:
        body = await _body(request, SyncRequest)
        result = self.subscriptions.sync(
            body.client_id, body.subscription_id, body.last_sequence_number
        )
        batches = self.rules.sync_result(
            [(b.sequence_number, b.updates) for b in result.batches], self._is_composition
        )
        if result.lost is None:
            return success_response(request.headers, batches)
        first, last = result.lost
        lost = (
            f"sequence number {first}" if first == last else f"sequence numbers {first} to {last}"
        )
        detail = (
            f"The subscription queue overflowed: the batches with {lost} were dropped "
            "(oldest first) and are lost."
        )
        return json_response(
            request.headers,
            {"success": True, "result": batches, "responseDetail": error_body(206, detail)},
            status=206,
        )

    async def stream(self, request: Request) -> Response:
        if not self.capabilities().stream:
            raise ApiError(501, "This server does not support streaming; use sync")
        body = await _body(request, SubscriptionRequest)
        handle = self.subscriptions.open_stream(
            body.client_id, body.subscription_id, asyncio.get_running_loop()
        )
        return _EventStream(
            self.subscriptions,
            handle,
            keepalive=self.keepalive_interval,
            events_per_write=self.events_per_write,
            fault=self.faults.take_stream_fault(),
            shape=self._stream_items,
        )


async def _on_subscription_not_found(request: Request, exc: Exception) -> Response:
    return _failure(request, 404, f"Subscription not found: {exc.args[0]}", {})


async def _on_stream_open(request: Request, exc: Exception) -> Response:
    detail = f"A stream is open on subscription {exc.args[0]}; close the stream before calling sync"
    return _failure(request, 400, detail, {})


def _rules(request: Request) -> Rules:
    rules: Rules = request.app.state.rules
    return rules


def _failure(request: Request, status: int, detail: str, headers: dict[str, str]) -> Response:
    body = _rules(request).failure_body(status, detail, error_body)
    return json_response(request.headers, body, status=status, headers=headers)


def _bulk_answer(
    request: Request, items: Sequence[Mapping[str, Any]], *, partial_detail: str | None = None
) -> Response:
    """The bulk envelope, its failed items shaped as the dialect sends them."""
    rules = _rules(request)
    return bulk_response(
        request.headers, [rules.failed_item(i) for i in items], partial_detail=partial_detail
    )


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _failure(request, exc.status, exc.detail, exc.headers)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    plain = None
    if exc.status_code in (404, 405):
        plain = _rules(request).route_failure(exc.status_code, request.method, request.url.path)
    if plain is not None:
        status, body = plain
        return json_response(request.headers, body, status=status, headers=headers)
    if exc.status_code == 404:
        detail = f"No such endpoint: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = (
            f"Method {request.method} is not allowed on {request.url.path}; "
            f"allowed: {headers.get('Allow', 'none')}"
        )
    else:
        detail = exc.detail
    return _failure(request, exc.status_code, detail, headers)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    return _failure(request, 500, f"Internal server error ({type(exc).__name__})", {})


_Typed = TypeVar("_Typed", ObjectType, RelationshipType)


def _in_namespace(
    request: Request, types: Iterable[_Typed], to_json: Callable[[_Typed], dict[str, Any]]
) -> Response:
    """`GET /objecttypes` and `GET /relationshiptypes`, filtered by `namespaceUri`."""
    uri = request.query_params.get("namespaceUri")
    return success_response(
        request.headers, [to_json(t) for t in types if uri is None or t.namespace_uri == uri]
    )


async def _query_by_id(
    request: Request,
    find: Callable[[str], _Typed | None],
    to_json: Callable[[_Typed], dict[str, Any]],
    what: str,
) -> Response:
    """`POST /objecttypes/query` and `POST /relationshiptypes/query`: one item per id."""
    body = await _body(request, ElementIdsRequest)
    found = map(find, body.element_ids)
    results = (_MISSING if typed is None else to_json(typed) for typed in found)
    return _bulk_answer(request, _each(_ELEMENT, body.element_ids, results, f"{what} not found"))


def _each(
    key: str, ids: Iterable[str], results: Iterable[Any], missing: str
) -> list[dict[str, Any]]:
    """One bulk item per id, in request order; a `_MISSING` result is a 404 "<missing>: <id>"."""
    return [
        bulk_error(key, identifier, 404, f"{missing}: {identifier}")
        if result is _MISSING
        else bulk_ok(key, identifier, result)
        for identifier, result in zip(ids, results, strict=True)
    ]


def _done(succeeded: Iterable[bool]) -> Iterator[Any]:
    """Per-item answers of an action that returns no result: True is done, False no such id."""
    return (None if ok else _MISSING for ok in succeeded)


def _each_element(ids: Iterable[str], results: Iterable[Any]) -> list[dict[str, Any]]:
    return _each(_ELEMENT, ids, results, "Element not found")


def build_app(
    *,
    space: AddressSpace,
    subscriptions: SubscriptionManager,
    faults: Faults,
    requests: RequestLog,
    capabilities: Callable[[], Capabilities],
    token: str | None,
    basic_auth: tuple[str, str] | None,
    max_depth_limit: int | None,
    beta: bool,
    keepalive_interval: float,
    events_per_write: int,
    rules: Rules,
) -> Starlette:
    """Assemble the ASGI app of one server."""
    api = _Api(
        space=space,
        subscriptions=subscriptions,
        faults=faults,
        capabilities=capabilities,
        max_depth_limit=max_depth_limit,
        beta=beta,
        keepalive_interval=keepalive_interval,
        events_per_write=events_per_write,
        rules=rules,
    )
    value_methods = ["POST"] if rules.bulk_write == "absent" else ["POST", "PUT"]
    routes = [
        Route("/v1/info", api.info, methods=["GET"]),
        Route("/v1/namespaces", api.namespaces, methods=["GET"]),
        Route("/v1/objecttypes", api.object_types, methods=["GET"]),
        Route("/v1/objecttypes/query", api.query_object_types, methods=["POST"]),
        Route("/v1/relationshiptypes", api.relationship_types, methods=["GET"]),
        Route("/v1/relationshiptypes/query", api.query_relationship_types, methods=["POST"]),
        Route("/v1/objects", api.objects, methods=["GET"]),
        Route("/v1/objects/list", api.list_objects, methods=["POST"]),
        Route("/v1/objects/related", api.related_objects, methods=["POST"]),
        Route("/v1/objects/value", api.values, methods=value_methods),
        Route("/v1/objects/history", api.history, methods=["POST", "PUT"]),
        Route("/v1/subscriptions", api.create_subscription, methods=["POST"]),
        Route("/v1/subscriptions/register", api.register, methods=["POST"]),
        Route("/v1/subscriptions/unregister", api.unregister, methods=["POST"]),
        Route("/v1/subscriptions/list", api.list_subscriptions, methods=["POST"]),
        Route("/v1/subscriptions/delete", api.delete_subscriptions, methods=["POST"]),
        Route("/v1/subscriptions/sync", api.sync, methods=["POST"]),
        Route("/v1/subscriptions/stream", api.stream, methods=["POST"]),
    ]
    if beta:
        routes.append(
            Route("/v1/objects/{elementId:path}/value", api.beta_write_value, methods=["PUT"])
        )
    elif rules.element_write:
        routes.append(
            Route("/v1/objects/{elementId:path}/value", api.element_write_value, methods=["PUT"])
        )
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(GZipMiddleware, minimum_size=0),
            Middleware(RequestLogMiddleware, log=requests),
            Middleware(FaultMiddleware, faults=faults),
            Middleware(AuthMiddleware, token=token, basic_auth=basic_auth),
        ],
        exception_handlers={
            ApiError: _on_api_error,
            SubscriptionNotFound: _on_subscription_not_found,
            StreamOpenError: _on_stream_open,
            HTTPException: _on_http_error,
            Exception: _on_unexpected,
        },
    )
    app.state.rules = rules
    return app
