"""The async client's own paths, with respx: the same wire, errors and retries as the sync one.

Most behaviour is shared (the flows); these tests check what the async driver adds:
awaited sends, concurrent batches, merged single-element reads, async sleeps.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

import i3x
import i3x.testing
from i3x._driver import AsyncDriver

from ._helpers import API, BASE, INFO, bulk, error_body, failed, item, ok, sent_json, vqt

pytestmark = pytest.mark.anyio


@pytest.fixture
def waited() -> Iterator[list[float]]:
    """Every wait between retries, recorded by a coroutine instead of sleeping."""
    seen: list[float] = []

    async def record(seconds: float) -> None:
        seen.append(seconds)

    with i3x.testing.waits(sleep=record):
        yield seen


@pytest.fixture
async def client(
    respx_mock: respx.MockRouter, waited: list[float]
) -> AsyncIterator[i3x.AsyncClient]:
    respx_mock.get(f"{API}/info").respond(json=INFO)
    c = i3x.AsyncClient(API, client_id="unit-client", token="s3cret-token")
    await c.connect()
    yield c
    await c.aclose()


async def test_connect_falls_back_to_v1(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/info").respond(404, json={"detail": "Not Found"})
    respx_mock.get(f"{API}/info").respond(json=INFO)
    async with i3x.AsyncClient(BASE) as c:
        assert c.api_url == API
        assert c.server_info is not None
        assert c.server_info.spec_version == "1.0"


async def test_connect_accepts_a_bare_info_document(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{API}/info").respond(json=INFO["result"])
    async with i3x.AsyncClient(API) as c:
        assert c.server_info is not None
        assert c.server_info.server_version == "1.0.3"
        assert c.server_info.capabilities.subscribe.stream is True


def test_one_client_serves_one_asyncio_run_after_another() -> None:
    # Each asyncio.run() is a new event loop: the pool, its gate and the read merger
    # are made anew on it; the connection, subscription records and acks carry over.
    async def values(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)  # so that concurrent batches queue at the gate
        ids = json.loads(request.content)["elementIds"]
        return httpx.Response(200, json=bulk(*(item(i, vqt(f"v-{i}")) for i in ids)))

    with respx.mock(assert_all_called=True) as router:
        info = router.get(f"{API}/info").respond(json=INFO)
        value_route = router.post(f"{API}/objects/value").mock(side_effect=values)
        router.post(f"{API}/subscriptions").respond(json=ok({"subscriptionId": "sub-1"}))
        sync = router.post(f"{API}/subscriptions/sync").respond(
            json=ok([{"sequenceNumber": 3, "updates": []}])
        )
        listed = router.post(f"{API}/subscriptions/list").respond(
            json=bulk(item("sub-1", {"subscriptionId": "sub-1"}, subscription=True))
        )
        # One connection: the second batch waits at the gate (a loop-bound semaphore).
        client = i3x.AsyncClient(API, client_id="c", limits=httpx.Limits(max_connections=1))
        batched = client.with_options(batch_size=1)

        async def first() -> None:
            await client.create_subscription("line 7")
            await client.sync_subscription("sub-1")
            await batched.get_values(["a", "b"])

        async def later() -> list[object]:
            merged = await asyncio.gather(client.get_value("a"), client.get_value("b"))
            both = await batched.get_values(["a", "b"])
            await batched.sync_subscription("sub-1")
            (subscription,) = await client.get_subscriptions()
            return [
                *(v.value for v in merged),
                *(v.value for v in both.values()),
                subscription.display_name,
            ]

        asyncio.run(first())
        assert asyncio.run(later()) == ["v-a", "v-b", "v-a", "v-b", "line 7"]
        assert asyncio.run(later()) == ["v-a", "v-b", "v-a", "v-b", "line 7"]
        asyncio.run(client.aclose())

    assert info.call_count == 1
    assert value_route.call_count == 2 + 3 + 3, "per later loop: one merged read, two batches"
    assert sent_json(sync, 1)["lastSequenceNumber"] == 3
    assert sent_json(sync, 2)["lastSequenceNumber"] == 3
    assert sent_json(listed) == {"clientId": "c", "subscriptionIds": ["sub-1"]}


async def test_alpha_server_is_unsupported(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/info").respond(404)
    respx_mock.get(f"{API}/info").respond(404)
    respx_mock.get(f"{BASE}/namespaces").respond(json=[{"uri": "urn:a", "displayName": "A"}])
    with pytest.raises(i3x.UnsupportedVersionError, match=r"pre-release \(alpha\)"):
        await i3x.AsyncClient(BASE).connect()


async def test_a_url_without_i3x_is_an_invalid_server_response(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.get(url__regex=r".*/(info|namespaces)$").respond(404, html="<h1>Not Found</h1>")
    with pytest.raises(i3x.InvalidServerResponseError, match="no i3X API answered") as caught:
        await i3x.AsyncClient(BASE).connect()
    assert not isinstance(caught.value, i3x.UnsupportedVersionError)
    assert f"GET {API}/namespaces (HTTP 404)" in str(caught.value)


async def test_values_request_and_models(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(f"{API}/objects/value").respond(
        json=bulk(
            item("a", {"isComposition": False, **vqt(1.5)}),
            item("b", {"isComposition": False, **vqt(2)}),
        )
    )
    values = await client.get_values(["a", "b"], max_depth=0)
    assert sent_json(route) == {"elementIds": ["a", "b"], "maxDepth": 0}
    assert {k: v.value for k, v in values.items()} == {"a": 1.5, "b": 2}
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer s3cret-token"
    assert request.headers["accept"] == "application/json"


async def test_batches_go_concurrently_and_keep_order(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{API}/info").respond(json=INFO)
    in_flight = 0
    most = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        ids = json.loads(request.content)["elementIds"]
        return httpx.Response(
            200, json=bulk(*(item(i, {"isComposition": False, **vqt(i)}) for i in ids))
        )

    respx_mock.post(f"{API}/objects/value").mock(side_effect=answer)
    ids = [f"id-{n}" for n in range(10)]
    async with i3x.AsyncClient(API, batch_size=2, max_concurrency=3) as c:
        values = await c.get_values(ids)
    assert list(values) == ids
    assert [v.value for v in values.values()] == ids
    assert most == 3  # five batches, at most max_concurrency at once


async def test_concurrent_get_value_calls_share_one_request(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(f"{API}/objects/value").respond(
        json=bulk(
            item("a", {"isComposition": False, **vqt(1)}),
            failed("gone"),
            item("b", {"isComposition": False, **vqt(2)}),
        )
    )
    a, gone, b = await asyncio.gather(
        client.get_value("a"),
        client.get_value("gone"),
        client.get_value("b"),
        return_exceptions=True,
    )
    assert route.call_count == 1
    assert sent_json(route) == {"elementIds": ["a", "gone", "b"], "maxDepth": 1}
    assert isinstance(a, i3x.LastKnownValue)
    assert a.value == 1
    assert isinstance(b, i3x.LastKnownValue)
    assert b.value == 2
    assert isinstance(gone, i3x.NotFoundError)
    assert gone.status_code == 404


async def test_a_merged_request_that_fails_fails_each_caller(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(f"{API}/objects/value").respond(500, json=error_body(500, "Internal", "boom"))
    outcomes = await asyncio.gather(
        client.get_value("a"), client.get_value("b"), return_exceptions=True
    )
    assert all(isinstance(o, i3x.ServerError) and o.detail == "boom" for o in outcomes)


async def test_retry_after_is_honoured_with_the_async_sleep(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter, waited: list[float]
) -> None:
    respx_mock.get(f"{API}/namespaces").mock(
        side_effect=[
            httpx.Response(
                503, headers={"Retry-After": "3"}, json=error_body(503, "Busy", "later")
            ),
            httpx.Response(200, json=ok([{"uri": "urn:x", "displayName": "X"}])),
        ]
    )
    assert [n.uri for n in await client.get_namespaces()] == ["urn:x"]
    assert waited == [3.0]


async def test_writes_are_not_retried_after_a_503(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter, waited: list[float]
) -> None:
    route = respx_mock.put(f"{API}/objects/value").respond(
        503, json=error_body(503, "Busy", "later")
    )
    with pytest.raises(i3x.ServerError):
        await client.update_value("a", 1)
    assert route.call_count == 1
    assert waited == []


async def test_a_read_timeout_is_an_i3x_timeout(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter, waited: list[float]
) -> None:
    respx_mock.get(f"{API}/namespaces").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(i3x.TimeoutError) as timeout:
        await client.get_namespaces()
    assert isinstance(timeout.value, i3x.ConnectionError)
    assert len(waited) == 2  # retried twice: a read is safe to repeat
    assert timeout.value.__cause__ is not None


async def test_partial_failures_and_non_envelope_errors(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(f"{API}/objects/list").respond(
        json=bulk(
            item(
                "a",
                {
                    "elementId": "a",
                    "displayName": "A",
                    "typeElementId": "t",
                    "isComposition": False,
                },
            ),
            failed("b"),
        )
    )
    with pytest.raises(i3x.BulkError) as partial:
        await client.list_objects(["a", "b"])
    assert list(partial.value.results) == ["a"]
    assert isinstance(partial.value.errors["b"], i3x.NotFoundError)

    respx_mock.get(f"{API}/objecttypes").respond(
        404,
        json={
            "message": "Route GET:/v1/objecttypes not found",
            "error": "Not Found",
            "statusCode": 404,
        },
    )
    with pytest.raises(i3x.NotFoundError, match="Route GET:/v1/objecttypes not found"):
        await client.get_object_types()


async def test_malformed_json_is_a_typed_error(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{API}/namespaces").respond(
        200, content=b'{"success": tru', headers={"content-type": "application/json"}
    )
    with pytest.raises(i3x.InvalidServerResponseError, match="not valid JSON"):
        await client.get_namespaces()


async def test_sync_acknowledges_what_the_previous_call_returned(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter
) -> None:
    batch = {"sequenceNumber": 7, "updates": [{"elementId": "a", **vqt(1)}]}
    route = respx_mock.post(f"{API}/subscriptions/sync").mock(
        side_effect=[httpx.Response(200, json=ok([batch])), httpx.Response(200, json=ok([]))]
    )
    first = await client.sync_subscription("sub-1")
    assert [u.sequence_number for u in first.updates] == [7]
    await client.sync_subscription("sub-1")
    assert "lastSequenceNumber" not in sent_json(route, 0)
    assert sent_json(route, 1)["lastSequenceNumber"] == 7


async def test_no_credentials_in_repr_errors_or_logs(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    respx_mock.get(f"{API}/namespaces").respond(
        401, json=error_body(401, "Unauthorized", "bad token")
    )
    with pytest.raises(i3x.AuthenticationError) as denied:
        await client.get_namespaces()
    for text in (repr(client), str(denied.value), repr(denied.value), caplog.text):
        assert "s3cret-token" not in text


async def test_a_sync_transport_is_refused() -> None:
    with pytest.raises(TypeError, match="transport must be an AsyncBaseTransport"):
        i3x.AsyncClient(API, transport=httpx.HTTPTransport())


async def test_subscription_connections_use_tcp_keepalive() -> None:
    # A vanished peer is found by TCP keepalive while a quiet, healthy stream stays up.
    client = i3x.AsyncClient(API)
    driver = AsyncDriver(client._ctx.config, keepalive=True)
    http = await driver.client()
    try:
        options = http._transport._pool._socket_options  # type: ignore[attr-defined]
        assert (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1) in options
    finally:
        await driver.close()


async def test_writes_and_registrations_return_one_item_per_id(
    client: i3x.AsyncClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.put(f"{API}/objects/value").respond(json=bulk(item("a"), item("b")))
    respx_mock.post(f"{API}/subscriptions/register").respond(json=bulk(item("a")))
    respx_mock.post(f"{API}/subscriptions/unregister").respond(json=bulk(item("a")))

    written = await client.update_values({"a": 1, "b": {"value": 2, "quality": "Good"}})
    registered = await client.register_items("sub-1", ["a"])
    unregistered = await client.unregister_items("sub-1", ["a"])

    assert [w["elementId"] for w in written] == ["a", "b"]
    assert all(w["success"] for w in written)
    assert registered == unregistered == [i3x.BulkItem(success=True, element_id="a")]
