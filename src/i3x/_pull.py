"""The pull form of a subscription: iterate over its events instead of taking callbacks.

`Client.subscription()` yields a `SubscriptionStream` (a blocking iterator) and
`AsyncClient.subscription()` an `AsyncSubscriptionStream` (`async for`). Each reads a
buffer of its own that one delivery fills. A unit counts as delivered (and, in sync
mode, may be acknowledged) once the caller asks for the event after its last one.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Literal

from ._delivery import Delivery
from ._dispatch import AsyncBuffer, ThreadBuffer
from ._events import Delivered, Event
from ._exceptions import TimeoutError
from ._models import Subscription

__all__ = ["AsyncSubscriptionStream", "SubscriptionStream"]


class _PullForm:
    """What both pull forms share: the subscription, and unpacking delivered items.

    An item counts as delivered (and, in sync mode, may be acknowledged) once the
    caller asks for the event after its last one.
    """

    def __init__(self, subscription: Subscription, delivery: Delivery) -> None:
        self.subscription = subscription
        """The subscription being delivered."""
        self._delivery = delivery
        self._ready: collections.deque[Event] = collections.deque()
        self._current: Delivered | None = None

    @property
    def subscription_id(self) -> str:
        """The id the server knows the subscription by now (it changes after a re-creation)."""
        return self._delivery.server_id

    @property
    def mode(self) -> Literal["stream", "sync"]:
        """How updates arrive: `stream` or `sync`."""
        return self._delivery.mode

    def _next_ready(self) -> Event | None:
        """The next unpacked event; when none is left, the current item is done."""
        if self._ready:
            return self._ready.popleft()
        if self._current is not None:
            self._delivery.mark_delivered(self._current)
            self._current = None
        return None

    def _unpack(self, item: Delivered) -> None:
        self._current = item
        self._ready.extend(item.changes)
        if item.notice is not None:
            self._ready.append(item.notice)


class SubscriptionStream(_PullForm):
    """The pull form of a subscription (sync): iterate to receive its events in order.

    Yields [`ValueChange`][i3x.ValueChange] objects and, when something could not be
    delivered, notices ([`UpdatesLostError`][i3x.UpdatesLostError] for a gap,
    [`SubscriptionLostError`][i3x.SubscriptionLostError] after a re-creation,
    [`StreamError`][i3x.StreamError] after a reconnect). Iteration ends when the
    subscription is closed, when the client disconnects, and when delivery ends by
    itself (after the notice that says why); what arrived before is still yielded.
    """

    def __init__(
        self,
        subscription: Subscription,
        buffer: ThreadBuffer,
        delivery: Delivery,
        closer: Callable[[], None],
    ) -> None:
        super().__init__(subscription, delivery)
        self._buffer = buffer
        self._closer = closer

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        event = self.get()
        if event is None:
            raise StopIteration
        return event

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, waiting up to `timeout` seconds; `None` once closed.

        Raises:
            TimeoutError: Nothing arrived in time: an `i3x.TimeoutError`, which is also
                the builtin `TimeoutError`.
        """
        while (event := self._next_ready()) is None:
            item = self._buffer.get(timeout)
            if item is None:
                return None
            self._unpack(item)
        return event

    def close(self) -> None:
        """Stop the subscription and delete it on the server."""
        self._closer()


class AsyncSubscriptionStream(_PullForm):
    """The pull form of a subscription (async): `async for` its events, in order.

    Yields what [`SubscriptionStream`][i3x.SubscriptionStream] yields.
    """

    def __init__(
        self,
        subscription: Subscription,
        buffer: AsyncBuffer,
        delivery: Delivery,
        closer: Callable[[], Awaitable[None]],
    ) -> None:
        super().__init__(subscription, delivery)
        self._buffer = buffer
        self._closer = closer

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        event = await self.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event, waiting up to `timeout` seconds; `None` once closed.

        Raises:
            TimeoutError: Nothing arrived in time: an `i3x.TimeoutError`, which is also
                the builtin `TimeoutError`.
        """
        while (event := self._next_ready()) is None:
            try:
                item = await asyncio.wait_for(self._buffer.get(), timeout)
            except asyncio.TimeoutError:
                raise TimeoutError(f"no subscription event within {timeout} s") from None
            if item is None:
                return None
            self._unpack(item)
        return event

    async def close(self) -> None:
        """Stop the subscription and delete it on the server."""
        await self._closer()
