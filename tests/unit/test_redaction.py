"""A client's secrets never show in what the i3x, httpx and httpcore loggers emit.

The end-to-end check (every logger at DEBUG during a real session) is in
tests/integration/test_log_secrets.py; these pin down what counts as a secret, how a
record is masked, and how long the masking lasts.
"""

from __future__ import annotations

import base64
import gc
import logging
import ssl
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import trustme

import i3x

from ._helpers import API, TLS

KEY = "gw-Key+/9a1="
PASSWORD = "pw-Secret-1b2c"
TOKEN = "tok-Secret-3d4e"
HEADER = "hdr-Secret-5f6a"


def _emit(caplog: pytest.LogCaptureFixture, logger: str, message: str, *args: object) -> str:
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger(logger).debug(message, *args)
    (record,) = caplog.records
    return caplog.handler.format(record)


@pytest.fixture
def client() -> Iterator[i3x.Client]:
    # A client takes a bearer token or HTTP credentials, not both: a second client
    # holds the token, alive while the test runs (its secrets are masked as long).
    with_token = i3x.Client(API, token=TOKEN, verify=TLS)
    yield i3x.Client(
        f"{API}?code={quote(KEY, safe='')}",
        auth=("operator", PASSWORD),
        headers={"X-Site-Key": HEADER, "Accept-Language": "en-GB,en"},
        verify=TLS,
    )
    del with_token


@pytest.mark.parametrize(
    "logger",
    [
        "httpx",
        "httpcore.connection",
        "httpcore.http11",
        "httpcore.proxy",
        "i3x",
        "i3x.subscriptions",
    ],
)
def test_every_secret_is_masked_on_every_logger(
    client: i3x.Client, caplog: pytest.LogCaptureFixture, logger: str
) -> None:
    basic = base64.b64encode(f"operator:{PASSWORD}".encode()).decode()
    url = httpx.URL(f"{API}/info", params={"code": KEY})
    assert KEY not in str(url)  # httpx shows it encoded: that spelling is masked too
    shown = _emit(
        caplog, logger, "%s %s %s %s Basic %s %r", url, PASSWORD, TOKEN, HEADER, basic, KEY.encode()
    )
    assert shown.endswith(f"{API}/info?code=*** *** *** *** Basic *** b'***'")


def test_the_traceback_and_the_stack_are_masked(
    client: i3x.Client, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        raise RuntimeError(f"the server said {TOKEN}")
    except RuntimeError:
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("httpx").exception("failed", stack_info=True)
    (record,) = caplog.records
    shown = caplog.handler.format(record)
    assert "RuntimeError: the server said ***" in shown
    assert "Stack (most recent call last)" in shown
    assert TOKEN not in shown
    assert TOKEN not in (record.stack_info or "")


def test_a_record_without_secrets_is_left_as_it_was(
    client: i3x.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("httpx").info("HTTP Request: %s %s", "GET", "https://other.test/?page=2")
    (record,) = caplog.records
    assert (record.msg, record.args) == (
        "HTTP Request: %s %s",
        ("GET", "https://other.test/?page=2"),
    )


def test_content_negotiation_headers_and_short_values_are_no_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _client = i3x.Client(API, headers={"Accept-Language": "en-GB,en", "X-Pin": "123"}, verify=TLS)
    assert _emit(caplog, "httpx", "en-GB,en 123").endswith(" en-GB,en 123")


def test_other_loggers_are_not_touched(
    client: i3x.Client, caplog: pytest.LogCaptureFixture
) -> None:
    # The SDK masks what its own and its HTTP stack's loggers emit; it does not rewrite
    # the application's records.
    assert TOKEN in _emit(caplog, "myapp", "token %s", TOKEN)


def test_proxy_and_key_passwords_are_secrets(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # An unencrypted key loads whatever the password; it is a secret all the same.
    cert = str(tmp_path / "client.pem")
    trustme.CA().issue_cert("client.test").private_key_and_cert_chain_pem.write_to_path(cert)
    _client = i3x.Client(
        API,
        proxy=f"http://proxy-user:{PASSWORD}@proxy.test:3128",
        cert=(cert, cert, "key-Secret-2c3d"),
        verify=TLS,
    )
    shown = _emit(caplog, "httpcore.proxy", "via %s with %s", PASSWORD, "key-Secret-2c3d")
    assert shown.endswith("via *** with ***")


def test_masking_lasts_as_long_as_the_client_or_a_view_of_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "only-this-client-7e8f"
    client = i3x.Client(API, token=secret, verify=TLS)
    view = client.with_options(timeout=3)
    client.close()  # a closed client may be used again: still masked
    del client
    gc.collect()
    assert _emit(caplog, "httpx", secret).endswith(" ***")
    del view
    gc.collect()
    assert _emit(caplog, "httpx", secret).endswith(f" {secret}")


def test_an_httpx_auth_object_keeps_its_secrets(caplog: pytest.LogCaptureFixture) -> None:
    # Its secrets travel in headers, which none of these loggers print; the SDK cannot
    # know them, so it registers nothing.
    _client = i3x.Client(API, auth=httpx.DigestAuth("user", "digest-Secret-0a1b"), verify=TLS)
    assert _emit(caplog, "httpx", "digest-Secret-0a1b").endswith(" digest-Secret-0a1b")


# ------------------------------------------------------------------ verify=False


def test_verify_false_warns_where_the_client_is_made() -> None:
    with pytest.warns(
        i3x.InsecureTLSWarning, match=r"verification is off for https://i3x\.test"
    ) as warned:
        i3x.Client(f"https://operator:{PASSWORD}@i3x.test/v1?code=x", verify=False)
    assert warned[0].filename == __file__
    assert PASSWORD not in str(warned[0].message)
    assert issubclass(i3x.InsecureTLSWarning, UserWarning)


def test_an_ssl_context_that_checks_nothing_warns_too() -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with pytest.warns(i3x.InsecureTLSWarning):
        i3x.AsyncClient("https://i3x.test/v1", verify=context)


@pytest.mark.parametrize("verify", [True, TLS, sys.modules["certifi"].where()])
def test_verification_on_does_not_warn(verify: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        i3x.Client("https://i3x.test/v1", verify=verify)  # type: ignore[arg-type]
