"""Writing current values: schema validation, defaults, history, and the beta route."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from i3x.testing import AddressSpace, DemoServer

from ._helpers import client_for


def _put(api: httpx.Client, updates: list[dict[str, Any]]) -> httpx.Response:
    return api.put("/objects/value", json={"updates": updates})


def _current(api: httpx.Client, element_id: str) -> dict[str, Any]:
    result: dict[str, Any] = api.post("/objects/value", json={"elementIds": [element_id]}).json()[
        "results"
    ][0]["result"]
    return result


def _recent_history(api: httpx.Client, element_id: str) -> list[dict[str, Any]]:
    now = datetime.now(timezone.utc)
    body = {
        "elementIds": [element_id],
        "startTime": (now - timedelta(minutes=1)).isoformat(),
        "endTime": (now + timedelta(minutes=1)).isoformat(),
    }
    values: list[dict[str, Any]] = api.post("/objects/history", json=body).json()["results"][0][
        "result"
    ]["values"]
    return values


def test_a_valid_write_is_applied_with_defaults_and_recorded(api: httpx.Client) -> None:
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    answer = _put(
        api, [{"elementId": "tank-201-setpoint", "value": {"value": {"temperature": 72.5}}}]
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "success": True,
        "results": [{"success": True, "elementId": "tank-201-setpoint", "result": None}],
    }
    current = _current(api, "tank-201-setpoint")
    assert current["value"] == {"temperature": 72.5}
    assert current["quality"] == "Good"
    stamp = datetime.fromisoformat(current["timestamp"].replace("Z", "+00:00"))
    assert stamp >= before
    assert _recent_history(api, "tank-201-setpoint")[-1]["value"] == {"temperature": 72.5}


def test_quality_and_timestamp_are_taken_when_given(api: httpx.Client) -> None:
    answer = _put(
        api,
        [
            {
                "elementId": "pt-304",
                "value": {
                    "value": 2.5,
                    "quality": "Uncertain",
                    "timestamp": "2026-01-01T08:00:00.250Z",
                },
            }
        ],
    )
    assert answer.json()["success"] is True
    assert _current(api, "pt-304") == {
        "isComposition": False,
        "value": 2.5,
        "quality": "Uncertain",
        "timestamp": "2026-01-01T08:00:00.250Z",
    }


@pytest.mark.parametrize(
    ("element_id", "value", "complaint"),
    [
        ("tank-201-setpoint", {"value": {"temperature": "hot"}}, "'hot' is not of type 'number'"),
        ("tank-201-setpoint", {"value": {"temperature": 130}}, "maximum"),
        ("tank-201-setpoint", {"value": {"temperature": 70, "colour": "red"}}, "colour"),
        ("tank-201-setpoint", {"value": {"mode": "auto"}}, "'temperature' is a required property"),
        (
            "pump-101-state",
            {"value": {"mode": "dancing", "since": "2026-01-01T00:00:00Z"}},
            "dancing",
        ),
        ("tank-201-level", {"value": 101}, "maximum"),
        ("pt-304", {"value": None}, "null"),
        ("pt-304", {"value": 1.0, "quality": "GOOD"}, "quality"),
        ("pt-304", {"value": 1.0, "timestamp": "noon"}, "timestamp"),
    ],
)
def test_an_invalid_item_fails_with_400_and_changes_nothing(
    api: httpx.Client, element_id: str, value: dict[str, Any], complaint: str
) -> None:
    before = _current(api, element_id)
    history_before = _recent_history(api, element_id)
    answer = _put(api, [{"elementId": element_id, "value": value}])
    assert answer.status_code == 200
    item = answer.json()["results"][0]
    assert item["success"] is False
    assert item["responseDetail"]["status"] == 400
    assert complaint in item["responseDetail"]["detail"]
    assert _current(api, element_id) == before
    assert _recent_history(api, element_id) == history_before


def test_a_mixed_write_applies_only_the_valid_items(api: httpx.Client) -> None:
    answer = _put(
        api,
        [
            {"elementId": "pt-304", "value": {"value": 3.3}},
            {"elementId": "tank-201-setpoint", "value": {"value": {"temperature": "hot"}}},
            {"elementId": "no-such-element", "value": {"value": 1}},
            {"elementId": "pump-101-flow", "value": {"value": 12.5}},
        ],
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is False
    assert [i["success"] for i in body["results"]] == [True, False, False, True]
    assert [i.get("responseDetail", {}).get("status") for i in body["results"]] == [
        None,
        400,
        404,
        None,
    ]
    assert _current(api, "pt-304")["value"] == 3.3
    assert _current(api, "pump-101-flow")["value"] == 12.5
    assert _current(api, "tank-201-setpoint")["value"] == {"temperature": 72.0, "mode": "auto"}


def test_bad_quality_with_null_is_allowed(api: httpx.Client) -> None:
    answer = _put(api, [{"elementId": "pt-304", "value": {"value": None, "quality": "Bad"}}])
    assert answer.json()["success"] is True
    assert _current(api, "pt-304")["quality"] == "Bad"


def test_a_write_missing_its_value_is_400(api: httpx.Client) -> None:
    answer = _put(api, [{"elementId": "pt-304", "value": {"quality": "Good"}}])
    assert answer.status_code == 400
    assert "value" in answer.json()["responseDetail"]["detail"]


def test_writes_off_answer_501(i3x_server: DemoServer, api: httpx.Client) -> None:
    i3x_server.set_capabilities(update_current=False)
    assert api.get("/info").json()["result"]["capabilities"]["update"]["current"] is False
    answer = _put(api, [{"elementId": "pt-304", "value": {"value": 3.3}}])
    assert answer.status_code == 501
    assert answer.json()["responseDetail"]["status"] == 501
    i3x_server.set_capabilities(update_current=True)
    assert _put(api, [{"elementId": "pt-304", "value": {"value": 3.3}}]).status_code == 200


def test_the_beta_route_is_absent_by_default(api: httpx.Client) -> None:
    answer = api.put("/objects/pt-304/value", json=3.3)
    assert answer.status_code in (404, 405)
    assert answer.json()["success"] is False


def test_the_beta_route_with_beta_true(i3x_server_factory: Any) -> None:
    space = AddressSpace()
    space.add_namespace("urn:test", "Test")
    space.add_object_type(
        "number-type", "Number", namespace_uri="urn:test", schema={"type": "number"}
    )
    odd = "Line 1/Filler [A]:speed;unit=bpm"
    space.add_object(odd, "Odd", type_id="number-type", value=1.0)
    server: DemoServer = i3x_server_factory(space, beta=True)
    with client_for(server.api_url) as api:
        assert "beta" in api.get("/info").json()["result"]["serverVersion"]
        answer = api.put(f"/objects/{quote(odd, safe='')}/value", json=42.5)
        assert answer.status_code == 200
        assert answer.json()["success"] is True
        assert answer.json()["elementId"] == odd
        assert _current(api, odd)["value"] == 42.5
        bad = api.put(f"/objects/{quote(odd, safe='')}/value", json="fast")
        assert bad.status_code == 400
        missing = api.put("/objects/nope/value", json=1)
        assert missing.status_code == 404
        assert _put(api, [{"elementId": odd, "value": {"value": 7}}]).json()["success"] is True
