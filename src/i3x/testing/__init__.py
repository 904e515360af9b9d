"""An embedded, spec-faithful i3X 1.0 server for tests and demos.

Start the demo plant on a free loopback port and point any HTTP client or the i3x client
at it:

    from i3x.testing import DemoServer

    with DemoServer(ticking=False) as server:
        print(server.url)                     # http://127.0.0.1:54321
        server.set_value("pt-304", 3.4)       # queued to every subscription watching it
        server.faults.fail_next(status=503, retry_after=1)

Build your own address space with `AddressSpace` instead of the demo plant, and use the
pytest fixtures `i3x_server` and `i3x_server_factory` (see `i3x._pytest_plugin`).
`DemoServer(dialect="early-1.0")` or `dialect="node-i3x"` answers like those real servers
instead of the spec (`DIALECTS` lists them). `waits()` shortens the client's retry
and reconnect waits while a test provokes failures.
Needs the `server` extra: `pip install "i3x-client[server]"`.
"""

import contextlib as _contextlib

from i3x._timing import waits

from . import _requires  # noqa: F401 - before the server: without its extra, says how to install it
from ._app import Capabilities
from ._dialects import DIALECTS, Dialect
from ._faults import Faults
from ._middleware import RecordedRequest, RequestLog
from ._plant import ISA95_NAMESPACE_URI, PLANT_NAMESPACE_URI, demo_plant
from ._server import DemoServer, serve
from ._space import (
    CORE_NAMESPACE_URI,
    QUALITIES,
    AddressSpace,
    Namespace,
    ObjectInstance,
    ObjectType,
    Quality,
    Reading,
    RelationshipType,
    Simulation,
)

__all__ = [
    # The server
    "DemoServer",
    "Capabilities",
    "Dialect",
    "DIALECTS",
    "Faults",
    "RequestLog",
    "RecordedRequest",
    "serve",
    # The client's waits, shortened for tests
    "waits",
    # The address space and its builder
    "AddressSpace",
    "Namespace",
    "ObjectType",
    "RelationshipType",
    "ObjectInstance",
    "Reading",
    "Quality",
    "QUALITIES",
    "Simulation",
    "CORE_NAMESPACE_URI",
    # The demo plant
    "demo_plant",
    "ISA95_NAMESPACE_URI",
    "PLANT_NAMESPACE_URI",
]

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("i3x.testing._"):
        # Users see i3x.testing.DemoServer in reprs and docs, not the private module.
        with _contextlib.suppress(AttributeError, TypeError):
            _obj.__module__ = __name__
