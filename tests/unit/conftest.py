"""Fixtures of the unit tests.

``client`` is a connected :class:`i3x.Client` on :data:`API`; it needs the test
module to carry ``pytest.mark.respx(base_url=API)``, so that routes read as the
i3X paths. Its retries wait through `sleeps`, which records and never sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

import i3x
from i3x.testing import waits

from ._helpers import API, CLIENT_ID, INFO, TLS


@pytest.fixture
def sleeps() -> Iterator[list[float]]:
    """Every wait between retries that clients asked for, in seconds; nothing really sleeps."""
    waited: list[float] = []
    with waits(sleep=waited.append):
        yield waited


@pytest.fixture
def client(respx_mock: respx.MockRouter, sleeps: list[float]) -> Iterator[i3x.Client]:
    """A client connected to a mocked 1.0 server at :data:`API`."""
    respx_mock.get("/info", name="info").respond(json=INFO)
    c = i3x.Client(API, client_id=CLIENT_ID, verify=TLS)
    c.connect()
    yield c
    c.close()
