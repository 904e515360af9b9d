"""The server generations the embedded server plays: its answers have the shapes of the
real servers' captured answers (tests/unit/samples), seen with a plain HTTP client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from i3x.testing import DIALECTS, AddressSpace, DemoServer, demo_plant

from ._helpers import CLIENT, client_for, events, subscribe, sync

SAMPLES = Path(__file__).resolve().parents[1] / "unit" / "samples"


def _sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def _keys(value: Any) -> Any:
    """The shape of a JSON document: its keys, recursively (lists by their first item)."""
    if isinstance(value, dict):
        return {k: _keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_keys(value[0])] if value else []
    return type(value).__name__


@pytest.fixture
def early(i3x_server_factory: Callable[..., DemoServer]) -> Iterator[httpx.Client]:
    server = i3x_server_factory(dialect="early-1.0")
    with client_for(server.api_url) as api:
        yield api


@pytest.fixture
def node_i3x(i3x_server_factory: Callable[..., DemoServer]) -> Iterator[httpx.Client]:
    space = demo_plant()
    space.add_object_type(
        "switch-type", "Switch", namespace_uri=space.namespaces()[0].uri, schema={"type": "boolean"}
    )
    space.add_object("pump-101-running", "Running", type_id="switch-type", value=False)
    server = i3x_server_factory(space, dialect="node-i3x")
    with client_for(server.api_url) as api:
        yield api


def _current(api: httpx.Client, element_id: str) -> Any:
    answer = api.post("/objects/value", json={"elementIds": [element_id]}).json()
    return answer["results"][0]["result"]


# ------------------------------------------------------------------- the switch


def test_the_default_is_the_spec(i3x_server: DemoServer) -> None:
    assert i3x_server.dialect == "spec"
    assert DIALECTS == ("spec", "early-1.0", "node-i3x")


def test_a_wrong_dialect_is_refused_naming_the_argument() -> None:
    with pytest.raises(ValueError, match=r"^dialect: must be one of") as caught:
        DemoServer(dialect="server-c")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "dialect: must be one of 'spec', 'early-1.0', 'node-i3x', not 'server-c'"
    )


def test_beta_is_a_dialect_of_its_own() -> None:
    with pytest.raises(ValueError, match="beta"):
        DemoServer(beta=True, dialect="early-1.0")


# ------------------------------------------------------------------- early-1.0


def test_early_info(early: httpx.Client) -> None:
    info = early.get("/info").json()["result"]
    assert (info["serverName"], info["specVersion"]) == ("I3X API Prototype", "1.0")
    assert "beta" not in info["serverVersion"]


def test_early_has_no_bulk_write(early: httpx.Client) -> None:
    answer = early.put(
        "/objects/value", json={"updates": [{"elementId": "pt-304", "value": {"value": 50.5}}]}
    )
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json() == _sample("server-c-put-bulk-value-405.json")
    assert _current(early, "pt-304")["value"] != 50.5


def test_early_writes_one_element_with_a_vqt(early: httpx.Client) -> None:
    answer = early.put("/objects/pt-304/value", json={"value": 5.5, "quality": "Good"})
    assert answer.status_code == 200
    assert answer.json() == _sample("server-c-put-one-value.json")
    assert _current(early, "pt-304")["value"] == 5.5
    stamped = {"value": 1.5, "quality": "Uncertain", "timestamp": "2026-01-01T00:00:00Z"}
    assert early.put("/objects/pt-304/value", json=stamped).status_code == 200
    assert _current(early, "pt-304") | {"isComposition": False} == {
        "isComposition": False,
        "value": 1.5,
        "quality": "Uncertain",
        "timestamp": "2026-01-01T00:00:00.000Z",
    }


def test_early_element_write_errors(early: httpx.Client) -> None:
    missing = early.put("/objects/nope/value", json={"value": 1})
    assert missing.status_code == 404
    assert missing.json() == {
        "success": False,
        "error": {"code": 404, "message": "Element not found: nope"},
    }
    bad = early.put("/objects/tank-201-setpoint/value", json={"value": {"temperature": "hot"}})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == 400
    assert early.put("/objects/pt-304/value", json=3.3).status_code == 400  # a VQT is needed


def test_early_errors_per_item_and_for_routes(early: httpx.Client) -> None:
    answer = early.post("/objects/value", json={"elementIds": ["pt-304", "no-such-element"]})
    assert _keys(answer.json()) == _keys(_sample("server-c-value-unknown-element.json"))
    assert answer.json()["results"][1]["error"] == {
        "code": 404,
        "message": "Element not found: no-such-element",
    }
    assert early.get("/nope").json() == {"detail": "Not Found"}
    wrong = sync(early, "no-such-subscription")
    assert wrong.status_code == 404
    assert _keys(wrong.json()) == _keys(_sample("server-c-sync-wrong-client.json"))


def test_early_sync_is_flat_and_acknowledged(
    i3x_server_factory: Callable[..., DemoServer],
) -> None:
    server = i3x_server_factory(dialect="early-1.0")
    with client_for(server.api_url) as api:
        sid = subscribe(api, ["pt-304", "tank-201-setpoint"])
        server.push({"pt-304": 1.0, "tank-201-setpoint": {"temperature": 50.0}})
        server.set_value("pt-304", 2.0)

        first = sync(api, sid).json()
        assert _keys(first) == _keys(_sample("server-c-sync-flat-updates.json"))
        assert [(e["sequenceNumber"], e["elementId"], e["value"]) for e in first["result"]] == [
            (1, "pt-304", 1.0),
            (2, "tank-201-setpoint", {"temperature": 50.0}),
            (3, "pt-304", 2.0),
        ]
        after = sync(api, sid, 2).json()["result"]
        assert [e["sequenceNumber"] for e in after] == [3]
        assert sync(api, sid, 3).json()["result"] == []


def test_early_stream_events_carry_no_sequence_number(
    i3x_server_factory: Callable[..., DemoServer],
) -> None:
    server = i3x_server_factory(dialect="early-1.0")
    with client_for(server.api_url) as api:
        sid = subscribe(api, ["pt-304", "tank-201-setpoint"])
        server.push({"pt-304": 1.0, "tank-201-setpoint": {"temperature": 50.0}})
        body = {"clientId": CLIENT, "subscriptionId": sid}
        with api.stream("POST", "/subscriptions/stream", json=body) as stream:
            received = events(stream.iter_lines())
            first, second = next(received), next(received)
    assert [len(first), len(second)] == [1, 1]  # one update per event, as server-c
    assert set(first[0]) == {"elementId", "value", "quality", "timestamp"}
    assert second[0]["value"] == {"temperature": 50.0}


# -------------------------------------------------------------------- node-i3x


def test_node_i3x_info(node_i3x: httpx.Client) -> None:
    info = node_i3x.get("/info").json()["result"]
    assert info["serverName"] == "node-i3x"
    assert "vendor" in info


def _put(api: httpx.Client, element_id: str, value: Any) -> httpx.Response:
    return api.put("/objects/value", json={"updates": [{"elementId": element_id, "value": value}]})


def test_node_i3x_stores_the_whole_value_member(node_i3x: httpx.Client) -> None:
    answer = _put(node_i3x, "pt-304", {"value": 41.5, "quality": "Good"})
    assert answer.json() == {
        "success": True,
        "results": [{"success": True, "elementId": "pt-304", "result": None}],
    }
    assert _current(node_i3x, "pt-304")["value"] == {"value": 41.5, "quality": "Good"}
    assert _put(node_i3x, "pt-304", 4.25).json()["success"] is True
    current = _current(node_i3x, "pt-304")
    assert (current["value"], current["quality"]) == (4.25, "Good")
    assert _keys(node_i3x.post("/objects/value", json={"elementIds": ["pt-304"]}).json()) == (
        _keys(_sample("server-b-value-after-raw-write.json"))
    )


def test_node_i3x_refuses_an_object_for_a_boolean(node_i3x: httpx.Client) -> None:
    answer = _put(node_i3x, "pump-101-running", {"value": True})
    expected = _sample("server-b-put-value-bool-vqtinput.json")
    assert answer.status_code == 200
    assert answer.json()["results"][0]["responseDetail"] == expected["results"][0][
        "responseDetail"
    ] | {"title": "Forbidden"}
    assert answer.json()["success"] is False
    assert _put(node_i3x, "pump-101-running", True).json()["success"] is True
    assert _current(node_i3x, "pump-101-running")["value"] is True


def test_node_i3x_still_refuses_what_is_no_object(node_i3x: httpx.Client) -> None:
    answer = _put(node_i3x, "pt-304", "high")
    assert answer.json()["results"][0]["responseDetail"]["status"] == 400


def test_node_i3x_unknown_routes(node_i3x: httpx.Client) -> None:
    assert node_i3x.get("/nope").json() == {
        "message": "Route GET:/v1/nope not found",
        "error": "Not Found",
        "statusCode": 404,
    }


def test_node_i3x_subscription_updates_nest_a_current_value(
    i3x_server_factory: Callable[..., DemoServer],
) -> None:
    server = i3x_server_factory(dialect="node-i3x")
    with client_for(server.api_url) as api:
        sid = subscribe(api, ["pump-101"], max_depth=0)
        server.push({"pump-101-flow": 40.0, "pt-304": 1.0})
        batches = sync(api, sid).json()["result"]
        assert [len(b["updates"]) for b in batches] == [1, 1]  # pump-101, pump-101-flow
        update = batches[0]["updates"][0]
        assert update["elementId"] == "pump-101"
        assert update["value"]["isComposition"] is True
        assert update["value"]["components"]["pump-101-flow"]["value"] == 40.0
        assert set(update) == {"elementId", "value", "quality", "timestamp"}
        assert sync(api, sid, 2).json()["result"] == []
        server.set_value("pump-101-flow", 41.0)
        body = {"clientId": CLIENT, "subscriptionId": sid}
        with api.stream("POST", "/subscriptions/stream", json=body) as stream:
            [item] = next(events(stream.iter_lines()))
    assert item["sequenceNumber"] == 3
    assert item["elementId"] == "pump-101"
    assert item["value"]["components"]["pump-101-flow"]["value"] == 41.0


def test_node_i3x_numbers_each_update(i3x_server_factory: Callable[..., DemoServer]) -> None:
    space = AddressSpace()
    space.add_namespace("urn:t", "t")
    space.add_object_type("n", "n", namespace_uri="urn:t", schema={"type": "number"})
    for element_id in ("a", "b", "c"):
        space.add_object(element_id, element_id, type_id="n", value=0.0)
    server = i3x_server_factory(space, dialect="node-i3x")
    with client_for(server.api_url) as api:
        sid = subscribe(api, ["a", "b", "c"])
        server.push({"a": 1.0, "b": 2.0, "c": 3.0})
        batches = sync(api, sid).json()["result"]
    assert [(b["sequenceNumber"], b["updates"][0]["elementId"]) for b in batches] == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
    ]
