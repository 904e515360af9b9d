"""Writes: current values (1.0 bulk PUT and the beta per-element PUT) and history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import numpy as np
import pytest
import respx

import i3x

from ._helpers import API, bulk, failed, item, ok, sample, sent_json

pytestmark = pytest.mark.respx(base_url=API)

UTC = timezone.utc


def test_update_value_writes_a_dict_as_the_value(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(item("element-id-1")))

    client.update_value("element-id-1", {"temperature": 72.5})

    request = route.calls.last.request
    assert request.method == "PUT"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert sent_json(route) == {
        "updates": [{"elementId": "element-id-1", "value": {"value": {"temperature": 72.5}}}]
    }


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ({"value": 1, "quality": "Bad"}, {"value": 1, "quality": "Bad"}),
        ({"value": 72.5}, {"value": 72.5}),
        (
            {"value": {"temperature": 72.5}, "timestamp": "2026-03-01T14:00:00+02:00"},
            {"value": {"temperature": 72.5}, "timestamp": "2026-03-01T12:00:00Z"},
        ),
        (
            {"value": 3, "quality": "Good", "timestamp": datetime(2026, 3, 1, 12, tzinfo=UTC)},
            {"value": 3, "quality": "Good", "timestamp": "2026-03-01T12:00:00Z"},
        ),
        # None means "not given", as for the arguments.
        ({"value": 5, "quality": None, "timestamp": None}, {"value": 5}),
    ],
)
def test_update_value_reads_a_vqt_shaped_dict_as_a_vqt(
    client: i3x.Client, respx_mock: respx.MockRouter, given: dict[str, object], written: object
) -> None:
    # The 1.0 reference client writes such a dict as a VQT: written as the value, code
    # moved over from it would nest its values ({"value": {"value": 1, ...}}).
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a")))
    client.update_value("a", given)
    assert sent_json(route)["updates"] == [{"elementId": "a", "value": written}]


@pytest.mark.parametrize(
    "value",
    [
        {"temperature": 72.5},
        {"value": 1, "unit": "degC"},  # a key a VQT does not have: an object of the plant's
        {"quality": "Good", "timestamp": "2026-03-01T12:00:00Z"},  # no value: not a VQT
        {},
    ],
)
def test_update_value_writes_any_other_dict_as_the_value(
    client: i3x.Client, respx_mock: respx.MockRouter, value: dict[str, object]
) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a")))
    client.update_value("a", value)
    assert sent_json(route)["updates"] == [{"elementId": "a", "value": {"value": value}}]


def test_an_explicit_vqt_writes_a_vqt_shaped_dict_as_the_value(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a")))
    on_purpose = {"value": 72.5, "quality": "Good"}
    client.update_value("a", i3x.VQT(value=on_purpose))
    assert sent_json(route)["updates"][0]["value"] == {"value": on_purpose, "quality": "Good"}


def test_arguments_win_over_the_vqt_shaped_dict(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a")))
    client.update_value(
        "a",
        {"value": 1, "quality": "Bad", "timestamp": "2026-01-01T00:00:00Z"},
        quality="Uncertain",
        timestamp="2026-03-01T12:00:00Z",
    )
    assert sent_json(route)["updates"][0]["value"] == {
        "value": 1,
        "quality": "Uncertain",
        "timestamp": "2026-03-01T12:00:00Z",
    }


def test_update_values_reads_vqt_shaped_dicts_as_vqts(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a"), item("b")))
    client.update_values({"a": {"value": 18.3, "quality": "Good"}, "b": {"setpoint": 4}})
    assert sent_json(route)["updates"] == [
        {"elementId": "a", "value": {"value": 18.3, "quality": "Good"}},
        {"elementId": "b", "value": {"value": {"setpoint": 4}}},
    ]


@pytest.mark.parametrize("value", [42, 70.5, "Running", True, None, [1, 2, 3]])
def test_update_value_scalars(
    client: i3x.Client, respx_mock: respx.MockRouter, value: object
) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a")))
    client.update_value("a", value)
    assert sent_json(route) == {"updates": [{"elementId": "a", "value": {"value": value}}]}


def test_update_value_with_an_explicit_vqt(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a")))
    stamp = datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))

    client.update_value("a", i3x.VQT(value=3.5, quality="Uncertain", timestamp=stamp))

    assert sent_json(route)["updates"][0]["value"] == {
        "value": 3.5,
        "quality": "Uncertain",
        "timestamp": "2026-03-01T12:00:00Z",
    }


def test_update_value_with_quality_and_timestamp_arguments(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a")))

    client.update_value("a", 1, quality="Bad", timestamp="2026-03-01T12:00:00Z")
    client.update_value("a", 2, timestamp=datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=UTC))

    assert sent_json(route, 0)["updates"][0]["value"] == {
        "value": 1,
        "quality": "Bad",
        "timestamp": "2026-03-01T12:00:00Z",
    }
    assert sent_json(route, 1)["updates"][0]["value"] == {
        "value": 2,
        "timestamp": "2026-03-01T12:00:00.500000Z",
    }


def test_numpy_numbers_and_arrays_are_written_as_plain_json(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    # What pandas columns hold: int64 is no int, so JSON encoding would refuse it.
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a"), item("b")))
    client.update_values(
        {"a": np.int64(3), "b": {"levels": np.array([1.5, 2.5]), "on": np.bool_(True)}}
    )
    assert sent_json(route) == {
        "updates": [
            {"elementId": "a", "value": {"value": 3}},
            {"elementId": "b", "value": {"value": {"levels": [1.5, 2.5], "on": True}}},
        ]
    }


@pytest.mark.parametrize(
    ("value", "error", "said"),
    [
        (float("nan"), ValueError, "NaN or infinity"),
        ({"temperature": float("inf")}, ValueError, "NaN or infinity"),
        (Decimal("72.5"), TypeError, "cannot be sent as JSON .Decimal is not JSON"),
        (datetime(2026, 3, 1, tzinfo=UTC), TypeError, "cannot be sent as JSON .datetime"),
    ],
)
def test_a_value_json_cannot_carry_is_refused_before_any_request_naming_the_element(
    client: i3x.Client, respx_mock: respx.MockRouter, value: object, error: type, said: str
) -> None:
    with pytest.raises(error, match=rf"^updates\['b'\] .*{said}"):
        client.update_values({"a": 1.0, "b": value})
    with pytest.raises(error, match=rf"^value .*{said}"):
        client.update_value("b", value)
    assert [c.request.method for c in respx_mock.calls if c.request.method != "GET"] == []


def test_update_value_item_failure_raises_its_own_error(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    put = sample("server-a-value-put.json")
    respx_mock.put("/objects/value").respond(json=bulk(put["results"][1]))

    with pytest.raises(i3x.BadRequestError) as caught:
        client.update_value("pump-101-state", 42)

    error = caught.value
    assert error.status_code == 400
    assert error.title == "Bad Request"
    assert error.detail is not None
    assert error.detail.startswith("Update failed: Value schema (int) does not match")
    assert (error.method, error.url) == ("PUT", f"{API}/objects/value")


def test_update_value_not_found(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.put("/objects/value").respond(json=bulk(failed("no-such-element")))
    with pytest.raises(i3x.NotFoundError):
        client.update_value("no-such-element", 1)


def test_update_values(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a"), item("b"), item("c")))

    client.update_values(
        {"a": 1, "b": {"temperature": 72.5}, "c": i3x.VQT(value="x", quality="Bad")}
    )
    client.update_values([("a", 1), ("b", 2)])

    assert sent_json(route, 0) == {
        "updates": [
            {"elementId": "a", "value": {"value": 1}},
            {"elementId": "b", "value": {"value": {"temperature": 72.5}}},
            {"elementId": "c", "value": {"value": "x", "quality": "Bad"}},
        ]
    }
    assert [u["elementId"] for u in sent_json(route, 1)["updates"]] == ["a", "b"]


def test_update_values_returns_one_item_per_update(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    # One item per update, in request order (they read by wire name too: see below).
    respx_mock.put("/objects/value").respond(json=bulk(item("b"), item("a")))
    assert client.update_values({"a": 1, "b": 2}) == [
        i3x.BulkItem(success=True, element_id="a"),
        i3x.BulkItem(success=True, element_id="b"),
    ]


def test_returned_items_read_by_wire_name_as_the_reference_clients_dicts(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.put("/objects/value").respond(json=bulk(item("a")))
    (written,) = client.update_values({"a": 1})
    assert written["elementId"] == written["element_id"] == written.element_id == "a"
    assert written["success"] is True
    assert written["result"] is None
    with pytest.raises(KeyError, match="nope"):
        written["nope"]


def test_update_values_partial_failure(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.put("/objects/value").respond(json=sample("server-a-value-put.json"))

    with pytest.raises(i3x.BulkError) as caught:
        client.update_values({"sensor-001": 70.5, "pump-101-state": 42, "no-such-element": 1})

    error = caught.value
    assert list(error.results) == ["sensor-001"]
    assert list(error.errors) == ["pump-101-state", "no-such-element"]
    assert isinstance(error.errors["pump-101-state"], i3x.BadRequestError)
    assert isinstance(error.errors["no-such-element"], i3x.NotFoundError)
    assert error.errors["no-such-element"].detail == "Element not found: no-such-element"
    assert "2 of 3 writes failed" in str(error)


def test_writes_are_never_split(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(*(item(f"e{i}") for i in range(5))))
    client.with_options(batch_size=2).update_values({f"e{i}": i for i in range(5)})
    assert route.call_count == 1
    assert len(sent_json(route)["updates"]) == 5


# ----------------------------------------------------------------------- history


def test_update_history(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.put("/objects/history").respond(json=bulk(item("a"), item("a")))

    client.update_history(
        "a",
        [
            i3x.VQT(value=1, timestamp=datetime(2026, 1, 1, tzinfo=UTC)),
            {"value": 2, "quality": "Bad", "timestamp": "2026-01-01T00:00:01Z"},
        ],
    )

    assert route.calls.last.request.method == "PUT"
    assert sent_json(route) == {
        "updates": [
            {
                "elementId": "a",
                "value": {"value": 1, "quality": "Good", "timestamp": "2026-01-01T00:00:00Z"},
            },
            {
                "elementId": "a",
                "value": {"value": 2, "quality": "Bad", "timestamp": "2026-01-01T00:00:01Z"},
            },
        ]
    }


def test_update_history_takes_one_item_for_the_element(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    # The spec answers writes "per elementId": one item for all of an element's entries.
    entries = [
        {"value": 70.0, "quality": "Good", "timestamp": "2026-01-01T00:00:00Z"},
        {"value": 72.5, "quality": "Good", "timestamp": "2026-01-01T01:00:00Z"},
    ]
    route = respx_mock.put("/objects/history").respond(json=bulk(item("a")))
    client.update_history("a", entries)
    assert [u["value"] for u in sent_json(route)["updates"]] == entries

    respx_mock.put("/objects/history").respond(json=bulk(failed("a")))
    with pytest.raises(i3x.NotFoundError):
        client.update_history("a", entries)


def test_update_history_missing_answers_are_errors(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    entries = [i3x.VQT(value=n, timestamp=datetime(2026, 1, 1, 0, n, tzinfo=UTC)) for n in range(3)]
    respx_mock.put("/objects/history").respond(json=bulk(item("a"), item("a")))
    with pytest.raises(i3x.I3XError, match="sent no answer"):
        client.update_history("a", entries)


def test_update_history_not_supported(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.put("/objects/history").respond(
        501,
        json={
            "success": False,
            "responseDetail": {
                "title": "Not Implemented",
                "status": 501,
                "detail": "History updates are not supported",
            },
        },
    )
    with pytest.raises(i3x.NotSupportedError) as caught:
        client.update_history("a", i3x.VQT(value=1, timestamp=datetime(2026, 1, 1, tzinfo=UTC)))
    assert caught.value.detail == "History updates are not supported"
    assert isinstance(caught.value, i3x.APIStatusError)


def test_update_history_item_failure(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.put("/objects/history").respond(json=bulk(failed("a")))
    with pytest.raises(i3x.NotFoundError):
        client.update_history("a", i3x.VQT(value=1, timestamp=datetime(2026, 1, 1, tzinfo=UTC)))


# -------------------------------------------------------------- beta servers


@pytest.fixture
def beta(respx_mock: respx.MockRouter) -> Iterator[i3x.Client]:
    respx_mock.get("/info").respond(json=ok({"specVersion": "1.0", "serverVersion": "1.0-beta"}))
    client = i3x.Client(API)
    with pytest.warns(DeprecationWarning, match="beta"):
        client.connect()
    yield client
    client.close()


@pytest.mark.parametrize(
    ("element_id", "encoded"),
    [
        ("sensor-001", "sensor-001"),
        ("Line 1/Pump [A]", "Line%201%2FPump%20%5BA%5D"),
        ("ns=2;s=Tank:Level", "ns%3D2%3Bs%3DTank%3ALevel"),
        # Dot segments: sent as they are, URL libraries and servers resolve them away.
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("...", "..."),
    ],
)
def test_beta_update_value_puts_to_the_url_encoded_element(
    beta: i3x.Client, respx_mock: respx.MockRouter, element_id: str, encoded: str
) -> None:
    route = respx_mock.put(url__regex=r"/objects/.+/value$").respond(json=ok(None))

    beta.update_value(element_id, {"temperature": 72.5}, quality="Good")

    request = route.calls.last.request
    assert request.url.raw_path == f"/v1/objects/{encoded}/value".encode()
    # The beta body is the bare new value (the beta guide and its reference server).
    assert sent_json(route) == {"temperature": 72.5}


def test_beta_refuses_a_quality_or_timestamp_it_cannot_store(
    beta: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    with pytest.raises(i3x.NotSupportedError, match="beta server takes only the value"):
        beta.update_value("a", 1, quality="Bad")
    with pytest.raises(i3x.NotSupportedError):
        beta.update_value("a", 1, timestamp="2026-01-01T00:00:00Z")
    # No route is mocked for the write: respx would fail the test had one been sent.


def test_beta_writes_the_value_of_a_vqt_shaped_dict_and_refuses_its_timestamp(
    beta: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put("/objects/a/value").respond(json=ok(None))
    beta.update_value("a", {"value": 75.0, "quality": "Good"})
    assert sent_json(route) == 75.0
    # The 1.0 reference client sends this dict as the body, which a beta server stores
    # as the value; here it is refused before anything is sent.
    with pytest.raises(i3x.NotSupportedError, match="cannot store a timestamp"):
        beta.update_value("a", {"value": 75.0, "timestamp": "2026-01-01T00:00:00Z"})
    assert route.call_count == 1


def test_beta_update_value_error(beta: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.put("/objects/a/value").respond(
        404, json={"success": False, "responseDetail": {"status": 404, "detail": "no a"}}
    )
    with pytest.raises(i3x.NotFoundError) as caught:
        beta.update_value("a", 1)
    assert caught.value.detail == "no a"


def test_beta_update_values_one_put_each(beta: i3x.Client, respx_mock: respx.MockRouter) -> None:
    ok_route = respx_mock.put("/objects/a/value").respond(json=ok(None))
    bad_route = respx_mock.put("/objects/b%2Fc/value").respond(
        400, json={"success": False, "responseDetail": {"status": 400, "detail": "bad b/c"}}
    )

    with pytest.raises(i3x.BulkError) as caught:
        beta.update_values({"a": 1, "b/c": 2})

    assert ok_route.call_count == bad_route.call_count == 1
    assert list(caught.value.results) == ["a"]
    assert isinstance(caught.value.errors["b/c"], i3x.BadRequestError)
    assert caught.value.errors["b/c"].detail == "bad b/c"


def test_beta_update_values_returns_one_item_per_element(
    beta: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.put(url__regex=r"/objects/.+/value$").respond(json=ok(None))
    results = beta.update_values({"a": 1, "b/c": {"value": 2}})
    assert results == [
        i3x.BulkItem(success=True, element_id="a"),
        i3x.BulkItem(success=True, element_id="b/c"),
    ]


@pytest.mark.respx(base_url=API, assert_all_called=False)
def test_release_server_does_not_use_the_beta_put(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    beta_route = respx_mock.put(url__regex=r"/objects/.+/value$").respond(json=ok(None))
    bulk_route = respx_mock.put("/objects/value").respond(json=bulk(item("a")))
    client.update_value("a", 1)
    assert (bulk_route.call_count, beta_route.call_count) == (1, 0)


def test_beta_put_sends_no_credentials_in_url(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/info").respond(json=ok({"specVersion": "1.0", "serverVersion": "beta"}))
    route = respx_mock.put("/objects/a/value").respond(json=ok(None))
    client = i3x.Client("http://u:pw-SECRET@i3x.test/v1")
    with pytest.warns(DeprecationWarning, match="beta"):
        client.update_value("a", 1)
    assert "pw-SECRET" not in str(route.calls.last.request.url)
    assert route.calls.last.request.headers["authorization"].startswith("Basic ")
    assert isinstance(route.calls.last.request, httpx.Request)
