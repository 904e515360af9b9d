"""JSON Schema export of the public models, with field descriptions."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

import i3x
from i3x._models import PUBLIC_MODELS, WireModel

SPHINX_MARKUP = re.compile(r"``|:(?:class|attr|meth|func|data|mod|exc|obj|py:\w+):`")


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


def test_the_exported_schema_is_pinned(snapshot: SnapshotAssertion) -> None:
    # A change to what `i3x schema` exports is a decision: accept it on purpose with
    # `pytest tests/unit/test_json_schema.py --snapshot-update`, and review the diff.
    assert i3x.models_json_schema() == snapshot(extension_class=JSONSnapshotExtension)


def _descriptions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        description = node.get("description")
        if isinstance(description, str):
            yield description
        for value in node.values():
            yield from _descriptions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _descriptions(value)


def test_schema_descriptions_are_plain_text() -> None:
    descriptions = list(_descriptions(i3x.models_json_schema()))
    assert len(descriptions) > 90
    assert [d for d in descriptions if SPHINX_MARKUP.search(d)] == []


def _hover_texts(model: type[WireModel]) -> Iterator[tuple[str, str]]:
    """What an IDE shows over the model, its fields, properties and methods."""
    yield model.__name__, inspect.getdoc(model) or ""
    for name, field in model.model_fields.items():
        yield f"{model.__name__}.{name}", field.description or ""
    for name, member in inspect.getmembers(model):
        if name.startswith("_") or name in model.model_fields:
            continue
        function = member.fget if isinstance(member, property) else member
        if callable(function):
            yield f"{model.__name__}.{name}", inspect.getdoc(function) or ""


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
def test_hover_text_is_plain_text(model: type[WireModel]) -> None:
    texts = dict(_hover_texts(model))
    assert {"model_validate", "model_dump", "model_copy"} <= {k.split(".")[-1] for k in texts}
    assert [where for where, text in texts.items() if not text] == []
    assert [where for where, text in texts.items() if SPHINX_MARKUP.search(text)] == []


def test_field_titles_are_words() -> None:
    titles = {
        key: prop["title"]
        for definition in i3x.models_json_schema()["$defs"].values()
        for key, prop in definition["properties"].items()
    }
    assert titles["elementId"] == "Element ID"
    assert titles["typeElementId"] == "Type element ID"
    assert titles["namespaceUri"] == "Namespace URI"
    assert titles["isComposition"] == "Is composition"
    for key, title in titles.items():
        assert title.replace(" ", "").lower() == key.lower(), key
        assert title[0].isupper(), key
