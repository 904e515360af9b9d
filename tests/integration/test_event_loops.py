"""One AsyncClient used from one event loop after another (two ``asyncio.run()`` calls).

The pool, its gate and the read merger belong to a loop and are made anew on the
next one; the connection, subscription records and acknowledgements carry over;
a delivery ends with its loop and never makes a later call hang.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Iterator

import pytest

import i3x
from i3x.testing import DemoServer


@pytest.fixture
def no_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Every warning, ResourceWarnings from finalizers included, for the test to check."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
        gc.collect()  # sockets left open would warn as they are collected
    assert [str(w.message) for w in caught] == []


def test_a_client_reads_from_two_asyncio_runs(
    i3x_server: DemoServer, no_warnings: list[warnings.WarningMessage]
) -> None:
    client = i3x.AsyncClient(i3x_server.url, max_concurrency=2)
    ids = ["ts-301", "ts-302", "pt-304"]

    async def reads() -> tuple[i3x.LastKnownValue, list[i3x.LastKnownValue], list[str]]:
        one = await client.get_value("pump-101-flow")
        merged = await asyncio.gather(*(client.get_value(i) for i in ids))
        batched = await client.with_options(batch_size=1).get_values(ids)
        return one, list(merged), list(batched)

    first = asyncio.run(reads())
    i3x_server.requests.clear()
    second = asyncio.run(reads())
    asyncio.run(client.aclose())

    assert second[0].value == first[0].value
    assert [v.element_id for v in second[1]] == ids
    assert second[2] == ids
    # The connection carried over: no second /info; the merged reads were one request
    # on the new loop too, and the batches one request each.
    assert i3x_server.requests.filter(path="/v1/info") == []
    value_posts = i3x_server.requests.filter(method="POST", path="/v1/objects/value")
    assert len(value_posts) == 1 + 1 + len(ids)


def test_a_delivery_ends_with_its_loop_and_resumes_on_the_next(
    i3x_server: DemoServer, no_warnings: list[warnings.WarningMessage]
) -> None:
    client = i3x.AsyncClient(i3x_server.url)
    seen: list[tuple[str, object]] = []

    async def wait_for(element_id: str, value: float) -> None:
        arrived = asyncio.Event()

        def on_value_change(_: i3x.AsyncClient, change: i3x.ValueChange) -> None:
            seen.append((change.element_id, change.value))
            if (change.element_id, change.value) == (element_id, value):
                arrived.set()

        client.on_value_change = on_value_change
        i3x_server.set_value(element_id, value)
        await asyncio.wait_for(arrived.wait(), 10)

    async def first_loop() -> i3x.Subscription:
        subscription = await client.subscribe(["pt-304"], mode="stream")
        await wait_for("pt-304", 1.5)
        return subscription  # left delivering: asyncio.run() ends its task

    async def second_loop(sub_id: str) -> None:
        listed = await client.get_subscription(sub_id)
        assert listed.is_streaming is False, "the delivery ended with the first loop"
        await client.start_stream(sub_id)
        await wait_for("pt-304", 2.5)

    async def third_loop(subscription: i3x.Subscription) -> None:
        # Neither waits for the second loop's ended task (it would never finish).
        await asyncio.wait_for(client.stop_stream(subscription.subscription_id), 5)
        await asyncio.wait_for(client.unsubscribe(subscription), 5)
        await asyncio.wait_for(client.disconnect(), 5)

    subscription = asyncio.run(first_loop())
    asyncio.run(second_loop(subscription.subscription_id))
    asyncio.run(third_loop(subscription))

    assert seen == [("pt-304", 1.5), ("pt-304", 2.5)]
    assert i3x_server.subscription_ids() == []


def test_a_later_loop_syncs_and_disconnects_without_the_ended_delivery(
    i3x_server: DemoServer, no_warnings: list[warnings.WarningMessage]
) -> None:
    client = i3x.AsyncClient(i3x_server.url)

    async def subscribe() -> i3x.Subscription:
        return await client.subscribe(["pt-304"], mode="sync", poll_interval=0.05)

    async def sync(sub_id: str) -> i3x.SyncResult:
        i3x_server.set_value("pt-304", 4.5)
        result = await client.sync_subscription(sub_id)
        await asyncio.wait_for(client.disconnect(), 5)
        return result

    subscription = asyncio.run(subscribe())
    result = asyncio.run(sync(subscription.subscription_id))

    assert [u.value for u in result.updates] == [4.5]
    assert not client.is_connected
    assert i3x_server.subscription_ids() == [subscription.subscription_id]
