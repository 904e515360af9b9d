"""TLS and mutual TLS end to end: reads and every subscription mode, both clients.

Subscription deliveries open connections of their own (a pool per delivery), so each
setting is checked through a read and through a stream and a sync delivery: a delivery
that lost `verify=` or `cert=` would fail where the read succeeded.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

import i3x
from i3x.testing import DemoServer

from .conftest import read_and_subscribe

MODES = ["stream", "sync"]
OPERATIONS: dict[str, Callable[[i3x.Client], Any]] = {
    "read": lambda client: client.get_value("pt-304"),
    "stream": lambda client: client.subscribe(["pt-304"], mode="stream"),
    "sync": lambda client: client.subscribe(["pt-304"], mode="sync"),
}


@pytest.fixture
def tls_server(i3x_server_factory: Callable[..., DemoServer]) -> DemoServer:
    return i3x_server_factory(tls=True)


@pytest.fixture
def mtls_server(i3x_server_factory: Callable[..., DemoServer]) -> DemoServer:
    return i3x_server_factory(tls=True, require_client_cert=True)


# ------------------------------------------------------------------ server certificates


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_an_unknown_ca_is_refused_saying_how_to_trust_it(
    client_factory: Callable[..., i3x.Client], tls_server: DemoServer, operation: str
) -> None:
    client = client_factory(tls_server.url, max_retries=0)  # default verify=True
    with pytest.raises(i3x.ConnectionError) as caught:
        OPERATIONS[operation](client)
    message = str(caught.value)
    assert "certificate verify failed" in message
    assert "pass verify='/path/to/ca.pem' to trust its CA" in message
    assert caught.value.url == f"{tls_server.url}/info"
    assert list(tls_server.requests) == []  # nothing got through
    assert not client.is_connected


@pytest.mark.parametrize("mode", MODES)
def test_verify_with_the_ca_bundle_path_trusts_the_server(
    client_factory: Callable[..., i3x.Client], tls_server: DemoServer, mode: i3x.Mode
) -> None:
    client = client_factory(tls_server.url, verify=tls_server.ca_path)
    read_and_subscribe(client, tls_server, mode)


@pytest.mark.parametrize("mode", MODES)
def test_verify_false_works_and_warns_once(
    client_factory: Callable[..., i3x.Client], tls_server: DemoServer, mode: i3x.Mode
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a repeated warning would show
        client = client_factory(tls_server.url, verify=False)
        read_and_subscribe(client, tls_server, mode)
        client.with_options(timeout=5).get_namespaces()
    warned = [w for w in caught if issubclass(w.category, i3x.InsecureTLSWarning)]
    assert len(warned) == 1  # not again per request, per view or per delivery
    assert str(warned[0].message).startswith(
        f"TLS certificate verification is off for {tls_server.url} (verify=False)"
    )
    # It points at the line that made the client (the factory), not into the SDK.
    assert warned[0].filename.endswith("conftest.py")


# ------------------------------------------------------------------ mutual TLS


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_mutual_tls_refuses_a_client_without_a_certificate(
    client_factory: Callable[..., i3x.Client], mtls_server: DemoServer, operation: str
) -> None:
    client = client_factory(mtls_server.url, verify=mtls_server.ca_path, max_retries=0)
    with pytest.raises(i3x.ConnectionError, match=r"client certificate \(mutual TLS\)"):
        OPERATIONS[operation](client)
    assert list(mtls_server.requests) == []


def test_mutual_tls_refuses_a_certificate_from_another_ca(
    client_factory: Callable[..., i3x.Client], mtls_server: DemoServer, tls_server: DemoServer
) -> None:
    client = client_factory(
        mtls_server.url, verify=mtls_server.ca_path, cert=tls_server.client_cert, max_retries=0
    )
    with pytest.raises(i3x.ConnectionError, match="does not trust"):
        client.get_value("pt-304")
    assert list(mtls_server.requests) == []


@pytest.mark.parametrize("mode", MODES)
def test_mutual_tls_accepts_a_client_with_its_certificate(
    client_factory: Callable[..., i3x.Client], mtls_server: DemoServer, mode: i3x.Mode
) -> None:
    client = client_factory(
        mtls_server.url, verify=mtls_server.ca_path, cert=mtls_server.client_cert
    )
    read_and_subscribe(client, mtls_server, mode)
