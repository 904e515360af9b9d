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
