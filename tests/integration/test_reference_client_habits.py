"""Code moved over from the 1.0 reference client, against the embedded server over sockets.

Its habits land as it means them on every server generation: a dict of value, quality
and timestamp is written as a VQT (never nested as the value), a VQT-shaped dict meant
as a value is written as one when wrapped in `i3x.VQT`, and the per-item results of
writes and registrations come back. Both clients run every test (see conftest).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

import i3x
from i3x.testing import DIALECTS, AddressSpace, DemoServer, Dialect


def _space() -> AddressSpace:
    space = AddressSpace()
    space.add_namespace("urn:test", "test")
    space.add_object_type(
        "number-type", "number", namespace_uri="urn:test", schema={"type": "number"}
    )
    # A plant type whose values look like VQTs: written only when meant as values.
    reading: dict[str, Any] = {
        "type": "object",
        "properties": {"value": {"type": "number"}, "quality": {"type": "string"}},
        "required": ["value"],
        "additionalProperties": False,
    }
    space.add_object_type("reading-type", "reading", namespace_uri="urn:test", schema=reading)
    space.add_object("number", "number", type_id="number-type", value=0.5)
    space.add_object("reading", "reading", type_id="reading-type", value={"value": 0.0})
    return space


@pytest.fixture(params=DIALECTS)
def server(
    request: pytest.FixtureRequest, i3x_server_factory: Callable[..., DemoServer]
) -> DemoServer:
    dialect: Dialect = request.param
    return i3x_server_factory(_space(), dialect=dialect)


def test_a_vqt_shaped_dict_is_written_as_a_vqt_never_nested(
    client_factory: Callable[..., i3x.Client], server: DemoServer
) -> None:
    client = client_factory(server.url)

    client.update_value("number", {"value": 72.5, "quality": "Good"})
    read = client.get_value("number")
    assert (read.value, read.quality) == (72.5, "Good")

    client.update_values({"number": {"value": 18.25}})
    read = client.get_value("number")
    assert read.value == 18.25
    assert type(read.value) is float


def test_a_vqt_shaped_dict_meant_as_the_value_is_written_whole_when_wrapped(
    client_factory: Callable[..., i3x.Client], server: DemoServer
) -> None:
    client = client_factory(server.url)
    meant = {"value": 3.5, "quality": "calibrated"}

    client.update_value("reading", i3x.VQT(value=meant))

    read = client.get_value("reading")
    assert read.value == meant
    assert read.quality == "Good"


def test_the_vqt_shaped_dicts_quality_and_timestamp_are_stored(
    client_factory: Callable[..., i3x.Client], i3x_server_factory: Callable[..., DemoServer]
) -> None:
    server = i3x_server_factory(_space())  # an i3X 1.0 server stores both
    client = client_factory(server.url)
    stamp = "2026-03-01T12:00:00Z"

    client.update_value("number", {"value": 7.5, "quality": "Uncertain", "timestamp": stamp})

    read = client.get_value("number")
    assert (read.value, read.quality) == (7.5, "Uncertain")
    assert read.timestamp == datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def test_writes_and_registrations_return_their_items(
    client_factory: Callable[..., i3x.Client], server: DemoServer
) -> None:
    client = client_factory(server.url)

    written = client.update_values(
        {"number": {"value": 2.0}, "reading": i3x.VQT(value={"value": 4.0, "quality": "Good"})}
    )
    assert written == [
        i3x.BulkItem(success=True, element_id="number"),
        i3x.BulkItem(success=True, element_id="reading"),
    ]
    assert client.get_value("number").value == 2.0
    assert client.get_value("reading").value == {"value": 4.0, "quality": "Good"}

    sub_id = client.create_subscription()
    registered = client.register_items(sub_id, ["number", "reading"], max_depth=1)
    assert [(r["elementId"], r["success"]) for r in registered] == [
        ("number", True),
        ("reading", True),
    ]
    unregistered = client.unregister_items(sub_id, ["reading"])
    assert [r["elementId"] for r in unregistered] == ["reading"]
    assert client.get_subscription(sub_id).objects == ["number"]


def test_a_beta_server_gets_the_value_of_a_vqt_shaped_dict_and_no_timestamp(
    client_factory: Callable[..., i3x.Client], i3x_server_factory: Callable[..., DemoServer]
) -> None:
    server = i3x_server_factory(_space(), beta=True)
    client = client_factory(server.url)
    with pytest.warns(DeprecationWarning, match="beta"):
        client.connect()

    client.update_value("number", {"value": 75.0, "quality": "Good"})
    assert client.get_value("number").value == 75.0

    puts = len([r for r in server.requests if r.method == "PUT"])
    with pytest.raises(i3x.NotSupportedError, match="cannot store a timestamp"):
        client.update_value("number", {"value": 76.0, "timestamp": "2026-01-01T00:00:00Z"})
    assert len([r for r in server.requests if r.method == "PUT"]) == puts
    assert client.get_value("number").value == 75.0
