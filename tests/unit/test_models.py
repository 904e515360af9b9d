"""The models on their own: from_dict/to_dict round trips, wire and Python names, extras."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

import pytest

import i3x

from ._helpers import sample, sse_items

UTC = timezone.utc


def test_from_dict_takes_wire_and_python_names() -> None:
    wire = i3x.ObjectInstance.from_dict(
        {"elementId": "a", "displayName": "A", "typeElementId": "t", "parentId": "p"}
    )
    python = i3x.ObjectInstance.from_dict(
        {"element_id": "a", "display_name": "A", "type_id": "t", "parent_id": "p"}
    )
    older = i3x.ObjectInstance.from_dict(
        {"elementId": "a", "displayName": "A", "typeId": "t", "parentId": "p"}
    )
    assert wire == python == older
    assert wire.to_dict() == {
        "elementId": "a",
        "displayName": "A",
        "typeElementId": "t",
        "namespaceUri": None,
        "parentId": "p",
        "isComposition": False,
        "isExtended": False,
        "metadata": None,
    }


def test_models_are_frozen() -> None:
    vqt = i3x.VQT(value=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        vqt.value = 2  # type: ignore[misc]


def test_from_dict_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="specVersion"):
        i3x.ServerInfo.from_dict({"serverName": "x"})


def test_vqt_round_trip() -> None:
    vqt = i3x.VQT.from_dict(
        {"value": {"temperature": 72.5}, "quality": "Good", "timestamp": "2026-11-24T10:47:22.5Z"}
    )
    assert vqt.timestamp == datetime(2026, 11, 24, 10, 47, 22, 500000, tzinfo=UTC)
    wire = vqt.to_dict()
    assert wire["value"] == {"temperature": 72.5}
    assert datetime.fromisoformat(wire["timestamp"].replace("Z", "+00:00")) == vqt.timestamp
    assert i3x.VQT.from_dict(wire) == vqt
    assert i3x.VQT.from_json(vqt.to_json()) == vqt


def test_unknown_fields_are_kept_at_every_level() -> None:
    info = i3x.ServerInfo.from_dict(
        {
            "specVersion": "1.0",
            "capabilities": {"query": {"history": True, "aggregates": True}, "custom": 1},
            "vendor": "ACME",
        }
    )
    assert info.model_extra == {"vendor": "ACME"}
    assert info.capabilities.model_extra == {"custom": 1}
    assert info.capabilities.query.model_extra == {"aggregates": True}
    assert info.to_dict()["capabilities"]["query"] == {"history": True, "aggregates": True}


def test_subscription_round_trip() -> None:
    wire = sample("server-b-subscriptions-list.json")["results"][0]["result"]
    sub = i3x.Subscription.from_dict(wire)
    again = i3x.Subscription.from_dict(sub.to_dict())
    assert again == sub
    assert again.model_extra == {"mode": "native"}
    assert sub.to_dict()["monitoredObjects"] == wire["monitoredObjects"]


@pytest.mark.parametrize(
    "name",
    [
        "server-a-stream-sse-10s.sse",
        "server-b-subscriptions-stream-10s.sse",
        "server-b-subscriptions-stream-quiet-20s-keepalive.sse",
    ],
)
def test_value_change_from_both_stream_payload_shapes(name: str) -> None:
    events = sse_items(name)
    assert events
    for event in events:
        for wire in event:
            change = i3x.ValueChange.from_dict(wire)
            assert change.element_id == wire["elementId"]
            assert change.timestamp is not None
            assert change.timestamp.tzinfo is not None
            assert change.sequence_number == wire.get("sequenceNumber")
            inner: Any = wire["value"]
            if isinstance(inner, dict) and "isComposition" in inner:
                # The nested current-value result is the value, as get_value reads it.
                assert change.value == inner["value"]
                assert change.quality == inner["quality"]
                assert change.is_composition is inner["isComposition"]
                assert set(change.children) == set(inner.get("components") or {})
            else:
                assert change.value == inner
                assert change.quality == wire["quality"]
                assert set(change.children) == set(wire.get("components") or {})
            assert i3x.ValueChange.from_dict(change.to_dict()) == change


def test_sync_batch_numbers_its_updates() -> None:
    batch = i3x.SyncBatch.from_dict(sample("server-a-sync-first-no-ack.json")["result"][0])
    assert batch.sequence_number == 1
    assert [u.sequence_number for u in batch.updates] == [1] * 8
    assert i3x.SyncBatch.from_dict(batch.to_dict()) == batch


def test_last_known_value_from_a_flat_wire_value() -> None:
    value = i3x.LastKnownValue.from_dict(
        {
            "elementId": "a",
            "isComposition": True,
            "value": None,
            "quality": "GoodNoData",
            "timestamp": "2026-11-24T10:47:22Z",
            "components": {
                "b": {"value": 1, "quality": "Good", "timestamp": "2026-11-24T10:47:21Z"}
            },
        }
    )
    assert value.quality == "GoodNoData"
    assert value.children["b"].element_id == "b"
    assert value.children["b"].value == 1


def test_components_is_children_or_none() -> None:
    # The 1.0 reference client's CurrentValue.components: None for a plain element.
    plain = i3x.LastKnownValue.from_dict({"elementId": "a", "value": 1})
    assert plain.children == {}
    assert plain.components is None
    pump = i3x.LastKnownValue.from_dict(
        {"elementId": "pump", "isComposition": True, "components": {"t": {"value": 70.3}}}
    )
    assert pump.components is pump.children
    assert pump.components is not None
    assert pump.components["t"].value == 70.3


def test_from_dict_takes_the_reference_clients_element_id_and_data() -> None:
    data = {
        "isComposition": False,
        "value": 72.5,
        "quality": "Good",
        "timestamp": "2026-01-01T00:00:00Z",
    }
    current = i3x.CurrentValue.from_dict("obj-1", data)
    assert current == i3x.LastKnownValue.from_dict({**data, "elementId": "obj-1"})
    assert (current.element_id, current.value, current.quality) == ("obj-1", 72.5, "Good")
    assert "elementId" not in data, "the caller's dict is left as it was"

    history = i3x.HistoricalValue.from_dict(
        "obj-1",
        {"values": [{"value": 2, "timestamp": "2026-01-01T01:00:00Z"}, {"value": 1}]},
    )
    assert history.element_id == "obj-1"
    assert [v.value for v in history.values] == [2, 1]
    # The one-argument forms, by position and by name, are the ones every model has.
    assert i3x.LastKnownValue.from_dict(data={**data, "elementId": "obj-1"}) == current


def test_from_dict_with_an_element_id_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="LastKnownValue"):
        i3x.LastKnownValue.from_dict("obj-1", [1, 2])  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="elementId"):
        i3x.LastKnownValue.from_dict(5, {"value": 1})  # type: ignore[call-overload]


def test_current_and_historical_value_are_last_known_value() -> None:
    assert i3x.CurrentValue is i3x.LastKnownValue
    assert i3x.HistoricalValue is i3x.LastKnownValue


def test_related_object_round_trip() -> None:
    wire = sample("server-a-objects-related.json")["results"][0]["result"][1]
    related = i3x.RelatedObject.from_dict(wire)
    assert related.source_relationship == "HasComponent"
    assert related.element_id == "pump-101-state"
    assert i3x.RelatedObject.from_dict(related.to_dict()) == related


def test_a_value_without_quality_or_timestamp_takes_the_defaults() -> None:
    value = i3x.LastKnownValue.from_dict({"elementId": "x", "value": 1})
    assert (value.value, value.quality, value.timestamp) == (1, i3x.Quality.GOOD, None)
    null_time = i3x.LastKnownValue.from_dict({"elementId": "x", "value": 1, "timestamp": None})
    assert (null_time.quality, null_time.timestamp) == (i3x.Quality.GOOD, None)


@pytest.mark.parametrize(
    ("value", "quality"),
    [(None, i3x.Quality.GOOD_NO_DATA), (0, i3x.Quality.UNCERTAIN), ({"a": 1}, "Uncertain")],
)
def test_a_null_quality_is_never_good_in_any_value_shape(value: object, quality: str) -> None:
    # Good vouches for a value; a server that sends quality null vouches for nothing.
    ts = "2026-01-01T00:00:00Z"
    wire: dict[str, Any] = {"value": value, "quality": None, "timestamp": ts}
    shapes: dict[str, dict[str, Any]] = {
        "current": {"elementId": "x", **wire},
        "history": {"elementId": "x", "values": [wire]},
        "seed": {"elementId": "x", "data": [wire]},
        "component": {"elementId": "p", "value": 1, "quality": "Good", "components": {"x": wire}},
        "history component": {
            "elementId": "p",
            "values": [],
            "components": {"x": {"values": [wire]}},
        },
    }
    for name, shape in shapes.items():
        read = i3x.LastKnownValue.from_dict(shape)
        read = read.children.get("x", read)
        assert (read.value, read.quality) == (value, quality), name
    change = i3x.ValueChange.from_dict({"elementId": "x", **wire})
    assert (change.value, change.quality) == (value, quality)


def test_an_update_with_components_is_a_composition() -> None:
    change = i3x.ValueChange.from_dict(
        {
            "elementId": "pump",
            "value": None,
            "quality": "GoodNoData",
            "timestamp": "2026-11-24T10:00:00Z",
            "components": {
                "pump-flow": {"value": 3, "quality": "Good", "timestamp": "2026-11-24T10:00:00Z"}
            },
        }
    )
    assert change.is_composition
    assert change.children["pump-flow"].value == 3
