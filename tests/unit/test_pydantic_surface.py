"""pydantic's model methods on every public model, and the models inside pydantic and FastAPI."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import fastapi
import httpx
import pydantic
import pytest
import respx

import i3x
from i3x._models import PUBLIC_MODELS, WireModel

from ._helpers import API, ok

UTC = timezone.utc
WHEN = "2026-11-24T10:47:22Z"

WIRE: dict[type[WireModel], dict[str, Any]] = {
    i3x.ServerInfo: {
        "specVersion": "1.0",
        "serverName": "node-i3x",
        "capabilities": {"query": {"history": True}, "custom": 1},
        "vendor": {"name": "Sterfive SAS"},
    },
    i3x.ServerCapabilities: {"subscribe": {"stream": True}},
    i3x.QueryCapabilities: {"history": True},
    i3x.UpdateCapabilities: {"current": True, "history": False},
    i3x.SubscribeCapabilities: {"stream": True},
    i3x.ResponseDetail: {"title": "Not Found", "status": 404, "detail": "no such element"},
    i3x.Namespace: {"uri": "urn:plant", "displayName": "Plant"},
    i3x.ObjectType: {"elementId": "pump-type", "schema": {"type": "number"}, "version": "2"},
    i3x.RelationshipType: {"elementId": "HasParent", "reverseOf": "HasChildren"},
    i3x.ObjectInstance: {
        "elementId": "pump-101",
        "typeElementId": "pump-type",
        "parentId": "line-1",
        "metadata": {"typeNamespaceUri": "urn:plant", "engUnit": "bar"},
        "license": "MIT",
    },
    i3x.ObjectInstanceMetadata: {"engUnit": "bar", "relationships": {"HasChildren": ["a"]}},
    i3x.RelatedObject: {"sourceRelationship": "HasChildren", "object": {"elementId": "pump-101"}},
    i3x.VQT: {"value": {"temperature": 72.5}, "quality": "Good", "timestamp": WHEN},
    i3x.LastKnownValue: {
        "elementId": "pump-101",
        "isComposition": True,
        "value": 1.5,
        "quality": "Good",
        "timestamp": WHEN,
        "components": {"pump-101-flow": {"value": 3, "quality": "Uncertain", "timestamp": WHEN}},
    },
    i3x.ValueChange: {
        "elementId": "pump-101",
        "value": 2,
        "quality": "Good",
        "timestamp": WHEN,
        "sequenceNumber": 7,
    },
    i3x.SyncBatch: {
        "sequenceNumber": 3,
        "updates": [{"elementId": "a", "value": 1, "quality": "Good", "timestamp": WHEN}],
    },
    i3x.MonitoredObject: {"elementId": "pump-101", "maxDepth": 0},
    i3x.Subscription: {
        "subscriptionId": "sub-1",
        "monitoredObjects": [{"elementId": "pump-101", "maxDepth": 1}],
        "mode": "native",
    },
}


def test_every_public_model_has_a_sample() -> None:
    assert set(WIRE) == set(PUBLIC_MODELS)


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
def test_validate_and_dump_round_trip_on_every_model(model: type[WireModel]) -> None:
    wire = WIRE[model]
    instance = model.model_validate(wire)
    assert type(instance) is model
    assert instance == model.from_dict(wire)
    assert model.model_validate(instance.model_dump()) == instance
    assert model.model_validate(instance.model_dump(by_alias=False)) == instance
    assert model.model_validate(instance.model_dump(mode="json")) == instance
    assert model.model_validate_json(instance.model_dump_json()) == instance
    assert model.model_validate_json(instance.model_dump_json().encode()) == instance


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
def test_the_wire_shortcuts_are_the_pydantic_forms(model: type[WireModel]) -> None:
    instance = model.model_validate(WIRE[model])
    assert instance.to_dict() == instance.model_dump(mode="json")
    assert instance.to_dict() == instance.model_dump(mode="json", by_alias=True)
    assert instance.to_json() == instance.model_dump_json()
    assert model.from_json(instance.to_json()) == model.model_validate_json(instance.to_json())


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
def test_model_fields_lists_the_declared_fields(model: type[WireModel]) -> None:
    fields = model.model_fields
    assert list(fields) == [f.name for f in dataclasses.fields(model)]
    assert all(isinstance(f, pydantic.fields.FieldInfo) for f in fields.values())
    assert all(f.description for f in fields.values())
    instance = model.model_validate(WIRE[model])
    assert instance.model_fields is fields


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
def test_model_copy_is_validated_and_frozen(model: type[WireModel]) -> None:
    instance = model.model_validate(WIRE[model])
    copied = instance.model_copy()
    assert copied == instance
    assert copied is not instance
    assert copied.model_extra == instance.model_extra
    name = next(iter(model.model_fields))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(copied, name, None)


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
def test_model_json_schema_is_pydantics_own(model: type[WireModel]) -> None:
    adapter = pydantic.TypeAdapter(model)
    assert model.model_json_schema() == adapter.json_schema()
    assert model.model_json_schema(by_alias=False) == adapter.json_schema(by_alias=False)
    assert model.model_json_schema(mode="serialization") == model.model_json_schema()


def test_model_dump_uses_wire_names_unless_told_otherwise() -> None:
    vqt = i3x.VQT.model_validate(WIRE[i3x.VQT])
    assert vqt.model_dump() == {
        "value": {"temperature": 72.5},
        "quality": "Good",
        "timestamp": datetime(2026, 11, 24, 10, 47, 22, tzinfo=UTC),
    }
    assert vqt.model_dump(mode="json")["timestamp"] == WHEN
    obj = i3x.ObjectInstance.model_validate(WIRE[i3x.ObjectInstance])
    assert list(obj.model_dump())[:3] == ["elementId", "displayName", "typeElementId"]
    assert list(obj.model_dump(by_alias=False))[:3] == ["element_id", "display_name", "type_id"]
    assert obj.model_dump_json(by_alias=False).startswith('{"element_id":"pump-101"')
    assert obj.model_dump_json(indent=2).startswith('{\n  "elementId": "pump-101"')


def test_include_exclude_and_exclude_none_apply_to_unknown_fields_too() -> None:
    info = i3x.ServerInfo.model_validate({**WIRE[i3x.ServerInfo], "nothing": None})
    assert info.model_dump(include={"spec_version", "vendor"}) == {
        "specVersion": "1.0",
        "vendor": {"name": "Sterfive SAS"},
    }
    assert "vendor" not in info.model_dump(exclude={"vendor"})
    assert "vendor" not in info.model_dump(exclude={"vendor": True})
    # A nested exclusion reaches into a nested model's unknown fields.
    nested = info.model_dump(exclude={"capabilities": {"custom"}})
    assert "custom" not in nested["capabilities"]
    assert nested["vendor"] == {"name": "Sterfive SAS"}
    assert info.model_dump(exclude_none=True) == {
        "specVersion": "1.0",
        "serverName": "node-i3x",
        "capabilities": {
            "query": {"history": True},
            "update": {"current": False, "history": False},
            "subscribe": {"stream": False},
            "custom": 1,
        },
        "vendor": {"name": "Sterfive SAS"},
    }
    assert '"nothing"' not in info.model_dump_json(exclude_none=True)
    assert info.model_dump()["nothing"] is None


def test_exclude_defaults() -> None:
    obj = i3x.ObjectInstance.model_validate({"elementId": "a", "isComposition": True})
    assert obj.model_dump(exclude_defaults=True) == {"elementId": "a", "isComposition": True}


def test_model_copy_validates_the_update() -> None:
    vqt = i3x.VQT.model_validate(WIRE[i3x.VQT])
    later = vqt.model_copy(update={"timestamp": "2026-11-24T11:00:00"})
    assert later.timestamp == datetime(2026, 11, 24, 11, tzinfo=UTC)  # parsed, UTC when naive
    assert later.value == vqt.value
    with pytest.raises(pydantic.ValidationError) as caught:
        vqt.model_copy(update={"quality": None})
    assert caught.value.errors()[0]["loc"] == ("quality",)


def test_model_copy_keeps_and_adds_unknown_fields() -> None:
    obj = i3x.ObjectInstance.model_validate(WIRE[i3x.ObjectInstance])
    copied = obj.model_copy(update={"display_name": "Pump", "site": "Lyon"})
    assert copied.display_name == "Pump"
    assert copied.model_extra == {"license": "MIT", "site": "Lyon"}
    assert copied.metadata is obj.metadata


def test_model_copy_deep_copies_nested_values() -> None:
    obj = i3x.ObjectInstance.model_validate({**WIRE[i3x.ObjectInstance], "site": {"city": "Lyon"}})
    shallow = obj.model_copy()
    assert shallow.metadata is obj.metadata
    assert shallow.model_extra["site"] is obj.model_extra["site"]
    deep = obj.model_copy(deep=True)
    assert deep == obj
    assert deep.metadata == obj.metadata
    assert deep.metadata is not obj.metadata
    assert deep.model_extra == obj.model_extra
    assert deep.model_extra["site"] is not obj.model_extra["site"]


def test_model_copy_reads_python_names_only() -> None:
    # An older server's typeId next to typeElementId is an unknown field; a copy must
    # not take it for the type.
    obj = i3x.ObjectInstance.model_validate(
        {"elementId": "a", "typeElementId": "pump-type", "typeId": "legacy"}
    )
    assert (obj.type_id, obj.model_extra) == ("pump-type", {"typeId": "legacy"})
    copied = obj.model_copy(update={"display_name": "A"})
    assert (copied.type_id, copied.model_extra) == ("pump-type", {"typeId": "legacy"})


def test_model_copy_keeps_values_in_order() -> None:
    history = i3x.LastKnownValue.model_validate(
        {
            "elementId": "a",
            "values": [
                {"value": 2, "timestamp": "2026-01-01T00:00:02Z"},
                {"value": 1, "timestamp": "2026-01-01T00:00:01Z"},
            ],
        }
    )
    copied = history.model_copy(update={"is_composition": True})
    assert [v.value for v in copied.data] == [1, 2]
    assert copied.is_composition is True
    batch = i3x.SyncBatch.model_validate(WIRE[i3x.SyncBatch])
    assert batch.model_copy(update={"sequence_number": 4}).updates == batch.updates


def test_model_validate_options() -> None:
    python_names_only = {"by_alias": False, "by_name": True}
    with pytest.raises(pydantic.ValidationError):
        i3x.ObjectInstance.model_validate({"elementId": "a"}, **python_names_only)
    assert (
        i3x.ObjectInstance.model_validate({"element_id": "a"}, **python_names_only).element_id
        == "a"
    )
    with pytest.raises(pydantic.ValidationError):
        i3x.ObjectInstance.model_validate({"element_id": "a"}, by_name=False)
    assert i3x.ResponseDetail.model_validate({"status": "404"}).status == 404
    with pytest.raises(pydantic.ValidationError):
        i3x.ResponseDetail.model_validate({"status": "404"}, strict=True)
    with pytest.raises(pydantic.ValidationError):
        i3x.ResponseDetail.model_validate_json('{"status": "404"}', strict=True)


def test_bad_data_raises_a_validation_error_that_is_a_value_error() -> None:
    calls: list[Callable[[], object]] = [
        lambda: i3x.VQT.model_validate({"timestamp": "yesterday"}),
        lambda: i3x.VQT.model_validate_json(b"{not json"),
        lambda: i3x.VQT.from_dict({"timestamp": "yesterday"}),
        lambda: i3x.VQT.from_json("[]"),
        lambda: i3x.VQT(value=1).model_copy(update={"timestamp": "yesterday"}),
    ]
    for call in calls:
        with pytest.raises(pydantic.ValidationError) as caught:
            call()
        assert isinstance(caught.value, ValueError)
        assert caught.value.title == "VQT"


@pytest.mark.respx(base_url=API)
def test_the_client_still_raises_i3x_errors(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    answer = [{"elementId": "a", "isComposition": "sometimes"}]
    respx_mock.get("/objects").respond(json=ok(answer))
    with pytest.raises(i3x.ResponseValidationError) as caught:
        client.get_objects()
    assert pydantic.ValidationError not in type(caught.value).__mro__
    assert "isComposition" in str(caught.value)
    with pytest.raises(pydantic.ValidationError):
        i3x.ObjectInstance.model_validate(answer[0])


def test_a_type_adapter_over_a_list_of_models() -> None:
    adapter = pydantic.TypeAdapter(list[i3x.ObjectInstance])
    wire = [WIRE[i3x.ObjectInstance], {"elementId": "line-1"}]
    objects = adapter.validate_python(wire)
    assert [type(o) for o in objects] == [i3x.ObjectInstance, i3x.ObjectInstance]
    assert adapter.validate_json(adapter.dump_json(objects)) == objects
    assert adapter.dump_python(objects, mode="json") == [o.model_dump(mode="json") for o in objects]
    schema = adapter.json_schema()
    assert schema["items"] == {"$ref": "#/$defs/ObjectInstance"}
    assert schema["$defs"]["ObjectInstance"]["properties"]["elementId"]["title"] == "Element ID"


def _plant_app() -> fastapi.FastAPI:
    app = fastapi.FastAPI()
    objects = [i3x.ObjectInstance.model_validate(WIRE[i3x.ObjectInstance])]

    @app.get("/objects")
    def list_objects() -> list[i3x.ObjectInstance]:
        return objects

    @app.post("/values/{element_id}", response_model=i3x.LastKnownValue)
    def write_value(element_id: str, vqt: i3x.VQT) -> i3x.LastKnownValue:
        return i3x.LastKnownValue(element_id=element_id, data=[vqt])

    return app


def _in_process(app: fastapi.FastAPI) -> httpx.AsyncClient:
    # FastAPI in process, as its TestClient does (whose import warns on this starlette).
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://plant")


@pytest.mark.anyio
async def test_fastapi_response_models() -> None:
    async with _in_process(_plant_app()) as http:
        answer = await http.get("/objects")
        assert answer.status_code == 200
        assert answer.json() == [
            {
                "elementId": "pump-101",
                "displayName": None,
                "typeElementId": "pump-type",
                "namespaceUri": "urn:plant",
                "parentId": "line-1",
                "isComposition": False,
                "isExtended": False,
                "metadata": {
                    "typeNamespaceUri": "urn:plant",
                    "sourceTypeId": None,
                    "engUnit": "bar",
                    "description": None,
                    "relationships": None,
                    "schemaExtensions": None,
                    "system": None,
                },
                "license": "MIT",
            }
        ]
        written = await http.post("/values/pt-304", json={"value": 3.2, "timestamp": WHEN})
        assert written.status_code == 200
        value = i3x.LastKnownValue.model_validate(written.json())
        assert (value.element_id, value.value, value.quality) == ("pt-304", 3.2, "Good")
        refused = await http.post("/values/pt-304", json={"value": 3.2, "timestamp": "yesterday"})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "timestamp"]


@pytest.mark.anyio
async def test_fastapi_openapi_carries_the_models_schemas() -> None:
    async with _in_process(_plant_app()) as http:
        schemas = (await http.get("/openapi.json")).json()["components"]["schemas"]
    obj = schemas["ObjectInstance"]
    assert obj["properties"]["elementId"] == {
        "type": "string",
        "title": "Element ID",
        "description": "Unique id of the object.",
    }
    assert obj["additionalProperties"] is True
    assert schemas["VQT"]["properties"]["quality"]["default"] == "Good"
