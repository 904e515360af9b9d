"""An earlier generation of 1.0 server (server-c) and node-i3x's writes, from their real
answers: flat sync entries, `error` bodies, sequence-less stream events, and the values
read back after each kind of write."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx

import i3x
from i3x._events import parse_stream_event

from ._helpers import API, CLIENT_ID, ok, sample, sent_json, sse_items

pytestmark = pytest.mark.respx(base_url=API)

UTC = timezone.utc
SUB = "a96c926f-d4ab-4590-ada0-36a55561f4db"
SENSOR_002 = {
    "temperature": 170.63956736647626,
    "unit": "CEL",
    "accuracy": 0.04135776724059226,
    "calibrationDate": "2025-06-01",
}


def test_info_of_the_earlier_generation() -> None:
    info = i3x.ServerInfo.from_dict(sample("server-c-info.json")["result"])
    assert (info.spec_version, info.server_version, info.server_name) == (
        "1.0",
        "0.0.1",
        "I3X API Prototype",
    )
    assert info.is_beta is False
    assert info.capabilities.update.current is True
    assert info.capabilities.update.history is False


# ------------------------------------------------------------------------- sync


def test_flat_sync_entries_are_one_update_batches(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/subscriptions/sync").respond(json=sample("server-c-sync-flat-updates.json"))

    result = client.sync_subscription(SUB)

    assert [b.sequence_number for b in result] == [1, 2, 3, 4, 5, 6]
    assert all(len(b.updates) == 1 for b in result)
    assert [u.sequence_number for u in result.updates] == [1, 2, 3, 4, 5, 6]
    assert [u.element_id for u in result.updates] == ["sensor-001", "sensor-002"] * 3
    first, second = result.updates[:2]
    assert (first.value, first.quality) == (51.210876658449386, "Good")
    assert first.timestamp == datetime(2026, 11, 29, 15, 19, 47, tzinfo=UTC)
    assert first.subscription_id == SUB
    assert (second.value, second.quality) == (SENSOR_002, "GOOD")
    assert second.is_composition is False
    assert second.children == {}
    # Only VQT fields in the VQT, nothing left over on the change.
    assert first.data[0].model_extra == {}
    assert first.model_extra == {}
    assert result.last_sequence_number == 6
    assert result.gap is None


def test_flat_sync_entries_agree_with_the_models_own_validation(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    entries = sample("server-c-sync-flat-updates.json")["result"]
    respx_mock.post("/subscriptions/sync").respond(json=ok(entries))
    result = client.sync_subscription(SUB)
    for got, entry in zip(result, entries, strict=True):
        expected = i3x.SyncBatch.from_dict(
            {"sequenceNumber": entry["sequenceNumber"], "updates": [entry]}
        )
        assert got.to_dict() == {
            **expected.to_dict(),
            "updates": [{**u, "subscriptionId": SUB} for u in expected.to_dict()["updates"]],
        }


def test_flat_sync_acknowledges_like_batches(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post("/subscriptions/sync").mock(
        side_effect=[
            httpx.Response(200, json=ok(sample("server-c-sync-flat-updates.json")["result"][:2])),
            httpx.Response(200, json=sample("server-c-sync-ack.json")),
            httpx.Response(200, json=ok([])),
        ]
    )

    first = client.sync_subscription(SUB)
    second = client.sync_subscription(SUB)
    third = client.sync_subscription(SUB)

    assert "lastSequenceNumber" not in sent_json(route, 0)
    assert sent_json(route, 1)["lastSequenceNumber"] == 2
    assert sent_json(route, 2)["lastSequenceNumber"] == 6
    assert [u.sequence_number for u in first.updates] == [1, 2]
    assert [u.sequence_number for u in second.updates] == [3, 4, 5, 6]
    assert second.updates[0].value == 53.04759335421215
    assert third == []


def test_flat_and_batched_entries_in_one_answer(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    flat = sample("server-c-sync-flat-updates.json")["result"][0]
    update = {k: v for k, v in flat.items() if k != "sequenceNumber"}
    batched = {"sequenceNumber": 2, "updates": [{**update, "value": 2}, {**update, "value": 3}]}
    respx_mock.post("/subscriptions/sync").respond(json=ok([batched, flat]))
    result = client.sync_subscription(SUB)
    assert [(u.sequence_number, u.value) for u in result.updates] == [
        (1, 51.210876658449386),
        (2, 2),
        (2, 3),
    ]


def test_a_flat_206_reports_the_gap(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    entries = sample("server-c-sync-ack.json")["result"]
    respx_mock.post("/subscriptions/sync").respond(
        206,
        json={
            "success": True,
            "result": entries,
            "responseDetail": {"status": 206, "detail": "queue overflow"},
        },
    )
    result = client.sync_subscription(SUB, last_sequence_number=0)
    assert result.gap is not None
    assert (result.gap.first, result.gap.last) == (1, 2)
    assert [u.sequence_number for u in result.updates] == [3, 4, 5, 6]


@pytest.mark.parametrize(
    "entry",
    [
        {"sequenceNumber": 1, "value": 1},
        {"elementId": "a", "value": 1},
        {"sequenceNumber": "one", "elementId": "a"},
    ],
    ids=["no-element", "no-sequence-number", "bad-number"],
)
def test_a_sync_entry_of_neither_shape_is_a_validation_error(
    client: i3x.Client, respx_mock: respx.MockRouter, entry: dict[str, Any]
) -> None:
    respx_mock.post("/subscriptions/sync").respond(json=ok([entry]))
    with pytest.raises(i3x.ResponseValidationError, match="SyncBatch"):
        client.sync_subscription(SUB)


def test_sync_of_another_client_is_not_found_with_the_servers_message(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/subscriptions/sync").respond(
        404, json=sample("server-c-sync-wrong-client.json")
    )
    with pytest.raises(i3x.NotFoundError) as caught:
        client.sync_subscription(SUB)
    error = caught.value
    assert (error.status_code, error.detail, error.title) == (
        404,
        "Subscription not found",
        "Not Found",
    )
    assert str(error).startswith("HTTP 404 Not Found: Subscription not found")
    assert (error.method, error.url) == ("POST", f"{API}/subscriptions/sync")


def test_delete_answer_of_the_earlier_generation(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post("/subscriptions/delete").respond(json=sample("server-c-delete.json"))
    client.delete_subscriptions([SUB])
    assert sent_json(route) == {"clientId": CLIENT_ID, "subscriptionIds": [SUB]}


# ------------------------------------------------------------------------ errors


def test_a_per_item_error_member_is_a_typed_error(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/objects/value").respond(json=sample("server-c-value-unknown-element.json"))

    with pytest.raises(i3x.BulkError) as caught:
        client.get_values(["sensor-001", "no-such-element"])

    assert caught.value.results["sensor-001"].value == 50.5
    error = caught.value.errors["no-such-element"]
    assert isinstance(error, i3x.NotFoundError)
    assert (error.status_code, error.detail) == (404, "Element not found: no-such-element")
    assert "no-such-element: HTTP 404 Not Found: Element not found: no-such-element" in str(error)
    with pytest.raises(i3x.NotFoundError, match="Element not found: no-such-element"):
        client.get_value("no-such-element")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (400, i3x.BadRequestError),
        (403, i3x.AuthenticationError),
        (404, i3x.NotFoundError),
        (500, i3x.ServerError),
        (501, i3x.NotSupportedError),
    ],
)
def test_a_top_level_error_member_at_http_200_takes_its_code(
    client: i3x.Client, respx_mock: respx.MockRouter, code: int, kind: type[i3x.I3XError]
) -> None:
    body = {"success": False, "error": {"code": code, "message": "said the server"}}
    respx_mock.get("/namespaces").respond(json=body)
    respx_mock.post("/objects/list").respond(json=body)
    for call in (client.get_namespaces, lambda: client.get_object("a")):
        with pytest.raises(kind) as caught:
            call()
        assert (caught.value.status_code, caught.value.detail) == (code, "said the server")


def test_an_error_member_with_an_odd_shape_still_reads(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get("/namespaces").respond(
        400, json={"success": False, "error": {"code": "E42", "message": {"why": "odd"}}}
    )
    with pytest.raises(i3x.BadRequestError) as caught:
        client.get_namespaces()
    assert caught.value.status_code == 400
    assert caught.value.detail == '{"why": "odd"}'


# ------------------------------------------------------------------------ stream


def test_stream_events_without_sequence_numbers() -> None:
    events = sse_items("server-c-stream-6s.sse")
    changes = [c for e in events for c in parse_stream_event(json.dumps(e), SUB)]
    assert len(changes) == 12
    assert all(c.sequence_number is None for c in changes)
    assert [c.element_id for c in changes] == ["sensor-001", "sensor-002"] * 6
    assert changes[0].value == 56.37961227097205
    assert changes[1].value["unit"] == "CEL"
    assert changes[1].quality == "GOOD"
    assert all(c.timestamp is not None and c.timestamp.tzinfo is not None for c in changes)


# ------------------------------------------------------------ writes, read back


@pytest.mark.parametrize(
    "name", ["server-b-put-value-vqtinput.json", "server-b-put-value-raw.json"]
)
def test_node_i3x_write_answers_are_plain_successes(
    respx_mock: respx.MockRouter, name: str
) -> None:
    respx_mock.get("/info").respond(json=sample("server-b-info.json"))
    route = respx_mock.put("/objects/value").respond(json=sample(name))
    element = "property-39384b1c5018f0cd-smart-factory-pump-temperature"
    with i3x.Client(API) as client:
        client.update_value(element, 41.5)
        client.update_values({element: 42.5})
    assert [sent_json(route, i)["updates"][0]["value"] for i in range(2)] == [41.5, 42.5]


def test_a_raw_write_reads_back_as_the_value(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/objects/value").respond(json=sample("server-b-value-after-raw-write.json"))
    value = client.get_value("property-39384b1c5018f0cd-smart-factory-pump-temperature")
    assert (value.value, value.quality) == (42.5, "Good")
    assert value.timestamp == datetime(2026, 11, 29, 15, 19, 56, 324000, tzinfo=UTC)


def test_a_vqt_write_reads_back_as_an_object(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    # The corruption the bare-value profile avoids: the VQT was stored as the value.
    respx_mock.post("/objects/value").respond(
        json=sample("server-b-value-after-vqtinput-write.json")
    )
    value = client.get_value("property-39384b1c5018f0cd-smart-factory-pump-temperature")
    assert value.value == {"value": 41.5, "quality": "Good"}


def test_bool_write_refused_per_item(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.put("/objects/value").respond(json=sample("server-b-put-value-bool-vqtinput.json"))
    element = "property-39384b1c5018f0cd-smart-factory-pump-running"
    with pytest.raises(i3x.BulkError) as caught:
        client.update_values({element: True, "other": 1})
    assert caught.value.errors[element].status_code == 403
    assert caught.value.errors["other"].detail == "the server sent no answer for this id"
