"""The demo plant's types as Python types, values read as them, histories as frames.

Against the embedded server over real sockets, with the sync and the async client.
"""

from __future__ import annotations

from datetime import datetime
from types import ModuleType

import pandas as pd
import pytest

import i3x
import i3x.codegen
from i3x.testing import DemoServer


@pytest.fixture(scope="module")
def plant() -> ModuleType:
    """The demo plant's types, generated from a server of their own and loaded."""
    with DemoServer(ticking=False) as server, i3x.Client(server.url) as client:
        source = i3x.codegen.generate(client.get_object_types(), source=client.base_url)
    return i3x.codegen.load(source, "demo_plant_types")


def test_the_demo_plants_types(plant: ModuleType, client: i3x.Client) -> None:
    types = client.get_object_types()
    assert list(plant.MODELS) == [t.element_id for t in types]
    assert plant.MODELS["temperature-setpoint-type"] is plant.TemperatureSetpoint
    assert plant.MODELS["flow-rate-type"] is float
    assert plant.MODELS["bottle-counter-type"] is int
    assert plant.TemperatureSetpoint.__doc__ == "Temperature setpoint of a heated tank"
    assert plant.TemperatureSetpoint.i3x_element_id == "temperature-setpoint-type"
    assert plant.TemperatureSetpoint.i3x_namespace_uri == (
        "https://example.org/i3x-demo/bottling-plant"
    )


def test_every_value_of_the_plant_fits_its_type(plant: ModuleType, client: i3x.Client) -> None:
    checked = 0
    for found in client.get_objects():
        value = client.get_value(found.element_id)
        if value.value is None:  # a container, never reported, or failed
            continue
        typed = value.value_as(plant.MODELS[found.type_id])
        assert isinstance(typed, plant.MODELS[found.type_id]), found.element_id
        checked += 1
    assert checked == 13


def test_read_the_setpoint_as_its_model(plant: ModuleType, client: i3x.Client) -> None:
    client.update_value("tank-201-setpoint", {"temperature": 65.0, "mode": "manual"})
    setpoint = client.get_value("tank-201-setpoint").value_as(plant.TemperatureSetpoint)
    assert setpoint == plant.TemperatureSetpoint(temperature=65.0, mode="manual")
    state = client.get_value("pump-101-state").value_as(plant.PumpState)
    assert state.mode == "running"
    assert isinstance(state.since, datetime)
    assert state.since.tzinfo is not None


def test_a_value_of_another_type_is_refused_by_name(plant: ModuleType, client: i3x.Client) -> None:
    with pytest.raises(i3x.ValueValidationError) as caught:
        client.get_value("pt-304").value_as(plant.TemperatureSetpoint)
    assert str(caught.value).startswith("the value of 'pt-304' does not fit TemperatureSetpoint")
    assert caught.value.element_id == "pt-304"
    with pytest.raises(i3x.ValueValidationError, match="'ts-302'"):
        client.get_value("ts-302").value_as(float)  # Bad: no value
    assert client.get_value("ts-302").value_as(float | None) is None


def test_history_and_changes_as_types(
    plant: ModuleType, client: i3x.Client, i3x_server: DemoServer
) -> None:
    history = client.get_history("pump-101-flow")
    assert len(history.data) > 100
    assert all(isinstance(vqt.value_as(float), float) for vqt in history.data)
    with client.subscription(["tank-201-setpoint"], mode="sync") as changes:
        i3x_server.set_value("tank-201-setpoint", {"temperature": 70.5})
        change = changes.get(timeout=10)
    assert isinstance(change, i3x.ValueChange)
    assert change.value_as(plant.TemperatureSetpoint).temperature == 70.5


def test_a_composition_history_as_a_frame(client: i3x.Client) -> None:
    history = client.get_history("pump-101", max_depth=0)
    frame = history.to_pandas()
    counts = frame.groupby("element_id").size().to_dict()
    assert counts["pump-101-flow"] == len(history.children["pump-101-flow"].data) > 100
    assert set(counts) == {"pump-101", *history.children}
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"
    assert frame.index.is_monotonic_increasing
    flow = frame[frame["element_id"] == "pump-101-flow"]
    assert flow["value"].tolist() == [v.value for v in history.children["pump-101-flow"].data]


def test_get_histories_as_one_frame(client: i3x.Client) -> None:
    histories = client.get_histories(["pump-101-flow", "pt-304"])
    frame = i3x.to_pandas(histories)
    assert frame["element_id"].value_counts().to_dict() == {
        key: len(value.data) for key, value in histories.items()
    }
    wide = frame.pivot_table(index="timestamp", columns="element_id", values="value")
    assert list(wide.columns) == ["pt-304", "pump-101-flow"]
