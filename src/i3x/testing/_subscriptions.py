"""Server-side subscriptions: monitored items, update queues, sequence numbers, streams, TTL.

How updates flow: the address space calls `SubscriptionManager.on_change` once per change
event (one write request, one simulation tick, one `set_value`). For every subscription
the change touches, that produces exactly one batch with the next sequence number (or,
with `one_update_per_batch`, one batch per update, as some real servers number them). An
element is touched when it is monitored, or is a component within the monitored depth,
and it or one of its own components within that depth changed; its update then carries
its current VQT and, for a composition, `components` within the depth.

Batches wait in the subscription's queue until a sync acknowledges them or a stream
sends them (a stream removes what it sends). The queue is bounded in updates; on
overflow the oldest whole batches go and their sequence range is remembered, so that the
next sync can answer 206 naming it.

Lock order: the address space's lock, then this manager's lock, never the other way.
`on_change` runs with the space locked; everything else here takes only this lock once
it holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._space import AddressSpace
from ._wire import current_value_json

__all__ = [
    "Batch",
    "StreamHandle",
    "SubscriptionNotFound",
    "StreamOpenError",
    "SyncResult",
    "SubscriptionManager",
]


class SubscriptionNotFound(Exception):
    """No such subscription for this client (another client's counts as none)."""


class StreamOpenError(Exception):
    """A sync arrived while a stream is open on the subscription."""


@dataclass(frozen=True)
class Batch:
    """Updates queued by one change event, under one sequence number."""

    sequence_number: int
    updates: list[dict[str, Any]]


class StreamHandle:
    """The server side of one open stream; other threads wake it through its loop."""

    def __init__(self, subscription_id: str, loop: asyncio.AbstractEventLoop) -> None:
        self.subscription_id = subscription_id
        self.wake = asyncio.Event()
        self._ended = False
        self._loop = loop
        self._wake_pending = False

    def has_ended(self) -> bool:
        """Whether the stream must finish (taken over, deleted, or the server stops)."""
        return self._ended

    def notify(self) -> None:
        """Wake the stream from any thread."""
        # One wake-up in flight is enough: the stream looks at the whole queue when it
        # runs, so a burst of changes costs the loop one call, not one per change.
        if self._wake_pending:
            return
        self._wake_pending = True
        # A closed loop means the server stopped and the stream is gone already.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        # Cleared before the event is set: a change queued after this point calls again.
        self._wake_pending = False
        self.wake.set()

    def end(self) -> None:
        """Make the stream finish its body cleanly."""
        self._ended = True
        self.notify()


@dataclass(frozen=True)
class SyncResult:
    """What a sync returns: the batches left, and the dropped range if any."""

    batches: list[Batch]
    lost: tuple[int, int] | None


@dataclass
class _Subscription:
    subscription_id: str
    client_id: str
    display_name: str | None
    last_seen: float
    monitored: dict[str, int] = field(default_factory=dict)
    queue: deque[Batch] = field(default_factory=deque)
    queued_updates: int = 0
    next_sequence: int = 1
    lost: tuple[int, int] | None = None
    stream: StreamHandle | None = None
    plan: _Plan | None = None
    """Derived from `monitored` and the space's structure; None when either changed."""


@dataclass(frozen=True)
class _Plan:
    """Which updates a change produces, worked out once instead of on every change."""

    structure_version: int
    coverage: dict[str, int]
    """Element id to the maxDepth its update carries, in the order updates are queued."""
    reach: dict[str, frozenset[str]]
    """A changed element id to the covered ids whose update it changes."""


class SubscriptionManager:
    """All subscriptions of one server.

    Args:
        space: The address space whose changes feed the queues.
        queue_limit: Most updates a queue holds before its oldest batches are dropped.
        ttl: Seconds without a sync or an open stream after which a subscription goes.
        clock: Monotonic seconds; `advance_clock` adds to it.
        one_update_per_batch: Give each update of a change event its own batch and
            sequence number (as some real servers do) instead of one batch per event.
    """

    def __init__(
        self,
        space: AddressSpace,
        *,
        queue_limit: int,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        one_update_per_batch: bool = False,
    ) -> None:
        self._space = space
        self._one_update_per_batch = one_update_per_batch
        self._queue_limit = queue_limit
        self._ttl = ttl
        self._clock = clock
        self._offset = 0.0
        self._lock = threading.Lock()
        self._subs: dict[str, _Subscription] = {}
        self._stopping = False
        self._detach: Callable[[], None] | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def attach(self) -> None:
        """Start listening to the address space with no subscriptions and streams allowed."""
        self.reset()
        with self._lock:
            self._stopping = False
        if self._detach is None:
            self._detach = self._space.add_listener(self.on_change)

    def detach(self) -> None:
        """End every stream, refuse new ones and stop listening to the space."""
        with self._lock:
            self._stopping = True
            for sub in self._subs.values():
                if sub.stream is not None:
                    sub.stream.end()
        if self._detach is not None:
            self._detach()
            self._detach = None

    def reset(self) -> None:
        """Drop every subscription, ending their streams."""
        with self._lock:
            for sub in self._subs.values():
                if sub.stream is not None:
                    sub.stream.end()
            self._subs.clear()

    def now(self) -> float:
        """The TTL clock."""
        return self._clock() + self._offset

    def advance_clock(self, seconds: float) -> None:
        """Move the TTL clock forward and expire what is due."""
        with self._lock:
            self._offset += seconds
        self.expire()

    def expire(self) -> list[str]:
        """Delete subscriptions idle for the TTL or longer; returns their ids."""
        with self._lock:
            now = self.now()
            due = [
                sid
                for sid, sub in self._subs.items()
                if sub.stream is None and now - sub.last_seen >= self._ttl
            ]
            for sid in due:
                del self._subs[sid]
            return due

    def ids(self, client_id: str | None = None) -> list[str]:
        """Subscription ids, all or one client's, oldest first."""
        with self._lock:
            return [
                sid
                for sid, sub in self._subs.items()
                if client_id is None or sub.client_id == client_id
            ]

    # -- the calls of the API -------------------------------------------------------------

    def create(self, client_id: str, display_name: str | None) -> dict[str, Any]:
        """Create a subscription; returns the CreateSubscriptionResponse body."""
        with self._lock:
            sid = str(uuid.uuid4())
            self._subs[sid] = _Subscription(sid, client_id, display_name, last_seen=self.now())
            return {"clientId": client_id, "subscriptionId": sid, "displayName": display_name}

    def register(
        self, client_id: str, subscription_id: str, element_ids: Sequence[str], max_depth: int
    ) -> list[bool]:
        """Monitor elements; per id, False when the element does not exist.

        Raises:
            SubscriptionNotFound: Unknown subscription or another client's.
        """
        known = [eid in self._space for eid in element_ids]
        with self._lock:
            sub = self._require(client_id, subscription_id)
            for element_id, exists in zip(element_ids, known, strict=True):
                if exists:
                    # A repeated registration is ignored, keeping its first maxDepth.
                    sub.monitored.setdefault(element_id, max_depth)
            sub.plan = None
            return known

    def unregister(
        self, client_id: str, subscription_id: str, element_ids: Sequence[str]
    ) -> list[bool]:
        """Stop monitoring elements (queued updates stay); per id, False when not monitored.

        Raises:
            SubscriptionNotFound: Unknown subscription or another client's.
        """
        with self._lock:
            sub = self._require(client_id, subscription_id)
            found: list[bool] = []
            for element_id in element_ids:
                found.append(sub.monitored.pop(element_id, None) is not None)
            sub.plan = None
            return found

    def details(
        self, client_id: str, subscription_ids: Sequence[str]
    ) -> list[dict[str, Any] | None]:
        """SubscriptionDetail bodies, None where unknown or another client's."""
        with self._lock:
            found: list[dict[str, Any] | None] = []
            for sid in subscription_ids:
                sub = self._subs.get(sid)
                if sub is None or sub.client_id != client_id:
                    found.append(None)
                    continue
                found.append(
                    {
                        "subscriptionId": sid,
                        "displayName": sub.display_name,
                        "monitoredObjects": [
                            {"elementId": eid, "maxDepth": depth}
                            for eid, depth in sub.monitored.items()
                        ],
                    }
                )
            return found

    def delete(self, client_id: str, subscription_ids: Sequence[str]) -> list[bool]:
        """Delete subscriptions and end their streams; per id, False where not found."""
        with self._lock:
            found: list[bool] = []
            for sid in subscription_ids:
                sub = self._subs.get(sid)
                if sub is None or sub.client_id != client_id:
                    found.append(False)
                    continue
                del self._subs[sid]
                if sub.stream is not None:
                    sub.stream.end()
                found.append(True)
            return found

    def sync(self, client_id: str, subscription_id: str, last_sequence: int | None) -> SyncResult:
        """Acknowledge through `last_sequence` (-1 clears all) and return what is left.

        Raises:
            SubscriptionNotFound: Unknown subscription or another client's.
            StreamOpenError: A stream is open on it.
        """
        with self._lock:
            sub = self._require(client_id, subscription_id)
            if sub.stream is not None:
                raise StreamOpenError(subscription_id)
            sub.last_seen = self.now()
            if last_sequence == -1:
                sub.queue.clear()
                sub.queued_updates = 0
                sub.lost = None
            elif last_sequence is not None:
                while sub.queue and sub.queue[0].sequence_number <= last_sequence:
                    sub.queued_updates -= len(sub.queue.popleft().updates)
                if sub.lost is not None and last_sequence >= sub.lost[0]:
                    first, last = last_sequence + 1, sub.lost[1]
                    sub.lost = (first, last) if first <= last else None
            return SyncResult(list(sub.queue), sub.lost)

    def open_stream(
        self, client_id: str, subscription_id: str, loop: asyncio.AbstractEventLoop
    ) -> StreamHandle:
        """Open the subscription's stream, ending the one open before (if any).

        Raises:
            SubscriptionNotFound: Unknown subscription or another client's.
        """
        with self._lock:
            sub = self._require(client_id, subscription_id)
            handle = StreamHandle(subscription_id, loop)
            if self._stopping:
                handle.end()
                return handle
            if sub.stream is not None:
                sub.stream.end()
            sub.stream = handle
            sub.last_seen = self.now()
            return handle

    def next_batches(self, handle: StreamHandle, limit: int) -> list[Batch]:
        """Take up to `limit` of the oldest queued batches for a stream, under one lock.

        Empty when nothing is queued, and when the stream has ended.
        """
        with self._lock:
            sub = self._subs.get(handle.subscription_id)
            if sub is None or sub.stream is not handle:
                handle.end()
                return []
            if handle.has_ended():
                return []
            taken: list[Batch] = []
            while sub.queue and len(taken) < limit:
                batch = sub.queue.popleft()
                sub.queued_updates -= len(batch.updates)
                taken.append(batch)
            return taken

    def close_stream(self, handle: StreamHandle) -> None:
        """Forget a stream whose response has finished, however it finished."""
        handle.end()
        with self._lock:
            sub = self._subs.get(handle.subscription_id)
            if sub is not None and sub.stream is handle:
                sub.stream = None
                sub.last_seen = self.now()

    # -- feeding the queues ---------------------------------------------------------------

    def on_change(self, changed: Sequence[str]) -> None:
        """Queue one batch per touched subscription (called with the space locked)."""
        changed_set = frozenset(changed)
        with self._lock:
            for sub in self._subs.values():
                updates = self._updates_for(sub, changed_set)
                if updates and self._one_update_per_batch:
                    for update in updates:
                        self._enqueue(sub, [update])
                elif updates:
                    self._enqueue(sub, updates)

    def _updates_for(self, sub: _Subscription, changed: frozenset[str]) -> list[dict[str, Any]]:
        plan = self._plan_for(sub)
        touched: set[str] = set()
        for element_id in changed:
            touched.update(plan.reach.get(element_id, ()))
        updates: list[dict[str, Any]] = []
        for element_id, depth in plan.coverage.items():
            if element_id in touched:
                update = {"elementId": element_id}
                update.update(current_value_json(self._space, element_id, depth))
                updates.append(update)
        return updates

    def _plan_for(self, sub: _Subscription) -> _Plan:
        version = self._space.structure_version
        if sub.plan is not None and sub.plan.structure_version == version:
            return sub.plan
        coverage: dict[str, int] = {}
        for element_id, depth in sub.monitored.items():
            _cover(coverage, element_id, depth)
            for child_id, level in self._space.descendants(element_id, depth):
                _cover(coverage, child_id, 0 if depth == 0 else depth - level)
        reach: dict[str, set[str]] = {}
        for element_id, depth in coverage.items():
            reach.setdefault(element_id, set()).add(element_id)
            for child_id, _ in self._space.descendants(element_id, depth):
                reach.setdefault(child_id, set()).add(element_id)
        sub.plan = _Plan(version, coverage, {k: frozenset(v) for k, v in reach.items()})
        return sub.plan

    def _enqueue(self, sub: _Subscription, updates: list[dict[str, Any]]) -> None:
        sub.queue.append(Batch(sub.next_sequence, updates))
        sub.next_sequence += 1
        sub.queued_updates += len(updates)
        # The newest batch always stays, even when it alone is over the limit.
        while sub.queued_updates > self._queue_limit and len(sub.queue) > 1:
            dropped = sub.queue.popleft()
            sub.queued_updates -= len(dropped.updates)
            seq = dropped.sequence_number
            if sub.lost is not None and sub.lost[1] + 1 == seq:
                sub.lost = (sub.lost[0], seq)
            else:
                sub.lost = (seq, seq)
        if sub.stream is not None:
            sub.stream.notify()

    def _require(self, client_id: str, subscription_id: str) -> _Subscription:
        sub = self._subs.get(subscription_id)
        if sub is None or sub.client_id != client_id:
            raise SubscriptionNotFound(subscription_id)
        return sub


def _cover(coverage: dict[str, int], element_id: str, depth: int) -> None:
    """Keep the deepest reach per element; 0 (unlimited) beats any number."""
    old = coverage.get(element_id)
    if old is None or (old != 0 and (depth == 0 or depth > old)):
        coverage[element_id] = depth
