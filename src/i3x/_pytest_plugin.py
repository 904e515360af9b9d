"""pytest fixtures that run the embedded i3X server (registered as the `i3x` plugin).

Installing `i3x-client[server]` makes these fixtures available to every test, with no
conftest needed:

`i3x_server`
    A started `i3x.testing.DemoServer` serving the demo plant, with the simulation not
    ticking so that values only change when the test changes them
    (`server.set_value(...)`, `server.push(...)`, `server.tick()`). A new one per test,
    stopped afterwards. Point a client at `i3x_server.url` (no /v1) or send raw HTTP to
    `i3x_server.api_url`.

`i3x_server_factory`
    A callable taking `DemoServer`'s keyword arguments and returning a started server;
    every server it made is stopped when the test ends. `ticking` defaults to False here
    too; pass `ticking=True` for a live plant.

`i3x_fast_waits`
    Shortens the client's waits for the test (`i3x.testing.waits(backoff=0.01)`):
    retries and subscription reconnects follow each other after 10 ms instead of the
    production backoff, so tests that provoke failures run quickly. Needs no extra.

Example:

```python
import httpx
from i3x.testing import DemoServer


def test_reads_a_pressure(i3x_server: DemoServer) -> None:
    i3x_server.set_value("pt-304", 3.4)
    answer = httpx.post(
        i3x_server.api_url + "/objects/value", json={"elementIds": ["pt-304"]}
    ).json()
    assert answer["results"][0]["result"]["value"] == 3.4


def test_survives_a_503(i3x_server_factory) -> None:
    server = i3x_server_factory(token="secret")
    server.faults.fail_next(status=503, retry_after=1, path="/v1/objects/value")
    ...
```

The plugin is registered by every install of the package, with or without the `server`
extra, so it lives outside `i3x.testing` (importing a package runs its `__init__`, which
needs Starlette) and imports the server only when a fixture is used: a project that
installed the client alone pays nothing, and a test that asks for a fixture without the
extra fails with the command that installs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from .testing import DemoServer

__all__ = ["DemoServerFactory", "i3x_fast_waits", "i3x_server", "i3x_server_factory"]


class DemoServerFactory(Protocol):
    """The type of `i3x_server_factory`: DemoServer's arguments in, a started server out."""

    def __call__(self, *args: Any, **options: Any) -> DemoServer: ...


def _demo_server() -> type[DemoServer]:
    try:
        from .testing import DemoServer
    except ImportError as exc:
        # i3x.testing names the missing extra and the command that installs it.
        pytest.fail(str(exc), pytrace=False)
    return DemoServer


@pytest.fixture
def i3x_server() -> Iterator[DemoServer]:
    """A started demo-plant server with ticking off, stopped after the test."""
    with _demo_server()(ticking=False) as server:
        yield server


@pytest.fixture
def i3x_server_factory() -> Iterator[DemoServerFactory]:
    """Make started servers from DemoServer's arguments; all are stopped after the test."""
    server_class = _demo_server()
    made: list[DemoServer] = []

    def factory(*args: Any, **options: Any) -> DemoServer:
        options.setdefault("ticking", False)
        server = server_class(*args, **options)
        made.append(server)
        return server.start()

    yield factory
    for server in made:
        server.stop()


@pytest.fixture
def i3x_fast_waits() -> Iterator[None]:
    """Retries and reconnects 10 ms apart for the test (no production backoff)."""
    from ._timing import waits  # here: loading the plugin must cost a session nothing

    with waits(backoff=0.01):
        yield
