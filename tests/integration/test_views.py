"""`with_options()` views share their client's delivery machinery: its disconnect ends all."""

from __future__ import annotations

import asyncio
import threading

import pytest

import i3x
from i3x.testing import DemoServer

pytestmark = pytest.mark.integration

_MACHINERY = ("i3x-dispatcher", "i3x-delivery")


def _running_tasks() -> list[str]:
    return sorted(
        t.get_name()
        for t in asyncio.all_tasks()
        if not t.done() and t.get_name().startswith(_MACHINERY)
    )


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["stream", "sync"])
async def test_the_clients_disconnect_ends_what_a_view_started(
    i3x_server: DemoServer, mode: i3x.Mode
) -> None:
    client = i3x.AsyncClient(i3x_server.url)
    got = asyncio.Event()
    client.on_value_change = lambda c, change: got.set()
    view = client.with_options(timeout=5)
    await view.subscribe(["pt-304"], mode=mode)
    i3x_server.set_value("pt-304", 3.5)
    await asyncio.wait_for(got.wait(), 10)
    assert _running_tasks() != []
    await client.disconnect()
    assert _running_tasks() == []


@pytest.mark.parametrize("mode", ["stream", "sync"])
def test_the_sync_clients_disconnect_ends_what_a_view_started(
    i3x_server: DemoServer, mode: i3x.Mode
) -> None:
    client = i3x.Client(i3x_server.url)
    got = threading.Event()
    client.on_value_change = lambda c, change: got.set()
    view = client.with_options(timeout=5)
    view.subscribe(["pt-304"], mode=mode)
    i3x_server.set_value("pt-304", 3.5)
    assert got.wait(10)
    client.disconnect()
    alive = [t.name for t in threading.enumerate() if t.name.startswith(_MACHINERY)]
    assert alive == []


def test_callbacks_get_the_client_whichever_view_subscribed(i3x_server: DemoServer) -> None:
    client = i3x.Client(i3x_server.url)
    hosts: list[object] = []
    got = threading.Event()

    def on_change(host: object, change: i3x.ValueChange) -> None:
        hosts.append(host)
        if len(hosts) >= 2:
            got.set()

    client.on_value_change = on_change
    client.with_options(max_retries=0).subscribe(["pt-304"], mode="sync")
    client.subscribe(["tank-201-level"], mode="sync")
    i3x_server.set_value("pt-304", 3.5)
    i3x_server.set_value("tank-201-level", 1.5)
    assert got.wait(10)
    client.disconnect()
    # Not the view: its options (no retries here) are not what the callback's work gets.
    assert all(host is client for host in hosts)


@pytest.mark.anyio
async def test_async_callbacks_get_the_client_whichever_view_subscribed(
    i3x_server: DemoServer,
) -> None:
    client = i3x.AsyncClient(i3x_server.url)
    hosts: list[object] = []
    got = asyncio.Event()

    def on_change(host: object, change: i3x.ValueChange) -> None:
        hosts.append(host)
        got.set()

    client.on_value_change = on_change
    await client.with_options(max_retries=0).subscribe(["pt-304"], mode="stream")
    i3x_server.set_value("pt-304", 3.5)
    await asyncio.wait_for(got.wait(), 10)
    await client.disconnect()
    assert hosts
    assert all(host is client for host in hosts)
