"""What a client knows and remembers, shared with its `with_options()` views and deliveries.

No I/O here: the connection's facts (`/info`, the API root, the server profile), the
subscriptions this client created, where each subscription's acknowledgements stand,
the callbacks, the live deliveries (seen through `LiveDelivery`, the part of a
delivery that the rest of the client uses), and what checked writes learned of the
elements' types. One re-entrant lock guards all of it; it is taken from the caller's
thread, the delivery loop's thread and the dispatcher's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from ._models import ServerInfo
from ._profiles import ServerProfile
from ._schemas import SchemaCheck, Unchecked

__all__ = [
    "Acknowledgements",
    "ClientState",
    "LiveDelivery",
    "SubscriptionRecord",
]


@dataclass
class SubscriptionRecord:
    """What this client knows about a subscription it created (to re-create it)."""

    subscription_id: str
    display_name: str | None
    created: datetime
    monitored: dict[str, int] = field(default_factory=dict)
    """The monitored element ids and the `max_depth` each was registered with."""


class Acknowledgements:
    """Where each server-side subscription's acknowledgements stand, in one place.

    `next` is the sequence number the next sync acknowledges: for a plain
    `sync_subscription()` the newest it returned (that reached the caller), for a
    delivery the newest its consumer took. `sent` is the one the server last received.
    A delivery that stops hands its position to a later plain sync (and the reverse),
    and at `disconnect()` what a delivery's consumer took and no sync acknowledged yet
    is acknowledged (`owed`), whether the delivery still runs or was stopped. What a
    plain sync returned is not: returned is not processed, and a caller that failed on
    it gets it again. Keyed by the id the server knows the subscription by.
    """

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._next: dict[str, int] = {}
        self._sent: dict[str, int | None] = {}
        self._consumed: set[str] = set()
        """Subscriptions whose `next` a delivery's consumer set (it took those updates)."""

    def next(self, subscription_id: str) -> int | None:
        """What the next sync of this subscription acknowledges (`None`: nothing)."""
        with self._lock:
            return self._next.get(subscription_id)

    def record(self, subscription_id: str, seq: int | None) -> None:
        """What a plain sync returned reached its caller: acknowledge up to `seq` next.

        `None` or a negative number (after `-1` cleared the queue) acknowledges nothing.
        """
        with self._lock:
            self._consumed.discard(subscription_id)
            if seq is None or seq < 0:
                self._next.pop(subscription_id, None)
            else:
                self._next[subscription_id] = seq

    def advance(self, subscription_id: str, seq: int) -> bool:
        """A delivery's consumer took everything up to `seq`; `False` if that is not news."""
        with self._lock:
            current = self._next.get(subscription_id)
            if current is not None and seq <= current:
                return False
            self._next[subscription_id] = seq
            self._consumed.add(subscription_id)
            return True

    def sent(self, subscription_id: str, seq: int | None) -> None:
        """The server received a sync acknowledging up to `seq`."""
        with self._lock:
            self._sent[subscription_id] = seq

    def unsent(self, subscription_id: str) -> int | None:
        """The acknowledgement the server has not received yet, if any."""
        with self._lock:
            seq = self._next.get(subscription_id)
            return None if seq is None or seq == self._sent.get(subscription_id) else seq

    def owed(self) -> dict[str, int]:
        """What deliveries' consumers took and no sync acknowledged yet, by subscription."""
        with self._lock:
            owed = {sid: self.unsent(sid) for sid in self._consumed}
        return {sid: seq for sid, seq in owed.items() if seq is not None}

    def forget(self, subscription_id: str) -> None:
        """The subscription is gone (deleted, or re-created under another id)."""
        with self._lock:
            self._next.pop(subscription_id, None)
            self._sent.pop(subscription_id, None)
            self._consumed.discard(subscription_id)


class LiveDelivery(Protocol):
    """What the rest of the client sees of a running delivery (`i3x._delivery.Delivery`)."""

    @property
    def user_id(self) -> str:
        """The subscription id the user holds."""
        ...

    @property
    def server_id(self) -> str:
        """The id the server knows the subscription by now (it changes on re-creation)."""
        ...

    @property
    def mode(self) -> Literal["stream", "sync"]:
        """How updates arrive now."""
        ...

    @property
    def stopped(self) -> bool:
        """Whether `stop()` was called."""
        ...

    @property
    def left_on_server(self) -> bool:
        """Whether `disconnect()` stopped it, leaving the subscription on the server."""
        ...

    @property
    def streaming(self) -> bool:
        """Whether a stream is open now."""
        ...

    def pending(self) -> int:
        """Changes delivered into the buffer that the consumer has not taken yet."""
        ...

    def ended(self) -> bool:
        """Whether it ran on an event loop other than the running one (which ended it)."""
        ...

    async def stop(self, *, leave: bool = False) -> None:
        """Stop delivering; no callback of it runs once the dispatcher is idle.

        `leave`: `disconnect()` stops it, and the subscription stays on the server.
        """
        ...


@dataclass
class ClientState:
    """Mutable state shared by a client, its `with_options()` views and its deliveries."""

    api_root: str | None = None
    """The API root in use (the base URL, or it + `/v1`), once connected."""
    server_info: ServerInfo | None = None
    profile: ServerProfile | None = None
    """How the server takes writes: chosen at connect, changed by what the server shows."""
    subscriptions: dict[str, SubscriptionRecord] = field(default_factory=dict)
    """The subscriptions this client created, by the id the server knows."""
    callbacks: dict[str, Callable[..., Any] | None] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    warnings: list[str] = field(default_factory=list)
    """Warnings of the connection, issued by the client after connecting."""
    deliveries: dict[str, LiveDelivery] = field(default_factory=dict)
    """Live subscription deliveries by the subscription id the user holds."""
    acks: Acknowledgements = field(init=False)
    element_types: dict[str, str | Unchecked] = field(default_factory=dict)
    """Checked writes: each element's object type id, or why it cannot be checked."""
    type_checks: dict[str, SchemaCheck | Unchecked] = field(default_factory=dict)
    """Checked writes: each object type's compiled schema, or why it cannot be used."""
    disconnects: int = 0
    """`disconnect()` calls running now, in any thread or task."""

    def __post_init__(self) -> None:
        self.acks = Acknowledgements(self.lock)

    @contextmanager
    def disconnecting(self) -> Iterator[None]:
        """Mark a running `disconnect()` (see `leaves_on_server`)."""
        with self.lock:
            self.disconnects += 1
        try:
            yield
        finally:
            with self.lock:
                self.disconnects -= 1

    def leaves_on_server(self, delivery: LiveDelivery) -> bool:
        """Whether a pull form's end leaves its subscription on the server.

        So it does when `disconnect()` stopped the delivery, and when one runs or ran
        meanwhile (another thread or task), which leaves every subscription there: a
        delete then would fail on the closing connection, or connect again.
        """
        with self.lock:
            return delivery.left_on_server or self.disconnects > 0 or self.api_root is None

    def delivery_for(self, key: str) -> LiveDelivery | None:
        """The live delivery of a subscription, by the id the user holds or the server's."""
        with self.lock:
            delivery = self.deliveries.get(key)
            if delivery is None:
                delivery = next((d for d in self.deliveries.values() if d.server_id == key), None)
        return delivery

    def server_id(self, key: str) -> str:
        """The id the server knows a subscription by (it changes when one is re-created)."""
        delivery = self.delivery_for(key)
        return delivery.server_id if delivery is not None else key

    def forget_connection(self) -> None:
        """`disconnect()`: what `/info` said no longer holds, nor what the server's types
        were (the next connection may reach a server that changed them)."""
        with self.lock:
            self.api_root = None
            self.server_info = None
            self.profile = None
            self.element_types.clear()
            self.type_checks.clear()

    def take_warnings(self) -> list[str]:
        """The connection's warnings not issued yet."""
        with self.lock:
            pending, self.warnings = self.warnings, []
        return pending
