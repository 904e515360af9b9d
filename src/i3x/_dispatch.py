"""Handing delivered updates to the consumer: buffers, callback dispatchers, the loop thread.

Deliveries (`i3x._delivery`) put `Delivered` units into a bounded buffer; what takes
them out depends on the client and the form:

- `Client` callbacks: a `ThreadBuffer` from the private event-loop thread
  (`LoopThread`, where the sync client's deliveries run) to one dispatcher thread
  (`ThreadDispatcher`) that calls `on_value_change`, `on_subscribe` and `on_error`, in
  arrival order.
- `AsyncClient` callbacks: an `AsyncBuffer` read by one dispatcher task
  (`AsyncDispatcher`); callbacks may be coroutines.
- The pull forms (`i3x._pull`) read a buffer of their own.

A callback that raises is reported to `on_error` and the log; it never stops delivery.
A unit counts as delivered (and may be acknowledged, in sync mode) once its callbacks
ran; a delivery stopped meanwhile gets no more callbacks.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import inspect
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol, TypeVar

from ._events import Delivered
from ._exceptions import TimeoutError

__all__ = [
    "STOP_TIMEOUT",
    "AsyncBuffer",
    "AsyncDispatcher",
    "CallbackHost",
    "LoopThread",
    "ThreadBuffer",
    "ThreadDispatcher",
    "deliver",
]

logger = logging.getLogger("i3x.subscriptions")

_T = TypeVar("_T")

DEFAULT_BUFFER_SIZE: Final = 1000
"""Delivered units (a stream event or a sync batch each) buffered between network and consumer."""

MERGE_LIMIT: Final = 1000
"""The most changes that waiting stream units merge into: a buffer of `maxsize` units
then holds at most `maxsize` times this many."""

STOP_TIMEOUT: Final = 2.0
"""How long stopping waits for a thread or a running callback."""

Callback = Callable[..., Any]


class CallbackHost(Protocol):
    """The client whose callbacks a dispatcher calls (and passes as their first argument)."""

    @property
    def on_value_change(self) -> Callback | None:
        """`on_value_change(client, change)`."""
        ...

    @property
    def on_subscribe(self) -> Callback | None:
        """`on_subscribe(client, subscription)`."""
        ...

    @property
    def on_error(self) -> Callback | None:
        """`on_error(client, error)`."""
        ...


# ---------------------------------------------------------------------------- buffers


def _merged(items: collections.deque[Delivered], item: Delivered) -> bool:
    """Add a stream's changes to the waiting unit before them, if it is the same kind.

    A fast stream hands over a unit per network read; while the consumer is busy they
    queue up, and taking them one by one costs a lock and a wake-up each. Only plain
    stream changes merge (no notice, no sequence number to acknowledge), so order,
    notices and acknowledgements stay as they were.
    """
    if not items or item.seq is not None or item.notice is not None or item.subscribed:
        return False
    last = items[-1]
    if (
        last.owner is not item.owner
        or last.epoch != item.epoch
        or last.seq is not None
        or last.notice is not None
        or last.subscribed is not None
        or type(last.changes) is not list
        # Bounded, so that a full buffer still makes the stream wait (backpressure).
        or len(last.changes) + len(item.changes) > MERGE_LIMIT
    ):
        return False
    last.changes.extend(item.changes)
    return True


class ThreadBuffer:
    """A bounded buffer from an event loop (producer) to a thread (consumer).

    The consumer sleeps on a doorbell (a `queue.SimpleQueue`, in C) that the producer
    rings only when a consumer sleeps without a ring on its way; both sides hold the
    lock for a few operations only. A stream that brings an event per network read
    hands over a unit per event, and a `threading.Condition` (a lock made for every
    wait, and its Python code on both sides) cost more per event than its parsing.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int = DEFAULT_BUFFER_SIZE) -> None:
        self._loop = loop
        self._maxsize = maxsize
        self._items: collections.deque[Delivered] = collections.deque()
        self._lock = threading.Lock()
        self._bell: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._sleepers = 0
        """Consumers asleep on the bell, or about to be."""
        self._rings = 0
        """Rings in the bell that no consumer has taken yet."""
        self._space = asyncio.Event()
        self._pending: collections.Counter[int] = collections.Counter()
        self._closed = False
        self._producer_waits = False

    async def put(self, item: Delivered) -> None:
        """Add an item, waiting (on the event loop) while the buffer is full."""
        while True:
            with self._lock:
                if self._closed:
                    return
                # Merging adds no unit, so it needs no room (it is bounded instead).
                merged = _merged(self._items, item)
                if merged or len(self._items) < self._maxsize:
                    if not merged:
                        self._items.append(item)
                    self._pending[id(item.owner)] += len(item.changes)
                    if self._rings < self._sleepers:
                        self._rings += 1
                        self._bell.put(None)
                    return
                self._space.clear()
                self._producer_waits = True
            await self._space.wait()

    def get(self, timeout: float | None = None) -> Delivered | None:
        """The next item; `None` once closed and empty.

        Raises:
            TimeoutError: Nothing arrived within `timeout` seconds (`i3x.TimeoutError`).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not self._items:
                if self._closed:
                    return None
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"no subscription event within {timeout} s")
                self._sleepers += 1
                self._lock.release()
                rung = False
                try:
                    self._bell.get(timeout=left)
                    rung = True
                except queue.Empty:
                    pass  # a ring that comes now stays in the bell: one wake-up for nothing
                except BaseException:
                    # Interrupted (Ctrl-C), maybe just after the ring was taken and before
                    # it was counted: put one back, so that no later get() sleeps through a
                    # unit (a ring too many only wakes a consumer once for nothing).
                    self._bell.put(None)
                    raise
                finally:
                    self._lock.acquire()
                    self._sleepers -= 1
                    self._rings -= rung
            item = self._items.popleft()
            self._pending[id(item.owner)] -= len(item.changes)
            # Waking the loop costs a system call: only when a producer waits for space.
            wake, self._producer_waits = self._producer_waits, False
        if wake:
            # RuntimeError: the loop closed in between, and nobody waits any more.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._space.set)
        return item

    def close(self) -> None:
        """No more items: `get()` returns `None` once the rest is taken."""
        with self._lock:
            self._closed = True
            for _ in range(self._sleepers - self._rings):
                self._rings += 1
                self._bell.put(None)
            wake, self._producer_waits = self._producer_waits, False
        if wake:  # a producer waiting for room: it ends its put (the item goes nowhere)
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits
                self._loop.call_soon_threadsafe(self._space.set)

    def pending(self, owner: object) -> int:
        """Changes of `owner`'s items not taken yet."""
        with self._lock:
            return max(0, self._pending[id(owner)])


class AsyncBuffer:
    """A bounded buffer within one event loop."""

    def __init__(self, maxsize: int = DEFAULT_BUFFER_SIZE) -> None:
        self._maxsize = maxsize
        self._items: collections.deque[Delivered] = collections.deque()
        self._ready = asyncio.Event()
        """Set while items are waiting, or once closed."""
        self._space = asyncio.Event()
        """Set while the buffer has room."""
        self._space.set()
        self._pending: collections.Counter[int] = collections.Counter()
        self._closed = False

    async def put(self, item: Delivered) -> None:
        """Add an item, waiting while the buffer is full."""
        while True:
            if self._closed:
                return
            # Merging adds no unit, so it needs no room (it is bounded instead).
            if _merged(self._items, item):
                break
            if len(self._items) < self._maxsize:
                self._items.append(item)
                break
            self._space.clear()
            await self._space.wait()
        self._pending[id(item.owner)] += len(item.changes)
        self._ready.set()

    async def get(self) -> Delivered | None:
        """The next item; `None` once closed and empty."""
        while not self._items:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        item = self._items.popleft()
        self._pending[id(item.owner)] -= len(item.changes)
        self._space.set()
        return item

    def close(self) -> None:
        """No more items: `get()` returns `None` once the rest is taken."""
        self._closed = True
        self._ready.set()
        self._space.set()

    def pending(self, owner: object) -> int:
        """Changes of `owner`'s items not taken yet."""
        return max(0, self._pending[id(owner)])


# ------------------------------------------------------------------------ dispatchers


def _report_callback_error(client: CallbackHost, callback: Callback, exc: Exception) -> None:
    logger.error("an i3x callback raised", exc_info=exc)
    on_error = client.on_error
    if on_error is not None and callback is not on_error:
        try:
            on_error(client, exc)
        except Exception:
            logger.exception("on_error raised while reporting a callback's error")


def _call_safely(client: CallbackHost, callback: Callback | None, *args: object) -> object:
    if callback is None:
        return None
    try:
        return callback(client, *args)
    except Exception as exc:
        _report_callback_error(client, callback, exc)
        return None


class ThreadDispatcher:
    """Runs the sync client's callbacks on one thread, in arrival order."""

    def __init__(self, client: CallbackHost, buffer: ThreadBuffer) -> None:
        self._client = client
        self._buffer = buffer
        self._progress = threading.Condition()
        self._taken = self._done = 0
        self._thread = threading.Thread(target=self._run, name="i3x-dispatcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._buffer.get()
            if item is None:
                return
            with self._progress:
                self._taken += 1
            try:
                deliver(self._client, item)
            finally:
                with self._progress:
                    self._done += 1
                    self._progress.notify_all()

    def wait_idle(self, timeout: float = STOP_TIMEOUT) -> None:
        """Wait until the item being delivered now is done, so that a stopped delivery
        gets no callback after this returns.

        A callback that stops its own subscription does not wait for itself.
        """
        if threading.current_thread() is self._thread:
            return
        with self._progress:
            target = self._taken
            self._progress.wait_for(lambda: self._done >= target, timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        self._buffer.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def deliver(client: CallbackHost, item: Delivered) -> None:
    """Hand one item to the client's callbacks (sync client).

    A delivery stopped meanwhile gets no more callbacks, not even for the rest of this
    item: in sync mode only what went out is acknowledged, the rest comes again.
    """
    if item.subscribed is not None:  # on_subscribe's item: no delivery owns it
        _call_safely(client, client.on_subscribe, item.subscribed)
        return
    owner = item.owner
    assert owner is not None, "every item but on_subscribe's comes from a delivery"
    callback = client.on_value_change
    done = 0
    if callback is not None:
        for change in item.changes:  # the hot loop: the call, one check
            if owner.stopped:
                break
            try:
                callback(client, change)
            except Exception as exc:
                _report_callback_error(client, callback, exc)
            done += 1
    else:  # nobody listens: the changes count as delivered, unless stopped already
        done = 0 if owner.stopped else len(item.changes)
    if owner.stopped:  # no notice then, and only what went out is acknowledged
        owner.mark_delivered(item, done)
        return
    if item.notice is not None and client.on_error is not None:
        _call_safely(client, client.on_error, item.notice)
    owner.mark_delivered(item)


class AsyncDispatcher:
    """Runs the async client's callbacks (plain or coroutine) in one task, in order."""

    def __init__(self, client: CallbackHost, buffer: AsyncBuffer) -> None:
        self._client = client
        self._buffer = buffer
        self._working: asyncio.Future[None] | None = None
        self._task = asyncio.get_running_loop().create_task(self._run(), name="i3x-dispatcher")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            item = await self._buffer.get()
            if item is None:
                return
            self._working = loop.create_future()
            try:
                await self._deliver(item)
            finally:
                self._working.set_result(None)

    async def wait_idle(self, timeout: float = STOP_TIMEOUT) -> None:
        """As `ThreadDispatcher.wait_idle()`: wait for the item being delivered now."""
        working = self._working
        if asyncio.current_task() is not self._task and working is not None:
            await asyncio.wait({working}, timeout=timeout)

    async def _deliver(self, item: Delivered) -> None:
        client = self._client
        if item.subscribed is not None:  # on_subscribe's item: no delivery owns it
            await self._call(client.on_subscribe, item.subscribed)
            return
        owner = item.owner
        assert owner is not None, "every item but on_subscribe's comes from a delivery"
        callback = client.on_value_change
        done = 0
        for change in item.changes:  # the hot loop: as in deliver(), plus awaiting coroutines
            if owner.stopped:  # as in deliver(): nothing more, acknowledge what went out
                break
            if callback is not None:
                try:
                    result = callback(client, change)
                except Exception as exc:
                    _report_callback_error(client, callback, exc)
                else:
                    if result is not None and inspect.isawaitable(result):
                        await self._settle(callback, result)
            done += 1
        if owner.stopped:
            owner.mark_delivered(item, done)
            return
        if item.notice is not None and client.on_error is not None:
            await self._call(client.on_error, item.notice)
        owner.mark_delivered(item)

    async def _call(self, callback: Callback | None, *args: object) -> None:
        result = _call_safely(self._client, callback, *args)
        if inspect.isawaitable(result):
            await self._settle(callback, result)

    async def _settle(self, callback: Callback | None, result: Awaitable[object]) -> None:
        """Await what a coroutine callback returned; its exception goes to `on_error`."""
        try:
            await result
        except Exception as exc:
            logger.exception("an i3x callback raised")
            on_error = self._client.on_error
            if on_error is not None and callback is not on_error:
                await self._call(on_error, exc)

    async def stop(self) -> None:
        self._buffer.close()
        task = self._task
        if not task.done():
            task.cancel()
            # wait() rather than await: the task's own CancelledError is expected,
            # while a cancellation of the caller must still propagate.
            await asyncio.wait({task})


# ------------------------------------------------------------------------ loop thread


class LoopThread:
    """A private event loop on a daemon thread, for the sync client's deliveries."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="i3x-delivery", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(self.loop)
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def call(self, coro: Awaitable[_T], timeout: float | None = None) -> _T:
        """Run a coroutine on the loop and wait for its result."""
        future: concurrent.futures.Future[_T] = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        return future.result(timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
