"""No secret in any log line or warning, with every logger at DEBUG, over real sockets.

A session with a password, a bearer token, a secret header and a gateway's query key
connects, retries, fails, subscribes in both modes through a cut stream, and talks
through an authenticating proxy; every record of every logger (the SDK's, httpx's,
httpcore's, the server's, uvicorn's) is formatted with its traceback, as a handler on
the root logger would print it.
"""

from __future__ import annotations

import base64
import logging
import socket
import warnings
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest

import i3x
from i3x.testing import DemoServer

from .conftest import Proxy, read_and_subscribe

USER = "operator"
PASSWORD = "pw/Secret+7c1e"
TOKEN = "tok-Secret-51d0"
HEADER = "hdr-Secret-93a2"
KEY = "key/Secret+4b6f=="


def _spellings(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret)}


SECRETS = {
    spelling
    for secret in (PASSWORD, TOKEN, HEADER, KEY, Proxy.PASSWORD)
    for spelling in _spellings(secret)
} | {
    base64.b64encode(f"{user}:{password}".encode()).decode()
    for user, password in ((USER, PASSWORD), (Proxy.USER, Proxy.PASSWORD))
}


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logged() -> Iterator[list[str]]:
    """Every record of every logger, at DEBUG, formatted (traceback included)."""
    root = logging.getLogger()
    handler = _Everything()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_no_secret_in_any_log_line_or_warning(
    client_factory: Callable[..., i3x.Client],
    i3x_server_factory: Callable[..., DemoServer],
    proxy: Proxy,
    logged: list[str],
    i3x_fast_waits: None,
) -> None:
    server = i3x_server_factory(tls=True, token=TOKEN, basic_auth=(USER, PASSWORD))
    host = server.url.removeprefix("https://")
    query = f"?code={quote(KEY, safe='')}"
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        # A password in the URL, a secret header, a query key: connect, retry, fail.
        basic = client_factory(
            f"https://{USER}:{quote(PASSWORD, safe='')}@{host}/{query}",
            headers={"X-API-Key": HEADER},
            verify=server.ca_path,
        )
        server.faults.fail_next(status=503, retry_after=0.01, path="/v1/objects/value")
        assert basic.get_value("pt-304").quality == "Good"  # retried
        with pytest.raises(i3x.NotFoundError):
            basic.get_value("no-such-element")
        server.faults.cut_next(3, path="/v1/namespaces")
        with pytest.raises(i3x.ConnectionError):
            basic.get_namespaces()  # retried twice, then failed
        # A subscription in each mode; a stream cut, reported and reconnected.
        read_and_subscribe(basic, server, "sync")
        server.faults.cut_stream_after(0)
        with basic.subscription(["pt-304"], mode="stream") as changes:
            server.set_value("pt-304", 3.5)
            assert isinstance(changes.get(timeout=10), i3x.StreamError)
            server.set_value("pt-304", 4.5)
            while not isinstance(event := changes.get(timeout=10), i3x.ValueChange):
                pass
            assert event.value in (3.5, 4.5)

        # A token, through the authenticating proxy, verification off (a warning).
        bearer = client_factory(
            f"https://{host}{query}",
            token=TOKEN,
            headers={"X-API-Key": HEADER},
            proxy=proxy.url,
            verify=False,
        )
        read_and_subscribe(bearer, server, "sync")

        # Nobody listening: a connection refused, retried.
        nobody = client_factory(
            f"http://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{_free_port()}/{query}",
            headers={"X-API-Key": HEADER},
        )
        with pytest.raises(i3x.ConnectionError):
            nobody.connect()
        basic.disconnect()
        bearer.disconnect()

    # The secrets did travel, and the loggers did speak of these requests.
    assert {r.query.get("code") for r in server.requests} == {KEY}
    assert {r.headers.get("x-api-key") for r in server.requests} == {HEADER}
    assert {r.headers["authorization"] for r in server.requests} >= {"Basic ***", "Bearer ***"}
    assert any(line.startswith("httpx INFO HTTP Request: GET https://") for line in logged)
    assert any(line.startswith("httpx INFO HTTP Request: POST https://") for line in logged)
    assert any(line.startswith("httpcore.connection DEBUG connect_tcp") for line in logged)
    assert any(line.startswith("httpcore.proxy DEBUG") for line in logged)
    assert any(line.startswith("i3x INFO retrying in") for line in logged)
    assert any(line.startswith("i3x DEBUG GET https://") for line in logged)
    assert any("?code=***" in line for line in logged)
    assert [str(w.message) for w in warned if w.category is i3x.InsecureTLSWarning] == [
        f"TLS certificate verification is off for https://{host} (verify=False): anyone on "
        "the network path can read and change this client's traffic, credentials included. "
        "Pass verify='/path/to/ca.pem' to trust a private CA"
    ]

    leaks = [line for line in logged if any(s in line for s in SECRETS)]
    leaks += [str(w.message) for w in warned if any(s in str(w.message) for s in SECRETS)]
    assert leaks == []
