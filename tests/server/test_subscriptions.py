"""Subscriptions: clientId scoping, register/unregister, sync, overflow and TTL."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from i3x.testing import DemoServer

from ._helpers import CLIENT, client_for, subscribe, sync

OTHER = "client-b"


def _updates(answer: httpx.Response) -> list[list[str]]:
    """Element ids per batch."""
    return [[u["elementId"] for u in batch["updates"]] for batch in answer.json()["result"]]


def _sequences(answer: httpx.Response) -> list[int]:
    return [batch["sequenceNumber"] for batch in answer.json()["result"]]


def test_create_returns_the_ids(api: httpx.Client, i3x_server: DemoServer) -> None:
    answer = api.post("/subscriptions", json={"clientId": CLIENT, "displayName": "line watch"})
    assert answer.status_code == 200
    result = answer.json()["result"]
    assert result["clientId"] == CLIENT
    assert result["displayName"] == "line watch"
    assert i3x_server.subscription_ids() == [result["subscriptionId"]]
    assert i3x_server.subscription_ids(CLIENT) == [result["subscriptionId"]]
    assert i3x_server.subscription_ids(OTHER) == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/subscriptions", {}),
        ("/subscriptions", {"clientId": ""}),
        ("/subscriptions/register", {"subscriptionId": "s", "elementIds": []}),
        ("/subscriptions/unregister", {"subscriptionId": "s", "elementIds": []}),
        ("/subscriptions/list", {"subscriptionIds": ["s"]}),
        ("/subscriptions/delete", {"subscriptionIds": ["s"]}),
        ("/subscriptions/sync", {"subscriptionId": "s"}),
        ("/subscriptions/stream", {"subscriptionId": "s"}),
    ],
)
def test_every_subscription_call_without_client_id_is_400(
    api: httpx.Client, path: str, body: dict[str, Any]
) -> None:
    answer = api.post(path, json=body)
    assert answer.status_code == 400
    assert "clientId" in answer.json()["responseDetail"]["detail"]


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/subscriptions/register", {"elementIds": ["pt-304"]}),
        ("/subscriptions/unregister", {"elementIds": ["pt-304"]}),
        ("/subscriptions/sync", {}),
        ("/subscriptions/stream", {}),
    ],
)
def test_another_clients_subscription_is_http_404(
    api: httpx.Client, path: str, extra: dict[str, Any]
) -> None:
    sid = subscribe(api, ["pt-304"])
    for client_id, subscription_id in ((OTHER, sid), (CLIENT, "no-such-subscription")):
        answer = api.post(
            path, json={"clientId": client_id, "subscriptionId": subscription_id, **extra}
        )
        assert answer.status_code == 404
        assert (
            answer.json()["responseDetail"]["detail"]
            == f"Subscription not found: {subscription_id}"
        )


def test_list_and_delete_answer_per_item_404_for_another_clients(api: httpx.Client) -> None:
    mine = subscribe(api, ["pt-304"], max_depth=0)
    theirs = subscribe(api, ["pt-304"], client_id=OTHER)
    ids = [mine, theirs, "nope"]
    listed = api.post("/subscriptions/list", json={"clientId": CLIENT, "subscriptionIds": ids})
    assert listed.status_code == 200
    body = listed.json()
    assert body["success"] is False
    assert [i["subscriptionId"] for i in body["results"]] == ids
    assert [i["success"] for i in body["results"]] == [True, False, False]
    assert body["results"][0]["result"] == {
        "subscriptionId": mine,
        "displayName": None,
        "monitoredObjects": [{"elementId": "pt-304", "maxDepth": 0}],
    }
    assert body["results"][1]["responseDetail"]["status"] == 404
    deleted = api.post("/subscriptions/delete", json={"clientId": CLIENT, "subscriptionIds": ids})
    assert deleted.status_code == 200
    assert [i["success"] for i in deleted.json()["results"]] == [True, False, False]
    assert sync(api, mine).status_code == 404
    assert sync(api, theirs, client_id=OTHER).status_code == 200


def test_register_ignores_duplicates_and_fails_unknown_ids_per_item(api: httpx.Client) -> None:
    sid = subscribe(api, ["pt-304"])
    answer = api.post(
        "/subscriptions/register",
        json={
            "clientId": CLIENT,
            "subscriptionId": sid,
            "elementIds": ["pt-304", "nope", "ts-303", "ts-303"],
            "maxDepth": 2,
        },
    )
    assert answer.status_code == 200
    assert [i["success"] for i in answer.json()["results"]] == [True, False, True, True]
    assert answer.json()["results"][1]["responseDetail"]["status"] == 404
    detail = api.post("/subscriptions/list", json={"clientId": CLIENT, "subscriptionIds": [sid]})
    assert detail.json()["results"][0]["result"]["monitoredObjects"] == [
        {"elementId": "pt-304", "maxDepth": 1},
        {"elementId": "ts-303", "maxDepth": 2},
    ]


def test_register_rejects_a_negative_depth(api: httpx.Client) -> None:
    sid = subscribe(api, [])
    answer = api.post(
        "/subscriptions/register",
        json={"clientId": CLIENT, "subscriptionId": sid, "elementIds": ["pt-304"], "maxDepth": -2},
    )
    assert answer.status_code == 400


def test_unregister_stops_new_updates_but_keeps_queued_ones(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    sid = subscribe(api, ["pt-304", "ts-303"])
    i3x_server.set_value("pt-304", 3.0)
    answer = api.post(
        "/subscriptions/unregister",
        json={"clientId": CLIENT, "subscriptionId": sid, "elementIds": ["pt-304", "tank-201"]},
    )
    assert [i["success"] for i in answer.json()["results"]] == [True, False]
    assert answer.json()["results"][1]["responseDetail"]["status"] == 404
    i3x_server.set_value("pt-304", 3.5)
    assert _updates(sync(api, sid)) == [["pt-304"]]


def test_sync_numbers_one_batch_per_change_event(i3x_server: DemoServer, api: httpx.Client) -> None:
    sid = subscribe(api, ["pt-304", "ts-303", "tank-201-level"])
    first = sync(api, sid)
    assert first.status_code == 200
    assert first.json() == {"success": True, "result": []}
    i3x_server.set_value("pt-304", 3.0)
    i3x_server.push({"ts-303": 70.0, "tank-201-level": 50.0, "pump-101-flow": 10.0})
    api.put(
        "/objects/value",
        json={
            "updates": [
                {"elementId": "pt-304", "value": {"value": 3.1}},
                {"elementId": "tank-201-level", "value": {"value": 51.0}},
            ]
        },
    )
    i3x_server.set_value("pump-101-flow", 11.0)
    answer = sync(api, sid)
    assert _sequences(answer) == [1, 2, 3]
    assert _updates(answer) == [
        ["pt-304"],
        ["ts-303", "tank-201-level"],
        ["pt-304", "tank-201-level"],
    ]
    update = answer.json()["result"][0]["updates"][0]
    assert set(update) == {"elementId", "value", "quality", "timestamp"}
    assert update["value"] == 3.0
    assert update["quality"] == "Good"


def test_sync_acknowledges_through_the_last_sequence_number(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    sid = subscribe(api, ["pt-304"])
    for value in (1.0, 2.0, 3.0, 4.0):
        i3x_server.set_value("pt-304", value)
    assert _sequences(sync(api, sid)) == [1, 2, 3, 4]
    assert _sequences(sync(api, sid)) == [1, 2, 3, 4], "omitting it acknowledges nothing"
    assert _sequences(sync(api, sid, 2)) == [3, 4]
    assert _sequences(sync(api, sid, 0)) == [3, 4]
    i3x_server.set_value("pt-304", 5.0)
    assert _sequences(sync(api, sid, 4)) == [5]
    i3x_server.set_value("pt-304", 6.0)
    assert _sequences(sync(api, sid, -1)) == []
    i3x_server.set_value("pt-304", 7.0)
    assert _sequences(sync(api, sid)) == [7]


def test_sync_rejects_sequence_numbers_below_minus_one(api: httpx.Client) -> None:
    sid = subscribe(api, ["pt-304"])
    assert sync(api, sid, -2).status_code == 400


def test_components_within_depth_are_queued(i3x_server: DemoServer, api: httpx.Client) -> None:
    shallow = subscribe(api, ["pump-101"])
    direct = subscribe(api, ["pump-101"], max_depth=2)
    deep = subscribe(api, ["pump-101"], max_depth=0)
    i3x_server.set_value("pump-101-motor-current", 20.0)
    assert _updates(sync(api, shallow)) == []
    assert _updates(sync(api, direct)) == [], "level 2 is beyond maxDepth 2"
    batch = sync(api, deep).json()["result"][0]
    assert [u["elementId"] for u in batch["updates"]] == [
        "pump-101",
        "pump-101-motor",
        "pump-101-motor-current",
    ]
    pump = batch["updates"][0]
    assert pump["components"]["pump-101-motor-current"]["value"] == 20.0
    motor = batch["updates"][1]
    assert set(motor["components"]) == {"pump-101-motor-temperature", "pump-101-motor-current"}
    assert "components" not in batch["updates"][2]
    i3x_server.set_value("pump-101-flow", 30.0)
    assert _updates(sync(api, shallow)) == []
    answer = sync(api, direct)
    assert _updates(answer) == [["pump-101", "pump-101-flow"]]
    assert list(answer.json()["result"][0]["updates"][0]["components"]) == [
        "pump-101-flow",
        "pump-101-discharge-pressure",
        "pump-101-state",
        "pump-101-motor",
    ]


def test_coverage_follows_registrations_and_components_added_later(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    # Which updates a change makes is worked out once per subscription; it must be
    # worked out again when registrations or the objects' components change.
    sid = subscribe(api, ["pump-101-motor"], max_depth=0)
    i3x_server.set_value("pump-101-motor-current", 20.0)
    assert _updates(sync(api, sid)) == [["pump-101-motor", "pump-101-motor-current"]]
    i3x_server.space.add_object(
        "pump-101-motor-vibration",
        "M-101 Vibration",
        type_id="current-type",
        component_of="pump-101-motor",
        value=1.0,
    )
    i3x_server.set_value("pump-101-motor-vibration", 2.0)
    answer = sync(api, sid, 1)
    assert _updates(answer) == [["pump-101-motor", "pump-101-motor-vibration"]]
    assert (
        answer.json()["result"][0]["updates"][0]["components"]["pump-101-motor-vibration"]["value"]
        == 2.0
    )
    api.post(
        "/subscriptions/register",
        json={"clientId": CLIENT, "subscriptionId": sid, "elementIds": ["pt-304"]},
    )
    i3x_server.set_value("pt-304", 4.0)
    assert _updates(sync(api, sid, 2)) == [["pt-304"]]
    api.post(
        "/subscriptions/unregister",
        json={"clientId": CLIENT, "subscriptionId": sid, "elementIds": ["pump-101-motor"]},
    )
    i3x_server.push({"pt-304": 5.0, "pump-101-motor-vibration": 3.0})
    answer = sync(api, sid, 3)
    assert _updates(answer) == [["pt-304"]]
    assert answer.json()["result"][0]["updates"][0]["value"] == 5.0


def test_a_tick_is_one_batch(i3x_server: DemoServer, api: httpx.Client) -> None:
    sid = subscribe(api, ["pt-304", "tank-201"], max_depth=0)
    i3x_server.tick()
    answer = sync(api, sid)
    assert _sequences(answer) == [1]
    assert {"pt-304", "tank-201", "tank-201-level"} <= set(_updates(answer)[0])


def test_queue_overflow_answers_206_naming_the_lost_range(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(queue_limit=3)
    with client_for(server.api_url) as api:
        sid = subscribe(api, ["pt-304"])
        server.set_value("pt-304", 1.0)
        assert _sequences(sync(api, sid, 0)) == [1]
        for value in range(2, 9):
            server.set_value("pt-304", float(value))
        answer = sync(api, sid, 1)
        assert answer.status_code == 206
        body = answer.json()
        assert body["success"] is True
        assert _sequences(answer) == [6, 7, 8]
        detail = body["responseDetail"]
        assert detail["status"] == 206
        assert re.search(r"\b2 to 5\b", detail["detail"])
        last_acknowledged = 1
        first_kept = body["result"][0]["sequenceNumber"]
        assert (last_acknowledged + 1, first_kept - 1) == (2, 5)
        again = sync(api, sid, 1)
        assert again.status_code == 206, "reported again until acknowledged"
        acknowledged = sync(api, sid, 6)
        assert acknowledged.status_code == 200
        assert _sequences(acknowledged) == [7, 8]


def test_overflow_is_forgotten_after_clearing(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(queue_limit=2)
    with client_for(server.api_url) as api:
        sid = subscribe(api, ["pt-304"])
        server.push({"pt-304": 1.0})
        server.push({"pt-304": 2.0})
        server.push({"pt-304": 3.0})
        assert sync(api, sid).status_code == 206
        assert sync(api, sid, -1).status_code == 200
        server.set_value("pt-304", 4.0)
        assert sync(api, sid).status_code == 200


def test_ttl_deletes_idle_subscriptions(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(subscription_ttl=60)
    with client_for(server.api_url) as api:
        kept = subscribe(api, ["pt-304"])
        dropped = subscribe(api, ["pt-304"])
        server.advance_time(45)
        assert sync(api, kept).status_code == 200
        server.advance_time(30)
        assert server.subscription_ids() == [kept]
        assert sync(api, dropped).status_code == 404
        listed = api.post(
            "/subscriptions/list", json={"clientId": CLIENT, "subscriptionIds": [dropped]}
        )
        assert listed.json()["results"][0]["responseDetail"]["status"] == 404
        server.advance_time(60)
        assert sync(api, kept).status_code == 404
