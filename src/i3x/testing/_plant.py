"""The demo plant: a small bottling site whose values drift like real instruments.

Layout (parentId tree; `*` marks compositions, `-` their HasComponent members):

    site-1                          Springfield Bottling Plant (root)
      area-utilities                Utilities
        pump-101 *                  Cooling water pump P-101      SuppliesTo tank-201
          - pump-101-flow           m3/h
          - pump-101-discharge-pressure   bar
          - pump-101-state          {"mode", "since"}
          - pump-101-motor *        Motor M-101
              - pump-101-motor-temperature  degC
              - pump-101-motor-current      A
        tank-201 *                  Process water tank T-201      SuppliesTo filler-401
          - tank-201-level          %
          - tank-201-temperature    degC, follows the setpoint
          tank-201-setpoint         {"temperature", "mode"} (child, not a component)
        ts-301                      never reported: GoodNoData, null
        ts-302                      failed 25 minutes ago: Bad, null
        ts-303                      in calibration: Uncertain   Monitors tank-201
        pt-304                      header pressure, Good        Monitors pump-101
      area-bottling                 Bottling Hall
        line-1                      Bottling Line 1
          conveyor-501              {"running", "speed"}         SuppliesTo filler-401
          filler-401 *              Rotary filler F-401
            - filler-401-speed      bottles/min (integer)
            - filler-401-bottle-count   bottles (integer counter)

Each numeric value is a bounded random walk pulled towards its setpoint, from a seeded
random generator so that a given seed always gives the same plant.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ._space import AddressSpace, Reading, utc_now
from ._wire import format_timestamp

__all__ = ["ISA95_NAMESPACE_URI", "PLANT_NAMESPACE_URI", "demo_plant"]

ISA95_NAMESPACE_URI = "https://isa.org/isa95"
PLANT_NAMESPACE_URI = "https://example.org/i3x-demo/bottling-plant"

_HISTORY_SPAN = timedelta(hours=1)
_HISTORY_STEP = timedelta(seconds=30)
_TS302_FAILS_AFTER = timedelta(minutes=35)


def _number(description: str, unit: str, minimum: float, maximum: float) -> dict[str, Any]:
    return {
        "type": "number",
        "description": f"{description} in {unit}",
        "unit": unit,
        "minimum": minimum,
        "maximum": maximum,
    }


def _container(description: str) -> dict[str, Any]:
    return {"type": "object", "description": description}


_OBJECT_TYPES: list[tuple[str, str, str, dict[str, Any]]] = [
    # (element id, display name, namespace, schema)
    ("site-type", "Site", ISA95_NAMESPACE_URI, _container("ISA-95 site: a plant location")),
    ("area-type", "Area", ISA95_NAMESPACE_URI, _container("ISA-95 area within a site")),
    (
        "production-line-type",
        "ProductionLine",
        ISA95_NAMESPACE_URI,
        _container("ISA-95 production line work center"),
    ),
    (
        "pump-type",
        "CentrifugalPump",
        PLANT_NAMESPACE_URI,
        _container("Centrifugal pump; its measurements are its components"),
    ),
    ("motor-type", "InductionMotor", PLANT_NAMESPACE_URI, _container("Electric drive motor")),
    ("tank-type", "StorageTank", PLANT_NAMESPACE_URI, _container("Heated storage tank")),
    ("filler-type", "RotaryFiller", PLANT_NAMESPACE_URI, _container("Rotary bottle filler")),
    (
        "conveyor-type",
        "Conveyor",
        PLANT_NAMESPACE_URI,
        {
            "type": "object",
            "description": "Belt conveyor status",
            "properties": {
                "running": {"type": "boolean"},
                "speed": _number("Belt speed", "m/s", 0, 3),
            },
            "required": ["running", "speed"],
            "additionalProperties": False,
        },
    ),
    (
        "flow-rate-type",
        "VolumetricFlowRate",
        PLANT_NAMESPACE_URI,
        _number("Volumetric flow rate", "m3/h", 0, 200),
    ),
    ("pressure-type", "Pressure", PLANT_NAMESPACE_URI, _number("Gauge pressure", "bar", 0, 25)),
    (
        "temperature-type",
        "Temperature",
        PLANT_NAMESPACE_URI,
        _number("Temperature", "°C", -40, 200),
    ),
    (
        "current-type",
        "ElectricCurrent",
        PLANT_NAMESPACE_URI,
        _number("Electric current", "A", 0, 200),
    ),
    ("level-type", "FillLevel", PLANT_NAMESPACE_URI, _number("Fill level", "%", 0, 100)),
    (
        "pump-state-type",
        "PumpState",
        PLANT_NAMESPACE_URI,
        {
            "type": "object",
            "description": "Operating mode of a pump and since when it is in it",
            "properties": {
                "mode": {"enum": ["running", "stopped", "maintenance", "fault"]},
                "since": {"type": "string", "format": "date-time"},
            },
            "required": ["mode", "since"],
            "additionalProperties": False,
        },
    ),
    (
        "temperature-setpoint-type",
        "TemperatureSetpoint",
        PLANT_NAMESPACE_URI,
        {
            "type": "object",
            "description": "Temperature setpoint of a heated tank",
            "properties": {
                "temperature": _number("Setpoint temperature", "°C", 0, 120),
                "mode": {"enum": ["auto", "manual"]},
            },
            "required": ["temperature"],
            "additionalProperties": False,
        },
    ),
    (
        "temperature-transmitter-type",
        "TemperatureTransmitter",
        PLANT_NAMESPACE_URI,
        _number("Measured temperature", "°C", -40, 200),
    ),
    (
        "pressure-transmitter-type",
        "PressureTransmitter",
        PLANT_NAMESPACE_URI,
        _number("Measured gauge pressure", "bar", 0, 25),
    ),
    (
        "bottle-rate-type",
        "BottleRate",
        PLANT_NAMESPACE_URI,
        {
            "type": "integer",
            "description": "Bottles per minute",
            "unit": "bottles/min",
            "minimum": 0,
            "maximum": 1000,
        },
    ),
    (
        "bottle-counter-type",
        "BottleCounter",
        PLANT_NAMESPACE_URI,
        {
            "type": "integer",
            "description": "Bottles filled since the counter was reset",
            "unit": "bottles",
            "minimum": 0,
        },
    ),
]


@dataclass(frozen=True)
class _Drift:
    """A bounded random walk pulled towards a setpoint."""

    setpoint: float
    noise: float
    low: float
    high: float
    decimals: int = 2
    pull: float = 0.1

    def next(self, rng: random.Random, current: float, setpoint: float | None = None) -> float:
        target = self.setpoint if setpoint is None else setpoint
        moved = current + self.pull * (target - current) + rng.gauss(0.0, self.noise)
        return round(min(self.high, max(self.low, moved)), self.decimals)


_DRIFTS: dict[str, _Drift] = {
    "pump-101-flow": _Drift(42.0, 0.6, 0, 60),
    "pump-101-discharge-pressure": _Drift(3.2, 0.04, 0, 10, decimals=3),
    "pump-101-motor-temperature": _Drift(58.0, 0.3, -20, 150),
    "pump-101-motor-current": _Drift(18.5, 0.25, 0, 40),
    "tank-201-level": _Drift(65.0, 0.5, 0, 100),
    "tank-201-temperature": _Drift(72.0, 0.15, 0, 120),
    "pt-304": _Drift(3.1, 0.03, 0, 10, decimals=3),
}
_TS303 = _Drift(72.8, 0.4, -40, 200)
_FILLER_SPEED = _Drift(300.0, 4.0, 0, 400, decimals=0)
_CONVEYOR_SPEED = _Drift(0.8, 0.02, 0, 2, decimals=3)


class _PlantSimulation:
    """One step of the plant; values that were written keep drifting from where they are."""

    def __init__(self, rng: random.Random, ts302_fails_at: datetime) -> None:
        self._rng = rng
        self._ts302_fails_at = ts302_fails_at
        self._ts302_failed = False
        self._last_step: datetime | None = None

    def __call__(self, space: AddressSpace, now: datetime) -> Mapping[str, Reading]:
        rng = self._rng
        changes: dict[str, Reading] = {}

        def current_number(element_id: str, fallback: float) -> float:
            value = space.get_value(element_id).value
            return float(value) if isinstance(value, int | float) else fallback

        setpoint = space.get_value("tank-201-setpoint").value
        tank_target = None
        if isinstance(setpoint, dict) and isinstance(setpoint.get("temperature"), int | float):
            tank_target = float(setpoint["temperature"])
        for element_id, drift in _DRIFTS.items():
            current = current_number(element_id, drift.setpoint)
            target = tank_target if element_id == "tank-201-temperature" else None
            changes[element_id] = Reading(drift.next(rng, current, target), "Good", now)

        tank_temperature = changes["tank-201-temperature"].value
        ts303 = _TS303.next(rng, current_number("ts-303", _TS303.setpoint), tank_temperature + 0.8)
        changes["ts-303"] = Reading(ts303, "Uncertain", now)

        if now < self._ts302_fails_at:
            value = round(tank_temperature + rng.gauss(0.0, 0.2), 2)
            changes["ts-302"] = Reading(value, "Good", now)
        elif not self._ts302_failed:
            self._ts302_failed = True
            changes["ts-302"] = Reading(None, "Bad", now)

        speed = int(_FILLER_SPEED.next(rng, current_number("filler-401-speed", 300.0)))
        changes["filler-401-speed"] = Reading(speed, "Good", now)
        if self._last_step is not None:
            seconds = max(0.0, (now - self._last_step).total_seconds())
            count = int(current_number("filler-401-bottle-count", 0.0))
            changes["filler-401-bottle-count"] = Reading(
                count + int(speed * seconds / 60), "Good", now
            )
        self._last_step = now

        conveyor = space.get_value("conveyor-501").value
        if isinstance(conveyor, dict) and conveyor.get("running") is True:
            belt = _CONVEYOR_SPEED.next(rng, float(conveyor.get("speed", 0.8)))
            changes["conveyor-501"] = Reading({"running": True, "speed": belt}, "Good", now)
        return changes


def demo_plant(*, seed: int | None = 0) -> AddressSpace:
    """Build the demo bottling plant with an hour of history already recorded.

    Args:
        seed: Seed of the random walks; None for a different plant every time.

    Returns:
        A new address space with the plant's simulation installed (`AddressSpace.step`).
    """
    space = AddressSpace()
    space.add_namespace(ISA95_NAMESPACE_URI, "ISA-95 equipment hierarchy")
    space.add_namespace(PLANT_NAMESPACE_URI, "Demo bottling plant")
    for element_id, display_name, namespace_uri, schema in _OBJECT_TYPES:
        space.add_object_type(element_id, display_name, namespace_uri=namespace_uri, schema=schema)
    space.add_relationship_type(
        "SuppliesTo", "SuppliesTo", namespace_uri=PLANT_NAMESPACE_URI, reverse_of="SuppliedBy"
    )
    space.add_relationship_type(
        "Monitors", "Monitors", namespace_uri=PLANT_NAMESPACE_URI, reverse_of="MonitoredBy"
    )

    start = utc_now() - _HISTORY_SPAN
    since = format_timestamp(start)

    def add(element_id: str, name: str, type_id: str, value: Any = None, **kw: Any) -> None:
        space.add_object(element_id, name, type_id=type_id, value=value, timestamp=start, **kw)

    add("site-1", "Springfield Bottling Plant", "site-type", description="Bottling site")
    add(
        "area-utilities",
        "Utilities",
        "area-type",
        parent_id="site-1",
        description="Cooling and process water",
    )
    add("area-bottling", "Bottling Hall", "area-type", parent_id="site-1")
    add(
        "line-1",
        "Bottling Line 1",
        "production-line-type",
        parent_id="area-bottling",
        description="PET bottling line, 0.5 l",
    )

    add(
        "pump-101",
        "Cooling Water Pump P-101",
        "pump-type",
        parent_id="area-utilities",
        description="Centrifugal pump feeding process water tank T-201",
    )
    add("pump-101-flow", "P-101 Flow", "flow-rate-type", 42.0, component_of="pump-101")
    add(
        "pump-101-discharge-pressure",
        "P-101 Discharge Pressure",
        "pressure-type",
        3.2,
        component_of="pump-101",
    )
    add(
        "pump-101-state",
        "P-101 State",
        "pump-state-type",
        {"mode": "running", "since": since},
        component_of="pump-101",
    )
    add(
        "pump-101-motor",
        "Motor M-101",
        "motor-type",
        component_of="pump-101",
        description="15 kW induction motor driving P-101",
    )
    add(
        "pump-101-motor-temperature",
        "M-101 Winding Temperature",
        "temperature-type",
        58.0,
        component_of="pump-101-motor",
    )
    add(
        "pump-101-motor-current",
        "M-101 Current",
        "current-type",
        18.5,
        component_of="pump-101-motor",
    )

    add(
        "tank-201",
        "Process Water Tank T-201",
        "tank-type",
        parent_id="area-utilities",
        description="Heated 20 m3 process water tank",
    )
    add("tank-201-level", "T-201 Level", "level-type", 65.0, component_of="tank-201")
    add(
        "tank-201-temperature",
        "T-201 Temperature",
        "temperature-type",
        72.0,
        component_of="tank-201",
    )
    add(
        "tank-201-setpoint",
        "T-201 Temperature Setpoint",
        "temperature-setpoint-type",
        {"temperature": 72.0, "mode": "auto"},
        parent_id="tank-201",
    )

    add(
        "ts-301",
        "TS-301 Return Line Temperature",
        "temperature-transmitter-type",
        parent_id="area-utilities",
        description="Installed, never reported a value",
    )
    add(
        "ts-302",
        "TS-302 Tank Outlet Temperature",
        "temperature-transmitter-type",
        72.1,
        parent_id="area-utilities",
        description="Failed: sensor wire break",
    )
    add(
        "ts-303",
        "TS-303 Tank Temperature",
        "temperature-transmitter-type",
        72.8,
        quality="Uncertain",
        parent_id="area-utilities",
        description="In calibration; readings are Uncertain",
    )
    add(
        "pt-304",
        "PT-304 Header Pressure",
        "pressure-transmitter-type",
        3.1,
        parent_id="area-utilities",
        description="Cooling water header pressure",
    )

    add(
        "conveyor-501",
        "Infeed Conveyor C-501",
        "conveyor-type",
        {"running": True, "speed": 0.8},
        parent_id="line-1",
    )
    add(
        "filler-401",
        "Rotary Filler F-401",
        "filler-type",
        parent_id="line-1",
        description="40-valve rotary filler",
    )
    add("filler-401-speed", "F-401 Speed", "bottle-rate-type", 300, component_of="filler-401")
    add(
        "filler-401-bottle-count",
        "F-401 Bottle Count",
        "bottle-counter-type",
        1_250_000,
        component_of="filler-401",
    )

    space.add_relationship("pump-101", "SuppliesTo", "tank-201")
    space.add_relationship("tank-201", "SuppliesTo", "filler-401")
    space.add_relationship("conveyor-501", "SuppliesTo", "filler-401")
    space.add_relationship("ts-303", "Monitors", "tank-201")
    space.add_relationship("pt-304", "Monitors", "pump-101")

    # Instrument noise, not secrets: a seeded generator keeps the plant reproducible.
    rng = random.Random(seed)  # noqa: S311
    simulation = _PlantSimulation(rng, start + _TS302_FAILS_AFTER)
    steps = int(_HISTORY_SPAN / _HISTORY_STEP)
    for step in range(1, steps + 1):
        space.apply(simulation(space, start + step * _HISTORY_STEP))
    space.set_simulation(simulation)
    return space
