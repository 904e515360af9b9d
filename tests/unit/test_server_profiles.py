"""Server profiles: how writes are shaped and routed, chosen from /info or by the user,
and the fallback to per-element writes when a server has no bulk write route."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

import i3x

from ._helpers import API, INFO, TLS, bulk, failed, item, ok, sample, sent_json

pytestmark = pytest.mark.respx(base_url=API)

NODE_I3X_INFO = sample("server-b-info.json")
EARLIER_INFO = sample("server-c-info.json")
METHOD_NOT_ALLOWED = sample("server-c-put-bulk-value-405.json")
ELEMENT_ROUTE = r"/objects/[^/]+/value$"


def _connect(respx_mock: respx.MockRouter, info: Any, **kwargs: Any) -> i3x.Client:
    respx_mock.get("/info").respond(json=info)
    client = i3x.Client(API, verify=TLS, **kwargs)
    client.connect()
    return client


@pytest.fixture
def node_i3x(respx_mock: respx.MockRouter) -> Iterator[i3x.Client]:
    client = _connect(respx_mock, NODE_I3X_INFO)
    yield client
    client.close()


@pytest.fixture
def earlier(respx_mock: respx.MockRouter) -> Iterator[i3x.Client]:
    client = _connect(respx_mock, EARLIER_INFO)
    yield client
    client.close()


def _no_bulk_route(respx_mock: respx.MockRouter) -> respx.Route:
    return respx_mock.put("/objects/value").respond(
        405, json=METHOD_NOT_ALLOWED, headers={"allow": "POST"}
    )


# ------------------------------------------------------------------ the choice


@pytest.mark.parametrize(
    ("info", "profile"),
    [
        (INFO, i3x.ServerProfile.SPEC),
        (sample("server-a-info.json"), i3x.ServerProfile.SPEC),
        (EARLIER_INFO, i3x.ServerProfile.SPEC),  # it shows its missing route only when asked
        (NODE_I3X_INFO, i3x.ServerProfile.BARE_VALUE),
        (ok({"specVersion": "1.0", "serverName": "NODE-I3X "}), i3x.ServerProfile.BARE_VALUE),
    ],
    ids=["unit", "server-a", "server-c", "node-i3x", "node-i3x-spelt-loosely"],
)
def test_the_profile_is_chosen_from_info(
    respx_mock: respx.MockRouter, info: Any, profile: i3x.ServerProfile
) -> None:
    client = _connect(respx_mock, info)
    assert client.server_profile is profile
    client.close()


def test_a_beta_server_gets_the_beta_profile(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/info").respond(json=ok({"specVersion": "1.0", "serverVersion": "1.0-beta"}))
    client = i3x.Client(API, verify=TLS)
    with pytest.warns(DeprecationWarning, match="beta"):
        client.connect()
    assert client.server_profile is i3x.ServerProfile.BETA


def test_no_profile_before_connecting_unless_given() -> None:
    assert i3x.Client(API).server_profile is None
    given = i3x.Client(API, server_profile="per-element")
    assert given.server_profile is i3x.ServerProfile.PER_ELEMENT
    assert i3x.AsyncClient(API, server_profile="bare-value").server_profile == "bare-value"


def test_the_choice_is_logged_at_debug(
    respx_mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="i3x"):
        _connect(respx_mock, NODE_I3X_INFO).close()
    [record] = [r for r in caplog.records if "server profile" in r.getMessage()]
    assert record.levelno == logging.DEBUG
    assert "'bare-value'" in record.getMessage()
    assert "serverName 'node-i3x'" in record.getMessage()


def test_a_given_profile_wins_over_info(respx_mock: respx.MockRouter) -> None:
    client = _connect(respx_mock, NODE_I3X_INFO, server_profile=i3x.ServerProfile.SPEC)
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a")))

    client.update_value("a", 1.5, quality="Uncertain")

    assert client.server_profile is i3x.ServerProfile.SPEC
    assert sent_json(route)["updates"][0]["value"] == {"value": 1.5, "quality": "Uncertain"}


@pytest.mark.parametrize(
    ("given", "problem"),
    [("bulk", ValueError), ("SPEC", ValueError), (1, TypeError), (True, TypeError)],
)
def test_a_wrong_profile_is_refused_naming_the_argument(
    given: object, problem: type[Exception]
) -> None:
    with pytest.raises(problem, match="server_profile") as caught:
        i3x.Client(API, server_profile=given)  # type: ignore[arg-type]
    if problem is ValueError:
        assert "'spec', 'bare-value', 'per-element', 'beta'" in str(caught.value)


def test_profiles_read_as_their_values() -> None:
    assert [str(p) for p in i3x.ServerProfile] == ["spec", "bare-value", "per-element", "beta"]
    assert i3x.ServerProfile("per-element") is i3x.ServerProfile.PER_ELEMENT
    profile: str = i3x.ServerProfile.BARE_VALUE
    assert profile == "bare-value"


# ------------------------------------------------------- bare-value (node-i3x)


@pytest.mark.parametrize(
    "value", [41.5, True, "Running", {"temperature": 72.5}, [1, 2], None], ids=repr
)
def test_bare_value_writes_the_value_itself(
    node_i3x: i3x.Client, respx_mock: respx.MockRouter, value: object
) -> None:
    route = respx_mock.put("/objects/value").respond(json=sample("server-b-put-value-raw.json"))
    element = "property-39384b1c5018f0cd-smart-factory-pump-temperature"

    node_i3x.update_value(element, value)

    assert sent_json(route) == {"updates": [{"elementId": element, "value": value}]}


def test_bare_value_update_values_and_a_good_vqt(
    node_i3x: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put("/objects/value").respond(json=bulk(item("a"), item("b")))

    node_i3x.update_values({"a": 1, "b": i3x.VQT(value={"x": 1}, quality="Good")})

    assert sent_json(route) == {
        "updates": [{"elementId": "a", "value": 1}, {"elementId": "b", "value": {"x": 1}}]
    }


@pytest.mark.parametrize(
    ("kwargs", "what"),
    [
        ({"quality": "Bad"}, "quality 'Bad'"),
        ({"timestamp": "2026-01-01T00:00:00Z"}, "a timestamp"),
        ({"quality": "Good", "timestamp": "2026-01-01T00:00:00Z"}, "a timestamp"),
    ],
)
def test_bare_value_refuses_what_the_server_would_mangle_before_sending(
    node_i3x: i3x.Client, kwargs: dict[str, Any], what: str
) -> None:
    # No write route is mocked: respx fails the test had anything been sent.
    with pytest.raises(i3x.NotSupportedError) as caught:
        node_i3x.update_value("a", 1, **kwargs)
    message = str(caught.value)
    assert message.startswith("a: this server stores the value alone")
    assert f"cannot store {what}" in message
    assert "nothing was written" in message
    assert "server_profile='spec'" in message


def test_bare_value_refuses_a_vqt_in_update_values_and_sends_nothing(
    node_i3x: i3x.Client,
) -> None:
    with pytest.raises(i3x.NotSupportedError, match="b: this server stores the value alone"):
        node_i3x.update_values({"a": 1, "b": i3x.VQT(value=2, quality="Uncertain")})


def test_the_spec_form_on_node_i3x_is_what_corrupts(
    respx_mock: respx.MockRouter,
) -> None:
    # What the sample shows: a spec VQT is stored whole; a bool refuses it per item.
    client = _connect(respx_mock, NODE_I3X_INFO, server_profile="spec")
    respx_mock.put("/objects/value").respond(json=sample("server-b-put-value-bool-vqtinput.json"))
    element = "property-39384b1c5018f0cd-smart-factory-pump-running"
    with pytest.raises(i3x.AuthenticationError) as caught:
        client.update_value(element, True)
    assert caught.value.status_code == 403
    assert caught.value.detail is not None
    assert "dataType: Boolean" in caught.value.detail


# ------------------------------------------------ no bulk route: per element


def test_405_on_the_bulk_route_writes_per_element_with_a_vqt(
    earlier: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    bulk_route = _no_bulk_route(respx_mock)
    one = respx_mock.put("/objects/sensor-001/value").respond(
        json=sample("server-c-put-one-value.json")
    )

    earlier.update_value("sensor-001", 50.5, quality="Good")

    assert bulk_route.call_count == 1
    assert sent_json(one) == {"value": 50.5, "quality": "Good"}
    assert earlier.server_profile is i3x.ServerProfile.PER_ELEMENT


def test_the_missing_route_is_remembered_by_the_client_and_its_views(
    earlier: i3x.Client, respx_mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    bulk_route = _no_bulk_route(respx_mock)
    element_route = respx_mock.put(url__regex=ELEMENT_ROUTE).respond(json=ok(None))
    view = earlier.with_options(timeout=5.0)

    with caplog.at_level(logging.DEBUG, logger="i3x"):
        view.update_value("a", 1)
    earlier.update_value("b", 2)
    earlier.update_values({"c": 3, "d": i3x.VQT(value=4, quality="Bad")})
    view.update_value("e", {"temperature": 72.5})

    assert bulk_route.call_count == 1, "the bulk route is tried once per client"
    assert [c.request.url.path.split("/")[-2] for c in element_route.calls] == list("abcde")
    assert sent_json(element_route, 3) == {"value": 4, "quality": "Bad"}
    assert sent_json(element_route, 4) == {"value": {"temperature": 72.5}}
    assert earlier.server_profile is view.server_profile is i3x.ServerProfile.PER_ELEMENT
    assert any(
        "'per-element'" in r.getMessage() and "PUT /objects/value is not there" in r.getMessage()
        for r in caplog.records
    )


def test_a_route_404_is_a_missing_route(earlier: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.put("/objects/value").respond(404, json=sample("server-a-err-unknown-route.json"))
    element_route = respx_mock.put("/objects/a/value").respond(json=ok(None))

    earlier.update_value("a", 1)

    assert element_route.call_count == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(404, json=sample("server-b-unknown-route.json")),
        httpx.Response(404, text="<html>Not Found</html>", headers={"content-type": "text/html"}),
        httpx.Response(404),
    ],
    ids=["fastify", "html", "empty"],
)
def test_other_route_404s_are_missing_routes(
    earlier: i3x.Client, respx_mock: respx.MockRouter, answer: httpx.Response
) -> None:
    respx_mock.put("/objects/value").mock(return_value=answer)
    element_route = respx_mock.put("/objects/a/value").respond(json=ok(None))
    earlier.update_value("a", 1)
    assert element_route.call_count == 1


@pytest.mark.respx(base_url=API, assert_all_called=False)
@pytest.mark.parametrize(
    "answer",
    [
        {"success": False, "responseDetail": {"status": 404, "detail": "Element not found: a"}},
        {"success": False, "error": {"code": 404, "message": "Element not found: a"}},
    ],
    ids=["envelope", "error-member"],
)
def test_an_element_404_is_not_a_missing_route(
    earlier: i3x.Client, respx_mock: respx.MockRouter, answer: dict[str, Any]
) -> None:
    respx_mock.put("/objects/value").respond(404, json=answer)
    element_route = respx_mock.put(url__regex=ELEMENT_ROUTE).respond(json=ok(None))

    with pytest.raises(i3x.NotFoundError) as caught:
        earlier.update_value("a", 1)

    assert caught.value.detail == "Element not found: a"
    assert element_route.call_count == 0
    assert earlier.server_profile is i3x.ServerProfile.SPEC


@pytest.mark.respx(base_url=API, assert_all_called=False)
@pytest.mark.parametrize("status", [404, 405, 403])
def test_a_failed_item_is_never_a_missing_route(
    earlier: i3x.Client, respx_mock: respx.MockRouter, status: int
) -> None:
    respx_mock.put("/objects/value").respond(
        json=bulk(item("a"), failed("b", status, "Nope", "item refused"))
    )
    element_route = respx_mock.put(url__regex=ELEMENT_ROUTE).respond(json=ok(None))

    with pytest.raises(i3x.BulkError) as caught:
        earlier.update_values({"a": 1, "b": 2})

    assert list(caught.value.results) == ["a"]
    assert caught.value.errors["b"].status_code == status
    assert element_route.call_count == 0
    assert earlier.server_profile is i3x.ServerProfile.SPEC


@pytest.mark.respx(base_url=API, assert_all_called=False)
def test_a_server_error_on_the_bulk_route_is_not_a_missing_route(
    earlier: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.put("/objects/value").respond(501, json={"detail": "Not Implemented"})
    element_route = respx_mock.put(url__regex=ELEMENT_ROUTE).respond(json=ok(None))
    with pytest.raises(i3x.NotSupportedError):
        earlier.update_value("a", 1)
    assert element_route.call_count == 0


def test_per_element_errors_are_typed(earlier: i3x.Client, respx_mock: respx.MockRouter) -> None:
    _no_bulk_route(respx_mock)
    respx_mock.put("/objects/a/value").respond(json=ok(None))
    respx_mock.put("/objects/no-such-element/value").respond(
        404, json={"success": False, "error": {"code": 404, "message": "Element not found"}}
    )
    respx_mock.put("/objects/c/value").respond(
        200, json={"success": False, "error": {"code": 400, "message": "bad value"}}
    )

    with pytest.raises(i3x.BulkError) as caught:
        earlier.update_values({"a": 1, "no-such-element": 2, "c": 3})

    errors = caught.value.errors
    assert list(caught.value.results) == ["a"]
    assert isinstance(errors["no-such-element"], i3x.NotFoundError)
    assert errors["no-such-element"].detail == "Element not found"
    assert isinstance(errors["c"], i3x.BadRequestError)
    assert errors["c"].detail == "bad value"
    with pytest.raises(i3x.NotFoundError, match="Element not found"):
        earlier.update_value("no-such-element", 1)


def test_a_server_without_any_write_route_says_so(
    earlier: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    _no_bulk_route(respx_mock)
    respx_mock.put("/objects/a/value").respond(405, json=METHOD_NOT_ALLOWED)
    with pytest.raises(i3x.NotSupportedError, match="takes no writes of current values") as caught:
        earlier.update_value("a", 1)
    assert caught.value.status_code == 405


def test_a_given_bulk_profile_does_not_fall_back(respx_mock: respx.MockRouter) -> None:
    client = _connect(respx_mock, EARLIER_INFO, server_profile="spec")
    _no_bulk_route(respx_mock)
    with pytest.raises(i3x.NotSupportedError, match="server_profile='per-element'") as caught:
        client.update_value("a", 1)
    assert caught.value.status_code == 405
    assert caught.value.detail == "Method Not Allowed"
    assert client.server_profile is i3x.ServerProfile.SPEC


def test_a_given_per_element_profile_never_tries_the_bulk_route(
    respx_mock: respx.MockRouter,
) -> None:
    client = _connect(respx_mock, INFO, server_profile="per-element")
    route = respx_mock.put("/objects/a%2Fb/value").respond(json=ok(None))
    client.update_value("a/b", 1, timestamp="2026-01-01T00:00:00Z")
    assert sent_json(route) == {"value": 1, "timestamp": "2026-01-01T00:00:00Z"}


def test_bare_value_without_a_bulk_route_becomes_beta(
    node_i3x: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    _no_bulk_route(respx_mock)
    route = respx_mock.put("/objects/a/value").respond(json=ok(None))
    node_i3x.update_value("a", {"temperature": 1})
    assert sent_json(route) == {"temperature": 1}
    assert node_i3x.server_profile is i3x.ServerProfile.BETA


def test_connecting_again_chooses_again(earlier: i3x.Client, respx_mock: respx.MockRouter) -> None:
    _no_bulk_route(respx_mock)
    respx_mock.put("/objects/a/value").respond(json=ok(None))
    earlier.update_value("a", 1)
    seen: list[i3x.ServerProfile | None] = [earlier.server_profile]
    earlier.disconnect()
    seen.append(earlier.server_profile)
    earlier.connect()
    seen.append(earlier.server_profile)
    assert seen == [i3x.ServerProfile.PER_ELEMENT, None, i3x.ServerProfile.SPEC]


@pytest.mark.anyio
async def test_the_async_client_falls_back_and_writes_concurrently(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.get("/info").respond(json=EARLIER_INFO)
    bulk_route = _no_bulk_route(respx_mock)
    element_route = respx_mock.put(url__regex=ELEMENT_ROUTE).respond(json=ok(None))
    async with i3x.AsyncClient(API, verify=TLS) as client:
        await client.update_values({"a": 1, "b": 2})
        await client.update_value("c", 3)
        assert client.server_profile is i3x.ServerProfile.PER_ELEMENT
    assert bulk_route.call_count == 1
    assert sorted(sent_json(element_route, i)["value"] for i in range(3)) == [1, 2, 3]
