"""What travels on the wire: envelopes, request bodies, JSON shapes and timestamps.

Nothing here does I/O. Handlers raise `ApiError`; the app turns it into the i3X failure
envelope. Request bodies are checked with pydantic in strict mode so that a client which
sends `"maxDepth": "2"` or `true` is told so instead of being silently coerced.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.responses import JSONResponse, Response

from ._space import AddressSpace, ObjectInstance, ObjectType, Reading, RelationshipType

__all__ = [
    "ApiError",
    "format_timestamp",
    "parse_timestamp",
    "status_title",
    "error_body",
    "json_response",
    "success_response",
    "bulk_ok",
    "bulk_error",
    "bulk_response",
    "parse_json",
    "parse_model",
    "vqt_json",
    "current_value_json",
    "object_json",
    "object_type_json",
    "relationship_type_json",
    "ElementIdsRequest",
    "ObjectsListRequest",
    "RelatedRequest",
    "ValueRequest",
    "HistoryRequest",
    "UpdateValueRequest",
    "WholeValueUpdateRequest",
    "UpdateHistoryRequest",
    "CreateSubscriptionRequest",
    "SubscriptionRequest",
    "RegisterRequest",
    "UnregisterRequest",
    "SyncRequest",
    "SubscriptionIdsRequest",
    "VQTInput",
    "VQTRecord",
]

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
)
_DATETIME = TypeAdapter(AwareDatetime)


class ApiError(Exception):
    """A failure answered with the i3X failure envelope."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, milliseconds unless the time carries finer digits."""
    utc = moment.astimezone(timezone.utc)
    digits = "microseconds" if utc.microsecond % 1000 else "milliseconds"
    # isoformat of an aware UTC time ends in "+00:00"; i3X servers write "Z".
    return utc.isoformat(timespec=digits)[:-6] + "Z"


def parse_timestamp(text: str, field_name: str) -> datetime:
    """Parse an RFC 3339 timestamp (offset required, any fraction digits).

    Raises:
        ApiError: 400 naming the field when the text is not RFC 3339.
    """
    if not _RFC3339.fullmatch(text):
        raise ApiError(
            400, f"{field_name}: {text!r} is not an RFC 3339 timestamp (e.g. 2026-11-24T10:47:22Z)"
        )
    try:
        return _DATETIME.validate_strings(text)
    except ValidationError as err:
        raise ApiError(400, f"{field_name}: {text!r} is not a valid date and time") from err


def status_title(status: int) -> str:
    """The reason phrase of a status code ("Not Found")."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, detail: str) -> dict[str, Any]:
    """The i3X responseDetail object."""
    return {"title": status_title(status), "status": status, "detail": detail}


def json_response(
    request_headers: Mapping[str, str],
    content: Any,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A JSON response; a 206 is gzip-compressed here when the client accepts gzip.

    Starlette's GZipMiddleware leaves every 206 alone because in plain HTTP a 206 carries
    a byte range. In i3X a 206 is a whole JSON body, and i3X wants it compressed too.
    """
    response = JSONResponse(content, status_code=status, headers=headers)
    if status == 206 and "gzip" in request_headers.get("accept-encoding", ""):
        response.body = gzip.compress(response.body)
        response.headers["content-encoding"] = "gzip"
        response.headers["content-length"] = str(len(response.body))
        response.headers["vary"] = "Accept-Encoding"
    return response


def success_response(request_headers: Mapping[str, str], result: Any) -> Response:
    """HTTP 200 `{"success": true, "result": ...}`."""
    return json_response(request_headers, {"success": True, "result": result})


def bulk_ok(key: str, identifier: str, result: Any) -> dict[str, Any]:
    """A successful bulk item; `key` is "elementId" or "subscriptionId"."""
    return {"success": True, key: identifier, "result": result}


def bulk_error(key: str, identifier: str, status: int, detail: str) -> dict[str, Any]:
    """A failed bulk item carrying its own responseDetail."""
    return {"success": False, key: identifier, "responseDetail": error_body(status, detail)}


def bulk_response(
    request_headers: Mapping[str, str],
    items: Sequence[Mapping[str, Any]],
    *,
    partial_detail: str | None = None,
) -> Response:
    """HTTP 200 bulk envelope, or 206 with a top-level responseDetail when cut short."""
    body: dict[str, Any] = {
        "success": all(item["success"] for item in items),
        "results": list(items),
    }
    if partial_detail is None:
        return json_response(request_headers, body)
    body["responseDetail"] = error_body(206, partial_detail)
    return json_response(request_headers, body, status=206)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> Any:
    """Decode a request body.

    Raises:
        ApiError: 400 for an empty body, bytes that are not UTF-8 JSON, or NaN/Infinity.
    """
    if not raw.strip():
        raise ApiError(400, "Request body is missing; send a JSON object")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise ApiError(
            400, f"Malformed JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from err
    except (UnicodeDecodeError, ValueError) as err:
        raise ApiError(400, f"Malformed JSON: {err}") from err


def _location(loc: Iterable[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "body"


_M = TypeVar("_M", bound=BaseModel)


def parse_model(raw: bytes, model: type[_M]) -> _M:
    """Decode and check a request body against a request model.

    Raises:
        ApiError: 400 whose detail names each field that is missing or wrong.
    """
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise ApiError(400, f"Request body must be a JSON object, not {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = [f"{_location(e['loc'])}: {e['msg']}" for e in err.errors()]
        raise ApiError(400, "; ".join(problems)) from err


# -- request bodies ---------------------------------------------------------------------


class _Request(BaseModel):
    # Explicit camelCase aliases (not an alias generator) so that mypy's pydantic plugin
    # sees every required field under the name clients send.
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class ElementIdsRequest(_Request):
    """`{"elementIds": [...]}`."""

    element_ids: list[str] = Field(alias="elementIds")


class ObjectsListRequest(ElementIdsRequest):
    """POST /objects/list."""

    include_metadata: bool = Field(default=False, alias="includeMetadata")


class RelatedRequest(ObjectsListRequest):
    """POST /objects/related."""

    relationship_type: str | None = Field(default=None, alias="relationshipType")


class ValueRequest(ElementIdsRequest):
    """POST /objects/value."""

    max_depth: int = Field(default=1, ge=0, alias="maxDepth")


class HistoryRequest(ValueRequest):
    """POST /objects/history."""

    start_time: str = Field(alias="startTime")
    end_time: str = Field(alias="endTime")


class VQTInput(_Request):
    """A written current value: quality and timestamp may be left out."""

    value: Any
    quality: str | None = None
    timestamp: str | None = None


class _ValueUpdate(_Request):
    element_id: str = Field(alias="elementId")
    value: VQTInput


class UpdateValueRequest(_Request):
    """PUT /objects/value."""

    updates: list[_ValueUpdate]


class _WholeValueUpdate(_Request):
    element_id: str = Field(alias="elementId")
    value: Any


class WholeValueUpdateRequest(_Request):
    """PUT /objects/value as node-i3x reads it: each update's `value` is the value."""

    updates: list[_WholeValueUpdate]


class VQTRecord(_Request):
    """A written history value: all three parts given."""

    value: Any
    quality: str
    timestamp: str


class _HistoryUpdate(_Request):
    element_id: str = Field(alias="elementId")
    value: VQTRecord


class UpdateHistoryRequest(_Request):
    """PUT /objects/history."""

    updates: list[_HistoryUpdate]


class _ClientRequest(_Request):
    client_id: str = Field(min_length=1, alias="clientId")


class CreateSubscriptionRequest(_ClientRequest):
    """POST /subscriptions."""

    display_name: str | None = Field(default=None, alias="displayName")


class SubscriptionRequest(_ClientRequest):
    """POST /subscriptions/stream and the base of the calls on one subscription."""

    subscription_id: str = Field(alias="subscriptionId")


class RegisterRequest(SubscriptionRequest):
    """POST /subscriptions/register."""

    element_ids: list[str] = Field(alias="elementIds")
    max_depth: int | None = Field(default=1, ge=0, alias="maxDepth")


class UnregisterRequest(SubscriptionRequest):
    """POST /subscriptions/unregister."""

    element_ids: list[str] = Field(alias="elementIds")


class SyncRequest(SubscriptionRequest):
    """POST /subscriptions/sync."""

    last_sequence_number: int | None = Field(default=None, ge=-1, alias="lastSequenceNumber")


class SubscriptionIdsRequest(_ClientRequest):
    """POST /subscriptions/list and /subscriptions/delete."""

    subscription_ids: list[str] = Field(alias="subscriptionIds")


# -- response shapes --------------------------------------------------------------------


def vqt_json(reading: Reading) -> dict[str, Any]:
    """`{value, quality, timestamp}`."""
    return {
        "value": reading.value,
        "quality": reading.quality,
        "timestamp": format_timestamp(reading.timestamp),
    }


def current_value_json(space: AddressSpace, element_id: str, max_depth: int) -> dict[str, Any]:
    """The element's VQT plus, for a composition, `components` within `max_depth`."""
    with space.lock:
        body = vqt_json(space.get_value(element_id))
        below = space.descendants(element_id, max_depth)
        if below:
            body["components"] = {cid: vqt_json(space.get_value(cid)) for cid, _ in below}
        return body


def object_json(
    space: AddressSpace, instance: ObjectInstance, *, include_metadata: bool
) -> dict[str, Any]:
    """An ObjectInstanceResponse."""
    body: dict[str, Any] = {
        "elementId": instance.element_id,
        "displayName": instance.display_name,
        "typeElementId": instance.type_id,
        "parentId": instance.parent_id,
        "isComposition": instance.is_composition,
        "isExtended": False,
    }
    if include_metadata:
        object_type = space.get_object_type(instance.type_id)
        assert object_type is not None
        metadata: dict[str, Any] = {
            "typeNamespaceUri": object_type.namespace_uri,
            "sourceTypeId": object_type.source_type_id,
        }
        unit = object_type.schema.get("unit")
        if isinstance(unit, str):
            metadata["engUnit"] = unit
        if instance.description is not None:
            metadata["description"] = instance.description
        metadata["relationships"] = {rel: list(ids) for rel, ids in instance.relationships.items()}
        body["metadata"] = metadata
    return body


def object_type_json(object_type: ObjectType) -> dict[str, Any]:
    """An ObjectTypeResponse."""
    return {
        "elementId": object_type.element_id,
        "displayName": object_type.display_name,
        "namespaceUri": object_type.namespace_uri,
        "sourceTypeId": object_type.source_type_id,
        "schema": object_type.schema,
    }


def relationship_type_json(relationship_type: RelationshipType) -> dict[str, Any]:
    """A RelationshipType."""
    return {
        "elementId": relationship_type.element_id,
        "displayName": relationship_type.display_name,
        "namespaceUri": relationship_type.namespace_uri,
        "relationshipId": relationship_type.element_id,
        "reverseOf": relationship_type.reverse_of,
    }
