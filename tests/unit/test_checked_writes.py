"""Checked writes (`validate_writes=True`) and pydantic models as values, with respx.

The wire: which lookups a checked write makes and when (`POST /objects/list`, then
`POST /objecttypes/query`, each once per element or type and client), what a refusal
says (the element, the type, where the value and the schema fail), that a refused
write sends nothing, and what a write that cannot be checked does.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pydantic
import pytest
import respx
from pydantic import BaseModel, ConfigDict, Field, RootModel

import i3x

from ._helpers import API, CLIENT_ID, INFO, TLS, bulk, failed, item, sent_json

# Each test uses some of the plant's routes.
pytestmark = pytest.mark.respx(base_url=API, assert_all_called=False)

SETPOINT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "temperature": {"type": "number", "minimum": 0, "maximum": 120},
        "mode": {"enum": ["auto", "manual"]},
    },
    "required": ["temperature"],
    "additionalProperties": False,
}
FLOW_SCHEMA: dict[str, Any] = {"type": "number", "minimum": 0}
NOON = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def _object(element_id: str, type_id: str | None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "elementId": element_id,
        "displayName": element_id,
        "parentId": None,
        "isComposition": False,
        **extra,
    }
    if type_id is not None:
        found["typeElementId"] = type_id
    return found


def _type(type_id: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "elementId": type_id,
        "displayName": type_id,
        "namespaceUri": "https://example.org/plant",
        "sourceTypeId": type_id,
        "schema": schema,
    }


class Plant:
    """A mocked server with objects and types; every route counts its calls."""

    def __init__(self, respx_mock: respx.MockRouter) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.types: dict[str, dict[str, Any]] = {}
        self.objects_list = respx_mock.post("/objects/list").mock(side_effect=self._list)
        self.types_query = respx_mock.post("/objecttypes/query").mock(side_effect=self._query)
        self.put = respx_mock.put("/objects/value").mock(side_effect=self._put)
        self.history = respx_mock.put("/objects/history").mock(side_effect=self._put)

    def add(
        self, element_id: str, type_id: str | None, schema: dict[str, Any] | None, **extra: Any
    ) -> None:
        self.objects[element_id] = _object(element_id, type_id, **extra)
        if type_id is not None and schema is not None:
            self.types[type_id] = _type(type_id, schema)

    @staticmethod
    def _ids(request: Any) -> list[str]:
        ids: list[str] = json.loads(request.content)["elementIds"]
        return ids

    def _list(self, request: Any) -> Any:
        found = [
            item(k, self.objects[k]) if k in self.objects else failed(k) for k in self._ids(request)
        ]
        return respx.MockResponse(json=bulk(*found))

    def _query(self, request: Any) -> Any:
        found = [
            item(k, self.types[k]) if k in self.types else failed(k, detail=f"Type not found: {k}")
            for k in self._ids(request)
        ]
        return respx.MockResponse(json=bulk(*found))

    @staticmethod
    def _put(request: Any) -> Any:
        updates = json.loads(request.content)["updates"]
        return respx.MockResponse(json=bulk(*(item(u["elementId"]) for u in updates)))

    def lookups(self) -> tuple[int, int]:
        """Calls of `POST /objects/list` and `POST /objecttypes/query` so far."""
        return self.objects_list.call_count, self.types_query.call_count


@pytest.fixture
def plant(respx_mock: respx.MockRouter) -> Plant:
    found = Plant(respx_mock)
    found.add("tank-201-setpoint", "temperature-setpoint-type", SETPOINT_SCHEMA)
    found.add("pump-101-flow", "flow-rate-type", FLOW_SCHEMA)
    found.add("pump-102-flow", "flow-rate-type", FLOW_SCHEMA)
    return found


@pytest.fixture
def checked(respx_mock: respx.MockRouter, sleeps: list[float]) -> Iterator[i3x.Client]:
    """A connected client with `validate_writes=True`."""
    respx_mock.get("/info", name="info").respond(json=INFO)
    c = i3x.Client(API, client_id=CLIENT_ID, verify=TLS, validate_writes=True)
    c.connect()
    yield c
    c.close()


# ------------------------------------------------------------------------ refusals


def test_a_value_that_does_not_fit_is_refused_naming_the_element_and_schema_path(
    checked: i3x.Client, plant: Plant
) -> None:
    with pytest.raises(i3x.ValueValidationError) as caught:
        checked.update_value("tank-201-setpoint", {"temperature": 500})

    error = caught.value
    assert str(error) == (
        "the value of 'tank-201-setpoint' does not fit its type 'temperature-setpoint-type' "
        "(nothing was written): temperature: 500 is greater than the maximum of 120 "
        "(schema: #/properties/temperature/maximum)"
    )
    assert isinstance(error, ValueError)
    assert error.element_id == "tank-201-setpoint"
    assert error.expected == "temperature-setpoint-type"
    assert error.errors == [
        {
            "loc": ("temperature",),
            "msg": "500 is greater than the maximum of 120",
            "type": "maximum",
            "input": 500,
            "schema_path": ("properties", "temperature", "maximum"),
            "element_id": "tank-201-setpoint",
            "type_id": "temperature-setpoint-type",
        }
    ]
    assert plant.put.call_count == 0
    assert sent_json(plant.objects_list) == {
        "elementIds": ["tank-201-setpoint"],
        "includeMetadata": False,
    }
    assert sent_json(plant.types_query) == {"elementIds": ["temperature-setpoint-type"]}


def test_every_failure_is_kept_and_the_message_shows_three(
    checked: i3x.Client, plant: Plant
) -> None:
    plant.add(
        "recipe-7",
        "recipe-type",
        {"type": "object", "properties": {k: {"type": "integer"} for k in "abcde"}},
    )
    with pytest.raises(i3x.ValueValidationError) as caught:
        checked.update_value("recipe-7", dict.fromkeys("abcde", "x"))
    assert len(caught.value.errors) == 5
    assert {e["loc"] for e in caught.value.errors} == {(k,) for k in "abcde"}
    assert str(caught.value).count("is not of type 'integer'") == 3
    assert str(caught.value).endswith("; and 2 more")


def test_a_failure_at_the_root_and_an_unexpected_property(
    checked: i3x.Client, plant: Plant
) -> None:
    with pytest.raises(i3x.ValueValidationError) as caught:
        checked.update_value("tank-201-setpoint", {"temperature": 50, "speed": 3})
    assert caught.value.errors[0]["loc"] == ()
    assert caught.value.errors[0]["schema_path"] == ("additionalProperties",)
    assert "Additional properties are not allowed ('speed' was unexpected)" in str(caught.value)
    assert "(schema: #/additionalProperties)" in str(caught.value)

    with pytest.raises(i3x.ValueValidationError, match=r"'fast' is not of type 'number'"):
        checked.update_value("pump-101-flow", "fast")
    assert plant.put.call_count == 0


def test_update_values_checks_every_value_before_sending_any(
    checked: i3x.Client, plant: Plant
) -> None:
    with pytest.raises(i3x.ValueValidationError) as caught:
        checked.update_values(
            {
                "pump-101-flow": 12.5,  # fits
                "tank-201-setpoint": {"temperature": -5},
                "pump-102-flow": -1,
            }
        )
    error = caught.value
    assert str(error) == (
        "2 values do not fit their types (nothing was written): "
        "'tank-201-setpoint' (type 'temperature-setpoint-type'): temperature: -5 is less "
        "than the minimum of 0 (schema: #/properties/temperature/minimum) | "
        "'pump-102-flow' (type 'flow-rate-type'): -1 is less than the minimum of 0 "
        "(schema: #/minimum)"
    )
    assert error.element_id is None
    assert error.expected is None  # two types
    assert [(e["element_id"], e["type_id"]) for e in error.errors] == [
        ("tank-201-setpoint", "temperature-setpoint-type"),
        ("pump-102-flow", "flow-rate-type"),
    ]
    assert plant.put.call_count == 0
    # One lookup of each kind for all of them; a type two elements share, once.
    assert plant.lookups() == (1, 1)
    assert sent_json(plant.objects_list)["elementIds"] == [
        "pump-101-flow",
        "tank-201-setpoint",
        "pump-102-flow",
    ]
    assert sent_json(plant.types_query)["elementIds"] == [
        "flow-rate-type",
        "temperature-setpoint-type",
    ]


def test_update_values_with_one_refusal_names_its_element(
    checked: i3x.Client, plant: Plant
) -> None:
    with pytest.raises(i3x.ValueValidationError) as caught:
        checked.update_values([("pump-101-flow", 1.0), ("pump-102-flow", "x")])
    assert caught.value.element_id == "pump-102-flow"
    assert caught.value.expected == "flow-rate-type"
    assert plant.put.call_count == 0


def test_many_refused_elements_are_all_on_the_error(checked: i3x.Client, plant: Plant) -> None:
    for n in range(5):
        plant.add(f"flow-{n}", "flow-rate-type", FLOW_SCHEMA)
    with pytest.raises(i3x.ValueValidationError) as caught:
        checked.update_values({f"flow-{n}": -1 for n in range(5)})
    assert [e["element_id"] for e in caught.value.errors] == [f"flow-{n}" for n in range(5)]
    assert caught.value.expected == "flow-rate-type"
    assert str(caught.value).endswith(" | and 2 more")


def test_values_that_fit_are_written_as_usual(checked: i3x.Client, plant: Plant) -> None:
    checked.update_values(
        {"tank-201-setpoint": {"temperature": 65.0, "mode": "auto"}, "pump-101-flow": 12}
    )
    assert sent_json(plant.put) == {
        "updates": [
            {
                "elementId": "tank-201-setpoint",
                "value": {"value": {"temperature": 65.0, "mode": "auto"}},
            },
            {"elementId": "pump-101-flow", "value": {"value": 12}},
        ]
    }


def test_a_tuple_is_checked_as_the_array_it_is_sent_as(checked: i3x.Client, plant: Plant) -> None:
    plant.add("limits", "limits-type", {"type": "array", "items": {"type": "number"}})
    checked.update_value("limits", (1.0, 2.5))
    assert sent_json(plant.put)["updates"][0]["value"] == {"value": [1.0, 2.5]}


def test_null_is_checked_unless_the_quality_says_there_is_no_value(
    checked: i3x.Client, plant: Plant
) -> None:
    # i3X: Bad and GoodNoData carry null whatever the type.
    checked.update_value("pump-101-flow", None, quality="Bad")
    checked.update_value("pump-101-flow", i3x.VQT(value=None, quality="GoodNoData"))
    assert plant.put.call_count == 2
    with pytest.raises(i3x.ValueValidationError, match="None is not of type 'number'"):
        checked.update_value("pump-101-flow", None)
    with pytest.raises(i3x.ValueValidationError, match="None is not of type 'number'"):
        checked.update_value("pump-101-flow", None, quality="Uncertain")
    assert plant.put.call_count == 2


def test_the_quality_and_timestamp_of_a_vqt_are_not_part_of_the_check(
    checked: i3x.Client, plant: Plant
) -> None:
    checked.update_value(
        "pump-101-flow", {"value": 3.5, "quality": "Uncertain", "timestamp": "2026-03-01T12:00:00Z"}
    )
    assert sent_json(plant.put)["updates"][0]["value"] == {
        "value": 3.5,
        "quality": "Uncertain",
        "timestamp": "2026-03-01T12:00:00Z",
    }


def test_the_schema_draft_is_the_one_it_names(checked: i3x.Client, plant: Plant) -> None:
    # `dependencies` is draft 7's keyword (2020-12 ignores it: dependentRequired).
    dependencies = {"type": "object", "dependencies": {"a": ["b"]}}
    plant.add(
        "d7", "draft7-type", {"$schema": "http://json-schema.org/draft-07/schema#"} | dependencies
    )
    plant.add("d2020", "draft2020-type", dependencies)
    with pytest.raises(i3x.ValueValidationError, match="'b' is a dependency of 'a'"):
        checked.update_value("d7", {"a": 1})
    checked.update_value("d2020", {"a": 1})
    assert plant.put.call_count == 1


def test_a_refused_history_write_sends_nothing(checked: i3x.Client, plant: Plant) -> None:
    good = i3x.VQT(value=1.0, quality="Good", timestamp=NOON)
    bad = i3x.VQT(value=-4.0, quality="Good", timestamp=NOON + timedelta(seconds=1))
    with pytest.raises(i3x.ValueValidationError, match=r"-4\.0 is less than the minimum"):
        checked.update_history("pump-101-flow", [good, bad])
    assert plant.history.call_count == 0
    checked.update_history("pump-101-flow", [good])
    assert plant.history.call_count == 1


# -------------------------------------------------------------------------- caching


def test_a_second_write_to_an_element_costs_no_lookup(checked: i3x.Client, plant: Plant) -> None:
    checked.update_value("pump-101-flow", 1.0)
    assert plant.lookups() == (1, 1)
    checked.update_value("pump-101-flow", 2.0)
    with pytest.raises(i3x.ValueValidationError):
        checked.update_value("pump-101-flow", -2.0)
    assert plant.lookups() == (1, 1)
    # Another element of the same type: its type id only; the type is known.
    checked.update_value("pump-102-flow", 3.0)
    assert plant.lookups() == (2, 1)
    assert sent_json(plant.objects_list)["elementIds"] == ["pump-102-flow"]
    assert plant.put.call_count == 3


def test_views_share_what_the_client_learned(
    client: i3x.Client, plant: Plant, respx_mock: respx.MockRouter
) -> None:
    assert not client.validate_writes
    view = client.with_options(validate_writes=True)
    assert view.validate_writes
    assert view.with_options(timeout=3.0).validate_writes  # kept when not given
    view.update_value("pump-101-flow", 1.0)
    assert plant.lookups() == (1, 1)
    # Another view, and the client itself through a view: nothing looked up again.
    other = client.with_options(validate_writes=True, max_retries=0)
    with pytest.raises(i3x.ValueValidationError):
        other.update_value("pump-101-flow", -1.0)
    assert plant.lookups() == (1, 1)
    # The client itself does not check: no lookup, and the server gets the value.
    client.update_value("pump-101-flow", -1.0)
    assert plant.lookups() == (1, 1)
    assert plant.put.call_count == 2
    # A view can turn checking off for one call.
    view.with_options(validate_writes=False).update_value("pump-101-flow", "x")
    assert plant.put.call_count == 3


def test_disconnect_forgets_the_types(checked: i3x.Client, plant: Plant) -> None:
    checked.update_value("pump-101-flow", 1.0)
    checked.disconnect()
    checked.connect()
    checked.update_value("pump-101-flow", 2.0)
    assert plant.lookups() == (2, 2)


# ------------------------------------------------------------ what cannot be checked


def test_an_unpublished_type_is_written_unchecked_with_a_warning(
    checked: i3x.Client, plant: Plant
) -> None:
    plant.add("asset-7-temperature", "Float64", None)  # the type is not in /objecttypes
    with pytest.warns(i3x.UncheckedWriteWarning) as caught:
        checked.update_value("asset-7-temperature", "not a number")
    assert str(caught[0].message) == (
        "'asset-7-temperature' is written unchecked: the server does not publish its type 'Float64'"
    )
    # At the caller's line, for both clients and every path through the SDK.
    assert caught[0].filename == __file__
    assert sent_json(plant.put)["updates"][0]["value"] == {"value": "not a number"}
    # Remembered: no lookup again, but a warning at each write.
    with pytest.warns(i3x.UncheckedWriteWarning):
        checked.update_value("asset-7-temperature", 2.0)
    assert plant.lookups() == (1, 1)
    assert plant.put.call_count == 2


def test_an_unchecked_write_can_be_refused_by_a_warning_filter(
    checked: i3x.Client, plant: Plant
) -> None:
    plant.add("asset-7-temperature", "Float64", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", i3x.UncheckedWriteWarning)
        for _ in range(2):  # the second time from the client's memory
            with pytest.raises(i3x.UncheckedWriteWarning):
                checked.update_value("asset-7-temperature", 1.0)
    assert plant.put.call_count == 0


@pytest.mark.parametrize(
    "case",
    [
        (None, {}, None, "the server gives no type for it"),
        (
            "extended-type",
            {"isExtended": True},
            FLOW_SCHEMA,
            "its instance extends the schema of its type 'extended-type'",
        ),
        (
            "broken-type",
            {},
            {"type": 5},
            "the schema of its type 'broken-type' is not valid JSON Schema: 5 is not valid "
            "under any of the given schemas",
        ),
        (
            "remote-type",
            {},
            {"$ref": "https://types.example/flow.json"},
            "the schema of its type 'remote-type' refers to 'https://types.example/flow.json', "
            "which it does not hold (references are never fetched)",
        ),
        (
            "endless-type",
            {},
            {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
            "the schema of its type 'endless-type' refers to itself without end",
        ),
        (
            "odd-type",
            {},
            {"$schema": {"draft": 7}},
            "jsonschema cannot read the schema of its type 'odd-type' (TypeError)",
        ),
    ],
    ids=["no-type", "extended", "invalid-schema", "remote-ref", "endless-ref", "odd-schema"],
)
def test_what_cannot_be_checked_is_written_with_a_warning(
    checked: i3x.Client, plant: Plant, case: tuple[str | None, dict[str, Any], Any, str]
) -> None:
    type_id, extra, schema, reason = case
    plant.add("x-1", type_id, schema, **extra)
    with pytest.warns(i3x.UncheckedWriteWarning) as caught:
        checked.update_value("x-1", -1)
    assert [str(w.message) for w in caught] == [f"'x-1' is written unchecked: {reason}"]
    assert sent_json(plant.put)["updates"][0]["value"] == {"value": -1}


def test_an_element_the_server_does_not_find_is_left_to_the_write(
    checked: i3x.Client, plant: Plant, respx_mock: respx.MockRouter
) -> None:
    respx_mock.put("/objects/value").respond(json=bulk(failed("nope")))
    with pytest.raises(i3x.NotFoundError, match="Element not found: nope"):
        checked.update_value("nope", 1)
    assert plant.lookups() == (1, 0)
    # Not remembered: it may be created before the next write.
    with pytest.raises(i3x.NotFoundError):
        checked.update_value("nope", 1)
    assert plant.lookups() == (2, 0)


def test_a_failed_lookup_raises_and_sends_nothing(
    checked: i3x.Client, plant: Plant, respx_mock: respx.MockRouter, sleeps: list[float]
) -> None:
    respx_mock.post("/objects/list").respond(
        json=bulk(failed("pump-101-flow", 403, "Forbidden", "not yours"))
    )
    with pytest.raises(i3x.AuthenticationError, match="not yours"):
        checked.update_value("pump-101-flow", 1.0)
    respx_mock.post("/objects/list").respond(503)
    with pytest.raises(i3x.ServerError) as caught:
        checked.update_value("pump-101-flow", 1.0)
    assert caught.value.url == f"{API}/objects/list"
    assert len(sleeps) == 2  # a lookup is a read: retried
    assert plant.put.call_count == 0


# ----------------------------------------------------------------- server profiles


@pytest.mark.parametrize(
    ("profile", "route", "body"),
    [
        (
            "bare-value",
            "/objects/value",
            {"updates": [{"elementId": "pump-101-flow", "value": 4.5}]},
        ),
        ("per-element", "/objects/pump-101-flow/value", {"value": 4.5}),
    ],
)
def test_checked_writes_keep_the_servers_dialect(
    respx_mock: respx.MockRouter, plant: Plant, profile: str, route: str, body: Any
) -> None:
    respx_mock.get("/info").respond(json=INFO)
    written = respx_mock.put(route).respond(json=bulk(item("pump-101-flow")))
    with i3x.Client(API, verify=TLS, server_profile=profile, validate_writes=True) as c:
        c.update_value("pump-101-flow", 4.5)
        with pytest.raises(i3x.ValueValidationError):
            c.update_value("pump-101-flow", -4.5)
    assert written.call_count == 1
    assert sent_json(written) == body


# ------------------------------------------------------------------ configuration


def test_validate_writes_is_checked_before_any_request() -> None:
    with pytest.raises(TypeError, match="validate_writes must be a bool, not str"):
        i3x.Client(API, validate_writes="yes")  # type: ignore[arg-type]
    client = i3x.Client(API)
    with pytest.raises(TypeError, match="validate_writes must be a bool, not int"):
        client.with_options(validate_writes=1)  # type: ignore[arg-type]
    assert i3x.AsyncClient(API, validate_writes=True).validate_writes


def test_without_jsonschema_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    hint = r'pip install "i3x-client\[validation\]"'
    with pytest.raises(ImportError, match=hint):
        i3x.Client(API, validate_writes=True)
    with pytest.raises(ImportError, match=hint):
        i3x.AsyncClient(API, validate_writes=True)
    client = i3x.Client(API)
    with pytest.raises(ImportError, match=hint):
        client.with_options(validate_writes=True)
    assert not client.with_options(validate_writes=False).validate_writes


# -------------------------------------------------------- pydantic models as values


class Setpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    temperature: float
    mode: str | None = None
    started_at: str | None = Field(default=None, alias="startedAt")


class Limits(RootModel[list[float]]):
    pass


def test_a_model_is_written_as_its_json_form(client: i3x.Client, plant: Plant) -> None:
    client.update_value("tank-201-setpoint", Setpoint(temperature=68.0))
    client.update_value(
        "tank-201-setpoint", Setpoint(temperature=68.0, mode="auto", startedAt="08:00")
    )
    client.update_value("limits", Limits([1.0, 2.0]), quality="Uncertain")
    assert [sent_json(plant.put, i)["updates"][0]["value"] for i in range(3)] == [
        # None fields left out: a server checking its schema would see null.
        {"value": {"temperature": 68.0}},
        # By wire name (the alias).
        {"value": {"temperature": 68.0, "mode": "auto", "startedAt": "08:00"}},
        # A root model as its root.
        {"value": [1.0, 2.0], "quality": "Uncertain"},
    ]


def test_models_in_vqts_in_update_values_and_in_history(client: i3x.Client, plant: Plant) -> None:
    client.update_values(
        {
            "tank-201-setpoint": i3x.VQT(value=Setpoint(temperature=1.0), quality="Good"),
            "limits": Limits([3.0]),
        }
    )
    assert sent_json(plant.put)["updates"] == [
        {
            "elementId": "tank-201-setpoint",
            "value": {"value": {"temperature": 1.0}, "quality": "Good"},
        },
        {"elementId": "limits", "value": {"value": [3.0]}},
    ]
    client.update_history(
        "tank-201-setpoint",
        i3x.VQT(value=Setpoint(temperature=2.0), quality="Good", timestamp=NOON),
    )
    assert sent_json(plant.history)["updates"] == [
        {
            "elementId": "tank-201-setpoint",
            "value": {
                "value": {"temperature": 2.0},
                "quality": "Good",
                "timestamp": "2026-03-01T12:00:00Z",
            },
        }
    ]


def test_a_model_is_checked_in_its_json_form(checked: i3x.Client, plant: Plant) -> None:
    checked.update_value("tank-201-setpoint", Setpoint(temperature=68.0, mode="auto"))
    # A model built without validation can still hold what the schema refuses.
    sneaky = Setpoint.model_construct(temperature=400.0)
    with pytest.raises(i3x.ValueValidationError, match=r"400\.0 is greater than the maximum"):
        checked.update_value("tank-201-setpoint", sneaky)
    assert plant.put.call_count == 1
    assert isinstance(sneaky, pydantic.BaseModel)


# ----------------------------------------------------------------------- async


@pytest.mark.anyio
async def test_the_async_client_checks_the_same_way(
    respx_mock: respx.MockRouter, plant: Plant
) -> None:
    respx_mock.get("/info").respond(json=INFO)
    async with i3x.AsyncClient(API, verify=TLS, validate_writes=True) as c:
        with pytest.raises(i3x.ValueValidationError) as caught:
            await c.update_values({"pump-101-flow": 1.0, "tank-201-setpoint": {"temperature": 500}})
        assert caught.value.element_id == "tank-201-setpoint"
        await c.update_value("pump-101-flow", 2.0)
        plant.add("asset-7", "Float64", None)
        with pytest.warns(i3x.UncheckedWriteWarning) as warned:
            await c.with_options(timeout=5.0).update_value("asset-7", "x")
        assert warned[0].filename == __file__
    assert plant.lookups() == (2, 2)
    assert [u["elementId"] for u in sent_json(plant.put)["updates"]] == ["asset-7"]
    assert plant.put.call_count == 2
