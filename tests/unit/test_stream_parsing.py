"""Stream payloads as real servers send them, through the real delivery code (respx).

Both payload variants of WIRE-NOTES: flat items (server A) and items with a
``sequenceNumber`` nesting a whole current-value result in ``value`` (server B),
with ``: keepalive`` comments and trailing noise that SSE parsing ignores.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import TypeAdapter

import i3x
from i3x import _delivery
from i3x._events import parse_stream_event, parse_stream_events
from i3x._models import SyncEntryWire, batch_from_wire

from ._helpers import INFO, sample_bytes

pytestmark = pytest.mark.anyio

API = "http://i3x.test/v1"
SUB = "sub-1"


def _data_items(sample: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for line in sample_bytes(sample).decode().splitlines():
        if line.startswith("data:"):
            items.extend(json.loads(line[5:]))
    return items


@pytest.fixture(autouse=True)
def _fast_reconnect(i3x_fast_waits: None) -> None:
    """Reconnects 10 ms apart."""


@pytest.fixture
async def stream_of(respx_mock: respx.MockRouter) -> AsyncIterator[Any]:
    """Serve ``content`` as the subscription stream; return a started pull-form subscription."""
    respx_mock.get(f"{API}/info").respond(json=INFO)
    respx_mock.post(f"{API}/subscriptions").respond(
        json={"success": True, "result": {"clientId": "c", "subscriptionId": SUB}}
    )
    ok = {"success": True, "results": [{"success": True, "elementId": "x", "result": None}]}
    respx_mock.post(f"{API}/subscriptions/register").respond(json=ok)
    respx_mock.post(f"{API}/subscriptions/delete").respond(
        json={"success": True, "results": [{"success": True, "subscriptionId": SUB}]}
    )
    client = i3x.AsyncClient(API, client_id="c")
    opened: list[Any] = []

    async def start(
        content: bytes | AsyncIterator[bytes], encoding: str | None = None
    ) -> i3x.AsyncSubscriptionStream:
        headers = {"content-type": "text/event-stream"}
        if encoding:
            headers["content-encoding"] = encoding
        respx_mock.post(f"{API}/subscriptions/stream").mock(
            side_effect=lambda request: httpx.Response(200, headers=headers, content=content)
        )
        context = client.subscription(["x"], mode="stream")
        opened.append(context)
        return await context.__aenter__()

    yield start
    for context in opened:
        await context.__aexit__(None, None, None)
    await client.disconnect()


async def _changes(stream: i3x.AsyncSubscriptionStream, count: int) -> list[i3x.ValueChange]:
    got: list[i3x.ValueChange] = []
    while len(got) < count:
        event = await stream.get(timeout=5)
        if isinstance(event, i3x.ValueChange):
            got.append(event)
    return got


@pytest.mark.parametrize(
    "item",
    [
        {"elementId": "a", "value": 1, "quality": "Good", "timestamp": "2026-01-01T00:00:00Z"},
        {
            "elementId": "a",
            "value": 1,
            "quality": "Good",
            "timestamp": "2026-01-01T00:00:00Z",
            "components": {"b": {"value": 2, "quality": "Bad", "timestamp": None}},
        },
        {
            "elementId": "a",
            "sequenceNumber": 3,
            "value": {
                "isComposition": True,
                "value": 1,
                "quality": "Good",
                "timestamp": "2026-01-01T00:00:00Z",
                "components": {"b": {"value": 2, "quality": "Bad", "timestamp": None}},
            },
        },
    ],
    ids=["flat", "flat-composition", "nested"],
)
def test_a_stream_update_vqt_is_only_a_vqt(item: dict[str, Any]) -> None:
    (change,) = parse_stream_event(json.dumps([item]), SUB)

    vqt = change.data[0]
    assert vqt.model_extra == {}
    assert vqt.to_dict() == {"value": 1, "quality": "Good", "timestamp": "2026-01-01T00:00:00Z"}
    # The fast decoding agrees with the models' own validation of the same item.
    assert vqt.to_dict() == i3x.ValueChange.from_dict(item).data[0].to_dict()
    for child in change.children.values():
        assert child.data[0].to_dict() == {"value": 2, "quality": "Bad", "timestamp": None}


def test_the_events_of_one_read_are_read_in_either_form_and_in_order() -> None:
    ts = "2026-01-01T00:00:00Z"

    def item(n: int) -> dict[str, Any]:
        return {"elementId": "e", "value": n, "quality": "Good", "timestamp": ts}

    objects = [json.dumps(item(n)).encode() for n in range(3)]
    # Each event one update (the usual stream); then arrays of updates among them,
    # also one with white space before its bracket.
    mixed = [objects[0], json.dumps([item(3), item(4)]).encode(), objects[1]]
    spaced = [objects[0], b" " + json.dumps([item(5)]).encode(), objects[2]]

    assert [c.value for c in parse_stream_events(objects, SUB)] == [0, 1, 2]
    assert [c.value for c in parse_stream_events(mixed, SUB)] == [0, 3, 4, 1]
    assert [c.value for c in parse_stream_events(spaced, SUB)] == [0, 5, 2]


# Objects that look like a nested current-value result but do not validate as one:
# no quality; an isComposition that is no bool and nothing else.
_HALF_FORMED = [
    {"isComposition": True, "timestamp": "2026-01-01"},
    {"isComposition": "yes"},
]


@pytest.mark.parametrize("value", _HALF_FORMED)
def test_an_object_that_is_no_current_value_result_is_a_value_like_any_other(
    value: dict[str, Any],
) -> None:
    update = {
        "elementId": "e",
        "value": value,
        "quality": "Good",
        "timestamp": "2026-01-01T00:00:00Z",
    }
    (change,) = parse_stream_event(json.dumps([update]), SUB)
    assert (change.value, change.quality, change.is_composition) == (value, "Good", False)
    # The same in a sync answer's batch.
    entries = TypeAdapter(list[SyncEntryWire]).validate_json(
        json.dumps([{"sequenceNumber": 4, "updates": [update]}])
    )
    (synced,) = batch_from_wire(entries[0], SUB).updates
    assert (synced.value, synced.quality, synced.is_composition) == (value, "Good", False)


async def test_a_half_formed_current_value_result_stops_nothing(stream_of: Any) -> None:
    content = _sse([{"elementId": "x", "value": _HALF_FORMED[0]}], [{"elementId": "x", "value": 7}])
    stream = await stream_of(content)
    got = [await stream.get(timeout=5) for _ in range(2)]
    assert [e.value for e in got if isinstance(e, i3x.ValueChange)] == [_HALF_FORMED[0], 7]


async def test_an_event_no_change_can_be_made_of_is_a_notice_and_the_rest_arrive(
    stream_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Validated, but its conversion fails (a shape no server was seen to send, or a
    # bug here): a notice where the event was, and the stream goes on.
    made = i3x._models.change_from_wire

    def unreadable(item: Any, subscription_id: str | None, seq: int | None) -> i3x.ValueChange:
        if item["elementId"] == "odd":
            raise AttributeError("'str' object has no attribute 'tzinfo'")
        return made(item, subscription_id, seq)

    monkeypatch.setattr(i3x._events, "change_from_wire", unreadable)
    odd = {"elementId": "odd", "value": 0}
    stream = await stream_of(_sse([_item(1, 1.0)], [odd], [_item(2, 2.0)]))
    got = [await stream.get(timeout=5) for _ in range(3)]
    assert [e.value for e in got if isinstance(e, i3x.ValueChange)] == [1.0, 2.0]
    assert isinstance(got[1], i3x.StreamError)
    assert "could not be read (AttributeError: 'str' object has no attribute" in str(got[1])


def test_a_stream_update_with_a_null_quality_is_not_good() -> None:
    ts = "2026-01-01T00:00:00Z"
    items: list[dict[str, Any]] = [
        {"elementId": "a", "value": None, "quality": None, "timestamp": ts},
        {"elementId": "b", "value": 4, "quality": None, "timestamp": ts},
        {
            "elementId": "c",
            "sequenceNumber": 2,
            "value": {"isComposition": False, "value": 4, "quality": None, "timestamp": ts},
        },
    ]

    changes = parse_stream_event(json.dumps(items), SUB)

    assert [(c.value, c.quality) for c in changes] == [
        (None, "GoodNoData"),
        (4, "Uncertain"),
        (4, "Uncertain"),
    ]
    assert all(c.timestamp is not None and c.timestamp.tzinfo is not None for c in changes)
    # The fast decoding agrees with the models' own validation of the same items.
    assert [c.quality for c in changes] == [i3x.ValueChange.from_dict(i).quality for i in items]


async def test_flat_items_of_server_a(stream_of: Any) -> None:
    expected = _data_items("server-a-stream-sse-10s.sse")
    stream = await stream_of(sample_bytes("server-a-stream-sse-10s.sse"))
    got = await _changes(stream, len(expected))
    assert [(c.element_id, c.value, c.quality) for c in got] == [
        (e["elementId"], e["value"], e["quality"]) for e in expected
    ]
    composite = next(c for c in got if c.children)
    assert set(composite.children) == set(expected[0]["components"])
    assert all(c.timestamp is not None and c.timestamp.tzinfo is not None for c in got)
    assert {c.subscription_id for c in got} == {SUB}


async def test_nested_items_with_sequence_numbers_of_server_b(stream_of: Any) -> None:
    expected = _data_items("server-b-subscriptions-stream-10s.sse")
    stream = await stream_of(sample_bytes("server-b-subscriptions-stream-10s.sse"))
    got = await _changes(stream, len(expected))
    assert [c.sequence_number for c in got] == [e["sequenceNumber"] for e in expected]
    # The whole current-value result nested in `value` becomes the VQT and the children.
    assert [c.value for c in got] == [e["value"]["value"] for e in expected]
    assert [c.quality for c in got] == [e["value"]["quality"] for e in expected]
    pump = got[0]
    assert pump.is_composition
    assert set(pump.children) == set(expected[0]["value"]["components"])

    # The server ends the stream; the client reconnects, and the repeated events
    # (same sequence numbers) are dropped: only the notice of the end comes.
    notice = await stream.get(timeout=5)
    assert isinstance(notice, i3x.StreamError)
    assert "ended the stream" in str(notice)
    again = await stream.get(timeout=5)
    assert isinstance(again, i3x.StreamError)


async def test_items_without_sequence_numbers_of_the_earlier_generation(stream_of: Any) -> None:
    expected = _data_items("server-c-stream-6s.sse")
    stream = await stream_of(sample_bytes("server-c-stream-6s.sse"))
    got = await _changes(stream, len(expected))
    assert [(c.element_id, c.value, c.quality) for c in got] == [
        (e["elementId"], e["value"], e["quality"]) for e in expected
    ]
    assert all(c.sequence_number is None for c in got)
    # Without numbers nothing can be told apart as a repeat: every event is delivered.
    assert len(got) == 12


async def test_keepalive_comments_are_skipped(stream_of: Any) -> None:
    stream = await stream_of(sample_bytes("server-b-subscriptions-stream-quiet-20s-keepalive.sse"))
    [change] = await _changes(stream, 1)
    assert (change.value, change.sequence_number) == (200, 1)
    assert isinstance(await stream.get(timeout=5), i3x.StreamError)


def _sse(*events: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)


def _item(seq: int, value: float) -> dict[str, Any]:
    return {
        "sequenceNumber": seq,
        "elementId": "x",
        "value": value,
        "quality": "Good",
        "timestamp": "2026-11-24T10:00:00Z",
    }


async def test_a_jump_in_sequence_numbers_is_a_gap_notice(stream_of: Any) -> None:
    stream = await stream_of(_sse([_item(1, 1.0), _item(2, 2.0)], [_item(5, 5.0)]))
    events = [await stream.get(timeout=5) for _ in range(4)]
    assert [e.value for e in events if isinstance(e, i3x.ValueChange)] == [1.0, 2.0, 5.0]
    [gap] = [e for e in events if isinstance(e, i3x.UpdatesLostError)]
    assert isinstance(gap, i3x.UpdatesLostError)
    assert (gap.first, gap.last, gap.count) == (3, 4, 2)
    assert events.index(gap) == 2  # reported where the updates went missing


async def test_an_unreadable_event_is_reported_and_the_stream_goes_on(stream_of: Any) -> None:
    content = _sse([_item(1, 1.0)]) + b"data: {not json\n\n" + _sse([_item(2, 2.0)])
    stream = await stream_of(content)
    events = [await stream.get(timeout=5) for _ in range(3)]
    assert [e.value for e in events if isinstance(e, i3x.ValueChange)] == [1.0, 2.0]
    [bad] = [e for e in events if isinstance(e, i3x.StreamError)]
    assert "could not be read" in str(bad)
    # One read brought all three: the notice still stands where the event was.
    assert events.index(bad) == 1


async def test_the_events_of_one_read_arrive_in_order_with_their_gaps(stream_of: Any) -> None:
    # A read of many events is parsed and handed over at once; order and gaps hold.
    events_in = [[_item(seq, float(seq))] for seq in range(1, 101) if seq not in (40, 41)]
    stream = await stream_of(_sse(*events_in))
    got = [await stream.get(timeout=5) for _ in range(99)]
    values = [e.value for e in got if isinstance(e, i3x.ValueChange)]
    assert values == [float(s) for s in range(1, 101) if s not in (40, 41)]
    [gap] = [e for e in got if isinstance(e, i3x.UpdatesLostError)]
    assert (gap.first, gap.last) == (40, 41)
    assert got.index(gap) == 39


def _change(seq: int, value: int) -> i3x.ValueChange:
    return i3x.ValueChange(
        element_id="e", data=[i3x.VQT(value=value, quality="Good")], sequence_number=seq
    )


@pytest.mark.parametrize(
    ("delivered", "expected"),
    [(6, 9), (7, 9), (5, 7), (4, 4), (3, 4), (2, 3), (1, None), (0, None)],
)
def test_a_cut_short_item_acknowledges_its_last_whole_batch(
    delivered: int, expected: int | None
) -> None:
    from i3x._events import Delivered

    # batches 3 (two updates), 4 (one), 7 (two), 9 (one): the item's seq is 9
    changes = [_change(3, 0), _change(3, 1), _change(4, 2), _change(7, 3), _change(7, 4)]
    changes.append(_change(9, 5))
    item = Delivered(changes=changes, seq=9)
    assert item.acknowledgeable(delivered) == expected


async def test_a_compressed_stream_is_decoded(stream_of: Any) -> None:
    # No server compresses its event stream today, but HTTP allows it: the raw bytes
    # are read only when the stream is not encoded.
    stream = await stream_of(gzip.compress(_sse([_item(1, 1.0)], [_item(2, 2.0)])), "gzip")
    events = [await stream.get(timeout=5) for _ in range(2)]
    assert [getattr(e, "value", e) for e in events] == [1.0, 2.0]


async def test_a_failing_delivery_says_so_while_its_stream_stays_open(
    stream_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading and delivering are two tasks: a delivery that fails (a bug, a logging
    # filter that raises) must end the session and say so at once, not when a quiet
    # stream next sends something.
    quiet = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield _sse([_item(1, 1.0)])
        await quiet.wait()  # open, and silent

    def broken(*args: object) -> list[i3x.ValueChange]:
        raise RuntimeError("a bug in delivery")

    monkeypatch.setattr(_delivery, "parse_stream_events", broken)
    monkeypatch.setattr(_delivery, "parse_stream_event", broken)
    try:
        stream = await stream_of(body())
        notice = await stream.get(timeout=5)
    finally:
        quiet.set()
    assert isinstance(notice, i3x.SubscriptionError)
    assert "delivery stopped: a bug in delivery" in str(notice)
