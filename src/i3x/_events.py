"""What a subscription delivers, without I/O: events, their parsing and their bookkeeping.

Parsing of stream events (both payload variants real servers send), sequence
numbers (duplicates dropped, gaps reported), the unit handed from the network to the
consumer (`Delivered`) and what of it may be acknowledged, where it is handed to (a
`Sink`), and the settings of a live subscription. Shared by `i3x._delivery` (the
network side), `i3x._dispatch` (callbacks) and `i3x._pull` (iterators).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal, Protocol

import pydantic
from pydantic import Field, TypeAdapter

from ._exceptions import StreamError, SubscriptionError, UpdatesLostError
from ._models import Subscription, UpdateWire, ValueChange, change_from_wire
from ._wire import pause_gc

__all__ = [
    "Mode",
    "Event",
    "DeliverySettings",
    "Sequencer",
    "Delivered",
    "Owner",
    "Sink",
    "parse_stream_event",
    "parse_stream_events",
    "gap_notice",
    "check_mode",
    "replace_subscription_id",
    "depth_groups",
]

Mode = Literal["auto", "stream", "sync"]
"""How a subscription is delivered: `stream` (SSE, at most once), `sync`
(polling with acknowledgement, at least once), or `auto` (stream when the
server offers it, else sync)."""

Event = ValueChange | SubscriptionError
"""What a subscription iterator yields: a change, or a notice (a gap, a lost and
re-created subscription, a stream failure) that something could not be delivered."""

_MODES: Final = ("auto", "stream", "sync")


@functools.cache
def _adapters() -> tuple[TypeAdapter[Any], TypeAdapter[Any], TypeAdapter[Any]]:
    # Built on first use: a subscription's first event, not every `import i3x`.
    return (
        TypeAdapter(list[UpdateWire]),
        TypeAdapter(UpdateWire),
        # The events of one read, in one array: each event's data is an array of
        # updates or one update. Left to right: an object fails `list` at once.
        TypeAdapter(
            list[Annotated[list[UpdateWire] | UpdateWire, Field(union_mode="left_to_right")]]
        ),
    )


def check_mode(mode: object) -> Mode:
    """A delivery mode, checked."""
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    return mode


@dataclass(frozen=True)
class DeliverySettings:
    """How one subscription is delivered."""

    mode: Mode = "auto"
    poll_interval: float = 0.5
    """The longest wait between syncs that return nothing (sync mode); after updates the
    next sync follows at once, after an empty one the wait doubles from 10 ms up to this."""
    resync: bool = False
    """Read current values again after a reconnect or a re-creation."""
    stream_idle_timeout: float | None = None
    """Reconnect a stream that sent nothing for this long; `None` keeps quiet streams."""

    def __post_init__(self) -> None:
        check_mode(self.mode)
        for name in ("poll_interval", "stream_idle_timeout"):
            value = getattr(self, name)
            if value is None and name == "stream_idle_timeout":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if not isinstance(self.resync, bool):
            raise TypeError(f"resync must be a bool, not {type(self.resync).__name__}")


@dataclass
class Sequencer:
    """Sequence numbers of one server-side subscription: drop repeats, spot jumps.

    `admit` says whether an update with that number is new, and the range
    skipped before it, if any. Updates without numbers are always new.
    """

    last: int | None = None

    def admit(self, seq: int | None) -> tuple[bool, tuple[int, int] | None]:
        if seq is None:
            return True, None
        if self.last is not None and seq <= self.last:
            return False, None
        gap = (self.last + 1, seq - 1) if self.last is not None and seq > self.last + 1 else None
        self.last = seq
        return True, gap

    def reset(self) -> None:
        """Forget the numbering (a re-created subscription starts again)."""
        self.last = None


class Owner(Protocol):
    """The delivery that produced a `Delivered` unit, as its consumer sees it."""

    @property
    def stopped(self) -> bool:
        """Whether its delivery was stopped: the consumer hands out nothing more of it."""
        ...

    def mark_delivered(self, item: Delivered, count: int | None = None) -> None:
        """Record that `item` (or its first `count` changes) reached the consumer."""
        ...


@dataclass
class Delivered:
    """One unit handed from the network to callbacks or an iterator.

    `seq` is the sequence number that may be acknowledged once these changes
    have been delivered (sync mode).
    """

    changes: Sequence[ValueChange] = ()
    notice: SubscriptionError | None = None
    seq: int | None = None
    owner: Owner | None = field(default=None, repr=False)
    """The delivery it came from (`None` for the `on_subscribe` notification)."""
    epoch: int = 0
    """Which incarnation of the server-side subscription the sequence number belongs to."""
    subscribed: Subscription | None = None
    """Set for the `on_subscribe` notification, which precedes the first change."""

    def acknowledgeable(self, delivered: int) -> int | None:
        """What may be acknowledged once the first `delivered` changes reached the consumer.

        All of them: `seq`. Fewer (delivery stopped in the middle): the sequence number
        of the last batch whose updates all went out, so that the server sends the rest
        again; `None` when no batch went out whole.
        """
        if delivered >= len(self.changes) or self.seq is None:
            return self.seq
        cut = self.changes[delivered].sequence_number
        for change in reversed(self.changes[:delivered]):
            if change.sequence_number != cut:
                return change.sequence_number
        return None


class Sink(Protocol):
    """Where a delivery puts what it received; `put` waits while the sink is full."""

    async def put(self, item: Delivered) -> None:
        """Hand over one unit, waiting for room (backpressure)."""
        ...

    def pending(self, owner: object) -> int:
        """Changes of `owner` put in and not yet taken out."""
        ...

    def close(self) -> None:
        """No more units: the reader gets what is left, then the end."""
        ...


def parse_stream_event(data: str | bytes, subscription_id: str) -> list[ValueChange]:
    """The changes in one SSE event's data: a JSON array of updates (or one update).

    Both variants real servers send are understood: flat items
    `{elementId, value, quality, timestamp, components?}` and items with a
    `sequenceNumber` that nest a whole current-value result in `value`.

    Raises:
        StreamError: The data is not JSON, not updates, or no change can be made of it.
    """
    text = data.strip()
    if not text:
        return []
    many, one, _ = _adapters()
    try:
        array = text[:1] in ("[", b"[")
        items = many.validate_json(text) if array else [one.validate_json(text)]
    except pydantic.ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise _unreadable(text, f"{where}: {first['msg']}", subscription_id) from None
    try:
        return [change_from_wire(item, subscription_id, None) for item in items]
    except Exception as exc:
        # Validated, but no change could be made of it (a shape no server was seen to
        # send, or a bug here): a notice for this event, not the end of the delivery.
        why = f"{type(exc).__name__}: {exc}"
        raise _unreadable(text, why, subscription_id) from exc


def _unreadable(text: str | bytes, why: str, subscription_id: str) -> StreamError:
    shown = text[:120] if isinstance(text, str) else text[:120].decode(errors="replace")
    return StreamError(
        f"a stream event could not be read ({why}): {shown!r}", subscription_id=subscription_id
    )


def parse_stream_events(datas: Sequence[bytes], subscription_id: str) -> list[ValueChange]:
    """The changes in the data of several SSE events (one network read's), in order.

    One JSON parse for all of them: a stream's cost is per event, and a fast stream
    brings many in one read.

    Raises:
        StreamError: Some event's data is not JSON, not updates, or no change can be
            made of it (parse them one by one with `parse_stream_event` to deliver
            the others).
    """
    if len(datas) == 1:
        return parse_stream_event(datas[0], subscription_id)
    many, _, either = _adapters()
    # An event's data is an array of updates or one update. When each is an object
    # (the usual stream: one update an event), the plain list of updates spares the
    # union its failed first try on every event.
    adapter = many if all(data[:1] == b"{" for data in datas) else either
    changes: list[ValueChange] = []
    append = changes.append
    # A read of a fast stream is hundreds of updates: the collector would walk them
    # again and again while they wait for the consumer (see pause_gc).
    with pause_gc:
        try:
            events = adapter.validate_json(b"[" + b",".join(datas) + b"]")
            for event in events:
                if type(event) is list:
                    for item in event:
                        append(change_from_wire(item, subscription_id, None))
                else:
                    append(change_from_wire(event, subscription_id, None))
        except Exception:
            # Some event is not JSON, not updates, or no change can be made of it.
            raise StreamError(
                f"one of {len(datas)} stream events could not be read",
                subscription_id=subscription_id,
            ) from None
    return changes


def gap_notice(subscription_id: str, first: int, last: int, how: str) -> UpdatesLostError:
    """The notice for sequence numbers that will never arrive."""
    count = last - first + 1
    return UpdatesLostError(
        f"{count} update{'s' if count != 1 else ''} of subscription {subscription_id} "
        f"were lost ({how}): sequence numbers {first}..{last}",
        first=first,
        last=last,
        subscription_id=subscription_id,
    )


def replace_subscription_id(error: SubscriptionError, subscription_id: str) -> SubscriptionError:
    """The notice with the id the user knows the subscription by."""
    if error.subscription_id != subscription_id:
        error.subscription_id = subscription_id
    return error


def depth_groups(monitored: dict[str, int]) -> dict[int, list[str]]:
    """Monitored element ids grouped by their depth, for re-registration."""
    groups: dict[int, list[str]] = {}
    for element_id, depth in monitored.items():
        groups.setdefault(depth, []).append(element_id)
    return groups
