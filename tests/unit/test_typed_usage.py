"""User code written the pydantic way, typed: it runs here, and type checkers accept it.

mypy --strict checks it with the rest of tests/, and tests/test_code_quality.py runs
pyright over it in strict mode. `assert_type` makes both checkers confirm the return
types a user relies on; at run time it does nothing.
"""

# pyright: strict

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pydantic
import pytest
from pydantic.fields import FieldInfo
from typing_extensions import assert_type

import i3x

PUMP: dict[str, Any] = {
    "elementId": "pump-101",
    "displayName": "Pump 101",
    "typeElementId": "pump-type",
    "parentId": "line-1",
    "isComposition": True,
    "vendor": {"name": "Sterfive SAS"},
}


def test_validate_a_dict() -> None:
    pump = i3x.ObjectInstance.model_validate(PUMP)
    assert_type(pump, i3x.ObjectInstance)
    assert (pump.element_id, pump.type_id, pump.is_composition) == ("pump-101", "pump-type", True)
    assert pump.model_extra == {"vendor": {"name": "Sterfive SAS"}}


def test_validate_json() -> None:
    vqt = i3x.VQT.model_validate_json(b'{"value": 72.5, "timestamp": "2026-11-24T10:47:22Z"}')
    assert_type(vqt, i3x.VQT)
    assert vqt.quality == i3x.Quality.GOOD
    assert vqt.timestamp == datetime(2026, 11, 24, 10, 47, 22, tzinfo=timezone.utc)


def test_dump_by_alias_and_by_name() -> None:
    pump = i3x.ObjectInstance.model_validate(PUMP)
    wire = pump.model_dump(by_alias=True, exclude_none=True)
    assert_type(wire, dict[str, Any])
    assert wire == {**PUMP, "isExtended": False}
    python = pump.model_dump(by_alias=False, include={"element_id", "parent_id"})
    assert python == {"element_id": "pump-101", "parent_id": "line-1"}


def test_dump_json_round_trips() -> None:
    value = i3x.LastKnownValue.model_validate(
        {
            "elementId": "pt-304",
            "value": 3.2,
            "quality": "Good",
            "timestamp": "2026-01-01T00:00:00Z",
        }
    )
    text = value.model_dump_json()
    assert_type(text, str)
    assert i3x.LastKnownValue.model_validate_json(text) == value


def test_copy_with_an_update() -> None:
    pump = i3x.ObjectInstance.model_validate(PUMP)
    renamed = pump.model_copy(update={"display_name": "Pump 101 (spare)"})
    assert_type(renamed, i3x.ObjectInstance)
    assert renamed.display_name == "Pump 101 (spare)"
    assert renamed.element_id == pump.element_id
    assert renamed.model_extra == pump.model_extra
    assert pump.display_name == "Pump 101"


def test_read_model_fields() -> None:
    fields = i3x.ObjectInstance.model_fields
    assert_type(fields, dict[str, FieldInfo])
    required = [name for name, field in fields.items() if field.is_required()]
    assert required == ["element_id"]
    assert fields["parent_id"].description == (
        "Element id of the parent in the organisational tree; `None` for a root."
    )


def test_json_schema() -> None:
    schema = i3x.VQT.model_json_schema()
    assert_type(schema, dict[str, Any])
    assert schema["properties"]["quality"]["default"] == "Good"


def test_bad_data_raises_validation_error() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        i3x.ServerInfo.model_validate({"serverName": "no version"})
    assert [e["loc"] for e in caught.value.errors()] == [("specVersion",)]
    assert isinstance(caught.value, ValueError)


def test_a_list_through_a_type_adapter() -> None:
    adapter = pydantic.TypeAdapter(list[i3x.ObjectInstance])
    objects = adapter.validate_python([PUMP, {"elementId": "line-1"}])
    assert_type(objects, list[i3x.ObjectInstance])
    assert [o.element_id for o in objects] == ["pump-101", "line-1"]
    assert adapter.validate_json(adapter.dump_json(objects)) == objects


class PlantSnapshot(pydantic.BaseModel):
    """A user's own model holding i3x models."""

    model_config = pydantic.ConfigDict(frozen=True)

    taken: datetime
    objects: list[i3x.ObjectInstance]
    values: dict[str, i3x.VQT] = {}


def test_i3x_models_inside_a_user_model() -> None:
    snapshot = PlantSnapshot.model_validate(
        {"taken": "2026-01-01T00:00:00Z", "objects": [PUMP], "values": {"pump-101": {"value": 1}}}
    )
    assert_type(snapshot.objects[0], i3x.ObjectInstance)
    assert snapshot.values["pump-101"].value == 1
    dumped = snapshot.model_dump(mode="json")
    assert dumped["objects"][0]["elementId"] == "pump-101"
    assert PlantSnapshot.model_validate(dumped) == snapshot


def test_code_written_for_the_reference_client_imports_and_types() -> None:
    # i3x-client 1.0.0's import paths and names, as its README and tests use them.
    from i3x.client import Client
    from i3x.errors import NotFoundError, for_status
    from i3x.models import VQT, CurrentValue, HistoricalValue

    def newest(value: CurrentValue) -> float:
        return float(value.value)

    current = CurrentValue.from_dict("obj-1", {"value": 72.5, "quality": "Good"})
    assert_type(current, i3x.LastKnownValue)
    assert newest(current) == 72.5
    history = HistoricalValue.from_dict("obj-1", {"values": [{"value": 1.0}]})
    assert_type(history.values, list[VQT])
    assert history.components is None
    assert_type(for_status(404), type[i3x.APIStatusError])
    assert issubclass(for_status(404), NotFoundError)
    assert Client is i3x.Client


def test_callbacks_are_typed_with_the_clients_own_class() -> None:
    # A lambda's parameters take their types from the callback's: the IDE completes
    # `change.` and `client.`, and the checkers catch a typo (the ignore below is
    # used, or mypy fails).
    client = i3x.Client("http://127.0.0.1:9")
    assert_type(client.on_connect, Callable[[i3x.Client], object] | None)
    seen: list[tuple[i3x.Client, str]] = []
    client.on_value_change = lambda c, change: seen.append((c, change.element_id))
    client.on_error = lambda c, error: seen.append((c, str(error)))
    client.on_subscribe = lambda c, sub: seen.append((c, sub.subscription_id))
    client.on_connect = lambda c: seen.append((c, c.base_url))
    client.on_disconnect = lambda c: c.on_value_change
    change = i3x.ValueChange.model_validate(
        {"subscriptionId": "s1", "elementId": "pt-304", "value": 1.0}
    )
    callback = client.on_value_change
    assert callback is not None
    callback(client, change)
    assert seen == [(client, "pt-304")]
    client.on_value_change = lambda c, change: change.elment_id  # type: ignore[attr-defined]

    async_client = i3x.AsyncClient("http://127.0.0.1:9")
    assert_type(
        async_client.on_value_change,
        Callable[[i3x.AsyncClient, i3x.ValueChange], object] | None,
    )

    async def on_change(c: i3x.AsyncClient, change: i3x.ValueChange) -> None:
        assert c is async_client

    async_client.on_value_change = on_change  # coroutine callbacks: AsyncClient awaits them
    assert async_client.on_value_change is on_change
