"""DemoServer: URLs, start/stop/restart, ticking, capabilities, request log, options."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import pytest

from i3x.testing import Capabilities, DemoServer

from ._helpers import CLIENT, client_for, subscribe, sync, wait_until


def _server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("i3x-demo-server")]


def test_urls(i3x_server: DemoServer) -> None:
    assert i3x_server.url.startswith("http://127.0.0.1:")
    assert not i3x_server.url.endswith("/v1")
    assert i3x_server.api_url == i3x_server.url + "/v1"
    assert i3x_server.running


def test_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="start"):
        _ = DemoServer(ticking=False).url


def test_start_twice_is_an_error(i3x_server: DemoServer) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        i3x_server.start()


def test_stop_ends_streams_frees_the_port_and_leaves_no_thread() -> None:
    before = len(_server_threads())
    server = DemoServer(ticking=False).start()
    port = int(server.url.rsplit(":", 1)[1])
    with client_for(server.api_url) as api:
        sid = subscribe(api, ["pt-304"])
        with api.stream(
            "POST", "/subscriptions/stream", json={"clientId": CLIENT, "subscriptionId": sid}
        ) as stream:
            started = time.monotonic()
            server.stop()
            assert time.monotonic() - started < 1.0
            assert list(stream.iter_lines()) == []
    assert not server.running
    assert len(_server_threads()) == before
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v1/info")
    with socket.socket() as probe:
        # The server closed the stream's connection, which sits in TIME_WAIT; any server
        # (uvicorn included) binds with SO_REUSEADDR, which fails only while one listens.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()
    server.stop()


def test_context_manager_starts_and_stops() -> None:
    with DemoServer(ticking=False) as server:
        assert httpx.get(server.api_url + "/info").status_code == 200
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.api_url + "/info")


def test_restart_keeps_port_and_values_but_drops_subscriptions(
    i3x_server: DemoServer, api: httpx.Client
) -> None:
    url = i3x_server.url
    sid = subscribe(api, ["pt-304"])
    i3x_server.set_value("pt-304", 4.5)
    i3x_server.restart()
    assert i3x_server.url == url
    with client_for(i3x_server.api_url) as fresh:
        value = fresh.post("/objects/value", json={"elementIds": ["pt-304"]}).json()
        assert value["results"][0]["result"]["value"] == 4.5
        assert sync(fresh, sid).status_code == 404
    assert i3x_server.subscription_ids() == []


def test_a_ticking_server_changes_values_by_itself(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(ticking=True, tick_interval=0.05)
    first = server.space.get_value("pump-101-flow").timestamp
    wait_until(lambda: server.space.get_value("pump-101-flow").timestamp > first)


def test_capabilities_toggle_at_run_time(i3x_server: DemoServer, api: httpx.Client) -> None:
    assert i3x_server.capabilities == Capabilities()
    changed = i3x_server.set_capabilities(stream=False, query_history=False)
    assert changed == Capabilities(query_history=False, stream=False)
    caps = api.get("/info").json()["result"]["capabilities"]
    assert caps == {
        "query": {"history": False},
        "update": {"current": True, "history": True},
        "subscribe": {"stream": False},
    }


def test_capabilities_at_construction(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(capabilities=Capabilities(update_history=False))
    info = httpx.get(server.api_url + "/info").json()["result"]
    assert info["capabilities"]["update"]["history"] is False


def test_the_request_log_records_what_was_sent(i3x_server: DemoServer, api: httpx.Client) -> None:
    i3x_server.requests.clear()
    api.get("/objects", params={"root": "true"})
    api.post("/objects/value", json={"elementIds": ["pt-304"], "maxDepth": 1})
    api.post("/objects/list", content=b"{broken")
    assert [(r.method, r.path) for r in i3x_server.requests] == [
        ("GET", "/v1/objects"),
        ("POST", "/v1/objects/value"),
        ("POST", "/v1/objects/list"),
    ]
    first, second, third = list(i3x_server.requests)
    assert first.query == {"root": "true"}
    assert second.json == {"elementIds": ["pt-304"], "maxDepth": 1}
    assert second.headers["content-type"] == "application/json"
    assert third.json is None
    assert third.body == b"{broken"
    assert i3x_server.requests.filter(method="post", path="/v1/objects/value") == [second]
    assert len(i3x_server.requests) == 3


def test_the_request_log_waits_for_requests(i3x_server: DemoServer, api: httpx.Client) -> None:
    i3x_server.requests.clear()
    caller = threading.Thread(
        target=lambda: [api.get("/namespaces"), api.post("/objects/list", json={})]
    )
    caller.start()
    [posted] = i3x_server.requests.wait_for(method="POST", path="/v1/objects/list")
    caller.join()
    assert posted.json == {}
    with pytest.raises(TimeoutError, match="fewer than 2 requests to any method /v1/namespaces"):
        i3x_server.requests.wait_for(2, path="/v1/namespaces", timeout=0.05)


def test_set_value_and_push_validate(i3x_server: DemoServer) -> None:
    with pytest.raises(ValueError, match="tank-201-setpoint"):
        i3x_server.set_value("tank-201-setpoint", {"temperature": "hot"})
    with pytest.raises(ValueError, match="element_id"):
        i3x_server.set_value("no-such-element", 1.0)
    with pytest.raises(ValueError, match="pt-304"):
        i3x_server.push({"tank-201-level": 10.0, "pt-304": "high"})
    assert i3x_server.space.get_value("tank-201-level").value != 10.0, "all or nothing"
    stored = i3x_server.set_value("ts-303", 70.0, quality="Uncertain")
    assert stored.quality == "Uncertain"


def test_advance_time_rejects_going_back(i3x_server: DemoServer) -> None:
    with pytest.raises(ValueError, match="seconds"):
        i3x_server.advance_time(-1)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"port": 70000}, "port"),
        ({"token": ""}, "token"),
        ({"basic_auth": ("", "pw")}, "basic_auth"),
        ({"tick_interval": 0}, "tick_interval"),
        ({"queue_limit": 0}, "queue_limit"),
        ({"subscription_ttl": 0}, "subscription_ttl"),
        ({"keepalive_interval": -1}, "keepalive_interval"),
        ({"max_depth_limit": 0}, "max_depth_limit"),
    ],
)
def test_bad_options_are_refused_by_name(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        DemoServer(**options)
