"""Fault injection: latency, failures, cut connections, malformed bodies, stream faults."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from i3x.testing import DemoServer

from ._helpers import CLIENT, events, subscribe, sync, wait_until

VALUE = "/v1/objects/value"


def _read_raw(response: httpx.Response, into: bytearray) -> None:
    for chunk in response.iter_raw():
        into.extend(chunk)


def _read_value(api: httpx.Client) -> httpx.Response:
    return api.post("/objects/value", json={"elementIds": ["pt-304"]})


def test_latency_delays_every_request(i3x_server: DemoServer, api: httpx.Client) -> None:
    i3x_server.faults.latency = 0.25
    started = time.monotonic()
    assert api.get("/info").status_code == 200
    assert time.monotonic() - started >= 0.25
    i3x_server.faults.latency = 0
    with pytest.raises(ValueError, match="latency"):
        i3x_server.faults.latency = -1


def test_fail_next_answers_the_status_in_the_envelope(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    i3x_server.faults.fail_next(2, status=503, retry_after=1.5, path=VALUE)
    assert api.get("/info").status_code == 200, "another path is not affected"
    for _ in range(2):
        answer = _read_value(api)
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "1.5"
        assert answer.json() == {
            "success": False,
            "responseDetail": {
                "title": "Service Unavailable",
                "status": 503,
                "detail": "Injected fault: Service Unavailable",
            },
        }
    assert _read_value(api).status_code == 200


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [
        (2, "2"),
        (2.0, "2"),
        ("Wed, 21 Oct 2026 07:28:00 GMT", "Wed, 21 Oct 2026 07:28:00 GMT"),
        (None, None),
    ],
)
def test_fail_next_retry_after_forms(
    i3x_server: DemoServer, api: httpx.Client, retry_after: float | str | None, header: str | None
) -> None:
    i3x_server.faults.fail_next(status=429, retry_after=retry_after)
    answer = api.get("/info")
    assert answer.status_code == 429
    assert answer.headers.get("retry-after") == header


def test_fail_next_rejects_success_statuses(i3x_server: DemoServer) -> None:
    with pytest.raises(ValueError, match="status"):
        i3x_server.faults.fail_next(status=200)


def test_cut_next_drops_the_connection_mid_body(i3x_server: DemoServer, api: httpx.Client) -> None:
    i3x_server.faults.cut_next(path=VALUE)
    assert api.get("/namespaces").status_code == 200
    with pytest.raises(httpx.TransportError):
        _read_value(api)
    assert _read_value(api).status_code == 200


def test_cut_next_sends_headers_and_the_first_bytes(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    i3x_server.faults.cut_next(after_bytes=10)
    received = bytearray()
    request = api.build_request("GET", "/objects", headers={"Accept-Encoding": "identity"})
    answer = api.send(request, stream=True)
    try:
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        with pytest.raises(httpx.TransportError):
            _read_raw(answer, received)
    finally:
        answer.close()
    assert received == b'{"success"'


def test_a_cut_write_still_took_effect(i3x_server: DemoServer, api: httpx.Client) -> None:
    i3x_server.faults.cut_next(path=VALUE)
    with pytest.raises(httpx.TransportError):
        api.put(
            VALUE.removeprefix("/v1"),
            json={"updates": [{"elementId": "pt-304", "value": {"value": 7.5}}]},
        )
    assert i3x_server.space.get_value("pt-304").value == 7.5


def test_cut_next_on_the_stream_cuts_inside_the_first_event(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    sid = subscribe(api, ["pt-304"])
    i3x_server.set_value("pt-304", 1.25)
    i3x_server.faults.cut_next(path="/v1/subscriptions/stream")
    received = bytearray()
    with api.stream(
        "POST", "/subscriptions/stream", json={"clientId": CLIENT, "subscriptionId": sid}
    ) as stream:
        assert stream.status_code == 200
        with pytest.raises(httpx.TransportError):
            _read_raw(stream, received)
    assert received == b'data: [{"element'


def test_malformed_next_is_200_json_that_does_not_parse(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    i3x_server.faults.malformed_next(path=VALUE)
    answer = _read_value(api)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.text)
    assert _read_value(api).json()["success"] is True


def test_end_stream_after_ends_cleanly_and_keeps_the_rest(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    sid = subscribe(api, ["pt-304"])
    for value in (1.0, 2.0, 3.0):
        i3x_server.set_value("pt-304", value)
    i3x_server.faults.end_stream_after(2)
    with api.stream(
        "POST", "/subscriptions/stream", json={"clientId": CLIENT, "subscriptionId": sid}
    ) as stream:
        received = list(events(stream.iter_lines()))
    assert [[u["value"] for u in batch] for batch in received] == [[1.0], [2.0]]
    wait_until(lambda: sync(api, sid).status_code == 200)
    assert [b["sequenceNumber"] for b in sync(api, sid).json()["result"]] == [3]


def test_cut_stream_after_drops_the_connection_mid_event(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    sid = subscribe(api, ["pt-304"])
    i3x_server.set_value("pt-304", 1.0)
    i3x_server.set_value("pt-304", 2.0)
    i3x_server.faults.cut_stream_after(1)
    received: list[str] = []
    with api.stream(
        "POST", "/subscriptions/stream", json={"clientId": CLIENT, "subscriptionId": sid}
    ) as stream:
        with pytest.raises(httpx.TransportError):
            received.extend(stream.iter_lines())
    assert len([line for line in received if line.startswith("data: ")]) == 1


def test_reset_disarms_everything(i3x_server: DemoServer, api: httpx.Client) -> None:
    faults = i3x_server.faults
    faults.latency = 5
    faults.fail_next(3)
    faults.cut_next()
    faults.malformed_next()
    faults.end_stream_after(0)
    faults.reset()
    assert faults.latency == 0
    assert _read_value(api).status_code == 200
