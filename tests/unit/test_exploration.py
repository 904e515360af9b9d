"""Exploration: namespaces, types, objects and relationships, request and answer."""

from __future__ import annotations

import copy
import gzip
import json
from typing import Any

import httpx
import pytest
import respx

import i3x

from ._helpers import API, bulk, failed, item, ok, request_of, sample, sent_json

pytestmark = pytest.mark.respx(base_url=API)


# ---------------------------------------------------------------------- namespaces


def test_get_namespaces(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get("/namespaces").respond(
        json=ok(
            [
                {"uri": "https://isa.org/isa95", "displayName": "ISA-95"},
                {"uri": "https://cesmii.org/i3x", "displayName": None, "owner": "CESMII"},
            ]
        )
    )

    namespaces = client.get_namespaces()

    request = request_of(route)
    assert request.method == "GET"
    assert request.url == httpx.URL(f"{API}/namespaces")
    assert request.content == b""
    assert namespaces == [
        i3x.Namespace(uri="https://isa.org/isa95", display_name="ISA-95"),
        i3x.Namespace(uri="https://cesmii.org/i3x", display_name=None),
    ]
    assert namespaces[1].model_extra == {"owner": "CESMII"}
    assert namespaces[1].owner == "CESMII"  # type: ignore[attr-defined]
    assert namespaces[0].to_dict() == {"uri": "https://isa.org/isa95", "displayName": "ISA-95"}


def test_empty_result_is_an_empty_list(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/namespaces").respond(json={"success": True, "result": None})
    assert client.get_namespaces() == []


# -------------------------------------------------------------------- object types


def test_get_object_types(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get("/objecttypes").respond(json=sample("server-a-objecttypes.json"))

    types = client.get_object_types()

    assert request_of(route).url.params == httpx.QueryParams()
    assert len(types) == 12
    first = types[0]
    assert first.element_id == "work-center-type"
    assert first.display_name == "WorkCenterType"
    assert first.namespace_uri == "https://isa.org/isa95"
    assert first.source_type_id == "WorkCenterType"
    assert first.version is None  # explicit null
    assert first.schema["type"] == "object"
    assert first.related == {
        "relationshipType": "HasChildren",
        "types": ["https://isa.org/isa95:work-unit-type"],
    }
    wire = sample("server-a-objecttypes.json")["result"]
    assert [t.to_dict() for t in types] == [
        {**w, "version": w.get("version"), "related": w.get("related")} for w in wire
    ]
    assert [i3x.ObjectType.from_dict(t.to_dict()) for t in types] == types


def test_get_object_types_of_a_namespace(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get("/objecttypes").respond(json=ok([]))
    assert client.get_object_types(namespace_uri="https://isa.org/isa95") == []
    assert request_of(route).url.params == httpx.QueryParams(
        {"namespaceUri": "https://isa.org/isa95"}
    )
    assert request_of(route).url.query == b"namespaceUri=https%3A%2F%2Fisa.org%2Fisa95"


def test_large_object_type_list(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    # One real server answered /objecttypes with 2,877 types (1.1 MB).
    base = sample("server-a-objecttypes.json")["result"]
    many: list[dict[str, Any]] = []
    for i in range(2877):
        t = copy.deepcopy(base[i % len(base)])
        t["elementId"] = f"{t['elementId']}-{i}"
        many.append(t)
    content = json.dumps(ok(many)).encode()
    assert len(content) > 1_000_000
    respx_mock.get("/objecttypes").respond(
        200,
        content=gzip.compress(content),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )

    types = client.get_object_types()

    assert len(types) == 2877
    assert [t.element_id for t in types] == [t["elementId"] for t in many]
    assert types[-1].schema == many[-1]["schema"]


def test_query_object_types(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    wire = sample("server-a-objecttypes.json")["result"]
    route = respx_mock.post("/objecttypes/query").respond(
        json=bulk(item("state-type", wire[2]), item("work-unit-type", wire[1]))
    )

    types = client.query_object_types(["state-type", "work-unit-type"])

    request = request_of(route)
    assert request.headers["content-type"] == "application/json"
    assert sent_json(route) == {"elementIds": ["state-type", "work-unit-type"]}
    assert [t.element_id for t in types] == ["state-type", "work-unit-type"]
    assert types[0].schema == wire[2]["schema"]


def test_query_object_types_partial_failure(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    wire = sample("server-a-objecttypes.json")["result"]
    respx_mock.post("/objecttypes/query").respond(
        json=bulk(item("state-type", wire[2]), failed("nope", detail="Type not found: nope"))
    )

    with pytest.raises(i3x.BulkError) as caught:
        client.query_object_types(["state-type", "nope"])

    error = caught.value
    assert list(error.results) == ["state-type"]
    assert error.results["state-type"].element_id == "state-type"
    assert isinstance(error.errors["nope"], i3x.NotFoundError)
    assert error.errors["nope"].status_code == 404
    assert error.errors["nope"].detail == "Type not found: nope"
    assert [i.success for i in error.items] == [True, False]
    assert "1 of 2" in str(error)
    assert "nope" in str(error)


# -------------------------------------------------------------- relationship types


@pytest.mark.parametrize(
    "name", ["server-a-relationshiptypes.json", "server-b-relationshiptypes.json"]
)
def test_get_relationship_types(
    client: i3x.Client, respx_mock: respx.MockRouter, name: str
) -> None:
    respx_mock.get("/relationshiptypes").respond(json=sample(name))

    types = client.get_relationship_types()

    wire = sample(name)["result"]
    assert [t.element_id for t in types] == [w["elementId"] for w in wire]
    by_id = {t.element_id: t for t in types}
    for t in types:
        assert t.reverse_of is not None
        assert by_id[t.reverse_of].reverse_of == t.element_id, "types come in pairs"
    assert [t.to_dict() for t in types] == wire


def test_get_relationship_types_of_a_namespace(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get("/relationshiptypes").respond(json=ok([]))
    client.get_relationship_types("https://cesmii.org/i3x")
    assert request_of(route).url.params["namespaceUri"] == "https://cesmii.org/i3x"


def test_query_relationship_types(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    wire = sample("server-b-relationshiptypes.json")["result"]
    route = respx_mock.post("/relationshiptypes/query").respond(
        json=bulk(item("IsComponentOf", wire[1]), item("HasComponent", wire[0]))
    )

    types = client.query_relationship_types(["IsComponentOf", "HasComponent"])

    assert sent_json(route) == {"elementIds": ["IsComponentOf", "HasComponent"]}
    assert types == [
        i3x.RelationshipType.from_dict(wire[1]),
        i3x.RelationshipType.from_dict(wire[0]),
    ]
    assert types[0].relationship_id == "ns=0;i=47"


def test_query_relationship_types_partial_failure(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/relationshiptypes/query").respond(json=bulk(failed("Nope")))
    with pytest.raises(i3x.BulkError) as caught:
        client.query_relationship_types(["Nope"])
    assert isinstance(caught.value.errors["Nope"], i3x.NotFoundError)
    assert caught.value.results == {}


# ------------------------------------------------------------------------- objects


def test_get_objects(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get("/objects").respond(json=sample("server-a-objects.json"))

    objects = client.get_objects()

    assert request_of(route).url.query == b""
    station, pump = objects[0], objects[1]
    assert station.element_id == "pump-station"
    assert station.display_name == "pump-station"
    assert station.type_id == "work-center-type"
    assert station.type_element_id == "work-center-type"
    assert station.parent_id is None
    assert station.is_composition is False
    assert station.namespace_uri is None
    assert station.metadata is None
    assert pump.parent_id == "pump-station"
    assert pump.is_composition is True
    assert pump.to_dict()["typeElementId"] == "work-unit-type"
    assert [i3x.ObjectInstance.from_dict(o.to_dict()) for o in objects] == objects


def test_get_objects_filters(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get("/objects").respond(json=ok([]))

    client.get_objects(type_id="sensor-type", include_metadata=True, root=True)
    client.get_objects(type_element_id="sensor-type", root=False)

    assert request_of(route, 0).url.params == httpx.QueryParams(
        {"typeElementId": "sensor-type", "includeMetadata": "true", "root": "true"}
    )
    assert request_of(route, 1).url.params == httpx.QueryParams(
        {"typeElementId": "sensor-type", "root": "false"}
    )


def test_type_ids_are_encoded_in_the_query(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    # A real server's type id, with spaces, brackets, ':', '/', ';' and '='.
    type_id = "object-type:baseobjecttype [ nsu=http://opcfoundation.org/UA/;i=58 ]"
    route = respx_mock.get("/objects").respond(json=ok([]))

    client.get_objects(type_id=type_id)

    url = request_of(route).url
    assert url.path == "/v1/objects"
    assert url.params["typeElementId"] == type_id
    query = url.query.decode()
    assert query.startswith("typeElementId=")
    for raw in (" ", "[", "]", "/", ";", ":"):
        assert raw not in query
    assert query.count("=") == 1


def test_get_objects_with_metadata(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/objects").respond(json=sample("server-a-objects-includeMetadata.json"))

    objects = client.get_objects(include_metadata=True)

    pump = objects[1]
    assert pump.element_id == "pump-101"
    assert pump.namespace_uri == "https://isa.org/isa95"
    assert pump.metadata is not None
    assert pump.metadata.type_namespace_uri == "https://isa.org/isa95"
    assert pump.metadata.source_type_id == "WorkUnitType"
    assert pump.metadata.relationships == {
        "HasParent": "pump-station",
        "HasComponent": ["pump-101-state", "pump-101-production", "pump-101-measurements"],
        "SuppliesTo": ["tank-201"],
    }
    assert pump.metadata.system == {
        "operationStartDate": "July 1, 1980",
        "lastMaintainedDate": "August 1, 2001",
    }
    assert i3x.ObjectInstance.from_dict(pump.to_dict()) == pump


def test_get_objects_of_the_other_server(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/objects").respond(json=sample("server-b-objects-all.json"))
    objects = client.get_objects()
    assert objects[0].type_id == (
        "object-type:baseobjecttype [ nsu=http://opcfoundation.org/UA/;i=58 ]"
    )
    assert objects[4].display_name == "Temperature (°C)"


def test_list_objects(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/objects/list").respond(
        json=sample("server-b-objects-list-includeMetadata.json")
    )
    ids = ["asset-a26339973d17d1e2", "property-39384b1c5018f0cd-smart-factory-heater-setpoint"]

    objects = client.list_objects(ids, include_metadata=True)

    assert sent_json(route) == {"elementIds": ids, "includeMetadata": True}
    assert [o.element_id for o in objects] == ids
    assert objects[0].namespace_uri == "http://opcfoundation.org/UA/"
    assert objects[1].type_id == "Double"
    assert objects[1].metadata is not None
    assert objects[1].metadata.source_type_id == "nsu=http://opcfoundation.org/UA/;i=11"


def test_list_objects_default_sends_include_metadata_false(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post("/objects/list").respond(
        json=bulk(item("a", {"elementId": "a", "displayName": "A"}))
    )
    client.list_objects(iter(["a"]))
    assert sent_json(route) == {"elementIds": ["a"], "includeMetadata": False}


def test_list_objects_partial_failure(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/objects/list").respond(json=sample("server-b-objects-list.json"))
    ids = [
        "asset-a26339973d17d1e2",
        "property-39384b1c5018f0cd-smart-factory-pump-temperature",
        "unknown-element",
    ]

    with pytest.raises(i3x.BulkError) as caught:
        client.list_objects(ids)

    error = caught.value
    assert list(error.results) == ids[:2]
    assert error.results[ids[0]].display_name == "Main Coolant Pump"
    missing = error.errors["unknown-element"]
    assert isinstance(missing, i3x.NotFoundError)
    assert (missing.status_code, missing.title, missing.detail) == (404, "Error", "Not found")
    assert missing.method == "POST"
    assert missing.url == f"{API}/objects/list"
    assert [i.element_id for i in error.items] == ids
    assert error.status_code == 200


def test_list_objects_matches_reordered_items_by_id(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/objects/list").respond(
        json=bulk(
            item("b", {"elementId": "b", "displayName": "B"}),
            item("a", {"elementId": "a", "displayName": "A"}),
        )
    )
    objects = client.list_objects(["a", "b"])
    assert [o.display_name for o in objects] == ["A", "B"]


def test_get_object(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/objects/list").respond(
        json=bulk(item("sensor-001", sample("server-a-objects.json")["result"][10]))
    )

    found = client.get_object("sensor-001")

    assert sent_json(route) == {"elementIds": ["sensor-001"], "includeMetadata": False}
    assert found == i3x.ObjectInstance(
        element_id="sensor-001",
        display_name="TempSensor-101",
        type_id="sensor-type",
        parent_id="pump-station",
    )


def test_get_object_not_found(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    respx_mock.post("/objects/list").respond(json=bulk(failed("no-such-element")))

    with pytest.raises(i3x.NotFoundError) as caught:
        client.get_object("no-such-element", include_metadata=True)

    error = caught.value
    assert error.status_code == 404
    assert error.title == "Not Found"
    assert error.detail == "Element not found: no-such-element"
    assert error.method == "POST"
    assert error.url == f"{API}/objects/list"
    assert "Element not found: no-such-element" in str(error)


# ----------------------------------------------------------------- related objects


def test_get_related_objects(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    answer = sample("server-a-objects-related.json")
    answer["results"] = answer["results"][:1]
    answer["success"] = True
    route = respx_mock.post("/objects/related").respond(json=answer)

    related = client.get_related_objects(["pump-101"])

    assert sent_json(route) == {"elementIds": ["pump-101"], "includeMetadata": False}
    assert [(r.source_relationship, r.element_id) for r in related] == [
        ("HasParent", "pump-station"),
        ("HasComponent", "pump-101-state"),
        ("HasComponent", "pump-101-production"),
        ("HasComponent", "pump-101-measurements"),
        ("SuppliesTo", "tank-201"),
    ]
    assert isinstance(related[0], i3x.ObjectInstance)
    assert related[3].is_composition is True
    plain = related[0].object
    assert type(plain) is i3x.ObjectInstance
    assert plain.element_id == "pump-station"
    assert plain.type_id == "work-center-type"


def test_get_related_objects_of_one_type(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/objects/related").respond(json=bulk(item("pump-101", [])))
    assert client.get_related_objects(["pump-101"], "HasComponent", include_metadata=True) == []
    assert sent_json(route) == {
        "elementIds": ["pump-101"],
        "relationshipType": "HasComponent",
        "includeMetadata": True,
    }


def test_get_related_objects_partial_failure(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("/objects/related").respond(json=sample("server-a-objects-related.json"))

    with pytest.raises(i3x.BulkError) as caught:
        client.get_related_objects(["pump-101", "no-such-element"])

    error = caught.value
    assert [r.element_id for r in error.results["pump-101"]] == [
        "pump-station",
        "pump-101-state",
        "pump-101-production",
        "pump-101-measurements",
        "tank-201",
    ]
    assert isinstance(error.errors["no-such-element"], i3x.NotFoundError)
    assert error.errors["no-such-element"].detail == "Element not found: no-such-element"


# ---------------------------------------------------------------------------- info


def test_a_bare_list_is_read_as_the_result(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get("/namespaces").respond(json=[{"uri": "urn:a", "displayName": "A"}])

    namespaces = client.get_namespaces()

    assert [(n.uri, n.display_name) for n in namespaces] == [("urn:a", "A")]


def test_an_envelope_with_a_null_result_is_still_an_envelope(
    client: i3x.Client, respx_mock: respx.MockRouter
) -> None:
    # Unknown keys next to "success" do not make the answer a bare result.
    respx_mock.get("/namespaces").respond(json={"success": True, "result": None, "vendor": "x"})

    assert client.get_namespaces() == []


def test_get_info_reads_info_again(client: i3x.Client, respx_mock: respx.MockRouter) -> None:
    info_route = respx_mock.routes["info"]
    info_route.respond(json=sample("server-b-info.json"))

    info = client.get_info()

    assert info_route.call_count == 2, "connect, then get_info"
    assert request_of(info_route).method == "GET"
    assert info.server_name == "node-i3x"
    assert info.server_version == "0.9.11"
    assert info.model_extra["license"].startswith("AGPL")
