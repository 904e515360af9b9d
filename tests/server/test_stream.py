"""The SSE stream: queue on open, live events, takeover, keepalive, and its exclusions."""

from __future__ import annotations

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
