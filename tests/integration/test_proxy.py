"""Through a real HTTP proxy (proxy.py, with Basic credentials) on loopback, both clients.

Plain HTTP is forwarded by the proxy request by request; HTTPS goes through a CONNECT
tunnel, end to end encrypted. The proxy's access log, one line per connection it
carried, shows that the reads and the subscription's own connection went through it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

import i3x
from i3x.testing import DemoServer

from .conftest import Proxy, read_and_subscribe


@pytest.mark.parametrize("mode", ["stream", "sync"])
def test_plain_http_reads_and_subscriptions_are_forwarded_by_the_proxy(
    client_factory: Callable[..., i3x.Client],
    i3x_server_factory: Callable[..., DemoServer],
    proxy: Proxy,
    mode: i3x.Mode,
) -> None:
    server = i3x_server_factory()
    since = proxy.mark()
    client = client_factory(server.url, proxy=proxy.url)
    read_and_subscribe(client, server, mode)
    client.disconnect()
    target = server.url.removeprefix("http://")
    # The first request of each connection it carried: the client's, then the delivery's.
    proxy.wait_for(rf" - GET {target}/info - ", since=since)
    proxy.wait_for(rf" - POST {target}/v1/subscriptions/{mode} - 200 OK", since=since)
    assert any(r.headers.get("via", "").startswith("1.1 proxy.py") for r in server.requests)


@pytest.mark.parametrize("mode", ["stream", "sync"])
def test_https_reads_and_subscriptions_tunnel_through_the_proxy(
    client_factory: Callable[..., i3x.Client],
    i3x_server_factory: Callable[..., DemoServer],
    proxy: Proxy,
    mode: i3x.Mode,
) -> None:
    server = i3x_server_factory(tls=True)
    since = proxy.mark()
    client = client_factory(server.url, proxy=proxy.url, verify=server.ca_path)
    read_and_subscribe(client, server, mode)
    client.disconnect()
    target = server.url.removeprefix("https://")
    # One tunnel for the client's requests, one for the delivery's own connection.
    proxy.wait_for(rf" - CONNECT {target} - \d+ bytes", since=since, count=2)
    assert all(r.headers.get("via") is None for r in server.requests)  # the proxy saw no HTTP


def test_a_proxy_refusing_the_credentials_is_an_i3x_error(
    client_factory: Callable[..., i3x.Client],
    i3x_server_factory: Callable[..., DemoServer],
    proxy: Proxy,
) -> None:
    server = i3x_server_factory(tls=True)
    client = client_factory(
        server.url,
        proxy=f"http://{proxy.USER}:wrong-password@{proxy.address}",
        verify=server.ca_path,
        max_retries=0,
    )
    with pytest.raises(i3x.ConnectionError, match="407 Proxy Authentication Required") as caught:
        client.get_value("pt-304")
    assert "wrong-password" not in str(caught.value)
    assert list(server.requests) == []


def test_a_proxy_that_cannot_be_reached_is_named_in_the_error(
    client_factory: Callable[..., i3x.Client], i3x_server: DemoServer
) -> None:
    # The server is up: the error must not send the user looking there.
    with socket.socket() as closed:  # a loopback port with nothing listening
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = client_factory(
        i3x_server.url, proxy=f"http://someone:pr0xy-pass@127.0.0.1:{port}", max_retries=0
    )
    with pytest.raises(i3x.ConnectionError, match="cannot connect to the proxy") as caught:
        client.get_value("pt-304")
    assert f"http://127.0.0.1:{port}" in str(caught.value)
    assert "pr0xy-pass" not in str(caught.value)
    assert list(i3x_server.requests) == []
