"""JSON Schema export of the public models, with field descriptions."""

from __future__ import annotations

from typing import Any

import pytest

import i3x
from i3x._models import PUBLIC_MODELS, WireModel


def _model_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema object itself (recursive models put themselves under $defs)."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        resolved: dict[str, Any] = schema["$defs"][ref.rsplit("/", 1)[-1]]
        return resolved
    return schema


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
def test_model_json_schema_describes_every_field(model: type[WireModel]) -> None:
    schema = _model_schema(model.model_json_schema())
    assert schema["type"] == "object"
    assert schema["title"] == model.__name__
    assert schema.get("description"), "the class docstring is the schema's description"
    properties: dict[str, Any] = schema["properties"]
    assert properties
    undocumented = sorted(name for name, prop in properties.items() if not prop.get("description"))
    assert undocumented == []


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
def test_model_json_schema_uses_wire_names_and_allows_unknown_fields(
    model: type[WireModel],
) -> None:
    schema = _model_schema(model.model_json_schema())
    for name in schema["properties"]:
        assert "_" not in name, f"{name} is not a camelCase wire name"
    assert schema.get("additionalProperties") is True


def test_schema_names_fields_as_the_wire_does() -> None:
    props = i3x.ObjectInstance.model_json_schema()["properties"]
    assert {"elementId", "displayName", "typeElementId", "parentId", "isComposition"} <= set(props)
    assert i3x.ObjectInstance.model_json_schema()["required"] == ["elementId"]
    info = i3x.ServerInfo.model_json_schema()
    assert info["required"] == ["specVersion"]
    assert "specVersion" in info["properties"]


def test_models_json_schema_has_every_public_model() -> None:
    document = i3x.models_json_schema()
    assert document["title"] == "i3x models"
    defs: dict[str, Any] = document["$defs"]
    assert {m.__name__ for m in PUBLIC_MODELS} <= set(defs)
    for model in PUBLIC_MODELS:
        definition = defs[model.__name__]
        assert definition["description"]
        assert all(p.get("description") for p in definition["properties"].values()), model


def test_models_json_schema_for_a_selection() -> None:
    document = i3x.models_json_schema([i3x.VQT, i3x.Namespace])
    assert set(document["$defs"]) == {"VQT", "Namespace"}
    vqt = document["$defs"]["VQT"]["properties"]
    assert vqt["timestamp"]["description"]
    assert vqt["quality"]["default"] == "Good"
