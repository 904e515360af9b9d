"""i3x.codegen: the recorded type listings of real servers as Python modules.

Each generated module is written to a file, imported, and type-checked with
`mypy --strict` (one run over all of them, with a cache shared by the session).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import keyword
import subprocess
import sys
import typing
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest

import i3x
import i3x.codegen
from i3x import ObjectType

from ._helpers import SAMPLES, sample

SERVER_A = [ObjectType.from_dict(t) for t in sample("server-a-objecttypes.json")["result"]]


def _server_b_types() -> list[ObjectType]:
    data = json.loads(gzip.decompress((SAMPLES / "server-b-objecttypes-all.json.gz").read_bytes()))
    return [ObjectType.from_dict(t) for t in data["result"]]


def _type(element_id: str, display_name: str | None, schema: dict[str, Any]) -> ObjectType:
    return ObjectType(
        element_id=element_id,
        display_name=display_name,
        namespace_uri="urn:test",
        schema=schema,
    )


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


# Schemas that make the generator work: own $defs, recursion, names that clash.
EDGE_TYPES = [
    _type(
        "shape",
        "Shape",
        {
            "type": "object",
            "properties": {"origin": {"$ref": "#/$defs/Point"}, "corners": {"type": "array"}},
            "required": ["origin"],
            "$defs": {"Point": _object(x={"type": "number"}, y={"type": "number"})},
        },
    ),
    _type(
        "tree",
        "Tree",
        {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#"}},
            },
        },
    ),
    _type("holder", "Holder", _object(metadata=_object(note={"type": "string"}))),
    _type("metadata", "Metadata", _object(source={"type": "string"})),
    _type("printer", "3D printer", _object(layers={"type": "integer"})),
    _type("none", "None", _object()),
    _type("models", "MODELS", _object()),
    _type("uber", "Über-Type", _object()),
    _type("pump-a", "Pump", _object(a={"type": "number"})),
    _type("pump-b", "Pump", _object(b={"type": "number"})),
    _type("nameless", None, _object()),
    _type("own-field", "OwnField", _object(i3x_element_id={"type": "string"})),
    _type("mode", "Mode", {"enum": ["auto", "manual"]}),
    _type("either", "Either", {"anyOf": [{"type": "number"}, {"type": "string"}]}),
    _type("stamp", "Stamp", {"type": "string", "format": "date-time"}),
    _type("anything", "Anything", {"description": "any value at all"}),
    # The generator cannot express these: they fall back without failing the others.
    _type("bad-pattern", "BadPattern", _object(s={"type": "string", "pattern": "[unclosed"})),
    _type("bad-minimum", "BadMinimum", _object(n={"type": "number", "minimum": "abc"})),
    _type("remote", "Remote", _object(n={"$ref": "https://example.com/schema.json"})),
]


def _import(source: str, directory: Path, name: str) -> ModuleType:
    """Write `source` to `directory/name.py` and import it as a user would."""
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def _mypy_strict(*paths: Path, cache: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file=",  # no project configuration: what a user's strict run sees
            "--cache-dir",
            str(cache),
            "--no-color-output",
            *map(str, paths),
        ],
        cwd=paths[0].parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("generated")


@pytest.fixture(scope="module")
def server_a(directory: Path) -> ModuleType:
    source = i3x.codegen.generate(SERVER_A, source="https://server-a.example/v1")
    return _import(source, directory, "server_a_types")


@pytest.fixture(scope="module")
def server_b(directory: Path) -> ModuleType:
    return _import(i3x.codegen.generate(_server_b_types()), directory, "server_b_types")


@pytest.fixture(scope="module")
def edge(directory: Path) -> ModuleType:
    return _import(i3x.codegen.generate(EDGE_TYPES), directory, "edge_types")


def _path(module: ModuleType) -> Path:
    assert module.__file__ is not None
    return Path(module.__file__)


def _models(module: ModuleType) -> Iterator[tuple[str, Any]]:
    for element_id, python in module.MODELS.items():
        if isinstance(python, type) and issubclass(python, pydantic.BaseModel):
            yield element_id, python


def test_server_a_a_model_per_structured_type(server_a: ModuleType) -> None:
    assert list(server_a.MODELS) == [t.element_id for t in SERVER_A]
    assert server_a.MODELS["sensor-type"] is float
    assert server_a.MODELS["measurement-value-type"] is float
    assert server_a.MODELS["measurement-health-type"] is int
    models = dict(_models(server_a))
    assert len(models) == 9
    # Each model is the type's own class, not a nested model that took its name.
    for element_id, model in models.items():
        assert model.i3x_element_id == element_id
        assert "i3x_element_id" not in model.model_fields
    assert server_a.MODELS["state-type"].__name__ == "StateType"
    assert server_a.StateType.i3x_namespace_uri == "https://abelara.com/equipment"


def test_server_a_all_of_merges_and_validates(server_a: ModuleType) -> None:
    sensor = server_a.MODELS["precision-temperature-sensor-type"]
    assert set(sensor.model_fields) == {"temperature", "unit", "accuracy", "calibrationDate"}
    value = sensor.model_validate(
        {"temperature": 21.5, "unit": "C", "accuracy": 0.1, "calibrationDate": "2026-01-01"}
    )
    assert value.temperature == 21.5
    with pytest.raises(pydantic.ValidationError, match="accuracy"):
        sensor.model_validate({"temperature": 21.5, "unit": "C"})


def test_server_a_docstrings_aliases_and_unknown_fields(server_a: ModuleType) -> None:
    assert server_a.TemperatureSensorType.__doc__ == (
        "Base temperature sensor reporting a reading with unit"
    )
    source = _path(server_a).read_text(encoding="utf-8")
    assert '    """Measurement accuracy in +/- degrees"""' in source
    assert '"""Python types for the object types of an i3X server' in source
    assert "https://server-a.example/v1" in source
    # "!value" is no Python name: the field is aliased, validated and dumped by it.
    measurement = server_a.MODELS["measurement-type"].model_validate(
        {"tolerance": 0.5, "inTolerance": True, "!value": 2.5}
    )
    assert measurement.model_dump(by_alias=True)["!value"] == 2.5
    # A schema that does not close its properties keeps what a server adds.
    center = server_a.MODELS["work-center-type"].model_validate({"site": "north"})
    assert center.model_extra == {"site": "north"}


def test_server_b_thousands_of_types(server_b: ModuleType) -> None:
    listing = _server_b_types()
    assert len(listing) == 2877
    assert list(server_b.MODELS) == [t.element_id for t in listing]
    models = dict(_models(server_b))
    assert len(models) == 2869
    assert all(model.i3x_element_id == key for key, model in models.items())
    assert len({model.__name__ for model in models.values()}) == len(models)
    # Display names repeat (378 of them): the classes are told apart by a number.
    certificates = [t.element_id for t in listing if t.display_name == "CertificateType"]
    names = sorted(server_b.MODELS[key].__name__ for key in certificates)
    assert names == ["CertificateType", *(f"CertificateType{n}" for n in range(2, 5))]
    assert server_b.MODELS["UtcTime"] is datetime
    assert server_b.MODELS["Byte"] is int
    assert server_b.MODELS["UnknownType"] is object


def test_types_with_own_definitions_and_recursion(edge: ModuleType) -> None:
    shape = edge.MODELS["shape"].model_validate({"origin": {"x": 1, "y": 2}})
    assert (shape.origin.x, shape.origin.y) == (1.0, 2.0)
    tree = edge.MODELS["tree"].model_validate(
        {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}
    )
    assert tree.children[0].children[0].name == "c"
    assert edge.MODELS["mode"].model_validate("auto").root == "auto"
    assert edge.MODELS["either"].model_validate(3.5).root == 3.5
    assert edge.MODELS["stamp"] is datetime
    assert edge.MODELS["anything"] is object


def test_class_names_valid_unique_and_the_types_first(edge: ModuleType) -> None:
    names = {key: python.__name__ for key, python in _models(edge)}
    assert names["metadata"] == "Metadata"  # Holder's nested metadata model is renamed
    assert names["printer"] == "Type3DPrinter"
    assert names["uber"] == "UberType"
    assert names["nameless"] == "Nameless"
    assert {names["pump-a"], names["pump-b"]} == {"Pump", "Pump2"}
    assert names["models"] != "MODELS"
    for name in names.values():
        assert name.isidentifier()
        assert not keyword.iskeyword(name)
    assert len(set(names.values())) == len(names)


def test_same_listing_same_names_in_any_order(directory: Path) -> None:
    forward = _import(i3x.codegen.generate(EDGE_TYPES[6:12]), directory, "forward")
    backward = _import(i3x.codegen.generate(EDGE_TYPES[6:12][::-1]), directory, "backward")
    assert {k: v.__name__ for k, v in forward.MODELS.items()} == {
        k: v.__name__ for k, v in backward.MODELS.items()
    }


def test_a_field_named_like_a_class_variable_stays_a_field(edge: ModuleType) -> None:
    model = edge.MODELS["own-field"]
    assert model.model_validate({"i3x_element_id": "mine"}).i3x_element_id == "mine"


def test_what_the_generator_cannot_express_falls_back(edge: ModuleType) -> None:
    for key in ("bad-pattern", "bad-minimum", "remote"):
        assert typing.get_origin(edge.MODELS[key]) is dict, key
        assert typing.get_args(edge.MODELS[key]) == (str, Any)
    source = _path(edge).read_text(encoding="utf-8")
    assert "'bad-pattern': dict[str, _typing.Any],  # BadPattern: the generator could not" in (
        source
    )
    assert "unclosed character class" in source
    assert "# Remote: its schema refers to 'https://example.com/schema.json'" in source
    assert "3 left untyped (see `MODELS`)" in source
    # The others are whole.
    assert edge.MODELS["holder"].model_validate({"metadata": {"note": "n"}}).metadata.note == "n"


def test_generated_modules_pass_mypy_strict(
    server_a: ModuleType,
    server_b: ModuleType,
    edge: ModuleType,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cache = tmp_path_factory.getbasetemp() / "mypy-cache"
    _mypy_strict(*(_path(m) for m in (server_a, server_b, edge)), cache=cache)


def test_namespace_limits_the_types() -> None:
    module = i3x.codegen.load(i3x.codegen.generate(SERVER_A, namespace_uri="https://isa.org/isa95"))
    assert list(module.MODELS) == ["work-center-type", "work-unit-type"]
    assert "i3x_types" not in sys.modules


def test_no_types_an_empty_table() -> None:
    module = i3x.codegen.load(i3x.codegen.generate([]))
    assert module.MODELS == {}


def test_a_warning_importing_the_module_is_a_note() -> None:
    # pydantic warns when a field shadows its protected "model_dump" namespace.
    source = i3x.codegen.generate([_type("clash", "Clash", _object(model_dump={"type": "string"}))])
    notes = [line for line in source.splitlines() if line.startswith("# Note: importing it warns")]
    assert len(notes) == 1
    assert "protected namespace" in notes[0]
    with pytest.warns(UserWarning, match="protected namespace"):
        module = i3x.codegen.load(source)
    assert module.Clash.model_validate({"model_dump": "x"}).model_dump(by_alias=True) == {
        "model_dump": "x"
    }


def test_object_types_must_be_object_types() -> None:
    with pytest.raises(TypeError, match=r"^object_types\[1\] must be an ObjectType, not dict"):
        i3x.codegen.generate([SERVER_A[0], {"elementId": "x", "schema": {}}])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^object_types must be a list of ObjectType"):
        i3x.codegen.generate(SERVER_A[0])  # type: ignore[arg-type]


def test_without_the_codegen_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datamodel_code_generator", None)
    with pytest.raises(ImportError, match=r'pip install "i3x-client\[codegen\]"'):
        i3x.codegen.generate(SERVER_A)
