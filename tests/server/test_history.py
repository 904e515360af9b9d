"""History queries and history writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from i3x.testing import DemoServer


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _history(api: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return api.post("/objects/history", json=body)


def test_seeded_history_is_there_oldest_first(api: httpx.Client) -> None:
    body = {
        "elementIds": ["pump-101-flow"],
        "startTime": _iso(_now() - timedelta(hours=2)),
        "endTime": _iso(_now() + timedelta(minutes=1)),
    }
    answer = _history(api, body)
    assert answer.status_code == 200
    result = answer.json()["results"][0]["result"]
    assert result["isComposition"] is False
    values = result["values"]
    assert len(values) >= 100
    stamps = [v["timestamp"] for v in values]
    assert stamps == sorted(stamps)
    assert all(set(v) == {"value", "quality", "timestamp"} for v in values)


def test_history_honours_the_time_range(api: httpx.Client) -> None:
    start, end = _now() - timedelta(minutes=20), _now() - timedelta(minutes=10)
    body = {"elementIds": ["pt-304"], "startTime": _iso(start), "endTime": _iso(end)}
    values = _history(api, body).json()["results"][0]["result"]["values"]
    assert 15 <= len(values) <= 25
    for v in values:
        assert start <= _parse(v["timestamp"]) <= end


def test_history_of_a_composition_has_component_histories(api: httpx.Client) -> None:
    body = {
        "elementIds": ["pump-101", "no-such-element"],
        "startTime": _iso(_now() - timedelta(minutes=5)),
        "endTime": _iso(_now() + timedelta(minutes=1)),
        "maxDepth": 2,
    }
    answer = _history(api, body)
    assert answer.status_code == 200
    results = answer.json()["results"]
    pump = results[0]["result"]
    assert pump["isComposition"] is True
    assert pump["values"] == []
    assert set(pump["components"]) == {
        "pump-101-flow",
        "pump-101-discharge-pressure",
        "pump-101-state",
        "pump-101-motor",
    }
    assert len(pump["components"]["pump-101-flow"]["values"]) >= 5
    assert results[1]["responseDetail"]["status"] == 404


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"elementIds": ["pt-304"], "startTime": "2026-01-01T00:00:00Z"}, "endTime"),
        ({"elementIds": ["pt-304"], "endTime": "2026-01-01T00:00:00Z"}, "startTime"),
        (
            {"elementIds": ["pt-304"], "startTime": "yesterday", "endTime": "2026-01-01T00:00:00Z"},
            "startTime",
        ),
        (
            {"elementIds": ["pt-304"], "startTime": "2026-01-01", "endTime": "2026-01-02"},
            "startTime",
        ),
        (
            {
                "elementIds": ["pt-304"],
                "startTime": "2026-01-02T00:00:00Z",
                "endTime": "2026-01-01T00:00:00Z",
            },
            "after",
        ),
    ],
)
def test_bad_history_requests_are_400(api: httpx.Client, body: dict[str, Any], named: str) -> None:
    answer = _history(api, body)
    assert answer.status_code == 400
    assert named in answer.json()["responseDetail"]["detail"]


def test_history_write_inserts_in_time_order(api: httpx.Client) -> None:
    old = _now() - timedelta(minutes=30, seconds=7)
    answer = api.put(
        "/objects/history",
        json={
            "updates": [
                {
                    "elementId": "pt-304",
                    "value": {"value": 9.5, "quality": "Uncertain", "timestamp": _iso(old)},
                },
                {
                    "elementId": "nope",
                    "value": {"value": 1, "quality": "Good", "timestamp": _iso(old)},
                },
                {
                    "elementId": "pt-304",
                    "value": {"value": "high", "quality": "Good", "timestamp": _iso(old)},
                },
            ]
        },
    )
    assert answer.status_code == 200
    assert [i["success"] for i in answer.json()["results"]] == [True, False, False]
    assert [i["responseDetail"]["status"] for i in answer.json()["results"][1:]] == [404, 400]
    body = {
        "elementIds": ["pt-304"],
        "startTime": _iso(old - timedelta(minutes=1)),
        "endTime": _iso(old + timedelta(minutes=1)),
    }
    values = _history(api, body).json()["results"][0]["result"]["values"]
    written = [v for v in values if v["value"] == 9.5]
    assert len(written) == 1
    assert written[0]["quality"] == "Uncertain"
    assert _parse(written[0]["timestamp"]) == old
    stamps = [_parse(v["timestamp"]) for v in values]
    assert stamps == sorted(stamps)
    current = api.post("/objects/value", json={"elementIds": ["pt-304"]}).json()
    assert current["results"][0]["result"]["value"] != 9.5


def test_history_write_needs_a_timestamp(api: httpx.Client) -> None:
    answer = api.put(
        "/objects/history",
        json={"updates": [{"elementId": "pt-304", "value": {"value": 1.0, "quality": "Good"}}]},
    )
    assert answer.status_code == 400
    assert "timestamp" in answer.json()["responseDetail"]["detail"]


def test_history_capabilities_off_answer_501(i3x_server: DemoServer, api: httpx.Client) -> None:
    i3x_server.set_capabilities(query_history=False, update_history=False)
    info = api.get("/info").json()["result"]["capabilities"]
    assert info["query"]["history"] is False
    assert info["update"]["history"] is False
    query = _history(
        api,
        {"elementIds": ["pt-304"], "startTime": _iso(_now()), "endTime": _iso(_now())},
    )
    assert query.status_code == 501
    assert query.json()["responseDetail"]["status"] == 501
    write = api.put("/objects/history", json={"updates": []})
    assert write.status_code == 501
