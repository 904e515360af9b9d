"""Bearer and Basic authentication; /info stays open; credentials never echoed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from i3x.testing import DemoServer

from ._helpers import client_for

TOKEN = "s3cret-token"
USER, PASSWORD = "operator", "pa55-w0rd"


@pytest.fixture
def bearer_server(i3x_server_factory: Any) -> DemoServer:
    server: DemoServer = i3x_server_factory(token=TOKEN)
    return server


@pytest.fixture
def basic_server(i3x_server_factory: Any) -> DemoServer:
    server: DemoServer = i3x_server_factory(basic_auth=(USER, PASSWORD))
    return server


def _assert_refused(answer: httpx.Response, scheme: str) -> None:
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith(scheme)
    body = answer.json()
    assert body["success"] is False
    assert body["responseDetail"]["status"] == 401


def test_info_needs_no_credentials(bearer_server: DemoServer, basic_server: DemoServer) -> None:
    for server in (bearer_server, basic_server):
        assert httpx.get(server.api_url + "/info").status_code == 200


def test_bearer_missing_wrong_and_right(bearer_server: DemoServer) -> None:
    with client_for(bearer_server.api_url) as api:
        _assert_refused(api.get("/objects"), "Bearer")
        wrong = api.get("/objects", headers={"Authorization": "Bearer not-the-token"})
        _assert_refused(wrong, "Bearer")
        assert "not-the-token" not in wrong.text
        _assert_refused(api.get("/objects", headers={"Authorization": "Basic b3A6cHc="}), "Bearer")
        right = api.get("/objects", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert right.json()["success"] is True


def test_basic_missing_wrong_and_right(basic_server: DemoServer) -> None:
    with client_for(basic_server.api_url) as api:
        _assert_refused(api.post("/objects/list", json={"elementIds": []}), "Basic")
        wrong = api.post("/objects/list", json={"elementIds": []}, auth=(USER, "guess"))
        _assert_refused(wrong, "Basic")
        assert "guess" not in wrong.text
        _assert_refused(api.get("/objects", headers={"Authorization": "Basic !!!"}), "Basic")
        right = api.post("/objects/list", json={"elementIds": ["pt-304"]}, auth=(USER, PASSWORD))
        assert right.status_code == 200


def test_subscriptions_need_credentials_too(bearer_server: DemoServer) -> None:
    with client_for(bearer_server.api_url) as api:
        _assert_refused(api.post("/subscriptions", json={"clientId": "a"}), "Bearer")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert (
            api.post("/subscriptions", json={"clientId": "a"}, headers=headers).status_code == 200
        )


def test_unknown_routes_outside_v1_stay_404(bearer_server: DemoServer) -> None:
    assert httpx.get(bearer_server.url + "/info").status_code == 404


def test_the_request_log_masks_credentials(bearer_server: DemoServer) -> None:
    with client_for(bearer_server.api_url) as api:
        api.get("/objects", headers={"Authorization": f"Bearer {TOKEN}"})
    recorded = bearer_server.requests.filter(path="/v1/objects")
    assert recorded[-1].headers["authorization"] == "Bearer ***"
    assert all(TOKEN not in str(r) for r in bearer_server.requests)
