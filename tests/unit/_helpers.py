"""Shared builders for the unit tests: fixture loading and i3X envelopes."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import httpx
import respx

SAMPLES = Path(__file__).parent / "samples"

BASE = "http://i3x.test"
"""A base URL without a version segment."""
API = f"{BASE}/v1"
"""The API root the ``client`` fixture connects to."""
CLIENT_ID = "unit-client"

TLS = ssl.create_default_context()
"""One TLS context for every test client: loading the CA bundle per client costs
20 ms, which over hundreds of tests is most of the suite's time."""

INFO: dict[str, Any] = {
    "success": True,
    "result": {
        "specVersion": "1.0",
        "serverVersion": "1.0.3",
        "serverName": "unit",
        "capabilities": {
            "query": {"history": True},
            "update": {"current": True, "history": True},
            "subscribe": {"stream": True},
        },
    },
}


def sample_bytes(name: str) -> bytes:
    """The raw bytes of a captured answer in ``samples/``."""
    return (SAMPLES / name).read_bytes()


def sample(name: str) -> Any:
    """A captured JSON answer in ``samples/``, parsed."""
    return json.loads(sample_bytes(name))


def sse_items(name: str) -> list[list[dict[str, Any]]]:
    """The JSON arrays of the ``data:`` lines of a captured event stream."""
    text = sample_bytes(name).decode()
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]


def ok(result: Any) -> dict[str, Any]:
    """A success envelope."""
    return {"success": True, "result": result}


def item(key: str, result: Any = None, *, subscription: bool = False) -> dict[str, Any]:
    """A successful bulk item."""
    id_field = "subscriptionId" if subscription else "elementId"
    return {"success": True, id_field: key, "result": result}


def failed(
    key: str,
    status: int = 404,
    title: str = "Not Found",
    detail: str | None = None,
    *,
    subscription: bool = False,
) -> dict[str, Any]:
    """A failed bulk item."""
    id_field = "subscriptionId" if subscription else "elementId"
    return {
        "success": False,
        id_field: key,
        "responseDetail": {
            "title": title,
            "status": status,
            "detail": detail if detail is not None else f"Element not found: {key}",
        },
    }


def bulk(*items: dict[str, Any]) -> dict[str, Any]:
    """A bulk envelope: one item per requested id."""
    return {"success": all(i["success"] for i in items), "results": list(items)}


def error_body(status: int, title: str, detail: str) -> dict[str, Any]:
    """The i3X error envelope."""
    return {
        "success": False,
        "responseDetail": {"title": title, "status": status, "detail": detail},
    }


def vqt(
    value: Any, timestamp: str = "2026-11-24T10:47:22Z", quality: str = "Good"
) -> dict[str, Any]:
    """A wire VQT (and a flat current-value result)."""
    return {"value": value, "quality": quality, "timestamp": timestamp}


def sent_json(route: respx.Route, index: int = -1) -> Any:
    """The JSON body of a call made on ``route``."""
    return json.loads(route.calls[index].request.content)


def request_of(route: respx.Route, index: int = -1) -> httpx.Request:
    """A request made on ``route``."""
    request: httpx.Request = route.calls[index].request
    return request
