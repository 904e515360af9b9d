"""The constructor's checks: a bad argument fails at once, naming it, never quoting a secret."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import traceback
from collections.abc import Iterator

import httpx
import pytest
import respx

import i3x
from i3x.testing import waits

from ._helpers import API, INFO, TLS, bulk, item, ok

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


def test_an_empty_token_is_refused() -> None:
    # An unset variable read as "" would otherwise send no credentials, silently.
    with pytest.raises(ValueError, match="token is empty: pass None for no token"):
        i3x.Client(API, token="")


@pytest.mark.parametrize(
    ("url", "options"),
    [
        (API, {"auth": ("operator", SECRET)}),
        (API.replace("http://", f"http://operator:{SECRET}@"), {}),
        (API, {"headers": {"authorization": f"Basic {SECRET}"}}),
    ],
)
def test_a_token_with_other_credentials_is_refused(url: str, options: dict[str, object]) -> None:
    # Only one Authorization header is sent: which one wins would be a silent choice.
    with pytest.raises(ValueError, match=r"pass either token= .* not both") as caught:
        i3x.Client(url, token=SECRET, **options)  # type: ignore[arg-type]
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
    with (
        waits(sleep=sleeps.append),
        pytest.raises(i3x.I3XError, match="could not be sent: it is not valid HTTP") as caught,
    ):
        client.connect()
    client.close()
    assert not isinstance(caught.value, i3x.ConnectionError)
    assert sleeps == []
    assert SECRET not in _shown(caught.value)
    shown = "".join(traceback.format_exception(caught.value))
    assert SECRET not in shown, "the traceback quotes h11's message as cause or context"
    # httpcore's own DEBUG trace quotes h11's message; the SDK's loggers must not.
    assert all(SECRET not in r.getMessage() for r in caplog.records if r.name.startswith("i3x"))


# ---------------------------------------------------------- auth, limits, proxy, URL


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"auth": SECRET}, TypeError, "auth must be None, a .username, password. tuple, an httpx"),
        ({"auth": ["user", SECRET]}, TypeError, "^auth must be"),
        ({"auth": ("user", SECRET, "x")}, TypeError, "^auth must be a .username, password."),
        ({"auth": (b"user", SECRET)}, TypeError, "^auth must be a .username, password."),
        ({"limits": 5}, TypeError, "^limits must be an httpx.Limits, not int"),
        ({"proxy": "notaproxy"}, ValueError, "^proxy must be an http://"),
        ({"proxy": f"http://user:{SECRET}@proxy:abc"}, ValueError, "^proxy must be an http://"),
        ({"proxy": f"ftp://user:{SECRET}@proxy"}, ValueError, "^proxy must be an http://"),
        ({"proxy": 3128}, TypeError, "^proxy must be a URL str or an httpx.Proxy, not int"),
    ],
)
@pytest.mark.parametrize("cls", [i3x.Client, i3x.AsyncClient])
def test_bad_connection_arguments_fail_in_the_constructor(
    cls: type[i3x.Client | i3x.AsyncClient],
    kwargs: dict[str, object],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match) as caught:
        cls(API, **kwargs)  # type: ignore[arg-type]
    assert SECRET not in _shown(caught.value)
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("http://127.0.0.1:abc/v1", "its port is not a number"),
        ("http://127.0.0.1:70000/v1", "its port is not a number"),
        ("http://[::1/v1", "its host is not valid"),
        ("http://[zz]/v1", "its host is not valid"),
        ("http://i3x.test\x01/v1", "it contains a non-printable character"),
        (f"http://operator:{SECRET}@i3x.test:abc/v1", "its port is not a number"),
        # An unencoded / in the password: urlsplit reads part of it as the port.
        (f"http://operator:pa/{SECRET}@i3x.test/v1", "its port is not a number"),
    ],
)
def test_an_invalid_base_url_fails_in_the_constructor(base_url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"^base_url is not a valid URL: {problem}") as caught:
        i3x.Client(base_url)
    assert SECRET not in _shown(caught.value)
    assert caught.value.__cause__ is None


def test_a_wrong_scheme_is_refused_without_quoting_the_url() -> None:
    with pytest.raises(ValueError, match=r"^base_url must be an http:// or https://") as caught:
        i3x.Client(f"ftp://operator:{SECRET}@i3x.test/v1")
    assert SECRET not in _shown(caught.value)


def test_a_fragment_in_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^base_url must not have a #fragment"):
        i3x.Client(f"{API}#section")


def test_every_kind_of_auth_httpx_takes_is_accepted() -> None:
    def hook(request: httpx.Request) -> httpx.Request:
        request.headers["X-Hook"] = "1"
        return request

    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=INFO)
        route = router.get(f"{API}/namespaces").respond(json=ok([]))
        for auth in (httpx.BasicAuth("u", "p"), ("u", "p"), hook):
            i3x.Client(API, auth=auth, verify=TLS).get_namespaces()
    sent = [call.request.headers for call in route.calls]
    assert sent[0]["authorization"] == sent[1]["authorization"]
    assert sent[0]["authorization"].startswith("Basic ")
    assert sent[2]["x-hook"] == "1"


def test_a_proxy_is_accepted_as_a_url_or_an_httpx_proxy() -> None:
    i3x.Client(API, proxy="http://proxy.example:3128")
    i3x.AsyncClient(API, proxy=httpx.Proxy("https://proxy.example:3128"))


def test_a_socks_proxy_without_socksio_fails_in_the_constructor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"^proxy: a SOCKS proxy needs the socksio package"):
        i3x.Client(API, proxy="socks5://proxy.example:1080")


# ------------------------------------------------------------------ query in base_url

GATEWAY = f"{API}?code={SECRET}"
"""An Azure-style gateway URL: the key goes in the query."""


def test_a_query_in_base_url_is_sent_after_each_path() -> None:
    with respx.mock() as router:
        info = router.get(f"{API}/info").respond(json=INFO)
        objects = router.get(f"{API}/objects").respond(json=ok([]))
        client = i3x.Client(GATEWAY, verify=TLS)
        client.get_objects(type_id="pump")
    assert info.calls.last.request.url == httpx.URL(f"{API}/info?code={SECRET}")
    params = objects.calls.last.request.url.params
    assert (params["code"], params["typeElementId"]) == (SECRET, "pump")
    assert client.base_url == API
    assert client.api_url == API
    assert repr(client) == f"Client({API!r}, connected)"


def test_a_query_in_base_url_never_shows_in_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[i3x.I3XError] = []
    with respx.mock() as router, waits(sleep=lambda seconds: None):
        router.get(f"{API}/info").respond(json=INFO)
        router.get(f"{API}/namespaces").mock(
            side_effect=[httpx.Response(503), httpx.Response(404, json={"detail": "gone"})]
        )
        router.get(f"{API}/objecttypes").mock(side_effect=httpx.ConnectError("refused"))
        client = i3x.Client(f"http://user:pw@i3x.test/v1/?code={SECRET}&mode=x", verify=TLS)
        for call in (client.get_namespaces, lambda: client.get_object_types("urn:plant")):
            with pytest.raises(i3x.I3XError) as caught:
                call()
            errors.append(caught.value)
    assert str(errors[0]).endswith(f"(GET {API}/namespaces?code=***&mode=***)")
    # The API's own parameters hold ids, not secrets: they stay readable.
    assert errors[1].url == f"{API}/objecttypes?code=***&mode=***&namespaceUri=urn%3Aplant"
    shown = [repr(client), str(client), client.base_url]
    shown += [_shown(e) for e in errors] + [str(e.url) for e in errors]
    shown += [r.getMessage() for r in caplog.records if r.name.startswith("i3x")]
    assert any("retrying" in text for text in shown)
    assert all(SECRET not in text for text in shown)


@pytest.mark.anyio
async def test_the_async_client_sends_the_base_url_query_too() -> None:
    streamed = asyncio.Event()

    def stream(request: httpx.Request) -> httpx.Response:
        streamed.set()
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"")

    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=INFO)
        route = router.get(f"{API}/namespaces").respond(json=ok([]))
        router.post(f"{API}/subscriptions").respond(json=ok({"subscriptionId": "s-1"}))
        router.post(f"{API}/subscriptions/register").respond(json=bulk(item("pt-304")))
        router.post(f"{API}/subscriptions/delete").respond(
            json=bulk(item("s-1", subscription=True))
        )
        stream_route = router.post(f"{API}/subscriptions/stream").mock(side_effect=stream)
        async with i3x.AsyncClient(GATEWAY, verify=TLS) as client:
            await client.get_namespaces()
            sub = await client.subscribe(["pt-304"], mode="stream")
            await asyncio.wait_for(streamed.wait(), 5)
            await client.unsubscribe(sub)
    assert route.calls.last.request.url.params["code"] == SECRET
    # Subscription streams open their own pool, from the same settings.
    assert stream_route.calls[0].request.url.params["code"] == SECRET


# ------------------------------------------------------------------ with_options


def test_with_options_timeout_none_turns_the_timeout_off() -> None:
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=INFO)
        route = router.get(f"{API}/namespaces").respond(json=ok([]))
        client = i3x.Client(API, timeout=5, verify=TLS)
        client.with_options(timeout=None).get_namespaces()
        client.with_options(max_retries=0).get_namespaces()
    unlimited, unchanged = (call.request.extensions["timeout"] for call in route.calls)
    assert unlimited == httpx.Timeout(None).as_dict()
    assert unchanged == httpx.Timeout(5).as_dict()
    assert client.with_options(batch_size=2).timeout == httpx.Timeout(5)
    assert i3x.AsyncClient(API, timeout=5).with_options(timeout=None).timeout == httpx.Timeout(None)


def test_one_ssl_context_serves_every_pool_of_a_client() -> None:
    # httpx loads the CA bundle for every client it builds (about 10 ms); the SDK builds
    # one per delivery and per event loop, so it makes the context once and shares it.
    client = i3x.Client("https://i3x.test/v1")
    context = client._ctx.config.http.kwargs()["verify"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert client.with_options(timeout=3)._ctx.config.http.kwargs()["verify"] is context
    with pytest.warns(i3x.InsecureTLSWarning):
        unverified = i3x.Client("https://i3x.test/v1", verify=False)
    assert unverified._ctx.config.http.kwargs()["verify"] is False
