"""Writing values: current values (routed by the server profile) and history, as flows.

A value is written as given: an `i3x.VQT` as a VQT, a pydantic model (one that
`i3x codegen` wrote, say) as its JSON form, anything else (a number, a string, a dict
such as `{"temperature": 72.5}`) as the value itself. How it goes on the wire depends
on the server (`i3x._profiles`): one bulk `PUT /objects/value`, or one
`PUT /objects/{id}/value` per element, with a VQT or the bare value. A bulk route that
turns out to be missing is remembered, and writes go per element from then on.

With `validate_writes=True` every value is first checked against its object type's
JSON Schema (`i3x._schemas`), all of them before anything is sent. The types are
looked up only when the client does not know them yet (`POST /objects/list` for the
elements' type ids, `POST /objecttypes/query` for the types), and kept in the
client's state, so that later writes cost the check alone.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx
import pydantic

from ._checks import check_id, check_time, vqt_parts
from ._exceptions import BulkError, I3XError, NotFoundError, NotSupportedError
from ._flows import CONNECTED, Batch, BulkPairs, Context, Flow, bulk_flow
from ._models import VQT, BulkItem, ObjectInstance, ObjectType
from ._profiles import (
    ServerProfile,
    refuse_unstorable,
    route_is_missing,
    update_body,
    without_bulk_route,
)
from ._schemas import (
    Refused,
    Unchecked,
    UnusableSchema,
    compile_schema,
    is_checked,
    refusal,
    warn_unchecked,
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
    the value itself. A pydantic model, as the value or a VQT's, is written as its JSON
    form, by wire name, without the fields that are `None` (a server that checks its
    schema would see `null` where the schema has none).
    """
    value, quality, timestamp = vqt_parts(value, quality, timestamp, name)
    if isinstance(value, VQT):
        body: dict[str, Any] = {
            "value": _wire_value(value.value, f"{name}.value"),
            "quality": value.quality,
        }
        if value.timestamp is not None:
            body["timestamp"] = check_time(value.timestamp, f"{name}.timestamp")
    else:
        body = {"value": _wire_value(value, name)}
    if quality is not None:
        body["quality"] = check_id(quality, "quality")
    if timestamp is not None:
        body["timestamp"] = check_time(timestamp, "timestamp")
    if require_timestamp and "timestamp" not in body:
        raise ValueError(f"{name} needs a timestamp: history entries are placed in time")
    return body


_PLAIN: tuple[type, ...] = (str, int, float, bool, type(None))


def _wire_value(value: Any, name: str) -> Any:
    """`value` as JSON will carry it, checked before anything is sent.

    numpy's numbers and arrays (what pandas columns hold) become the Python numbers and
    lists they stand for. Raises naming `name` for what JSON cannot carry: NaN and
    infinity, and objects such as `Decimal` or `datetime` whose JSON form is a choice
    (a number or a string?) only the caller can make.
    """
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if type(value) in _PLAIN and not (isinstance(value, float) and not math.isfinite(value)):
        return value  # the common case: nothing to walk
    try:
        # One encoding checks the whole value (nested too) and makes numpy's plain.
        return json.loads(json.dumps(value, allow_nan=False, default=_numpy_plain))
    except ValueError:
        raise ValueError(
            f"{name} holds NaN or infinity, which JSON cannot carry: write None "
            "(with a quality such as 'Bad') for a value that is not a number"
        ) from None
    except TypeError as exc:
        raise TypeError(
            f"{name} cannot be sent as JSON ({exc}): convert it to a number, string, "
            "bool, None, list or dict first"
        ) from None


def _numpy_plain(value: Any) -> Any:
    # numpy is never imported here: its scalars and arrays are known by their methods.
    # Arrays, and scalars too (a scalar's `tolist()` is the number).
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


# ------------------------------------------------------------------ checked writes


def _check_values_flow(
    ctx: Context, updates: Sequence[tuple[str, Mapping[str, Any]]]
) -> Flow[None]:
    """Check every value against its object type's schema; refuse them all if one fails.

    An element the server does not find is left to the write, which fails as it would
    unchecked; one that cannot be checked is written with an `UncheckedWriteWarning`.

    Raises:
        ValueValidationError: Values that do not fit, every one of them (nothing sent).
        I3XError: A lookup failed for another reason than an unknown element or type.
    """
    yield from _learn_types_flow(ctx, list(dict.fromkeys(key for key, _ in updates)))
    refused: list[Refused] = []
    for key, vqt in updates:
        if not is_checked(vqt):
            continue
        with ctx.state.lock:
            entry = ctx.state.element_types.get(key)
            check = ctx.state.type_checks.get(entry) if isinstance(entry, str) else entry
        if check is None:
            continue  # not found: the write fails as it would unchecked
        if isinstance(check, Unchecked):
            warn_unchecked(key, check.reason)
            continue
        try:
            failures = check.failures(key, vqt.get("value"))
        except UnusableSchema as exc:
            warn_unchecked(key, exc.reason)
            continue
        if failures:
            refused.append((key, check.type_id, failures))
    if refused:
        raise refusal(refused)


def _learn_types_flow(ctx: Context, keys: list[str]) -> Flow[None]:
    """Look up what the client's state does not hold yet: the elements' type ids
    (`POST /objects/list`), then those types' schemas (`POST /objecttypes/query`)."""
    state = ctx.state
    with state.lock:
        unknown = [key for key in keys if key not in state.element_types]
    if unknown:
        objects = yield from _found_flow(
            bulk_flow(
                ctx,
                "/objects/list",
                unknown,
                lambda chunk: {"elementIds": chunk, "includeMetadata": False},
                ObjectInstance,
                "objects",
            )
        )
        with state.lock:
            state.element_types.update((k, _element_type(v)) for k, v in objects.items())
    with state.lock:
        type_ids = dict.fromkeys(state.element_types.get(key) for key in keys)
        new_types = [t for t in type_ids if isinstance(t, str) and t not in state.type_checks]
    if not new_types:
        return
    types = yield from _found_flow(
        bulk_flow(
            ctx,
            "/objecttypes/query",
            new_types,
            lambda chunk: {"elementIds": chunk},
            ObjectType,
            "object types",
        )
    )
    # Compiled outside the lock: a large schema takes milliseconds.
    checks = {
        t: compile_schema(t, types[t].schema)
        if t in types
        else Unchecked(f"the server does not publish its type {t!r}")
        for t in new_types
    }
    with state.lock:
        state.type_checks.update(checks)


def _element_type(found: ObjectInstance) -> str | Unchecked:
    if found.type_id is None:
        return Unchecked("the server gives no type for it")
    if found.is_extended:
        # The spec does not say how an instance's extensions combine with the type's
        # schema: checked against the type alone, a valid value could be refused.
        return Unchecked(f"its instance extends the schema of its type {found.type_id!r}")
    return found.type_id


def _found_flow(lookup: Flow[BulkPairs]) -> Flow[dict[str, Any]]:
    """What a bulk read found, by key; the keys it did not find are left out."""
    try:
        pairs, _ = yield from lookup
    except BulkError as exc:
        failed = next((e for e in exc.errors.values() if not isinstance(e, NotFoundError)), None)
        if failed is not None:
            raise failed from None
        return dict(exc.results)
    return dict(pairs)


# ------------------------------------------------------------------------- writes


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


def _path_segment(element_id: str) -> str:
    """An element id as one segment of a URL path, percent-encoded."""
    quoted = quote(element_id, safe="")
    # "." and ".." are steps in a path (RFC 3986 dot segments): left as they are, URL
    # libraries and servers resolve them away and the write goes to another route.
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


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
            f"/objects/{_path_segment(key)}/value",
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
    if ctx.options.validate_writes:
        yield from _check_values_flow(ctx, [(key, body)])
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
    if ctx.options.validate_writes:
        yield from _check_values_flow(ctx, bodies)
    yield from _write_values_flow(ctx, bodies)
    return succeeded((key, None) for key, _ in bodies)


def update_history_flow(ctx: Context, element_id: str, value: Any) -> Flow[None]:
    key = check_id(element_id, "element_id")
    entries = list(value) if isinstance(value, list | tuple) else [value]
    if not entries:
        raise ValueError("value must hold at least one VQT")
    vqts: list[dict[str, Any]] = []
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
        vqts.append(vqt_body(entry, None, None, require_timestamp=True, name=name))
    bodies = [{"elementId": key, "value": vqt} for vqt in vqts]

    def parse(response: httpx.Response) -> None:
        envelope = decode_bulk(response, Any, "history writes")
        # One item per update, or one for the element ("succeeded/failed per elementId").
        keys = [key] * (len(bodies) if len(envelope.results) != 1 else 1)
        try:
            bulk_results(response, envelope, keys, what="history writes")
        except BulkError as exc:
            first = next(iter(exc.errors.values()))
            raise first from None

    if ctx.options.validate_writes:
        yield from _check_values_flow(ctx, [(key, vqt) for vqt in vqts])
    yield Call("PUT", "/objects/history", parse=parse, json={"updates": bodies}, idempotent=False)
