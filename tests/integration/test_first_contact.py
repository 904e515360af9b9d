"""First contact over real loopback sockets: the wrong scheme, a URL that is no i3X API,
an alpha server, and a pull-form subscription that waits in vain. Each with both clients."""

from __future__ import annotations

import builtins
import http.server
import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import ClassVar

import pytest

import i3x
from i3x.testing import DemoServer

pytestmark = pytest.mark.integration

ALPHA_NAMESPACES = [{"uri": "http://i3x.dev/base", "displayName": "Base"}]


class _Handler(http.server.BaseHTTPRequestHandler):
    """A web server that is no i3X 1.0 server: JSON routes from `routes`, else a 404 page."""

    routes: ClassVar[dict[str, object]] = {}

    def do_GET(self) -> None:
        if self.path in self.routes:
            body, kind, status = json.dumps(self.routes[self.path]).encode(), "json", 200
        else:
            body, kind, status = b"<html><h1>Not Found</h1></html>", "html", 404
        self.send_response(status)
        self.send_header("Content-Type", f"{'application' if kind == 'json' else 'text'}/{kind}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: it is a test
        pass


@pytest.fixture
def web_server() -> Iterator[Callable[[dict[str, object]], str]]:
    """Start plain web servers on loopback; returns their base URLs."""
    started: list[tuple[http.server.ThreadingHTTPServer, threading.Thread]] = []

    def start(routes: dict[str, object]) -> str:
        handler = type("Handler", (_Handler,), {"routes": routes})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        started.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_https_to_the_plain_http_demo_server_fails_at_once_with_a_hint(
    client_factory: Callable[..., i3x.Client],
    i3x_server: DemoServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = i3x_server.url.replace("http://", "https://")
    client = client_factory(url)

    with caplog.at_level(logging.INFO, logger="i3x"), pytest.raises(i3x.ConnectionError) as caught:
        client.connect()

    error = caught.value
    assert "TLS handshake failed" in str(error)
    assert "may speak plain http://; try the URL with http:// instead of https://" in str(error)
    assert error.url == f"{url}/info"
    assert error.transient is False
    assert [r.message for r in caplog.records if r.name == "i3x" and "retrying" in r.message] == []
    assert not client.is_connected
    # The same server answers at once over the scheme the hint names.
    assert client_factory(i3x_server.url).connect().spec_version == "1.0"


def test_http_to_the_tls_demo_server_fails_with_a_hint(
    client_factory: Callable[..., i3x.Client],
    i3x_server_factory: Callable[..., DemoServer],
) -> None:
    server = i3x_server_factory(tls=True)
    url = server.url.replace("https://", "http://")
    client = client_factory(url, max_retries=0)

    with pytest.raises(i3x.ConnectionError) as caught:
        client.connect()

    assert "try the URL with https:// instead of http://" in str(caught.value)
    assert caught.value.url == f"{url}/info"
    assert not client.is_connected


def test_a_plain_web_server_is_no_i3x_api(
    client_factory: Callable[..., i3x.Client], web_server: Callable[[dict[str, object]], str]
) -> None:
    base = web_server({})
    client = client_factory(base)

    with pytest.raises(i3x.InvalidServerResponseError) as caught:
        client.connect()

    error = caught.value
    assert not isinstance(error, i3x.UnsupportedVersionError)
    assert str(error).startswith(
        f"no i3X API answered at {base}: tried GET {base}/info (HTTP 404), "
        f"GET {base}/v1/info (HTTP 404), GET {base}/namespaces (HTTP 404), "
        f"GET {base}/v1/namespaces (HTTP 404)."
    )
    assert "/v1/v1" not in str(error)


def test_a_server_answering_like_an_alpha_one_is_an_unsupported_version(
    client_factory: Callable[..., i3x.Client], web_server: Callable[[dict[str, object]], str]
) -> None:
    base = web_server({"/namespaces": ALPHA_NAMESPACES})
    client = client_factory(base)

    with pytest.raises(i3x.UnsupportedVersionError, match=r"pre-release \(alpha\)") as caught:
        client.connect()

    assert caught.value.url == f"{base}/info"


@pytest.mark.parametrize("mode", ["stream", "sync"])
def test_the_pull_form_times_out_with_i3x_timeout_error(client: i3x.Client, mode: i3x.Mode) -> None:
    # Nothing ticks and nothing is written: no event can come.
    with client.subscription(["pt-304"], mode=mode) as changes:
        with pytest.raises(i3x.TimeoutError) as caught:
            changes.get(timeout=0.2)
        error = caught.value
        assert isinstance(error, builtins.TimeoutError)
        assert str(error) == "no subscription event within 0.2 s"
        # The subscription goes on: a timeout is no failure of it.
        with pytest.raises(builtins.TimeoutError):
            changes.get(timeout=0.05)
