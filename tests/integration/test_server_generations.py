"""Every server generation the embedded server plays (`DemoServer(dialect=...)`), over
real sockets: writes read back exactly, sync delivers exactly once with acknowledgement
and gaps, streams deliver, errors are typed, and the README's Quick Start runs unchanged.

Both clients run every test that takes `client_factory` (see conftest).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import i3x
from i3x.testing import DIALECTS, AddressSpace, DemoServer, Dialect

from .conftest import Recorder

README = Path(__file__).resolve().parents[2] / "README.md"

PROFILE = {
    "spec": i3x.ServerProfile.SPEC,
    "early-1.0": i3x.ServerProfile.PER_ELEMENT,
    "node-i3x": i3x.ServerProfile.BARE_VALUE,
}
"""The profile a client ends up with after its first write on each dialect."""

WRITTEN: dict[str, Any] = {
    "number": 41.5,
    "integer": 42,
    "boolean": True,
    "string": "Running",
    "object": {"temperature": 72.5, "mode": "manual"},
}
"""One element per kind of value, and what each test writes to it."""


def _space() -> AddressSpace:
    space = AddressSpace()
    space.add_namespace("urn:test", "test")
    schemas: dict[str, dict[str, Any]] = {
        "number": {"type": "number"},
        "integer": {"type": "integer"},
        "boolean": {"type": "boolean"},
        "string": {"type": "string"},
        "object": {
            "type": "object",
            "properties": {"temperature": {"type": "number"}, "mode": {"type": "string"}},
            "required": ["temperature"],
            "additionalProperties": False,
        },
    }
    initial = {"number": 0.5, "integer": 1, "boolean": False, "string": "Stopped"}
    for kind, schema in schemas.items():
        space.add_object_type(f"{kind}-type", kind, namespace_uri="urn:test", schema=schema)
        value = initial.get(kind, {"temperature": 20.0})
        space.add_object(kind, kind, type_id=f"{kind}-type", value=value)
    return space


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> Dialect:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def server(i3x_server_factory: Callable[..., DemoServer], dialect: Dialect) -> DemoServer:
    return i3x_server_factory(_space(), dialect=dialect)


def _bulk_puts(server: DemoServer) -> int:
    return sum(1 for r in server.requests if (r.method, r.path) == ("PUT", "/v1/objects/value"))


# ------------------------------------------------------------------------ writes


def test_each_kind_of_value_reads_back_exactly(
    client_factory: Callable[..., i3x.Client], server: DemoServer, dialect: Dialect
) -> None:
    client = client_factory(server.url)
    for element_id, value in WRITTEN.items():
        client.update_value(element_id, value)
        read = client.get_value(element_id)
        assert read.value == value, element_id
        assert type(read.value) is type(value), element_id
        assert read.quality == "Good"
    assert client.server_profile is PROFILE[dialect]
    # The missing bulk route was found once, and remembered.
    assert _bulk_puts(server) == (1 if dialect == "early-1.0" else len(WRITTEN))


def test_many_values_at_once_read_back_exactly(
    client_factory: Callable[..., i3x.Client], server: DemoServer
) -> None:
    client = client_factory(server.url)
    client.update_values(WRITTEN)
    assert {k: v.value for k, v in client.get_values(list(WRITTEN)).items()} == WRITTEN
    changed = {"number": -3.25, "boolean": False, "string": "", "object": {"temperature": 0}}
    client.with_options(timeout=10).update_values(list(changed.items()))
    assert {k: v.value for k, v in client.get_values(list(changed)).items()} == changed


def test_quality_and_timestamp_where_the_server_stores_them(
    client_factory: Callable[..., i3x.Client], server: DemoServer, dialect: Dialect
) -> None:
    client = client_factory(server.url)
    stamp = "2026-03-01T12:00:00Z"
    if dialect == "node-i3x":
        with pytest.raises(i3x.NotSupportedError, match="cannot store quality 'Uncertain'"):
            client.update_value("number", 7.5, quality="Uncertain", timestamp=stamp)
        assert _bulk_puts(server) == 0, "refused before anything was sent"
        assert client.get_value("number").value == 0.5
        return
    client.update_value("number", 7.5, quality="Uncertain", timestamp=stamp)
    read = client.get_value("number")
    assert (read.value, read.quality) == (7.5, "Uncertain")
    assert read.timestamp is not None
    assert read.timestamp.isoformat() == "2026-03-01T12:00:00+00:00"


def test_write_errors_are_typed(
    client_factory: Callable[..., i3x.Client], server: DemoServer
) -> None:
    client = client_factory(server.url)
    with pytest.raises(i3x.NotFoundError, match="Element not found: no-such-element"):
        client.update_value("no-such-element", 1)
    with pytest.raises(i3x.BulkError) as caught:
        client.update_values({"number": 2.5, "no-such-element": 1, "integer": "many"})
    assert list(caught.value.results) == ["number"]
    assert isinstance(caught.value.errors["no-such-element"], i3x.NotFoundError)
    assert isinstance(caught.value.errors["integer"], i3x.BadRequestError)
    assert client.get_value("number").value == 2.5


def test_the_spec_form_on_node_i3x_is_stored_as_an_object(
    client_factory: Callable[..., i3x.Client], i3x_server_factory: Callable[..., DemoServer]
) -> None:
    # What the profile protects against, played by the server as node-i3x does it.
    server = i3x_server_factory(_space(), dialect="node-i3x")
    client = client_factory(server.url, server_profile="spec")
    client.update_value("number", 41.5)
    assert client.get_value("number").value == {"value": 41.5}
    with pytest.raises(i3x.AuthenticationError) as caught:
        client.update_value("boolean", True)
    assert caught.value.status_code == 403
    assert "dataType: Boolean" in str(caught.value)


# ------------------------------------------------------------------- subscriptions


def test_sync_delivers_exactly_once_in_order_and_acknowledges(
    client_factory: Callable[..., i3x.Client], server: DemoServer, recorder: Recorder
) -> None:
    client = client_factory(server.url)
    recorder.attach(client)
    sub = client.subscribe(["number", "integer"], mode="sync", poll_interval=0.01)
    for i in range(10):
        server.push({"number": float(i), "integer": i})
    recorder.wait_for(lambda: len(recorder.changes) >= 20)

    assert recorder.values("number") == [float(i) for i in range(10)]
    assert recorder.values("integer") == list(range(10))
    seqs = [c.sequence_number or 0 for c in recorder.changes]
    assert all(seqs)
    assert seqs == sorted(seqs)
    client.stop_stream(sub.subscription_id)
    # Everything delivered was acknowledged: a plain sync finds nothing left.
    assert client.sync_subscription(sub) == []
    server.set_value("number", 99.0)
    assert [u.value for u in client.sync_subscription(sub).updates] == [99.0]
    assert not recorder.errors


def test_sync_reports_the_exact_gap_of_an_overflow(
    client_factory: Callable[..., i3x.Client],
    i3x_server_factory: Callable[..., DemoServer],
    dialect: Dialect,
    recorder: Recorder,
) -> None:
    server = i3x_server_factory(_space(), dialect=dialect, queue_limit=5)
    client = client_factory(server.url)
    recorder.attach(client)
    sub = client.subscribe(["number"], mode="sync", poll_interval=0.01)
    for i in range(3):  # sequence numbers 1..3, delivered
        server.set_value("number", float(i))
    recorder.wait_for(lambda: len(recorder.changes) == 3)
    client.stop_stream(sub.subscription_id)
    for i in range(3, 13):  # 4..13: the queue keeps 9..13 and drops 4..8
        server.set_value("number", float(i))
    client.start_stream(sub.subscription_id, mode="sync", poll_interval=0.01)
    recorder.wait_for(lambda: len(recorder.changes) == 8)

    [gap] = recorder.errors_of(i3x.UpdatesLostError)
    assert isinstance(gap, i3x.UpdatesLostError)
    assert (gap.first, gap.last) == (4, 8)
    assert recorder.values() == [0.0, 1.0, 2.0, 8.0, 9.0, 10.0, 11.0, 12.0]


def test_stream_delivers(
    client_factory: Callable[..., i3x.Client],
    server: DemoServer,
    dialect: Dialect,
    recorder: Recorder,
) -> None:
    client = client_factory(server.url)
    recorder.attach(client)
    client.subscribe(["number", "object"], mode="stream")
    server.set_value("number", 1.5)
    server.set_value("object", {"temperature": 1.0})
    server.push({"number": 2.5, "object": {"temperature": 2.0}})
    recorder.wait_for(lambda: len(recorder.changes) >= 4)

    assert recorder.values("number") == [1.5, 2.5]
    assert recorder.values("object") == [{"temperature": 1.0}, {"temperature": 2.0}]
    numbered = [c.sequence_number is not None for c in recorder.changes]
    # The spec's and the earlier generation's stream items carry no sequence number;
    # node-i3x numbers each one.
    assert numbered == [dialect == "node-i3x"] * len(numbered)
    assert not recorder.errors


def test_pull_form_in_both_modes(
    client_factory: Callable[..., i3x.Client], server: DemoServer
) -> None:
    client = client_factory(server.url)
    for mode in ("stream", "sync"):
        with client.subscription(["string"], mode=mode) as changes:
            server.set_value("string", mode)
            event = changes.get(timeout=10)
        assert isinstance(event, i3x.ValueChange)
        assert event.value == mode


def test_errors_of_subscriptions_are_typed(
    client_factory: Callable[..., i3x.Client], server: DemoServer
) -> None:
    client = client_factory(server.url)
    with pytest.raises(i3x.NotFoundError, match="Subscription not found"):
        client.sync_subscription("no-such-subscription")
    with pytest.raises(i3x.BulkError) as caught:
        client.get_values(["number", "no-such-element"])
    error = caught.value.errors["no-such-element"]
    assert isinstance(error, i3x.NotFoundError)
    assert error.detail == "Element not found: no-such-element"


# ------------------------------------------------------------- the Quick Start


def _quick_start() -> str:
    text = README.read_text()
    section = text[text.index("## Quick start") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_readme_quick_start_runs_unchanged(
    i3x_server_factory: Callable[..., DemoServer], dialect: Dialect
) -> None:
    server = i3x_server_factory(dialect=dialect)
    code = _quick_start()
    assert 'client.update_value("tank-201-setpoint", {"temperature": 72.5})' in code
    exec(compile(code.replace("http://localhost:8080", server.url), "README", "exec"), {})
    with i3x.Client(server.url) as client:
        assert client.get_value("tank-201-setpoint").value == {"temperature": 72.5}


def test_the_seed_quick_start_runs_unchanged(
    client_factory: Callable[..., i3x.Client],
    i3x_server_factory: Callable[..., DemoServer],
    dialect: Dialect,
) -> None:
    # The seed README's quick start, with the demo plant's ids for its placeholders.
    server = i3x_server_factory(dialect=dialect)
    client = client_factory(server.url)
    client.connect()
    namespaces = client.get_namespaces()
    object_types = client.get_object_types()
    objects = client.get_objects(type_id="temperature-transmitter-type")
    value = client.get_value("tank-201-setpoint")
    print(value.data[0].value, value.data[0].quality)
    history = client.get_history("pump-101-flow", start_time="2026-01-01T00:00:00Z")
    client.update_value("tank-201-setpoint", {"temperature": 72.5})
    assert client.get_value("tank-201-setpoint").data[0].value == {"temperature": 72.5}
    client.disconnect()

    assert {ns.uri for ns in namespaces} >= {ot.namespace_uri for ot in object_types}
    assert {o.element_id for o in objects} == {"ts-301", "ts-302", "ts-303"}
    assert len(history.data) > 10
