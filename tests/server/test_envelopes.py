"""Envelopes, status codes and compression of every kind of answer."""

from __future__ import annotations

import gzip

import httpx
import pytest

from i3x.testing import DemoServer

from ._helpers import client_for


def test_info_reports_spec_version_and_capabilities(api: httpx.Client) -> None:
    answer = api.get("/info")
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True
    info = body["result"]
    assert info["specVersion"] == "1.0"
    assert "beta" not in info["serverVersion"]
    assert info["serverName"]
    assert info["capabilities"] == {
        "query": {"history": True},
        "update": {"current": True, "history": True},
        "subscribe": {"stream": True},
    }


def test_success_envelope_carries_result(api: httpx.Client) -> None:
    body = api.get("/namespaces").json()
    assert body["success"] is True
    assert {ns["uri"] for ns in body["result"]} >= {"https://cesmii.org/i3x"}


@pytest.mark.parametrize("path", ["/v1/no-such-endpoint", "/info", "/objects", "/"])
def test_unknown_route_is_404_in_the_envelope(i3x_server: DemoServer, path: str) -> None:
    answer = httpx.get(i3x_server.url + path)
    assert answer.status_code == 404
    assert answer.json() == {
        "success": False,
        "responseDetail": {
            "title": "Not Found",
            "status": 404,
            "detail": f"No such endpoint: GET {path}",
        },
    }


def test_wrong_method_is_405_in_the_envelope(api: httpx.Client) -> None:
    answer = api.get("/objects/value")
    assert answer.status_code == 405
    body = answer.json()
    assert body["success"] is False
    assert body["responseDetail"]["status"] == 405
    assert body["responseDetail"]["title"] == "Method Not Allowed"
    assert set(answer.headers["allow"].split(", ")) == {"POST", "PUT"}


def test_malformed_json_is_400(api: httpx.Client) -> None:
    answer = api.post("/objects/list", content=b'{"elementIds": ["pump-101",')
    assert answer.status_code == 400
    detail = answer.json()["responseDetail"]
    assert detail["status"] == 400
    assert detail["detail"].startswith("Malformed JSON")


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "elementIds"),
        ({"elementIds": "pump-101"}, "elementIds"),
        ({"elementIds": ["pump-101"], "maxDepth": -1}, "maxDepth"),
        ({"elementIds": ["pump-101"], "maxDepth": "2"}, "maxDepth"),
        ({"elementIds": ["pump-101"], "maxDepth": True}, "maxDepth"),
        ([], "JSON object"),
    ],
)
def test_bad_request_body_is_400_naming_the_field(
    api: httpx.Client, body: object, named: str
) -> None:
    answer = api.post("/objects/value", json=body)
    assert answer.status_code == 400
    envelope = answer.json()
    assert envelope["success"] is False
    assert named in envelope["responseDetail"]["detail"]


def test_empty_body_is_400(api: httpx.Client) -> None:
    answer = api.post("/objects/list")
    assert answer.status_code == 400
    assert "missing" in answer.json()["responseDetail"]["detail"]


def test_nan_is_not_json(api: httpx.Client) -> None:
    answer = api.put(
        "/objects/value",
        content=b'{"updates": [{"elementId": "pt-304", "value": {"value": NaN}}]}',
    )
    assert answer.status_code == 400


def test_bulk_has_one_item_per_id_in_order_with_per_item_404(api: httpx.Client) -> None:
    ids = ["pump-101", "no-such-element", "pump-101", "tank-201"]
    answer = api.post("/objects/list", json={"elementIds": ids})
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is False
    assert [item["elementId"] for item in body["results"]] == ids
    assert [item["success"] for item in body["results"]] == [True, False, True, True]
    missing = body["results"][1]
    assert missing["responseDetail"] == {
        "title": "Not Found",
        "status": 404,
        "detail": "Element not found: no-such-element",
    }
    assert body["results"][0]["result"]["elementId"] == "pump-101"


def test_bulk_success_is_true_when_every_item_succeeds(api: httpx.Client) -> None:
    body = api.post("/objects/list", json={"elementIds": ["pump-101", "tank-201"]}).json()
    assert body["success"] is True


def test_json_is_gzip_compressed_when_asked(i3x_server: DemoServer) -> None:
    with client_for(i3x_server.api_url) as raw:
        request = raw.build_request("GET", "/objects", headers={"Accept-Encoding": "gzip"})
        answer = raw.send(request, stream=True)
        try:
            assert answer.headers["content-encoding"] == "gzip"
            compressed = b"".join(answer.iter_raw())
        finally:
            answer.close()
    assert b'"success":true' in gzip.decompress(compressed)


def test_json_is_plain_when_gzip_is_not_asked(api: httpx.Client) -> None:
    answer = api.get("/info", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in answer.headers
    assert answer.json()["success"] is True


def test_errors_are_gzip_compressed_too(api: httpx.Client) -> None:
    answer = api.get("/v1/nope", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 404
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.json()["success"] is False
