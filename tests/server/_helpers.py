"""Small helpers shared by the server tests: subscriptions, SSE reading, waiting."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

CLIENT = "client-a"


def client_for(base_url: str, **options: Any) -> httpx.Client:
    """An httpx client with a timeout that turns a hang into a failure."""
    return httpx.Client(base_url=base_url, timeout=5.0, **options)


def subscribe(
    api: httpx.Client,
    element_ids: list[str],
    *,
    max_depth: int = 1,
    client_id: str = CLIENT,
) -> str:
    """Create a subscription, register elements, return its id."""
    created = api.post("/subscriptions", json={"clientId": client_id}).json()
    sid: str = created["result"]["subscriptionId"]
    answer = api.post(
        "/subscriptions/register",
        json={
            "clientId": client_id,
            "subscriptionId": sid,
            "elementIds": element_ids,
            "maxDepth": max_depth,
        },
    )
    assert answer.status_code == 200
    assert answer.json()["success"] is True
    return sid


def sync(
    api: httpx.Client, sid: str, last: int | None = None, *, client_id: str = CLIENT
) -> httpx.Response:
    """POST /subscriptions/sync, with lastSequenceNumber only when given."""
    body: dict[str, Any] = {"clientId": client_id, "subscriptionId": sid}
    if last is not None:
        body["lastSequenceNumber"] = last
    return api.post("/subscriptions/sync", json=body)


def events(lines: Iterator[str]) -> Iterator[list[dict[str, Any]]]:
    """SSE data payloads from a line iterator, skipping blank lines and comments."""
    for line in lines:
        if line.startswith("data: "):
            payload: list[dict[str, Any]] = json.loads(line.removeprefix("data: "))
            yield payload


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a condition until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
