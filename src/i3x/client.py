"""The clients under the import path of the 1.0 reference client: `from i3x.client import Client`.

The reference client (`i3x-client` 1.0.0) defines `Client` in `i3x.client`; this module
re-exports `i3x.Client` (`i3x.client.Client is i3x.Client`) and `i3x.AsyncClient`.
"""

from ._async_client import AsyncClient
from ._client import Client

__all__ = ["Client", "AsyncClient"]
