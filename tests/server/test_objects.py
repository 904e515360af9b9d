"""Objects, types, namespaces and relationships of the demo plant."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

DEMO_IDS = {
    "site-1",
    "area-utilities",
    "area-bottling",
    "line-1",
    "pump-101",
    "pump-101-flow",
    "pump-101-discharge-pressure",
    "pump-101-state",
    "pump-101-motor",
    "pump-101-motor-temperature",
    "pump-101-motor-current",
    "tank-201",
    "tank-201-level",
    "tank-201-temperature",
    "tank-201-setpoint",
    "ts-301",
    "ts-302",
    "ts-303",
    "pt-304",
}


def _objects(api: httpx.Client, **params: str) -> list[dict[str, Any]]:
    answer = api.get("/objects", params=params)
    assert answer.status_code == 200
    result: list[dict[str, Any]] = answer.json()["result"]
    return result


def _related(api: httpx.Client, element_id: str, **extra: object) -> list[tuple[str, str]]:
    body = api.post("/objects/related", json={"elementIds": [element_id], **extra}).json()
    return [
        (r["sourceRelationship"], r["object"]["elementId"]) for r in body["results"][0]["result"]
    ]


def test_the_documented_demo_ids_exist(api: httpx.Client) -> None:
    objects = {o["elementId"]: o for o in _objects(api)}
    assert set(objects) >= DEMO_IDS
    assert 15 <= len(objects) <= 60
    assert objects["pump-101"]["isComposition"] is True
    assert objects["pump-101-motor"]["isComposition"] is True
    assert objects["tank-201"]["isComposition"] is True
    assert objects["line-1"]["parentId"] == "area-bottling"
    assert objects["pump-101-motor-current"]["parentId"] == "pump-101-motor"


def test_object_instances_have_every_required_field(api: httpx.Client) -> None:
    for obj in _objects(api):
        assert set(obj) == {
            "elementId",
            "displayName",
            "typeElementId",
            "parentId",
            "isComposition",
            "isExtended",
        }


def test_root_objects_have_no_parent(api: httpx.Client) -> None:
    assert [o["elementId"] for o in _objects(api, root="true")] == ["site-1"]
    assert len(_objects(api, root="false")) == len(_objects(api))


def test_objects_filtered_by_type(api: httpx.Client) -> None:
    sensors = _objects(api, typeElementId="temperature-transmitter-type")
    assert {o["elementId"] for o in sensors} == {"ts-301", "ts-302", "ts-303"}
    assert _objects(api, typeElementId="no-such-type") == []


def test_a_bad_boolean_query_parameter_is_400(api: httpx.Client) -> None:
    answer = api.get("/objects", params={"root": "yes please"})
    assert answer.status_code == 400
    assert "root" in answer.json()["responseDetail"]["detail"]


def test_metadata_lists_relationships_in_both_directions(api: httpx.Client) -> None:
    by_id = {o["elementId"]: o for o in _objects(api, includeMetadata="true")}
    pump = by_id["pump-101"]["metadata"]
    assert pump["typeNamespaceUri"] == "https://example.org/i3x-demo/bottling-plant"
    assert pump["sourceTypeId"] == "CentrifugalPump"
    assert pump["description"]
    rels = pump["relationships"]
    assert rels["HasParent"] == ["area-utilities"]
    assert rels["HasComponent"] == [
        "pump-101-flow",
        "pump-101-discharge-pressure",
        "pump-101-state",
        "pump-101-motor",
    ]
    assert rels["SuppliesTo"] == ["tank-201"]
    assert rels["MonitoredBy"] == ["pt-304"]
    tank = by_id["tank-201"]["metadata"]["relationships"]
    assert tank["SuppliedBy"] == ["pump-101"]
    assert tank["MonitoredBy"] == ["ts-303"]
    assert by_id["ts-303"]["metadata"]["relationships"]["Monitors"] == ["tank-201"]
    flow = by_id["pump-101-flow"]["metadata"]
    assert flow["engUnit"] == "m3/h"
    assert flow["relationships"]["ComponentOf"] == ["pump-101"]
    assert by_id["area-utilities"]["metadata"]["relationships"]["HasChildren"][0] == "pump-101"


def test_list_objects_with_metadata(api: httpx.Client) -> None:
    body = api.post(
        "/objects/list", json={"elementIds": ["tank-201-setpoint"], "includeMetadata": True}
    ).json()
    obj = body["results"][0]["result"]
    assert obj["parentId"] == "tank-201"
    assert obj["metadata"]["relationships"] == {"HasParent": ["tank-201"]}


def test_related_objects_both_directions(api: httpx.Client) -> None:
    assert ("SuppliesTo", "tank-201") in _related(api, "pump-101")
    assert ("SuppliedBy", "pump-101") in _related(api, "tank-201")
    assert ("Monitors", "tank-201") in _related(api, "ts-303")
    assert ("MonitoredBy", "ts-303") in _related(api, "tank-201")
    assert ("ComponentOf", "pump-101") in _related(api, "pump-101-motor")
    assert ("HasComponent", "pump-101-motor-temperature") in _related(api, "pump-101-motor")
    assert ("HasChildren", "area-utilities") in _related(api, "site-1")
    assert ("HasParent", "site-1") in _related(api, "area-utilities")


def test_related_objects_filtered_by_relationship_type(api: httpx.Client) -> None:
    assert _related(api, "pump-101", relationshipType="SuppliesTo") == [("SuppliesTo", "tank-201")]
    assert _related(api, "pump-101", relationshipType="Monitors") == []


def test_related_objects_carry_metadata_when_asked(api: httpx.Client) -> None:
    body = api.post(
        "/objects/related",
        json={"elementIds": ["ts-303"], "relationshipType": "Monitors", "includeMetadata": True},
    ).json()
    assert body["results"][0]["result"][0]["object"]["metadata"]["sourceTypeId"] == "StorageTank"


def test_related_objects_unknown_id_fails_per_item(api: httpx.Client) -> None:
    answer = api.post("/objects/related", json={"elementIds": ["pump-101", "nope"]})
    assert answer.status_code == 200
    assert [i["success"] for i in answer.json()["results"]] == [True, False]
    assert answer.json()["results"][1]["responseDetail"]["status"] == 404


def test_object_types_have_json_schemas(api: httpx.Client) -> None:
    types = {t["elementId"]: t for t in api.get("/objecttypes").json()["result"]}
    setpoint = types["temperature-setpoint-type"]
    assert setpoint["namespaceUri"] == "https://example.org/i3x-demo/bottling-plant"
    assert setpoint["schema"]["additionalProperties"] is False
    assert setpoint["schema"]["required"] == ["temperature"]
    assert types["pump-state-type"]["schema"]["properties"]["mode"]["enum"] == [
        "running",
        "stopped",
        "maintenance",
        "fault",
    ]
    assert types["flow-rate-type"]["schema"]["unit"] == "m3/h"


def test_object_types_filtered_by_namespace(api: httpx.Client) -> None:
    isa = api.get("/objecttypes", params={"namespaceUri": "https://isa.org/isa95"}).json()
    assert {t["elementId"] for t in isa["result"]} == {
        "site-type",
        "area-type",
        "production-line-type",
    }


def test_object_types_query_is_bulk(api: httpx.Client) -> None:
    body = api.post("/objecttypes/query", json={"elementIds": ["level-type", "nope"]}).json()
    assert body["success"] is False
    assert body["results"][0]["result"]["displayName"] == "FillLevel"
    assert body["results"][1]["responseDetail"]["status"] == 404


def test_relationship_types_come_in_reverse_pairs(api: httpx.Client) -> None:
    types = {t["elementId"]: t for t in api.get("/relationshiptypes").json()["result"]}
    pairs = {
        ("HasParent", "HasChildren"),
        ("HasComponent", "ComponentOf"),
        ("SuppliesTo", "SuppliedBy"),
        ("Monitors", "MonitoredBy"),
    }
    for forward, reverse in pairs:
        assert types[forward]["reverseOf"] == reverse
        assert types[reverse]["reverseOf"] == forward
    for rel in types.values():
        assert set(rel) == {
            "elementId",
            "displayName",
            "namespaceUri",
            "relationshipId",
            "reverseOf",
        }


def test_relationship_types_filter_and_query(api: httpx.Client) -> None:
    core = api.get("/relationshiptypes", params={"namespaceUri": "https://cesmii.org/i3x"})
    assert {t["elementId"] for t in core.json()["result"]} == {
        "HasParent",
        "HasChildren",
        "HasComponent",
        "ComponentOf",
    }
    body = api.post("/relationshiptypes/query", json={"elementIds": ["SuppliedBy", "x"]}).json()
    assert body["results"][0]["result"]["reverseOf"] == "SuppliesTo"
    assert body["results"][1]["success"] is False


@pytest.mark.parametrize(
    "uri",
    [
        "https://cesmii.org/i3x",
        "https://isa.org/isa95",
        "https://example.org/i3x-demo/bottling-plant",
    ],
)
def test_namespaces_are_listed(api: httpx.Client, uri: str) -> None:
    namespaces = api.get("/namespaces").json()["result"]
    assert uri in {ns["uri"] for ns in namespaces}
    assert all(set(ns) == {"uri", "displayName"} for ns in namespaces)
