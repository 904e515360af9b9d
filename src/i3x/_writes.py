"""Writing values: current values (routed by the server profile) and history, as flows.

A value is written as given: an `i3x.VQT` as a VQT, anything else (a number, a string,
a dict such as `{"temperature": 72.5}`) as the value itself. How it goes on the wire
depends on the server (`i3x._profiles`): one bulk `PUT /objects/value`, or one
`PUT /objects/{id}/value` per element, with a VQT or the bare value. A bulk route that
turns out to be missing is remembered, and writes go per element from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from ._checks import check_id, check_time, vqt_parts
from ._exceptions import BulkError, I3XError, NotSupportedError
from ._flows import CONNECTED, Batch, Context, Flow
from ._models import VQT, BulkItem
from ._profiles import (
    ServerProfile,
    refuse_unstorable,
    route_is_missing,
    update_body,
    without_bulk_route,
)
from ._wire import (
    Call,
    bulk_results,
    decode_bulk,
    error_detail,
    raise_for_failure,
    request_label,
    succeeded,
)

__all__ = [
    "update_history_flow",
    "update_value_flow",
    "update_values_flow",
    "vqt_body",
]

logger = logging.getLogger("i3x")


def vqt_body(
    value: Any,
    quality: str | None,
    timestamp: Any,
    *,
    require_timestamp: bool = False,
    name: str = "value",
) -> dict[str, Any]:
    """The wire VQT for a write.

    A `VQT` is written as the VQT it is, and so is a VQT-shaped dict (`vqt_parts()`);
    anything else (a number, a string, a dict such as `{"temperature": 72.5}`...) is
    the value itself.
    """
    value, quality, timestamp = vqt_parts(value, quality, timestamp, name)
    if isinstance(value, VQT):
        body: dict[str, Any] = {"value": value.value, "quality": value.quality}
        if value.timestamp is not None:
            body["timestamp"] = check_time(value.timestamp, f"{name}.timestamp")
    else:
        body = {"value": value}
    if quality is not None:
        body["quality"] = check_id(quality, "quality")
    if timestamp is not None:
        body["timestamp"] = check_time(timestamp, "timestamp")
    if require_timestamp and "timestamp" not in body:
        raise ValueError(f"{name} needs a timestamp: history entries are placed in time")
    return body


def _write_values_flow(ctx: Context, updates: list[tuple[str, dict[str, Any]]]) -> Flow[None]:
    """Write current values the way the server's profile says (see `i3x.ServerProfile`).

    A bulk profile whose route turns out to be missing (405, or a 404 that is not
    an i3X answer) becomes its per-element twin for this client from then on,
    unless the user chose the profile; a failed item never counts as a missing route.
    """
    yield CONNECTED  # the profile comes from the server
    profile = ctx.state.profile or ctx.config.server_profile or ServerProfile.SPEC
    refuse_unstorable(profile, updates)
    if not profile.per_element:
        written = yield from _bulk_writes_flow(ctx, profile, updates)
        if written:
            return
        profile = _learn_no_bulk_route(ctx, profile)
    yield from _element_writes_flow(profile, updates)


def _bulk_writes_flow(
    ctx: Context, profile: ServerProfile, updates: list[tuple[str, dict[str, Any]]]
) -> Flow[bool]:
    """One `PUT /objects/value` for every update; `False` when the route is missing."""
    keys = [k for k, _ in updates]

    def parse(response: httpx.Response) -> bool:
        if route_is_missing(response):
            if ctx.config.server_profile is None:
                return False
            method, url = request_label(response.request)
            raise NotSupportedError(
                f"the server has no bulk write route (HTTP {response.status_code}), and "
                f"server_profile={profile.value!r} was given: pass "
                f"server_profile={without_bulk_route(profile).value!r}, or leave it out "
                "to let the client choose",
                response.status_code,
                detail=error_detail(response).detail,
                method=method,
                url=url,
            )
        envelope = decode_bulk(response, Any, "writes")
        bulk_results(response, envelope, keys, what="writes")
        return True

    body = {"updates": [{"elementId": k, "value": update_body(profile, v)} for k, v in updates]}
    written: bool = yield Call("PUT", "/objects/value", parse=parse, json=body, idempotent=False)
    return written


def _learn_no_bulk_route(ctx: Context, profile: ServerProfile) -> ServerProfile:
    """Remember, for this client and its views, that the server has no bulk write."""
    learned = without_bulk_route(profile)
    with ctx.state.lock:
        ctx.state.profile = learned
    logger.debug(
        "server profile %r for %s: PUT /objects/value is not there, writing per element",
        learned.value,
        ctx.config.base_url,
    )
    return learned


def _element_writes_flow(
    profile: ServerProfile, updates: list[tuple[str, dict[str, Any]]]
) -> Flow[None]:
    # One PUT /objects/{id}/value per element, sent concurrently by the async client.
    def call_for(key: str, vqt: dict[str, Any]) -> Call[Any]:
        def parse(response: httpx.Response) -> None:
            if route_is_missing(response):
                method, url = request_label(response.request)
                raise NotSupportedError(
                    f"{key}: the server takes no writes of current values: neither "
                    f"PUT /objects/value nor PUT /objects/{{elementId}}/value is there "
                    f"(HTTP {response.status_code})",
                    response.status_code,
                    detail=error_detail(response).detail,
                    method=method,
                    url=url,
                )
            raise_for_failure(response, context=key)

        return Call(
            "PUT",
            f"/objects/{quote(key, safe='')}/value",
            parse=parse,
            json=update_body(profile, vqt),
            idempotent=False,
        )

    if len(updates) == 1:
        yield call_for(*updates[0])
        return
    outcomes = yield Batch(tuple(call_for(k, v) for k, v in updates))
    errors = {k: o for (k, _), o in zip(updates, outcomes, strict=True) if isinstance(o, I3XError)}
    if errors:
        items: list[BulkItem[Any]] = [
            BulkItem(success=k not in errors, element_id=k) for k, _ in updates
        ]
        raise BulkError(
            f"{len(errors)} of {len(updates)} writes failed: "
            + "; ".join(f"{k!r}: {e.message}" for k, e in errors.items()),
            items=items,
            errors=errors,
            results={k: None for k, _ in updates if k not in errors},
        )


def update_value_flow(
    ctx: Context, element_id: str, value: Any, quality: str | None, timestamp: Any
) -> Flow[None]:
    key = check_id(element_id, "element_id")
    body = vqt_body(value, quality, timestamp)
    try:
        yield from _write_values_flow(ctx, [(key, body)])
    except BulkError as exc:
        raise exc.errors[key] from None


def update_values_flow(
    ctx: Context, updates: Mapping[str, Any] | Iterable[tuple[str, Any]]
) -> Flow[list[BulkItem[None]]]:
    given: object = updates  # checked at run time: callers are not all type-checked
    if isinstance(given, str | bytes) or not isinstance(updates, Mapping | Iterable):
        raise TypeError(
            f"updates must be a mapping of element id to value, not {type(updates).__name__}"
        )
    pairs = list(updates.items()) if isinstance(updates, Mapping) else list(updates)
    if not pairs:
        raise ValueError("updates must not be empty")
    bodies = []
    for i, pair in enumerate(pairs):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"updates[{i}] must be an (element_id, value) pair")
        bodies.append(
            (
                check_id(pair[0], f"updates[{i}] element id"),
                vqt_body(pair[1], None, None, name=f"updates[{pair[0]!r}]"),
            )
        )
    yield from _write_values_flow(ctx, bodies)
    return succeeded((key, None) for key, _ in bodies)


def update_history_flow(ctx: Context, element_id: str, value: Any) -> Flow[None]:
    key = check_id(element_id, "element_id")
    entries = list(value) if isinstance(value, list | tuple) else [value]
    if not entries:
        raise ValueError("value must hold at least one VQT")
    bodies = []
    for i, entry in enumerate(entries):
        name = "value" if len(entries) == 1 else f"value[{i}]"
        if isinstance(entry, Mapping):
            try:
                entry = VQT.from_dict(entry)  # noqa: PLW2901 - normalised in place
            except ValueError:
                raise ValueError(
                    f"{name} must be a VQT or a dict with value, quality and timestamp"
                ) from None
        if not isinstance(entry, VQT):
            raise TypeError(
                f"{name} must be an i3x.VQT (history entries need a timestamp), not {type(entry).__name__}"
            )
        bodies.append(
            {
                "elementId": key,
                "value": vqt_body(entry, None, None, require_timestamp=True, name=name),
            }
        )

    def parse(response: httpx.Response) -> None:
        envelope = decode_bulk(response, Any, "history writes")
        # One item per update, or one for the element ("succeeded/failed per elementId").
        keys = [key] * (len(bodies) if len(envelope.results) != 1 else 1)
        try:
            bulk_results(response, envelope, keys, what="history writes")
        except BulkError as exc:
            first = next(iter(exc.errors.values()))
            raise first from None

    yield Call("PUT", "/objects/history", parse=parse, json={"updates": bodies}, idempotent=False)
