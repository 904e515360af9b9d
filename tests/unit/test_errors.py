"""Error mapping, error bodies of every shape, retries and Retry-After, timeouts."""

from __future__ import annotations

import builtins
import email.utils
import ssl
import time
from collections.abc import Callable
from typing import Any

import httpx
import pydantic
import pytest
import respx
import tenacity

import i3x

from ._helpers import API, CLIENT_ID, INFO, TLS, bulk, error_body, item, ok, sample, vqt

pytestmark = pytest.mark.respx(base_url=API)

# Exponential backoff with jitter: 0.5 s * 2**(n-1) plus up to 0.5 s, at most 8 s.
FIRST_BACKOFF = (0.5, 1.0)
SECOND_BACKOFF = (1.0, 1.5)


def _in(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


# ---------------------------------------------------------------- status mapping


@pytest.mark.parametrize(
    ("status", "title", "cls"),
    [
        (400, "Bad Request", i3x.BadRequestError),
        (401, "Unauthorized", i3x.AuthenticationError),
        (403, "Forbidden", i3x.AuthenticationError),
        (404, "Not Found", i3x.NotFoundError),
        (409, "Conflict", i3x.APIStatusError),
        (418, "I'm a teapot", i3x.APIStatusError),
        (500, "Internal Server Error", i3x.ServerError),
        (501, "Not Implemented", i3x.NotSupportedError),
        (505, "HTTP Version Not Supported", i3x.ServerError),
    ],
)
def test_status_is_mapped_to_its_error(
    *,
    client: i3x.Client,
    respx_mock: respx.MockRouter,
    sleeps: list[float],
    status: int,
    title: str,
    cls: type[i3x.APIStatusError],
) -> None:
    route = respx_mock.get("/namespaces").respond(
        status, json=error_body(status, title, "the server's own words")
    )

    with pytest.raises(cls) as caught:
        client.get_namespaces()

    error = caught.value
    assert type(error) is cls
    assert isinstance(error, i3x.APIStatusError)
    assert isinstance(error, i3x.I3XError)
    assert error.status_code == status
    assert error.title == title
    assert error.detail == "the server's own words"
    assert error.method == "GET"
    assert error.url == f"{API}/namespaces"
    assert str(error) == (f"HTTP {status} {title}: the server's own words (GET {API}/namespaces)")
    assert repr(error).startswith(f"{cls.__name__}(")
    assert route.call_count == 1, "not retried"
    assert sleeps == []


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (408, i3x.APIStatusError),
        (429, i3x.RateLimitError),
        (502, i3x.ServerError),
        (503, i3x.ServerError),
        (504, i3x.ServerError),
    ],
)
def test_retryable_status_after_retries(
    *,
    client: i3x.Client,
    respx_mock: respx.MockRouter,
    sleeps: list[float],
    status: int,
    cls: type[i3x.APIStatusError],
) -> None:
    route = respx_mock.get("/namespaces").respond(
        status, json=error_body(status, "Busy", "try later")
    )

    with pytest.raises(cls) as caught:
        client.get_namespaces()

    assert type(caught.value) is cls
    assert caught.value.status_code == status
    assert caught.value.detail == "try later"
    assert route.call_count == 3, "two retries by default"
    assert len(sleeps) == 2
    assert _in(sleeps[0], FIRST_BACKOFF)
    assert _in(sleeps[1], SECOND_BACKOFF)


def test_success_false_at_http_200_is_an_error(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get("/namespaces").respond(
        200, json=error_body(404, "Not Found", "Namespace list missing")
    )
    with pytest.raises(i3x.NotFoundError) as caught:
        client.get_namespaces()
    assert caught.value.detail == "Namespace list missing"


# ------------------------------------------------------------ error body shapes


@pytest.mark.parametrize(
    ("status", "name", "cls", "title", "detail", "shown"),
    [
        (404, "server-a-err-unknown-route.json", i3x.NotFoundError, "Not Found", "Not Found",
         "HTTP 404 Not Found"),
        (404, "server-b-unknown-route.json", i3x.NotFoundError, "Not Found",
         "Route GET:/v1/nope not found", "HTTP 404 Not Found: Route GET:/v1/nope not found"),
        (405, "server-a-err-method-not-allowed.json", i3x.APIStatusError, "Method Not Allowed",
         "Method Not Allowed", "HTTP 405 Method Not Allowed"),
        (400, "server-a-err-malformed-json.json", i3x.BadRequestError, "Bad Request",
         "27: JSON decode error", "HTTP 400 Bad Request: 27: JSON decode error"),
        (400, "server-a-err-negative-maxDepth.json", i3x.BadRequestError, "Bad Request",
         "maxDepth: Input should be greater than or equal to 0",
         "HTTP 400 Bad Request: maxDepth: Input should be"),
        (400, "server-b-objects-list-missing-elementIds.json", i3x.BadRequestError,
         "Bad Request", "body must have required property 'elementIds'",
         "HTTP 400 Bad Request: body must have required property 'elementIds'"),
    ],
)  # fmt: skip
def test_error_bodies_of_every_shape(
    *,
    client: i3x.Client,
    respx_mock: respx.MockRouter,
    status: int,
    name: str,
    cls: type[i3x.APIStatusError],
    title: str,
    detail: str,
    shown: str,
) -> None:
    respx_mock.post("/objects/value").respond(status, json=sample(name))

    with pytest.raises(cls) as caught:
        client.get_value("pump-101")

    error = caught.value
    assert type(error) is cls
    assert (error.status_code, error.title, error.detail) == (status, title, detail)
    assert str(error).startswith(shown)
    assert str(error).endswith(f"(POST {API}/objects/value)")


def test_html_error_page_gives_a_readable_message(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get("/namespaces").respond(
        500,
        text="<html>\n<head><title>500</title></head>\n<body><h1>Internal  Server Error</h1>"
        + "x" * 500
        + "</body></html>",
        headers={"content-type": "text/html"},
    )
    with pytest.raises(i3x.ServerError) as caught:
        client.get_namespaces()
    error = caught.value
    assert error.title == "Internal Server Error"
    assert error.detail is not None
    assert error.detail.startswith("HTML page: <html> <head>")
    assert "\n" not in str(error)
    assert len(str(error)) < 400, "long pages are cut short"


def test_empty_error_body(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/namespaces").respond(403)
    with pytest.raises(i3x.AuthenticationError) as caught:
        client.get_namespaces()
    assert caught.value.title == "Forbidden"
    assert caught.value.detail is None
    assert str(caught.value) == f"HTTP 403 Forbidden (GET {API}/namespaces)"


def test_plain_text_error_body(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/namespaces").respond(401, text="invalid api key")
    with pytest.raises(i3x.AuthenticationError) as caught:
        client.get_namespaces()
    assert "invalid api key" in str(caught.value)


# -------------------------------------------------------------- invalid answers


@pytest.mark.parametrize(
    "content", [b'{"success": true, "result": [', b"not json at all", b"\xff\xfe\x00"]
)
def test_malformed_json_with_200_is_an_invalid_server_response(
    client: i3x.Client, respx_mock: respx.MockRouter, content: bytes
) -> None:
    respx_mock.get("/namespaces").respond(
        200, content=content, headers={"content-type": "application/json"}
    )
    with pytest.raises(i3x.InvalidServerResponseError) as caught:
        client.get_namespaces()
    error = caught.value
    assert type(error) is i3x.InvalidServerResponseError
    assert "not valid JSON" in str(error)
    assert (error.status_code, error.method, error.url) == (200, "GET", f"{API}/namespaces")
    assert error.__cause__ is None
    assert error.__suppress_context__ is True


def test_html_with_200_is_an_invalid_server_response(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get("/namespaces").respond(
        200, text="<html><body>Sign in</body></html>", headers={"content-type": "text/html"}
    )
    with pytest.raises(i3x.InvalidServerResponseError, match="expected JSON, got text/html"):
        client.get_namespaces()


def test_bulk_answer_that_is_not_a_bulk_envelope(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/objects/value").respond(json={"success": True, "results": "nope"})
    with pytest.raises(i3x.ResponseValidationError) as caught:
        client.get_value("a")
    assert "results" in str(caught.value)
    assert caught.value.__cause__ is None


def test_json_that_does_not_fit_a_model(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/namespaces").respond(json=ok([{"displayName": "no uri"}]))

    with pytest.raises(i3x.ResponseValidationError) as caught:
        client.get_namespaces()

    error = caught.value
    assert isinstance(error, i3x.InvalidServerResponseError)
    assert str(error) == (
        "the server's answer does not fit Namespace: result.0.uri: Field required "
        f"(GET {API}/namespaces)"
    )
    assert (error.status_code, error.method) == (200, "GET")
    assert error.__cause__ is None
    assert error.__suppress_context__ is True


def test_many_validation_errors_are_summarised(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get("/objects").respond(json=ok([{"displayName": i} for i in range(5)]))
    with pytest.raises(i3x.ResponseValidationError) as caught:
        client.get_objects()
    assert "(and " in str(caught.value)
    assert "more)" in str(caught.value)


def test_value_that_does_not_fit_names_the_field_and_the_request(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/objects/value").respond(
        json=bulk(item("a", vqt(1, timestamp="yesterday at noon")))
    )

    with pytest.raises(i3x.ResponseValidationError) as caught:
        client.get_value("a")

    error = caught.value
    assert "timestamp" in str(error)
    assert (error.status_code, error.method, error.url) == (200, "POST", f"{API}/objects/value")
    assert error.__cause__ is None


def test_undecodable_gzip_is_an_invalid_server_response(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get("/namespaces").mock(
        return_value=httpx.Response(
            200,
            headers={"content-type": "application/json", "content-encoding": "gzip"},
            stream=httpx.ByteStream(b"this is not gzip"),
        )
    )
    with pytest.raises(i3x.InvalidServerResponseError) as caught:
        client.get_namespaces()
    assert not isinstance(caught.value.__cause__, i3x.I3XError)


# ----------------------------------------------------------- transport failures


@pytest.mark.parametrize(
    ("exc", "cls", "words"),
    [
        (httpx.ReadTimeout("read timed out"), i3x.TimeoutError, "read timeout"),
        (httpx.WriteTimeout("write timed out"), i3x.TimeoutError, "write timeout"),
        (httpx.ConnectTimeout("connect timed out"), i3x.TimeoutError, "connect timeout"),
        (httpx.PoolTimeout("no free connection"), i3x.TimeoutError, "pool timeout"),
        (httpx.ConnectError("[Errno 111] Connection refused"), i3x.ConnectionError, "refused"),
        (httpx.ReadError("connection reset"), i3x.ConnectionError, "connection reset"),
        (httpx.RemoteProtocolError("peer closed"), i3x.ConnectionError, "peer closed"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None,
)
def test_transport_errors_are_mapped_and_retried_for_reads(
    *,
    client: i3x.Client,
    respx_mock: respx.MockRouter,
    sleeps: list[float],
    exc: Exception,
    cls: type[i3x.ConnectionError],
    words: str,
) -> None:
    route = respx_mock.get("/namespaces").mock(side_effect=exc)

    with pytest.raises(cls) as caught:
        client.get_namespaces()

    error = caught.value
    assert type(error) is cls
    assert isinstance(error, i3x.ConnectionError)
    assert words in str(error)
    assert (error.method, error.url) == ("GET", f"{API}/namespaces")
    assert error.status_code is None
    assert route.call_count == 3
    assert len(sleeps) == 2


def test_read_timeout_is_a_timeout_error_and_a_connection_error() -> None:
    assert issubclass(i3x.TimeoutError, i3x.ConnectionError)


def test_i3x_timeout_error_is_also_the_builtin_one() -> None:
    assert i3x.TimeoutError.__mro__[:4] == (
        i3x.TimeoutError,
        i3x.ConnectionError,
        i3x.I3XError,
        builtins.TimeoutError,
    )
    # The seed's other name stays apart from the builtin of the same name.
    assert not issubclass(i3x.ConnectionError, builtins.ConnectionError)
    assert not issubclass(i3x.I3XError, OSError)


def test_a_timeout_is_caught_by_either_except_and_still_retried(
    client: i3x.Client, respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    route = respx_mock.get("/namespaces").mock(side_effect=httpx.ReadTimeout("read timed out"))

    with pytest.raises(builtins.TimeoutError) as caught:
        client.get_namespaces()

    error = caught.value
    assert isinstance(error, i3x.TimeoutError)
    assert str(error) == f"read timeout: read timed out (GET {API}/namespaces)"
    assert (error.status_code, error.method) == (None, "GET")
    assert route.call_count == 3, "the builtin base changes no retry decision"
    assert len(sleeps) == 2


TLS_FAILURES = [
    "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
    "[SSL: RECORD_LAYER_FAILURE] record layer failure (_ssl.c:1000)",
]


@pytest.mark.parametrize("said", TLS_FAILURES, ids=["wrong-version", "record-layer"])
def test_https_to_a_plain_http_server_is_not_retried_and_says_so(
    respx_mock: respx.MockRouter, sleeps: list[float], said: str
) -> None:
    route = respx_mock.get("https://i3x.test/v1/info").mock(side_effect=httpx.ConnectError(said))
    client = i3x.Client("https://i3x.test/v1")

    with pytest.raises(i3x.ConnectionError) as caught:
        client.connect()

    error = caught.value
    assert str(error) == (
        f"cannot connect: TLS handshake failed ({said}): the server did not answer in TLS "
        "and may speak plain http://; try the URL with http:// instead of https:// "
        "(GET https://i3x.test/v1/info)"
    )
    assert error.transient is False
    assert error.reached_server is False
    assert (route.call_count, sleeps) == (1, [])


def test_an_untrusted_certificate_is_not_retried(
    respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    cause = ssl.SSLCertVerificationError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
    )
    cause.reason = "CERTIFICATE_VERIFY_FAILED"
    failure = httpx.ConnectError(str(cause))
    failure.__cause__ = cause
    route = respx_mock.get("https://i3x.test/v1/info").mock(side_effect=failure)
    client = i3x.Client("https://i3x.test/v1")

    with pytest.raises(i3x.ConnectionError, match="verify=") as caught:
        client.connect()

    assert caught.value.transient is False
    assert (route.call_count, sleeps) == (1, [])


@pytest.mark.parametrize(
    "cause",
    [
        ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
        ssl.SSLZeroReturnError(6, "TLS/SSL connection has been closed (EOF)"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
    ids=["eof", "zero-return", "reset"],
)
def test_a_connection_lost_during_the_handshake_is_retried(
    respx_mock: respx.MockRouter, sleeps: list[float], cause: OSError
) -> None:
    failure = httpx.ConnectError(str(cause))
    failure.__cause__ = cause
    route = respx_mock.get("https://i3x.test/v1/info").mock(
        side_effect=[failure, httpx.Response(200, json=INFO)]
    )
    client = i3x.Client("https://i3x.test/v1")

    client.connect()

    assert route.call_count == 2
    assert len(sleeps) == 1


def test_recovery_after_a_retry(
    client: i3x.Client, respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    route = respx_mock.get("/namespaces").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(503),
            httpx.Response(200, json=ok([{"uri": "urn:a"}])),
        ]
    )
    assert client.get_namespaces() == [i3x.Namespace(uri="urn:a")]
    assert route.call_count == 3
    assert len(sleeps) == 2


# --------------------------------------------------------------------- Retry-After


def test_retry_after_seconds(
    client: i3x.Client, respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    respx_mock.get("/namespaces").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(503, headers={"Retry-After": "0.25"}),
            httpx.Response(200, json=ok([])),
        ]
    )
    assert client.get_namespaces() == []
    assert sleeps == [3.0, 0.25]


def test_retry_after_http_date(
    client: i3x.Client, respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    respx_mock.get("/namespaces").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": when}),
            httpx.Response(200, json=ok([])),
        ]
    )
    client.get_namespaces()
    assert len(sleeps) == 1
    assert 28.0 <= sleeps[0] <= 30.5


def test_retry_after_in_the_past_waits_nothing(
    client: i3x.Client, respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    respx_mock.get("/namespaces").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            httpx.Response(200, json=ok([])),
        ]
    )
    client.get_namespaces()
    assert sleeps == [0.0]


@pytest.mark.parametrize("header", ["soon", "3600"])
def test_unusable_retry_after_falls_back_to_backoff(
    client: i3x.Client, respx_mock: respx.MockRouter, sleeps: list[float], header: str
) -> None:
    respx_mock.get("/namespaces").respond(429, headers={"Retry-After": header})

    with pytest.raises(i3x.RateLimitError) as caught:
        client.with_options(max_retries=1).get_namespaces()

    assert len(sleeps) == 1
    assert _in(sleeps[0], FIRST_BACKOFF)
    expected = None if header == "soon" else 3600.0
    assert caught.value.retry_after == expected, "the final error carries the server's wish"


def test_rate_limit_error_carries_retry_after(
    client: i3x.Client, respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    respx_mock.get("/namespaces").respond(429, headers={"Retry-After": "7"})
    with pytest.raises(i3x.RateLimitError) as caught:
        client.with_options(max_retries=0).get_namespaces()
    assert caught.value.retry_after == 7.0
    assert sleeps == []


# ------------------------------------------------------------ what is retried


def test_max_retries_zero_turns_retrying_off(
    respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    from ._helpers import INFO

    respx_mock.get("/info").respond(json=INFO)
    route = respx_mock.get("/namespaces").respond(503)
    client = i3x.Client(API, max_retries=0)
    with pytest.raises(i3x.ServerError):
        client.get_namespaces()
    assert route.call_count == 1
    assert sleeps == []
    assert client.max_retries == 0


def test_max_retries_per_call(
    client: i3x.Client, respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    route = respx_mock.get("/namespaces").respond(503)

    with pytest.raises(i3x.ServerError):
        client.with_options(max_retries=4).get_namespaces()
    assert route.call_count == 5
    with pytest.raises(i3x.ServerError):
        client.with_options(max_retries=0).get_namespaces()
    assert route.call_count == 6
    with pytest.raises(i3x.ServerError):
        client.get_namespaces()
    assert route.call_count == 9, "the client's own setting is unchanged"
    assert client.max_retries == 2


def test_timeout_per_call(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get("/namespaces").respond(json=ok([]))

    client.with_options(timeout=2.5).get_namespaces()
    client.get_namespaces()

    assert route.calls[0].request.extensions["timeout"] == httpx.Timeout(2.5).as_dict()
    assert route.calls[1].request.extensions["timeout"] == client.timeout.as_dict()
    assert client.with_options(timeout=2.5).timeout == httpx.Timeout(2.5)


def test_with_options_shares_the_connection(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    info = respx_mock.routes["info"]
    view = client.with_options(max_retries=0)
    assert view.is_connected
    assert view.api_url == client.api_url
    assert view.client_id == client.client_id
    respx_mock.get("/namespaces").respond(json=ok([]))
    view.get_namespaces()
    assert info.call_count == 1, "the view did not connect again"


def _sub_body() -> dict[str, Any]:
    return {"clientId": CLIENT_ID, "subscriptionId": "s1"}


WRITES: list[tuple[str, str, Callable[[i3x.Client], object], dict[str, Any]]] = [
    ("PUT", "/objects/value", lambda c: c.update_value("a", 1), bulk(item("a"))),
    (
        "PUT",
        "/objects/history",
        lambda c: c.update_history("a", {"value": 1, "timestamp": "2026-01-01T00:00:00Z"}),
        bulk(item("a")),
    ),
    (
        "POST",
        "/subscriptions",
        lambda c: c.create_subscription(),
        ok({"clientId": CLIENT_ID, "subscriptionId": "s1"}),
    ),
    ("POST", "/subscriptions/register", lambda c: c.register_items("s1", ["a"]), bulk(item("a"))),
    (
        "POST",
        "/subscriptions/unregister",
        lambda c: c.unregister_items("s1", ["a"]),
        bulk(item("a")),
    ),
    (
        "POST",
        "/subscriptions/delete",
        lambda c: c.delete_subscriptions(["s1"]),
        bulk(item("s1", subscription=True)),
    ),
    (
        "POST",
        "/subscriptions/sync",
        lambda c: c.sync_subscription("s1", last_sequence_number=-1),
        ok([]),
    ),
]
WRITE_IDS = [w[1] + (" -1" if "sync" in w[1] else "") for w in WRITES]

READS: list[tuple[str, str, Callable[[i3x.Client], object], dict[str, Any]]] = [
    ("GET", "/namespaces", lambda c: c.get_namespaces(), ok([])),
    ("GET", "/objecttypes", lambda c: c.get_object_types(), ok([])),
    ("GET", "/relationshiptypes", lambda c: c.get_relationship_types(), ok([])),
    ("GET", "/objects", lambda c: c.get_objects(), ok([])),
    ("GET", "/info", lambda c: c.get_info(), sample("server-a-info.json")),
    (
        "POST",
        "/objecttypes/query",
        lambda c: c.query_object_types(["t"]),
        bulk(item("t", {"elementId": "t"})),
    ),
    (
        "POST",
        "/relationshiptypes/query",
        lambda c: c.query_relationship_types(["r"]),
        bulk(item("r", {"elementId": "r"})),
    ),
    (
        "POST",
        "/objects/list",
        lambda c: c.list_objects(["a"]),
        bulk(item("a", {"elementId": "a"})),
    ),
    ("POST", "/objects/related", lambda c: c.get_related_objects(["a"]), bulk(item("a", []))),
    ("POST", "/objects/value", lambda c: c.get_value("a"), bulk(item("a", vqt(1)))),
    (
        "POST",
        "/objects/history",
        lambda c: c.get_history("a"),
        bulk(item("a", {"values": []})),
    ),
    (
        "POST",
        "/subscriptions/list",
        lambda c: c.list_subscriptions(["s1"]),
        bulk(item("s1", {"subscriptionId": "s1"}, subscription=True)),
    ),
    ("POST", "/subscriptions/sync", lambda c: c.sync_subscription("s1"), ok([])),
]
READ_IDS = [r[1] for r in READS]


@pytest.mark.parametrize(("method", "path", "call", "answer"), READS, ids=READ_IDS)
def test_reads_are_retried_on_503_and_read_timeouts(
    *,
    client: i3x.Client,
    respx_mock: respx.MockRouter,
    sleeps: list[float],
    method: str,
    path: str,
    call: Callable[[i3x.Client], object],
    answer: dict[str, Any],
) -> None:
    # The client fixture's /info route answers GET /info; give it the failures too.
    route = (
        respx_mock.routes["info"] if path == "/info" else respx_mock.route(method=method, path=path)
    )
    route.mock(
        side_effect=[
            httpx.Response(503),
            httpx.ReadTimeout("slow"),
            httpx.Response(200, json=answer),
        ]
    )
    calls_before = route.call_count
    call(client)
    assert route.call_count - calls_before == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize(("method", "path", "call", "answer"), WRITES, ids=WRITE_IDS)
@pytest.mark.parametrize("status", [502, 503, 504, 429, 408])
def test_writes_are_not_retried_on_retryable_statuses(
    *,
    client: i3x.Client,
    respx_mock: respx.MockRouter,
    sleeps: list[float],
    method: str,
    path: str,
    call: Callable[[i3x.Client], object],
    answer: dict[str, Any],
    status: int,
) -> None:
    route = respx_mock.route(method=method, path=path).respond(status)
    with pytest.raises(i3x.APIStatusError) as caught:
        call(client)
    assert caught.value.status_code == status
    assert route.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize(("method", "path", "call", "answer"), WRITES, ids=WRITE_IDS)
def test_writes_are_not_retried_on_a_read_timeout(
    *,
    client: i3x.Client,
    respx_mock: respx.MockRouter,
    sleeps: list[float],
    method: str,
    path: str,
    call: Callable[[i3x.Client], object],
    answer: dict[str, Any],
) -> None:
    route = respx_mock.route(method=method, path=path).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(i3x.TimeoutError):
        call(client)
    assert route.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize(("method", "path", "call", "answer"), WRITES, ids=WRITE_IDS)
@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("full")],
    ids=lambda e: type(e).__name__,
)
def test_writes_are_retried_when_they_cannot_have_reached_the_server(
    *,
    client: i3x.Client,
    respx_mock: respx.MockRouter,
    sleeps: list[float],
    method: str,
    path: str,
    call: Callable[[i3x.Client], object],
    answer: dict[str, Any],
    exc: Exception,
) -> None:
    route = respx_mock.route(method=method, path=path).mock(
        side_effect=[exc, httpx.Response(200, json=answer)]
    )
    call(client)
    assert route.call_count == 2
    assert len(sleeps) == 1
    assert _in(sleeps[0], FIRST_BACKOFF)


def test_connect_is_retried(respx_mock: respx.MockRouter, sleeps: list[float]) -> None:
    from ._helpers import INFO

    route = respx_mock.get("/info").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=INFO)]
    )
    client = i3x.Client(API)
    client.connect()
    assert route.call_count == 2
    assert client.is_connected


def test_connect_failure_is_a_connection_error(
    respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    respx_mock.get("/info").mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    client = i3x.Client(API)
    with pytest.raises(i3x.ConnectionError) as caught:
        client.connect()
    assert "Connection refused" in str(caught.value)
    assert caught.value.url == f"{API}/info"
    assert not client.is_connected


def test_tls_verification_failure_gives_a_hint(
    respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    respx_mock.get("/info").mock(
        side_effect=httpx.ConnectError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
        )
    )
    client = i3x.Client(API)
    with pytest.raises(i3x.ConnectionError, match="verify="):
        client.connect()


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadError(
            "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required"
        ),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError(""),  # a reset before the server's alert could be read
    ],
)
def test_a_refused_client_certificate_gives_a_hint(failure: httpx.HTTPError) -> None:
    # TLS 1.3 ends the client's handshake before the server checks its certificate: the
    # refusal shows on the first read, as an alert or as a connection closed unanswered.
    with respx.mock() as router:
        router.get("https://i3x.test/v1/info").mock(side_effect=failure)
        client = i3x.Client("https://i3x.test/v1", verify=TLS, max_retries=0)
        with pytest.raises(
            i3x.ConnectionError, match=r"client certificate \(mutual TLS\)"
        ) as caught:
            client.connect()
    assert "cert=('client.pem', 'client.key')" in str(caught.value)


def test_a_closed_plain_http_connection_is_no_certificate_refusal() -> None:
    with respx.mock() as router:
        router.get("http://i3x.test/v1/info").mock(
            side_effect=httpx.RemoteProtocolError("Server disconnected without sending a response.")
        )
        client = i3x.Client("http://i3x.test/v1", max_retries=0)
        with pytest.raises(i3x.ConnectionError) as caught:
            client.connect()
    assert "certificate" not in str(caught.value)


def test_a_connection_lost_after_the_first_contact_is_no_certificate_refusal() -> None:
    with respx.mock() as router:
        router.get("https://i3x.test/v1/info").respond(json=INFO)
        router.get("https://i3x.test/v1/namespaces").mock(side_effect=httpx.ReadError(""))
        client = i3x.Client("https://i3x.test/v1", verify=TLS, max_retries=0)
        with pytest.raises(i3x.ConnectionError) as caught:
            client.get_namespaces()
    assert str(caught.value) == "connection failed: ReadError (GET https://i3x.test/v1/namespaces)"


# ------------------------------------------------ nothing raw ever escapes


RAW = (httpx.HTTPError, pydantic.ValidationError, tenacity.RetryError)


@pytest.mark.respx(base_url=API, assert_all_called=False)
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, content=b"{", headers={"content-type": "application/json"}),
        httpx.Response(200, json=ok([{"uri": 5}])),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json=None),
        httpx.Response(200, text=""),
        httpx.Response(200, text="ok", headers={"content-type": "text/plain"}),
        httpx.Response(302, headers={"location": "http://elsewhere.test/login"}),
        httpx.Response(599),
    ],
    ids=["truncated", "wrong-type", "list", "null", "empty", "text", "redirect-away", "599"],
)
def test_no_raw_exception_escapes(
    client: i3x.Client, respx_mock: respx.MockRouter, answer: httpx.Response
) -> None:
    respx_mock.get("/namespaces").mock(return_value=answer)
    respx_mock.get("http://elsewhere.test/login").respond(
        200, text="<html>login</html>", headers={"content-type": "text/html"}
    )
    # Raises (an answer that is not i3X must not pass as an empty list), and
    # raises an i3x error.
    with pytest.raises(i3x.I3XError) as caught:
        client.with_options(max_retries=0).get_namespaces()
    assert not isinstance(caught.value, RAW)
    assert caught.value.url is not None
