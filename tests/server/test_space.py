"""The AddressSpace builder and serving a space of one's own."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from i3x.testing import AddressSpace, DemoServer, Reading, demo_plant

from ._helpers import client_for, subscribe, sync

NS = "urn:example:press-shop"


def _space() -> AddressSpace:
    space = AddressSpace()
    space.add_namespace(NS, "Press shop")
    space.add_object_type("press-type", "Press", namespace_uri=NS, schema={"type": "object"})
    space.add_object_type(
        "force-type",
        "Force",
        namespace_uri=NS,
        schema={"type": "number", "minimum": 0, "unit": "kN"},
        source_type_id="ForceMeasurement",
    )
    space.add_relationship_type("Feeds", "Feeds", namespace_uri=NS, reverse_of="FedBy")
    space.add_object("press-1", "Press 1", type_id="press-type")
    space.add_object(
        "press-1-force", "Press 1 force", type_id="force-type", value=120.0, component_of="press-1"
    )
    space.add_object("press-2", "Press 2", type_id="press-type")
    space.add_relationship("press-1", "Feeds", "press-2")
    return space


def test_a_new_space_has_the_core_relationship_pairs() -> None:
    space = AddressSpace()
    pairs = {(r.element_id, r.reverse_of) for r in space.relationship_types()}
    assert pairs == {
        ("HasParent", "HasChildren"),
        ("HasChildren", "HasParent"),
        ("HasComponent", "ComponentOf"),
        ("ComponentOf", "HasComponent"),
    }
    assert [ns.uri for ns in space.namespaces()] == ["https://cesmii.org/i3x"]


def test_component_of_makes_a_composition_with_both_directions() -> None:
    space = _space()
    press = space.get_object("press-1")
    force = space.get_object("press-1-force")
    assert press is not None
    assert force is not None
    assert press.is_composition
    assert force.parent_id == "press-1"
    assert force.component_of == "press-1"
    assert press.relationships["HasComponent"] == ("press-1-force",)
    assert press.relationships["Feeds"] == ("press-2",)
    assert force.relationships["ComponentOf"] == ("press-1",)
    second = space.get_object("press-2")
    assert second is not None
    assert second.relationships == {"FedBy": ("press-1",)}
    assert space.get_value("press-1") == Reading(
        None, "GoodNoData", space.get_value("press-1").timestamp
    )


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (lambda s: s.add_namespace(NS, "again"), "uri"),
        (
            lambda s: s.add_object_type("t", "T", namespace_uri="urn:nope", schema={}),
            "namespace_uri",
        ),
        (lambda s: s.add_object_type("t", "T", namespace_uri=NS, schema={"type": 5}), "schema"),
        (lambda s: s.add_object_type("force-type", "F", namespace_uri=NS, schema={}), "element_id"),
        (
            lambda s: s.add_relationship_type("Feeds", "F", namespace_uri=NS, reverse_of="X"),
            "element_id",
        ),
        (
            lambda s: s.add_relationship_type("A", "A", namespace_uri=NS, reverse_of="A"),
            "reverse_of",
        ),
        (lambda s: s.add_object("x", "X", type_id="nope"), "type_id"),
        (lambda s: s.add_object("x", "X", type_id="press-type", parent_id="nope"), "parent_id"),
        (
            lambda s: s.add_object("x", "X", type_id="press-type", component_of="nope"),
            "component_of",
        ),
        (
            lambda s: s.add_object(
                "x", "X", type_id="force-type", parent_id="press-2", component_of="press-1"
            ),
            "parent_id",
        ),
        (lambda s: s.add_object("press-1", "Again", type_id="press-type"), "element_id"),
        (lambda s: s.add_object("", "Empty", type_id="press-type"), "element_id"),
        (lambda s: s.add_object("x", "X", type_id="force-type", value=-1.0), "value"),
        (
            lambda s: s.add_object("x", "X", type_id="force-type", value=None, quality="Good"),
            "value",
        ),
        (
            lambda s: s.add_object("x", "X", type_id="force-type", value=1.0, quality="OK"),
            "quality",
        ),
        (lambda s: s.add_relationship("press-1", "Feeds", "nope"), "target_id"),
        (lambda s: s.add_relationship("nope", "Feeds", "press-1"), "source_id"),
        (lambda s: s.add_relationship("press-1", "Nope", "press-2"), "relationship_type"),
        (lambda s: s.add_relationship("press-1", "HasComponent", "press-2"), "relationship_type"),
        (lambda s: s.set_value("press-1-force", float("nan")), "value"),
        (lambda s: s.set_value("press-1-force", 1.0, timestamp=datetime(2026, 1, 1)), "timestamp"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_argument(build: Any, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        build(_space())


def test_history_is_kept_in_time_order_and_bounded() -> None:
    space = AddressSpace(history_limit=3)
    space.add_namespace(NS, "Press shop")
    space.add_object_type("n", "N", namespace_uri=NS, schema={"type": "number"})
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    space.add_object("x", "X", type_id="n", value=0.0, timestamp=start)
    space.set_value("x", 2.0, timestamp=start + timedelta(seconds=2))
    space.insert_history("x", Reading(1.0, "Good", start + timedelta(seconds=1)))
    assert [r.value for r in space.get_history("x")] == [0.0, 1.0, 2.0]
    assert space.get_value("x").value == 2.0
    space.set_value("x", 3.0, timestamp=start + timedelta(seconds=3))
    assert [r.value for r in space.get_history("x")] == [1.0, 2.0, 3.0]
    window = space.get_history("x", start + timedelta(seconds=2), start + timedelta(seconds=3))
    assert [r.value for r in window] == [2.0, 3.0]


def test_a_space_of_ones_own_is_served_with_its_simulation(i3x_server_factory: Any) -> None:
    space = _space()

    def press_harder(space: AddressSpace, now: datetime) -> Mapping[str, Reading]:
        force = space.get_value("press-1-force").value
        return {"press-1-force": Reading(force + 1.0, "Good", now)}

    space.set_simulation(press_harder)
    server: DemoServer = i3x_server_factory(space)
    with client_for(server.api_url) as api:
        sid = subscribe(api, ["press-1"], max_depth=0)
        server.tick()
        value = api.post("/objects/value", json={"elementIds": ["press-1"], "maxDepth": 0}).json()
        result = value["results"][0]["result"]
        assert result["isComposition"] is True
        assert result["components"]["press-1-force"]["value"] == 121.0
        batch = sync(api, sid).json()["result"][0]
        assert [u["elementId"] for u in batch["updates"]] == ["press-1", "press-1-force"]
        meta = api.post(
            "/objects/list", json={"elementIds": ["press-1-force"], "includeMetadata": True}
        )
        metadata = meta.json()["results"][0]["result"]["metadata"]
        assert metadata["engUnit"] == "kN"
        assert metadata["sourceTypeId"] == "ForceMeasurement"
        related = api.post("/objects/related", json={"elementIds": ["press-2"]}).json()
        assert related["results"][0]["result"][0]["sourceRelationship"] == "FedBy"


def test_a_space_without_simulation_does_not_tick(i3x_server_factory: Any) -> None:
    server: DemoServer = i3x_server_factory(_space())
    assert server.tick() == {}


def test_the_demo_plant_is_reproducible_per_seed() -> None:
    first, second, other = demo_plant(seed=7), demo_plant(seed=7), demo_plant(seed=8)
    flows = [p.get_value("pump-101-flow").value for p in (first, second, other)]
    assert flows[0] == flows[1]
    assert flows[0] != flows[2]


def test_the_demo_plant_seeds_an_hour_of_history() -> None:
    plant = demo_plant()
    history = plant.get_history("pt-304")
    assert history[-1].timestamp - history[0].timestamp >= timedelta(minutes=59)
    failed = plant.get_history("ts-302")
    assert failed[0].quality == "Good"
    assert failed[-1].quality == "Bad"
    assert failed[-1].value is None
    assert len(plant.get_history("ts-301")) == 1


def test_the_plant_tank_follows_its_setpoint(i3x_server: DemoServer, api: httpx.Client) -> None:
    i3x_server.set_value("tank-201-setpoint", {"temperature": 90.0, "mode": "manual"})
    for _ in range(60):
        i3x_server.tick()
    assert i3x_server.space.get_value("tank-201-temperature").value > 85.0
