"""The constructor's checks: a bad argument fails at once, naming it, never quoting a secret."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import httpx
import pytest
import respx

import i3x

from ._helpers import API, INFO, TLS, ok

SECRET = "s3cr3t-VALUE"


def _shown(err: BaseException) -> str:
    return str(err) + repr(err)


@pytest.fixture
def listening() -> Iterator[str]:
    """A base URL whose port accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"


# ----------------------------------------------------------------------------- token


@pytest.mark.parametrize("token", [f"{SECRET}\n", f" {SECRET}", f"{SECRET}\r\nX-Evil: 1", "a b"])
def test_token_with_whitespace_or_line_breaks_is_refused(token: str) -> None:
    with pytest.raises(ValueError, match="token contains whitespace") as caught:
        i3x.Client(API, token=token)
    assert SECRET not in _shown(caught.value)


def test_token_with_non_ascii_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="token contains non-ASCII") as caught:
        i3x.AsyncClient(API, token=f"{SECRET}é")
    assert SECRET not in _shown(caught.value)


def test_a_refused_token_sends_nothing_and_logs_nothing(
    listening: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ValueError, match="token"):
        i3x.Client(listening, token=f"{SECRET}\n").get_namespaces()
    assert caplog.records == []


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (f"{SECRET}\n", "line break or control character"),
        (f"{SECRET}\r\nX-Evil: 1", "line break or control character"),
        (f"{SECRET}\x00", "line break or control character"),
        (f"{SECRET}\n".encode(), "line break or control character"),
        (f" {SECRET}", "leading or trailing whitespace"),
        (f"{SECRET}€", "outside Latin-1"),
    ],
)
def test_bad_header_values_are_refused_by_name_without_the_value(
    value: str | bytes, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        i3x.Client(API, headers={"X-Api-Key": value})
    assert "headers['X-Api-Key']" in str(caught.value)
    assert SECRET not in _shown(caught.value)


@pytest.mark.parametrize(
    ("headers", "error", "match"),
    [
        ({"X": 5}, TypeError, r"headers\['X'\] must be a str or bytes, not int"),
        ({5: "v"}, TypeError, "headers: a header name must be a str, not int"),
        ({"X Key": "v"}, ValueError, "headers: 'X Key' is not a valid header name"),
        ({"X-Key\n": "v"}, ValueError, "not a valid header name"),
        ([("X", "v")], TypeError, "headers must be a mapping"),
    ],
)
def test_bad_headers_are_refused_naming_headers(
    headers: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        i3x.Client(API, headers=headers)  # type: ignore[arg-type]


def test_latin1_and_bytes_header_values_are_sent_as_given() -> None:
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=INFO)
        route = router.get(f"{API}/namespaces").respond(json=ok([]))
        client = i3x.Client(
            API, verify=TLS, headers={"X-Site": "Köln", "X-Raw": b"\xff\xfe", "X-Tab": "a\tb"}
        )
        client.get_namespaces()
    raw = dict(route.calls.last.request.headers.raw)
    assert raw[b"X-Site"] == "Köln".encode("latin-1")
    assert raw[b"X-Raw"] == b"\xff\xfe"
    assert raw[b"X-Tab"] == b"a\tb"


# ------------------------------------------------------------- invalid HTTP at send


def test_a_request_h11_refuses_is_not_retried_and_not_quoted(
    listening: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def bad_auth(request: httpx.Request) -> httpx.Request:
        # An auth hook is the user's code: the constructor cannot check what it adds.
        request.headers["Authorization"] = f"Bearer {SECRET}\n"
        return request

    client = i3x.Client(listening, auth=bad_auth, max_retries=3, timeout=5)
    sleeps: list[float] = []
    client._sleep = sleeps.append
    with pytest.raises(i3x.I3XError, match="could not be sent: it is not valid HTTP") as caught:
        client.connect()
    client.close()
    assert not isinstance(caught.value, i3x.ConnectionError)
    assert sleeps == []
    assert SECRET not in _shown(caught.value)
    # httpcore's own DEBUG trace quotes h11's message; the SDK's loggers must not.
    assert all(SECRET not in r.getMessage() for r in caplog.records if r.name.startswith("i3x"))
