"""The SSE stream: queue on open, live events, takeover, keepalive, and its exclusions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, MutableMapping
from typing import Any

import httpx

from i3x.testing import DemoServer

from ._helpers import CLIENT, client_for, events, subscribe, sync, wait_until


def _open(api: httpx.Client, sid: str, **headers: str) -> Any:
    return api.stream(
        "POST",
        "/subscriptions/stream",
        json={"clientId": CLIENT, "subscriptionId": sid},
        headers=headers,
    )


def _values(batch: list[dict[str, Any]]) -> list[Any]:
    return [update["value"] for update in batch]


def test_a_stream_sends_the_queue_then_live_batches(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    sid = subscribe(api, ["pt-304"])
    i3x_server.set_value("pt-304", 1.0)
    i3x_server.set_value("pt-304", 2.0)
    with _open(api, sid, **{"Accept-Encoding": "gzip"}) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in stream.headers
        lines = stream.iter_lines()
        assert next(lines).startswith('data: [{"elementId":"pt-304"')
        assert next(lines) == ""
        received = events(lines)
        assert _values(next(received)) == [2.0]
        i3x_server.set_value("pt-304", 3.0)
        live = next(received)
        assert _values(live) == [3.0]
        assert set(live[0]) == {"elementId", "value", "quality", "timestamp"}
    wait_until(lambda: sync(api, sid).status_code == 200)
    assert sync(api, sid).json()["result"] == [], "batches sent on a stream leave the queue"


def test_stream_updates_of_compositions_carry_components(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    sid = subscribe(api, ["tank-201"], max_depth=2)
    with _open(api, sid) as stream:
        i3x_server.set_value("tank-201-level", 40.0)
        batch = next(events(stream.iter_lines()))
    assert [u["elementId"] for u in batch] == ["tank-201", "tank-201-level"]
    assert batch[0]["components"]["tank-201-level"]["value"] == 40.0


def test_sync_while_a_stream_is_open_is_400(api: httpx.Client) -> None:
    sid = subscribe(api, ["pt-304"])
    with _open(api, sid):
        answer = sync(api, sid)
        assert answer.status_code == 400
        assert "stream is open" in answer.json()["responseDetail"]["detail"]
    wait_until(lambda: sync(api, sid).status_code == 200)


def test_a_second_stream_ends_the_first_cleanly(i3x_server: DemoServer, api: httpx.Client) -> None:
    sid = subscribe(api, ["pt-304"])
    with _open(api, sid) as first:
        lines = first.iter_lines()
        with _open(api, sid) as second:
            assert second.status_code == 200
            assert list(lines) == [], "the first body ends normally, no error"
            i3x_server.set_value("pt-304", 5.0)
            assert _values(next(events(second.iter_lines()))) == [5.0]


def test_a_quiet_stream_sends_keepalive_comments(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(keepalive_interval=0.05)
    with client_for(server.api_url) as api:
        sid = subscribe(api, ["ts-301"])
        with _open(api, sid) as stream:
            lines = stream.iter_lines()
            assert next(lines) == ": keepalive"
            assert next(lines) == ""
            assert next(lines) == ": keepalive"


def test_deleting_a_subscription_ends_its_stream(api: httpx.Client) -> None:
    sid = subscribe(api, ["pt-304"])
    with _open(api, sid) as stream:
        deleted = api.post(
            "/subscriptions/delete", json={"clientId": CLIENT, "subscriptionIds": [sid]}
        )
        assert deleted.json()["success"] is True
        assert list(stream.iter_lines()) == []
    assert sync(api, sid).status_code == 404


def test_an_open_stream_keeps_the_subscription_alive(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(subscription_ttl=10)
    with client_for(server.api_url) as api:
        sid = subscribe(api, ["pt-304"])
        with _open(api, sid) as stream:
            server.advance_time(60)
            assert server.subscription_ids() == [sid]
            server.set_value("pt-304", 2.0)
            assert _values(next(events(stream.iter_lines()))) == [2.0]
        wait_until(lambda: sync(api, sid).status_code == 200)
        server.advance_time(11)
        assert sync(api, sid).status_code == 404


def test_streaming_off_answers_501(i3x_server: DemoServer, api: httpx.Client) -> None:
    sid = subscribe(api, ["pt-304"])
    i3x_server.set_capabilities(stream=False)
    assert api.get("/info").json()["result"]["capabilities"]["subscribe"]["stream"] is False
    answer = api.post("/subscriptions/stream", json={"clientId": CLIENT, "subscriptionId": sid})
    assert answer.status_code == 501
    assert answer.json()["responseDetail"]["status"] == 501
    assert sync(api, sid).status_code == 200


def _asgi_writes(
    server: DemoServer, sid: str, count: int, after_first: Callable[[], object]
) -> list[bytes]:
    """The stream's first `count` body writes, as the app hands them to the HTTP server.

    Over a socket what one write carries may arrive in several reads, or merged with
    the next; at the ASGI interface each write is one message. `after_first` runs
    once the first write is out.
    """

    async def run() -> list[bytes]:
        writes: list[bytes] = []
        enough = asyncio.Event()
        request = json.dumps({"clientId": CLIENT, "subscriptionId": sid}).encode()
        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": request, "more_body": False}
            await enough.wait()
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                writes.append(message["body"])
                if len(writes) == 1:
                    after_first()
                if len(writes) == count:
                    enough.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v1/subscriptions/stream",
            "raw_path": b"/v1/subscriptions/stream",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        app = server._app  # the ASGI app itself, without uvicorn around it
        await asyncio.wait_for(app(scope, receive, send), 10)
        return writes

    return asyncio.run(run())


def test_what_is_queued_goes_out_in_one_write(i3x_server: DemoServer, api: httpx.Client) -> None:
    sid = subscribe(api, ["pt-304"])
    for value in range(5):
        i3x_server.set_value("pt-304", float(value))

    writes = _asgi_writes(
        i3x_server, sid, 2, after_first=lambda: i3x_server.set_value("pt-304", 9.0)
    )
    queued, live = writes[0], writes[1]

    # Five events, one per queued batch, in order, in one write; then the live one.
    assert [_values(batch) for batch in events(iter(queued.decode().split("\n")))] == [
        [0.0],
        [1.0],
        [2.0],
        [3.0],
        [4.0],
    ]
    assert queued.endswith(b"\n\n")
    assert [_values(batch) for batch in events(iter(live.decode().split("\n")))] == [[9.0]]
