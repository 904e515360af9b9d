"""Connecting: /info discovery, the /v1 fallback, beta and alpha servers, headers and auth."""

from __future__ import annotations

import base64
import logging
import warnings
from collections.abc import Iterator

import httpx
import pytest
import respx

import i3x
from i3x.testing import waits

from ._helpers import API, BASE, INFO, TLS, ok, sample, sample_bytes, vqt

NOT_FOUND = {"detail": "Not Found"}


@pytest.fixture(autouse=True)
def _no_waits() -> Iterator[None]:
    """Retries follow each other at once."""
    with waits(sleep=lambda seconds: None):
        yield


def _client(base_url: str = API, **kwargs: object) -> i3x.Client:
    return i3x.Client(base_url, verify=TLS, **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- /info


def test_connect_reads_info_under_the_given_versioned_base() -> None:
    with respx.mock(assert_all_called=True) as router:
        info = router.get(f"{API}/info").respond(json=sample("server-a-info.json"))
        client = _client(API)
        assert (client.is_connected, client.api_url, client.server_info) == (False, None, None)

        result = client.connect()

    assert info.call_count == 1
    assert client.is_connected is True
    assert client.api_url == API
    assert client.server_info == result
    assert result.spec_version == "1.0"
    assert result.server_version == "release"
    assert result.server_name == "i3X API 1.0"
    assert result.capabilities.query.history is True
    assert result.capabilities.update.current is True
    assert result.capabilities.update.history is False
    assert result.capabilities.subscribe.stream is True
    assert result.is_beta is False


def test_connect_keeps_unknown_info_fields() -> None:
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=sample("server-b-info.json"))
        info = _client(API).connect()

    assert info.server_name == "node-i3x"
    assert info.model_extra == {
        "vendor": {
            "name": "Sterfive SAS",
            "url": "https://www.sterfive.com",
            "support": "contact@sterfive.com",
        },
        "license": "AGPL-3.0-or-later OR LicenseRef-Sterfive-Commercial",
    }
    assert info.license == "AGPL-3.0-or-later OR LicenseRef-Sterfive-Commercial"  # type: ignore[attr-defined]
    assert info.to_dict()["vendor"]["name"] == "Sterfive SAS"
    assert i3x.ServerInfo.from_dict(info.to_dict()).to_dict() == info.to_dict()


def test_connect_without_version_segment_uses_the_root_when_it_answers() -> None:
    with respx.mock(assert_all_called=False) as router:
        root = router.get(f"{BASE}/info").respond(json=INFO)
        v1 = router.get(f"{API}/info").respond(json=INFO)
        client = _client(BASE)
        client.connect()

    assert client.api_url == BASE
    assert root.call_count == 1
    assert v1.call_count == 0


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, sample("server-a-err-unknown-route.json")),
        (404, sample("server-b-unknown-route.json")),
        (405, sample("server-a-err-method-not-allowed.json")),
    ],
    ids=["404-detail", "404-message-error-statusCode", "405"],
)
def test_connect_falls_back_to_v1(status: int, body: object) -> None:
    with respx.mock() as router:
        root = router.get(f"{BASE}/info").respond(status, json=body)
        v1 = router.get(f"{API}/info").respond(json=INFO)
        client = _client(BASE + "/")
        client.connect()

    assert (root.call_count, v1.call_count) == (1, 1)
    assert client.api_url == API
    assert client.base_url == BASE


def test_connect_falls_back_to_v1_when_the_root_is_not_i3x() -> None:
    with respx.mock() as router:
        router.get(f"{BASE}/info").respond(
            200, text="<html><body>Welcome</body></html>", headers={"content-type": "text/html"}
        )
        router.get(f"{API}/info").respond(json=INFO)
        client = _client(BASE)
        client.connect()

    assert client.api_url == API


def test_methods_connect_lazily_on_first_use() -> None:
    with respx.mock() as router:
        info = router.get(f"{API}/info").respond(json=INFO)
        namespaces = router.get(f"{API}/namespaces").respond(json=ok([]))
        client = _client(API)
        assert info.call_count == 0
        assert client.get_namespaces() == []
        assert client.get_namespaces() == []

    assert info.call_count == 1
    assert namespaces.call_count == 2
    assert client.is_connected


HTML_404 = httpx.Response(404, html="<html><body><h1>Not Found</h1></body></html>")
ALPHA_NAMESPACES = [
    {"uri": "http://i3x.dev/base", "displayName": "Base"},
    {"uri": "http://opcfoundation.org/UA/", "displayName": "OPC UA"},
]


def test_a_plain_web_server_is_no_i3x_api_and_no_alpha() -> None:
    with respx.mock() as router:
        for root in (BASE, API):
            router.get(f"{root}/info").mock(return_value=HTML_404)
            router.get(f"{root}/namespaces").mock(return_value=HTML_404)
        client = _client(BASE)
        with pytest.raises(i3x.InvalidServerResponseError) as caught:
            client.connect()

    error = caught.value
    assert not isinstance(error, i3x.UnsupportedVersionError)
    message = str(error)
    assert message.startswith(f"no i3X API answered at {BASE}: tried ")
    for url in (f"{BASE}/info", f"{API}/info", f"{BASE}/namespaces", f"{API}/namespaces"):
        assert f"GET {url} (HTTP 404)" in message
    assert "alpha" not in message
    assert "/v1/v1" not in message
    assert (error.status_code, error.method, error.url) == (404, "GET", f"{API}/info")
    assert not client.is_connected


def test_a_mistyped_versioned_base_is_never_told_to_add_another_v1() -> None:
    typo = f"{BASE}/api/v1"
    with respx.mock() as router:
        info = router.get(f"{typo}/info").respond(404, json=NOT_FOUND)
        namespaces = router.get(f"{typo}/namespaces").respond(404, json=NOT_FOUND)
        with pytest.raises(i3x.InvalidServerResponseError) as caught:
            _client(typo).connect()

    message = str(caught.value)
    assert (info.call_count, namespaces.call_count) == (1, 1), "no other URL is guessed"
    assert f"tried GET {typo}/info (HTTP 404), GET {typo}/namespaces (HTTP 404)" in message
    assert "/v1/v1" not in message
    assert f"(such as {BASE}) or its API root (such as {BASE}/v1)" in message


@pytest.mark.parametrize(
    "body",
    [
        {"hello": "world"},
        [],
        [1, 2],
        [{"name": "no uri"}],
        {"success": False, "result": ALPHA_NAMESPACES},
    ],
    ids=["object", "empty-list", "numbers", "no-uri", "failed-envelope"],
)
def test_json_that_is_no_namespace_list_is_no_alpha_server(body: object) -> None:
    with respx.mock() as router:
        router.get(f"{API}/info").respond(404, json=NOT_FOUND)
        router.get(f"{API}/namespaces").respond(200, json=body)
        with pytest.raises(i3x.InvalidServerResponseError) as caught:
            _client(API).connect()

    assert f"GET {API}/namespaces (HTTP 200, not i3X JSON)" in str(caught.value)


def test_a_web_page_at_namespaces_is_no_alpha_server() -> None:
    with respx.mock() as router:
        router.get(f"{API}/info").respond(404)
        router.get(f"{API}/namespaces").respond(200, html="<html>Welcome</html>")
        with pytest.raises(i3x.InvalidServerResponseError) as caught:
            _client(API).connect()

    assert "no i3X API answered" in str(caught.value)


@pytest.mark.parametrize(
    ("base", "answering_root", "body"),
    [
        (BASE, BASE, ALPHA_NAMESPACES),
        (f"{BASE}/v0", f"{BASE}/v0", ALPHA_NAMESPACES),
        (BASE, API, ok(ALPHA_NAMESPACES)),
    ],
    ids=["bare-list-at-root", "bare-list-under-v0", "envelope-under-v1"],
)
def test_an_alpha_server_is_an_unsupported_version(
    base: str, answering_root: str, body: object
) -> None:
    # Alpha servers (the seed's "CMIP" drafts) have no /info but answer their routes.
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{answering_root}/namespaces").respond(200, json=body)
        router.get(url__regex=r".*/info$").respond(404, json=NOT_FOUND)  # first match wins
        router.get(url__regex=r".*/namespaces$").respond(404, json=NOT_FOUND)
        client = _client(base)
        with pytest.raises(i3x.UnsupportedVersionError) as caught:
            client.connect()

    error = caught.value
    assert str(error).startswith(
        f"{answering_root} answers GET /namespaces like a pre-release (alpha)"
    )
    assert "Upgrade the server to i3X 1.0" in str(error)
    assert (error.status_code, error.method, error.url) == (404, "GET", f"{answering_root}/info")
    assert not client.is_connected


def test_the_alpha_probe_stops_at_the_first_answering_root() -> None:
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{BASE}/info").respond(404)
        router.get(f"{API}/info").respond(405)
        at_root = router.get(f"{BASE}/namespaces").respond(json=ALPHA_NAMESPACES)
        under_v1 = router.get(f"{API}/namespaces").respond(json=ALPHA_NAMESPACES)
        with pytest.raises(i3x.UnsupportedVersionError) as caught:
            _client(BASE).connect()

    assert (at_root.call_count, under_v1.call_count) == (1, 0)
    assert caught.value.status_code == 405


def test_an_unreachable_namespaces_route_is_reported_among_the_tried_urls() -> None:
    with respx.mock() as router:
        router.get(f"{API}/info").respond(404)
        router.get(f"{API}/namespaces").mock(side_effect=httpx.ReadError("connection reset"))
        with pytest.raises(i3x.InvalidServerResponseError) as caught:
            _client(API, max_retries=0).connect()

    assert f"GET {API}/namespaces (connection failed: connection reset)" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"<html><body><h1>Login</h1></body></html>", "text/html"),
        (b'{"hello": "world"}', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"success": true, "result": {"name": "not i3x"}}', "application/json"),
    ],
    ids=["html", "other-json", "json-list", "envelope-without-specVersion"],
)
def test_a_non_i3x_info_is_an_invalid_server_response(content: bytes, content_type: str) -> None:
    with respx.mock() as router:
        for root in (BASE, API):
            router.get(f"{root}/info").respond(
                200, content=content, headers={"content-type": content_type}
            )
        client = _client(BASE)
        with pytest.raises(i3x.InvalidServerResponseError) as caught:
            client.connect()

    assert "not with an i3X document" in str(caught.value)
    assert caught.value.method == "GET"
    assert not client.is_connected


# The answers the 1.0 reference client's own tests give at /info. There they come from
# the root only; this client also asks /v1/info before deciding, so both roots give them.
REFERENCE_CLIENT_NON_I3X_ANSWERS: dict[str, dict[str, object]] = {
    "html-login-page": {"html": "<!doctype html><html>login</html>"},
    "json-as-text-plain": {
        "text": '{"success":true,"result":{"specVersion":"1.0"}}',
        "headers": {"content-type": "text/plain"},
    },
    "204": {"status_code": 204},
    "empty-json-body": {"headers": {"content-type": "application/json"}},
    "bulk-envelope": {"json": {"success": True, "results": [{"specVersion": "1.0"}]}},
    "null-result": {"json": {"success": True, "result": None}},
    "no-spec-version": {"json": {"success": True, "result": {"capabilities": {}}}},
}


@pytest.mark.parametrize(
    "answer",
    list(REFERENCE_CLIENT_NON_I3X_ANSWERS.values()),
    ids=list(REFERENCE_CLIENT_NON_I3X_ANSWERS),
)
def test_the_reference_clients_non_i3x_answers_are_invalid_server_responses(
    answer: dict[str, object],
) -> None:
    with respx.mock() as router:
        for root in (BASE, API):
            router.get(f"{root}/info").respond(**answer)  # type: ignore[arg-type]
        client = _client(BASE)
        with pytest.raises(i3x.InvalidServerResponseError, match="not with an i3X document"):
            client.connect()
    assert not client.is_connected
    assert client.server_info is None


def test_an_html_answer_names_its_content_type() -> None:
    with respx.mock() as router:
        for root in (BASE, API):
            router.get(f"{root}/info").respond(html="<html></html>")
        with pytest.raises(i3x.InvalidServerResponseError, match="text/html"):
            _client(BASE).connect()


BARE_INFO = {
    "specVersion": "1.0",
    "serverVersion": "1.0.0",
    "serverName": "bare",
    "capabilities": {"query": {"history": True}, "subscribe": {"stream": True}},
    "vendor": "acme",
}


def test_connect_accepts_a_bare_info_document() -> None:
    # No {"success", "result"} envelope: the document itself is the server info.
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=BARE_INFO)
        client = _client(API)
        info = client.connect()
        again = client.get_info()

    assert client.is_connected
    assert client.api_url == API
    assert (info.spec_version, info.server_version, info.server_name) == ("1.0", "1.0.0", "bare")
    assert info.capabilities.query.history is True
    assert info.capabilities.subscribe.stream is True
    assert info.model_extra == {"vendor": "acme"}
    assert again == info


def test_a_bare_info_without_spec_version_says_what_is_missing() -> None:
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json={"serverVersion": "1.0.0", "serverName": "x"})
        with pytest.raises(i3x.InvalidServerResponseError) as caught:
            _client(API).connect()

    assert "not with an i3X document" in str(caught.value)
    assert "specVersion" in str(caught.value)


def test_info_auth_failure_is_raised_as_is() -> None:
    with respx.mock() as router:
        router.get(f"{API}/info").respond(
            401, json={"success": False, "responseDetail": {"title": "Unauthorized", "status": 401}}
        )
        with pytest.raises(i3x.AuthenticationError) as caught:
            _client(API).connect()
    assert caught.value.status_code == 401


def test_beta_server_connects_with_a_deprecation_warning() -> None:
    beta = ok({"specVersion": "1.0", "serverVersion": "1.0-beta.3"})
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=beta)
        client = _client(API)
        with pytest.warns(DeprecationWarning, match="beta") as record:
            info = client.connect()

    assert info.is_beta is True
    assert client.is_connected
    assert record[0].filename == __file__, "the warning points at the caller"


def test_beta_warning_points_at_the_caller_of_a_lazily_connecting_method() -> None:
    beta = ok({"specVersion": "1.0", "serverVersion": "0.9-BETA"})
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=beta)
        router.get(f"{API}/namespaces").respond(json=ok([]))
        client = _client(API)
        with pytest.warns(DeprecationWarning, match="beta") as record:
            client.get_namespaces()
    assert record[0].filename == __file__


@pytest.mark.parametrize("spec_version", ["0.9", "0.1.2", "v0.8"])
def test_a_spec_version_below_1_0_connects_with_a_deprecation_warning(spec_version: str) -> None:
    draft = ok({"specVersion": spec_version, "capabilities": {}})
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=draft)
        client = _client(API)
        with pytest.warns(DeprecationWarning, match=r"pre-release \(beta\) draft") as record:
            info = client.connect()

    assert f"specVersion={spec_version!r}" in str(record[0].message)
    assert record[0].filename == __file__
    # Only the warning: writes keep the 1.0 profile, which a beta one would change.
    assert info.is_beta is False
    assert client.server_profile is i3x.ServerProfile.SPEC


@pytest.mark.parametrize("spec_version", ["1.0", "1.1", "2", "10.0", "draft"])
def test_a_spec_version_of_1_0_or_later_connects_without_warnings(spec_version: str) -> None:
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=ok({"specVersion": spec_version}))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _client(API).connect()


def test_release_server_connects_without_warnings() -> None:
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=sample("server-b-info.json"))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _client(API).connect()


# ----------------------------------------------------------------- lifecycle


def test_context_manager_connects_and_disconnects() -> None:
    events: list[str] = []
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=INFO)
        client = _client(API)
        client.on_connect = lambda c: events.append(f"connect {c.api_url}")
        client.on_disconnect = lambda c: events.append("disconnect")
        with client as entered:
            assert entered is client
            assert client.is_connected
        assert (client.is_connected, client.api_url, client.server_info) == (False, None, None)
    assert events == [f"connect {API}", "disconnect"]


def test_disconnect_then_use_connects_again() -> None:
    with respx.mock() as router:
        info = router.get(f"{API}/info").respond(json=INFO)
        router.get(f"{API}/namespaces").respond(json=ok([]))
        client = _client(API)
        client.connect()
        client.disconnect()
        client.get_namespaces()
    assert info.call_count == 2
    assert client.is_connected


def test_disconnect_of_a_client_never_connected_calls_no_callback() -> None:
    events: list[str] = []
    client = _client(API)
    client.on_disconnect = lambda c: events.append("disconnect")
    client.disconnect()
    assert events == []


# ------------------------------------------------------------------- headers


def test_every_request_carries_the_json_and_sdk_headers() -> None:
    with respx.mock() as router:
        info = router.get(f"{API}/info").respond(json=INFO)
        value = router.post(f"{API}/objects/value").respond(
            json={
                "success": True,
                "results": [{"success": True, "elementId": "a", "result": vqt(1)}],
            }
        )
        client = _client(API, headers={"X-Plant": "west"})
        client.get_value("a")

    for route in (info, value):
        headers = route.calls.last.request.headers
        assert headers["accept"] == "application/json"
        assert headers["user-agent"] == f"i3x-python/{i3x.__version__}"
        assert headers["x-plant"] == "west"
        assert "gzip" in headers["accept-encoding"]
        assert "authorization" not in headers
    assert value.calls.last.request.headers["content-type"] == "application/json"


def test_token_is_sent_as_bearer() -> None:
    with respx.mock() as router:
        info = router.get(f"{API}/info").respond(json=INFO)
        namespaces = router.get(f"{API}/namespaces").respond(json=ok([]))
        client = _client(API, token="s3cr3t-token")
        client.get_namespaces()
    assert info.calls.last.request.headers["authorization"] == "Bearer s3cr3t-token"
    assert namespaces.calls.last.request.headers["authorization"] == "Bearer s3cr3t-token"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_auth_tuple_is_http_basic() -> None:
    with respx.mock() as router:
        namespaces = router.get(f"{API}/namespaces").respond(json=ok([]))
        router.get(f"{API}/info").respond(json=INFO)
        _client(API, auth=("api-key", "secret")).get_namespaces()
    assert namespaces.calls.last.request.headers["authorization"] == _basic("api-key", "secret")


def test_credentials_in_the_url_become_basic_auth_and_leave_the_url() -> None:
    with respx.mock() as router:
        info = router.get(f"{API}/info").respond(json=INFO)
        client = _client("http://op%40plant:pa%3Ass@i3x.test/v1")
        client.connect()

    request = info.calls.last.request
    assert request.url == httpx.URL(f"{API}/info")
    assert request.headers["authorization"] == _basic("op@plant", "pa:ss")
    assert client.base_url == API
    assert client.api_url == API


def test_credentials_never_show_in_repr_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = ("tok-SECRET-1", "pw-SECRET-2", "url-SECRET-3")
    errors: list[BaseException] = []
    with respx.mock() as router:
        router.get(f"{API}/info").respond(json=INFO)
        router.get(f"{API}/namespaces").mock(
            side_effect=[httpx.Response(503), httpx.Response(401, json=NOT_FOUND)]
        )
        router.get(f"{API}/objecttypes").mock(side_effect=httpx.ConnectError("refused"))
        clients = [
            _client(API, token=secrets[0]),
            _client(API, auth=("operator", secrets[1])),
            _client(f"http://operator:{secrets[2]}@i3x.test/v1"),
        ]
        for client in clients:
            router.get(f"{API}/namespaces").mock(
                side_effect=[httpx.Response(503), httpx.Response(401, json=NOT_FOUND)]
            )
            for call in (client.get_namespaces, client.get_object_types):
                with pytest.raises(i3x.I3XError) as caught:
                    call()
                errors.append(caught.value)

    shown = [repr(c) for c in clients] + [str(c) for c in clients]
    shown += [str(e) for e in errors] + [repr(e) for e in errors]
    shown += [str(getattr(e, "url", "")) for e in errors]
    shown += [r.getMessage() for r in caplog.records]
    assert len(caplog.records) > 0
    for text in shown:
        for secret in secrets:
            assert secret not in text
    assert repr(clients[2]) == f"Client({API!r}, connected)"


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="base_url"):
        i3x.Client("ftp://i3x.test")
    with pytest.raises(ValueError, match="base_url"):
        i3x.Client("i3x.test:8080")
    with pytest.raises(TypeError, match="base_url"):
        i3x.Client(8080)  # type: ignore[arg-type]


def test_bad_url_message_hides_credentials() -> None:
    with pytest.raises(ValueError, match="base_url") as caught:
        i3x.Client("ftp://user:hunter2@i3x.test")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"token": 5}, TypeError, "token"),
        ({"auth": ("user",)}, TypeError, "auth"),
        ({"max_retries": -1}, ValueError, "max_retries"),
        ({"max_retries": "2"}, TypeError, "max_retries"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"timeout": 0}, ValueError, "timeout"),
        ({"timeout": "30"}, TypeError, "timeout"),
        ({"client_id": ""}, ValueError, "client_id"),
    ],
)
def test_constructor_checks_its_arguments(
    kwargs: dict[str, object], error: type[Exception], name: str
) -> None:
    with pytest.raises(error, match=name):
        i3x.Client(API, **kwargs)  # type: ignore[arg-type]


def test_credentials_in_url_and_auth_are_refused() -> None:
    with pytest.raises(ValueError, match="auth"):
        i3x.Client("http://u:p@i3x.test/v1", auth=("u", "p"))


def test_client_id_is_random_unless_given() -> None:
    a, b = i3x.Client(API), i3x.Client(API)
    assert a.client_id != b.client_id
    assert len(a.client_id) >= 16
    assert i3x.Client(API, client_id="line-7").client_id == "line-7"


def test_gzip_answers_are_decoded() -> None:
    import gzip

    with respx.mock() as router:
        router.get(f"{API}/info").respond(
            200,
            content=gzip.compress(sample_bytes("server-a-info.json")),
            headers={"content-type": "application/json", "content-encoding": "gzip"},
        )
        info = _client(API).connect()
    assert info.server_name == "i3X API 1.0"
