"""Reading values: current values and history, as flows (see `i3x._flows`).

Both are bulk `POST`s answering one `LastKnownValue` per element (a composition's
components inside it); one element's read raises that element's own error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from ._checks import check_depth, check_id, check_ids, check_time
from ._constants import HISTORY_EPOCH
from ._exceptions import BulkError
from ._flows import Context, Flow, bulk_flow
from ._models import LastKnownValue
from ._wire import value_result

__all__ = [
    "get_histories_flow",
    "get_history_flow",
    "get_value_flow",
    "get_values_flow",
]

Body = Callable[[list[str]], dict[str, Any]]


def _values_flow(
    ctx: Context, path: str, ids: list[str], body: Body, what: str
) -> Flow[dict[str, LastKnownValue]]:
    pairs, _ = yield from bulk_flow(
        ctx, path, ids, body, dict[str, Any], what, convert=value_result
    )
    return dict(pairs)


def _one(flow: Flow[dict[str, LastKnownValue]], key: str) -> Flow[LastKnownValue]:
    try:
        values = yield from flow
    except BulkError as exc:
        raise exc.errors[key] from None
    return values[key]


def get_values_flow(
    ctx: Context, element_ids: Iterable[str], max_depth: int
) -> Flow[dict[str, LastKnownValue]]:
    """`POST /objects/value`: current values by element id, in request order."""
    ids = check_ids(element_ids, "element_ids")
    depth = check_depth(max_depth)
    return (
        yield from _values_flow(
            ctx, "/objects/value", ids, lambda c: {"elementIds": c, "maxDepth": depth}, "values"
        )
    )


def get_value_flow(ctx: Context, element_id: str, max_depth: int) -> Flow[LastKnownValue]:
    """One element's current value (its own error, not a `BulkError`)."""
    key = check_id(element_id, "element_id")
    depth = check_depth(max_depth)
    body: Body = lambda c: {"elementIds": c, "maxDepth": depth}  # noqa: E731
    return (yield from _one(_values_flow(ctx, "/objects/value", [key], body, "values"), key))


def _moment(rfc3339: str) -> datetime:
    # Compared as times, not text: "...00Z" sorts after "...00.5Z".
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))


def _history_body(start_time: Any, end_time: Any, max_depth: int) -> Body:
    start = HISTORY_EPOCH if start_time is None else check_time(start_time, "start_time")
    # Two independent 1.0 servers answer 400 without endTime: no end means now.
    end = check_time(datetime.now(timezone.utc) if end_time is None else end_time, "end_time")
    if start_time is not None and _moment(start) > _moment(end):
        if end_time is None:
            # Else the server would refuse an endTime the caller never gave.
            raise ValueError(
                f"start_time ({start}) is in the future: without an end_time a history "
                f"ends now ({end}); pass an end_time after start_time"
            )
        raise ValueError(f"start_time ({start}) is after end_time ({end})")
    depth = check_depth(max_depth)
    return lambda c: {"elementIds": c, "startTime": start, "endTime": end, "maxDepth": depth}


def get_history_flow(
    ctx: Context, element_id: str, start_time: Any, end_time: Any, max_depth: int
) -> Flow[LastKnownValue]:
    """`POST /objects/history` for one element (its own error, not a `BulkError`)."""
    key = check_id(element_id, "element_id")
    body = _history_body(start_time, end_time, max_depth)
    return (yield from _one(_values_flow(ctx, "/objects/history", [key], body, "histories"), key))


def get_histories_flow(
    ctx: Context, element_ids: Iterable[str], start_time: Any, end_time: Any, max_depth: int
) -> Flow[dict[str, LastKnownValue]]:
    """`POST /objects/history`: histories by element id, in request order."""
    ids = check_ids(element_ids, "element_ids")
    body = _history_body(start_time, end_time, max_depth)
    return (yield from _values_flow(ctx, "/objects/history", ids, body, "histories"))
