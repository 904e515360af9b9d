"""The ``GET /objects`` answer the decode benchmark serves: a plant of 100,000 objects.

Stdlib only and deterministic (no randomness, no clock), so that every run and
both clients decode the very same bytes. The shape follows what real i3X
servers send for a plant: long hierarchical element ids, a few dozen types,
machines that are compositions of their sensors, and a sprinkling of
instance-extended objects.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["TYPE_COUNT", "info_answer", "objects_answer", "plant_objects"]

_TYPE_NAMES = (
    "Enterprise",
    "Site",
    "Area",
    "ProductionLine",
    "Machine",
    "CNCMachine",
    "Press",
    "Robot",
    "Conveyor",
    "Pump",
    "Compressor",
    "Boiler",
    "Chiller",
    "Tank",
    "Valve",
    "Motor",
    "Drive",
    "Heater",
    "Mixer",
    "Filler",
    "Capper",
    "Labeler",
    "Palletizer",
    "TemperatureSensor",
    "PressureSensor",
    "FlowSensor",
    "LevelSensor",
    "VibrationSensor",
    "SpeedSensor",
    "PowerMeter",
    "CurrentSensor",
    "HumiditySensor",
    "Counter",
    "StateMachine",
    "AlarmPoint",
)
TYPE_COUNT = len(_TYPE_NAMES)
_TYPE_PREFIX = "urn:i3x:bench:"
# Fixed fan-out per level; the last level fills up to the requested count.
_SITES, _AREAS, _LINES, _MACHINES = 4, 6, 8, 25
_MACHINE_TYPES = _TYPE_NAMES[4:23]
_SENSOR_TYPES = _TYPE_NAMES[23:]


def _type(name: str) -> str:
    return _TYPE_PREFIX + name + "Type"


def plant_objects(count: int = 100_000) -> list[dict[str, Any]]:
    """``count`` objects in wire form (camelCase), parents before their children."""
    objects: list[dict[str, Any]] = []

    def add(
        element_id: str,
        name: str,
        type_name: str,
        parent: str | None,
        *,
        composition: bool = False,
    ) -> None:
        objects.append(
            {
                "elementId": element_id,
                "displayName": name,
                "typeElementId": _type(type_name),
                "parentId": parent,
                "isComposition": composition,
                # Every 23rd object carries instance-specific schema extensions.
                "isExtended": len(objects) % 23 == 0,
            }
        )

    root = "acme"
    add(root, "ACME Manufacturing", "Enterprise", None)
    machines: list[tuple[str, str]] = []
    for s in range(_SITES):
        site = f"{root}/site-{s:02d}"
        add(site, f"Site {s}", "Site", root)
        for a in range(_AREAS):
            area = f"{site}/area-{a:02d}"
            add(area, f"Site {s} Area {a}", "Area", site)
            for ln in range(_LINES):
                line = f"{area}/line-{ln:02d}"
                add(line, f"Area {a} Line {ln}", "ProductionLine", area)
                for m in range(_MACHINES):
                    kind = _MACHINE_TYPES[(s * 7 + a * 5 + ln * 3 + m) % len(_MACHINE_TYPES)]
                    machine = f"{line}/{kind.lower()}-{m:03d}"
                    add(machine, f"Line {ln} {kind} {m}", kind, line, composition=True)
                    machines.append((machine, kind))
    # Sensors round-robin over the machines until the count is reached.
    i = 0
    while len(objects) < count:
        machine, kind = machines[i % len(machines)]
        sensor = _SENSOR_TYPES[i % len(_SENSOR_TYPES)]
        n = i // len(machines)
        add(
            f"{machine}/{sensor.lower()}-{n:02d}",
            f"{kind} {sensor} {n}",
            sensor,
            machine,
        )
        i += 1
    return objects[:count]


def objects_answer(count: int = 100_000) -> bytes:
    """The whole ``GET /objects`` answer, in the i3X 1.0 envelope, as a server sends it."""
    body = {"success": True, "result": plant_objects(count)}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def info_answer() -> bytes:
    """A ``GET /info`` answer of an i3X 1.0 server."""
    info = {
        "specVersion": "1.0",
        "serverVersion": "1.0.0",
        "serverName": "i3x-bench",
        "capabilities": {
            "query": {"history": True},
            "update": {"current": True, "history": True},
            "subscribe": {"stream": True},
        },
    }
    return json.dumps({"success": True, "result": info}).encode()
