"""A throwaway certificate authority for `DemoServer(tls=True)`, made with trustme.

The CA, the server's certificate and a client certificate live as PEM files in a
private temporary folder for as long as the server object does: a client configured
with `verify=server.ca_path` keeps working across `restart()`, as with a real server.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Final

__all__ = ["TLSFiles"]

_LOOPBACK: Final = ("127.0.0.1", "localhost", "::1")
_ANY_INTERFACE: Final = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - names, not binds


class TLSFiles:
    """A CA and the certificates it signed, written to files that TLS libraries read.

    Args:
        host: The interface the server listens on; its certificate is valid for it
            and for the loopback names.
    """

    def __init__(self, host: str) -> None:
        import trustme  # with cryptography, a tenth of a second: only for TLS servers

        ca = trustme.CA(organization_unit_name="i3x demo server")
        hosts = list(_LOOPBACK)
        if host not in _ANY_INTERFACE and host not in hosts:
            hosts.append(host)
        server = ca.issue_cert(*hosts, common_name="i3x demo server")
        client = ca.issue_cert("client.i3x.invalid", common_name="i3x demo client")
        folder = Path(tempfile.mkdtemp(prefix="i3x-demo-tls-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
        self.ca_path = str(folder / "ca.pem")
        """The CA certificate (PEM), for `verify=`."""
        self.server_path = str(folder / "server.pem")
        """The server's private key and certificate chain (PEM)."""
        self.client_cert_path = str(folder / "client.pem")
        """A client certificate signed by the CA (PEM), for mutual TLS."""
        self.client_key_path = str(folder / "client.key")
        """The client certificate's private key (PEM, unencrypted)."""
        ca.cert_pem.write_to_path(self.ca_path)
        server.private_key_and_cert_chain_pem.write_to_path(self.server_path)
        for blob in client.cert_chain_pems:
            blob.write_to_path(self.client_cert_path, append=True)
        client.private_key_pem.write_to_path(self.client_key_path)
