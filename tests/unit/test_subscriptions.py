"""Subscription requests: create, register, unregister, list, delete and sync."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx

import i3x

from ._helpers import (
    API,
    CLIENT_ID,
    bulk,
    failed,
    item,
    ok,
    sample,
    sent_json,
    sse_items,
)

pytestmark = pytest.mark.respx(base_url=API)

UTC = timezone.utc
SUB = "d6038dc0-4617-4df2-bf7c-be31b1cdbfc3"
NOT_FOUND_SUB = {
    "success": False,
    "responseDetail": {
        "title": "Not Found",
        "status": 404,
        "detail": f"Subscription {SUB} not found",
    },
}


def _create(client: i3x.Client, respx_mock: respx.MockRouter, sub_id: str = SUB) -> str:
    respx_mock.post("/subscriptions").respond(
        json=ok({"clientId": CLIENT_ID, "subscriptionId": sub_id, "displayName": None})
    )
    return client.create_subscription()


def _batch(seq: int, *updates: dict[str, Any]) -> dict[str, Any]:
    return {"sequenceNumber": seq, "updates": list(updates)}


def _update(element_id: str, value: Any) -> dict[str, Any]:
    return {
        "elementId": element_id,
        "value": value,
        "quality": "Good",
        "timestamp": "2026-11-24T10:47:22Z",
    }


# ------------------------------------------------------------------------ create


def test_create_subscription(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/subscriptions").respond(
        json=ok({"clientId": CLIENT_ID, "subscriptionId": SUB, "displayName": "line 7"})
    )

    sub_id = client.create_subscription("line 7")
    client.create_subscription()

    assert sub_id == SUB
    assert route.calls.last.request.headers["content-type"] == "application/json"
    assert sent_json(route, 0) == {"clientId": CLIENT_ID, "displayName": "line 7"}
    assert sent_json(route, 1) == {"clientId": CLIENT_ID}


def test_create_subscription_reads_a_bare_answer(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    # Without the envelope, the object is the result (as decode_result documents).
    respx_mock.post("/subscriptions").respond(json={"clientId": CLIENT_ID, "subscriptionId": SUB})

    assert client.create_subscription() == SUB


def test_create_subscription_without_an_id_is_invalid(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/subscriptions").respond(json=ok({"clientId": CLIENT_ID}))
    with pytest.raises(i3x.InvalidServerResponseError, match="subscriptionId") as caught:
        client.create_subscription()
    assert caught.value.method == "POST"
    assert caught.value.url == f"{API}/subscriptions"


# -------------------------------------------------------------- register/unregister


def test_register_items(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/subscriptions/register").mock(
        side_effect=[
            httpx.Response(200, json=bulk(item("a"), item("b"))),
            httpx.Response(200, json=bulk(item("c"))),
        ]
    )

    first = client.register_items(SUB, ["a", "b"])
    client.register_items(SUB, ("c",), max_depth=2)

    # One item per id, as the 1.0 reference client returns them.
    assert first == [
        i3x.BulkItem(success=True, element_id="a"),
        i3x.BulkItem(success=True, element_id="b"),
    ]

    assert sent_json(route, 0) == {
        "clientId": CLIENT_ID,
        "subscriptionId": SUB,
        "elementIds": ["a", "b"],
        "maxDepth": 0,
    }
    assert sent_json(route, 1)["maxDepth"] == 2


def test_register_items_partial_failure(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/subscriptions/register").respond(
        json=bulk(item("a"), failed("nope"), item("a"))
    )
    with pytest.raises(i3x.BulkError) as caught:
        client.register_items(SUB, ["a", "nope", "a"])
    assert list(caught.value.errors) == ["nope"]
    assert isinstance(caught.value.errors["nope"], i3x.NotFoundError)


def test_register_with_a_wrong_client_id_is_not_found(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/subscriptions/register").respond(404, json=NOT_FOUND_SUB)
    with pytest.raises(i3x.NotFoundError) as caught:
        client.register_items(SUB, ["a"])
    assert caught.value.detail == f"Subscription {SUB} not found"
    assert caught.value.url == f"{API}/subscriptions/register"


def test_unregister_items(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/subscriptions/unregister").respond(json=bulk(item("a")))
    assert client.unregister_items(SUB, ["a"]) == [i3x.BulkItem(success=True, element_id="a")]
    assert sent_json(route) == {"clientId": CLIENT_ID, "subscriptionId": SUB, "elementIds": ["a"]}


def test_unregister_with_a_wrong_client_id_is_not_found(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/subscriptions/unregister").respond(
        404, json={"detail": "Subscription not found"}
    )
    with pytest.raises(i3x.NotFoundError, match="Subscription not found"):
        client.unregister_items(SUB, ["a"])


# -------------------------------------------------------------------------- list


def test_list_subscriptions(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    answer = sample("server-b-subscriptions-list.json")
    answer["results"] = answer["results"][:2]
    answer["success"] = True
    route = respx_mock.post("/subscriptions/list").respond(json=answer)
    ids = [SUB, "5c2fc413-0483-4aef-bbe3-0d9021b73cba"]

    subs = client.list_subscriptions(ids)

    assert sent_json(route) == {"clientId": CLIENT_ID, "subscriptionIds": ids}
    first, second = subs
    assert first.subscription_id == SUB
    assert first.display_name == "eval sub 1"
    assert first.client_id == "client-A"
    assert first.objects == [
        "asset-a26339973d17d1e2",
        "property-39384b1c5018f0cd-smart-factory-conveyor-itemcount",
    ]
    assert first.monitored_objects[0] == i3x.MonitoredObject(
        element_id="asset-a26339973d17d1e2", max_depth=0
    )
    assert first.model_extra == {"mode": "native"}
    assert first.mode == "native"  # type: ignore[attr-defined]
    assert first.created is None, "the server does not say, and this client did not create it"
    assert not first.is_streaming
    assert second.display_name is None
    assert second.objects == []
    assert second.model_extra == {"mode": "polling"}
    assert i3x.Subscription.from_dict(first.to_dict()).to_dict() == first.to_dict()


def test_list_subscriptions_partial_failure(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/subscriptions/list").respond(json=sample("server-b-subscriptions-list.json"))
    ids = [SUB, "5c2fc413-0483-4aef-bbe3-0d9021b73cba", "00000000-0000-0000-0000-000000000000"]

    with pytest.raises(i3x.BulkError) as caught:
        client.list_subscriptions(ids)

    error = caught.value
    assert list(error.results) == ids[:2]
    assert isinstance(error.results[SUB], i3x.Subscription)
    gone = error.errors[ids[2]]
    assert isinstance(gone, i3x.NotFoundError)
    assert gone.detail == f"Subscription {ids[2]} not found"
    assert [i.subscription_id for i in error.items] == ids


def test_list_with_a_wrong_client_id_is_a_per_item_404(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/subscriptions/list").respond(
        json=sample("server-a-err-list-wrong-clientId.json")
    )
    sub = "1d754241-2195-4c80-9b36-86f54a8ccf5b"

    with pytest.raises(i3x.BulkError) as caught:
        client.list_subscriptions([sub])

    assert isinstance(caught.value.errors[sub], i3x.NotFoundError)
    assert caught.value.errors[sub].detail == f"Subscription not found: {sub}"
    assert caught.value.status_code == 200


def test_get_subscription(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    answer = sample("server-b-subscriptions-list.json")
    route = respx_mock.post("/subscriptions/list").respond(
        json={"success": True, "results": answer["results"][:1]}
    )
    sub = client.get_subscription(SUB)
    assert sent_json(route)["subscriptionIds"] == [SUB]
    assert sub.subscription_id == SUB
    assert sub.display_name == "eval sub 1"


def test_get_subscription_of_another_client_is_not_found(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/subscriptions/list").respond(
        json=sample("server-a-err-list-wrong-clientId.json")
    )
    with pytest.raises(i3x.NotFoundError) as caught:
        client.get_subscription("1d754241-2195-4c80-9b36-86f54a8ccf5b")
    assert caught.value.status_code == 404
    assert caught.value.title == "Not Found"


def test_get_subscriptions_lists_what_this_client_created(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    assert client.get_subscriptions() == [], "nothing created: no request"
    before = datetime.now(UTC)
    respx_mock.post("/subscriptions").respond(
        json=ok({"clientId": CLIENT_ID, "subscriptionId": SUB})
    )
    client.create_subscription("mine")
    answer = sample("server-b-subscriptions-list.json")["results"][0]
    answer["result"]["displayName"] = None
    route = respx_mock.post("/subscriptions/list").respond(
        json={"success": True, "results": [answer]}
    )

    subs = client.get_subscriptions()

    assert sent_json(route) == {"clientId": CLIENT_ID, "subscriptionIds": [SUB]}
    assert len(subs) == 1
    sub = subs[0]
    assert sub.display_name == "mine", "what the client knows fills the server's nulls"
    assert sub.created is not None
    assert before <= sub.created <= datetime.now(UTC)
    assert sub.model_extra == {"mode": "native"}, "unknown fields survive the client's additions"


# ------------------------------------------------------------------------ delete


def test_delete_subscriptions(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    sub_id = _create(client, respx_mock)
    route = respx_mock.post("/subscriptions/delete").respond(
        json=bulk(item(sub_id, subscription=True))
    )

    client.delete_subscriptions([sub_id])

    assert sent_json(route) == {"clientId": CLIENT_ID, "subscriptionIds": [sub_id]}
    assert client.get_subscriptions() == [], "a deleted subscription is forgotten"


def test_delete_with_a_wrong_client_id_is_a_per_item_404(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/subscriptions/delete").respond(
        json=sample("server-a-err-list-wrong-clientId.json")
    )
    sub = "1d754241-2195-4c80-9b36-86f54a8ccf5b"
    with pytest.raises(i3x.BulkError) as caught:
        client.delete_subscriptions([sub])
    assert isinstance(caught.value.errors[sub], i3x.NotFoundError)


# -------------------------------------------------------------------------- sync


def test_sync_flat_items_with_per_batch_sequence_numbers(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post("/subscriptions/sync").respond(
        json=sample("server-a-sync-first-no-ack.json")
    )

    result = client.sync_subscription(SUB)

    assert sent_json(route) == {"clientId": CLIENT_ID, "subscriptionId": SUB}
    assert isinstance(result, i3x.SyncResult)
    assert isinstance(result, list)
    assert len(result) == 1
    batch = result[0]
    assert isinstance(batch, i3x.SyncBatch)
    assert batch.sequence_number == 1
    assert len(batch.updates) == 8
    assert {u.sequence_number for u in batch.updates} == {1}
    first = batch.updates[0]
    assert isinstance(first, i3x.ValueChange)
    assert first.element_id == "pump-101-bearing-temperature"
    assert first.value == {"inTolerance": True, "tolerance": 5.9063331575828695}
    assert first.timestamp == datetime(2026, 11, 24, 10, 47, 22, tzinfo=UTC)
    assert first.children["pump-101-measurements-bearing-temperature-health"].value == 12
    assert result.updates[3].element_id == "sensor-001"
    assert result.updates[3].value == 75.1915744352095
    assert result.last_sequence_number == 1
    assert result.gap is None
    assert result.response_detail is None


def test_a_sync_answer_no_change_can_be_made_of_is_a_typed_error(
    client: i3x.Client, respx_mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Validated, but its conversion fails: a shape no server was seen to send (or a
    # bug here) reaches the caller as an i3x error with the answer's request.
    def unreadable(batch: Any, subscription_id: str | None) -> i3x.SyncBatch:
        raise AttributeError("'str' object has no attribute 'tzinfo'")

    monkeypatch.setattr(i3x._subscriptions, "batch_from_wire", unreadable)
    respx_mock.post("/subscriptions/sync").respond(json=ok([_batch(3, _update("a", 1))]))

    with pytest.raises(i3x.InvalidServerResponseError) as caught:
        client.sync_subscription(SUB)

    error = caught.value
    assert error.status_code == 200
    assert (error.method, error.url) == ("POST", f"{API}/subscriptions/sync")
    assert "could not be read: AttributeError: 'str' object has no attribute 'tzinfo'" in str(error)
    assert isinstance(error.__cause__, AttributeError)


def test_sync_nested_current_value_items(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/subscriptions/sync").respond(
        json=sample("server-b-subscriptions-sync-no-lastSeq.json")
    )

    result = client.sync_subscription(SUB)

    assert [b.sequence_number for b in result] == [1, 2]
    assert [len(b.updates) for b in result] == [1, 1], "one update per batch on this server"
    pump, count = result.updates
    assert pump.element_id == "asset-a26339973d17d1e2"
    assert pump.is_composition is True
    assert pump.value is None, "the nested result's value, not the result itself"
    assert pump.quality == "GoodNoData"
    assert pump.timestamp == datetime(2026, 11, 24, 10, 25, 44, 13000, tzinfo=UTC)
    temperature = pump.children["property-39384b1c5018f0cd-smart-factory-pump-temperature"]
    assert temperature.value == 36.78741315787791
    assert count.value == 8546
    assert count.is_composition is False
    assert (pump.sequence_number, count.sequence_number) == (1, 2)


def test_sync_items_shaped_like_each_servers_stream_events(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    flat = sse_items("server-a-stream-sse-10s.sse")
    nested = sse_items("server-b-subscriptions-stream-10s.sse")
    quiet = sse_items("server-b-subscriptions-stream-quiet-20s-keepalive.sse")
    respx_mock.post("/subscriptions/sync").respond(
        json=ok([_batch(5, *flat[0], *flat[3]), _batch(40, *nested[0]), _batch(41, *quiet[0])])
    )

    result = client.sync_subscription(SUB)

    a_pump, a_sensor = result[0].updates
    assert a_pump.value == {"inTolerance": True, "tolerance": 5.360456246465573}
    assert a_pump.children["pump-101-measurements-bearing-temperature-health"].value == 11
    assert (a_sensor.element_id, a_sensor.value) == ("sensor-001", 87.4381046466391)
    assert {u.sequence_number for u in result[0].updates} == {5}
    nested_updates = result[1].updates
    assert [u.sequence_number for u in nested_updates] == [u["sequenceNumber"] for u in nested[0]]
    assert nested_updates[0].quality == "GoodNoData"
    assert nested_updates[0].value is None
    itemcount = next(u for u in nested_updates if u.element_id.endswith("itemcount"))
    assert itemcount.value == 8561
    assert result[2].updates[0].value == 200
    assert result[2].updates[0].sequence_number == 1


def test_sync_update_vqts_carry_only_vqt_fields(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    ts = "2026-01-01T00:00:00Z"
    flat = {
        "elementId": "pump",
        "value": 1.5,
        "quality": "Good",
        "timestamp": ts,
        "components": {"pump-temp": {"value": 40, "timestamp": ts, "vendorStatus": "ok"}},
        "vendor": "acme",
    }
    nested = {
        "elementId": "tank",
        "sequenceNumber": 8,
        "value": {
            "isComposition": True,
            "value": 2,
            "quality": "Good",
            "timestamp": ts,
            "components": {"tank-level": {"value": 3, "quality": "Good", "timestamp": ts}},
        },
    }
    respx_mock.post("/subscriptions/sync").respond(json=ok([_batch(7, flat, nested)]))

    pump, tank = client.sync_subscription(SUB).updates

    assert pump.data[0].model_extra == {}
    assert pump.data[0].to_dict() == {"value": 1.5, "quality": "Good", "timestamp": ts}
    assert pump.model_extra == {"vendor": "acme"}, "the update's unknown field is the change's"
    # A component is a wire VQT: its unknown fields are VQT-level, and kept.
    assert pump.children["pump-temp"].data[0].to_dict() == {
        "value": 40,
        "quality": "Good",
        "timestamp": ts,
        "vendorStatus": "ok",
    }
    assert tank.data[0].to_dict() == {"value": 2, "quality": "Good", "timestamp": ts}
    assert tank.children["tank-level"].data[0].model_extra == {}
    assert tank.sequence_number == 8


def test_sync_updates_with_a_null_quality_are_not_good(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    ts = "2026-01-01T00:00:00Z"
    flat = {"elementId": "a", "value": None, "quality": None, "timestamp": ts}
    valued = {"elementId": "b", "value": 4, "quality": None, "timestamp": ts}
    nested = {
        "elementId": "c",
        "sequenceNumber": 9,
        "value": {"isComposition": False, "value": None, "quality": None, "timestamp": ts},
    }
    respx_mock.post("/subscriptions/sync").respond(json=ok([_batch(9, flat, valued, nested)]))

    updates = client.sync_subscription(SUB).updates

    assert [(u.element_id, u.value, u.quality) for u in updates] == [
        ("a", None, "GoodNoData"),
        ("b", 4, "Uncertain"),
        ("c", None, "GoodNoData"),
    ]
    assert updates[2].timestamp == datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_sync_batches_come_oldest_first(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/subscriptions/sync").respond(
        json=ok([_batch(9, _update("b", 2)), _batch(7, _update("a", 1))])
    )
    result = client.sync_subscription(SUB)
    assert [b.sequence_number for b in result] == [7, 9]
    assert [u.value for u in result.updates] == [1, 2]
    assert result.last_sequence_number == 9


def test_sync_acknowledges_what_the_previous_call_returned(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    sub_id = _create(client, respx_mock)
    route = respx_mock.post("/subscriptions/sync").mock(
        side_effect=[
            httpx.Response(200, json=ok([_batch(1, _update("a", 1)), _batch(2, _update("a", 2))])),
            httpx.Response(200, json=ok([])),
            httpx.Response(200, json=ok([_batch(3, _update("a", 3))])),
            httpx.Response(200, json=ok([])),
        ]
    )

    client.sync_subscription(sub_id)
    client.sync_subscription(sub_id)
    client.sync_subscription(sub_id)
    client.sync_subscription(sub_id)

    sent = [sent_json(route, i).get("lastSequenceNumber") for i in range(4)]
    assert sent == [None, 2, 2, 3]
    assert "lastSequenceNumber" not in sent_json(route, 0)


def test_sync_accepts_a_subscription_object(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post("/subscriptions/sync").respond(json=ok([]))
    client.sync_subscription(i3x.Subscription(subscription_id=SUB))
    assert sent_json(route)["subscriptionId"] == SUB


def test_sync_acknowledges_for_a_subscription_given_by_id(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    # A subscription created by an earlier process: the client did not create it,
    # yet a plain sync must still acknowledge what the previous sync returned.
    route = respx_mock.post("/subscriptions/sync").mock(
        side_effect=[
            httpx.Response(200, json=ok([_batch(4, _update("a", 1))])),
            httpx.Response(200, json=ok([])),
        ]
    )
    client.sync_subscription(SUB)
    client.sync_subscription(SUB)
    assert sent_json(route, 1).get("lastSequenceNumber") == 4


def test_sync_explicit_sequence_number_wins(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    sub_id = _create(client, respx_mock)
    route = respx_mock.post("/subscriptions/sync").mock(
        side_effect=[
            httpx.Response(200, json=ok([_batch(5, _update("a", 1))])),
            httpx.Response(200, json=ok([_batch(6, _update("a", 2))])),
            httpx.Response(200, json=ok([])),
        ]
    )
    client.sync_subscription(sub_id)
    client.sync_subscription(sub_id, last_sequence_number=3)
    client.sync_subscription(sub_id)
    assert [sent_json(route, i).get("lastSequenceNumber") for i in range(3)] == [None, 3, 6]


def test_sync_minus_one_clears_and_resets_acknowledgement(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    sub_id = _create(client, respx_mock)
    route = respx_mock.post("/subscriptions/sync").mock(
        side_effect=[
            httpx.Response(200, json=ok([_batch(5, _update("a", 1))])),
            httpx.Response(200, json=ok([])),
            httpx.Response(200, json=ok([])),
        ]
    )
    client.sync_subscription(sub_id)
    client.sync_subscription(sub_id, last_sequence_number=-1)
    client.sync_subscription(sub_id)
    assert sent_json(route, 1)["lastSequenceNumber"] == -1
    assert "lastSequenceNumber" not in sent_json(route, 2)


def test_sync_206_reports_the_gap(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    sub_id = _create(client, respx_mock)
    route = respx_mock.post("/subscriptions/sync").mock(
        side_effect=[
            httpx.Response(200, json=ok([_batch(10, _update("a", 1))])),
            httpx.Response(
                206,
                json={
                    "success": True,
                    "result": [_batch(25, _update("a", 2)), _batch(26, _update("a", 3))],
                    "responseDetail": {
                        "title": "Updates dropped due to queue overflow",
                        "status": 206,
                        "detail": "queue limit reached",
                    },
                },
            ),
        ]
    )

    client.sync_subscription(sub_id)
    result = client.sync_subscription(sub_id)

    assert sent_json(route, 1)["lastSequenceNumber"] == 10
    assert [u.value for u in result.updates] == [2, 3], "the updates still come"
    gap = result.gap
    assert isinstance(gap, i3x.UpdatesLostError)
    assert isinstance(gap, i3x.SubscriptionError)
    assert (gap.first, gap.last, gap.count) == (11, 24, 14)
    assert gap.subscription_id == sub_id
    assert gap.status_code == 206
    assert gap.detail == "queue limit reached"
    assert "11..24" in str(gap)
    assert result.response_detail == i3x.ResponseDetail(
        title="Updates dropped due to queue overflow", status=206, detail="queue limit reached"
    )


def test_sync_206_sample(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/subscriptions/sync").respond(
        206, json=sample("server-a-sync-206-queue-overflow.json")
    )

    result = client.sync_subscription(SUB, last_sequence_number=-1)

    assert result.gap is not None
    assert "Updates prior to sequence number 1 were lost" in str(result.gap)
    assert result.gap.title == "Updates dropped due to queue overflow"
    sensor_002 = next(u for u in result.updates if u.element_id == "sensor-002")
    assert sensor_002.quality == "GOOD"
    assert sensor_002.value["unit"] == "CEL"


def test_sync_with_a_wrong_client_id_is_not_found(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/subscriptions/sync").respond(404, json=NOT_FOUND_SUB)
    with pytest.raises(i3x.NotFoundError) as caught:
        client.sync_subscription(SUB)
    assert caught.value.detail == f"Subscription {SUB} not found"
    assert caught.value.method == "POST"


def test_sync_empty_answer(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/subscriptions/sync").respond(json=ok([]))
    result = client.sync_subscription(SUB)
    assert result == []
    assert result.last_sequence_number is None
    assert result.updates == []


def test_sync_unsigned_64_bit_sequence_numbers(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    big = 2**64 - 2
    sub_id = _create(client, respx_mock)
    route = respx_mock.post("/subscriptions/sync").mock(
        side_effect=[
            httpx.Response(200, json=ok([_batch(big, _update("a", 1))])),
            httpx.Response(200, json=ok([])),
        ]
    )
    client.sync_subscription(sub_id)
    client.sync_subscription(sub_id)
    assert sent_json(route, 1)["lastSequenceNumber"] == big
