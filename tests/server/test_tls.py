"""DemoServer(tls=True): HTTPS from a throwaway CA, and mutual TLS, seen by a plain client."""

from __future__ import annotations

import gc
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest

from i3x.testing import DemoServer


def _trusting(server: DemoServer, *, cert: tuple[str, str] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=server.ca_path)
    if cert is not None:
        context.load_cert_chain(*cert)
    return context


def test_serves_https_trusted_through_its_ca(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(tls=True)
    assert server.url.startswith("https://127.0.0.1:")
    assert server.api_url == server.url + "/v1"
    answer = httpx.get(server.api_url + "/info", verify=_trusting(server))
    assert answer.status_code == 200
    assert answer.json()["result"]["specVersion"]


def test_the_certificate_is_valid_for_the_loopback_names(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(tls=True)
    port = server.url.rsplit(":", 1)[1]
    answer = httpx.get(f"https://localhost:{port}/v1/info", verify=_trusting(server))
    assert answer.status_code == 200


def test_without_its_ca_the_certificate_is_not_trusted(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(tls=True)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(server.api_url + "/info")
    assert list(server.requests) == []


def test_plain_http_is_not_served(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(tls=True)
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.api_url.replace("https://", "http://") + "/info")
    assert list(server.requests) == []


def test_mutual_tls_needs_a_client_certificate_signed_by_its_ca(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(tls=True, require_client_cert=True)
    stranger: DemoServer = i3x_server_factory(tls=True)  # another CA, another client cert
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.api_url + "/info", verify=_trusting(server))
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.api_url + "/info", verify=_trusting(server, cert=stranger.client_cert))
    assert list(server.requests) == []
    answer = httpx.get(server.api_url + "/info", verify=_trusting(server, cert=server.client_cert))
    assert answer.status_code == 200
    assert len(server.requests) == 1


def test_without_require_client_cert_no_certificate_is_asked(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(tls=True)
    assert httpx.get(server.api_url + "/info", verify=_trusting(server)).status_code == 200


def test_restart_keeps_the_ca_so_configured_clients_still_connect() -> None:
    with DemoServer(ticking=False, tls=True, require_client_cert=True) as server:
        context = _trusting(server, cert=server.client_cert)
        ca_path, url = server.ca_path, server.url
        server.restart()
        assert (server.ca_path, server.url) == (ca_path, url)
        assert httpx.get(server.api_url + "/info", verify=context).status_code == 200


def test_the_files_are_pem_and_go_with_the_server() -> None:
    server = DemoServer(ticking=False, tls=True)
    ca_path = Path(server.ca_path)
    cert_path, key_path = map(Path, server.client_cert)
    assert ca_path.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert cert_path.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE KEY-----" in key_path.read_text()
    assert ca_path.parent == cert_path.parent == key_path.parent
    assert ca_path.parent.stat().st_mode & 0o077 == 0  # the keys are the user's alone
    del server
    gc.collect()
    assert not ca_path.parent.exists()


def test_tls_options_are_checked() -> None:
    with pytest.raises(ValueError, match=r"^require_client_cert: needs tls=True"):
        DemoServer(require_client_cert=True)
    plain = DemoServer(ticking=False)
    with pytest.raises(RuntimeError, match=r"tls=True"):
        _ = plain.ca_path
    with pytest.raises(RuntimeError, match=r"tls=True"):
        _ = plain.client_cert
