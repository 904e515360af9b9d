"""What only the async client has: async context managers, async iteration, coroutine
callbacks and concurrent batches, on a real event loop against the embedded server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import i3x
from i3x.testing import DemoServer

pytestmark = pytest.mark.anyio


async def test_async_with_and_the_quick_start(i3x_server: DemoServer) -> None:
    async with i3x.AsyncClient(i3x_server.url) as client:
        assert client.is_connected
        value = await client.get_value("pt-304")
        await client.update_value("tank-201-setpoint", {"temperature": 72.5})
        assert (await client.get_value("tank-201-setpoint")).value == {"temperature": 72.5}
    assert value.quality == "Good"
    assert not client.is_connected


@pytest.mark.parametrize("mode", ["stream", "sync"])
async def test_async_for_over_a_subscription(i3x_server: DemoServer, mode: i3x.Mode) -> None:
    async with (
        i3x.AsyncClient(i3x_server.url) as client,
        client.subscription(["pt-304"], mode=mode) as changes,
    ):
        for value in (1.5, 2.5):
            i3x_server.set_value("pt-304", value)
        got: list[float] = []
        async for event in changes:
            if isinstance(event, i3x.ValueChange):
                got.append(event.value)
            if len(got) == 2:
                break
    assert got == [1.5, 2.5]
    assert i3x_server.subscription_ids() == []


async def test_coroutine_and_plain_callbacks_run_in_order(i3x_server: DemoServer) -> None:
    seen: list[tuple[str, object]] = []
    done = asyncio.Event()

    async def on_value_change(client: i3x.AsyncClient, change: i3x.ValueChange) -> None:
        await asyncio.sleep(0)  # a coroutine callback really awaits
        seen.append(("change", change.value))
        if change.value == 3.0:
            done.set()

    def on_subscribe(client: i3x.AsyncClient, subscription: i3x.Subscription) -> None:
        seen.append(("subscribed", subscription.objects))

    async with i3x.AsyncClient(i3x_server.url) as client:
        client.on_value_change = on_value_change
        client.on_subscribe = on_subscribe
        await client.subscribe(["pt-304"], mode="sync", poll_interval=0.01)
        for value in (1.0, 2.0, 3.0):
            i3x_server.set_value("pt-304", value)
        await asyncio.wait_for(done.wait(), 10)
    assert seen == [("subscribed", ["pt-304"]), ("change", 1.0), ("change", 2.0), ("change", 3.0)]


async def test_batches_are_sent_concurrently_and_keep_order(i3x_server: DemoServer) -> None:
    ids = ["ts-301", "ts-302", "ts-303", "pt-304", "pump-101-flow", "tank-201-level"]
    i3x_server.faults.latency = 0.2
    async with i3x.AsyncClient(i3x_server.url, batch_size=1, max_concurrency=6) as client:
        started = asyncio.get_running_loop().time()
        values = await client.get_values(ids)
        elapsed = asyncio.get_running_loop().time() - started
    assert list(values) == ids
    batches = [r for r in i3x_server.requests if r.path == "/v1/objects/value"]
    assert len(batches) == len(ids)
    # Six batches with 0.2 s of latency each, in parallel: far less than 6 x 0.2 s.
    assert elapsed < 0.2 * len(ids) / 2


class _CountingTransport(httpx.AsyncHTTPTransport):
    """A real transport (one connection pool) that counts what goes through it."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)

    async def aclose(self) -> None:
        self.closed = True
        await super().aclose()


async def test_many_concurrent_calls_share_one_pool(i3x_server: DemoServer) -> None:
    transport = _CountingTransport()
    async with i3x.AsyncClient(i3x_server.url, transport=transport) as client:
        results = await asyncio.gather(*(client.get_value("pt-304") for _ in range(100)))
        assert not transport.closed
    assert {r.element_id for r in results} == {"pt-304"}
    # The hundred reads went as one bulk read, through the one pool of the client.
    assert [p for p in transport.paths if not p.endswith("/info")] == ["/v1/objects/value"]
    assert transport.closed


async def test_disconnect_cancels_deliveries_promptly(i3x_server: DemoServer) -> None:
    client = i3x.AsyncClient(i3x_server.url)
    client.on_value_change = lambda c, change: None
    await client.subscribe(["pt-304"], mode="stream")
    await client.subscribe(["tank-201"], mode="sync")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.disconnect()
    assert loop.time() - started < 1.0
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert not [t for t in others if t.get_name().startswith("i3x-")]


async def test_concurrent_reads_are_merged_into_one_bulk_request(i3x_server: DemoServer) -> None:
    ids = ["ts-301", "ts-302", "ts-303", "pt-304"] * 10
    async with i3x.AsyncClient(i3x_server.url) as client:
        i3x_server.requests.clear()
        outcomes = await asyncio.gather(
            *(client.get_value(i) for i in ids),
            client.get_value("no-such-sensor"),
            client.get_value("pump-101", max_depth=0),
            client.get_object("tank-201"),
            return_exceptions=True,
        )
    values, missing, pump, tank = outcomes[:-3], outcomes[-3], outcomes[-2], outcomes[-1]
    assert [v.element_id for v in values if isinstance(v, i3x.LastKnownValue)] == ids
    assert isinstance(missing, i3x.NotFoundError)  # only its own caller fails
    assert isinstance(pump, i3x.LastKnownValue)
    assert "pump-101-motor-current" in pump.children
    assert isinstance(tank, i3x.ObjectInstance)
    assert tank.element_id == "tank-201"
    paths = [r.path for r in i3x_server.requests]
    # One request per kind of read: depth 1, depth 0, and objects.
    assert paths.count("/v1/objects/value") == 2
    assert paths.count("/v1/objects/list") == 1
    [depth_one] = [r for r in i3x_server.requests if r.json and r.json.get("maxDepth") == 1]
    assert depth_one.json is not None
    assert depth_one.json["elementIds"] == [*ids[:4], "no-such-sensor"]


async def test_stop_stream_in_the_middle_of_an_answer_acknowledges_what_went_out(
    i3x_server: DemoServer,
) -> None:
    counter = "filler-401-bottle-count"
    seen: list[int] = []
    inside, release = asyncio.Event(), asyncio.Event()

    async def on_value_change(client: i3x.AsyncClient, change: i3x.ValueChange) -> None:
        seen.append(change.value)
        if len(seen) == 5:
            inside.set()
            await release.wait()

    async with i3x.AsyncClient(i3x_server.url) as client:
        sub_id = await client.create_subscription()
        await client.register_items(sub_id, [counter])
        for value in range(50):  # queued before delivery: the first sync returns them all
            i3x_server.set_value(counter, value)
        client.on_value_change = on_value_change
        await client.start_stream(sub_id, mode="sync")
        await asyncio.wait_for(inside.wait(), 10)
        stopping = asyncio.create_task(client.stop_stream(sub_id))
        done, _ = await asyncio.wait({stopping}, timeout=0.2)
        assert not done, "stop_stream returned while a callback of its delivery ran"
        release.set()
        await asyncio.wait_for(stopping, 10)
        rest = await client.sync_subscription(sub_id)
        assert [u.value for u in rest.updates] == list(range(5, 50))
    assert seen == list(range(5))


async def test_sync_mode_fetches_more_only_once_the_callbacks_took_the_answer(
    i3x_server: DemoServer, short_delivery_wait: None
) -> None:
    # As the sync client's test of the same name, with a coroutine callback holding
    # the first answer while the event loop goes on.
    sync_path = "/v1/subscriptions/sync"
    entered, release, all_in = asyncio.Event(), asyncio.Event(), asyncio.Event()
    got: list[float] = []

    async def hold_the_first(client: i3x.AsyncClient, change: i3x.ValueChange) -> None:
        if change.value == 0.0:
            entered.set()
            await release.wait()
        got.append(change.value)
        if len(got) == 5:
            all_in.set()

    async with i3x.AsyncClient(i3x_server.url) as client:
        client.on_value_change = hold_the_first
        await client.subscribe(["pt-304"], mode="sync", poll_interval=0.01)
        i3x_server.set_value("pt-304", 0.0)
        await asyncio.wait_for(entered.wait(), 10)
        held_at = asyncio.get_running_loop().time()
        i3x_server.requests.clear()
        for value in range(1, 5):
            i3x_server.set_value("pt-304", float(value))
        await asyncio.to_thread(i3x_server.requests.wait_for, path=sync_path)
        waited = asyncio.get_running_loop().time() - held_at
        assert waited >= 0.25, f"synced again {waited:.3f} s into a held answer"
        assert "lastSequenceNumber" not in i3x_server.requests.filter(path=sync_path)[0].json
        release.set()
        await asyncio.wait_for(all_in.wait(), 10)
        await asyncio.to_thread(i3x_server.requests.wait_for, 2, path=sync_path)
        assert i3x_server.requests.filter(path=sync_path)[1].json["lastSequenceNumber"] == 5
    assert got == [0.0, 1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("mode", ["stream", "sync"])
async def test_pull_form_ends_when_the_client_disconnects(
    i3x_server: DemoServer, mode: i3x.Mode
) -> None:
    # One task waits for the next change with no timeout; another disconnects.
    client = i3x.AsyncClient(i3x_server.url)
    got: list[object] = []
    inside, first = asyncio.Event(), asyncio.Event()

    async def consume() -> None:
        async with client.subscription(["pt-304"], mode=mode) as changes:
            inside.set()
            async for event in changes:
                got.append(event)
                first.set()

    consumer = asyncio.create_task(consume())
    await asyncio.wait_for(inside.wait(), 10)
    i3x_server.set_value("pt-304", 5.0)
    await asyncio.wait_for(first.wait(), 10)
    await client.disconnect()
    await asyncio.wait_for(consumer, 10)  # times out if the pull form still waits
    assert [e.value for e in got if isinstance(e, i3x.ValueChange)] == [5.0]
    assert not client.is_connected  # leaving the block did not connect again
    assert len(i3x_server.subscription_ids()) == 1  # left on the server, as disconnect() does


async def test_the_block_end_deletes_the_subscription_after_the_users_own_stop_stream(
    i3x_server: DemoServer,
) -> None:
    async with i3x.AsyncClient(i3x_server.url) as client:
        async with client.subscription(["pt-304"], mode="sync") as changes:
            await client.stop_stream(changes.subscription_id)
        assert i3x_server.subscription_ids() == []  # only disconnect() leaves it there
