"""info, namespaces, types, relationships and objects: human and JSON output."""

from __future__ import annotations

from i3x.testing import ISA95_NAMESPACE_URI, PLANT_NAMESPACE_URI, DemoServer

from .conftest import Cli


def test_info_shows_versions_and_capabilities(plant: Cli, i3x_server: DemoServer) -> None:
    out = plant("info")
    assert out.exit_code == 0, out.stderr
    assert "i3x demo server" in out.stdout
    assert "Spec version" in out.stdout
    assert "1.0" in out.stdout
    assert "Streaming (SSE)" in out.stdout
    assert i3x_server.url in out.stdout


def test_info_json_is_the_server_info(plant: Cli, i3x_server: DemoServer) -> None:
    i3x_server.set_capabilities(stream=False)
    data = plant("--json", "info").json()
    assert data["specVersion"] == "1.0"
    assert data["serverName"] == "i3x demo server"
    assert data["capabilities"]["subscribe"]["stream"] is False
    assert data["capabilities"]["query"]["history"] is True


def test_namespaces(plant: Cli) -> None:
    out = plant("namespaces")
    assert out.exit_code == 0
    assert PLANT_NAMESPACE_URI in out.stdout
    assert "ISA-95 equipment hierarchy" in out.stdout
    uris = [ns["uri"] for ns in plant("--json", "namespaces").json()]
    assert ISA95_NAMESPACE_URI in uris
    assert PLANT_NAMESPACE_URI in uris


def test_types_all_and_by_namespace(plant: Cli) -> None:
    out = plant("types")
    assert out.exit_code == 0
    assert "pump-type" in out.stdout
    assert "CentrifugalPump" in out.stdout
    isa = plant("--json", "types", "--namespace", ISA95_NAMESPACE_URI).json()
    assert {t["elementId"] for t in isa} == {"site-type", "area-type", "production-line-type"}
    assert all(t["namespaceUri"] == ISA95_NAMESPACE_URI for t in isa)
    conveyor = next(t for t in plant("--json", "types").json() if t["elementId"] == "conveyor-type")
    assert conveyor["schema"]["required"] == ["running", "speed"]


def test_relationships(plant: Cli) -> None:
    out = plant("relationships")
    assert out.exit_code == 0
    assert "HasComponent" in out.stdout
    assert "ComponentOf" in out.stdout
    reverse = {r["elementId"]: r["reverseOf"] for r in plant("--json", "relationships").json()}
    assert reverse["SuppliesTo"] == "SuppliedBy"
    assert reverse["HasParent"] == "HasChildren"


def test_objects_table(plant: Cli) -> None:
    out = plant("objects")
    assert out.exit_code == 0
    for element_id in ("site-1", "pump-101-discharge-pressure", "filler-401-bottle-count"):
        assert element_id in out.stdout
    assert "Cooling Water Pump P-101" in out.stdout


def test_objects_json_filters_by_type_and_root(plant: Cli) -> None:
    temperatures = plant("--json", "objects", "--type", "temperature-type").json()
    assert {o["elementId"] for o in temperatures} == {
        "pump-101-motor-temperature",
        "tank-201-temperature",
    }
    roots = plant("--json", "objects", "--root").json()
    assert [o["elementId"] for o in roots] == ["site-1"]
    assert roots[0]["parentId"] is None


def test_objects_tree_nests_children_and_marks_components(plant: Cli) -> None:
    out = plant("objects", "--tree")
    assert out.exit_code == 0
    lines = out.stdout.splitlines()

    def line_of(element_id: str) -> str:
        return next(line for line in lines if f"  {element_id}  " in line)

    def indent(element_id: str) -> int:
        line = line_of(element_id)
        return len(line) - len(line.lstrip("│├└─ "))

    assert "\x1b[" not in out.stdout  # no colour codes when stdout is not a terminal
    assert lines[0].startswith("Springfield Bottling Plant  site-1")
    assert indent("area-utilities") < indent("pump-101") < indent("pump-101-motor")
    assert indent("pump-101-motor") < indent("pump-101-motor-current")
    assert "[composition]" in line_of("pump-101")
    assert "[component]" in line_of("pump-101-flow")
    assert "[composition]" in line_of("pump-101-motor")
    assert "[component]" in line_of("pump-101-motor")
    # The setpoint is the tank's child, not one of its components.
    assert indent("tank-201-setpoint") == indent("tank-201-level")
    assert "[component]" not in line_of("tank-201-setpoint")
    # Beneath its owner: the motor's current comes after the motor, before the tank.
    order = [line_of(i) for i in ("pump-101", "pump-101-motor-current", "tank-201")]
    assert [lines.index(line) for line in order] == sorted(lines.index(line) for line in order)


def test_objects_tree_json_is_the_object_list(plant: Cli) -> None:
    data = plant("--json", "objects", "--tree").json()
    pump = next(o for o in data if o["elementId"] == "pump-101")
    assert pump["isComposition"] is True
    assert "pump-101-flow" in pump["metadata"]["relationships"]["HasComponent"]


def test_objects_tree_of_a_type_shows_each_composition_whole(plant: Cli) -> None:
    out = plant("objects", "--tree", "--type", "pump-type")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()

    def indent(element_id: str) -> int:
        line = next(line for line in lines if f"  {element_id}  " in line)
        return len(line) - len(line.lstrip("│├└─ "))

    assert lines[0].startswith("Cooling Water Pump P-101  pump-101  pump-type")
    for component in ("pump-101-flow", "pump-101-state", "pump-101-motor"):
        assert indent(component) > indent("pump-101")
    # A component's own components too (the motor's), one level deeper.
    assert indent("pump-101-motor-current") > indent("pump-101-motor")
    # Only the pump and what it is made of: not its area, not the other equipment.
    assert "area-utilities" not in out.stdout
    assert "tank-201" not in out.stdout
    # The JSON is still the objects of that type alone.
    data = plant("--json", "objects", "--tree", "--type", "pump-type").json()
    assert [o["elementId"] for o in data] == ["pump-101"]


def test_objects_tree_of_a_leaf_type_is_just_those_objects(plant: Cli) -> None:
    out = plant("objects", "--tree", "--type", "temperature-type")
    assert out.exit_code == 0, out.stderr
    ids = [line.split("  ")[1] for line in out.stdout.splitlines()]
    assert sorted(ids) == ["pump-101-motor-temperature", "tank-201-temperature"]
