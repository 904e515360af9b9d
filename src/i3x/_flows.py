"""The core idiom: every operation is a generator (a *flow*) that yields its requests.

httpx's `Auth.auth_flow` applied to every call. An operation such as "read these
values" is written once, without I/O, as a generator:

    def get_values_flow(ctx, element_ids, max_depth) -> Flow[dict[str, LastKnownValue]]:
        ids = check_ids(element_ids, "element_ids")       # arguments checked first
        pairs, _ = yield from bulk_flow(ctx, "/objects/value", ids, ...)
        return dict(pairs)

It yields a `Call` (one request, with the function that parses its answer), a `Batch`
of calls that may go out concurrently, or `CONNECTED` (wait for the connection). A
driver (`i3x._driver`) sends what is yielded and sends the parsed result back into the
generator, or throws the `I3XError` the request raised into it; the generator's return
value is the operation's result. `SyncDriver` sends with blocking httpx calls and
`AsyncDriver` with awaited ones (a batch's calls concurrently): that is the only place
where `Client` and `AsyncClient` differ, so both run the same operations line for line.

A flow receives `Any` at each `yield` (what comes back depends on the step: a `Call[T]`
gives a `T`), so each flow names the type of what it received where it binds it.

Every flow takes a `Context`: the client's configuration, the options of the view it
runs in, and the state the client shares with its views and deliveries. This module
also holds the request primitives the operations share (a `GET` of a result, a bulk
`POST` split into batches).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import httpx

from ._config import Config, Options
from ._exceptions import BulkError
from ._models import BulkItem, ResponseDetail
from ._state import ClientState
from ._wire import Call, Convert, bulk_results, decode_bulk, decode_result, merge_bulk_errors

__all__ = [
    "CONNECTED",
    "Batch",
    "BulkPairs",
    "Connected",
    "Context",
    "Done",
    "Flow",
    "Step",
    "bulk_flow",
    "first_step",
    "get_result_flow",
    "single_flow",
]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Batch:
    """Several calls of one operation that may be sent concurrently.

    The flow receives one outcome per call, in order: its result, or the `I3XError` it
    raised.
    """

    calls: tuple[Call[Any], ...]


class Connected:
    """A step that only waits for the connection: the flow reads `server_info` next.

    Drivers check arguments (run a flow to its first step) before they connect, so a
    flow that depends on what the server is yields this first.
    """


CONNECTED: Final = Connected()

Step = Call[Any] | Batch | Connected
"""What a flow yields."""

Flow = Generator[Step, Any, _T]
"""An operation: yields steps, receives their outcomes, returns a `_T`."""


@dataclass(frozen=True)
class Done:
    """A flow that finished before its first request (nothing to send)."""

    value: Any


def first_step(flow: Flow[Any]) -> Step | Done:
    """Run a flow up to its first request: its argument checks raise here, before any I/O."""
    try:
        return next(flow)
    except StopIteration as stop:
        return Done(stop.value)


@dataclass(frozen=True)
class Context:
    """What every operation reads: the configuration, this view's options, the shared state."""

    config: Config
    options: Options
    state: ClientState

    def url(self, call: Call[Any]) -> str:
        """The URL of a call: its own root (while connecting) or the API root in use."""
        root = call.root or self.state.api_root
        assert root is not None, "flows that need a connection run after connect"
        return root + call.path


# --------------------------------------------------------------------------- primitives

BulkPairs = tuple[list[tuple[str, Any]], ResponseDetail | None]
"""A bulk answer: every requested key with its result, in request order, and the
server's detail on the answer."""


def get_result_flow(
    path: str, tp: Any, what: str, params: dict[str, str] | None = None
) -> Flow[Any]:
    """`GET path` and the answer's `result` as `tp` (an absent result is an empty list)."""

    def parse(response: httpx.Response) -> Any:
        result, _ = decode_result(response, tp, what)
        return result if result is not None else []

    result = yield Call("GET", path, parse=parse, params=params)
    return result


def bulk_flow(  # noqa: PLR0917 - the parts of a bulk request, in wire order
    ctx: Context,
    path: str,
    keys: Sequence[str],
    body: Callable[[list[str]], dict[str, Any]],
    item_type: Any,
    what: str,
    *,
    idempotent: bool = True,
    method: str = "POST",
    convert: Convert | None = None,
) -> Flow[BulkPairs]:
    """Send a bulk request, in batches of `batch_size` keys, and pair every key with its result.

    Raises:
        BulkError: Some items failed, with every item's outcome (of all batches).
    """
    size = ctx.options.batch_size
    chunks = [list(keys[i : i + size]) for i in range(0, len(keys), size)]

    def call_for(chunk: list[str]) -> Call[Any]:
        def parse(response: httpx.Response) -> Any:
            envelope = decode_bulk(response, item_type, what)
            return bulk_results(
                response, envelope, chunk, what=what, convert=convert, item_type=item_type
            )

        return Call(method, path, parse=parse, json=body(chunk), idempotent=idempotent)

    if len(chunks) == 1:
        outcomes = [(yield from _attempt(call_for(chunks[0])))]
    else:
        outcomes = yield Batch(tuple(call_for(c) for c in chunks))
    return _merge(outcomes, chunks, what)


def _attempt(call: Call[Any]) -> Flow[Any]:
    # One call as a batch outcome: its result or the BulkError it raised.
    try:
        return (yield call)
    except BulkError as exc:
        return exc


def _merge(outcomes: Sequence[Any], chunks: Sequence[Sequence[str]], what: str) -> BulkPairs:
    pairs: list[tuple[str, Any]] = []
    detail: ResponseDetail | None = None
    failures: list[BulkError] = []
    for outcome in outcomes:
        if isinstance(outcome, BulkError):
            failures.append(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            chunk_pairs, chunk_detail = outcome
            pairs.extend(chunk_pairs)
            detail = detail or chunk_detail
            failures.append(
                BulkError(
                    "",
                    items=[BulkItem(success=True, element_id=k, result=v) for k, v in chunk_pairs],
                    errors={},
                    results=dict(chunk_pairs),
                )
            )
    if any(f.errors for f in failures):
        total = sum(len(c) for c in chunks)
        raise merge_bulk_errors(failures, total, what)
    return pairs, detail


def single_flow(flow: Flow[BulkPairs], key: str) -> Flow[tuple[Any, ResponseDetail | None]]:
    """A bulk flow for one key: its result, or its own error (not a `BulkError`)."""
    try:
        pairs, detail = yield from flow
    except BulkError as exc:
        raise exc.errors[key] from None
    return pairs[0][1], detail
