"""Between reading a stream and delivering it: the events of several reads go together."""

from __future__ import annotations

import asyncio

import pytest

from i3x._delivery import HANDOVER_LIMIT, _Handover

pytestmark = pytest.mark.anyio


class _Deliverer:
    """Records each call; holds the calls while `gate` is clear."""

    def __init__(self) -> None:
        self.calls: list[list[bytes]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.inside = asyncio.Event()

    async def __call__(self, datas: list[bytes]) -> None:
        self.calls.append(datas)
        self.inside.set()
        await self.gate.wait()


async def test_the_events_of_reads_in_a_row_are_delivered_in_one_call() -> None:
    deliver = _Deliverer()
    handover = _Handover(deliver, "test")
    # Reads that follow each other without a wait for the network (a socket that held
    # many one-event chunks): the deliverer runs only when the reader waits.
    for i in range(5):
        await handover.add([b"%d" % i])
    await handover.close()
    assert deliver.calls == [[b"0", b"1", b"2", b"3", b"4"]]


async def test_events_that_come_while_a_delivery_runs_go_in_the_next_call() -> None:
    deliver = _Deliverer()
    handover = _Handover(deliver, "test")
    deliver.gate.clear()
    await handover.add([b"a"])
    await asyncio.wait_for(deliver.inside.wait(), 5)  # the deliverer holds "a"
    await handover.add([b"b"])
    await handover.add([b"c"])
    deliver.gate.set()
    await handover.close()
    assert deliver.calls == [[b"a"], [b"b", b"c"]]


async def test_the_reader_waits_while_too_many_events_are_not_taken() -> None:
    deliver = _Deliverer()
    handover = _Handover(deliver, "test")
    deliver.gate.clear()
    await handover.add([b"first"])
    await asyncio.wait_for(deliver.inside.wait(), 5)  # delivering, and held there
    full = asyncio.ensure_future(handover.add([b"x"] * HANDOVER_LIMIT))
    for _ in range(3):
        await asyncio.sleep(0)  # loop turns: the add cannot finish while nothing is taken
    assert not full.done()
    deliver.gate.set()  # the deliverer takes what waits: room again
    await asyncio.wait_for(full, 5)
    await handover.close()
    assert [len(c) for c in deliver.calls] == [1, HANDOVER_LIMIT]


async def test_abort_delivers_nothing_more() -> None:
    deliver = _Deliverer()
    handover = _Handover(deliver, "test")
    deliver.gate.clear()
    await handover.add([b"a"])
    await asyncio.wait_for(deliver.inside.wait(), 5)
    await handover.add([b"b"])
    await handover.abort()
    assert deliver.calls == [[b"a"]]


async def test_a_failed_delivery_is_raised_to_the_reader() -> None:
    async def fail(datas: list[bytes]) -> None:
        raise RuntimeError("broken")

    handover = _Handover(fail, "test")
    await handover.add([b"a"])
    with pytest.raises(RuntimeError, match="broken"):
        await handover.close()
