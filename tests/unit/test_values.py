"""Current values and histories: requests, every value shape servers send, batches, 206."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx

import i3x

from ._helpers import API, bulk, failed, item, sample, sent_json, vqt

pytestmark = pytest.mark.respx(base_url=API)

UTC = timezone.utc


def _echo_values(request: httpx.Request) -> httpx.Response:
    """A server that answers every requested id with its own name as the value."""
    ids = json.loads(request.content)["elementIds"]
    items = [failed(i) if i.startswith("missing") else item(i, vqt(f"value of {i}")) for i in ids]
    return httpx.Response(200, json=bulk(*items))


# --------------------------------------------------------------------- get_value


def test_get_value(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    answer = sample("server-a-value-maxDepth2.json")
    answer["results"] = answer["results"][2:]
    route = respx_mock.post("/objects/value").respond(json=answer)

    value = client.get_value("pump-101-bearing-temperature")

    assert route.calls.last.request.headers["content-type"] == "application/json"
    assert sent_json(route) == {"elementIds": ["pump-101-bearing-temperature"], "maxDepth": 1}
    assert value.element_id == "pump-101-bearing-temperature"
    assert value.is_composition is True
    assert len(value.data) == 1
    assert value.data[0].value == {"inTolerance": True, "tolerance": 5.304745972303428}
    assert value.data[0].quality == "Good"
    assert value.data[0].timestamp == datetime(2026, 11, 24, 10, 47, 21, tzinfo=UTC)
    assert value.value == value.data[0].value
    assert value.quality == "Good"
    assert value.timestamp == value.data[0].timestamp
    assert value.latest == value.data[0]
    assert value.response_detail is None
    assert set(value.children) == {
        "pump-101-measurements-bearing-temperature-value",
        "pump-101-measurements-bearing-temperature-health",
    }
    child = value.children["pump-101-measurements-bearing-temperature-health"]
    assert child.element_id == "pump-101-measurements-bearing-temperature-health"
    assert (child.value, child.quality) == (12, "Good")


def test_get_value_sends_max_depth(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/objects/value").respond(json=bulk(item("a", vqt(1))))
    client.get_value("a", max_depth=0)
    client.get_value("a", max_depth=3)
    assert sent_json(route, 0)["maxDepth"] == 0
    assert sent_json(route, 1)["maxDepth"] == 3


def test_get_value_not_found(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/objects/value").respond(json=bulk(failed("no-such-element")))
    with pytest.raises(i3x.NotFoundError) as caught:
        client.get_value("no-such-element")
    error = caught.value
    assert (error.status_code, error.title) == (404, "Not Found")
    assert error.detail == "Element not found: no-such-element"
    assert (error.method, error.url) == ("POST", f"{API}/objects/value")


def test_value_round_trips(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/objects/value").respond(json=sample("server-a-value-maxDepth2.json"))
    values = client.get_values(
        ["pump-101", "pump-101-measurements", "pump-101-bearing-temperature"], max_depth=2
    )
    for value in values.values():
        wire = value.to_dict()
        assert wire["elementId"] == value.element_id
        assert "isComposition" in wire
        assert i3x.LastKnownValue.from_dict(wire) == value
        assert i3x.LastKnownValue.from_json(value.to_json()) == value


# -------------------------------------------------------------------- get_values


def test_get_values_composition_and_nulls(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/objects/value").respond(json=sample("server-a-value-maxDepth2.json"))
    ids = ["pump-101", "pump-101-measurements", "pump-101-bearing-temperature"]

    values = client.get_values(ids, max_depth=2)

    assert sent_json(route) == {"elementIds": ids, "maxDepth": 2}
    assert list(values) == ids
    pump = values["pump-101"]
    assert pump.is_composition is True
    assert pump.value is None
    assert pump.quality == "GoodNoData"
    assert list(pump.children) == ["pump-101-state", "pump-101-production", "pump-101-measurements"]
    state = pump.children["pump-101-state"]
    assert state.value["type"] == {
        "id": 4,
        "name": "Maintenance",
        "description": "Equipment under maintenance",
    }
    assert pump.children["pump-101-production"].quality == "GoodNoData"


def test_get_values_of_the_other_server(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/objects/value").respond(json=sample("server-b-objects-value-maxDepth2.json"))
    values = client.get_values(["asset-a26339973d17d1e2", "asset-39384b1c5018f0cd"], max_depth=2)
    pump = values["asset-a26339973d17d1e2"]
    assert pump.quality == "GoodNoData"
    assert pump.timestamp == datetime(2026, 11, 24, 10, 24, 46, 244000, tzinfo=UTC)
    running = pump.children["property-39384b1c5018f0cd-smart-factory-pump-running"]
    assert running.value is True
    assert len(values["asset-39384b1c5018f0cd"].children) > len(pump.children)


def test_values_of_every_json_type(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    answer = sample("server-b-objects-value-misc-datatypes.json")
    respx_mock.post("/objects/value").respond(json=answer)
    ids = [r["elementId"] for r in answer["results"]]

    values = client.get_values(ids)

    got = [values[i].value for i in ids[:6]]
    assert got == [False, "", 10000, "1601-01-01T00:00:00.000Z", "2026-11-24T10:23:52.964Z", 100]
    assert isinstance(got[3], str), "string values that look like times stay strings"
    assert values[ids[6]].is_composition is True
    assert values[ids[6]].value is None


def test_get_values_partial_failure(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/objects/value").respond(
        json=bulk(
            item("a", vqt(1.5)), failed("b", detail="Element not found: b"), item("c", vqt(3))
        )
    )

    with pytest.raises(i3x.BulkError) as caught:
        client.get_values(["a", "b", "c"])

    error = caught.value
    assert list(error.results) == ["a", "c"]
    assert isinstance(error.results["a"], i3x.LastKnownValue)
    assert error.results["a"].value == 1.5
    assert error.results["c"].value == 3
    assert list(error.errors) == ["b"]
    assert isinstance(error.errors["b"], i3x.NotFoundError)
    assert error.errors["b"].detail == "Element not found: b"
    assert [i.element_id for i in error.items] == ["a", "b", "c"]
    assert "1 of 3 values failed" in str(error)


def test_bulk_reads_are_split_into_batches_in_order(
    respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    from ._helpers import INFO

    respx_mock.get("/info").respond(json=INFO)
    route = respx_mock.post("/objects/value").mock(side_effect=_echo_values)
    ids = [f"e{i}" for i in range(7)]
    with i3x.Client(API, batch_size=3) as client:
        values = client.get_values(ids)

    assert [sent_json(route, i)["elementIds"] for i in range(route.call_count)] == [
        ["e0", "e1", "e2"],
        ["e3", "e4", "e5"],
        ["e6"],
    ]
    assert list(values) == ids
    assert [v.value for v in values.values()] == [f"value of {i}" for i in ids]


def test_batch_size_per_call(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/objects/value").mock(side_effect=_echo_values)
    ids = [f"e{i}" for i in range(5)]

    values = client.with_options(batch_size=2).get_values(ids)

    assert route.call_count == 3
    assert list(values) == ids
    client.get_values(ids)
    assert route.call_count == 4, "the client's own batch size is unchanged"


def test_batched_partial_failure_keeps_order_across_batches(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/objects/value").mock(side_effect=_echo_values)
    ids = ["e0", "missing-1", "e2", "e3", "missing-4", "e5", "e6"]

    with pytest.raises(i3x.BulkError) as caught:
        client.with_options(batch_size=2).get_values(ids)

    error = caught.value
    assert list(error.results) == ["e0", "e2", "e3", "e5", "e6"]
    assert list(error.errors) == ["missing-1", "missing-4"]
    assert all(isinstance(e, i3x.NotFoundError) for e in error.errors.values())
    assert [i.element_id for i in error.items] == ids
    assert "2 of 7" in str(error)


def test_values_206_attaches_the_detail_to_each_value(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    detail = {
        "title": "Partial Content",
        "status": 206,
        "detail": "maxDepth limited to 3 by the server",
    }
    respx_mock.post("/objects/value").respond(
        206,
        json={**bulk(item("a", vqt(1)), item("b", vqt(2))), "responseDetail": detail},
    )

    values = client.get_values(["a", "b"], max_depth=0)

    expected = i3x.ResponseDetail(
        title="Partial Content", status=206, detail="maxDepth limited to 3 by the server"
    )
    assert values["a"].response_detail == expected
    assert values["b"].response_detail == expected
    assert values["a"].value == 1


def test_explicit_nulls_are_accepted(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/objects/value").respond(
        json={
            "success": True,
            "responseDetail": None,
            "results": [
                {
                    "success": True,
                    "elementId": "a",
                    "result": {
                        "isComposition": False,
                        "value": None,
                        "quality": "Bad",
                        "timestamp": "2026-11-24T10:47:22Z",
                        "components": None,
                    },
                    "responseDetail": None,
                }
            ],
        }
    )
    value = client.get_value("a")
    assert (value.value, value.quality, value.children) == (None, "Bad", {})
    assert value.response_detail is None


@pytest.mark.parametrize(
    "quality", ["GOOD", "BadSensorFailure", "UncertainLastUsableValue", "GoodClamped"]
)
def test_qualities_outside_the_four_names_are_kept(
    client: i3x.Client, respx_mock: respx.MockRouter, quality: str
) -> None:
    respx_mock.post("/objects/value").respond(json=bulk(item("a", vqt(1, quality=quality))))
    assert client.get_value("a").quality == quality


@pytest.mark.parametrize(
    ("value", "quality"), [(None, i3x.Quality.GOOD_NO_DATA), (72.5, i3x.Quality.UNCERTAIN)]
)
def test_a_null_quality_reads_the_same_in_current_values_and_history(
    client: i3x.Client, respx_mock: respx.MockRouter, value: object, quality: str
) -> None:
    wire = {"value": value, "quality": None, "timestamp": "2026-01-01T00:00:00Z"}
    respx_mock.post("/objects/value").respond(
        json=bulk(item("a", {"isComposition": True, **wire, "components": {"b": wire}}))
    )
    respx_mock.post("/objects/history").respond(
        json=bulk(
            item(
                "a",
                {
                    "isComposition": True,
                    "values": [wire, {**wire, "timestamp": "2026-01-01T00:00:01Z"}],
                    "components": {"b": {"values": [wire]}},
                },
            )
        )
    )

    current = client.get_value("a", max_depth=2)
    history = client.get_history("a", max_depth=2)

    assert (current.value, current.quality) == (value, quality)
    assert (current.children["b"].value, current.children["b"].quality) == (value, quality)
    assert [(v.value, v.quality) for v in history.data] == [(value, quality)] * 2
    assert history.children["b"].data[0].quality == quality
    assert history.data[0].timestamp == datetime(2026, 1, 1, tzinfo=UTC)


def test_quality_constants() -> None:
    assert i3x.Quality.ALL == ("Good", "GoodNoData", "Bad", "Uncertain")
    assert i3x.VQT(value=1).quality == i3x.Quality.GOOD


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("2026-11-24T10:47:22Z", datetime(2026, 11, 24, 10, 47, 22, tzinfo=UTC)),
        ("2026-11-24T10:47:22.5Z", datetime(2026, 11, 24, 10, 47, 22, 500000, tzinfo=UTC)),
        ("2026-11-24T10:47:22.123456Z", datetime(2026, 11, 24, 10, 47, 22, 123456, tzinfo=UTC)),
        ("2026-11-24T12:47:22+02:00", datetime(2026, 11, 24, 10, 47, 22, tzinfo=UTC)),
        ("2026-11-24T10:47:22", datetime(2026, 11, 24, 10, 47, 22, tzinfo=UTC)),
    ],
    ids=["whole-seconds", "millis", "micros", "offset", "no-offset-means-utc"],
)
def test_timestamps_are_aware_datetimes(
    client: i3x.Client, respx_mock: respx.MockRouter, wire: str, expected: datetime
) -> None:
    respx_mock.post("/objects/value").respond(json=bulk(item("a", vqt(1, timestamp=wire))))
    stamp = client.get_value("a").timestamp
    assert stamp is not None
    assert stamp.tzinfo is not None
    assert stamp.utcoffset() is not None
    assert stamp == expected


@pytest.mark.parametrize(
    "element_id", ["Line 1/Pump [A]", "ns=2;s=Tank:Level", "a b;c=d/e[f]:g", "ünïcode °C"]
)
def test_element_ids_travel_verbatim_in_bodies(
    client: i3x.Client, respx_mock: respx.MockRouter, element_id: str
) -> None:
    route = respx_mock.post("/objects/value").respond(json=bulk(item(element_id, vqt(7))))
    assert client.get_value(element_id).element_id == element_id
    assert sent_json(route)["elementIds"] == [element_id]
    assert route.calls.last.request.url == httpx.URL(f"{API}/objects/value")


# ------------------------------------------------------------------------ history


def test_get_history_sends_the_time_range(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/objects/history").respond(
        json=bulk(item("a", {"isComposition": False, "values": [vqt(1)]}))
    )

    client.get_history(
        "a",
        start_time=datetime(2026, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))),
        end_time="2026-01-02T00:00:00Z",
        max_depth=2,
    )

    assert sent_json(route) == {
        "elementIds": ["a"],
        "startTime": "2026-01-01T00:00:00Z",
        "endTime": "2026-01-02T00:00:00Z",
        "maxDepth": 2,
    }


def test_get_history_string_times_are_normalised_to_utc(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post("/objects/history").respond(
        json=bulk(item("a", {"isComposition": False, "values": []}))
    )
    client.get_history("a", "2026-01-01T01:00:00.250+01:00", "2026-01-01T00:30:00Z")
    body = sent_json(route)
    assert datetime.fromisoformat(body["startTime"].replace("Z", "+00:00")) == datetime(
        2026, 1, 1, 0, 0, 0, 250000, tzinfo=UTC
    )
    assert body["startTime"].endswith("Z")


def test_get_history_defaults_to_all_history_until_now(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post("/objects/history").respond(
        json=bulk(item("a", {"isComposition": False, "values": []}))
    )
    before = datetime.now(UTC)

    client.get_history("a")

    after = datetime.now(UTC)
    body = sent_json(route)
    assert body["startTime"] == "1970-01-01T00:00:00Z"
    assert body["maxDepth"] == 1
    assert body["endTime"].endswith("Z")
    end = datetime.fromisoformat(body["endTime"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= end <= after + timedelta(seconds=1)


def test_history_newest_first_comes_back_oldest_first(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    answer = sample("server-a-history.json")
    answer["results"] = answer["results"][:2]
    answer["success"] = True
    respx_mock.post("/objects/history").respond(json=answer)

    histories = client.get_histories(
        ["sensor-001", "pump-101-measurements"], "2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z"
    )

    sensor = histories["sensor-001"]
    assert [v.value for v in sensor.data] == [68.2, 54.9, 71.85644778277687, 70.5]
    stamps = [v.timestamp for v in sensor.values]
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    assert sensor.value == 70.5, "value reads the newest"
    measurements = histories["pump-101-measurements"]
    assert measurements.is_composition is True
    assert measurements.data == []
    bearing = measurements.children["pump-101-bearing-temperature"]
    assert bearing.data[0].value == {"inTolerance": True, "tolerance": 5.1}
    assert [v.timestamp for v in bearing.data] == sorted(v.timestamp for v in bearing.data)  # type: ignore[type-var]


def test_get_histories_partial_failure(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/objects/history").respond(json=sample("server-a-history.json"))
    ids = ["sensor-001", "pump-101-measurements", "no-such-element"]

    with pytest.raises(i3x.BulkError) as caught:
        client.get_histories(ids)

    error = caught.value
    assert list(error.results) == ids[:2]
    assert list(error.errors) == ["no-such-element"]
    assert isinstance(error.errors["no-such-element"], i3x.NotFoundError)
    assert error.errors["no-such-element"].detail == "Element not found: no-such-element"
    sensor = error.results["sensor-001"]
    assert isinstance(sensor, i3x.LastKnownValue), "results hold parsed histories"
    assert sensor.data[0].value == 68.2


def test_history_in_insertion_order_stays_oldest_first(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    answer = sample("server-b-objects-history-property.json")
    answer["results"] = answer["results"][:2]
    answer["success"] = True
    respx_mock.post("/objects/history").respond(json=answer)
    ids = [r["elementId"] for r in answer["results"]]

    histories = client.get_histories(ids)

    temperature = histories[ids[0]]
    wire_values = [v["value"] for v in answer["results"][0]["result"]["values"]]
    assert [v.value for v in temperature.data] == wire_values
    assert temperature.timestamp == datetime(2026, 11, 24, 10, 25, 12, 276000, tzinfo=UTC)
    assert histories[ids[1]].value == 200


def test_get_history_single(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    answer = sample("server-a-history.json")
    answer["results"] = answer["results"][:1]
    respx_mock.post("/objects/history").respond(json=answer)

    history = client.get_history("sensor-001", start_time="2025-01-01T00:00:00Z")

    assert history.element_id == "sensor-001"
    assert len(history.data) == 4
    assert history.data[0].timestamp == datetime(2025, 10, 26, 10, 15, 30, tzinfo=UTC)


def test_get_history_not_found(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/objects/history").respond(
        json=bulk(failed("unknown-element", detail="Element not found"))
    )
    with pytest.raises(i3x.NotFoundError) as caught:
        client.get_history("unknown-element")
    assert caught.value.detail == "Element not found"
    assert caught.value.url == f"{API}/objects/history"


def test_get_history_not_supported(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/objects/history").respond(
        501,
        json={
            "success": False,
            "responseDetail": {
                "title": "Not Implemented",
                "status": 501,
                "detail": "History is not supported",
            },
        },
    )
    with pytest.raises(i3x.NotSupportedError) as caught:
        client.get_history("a")
    assert caught.value.status_code == 501
    assert caught.value.detail == "History is not supported"


def test_get_histories_are_batched(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body: dict[str, Any] = json.loads(request.content)
        return httpx.Response(
            200,
            json=bulk(*(item(i, {"values": [vqt(i)]}) for i in body["elementIds"])),
        )

    route = respx_mock.post("/objects/history").mock(side_effect=answer)
    ids = [f"h{i}" for i in range(5)]

    histories = client.with_options(batch_size=2).get_histories(
        ids, end_time="2026-01-01T00:00:00Z"
    )

    assert route.call_count == 3
    assert list(histories) == ids
    assert [h.value for h in histories.values()] == ids
    assert {sent_json(route, i)["endTime"] for i in range(3)} == {"2026-01-01T00:00:00Z"}
