"""Current values: maxDepth, compositions, qualities, timestamps and the depth limit."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from i3x.testing import DemoServer

from ._helpers import client_for

RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
PUMP_COMPONENTS = [
    "pump-101-flow",
    "pump-101-discharge-pressure",
    "pump-101-state",
    "pump-101-motor",
]
MOTOR_COMPONENTS = ["pump-101-motor-temperature", "pump-101-motor-current"]


def _value(api: httpx.Client, element_id: str, max_depth: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"elementIds": [element_id]}
    if max_depth is not None:
        body["maxDepth"] = max_depth
    answer = api.post("/objects/value", json=body)
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()["results"][0]["result"]
    return result


def test_default_depth_is_the_element_alone(api: httpx.Client) -> None:
    result = _value(api, "pump-101")
    assert result["isComposition"] is True
    assert result["value"] is None
    assert result["quality"] == "GoodNoData"
    assert "components" not in result
    assert _value(api, "pump-101", 1) == result


def test_depth_two_adds_the_direct_components(api: httpx.Client) -> None:
    result = _value(api, "pump-101", 2)
    assert list(result["components"]) == PUMP_COMPONENTS
    flow = result["components"]["pump-101-flow"]
    assert set(flow) == {"value", "quality", "timestamp"}
    assert isinstance(flow["value"], float)


def test_depth_three_and_zero_reach_the_motor_components(api: httpx.Client) -> None:
    deep = _value(api, "pump-101", 3)
    assert set(deep["components"]) == set(PUMP_COMPONENTS + MOTOR_COMPONENTS)
    assert _value(api, "pump-101", 0) == deep
    assert set(_value(api, "pump-101-motor", 0)["components"]) == set(MOTOR_COMPONENTS)


def test_non_compositions_never_carry_components(api: httpx.Client) -> None:
    result = _value(api, "pt-304", 0)
    assert result["isComposition"] is False
    assert "components" not in result


def test_structured_values(api: httpx.Client) -> None:
    state = _value(api, "pump-101-state")["value"]
    assert state["mode"] == "running"
    assert RFC3339_UTC.fullmatch(state["since"])
    assert _value(api, "tank-201-setpoint")["value"] == {"temperature": 72.0, "mode": "auto"}


@pytest.mark.parametrize(
    ("element_id", "quality", "has_value"),
    [
        ("ts-301", "GoodNoData", False),
        ("ts-302", "Bad", False),
        ("ts-303", "Uncertain", True),
        ("pt-304", "Good", True),
    ],
)
def test_every_quality_is_represented(
    api: httpx.Client, element_id: str, quality: str, has_value: bool
) -> None:
    result = _value(api, element_id)
    assert result["quality"] == quality
    assert (result["value"] is not None) == has_value
    if has_value:
        assert isinstance(result["value"], float)


def test_timestamps_are_rfc3339_utc(api: httpx.Client) -> None:
    result = _value(api, "pump-101", 0)
    stamps = [result["timestamp"]] + [c["timestamp"] for c in result["components"].values()]
    assert all(RFC3339_UTC.fullmatch(s) for s in stamps)


def test_set_value_shows_in_the_next_read(i3x_server: DemoServer, api: httpx.Client) -> None:
    i3x_server.set_value("pt-304", 4.25)
    assert _value(api, "pt-304")["value"] == 4.25
    assert _value(api, "pt-304")["quality"] == "Good"


def test_tick_moves_the_drifting_values(i3x_server: DemoServer, api: httpx.Client) -> None:
    before = _value(api, "pump-101-flow")
    i3x_server.tick()
    after = _value(api, "pump-101-flow")
    assert after["timestamp"] > before["timestamp"]
    assert 0 <= after["value"] <= 60


def test_a_depth_limit_that_cuts_answers_206(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(max_depth_limit=2)
    with client_for(server.api_url) as api:
        answer = api.post(
            "/objects/value", json={"elementIds": ["pump-101", "pt-304"], "maxDepth": 0}
        )
        assert answer.status_code == 206
        body = answer.json()
        assert body["success"] is True
        assert body["responseDetail"]["status"] == 206
        assert "pump-101" in body["responseDetail"]["detail"]
        components = body["results"][0]["result"]["components"]
        assert list(components) == PUMP_COMPONENTS
        gzipped = api.post(
            "/objects/value",
            json={"elementIds": ["pump-101"], "maxDepth": 3},
            headers={"Accept-Encoding": "gzip"},
        )
        assert gzipped.status_code == 206
        assert gzipped.headers["content-encoding"] == "gzip"
        assert gzipped.json()["responseDetail"]["status"] == 206


def test_a_depth_limit_that_cuts_nothing_answers_200(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(max_depth_limit=2)
    with client_for(server.api_url) as api:
        within = api.post("/objects/value", json={"elementIds": ["pump-101"], "maxDepth": 2})
        assert within.status_code == 200
        assert "responseDetail" not in within.json()
        shallow = api.post("/objects/value", json={"elementIds": ["tank-201"], "maxDepth": 0})
        assert shallow.status_code == 200
