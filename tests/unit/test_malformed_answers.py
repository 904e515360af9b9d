"""Malformed answers: whatever a server sends, only i3x errors come out.

Property-based (hypothesis): the wire's decoders get arbitrary JSON, and arbitrary JSON
placed into the shapes of i3X envelopes; an answer either decodes into the promised
types or raises an `i3x.I3XError` carrying the status and the request. Then one respx
test per public method family with a malformed answer, for both clients.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import i3x
from i3x._models import BatchWire, ObjectInstance, ObjectType, RelatedObject, RelationshipType
from i3x._wire import as_model, bulk_results, decode_bulk, decode_result, value_result

from ._helpers import API, INFO, ok

URL = "http://i3x.test/v1/objects/list"
KEYS = ["a", "b"]

# ------------------------------------------------------------------ strategies

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["a", "b", "Good", "Bad", "2026-01-01T00:00:00Z", "1.0", ""])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The field as i3X has it, any JSON in its place, or left out."""
    return st.one_of(strategy, json_values)


details = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            "title": _maybe(st.text(max_size=8)),
            "status": _maybe(st.integers(min_value=100, max_value=599)),
            "detail": _maybe(st.text(max_size=8)),
        },
    )
)
vqts = st.fixed_dictionaries(
    {},
    optional={
        "value": json_values,
        "quality": _maybe(st.sampled_from(["Good", "GoodNoData", "Bad", "Uncertain"])),
        "timestamp": _maybe(st.just("2026-01-01T00:00:00Z")),
        "isComposition": _maybe(st.booleans()),
        "components": json_values,
    },
)
objects = st.fixed_dictionaries(
    {},
    optional={
        "elementId": _maybe(st.sampled_from(KEYS)),
        "displayName": _maybe(st.text(max_size=8)),
        "typeElementId": _maybe(st.text(max_size=8)),
        "parentId": _maybe(st.text(max_size=8)),
        "isComposition": _maybe(st.booleans()),
        "subscriptionId": _maybe(st.sampled_from(KEYS)),
        "uri": _maybe(st.text(max_size=8)),
    },
)
results = st.one_of(json_values, vqts, objects, st.lists(objects, max_size=3))
items = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            "success": _maybe(st.booleans()),
            "elementId": _maybe(st.sampled_from(KEYS)),
            "subscriptionId": _maybe(st.sampled_from(KEYS)),
            "result": results,
            "responseDetail": details,
        },
    )
)
bulk_bodies = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            "success": _maybe(st.booleans()),
            "results": _maybe(st.lists(items, max_size=3)),
            "responseDetail": details,
        },
    )
)
result_bodies = _maybe(
    st.fixed_dictionaries(
        {},
        optional={
            "success": _maybe(st.booleans()),
            "result": _maybe(results),
            "responseDetail": details,
        },
    )
)
statuses = st.sampled_from([200, 200, 200, 206, 400, 404, 500, 501])


def _answer(body: Any, status: int, raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.Response(
        status,
        content=content,
        headers={"content-type": "application/json"},
        request=httpx.Request("POST", URL),
    )


def _check_error(exc: i3x.I3XError, status: int) -> None:
    """An error of a malformed answer names the status and the request."""
    assert (exc.method, exc.url) == ("POST", URL)
    if not isinstance(exc, i3x.BulkError):
        assert exc.status_code is not None
    if isinstance(exc, i3x.InvalidServerResponseError):
        assert exc.status_code == status
        assert exc.detail, "what did not fit"


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------- bulk decoders

# What each bulk family asks for, and what every success must then be.
BULK_TYPES: list[tuple[Any, Any, Any]] = [
    (ObjectInstance, None, ObjectInstance),
    (ObjectType, None, ObjectType),
    (RelationshipType, None, RelationshipType),
    (i3x.Subscription, None, i3x.Subscription),
    (list[RelatedObject] | None, None, (list, type(None))),
    (dict[str, Any], value_result, i3x.LastKnownValue),
    (Any, None, object),  # writes, registrations, deletions: nothing is read from results
]


@pytest.mark.parametrize(
    ("item_type", "convert", "promised"),
    BULK_TYPES,
    ids=[
        "objects",
        "object-types",
        "relationship-types",
        "subscriptions",
        "related",
        "values",
        "writes",
    ],
)
@PROPERTY
@given(body=bulk_bodies, status=statuses)
@example(body={"__dict__": None}, status=200)  # found by this test: once a raw TypeError
@example(  # a "__dict__" key once replaced a validated item with unvalidated JSON
    body={"results": [{"success": True, "elementId": k, "__dict__": {"result": 5}} for k in KEYS]},
    status=200,
)
@example(  # the 206 of issue 11: items that succeed with no result
    body={"success": True, "results": [{"success": True, "subscriptionId": k} for k in KEYS]},
    status=206,
)
@example(
    body={
        "success": True,
        "results": [{"success": True, "elementId": k, "result": None} for k in KEYS],
    },
    status=200,
)
def test_bulk_decoders_raise_only_i3x_errors(
    item_type: Any, convert: Any, promised: Any, body: Any, status: int
) -> None:
    response = _answer(body, status)
    try:
        envelope = decode_bulk(response, item_type, "things")
        pairs, _ = bulk_results(
            response, envelope, KEYS, what="things", convert=convert, item_type=item_type
        )
    except i3x.I3XError as exc:
        _check_error(exc, status)
        return
    assert [k for k, _ in pairs] == KEYS
    for _, value in pairs:
        assert isinstance(value, promised)
        if isinstance(value, list):
            assert all(isinstance(v, RelatedObject) for v in value)


@PROPERTY
@given(raw=st.binary(max_size=40) | st.text(max_size=40).map(str.encode), status=statuses)
def test_bulk_decoders_take_any_bytes(raw: bytes, status: int) -> None:
    response = _answer(None, status, raw)
    try:
        envelope = decode_bulk(response, ObjectInstance, "objects")
        bulk_results(response, envelope, KEYS, what="objects", item_type=ObjectInstance)
    except i3x.I3XError as exc:
        _check_error(exc, status)


@PROPERTY
@given(
    result=_maybe(vqts), detail=st.none() | st.builds(i3x.ResponseDetail, title=st.text(max_size=4))
)
def test_value_result_raises_only_i3x_errors(
    result: Any, detail: i3x.ResponseDetail | None
) -> None:
    response = _answer(None, 200)
    try:
        value = value_result("a", result, detail, response)
    except i3x.I3XError as exc:
        _check_error(exc, 200)
        return
    assert isinstance(value, i3x.LastKnownValue)
    assert value.element_id == "a"


# ----------------------------------------------------------- result decoders

RESULT_TYPES: list[Any] = [
    i3x.ServerInfo,
    list[i3x.Namespace],
    list[ObjectType],
    list[RelationshipType],
    list[ObjectInstance],
    list[BatchWire],
    dict[str, Any],
]


@pytest.mark.parametrize(
    "tp",
    RESULT_TYPES,
    ids=["info", "namespaces", "types", "rel-types", "objects", "sync", "create"],
)
@PROPERTY
@given(body=result_bodies, status=statuses)
def test_result_decoders_raise_only_i3x_errors(tp: Any, body: Any, status: int) -> None:
    response = _answer(body, status)
    try:
        result, _ = decode_result(response, tp, "things")
        if result is not None:
            as_model(tp, result, response, "things")
    except i3x.I3XError as exc:
        _check_error(exc, status)


# -------------------------------------------- every public method family, both clients

NO_RESULT = {"success": True, "results": [{"success": True, "elementId": "a"}]}
SUB_NO_RESULT = {"success": True, "results": [{"success": True, "subscriptionId": "s"}]}
NOT_A_LIST = {"success": True, "results": "a"}

# name, call, method, path, status, answer, what the message names
FAMILIES: list[tuple[str, Callable[[Any], Any], str, str, int, Any, str]] = [
    ("get_info", lambda c: c.get_info(), "GET", "/info", 200, ok([1]), "ServerInfo"),
    ("get_namespaces", lambda c: c.get_namespaces(), "GET", "/namespaces", 200, ok({"uri": "u"}), "Namespace"),
    ("get_object_types", lambda c: c.get_object_types(), "GET", "/objecttypes", 200, ok([{"displayName": 5}]), "ObjectType"),
    ("get_relationship_types", lambda c: c.get_relationship_types(), "GET", "/relationshiptypes", 200, ok("x"), "RelationshipType"),
    ("get_objects", lambda c: c.get_objects(), "GET", "/objects", 200, ok([{"elementId": None}]), "ObjectInstance"),
    ("get_object", lambda c: c.get_object("a"), "POST", "/objects/list", 200, NO_RESULT, "carries no result"),
    ("list_objects", lambda c: c.list_objects(["a"]), "POST", "/objects/list", 206, NO_RESULT, "carries no result"),
    ("query_object_types", lambda c: c.query_object_types(["a"]), "POST", "/objecttypes/query", 200, NO_RESULT, "carries no result"),
    ("query_relationship_types", lambda c: c.query_relationship_types(["a"]), "POST", "/relationshiptypes/query", 200, NO_RESULT, "carries no result"),
    ("get_related_objects", lambda c: c.get_related_objects(["a"]), "POST", "/objects/related", 200, {"success": True, "results": [{"success": True, "elementId": "a", "result": "x"}]}, "related-object queries"),
    ("get_value", lambda c: c.get_value("a"), "POST", "/objects/value", 200, NO_RESULT, "carries no result"),
    ("get_values", lambda c: c.get_values(["a"]), "POST", "/objects/value", 206, NO_RESULT, "carries no result"),
    ("get_history", lambda c: c.get_history("a"), "POST", "/objects/history", 200, NO_RESULT, "carries no result"),
    ("get_histories", lambda c: c.get_histories(["a"]), "POST", "/objects/history", 200, {"success": True, "results": [{"success": True, "elementId": "a", "result": {"value": 1, "quality": 7}}]}, "LastKnownValue"),
    ("get_subscription", lambda c: c.get_subscription("s"), "POST", "/subscriptions/list", 206, SUB_NO_RESULT, "carries no result"),
    ("list_subscriptions", lambda c: c.list_subscriptions(["s"]), "POST", "/subscriptions/list", 200, {"success": True, "results": [{"success": True, "subscriptionId": "s", "result": {"subscriptionId": 5}}]}, "subscriptions"),
    ("create_subscription", lambda c: c.create_subscription(), "POST", "/subscriptions", 200, ok({"subscriptionId": 5}), "subscriptionId"),
    ("register_items", lambda c: c.register_items("s", ["a"]), "POST", "/subscriptions/register", 200, NOT_A_LIST, "registrations"),
    ("unregister_items", lambda c: c.unregister_items("s", ["a"]), "POST", "/subscriptions/unregister", 200, NOT_A_LIST, "unregistrations"),
    ("delete_subscriptions", lambda c: c.delete_subscriptions(["s"]), "POST", "/subscriptions/delete", 200, NOT_A_LIST, "deletions"),
    ("sync_subscription", lambda c: c.sync_subscription("s"), "POST", "/subscriptions/sync", 200, ok([{"sequenceNumber": "x", "updates": []}]), "SyncBatch"),
    ("update_value", lambda c: c.update_value("a", 1), "PUT", "/objects/value", 200, NOT_A_LIST, "writes"),
    ("update_values", lambda c: c.update_values({"a": 1}), "PUT", "/objects/value", 200, {"success": True, "results": [5]}, "writes"),
    ("update_history", lambda c: c.update_history("a", i3x.VQT(value=1, timestamp=datetime(2026, 1, 1, tzinfo=timezone.utc))), "PUT", "/objects/history", 200, NOT_A_LIST, "history writes"),
    ("dunder key in an item", lambda c: c.get_object("a"), "POST", "/objects/list", 200, {"success": True, "results": [{"success": True, "elementId": "a", "__dict__": {"success": True, "result": 5}}]}, "overwrites the SDK's own"),
    ("dunder key", lambda c: c.get_namespaces(), "GET", "/namespaces", 200, {"__dict__": {"success": True, "result": "x"}}, "overwrites the SDK's own"),
]  # fmt: skip


def _mock(router: respx.MockRouter, method: str, path: str, status: int, answer: Any) -> None:
    if path != "/info":
        router.get(f"{API}/info").respond(json=INFO)
    router.route(method=method, url=f"{API}{path}").respond(status, json=answer)


def _check_family_error(exc: i3x.I3XError, method: str, path: str, status: int, names: str) -> None:
    assert isinstance(exc, i3x.InvalidServerResponseError), repr(exc)
    assert names in str(exc)
    assert exc.status_code == status
    assert exc.detail
    assert (exc.method, exc.url) == (method, f"{API}{path}")


@pytest.mark.parametrize(
    ("name", "call", "method", "path", "status", "answer", "names"),
    FAMILIES,
    ids=[f[0] for f in FAMILIES],
)
def test_a_malformed_answer_is_an_i3x_error_sync(
    *,
    name: str,
    call: Callable[[Any], Any],
    method: str,
    path: str,
    status: int,
    answer: Any,
    names: str,
) -> None:
    with respx.mock(assert_all_called=False) as router:
        _mock(router, method, path, status, answer)
        client = i3x.Client(API, client_id="c", max_retries=0)
        with pytest.raises(i3x.I3XError) as caught:
            call(client)
        client.close()
    _check_family_error(caught.value, method, path, status, names)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "call", "method", "path", "status", "answer", "names"),
    FAMILIES,
    ids=[f[0] for f in FAMILIES],
)
async def test_a_malformed_answer_is_an_i3x_error_async(
    *,
    name: str,
    call: Callable[[Any], Any],
    method: str,
    path: str,
    status: int,
    answer: Any,
    names: str,
) -> None:
    with respx.mock(assert_all_called=False) as router:
        _mock(router, method, path, status, answer)
        client = i3x.AsyncClient(API, client_id="c", max_retries=0)
        with pytest.raises(i3x.I3XError) as caught:
            await call(client)
        await client.aclose()
    _check_family_error(caught.value, method, path, status, names)


def test_the_206_of_issue_11_names_the_missing_result() -> None:
    # get_subscription(id) with a 206 whose item succeeded without a result: once a raw
    # AttributeError, now the answer's error with its status and request.
    with respx.mock() as router:
        _mock(router, "POST", "/subscriptions/list", 206, SUB_NO_RESULT)
        with pytest.raises(i3x.ResponseValidationError) as caught:
            i3x.Client(API, client_id="c").get_subscription("s")
    assert str(caught.value) == (
        "the server's answer does not fit subscriptions: the item of 's' succeeded but "
        f"carries no result (POST {API}/subscriptions/list)"
    )
