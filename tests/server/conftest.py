"""Fixtures for the embedded-server tests; the servers come from the i3x pytest plugin."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from i3x.testing import DemoServer


@pytest.fixture
def api(i3x_server: DemoServer) -> Iterator[httpx.Client]:
    """A plain httpx client on the demo plant's /v1."""
    with httpx.Client(base_url=i3x_server.api_url, timeout=5.0) as client:
        yield client
