"""Buffers between deliveries and consumers: stream units waiting together are taken at once."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

import i3x
from i3x._dispatch import MERGE_LIMIT, AsyncBuffer, ThreadBuffer
from i3x._events import Delivered


class _Owner:
    stopped = False

    def mark_delivered(self, item: Delivered, count: int | None = None) -> None:
        """Nothing to acknowledge in these tests."""


def _change(value: int, seq: int | None = None) -> i3x.ValueChange:
    return i3x.ValueChange(
        element_id="e", data=[i3x.VQT(value=value, quality="Good")], sequence_number=seq
    )


def _units(owner: _Owner, other: _Owner) -> list[Delivered]:
    notice = i3x.StreamError("reconnecting", subscription_id="s")
    return [
        Delivered(changes=[_change(1)], owner=owner),
        Delivered(changes=[_change(2), _change(3)], owner=owner),
        Delivered(notice=notice, owner=owner),
        Delivered(changes=[_change(4)], owner=owner),
        Delivered(changes=[_change(5)], owner=other),  # another subscription's
        Delivered(changes=[_change(6, seq=6)], seq=6, owner=other),  # sync: acknowledged
        Delivered(changes=[_change(7, seq=7)], seq=7, owner=other),
    ]


def _shape(item: Delivered) -> tuple[list[object], bool, int | None]:
    return [c.value for c in item.changes], item.notice is not None, item.seq


EXPECTED = [
    ([1, 2, 3], False, None),  # two stream units of one delivery: one
    ([], True, None),  # a notice stays where it was, and is never merged
    ([4], False, None),
    ([5], False, None),  # another delivery's units are never merged
    ([6], False, 6),  # units with a sequence number to acknowledge stay apart
    ([7], False, 7),
]


def test_the_thread_buffer_merges_waiting_stream_units_only() -> None:
    owner, other = _Owner(), _Owner()
    loop = asyncio.new_event_loop()
    try:
        buffer = ThreadBuffer(loop)
        for unit in _units(owner, other):
            loop.run_until_complete(buffer.put(unit))
        assert buffer.pending(owner) == 4
        taken = [buffer.get(timeout=1) for _ in EXPECTED]
    finally:
        loop.close()
    assert [_shape(item) for item in taken if item is not None] == EXPECTED
    assert buffer.pending(owner) == buffer.pending(other) == 0


@pytest.mark.anyio
async def test_the_async_buffer_merges_waiting_stream_units_only() -> None:
    owner, other = _Owner(), _Owner()
    buffer = AsyncBuffer()
    for unit in _units(owner, other):
        await buffer.put(unit)
    taken = [await buffer.get() for _ in EXPECTED]
    assert [_shape(item) for item in taken if item is not None] == EXPECTED
    buffer.close()
    assert await buffer.get() is None


@pytest.mark.anyio
async def test_a_full_async_buffer_makes_the_producer_wait() -> None:
    owner = _Owner()
    buffer = AsyncBuffer(maxsize=1)
    await buffer.put(Delivered(changes=[_change(1, seq=1)], seq=1, owner=owner))
    second = asyncio.ensure_future(
        buffer.put(Delivered(changes=[_change(2, seq=2)], seq=2, owner=owner))
    )
    await asyncio.sleep(0)  # one loop turn: the put cannot have finished
    assert not second.done()
    first = await buffer.get()
    await asyncio.wait_for(second, 1)
    assert first is not None
    assert first.seq == 1
    taken = await buffer.get()
    assert taken is not None
    assert taken.seq == 2


@pytest.mark.anyio
async def test_merged_stream_units_still_fill_the_buffer() -> None:
    # Stream units merge, but only up to MERGE_LIMIT changes: a full buffer still makes
    # the delivery wait, so a slow consumer slows the stream (and TCP the server).
    owner = _Owner()
    buffer = AsyncBuffer(maxsize=1)
    units = 0
    while True:
        put = asyncio.ensure_future(
            buffer.put(Delivered(changes=[_change(i) for i in range(100)], owner=owner))
        )
        await asyncio.sleep(0)  # one loop turn: a put that has room is done by then
        if not put.done():
            break
        units += 1
        assert units <= MERGE_LIMIT // 100, "the buffer never filled up"
    assert buffer.pending(owner) == MERGE_LIMIT  # one unit of MERGE_LIMIT changes, waiting
    taken = await buffer.get()
    await asyncio.wait_for(put, 1)  # room again: the waiting put goes in
    assert taken is not None
    assert len(taken.changes) == MERGE_LIMIT


def test_merged_stream_units_fill_the_thread_buffer_too() -> None:
    owner = _Owner()
    loop = asyncio.new_event_loop()
    try:
        buffer = ThreadBuffer(loop, maxsize=1)
        for _ in range(MERGE_LIMIT // 100):
            loop.run_until_complete(
                buffer.put(Delivered(changes=[_change(i) for i in range(100)], owner=owner))
            )
        extra = loop.create_task(buffer.put(Delivered(changes=[_change(0)], owner=owner)))
        loop.run_until_complete(asyncio.sleep(0))  # one loop turn
        assert not extra.done()  # full: the delivery waits
        taken = buffer.get(timeout=1)
        loop.run_until_complete(asyncio.wait_for(extra, 1))
    finally:
        loop.close()
    assert taken is not None
    assert len(taken.changes) == MERGE_LIMIT


def _put_from_loop(loop: asyncio.AbstractEventLoop, buffer: ThreadBuffer, unit: Delivered) -> None:
    asyncio.run_coroutine_threadsafe(buffer.put(unit), loop).result(timeout=5)


@pytest.fixture
def loop_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread of its own, as the sync client's deliveries do."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def test_a_sleeping_consumer_wakes_for_each_unit(loop_thread: asyncio.AbstractEventLoop) -> None:
    # One unit at a time while the consumer sleeps in get(): a unit per event, as a
    # server that writes an event at a time makes them. None may be missed or late.
    owner = _Owner()
    buffer = ThreadBuffer(loop_thread)
    taken: list[object] = []
    asleep = threading.Event()

    def consume() -> None:
        for _ in range(200):
            asleep.set()
            item = buffer.get(timeout=5)
            assert item is not None
            taken.extend(c.value for c in item.changes)

    consumer = threading.Thread(target=consume)
    consumer.start()
    for value in range(200):
        asleep.wait(5)
        asleep.clear()
        # A sync unit (it has a sequence number) is never merged: one unit, one get().
        _put_from_loop(
            loop_thread, buffer, Delivered(changes=[_change(value)], seq=value, owner=owner)
        )
    consumer.join(10)
    assert not consumer.is_alive()
    assert taken == list(range(200))


def test_closing_wakes_a_sleeping_consumer(loop_thread: asyncio.AbstractEventLoop) -> None:
    buffer = ThreadBuffer(loop_thread)
    got: list[object] = []
    consumer = threading.Thread(target=lambda: got.append(buffer.get()))
    consumer.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # until the consumer sleeps in get()
        with buffer._lock:
            if buffer._sleepers:
                break
    buffer.close()
    consumer.join(5)
    assert not consumer.is_alive()
    assert got == [None]


def test_a_unit_that_comes_as_get_times_out_is_not_lost(
    loop_thread: asyncio.AbstractEventLoop,
) -> None:
    owner = _Owner()
    buffer = ThreadBuffer(loop_thread)
    with pytest.raises(i3x.TimeoutError, match=r"no subscription event within 0\.01 s"):
        buffer.get(timeout=0.01)
    # A ring left in the bell by a put that raced a timeout wakes a later get() once,
    # for nothing: it must go back to sleep and still get the next unit.
    buffer._rings += 1
    buffer._bell.put(None)
    getter = concurrent.futures.ThreadPoolExecutor(1)
    later = getter.submit(buffer.get, 5)
    _put_from_loop(loop_thread, buffer, Delivered(changes=[_change(9)], owner=owner))
    item = later.result(timeout=5)
    getter.shutdown()
    assert item is not None
    assert [c.value for c in item.changes] == [9]
    assert buffer._rings == 0


class _Interrupt(BaseException):
    """What a signal handler raises (as Python's SIGINT handler raises KeyboardInterrupt)."""


def test_an_interrupt_just_after_a_ring_leaves_no_later_unit_unwoken(
    loop_thread: asyncio.AbstractEventLoop,
) -> None:
    # A signal's exception comes right after a C call returns: here, after the bell's
    # get() took the ring and before it was counted. Then put() must still wake the next
    # sleeper (a pull form's loop, iterated again after Ctrl-C), and close() end it.
    owner = _Owner()
    buffer = ThreadBuffer(loop_thread)
    lines, first = inspect.getsourcelines(ThreadBuffer.get)
    target = first + next(i for i, line in enumerate(lines) if line.strip() == "rung = True")
    code = ThreadBuffer.get.__code__
    fired = False

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal fired
        if frame.f_code is code and event == "line" and frame.f_lineno == target and not fired:
            fired = True
            raise _Interrupt
        return tracer

    def put_when_asleep(value: int) -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with buffer._lock:
                if buffer._sleepers:
                    break
        unit = Delivered(changes=[_change(value)], seq=value, owner=owner)
        _put_from_loop(loop_thread, buffer, unit)

    threading.Thread(target=put_when_asleep, args=(1,)).start()
    sys.settrace(tracer)
    try:
        with pytest.raises(_Interrupt):
            buffer.get(timeout=5)
    finally:
        sys.settrace(None)
    assert fired
    first_unit = buffer.get(timeout=5)  # the unit that rang is there
    assert first_unit is not None
    assert first_unit.seq == 1
    threading.Thread(target=put_when_asleep, args=(2,)).start()
    # get() without a timeout, as a `for` loop over a pull form: in a thread, so that a
    # consumer that sleeps through the unit fails the test instead of hanging it.
    got: list[Delivered | None] = []
    consumer = threading.Thread(target=lambda: got.append(buffer.get()), daemon=True)
    consumer.start()
    consumer.join(5)
    slept_through = consumer.is_alive()
    buffer.close()  # ends such a consumer
    consumer.join(5)
    assert not slept_through, "get() slept through a unit put while it slept"
    assert [unit.seq for unit in got if unit is not None] == [2]


def test_closing_releases_a_producer_waiting_for_room(
    loop_thread: asyncio.AbstractEventLoop,
) -> None:
    owner = _Owner()
    buffer = ThreadBuffer(loop_thread, maxsize=1)
    _put_from_loop(loop_thread, buffer, Delivered(changes=[_change(1)], seq=1, owner=owner))
    waiting = asyncio.run_coroutine_threadsafe(
        buffer.put(Delivered(changes=[_change(2)], seq=2, owner=owner)), loop_thread
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # until the put waits for room
        with buffer._lock:
            if buffer._producer_waits:
                break
    assert not waiting.done()
    buffer.close()
    waiting.result(timeout=5)  # ended by the close, not left waiting for ever
    assert buffer.pending(owner) == 1  # the second never went in
