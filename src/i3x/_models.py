"""The i3X payloads as frozen, validated pydantic models.

Every model is a pydantic v2 *dataclass* configured once by `wire_model()`: camelCase
wire names from an alias generator, construction by Python field name too, frozen,
unknown fields kept, descriptions from attribute docstrings (so IDE hover text and the
exported JSON Schema agree). `WireModel` gives each pydantic's model methods
(`model_validate`, `model_dump`, `model_copy`, `model_fields`...), built on the class's
own validator and serializer.

Why pydantic dataclasses rather than `BaseModel` subclasses: decoding is the hot path
(one `GET /objects` on a real plant carries tens of thousands of objects), and
`BaseModel` gives every instance its own `__pydantic_fields_set__` set (728 bytes for an
object instance) and `__pydantic_extra__` dict. On a 100,000-object answer that made
decoding slower and 2.7 times heavier (bench/model_forms.py, docs/models.md). The model
methods live on the class and cost nothing per instance.

Where the seed API (i3x-client 0.1.0) and i3X 1.0 shape a payload differently,
one model serves both; each such model's docstring says how.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import (
    Annotated,
    Any,
    Final,
    TypeGuard,
    TypeVar,
)

from pydantic import (
    AfterValidator,
    AliasChoices,
    AliasPath,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
    with_config,
)
from pydantic.json_schema import models_json_schema as _pydantic_models_json_schema
from typing_extensions import Required, Self, TypedDict

from ._model_base import (
    BulkItem,
    ResponseDetail,
    Timestamp,
    WireModel,
    evolve,
    wire_model,
)
from ._typed import validate_value

if typing.TYPE_CHECKING:
    import pandas as pd

    from ._pandas import Row

__all__ = [
    "Quality",
    "evolve",
    "wire_model",
    "WireModel",
    "ResponseDetail",
    "ServerInfo",
    "ServerCapabilities",
    "QueryCapabilities",
    "UpdateCapabilities",
    "SubscribeCapabilities",
    "Namespace",
    "ObjectType",
    "RelationshipType",
    "ObjectInstanceMetadata",
    "ObjectInstance",
    "RelatedObject",
    "VQT",
    "LastKnownValue",
    "CurrentValue",
    "HistoricalValue",
    "ValueChange",
    "SyncBatch",
    "MonitoredObject",
    "Subscription",
    "BulkItem",
    "PUBLIC_MODELS",
    "models_json_schema",
    "to_pandas",
    "SyncEntryWire",
    "UpdateWire",
    "batch_from_wire",
    "change_from_wire",
]

_T = TypeVar("_T")
_M = TypeVar("_M")


class Quality:
    """The four qualities i3X 1.0 names, as constants.

    `VQT.quality` stays a plain `str`: real servers also send `"GOOD"` and
    OPC UA status names such as `"BadSensorFailure"`, and those must not fail.
    """

    GOOD: Final = "Good"
    GOOD_NO_DATA: Final = "GoodNoData"
    BAD: Final = "Bad"
    UNCERTAIN: Final = "Uncertain"
    ALL: Final = ("Good", "GoodNoData", "Bad", "Uncertain")


# --------------------------------------------------------------------------- server


@wire_model
class QueryCapabilities(WireModel):
    """Optional query features of a server."""

    history: bool = False
    """`POST /objects/history` is available."""


@wire_model
class UpdateCapabilities(WireModel):
    """Optional write features of a server."""

    current: bool = False
    """`PUT /objects/value` is available."""
    history: bool = False
    """`PUT /objects/history` is available."""


@wire_model
class SubscribeCapabilities(WireModel):
    """Optional subscription features of a server."""

    stream: bool = False
    """`POST /subscriptions/stream` (SSE) is available; sync is always available."""


@wire_model
class ServerCapabilities(WireModel):
    """What a server supports beyond the mandatory endpoints."""

    query: QueryCapabilities = Field(default_factory=QueryCapabilities)
    """Optional query features."""
    update: UpdateCapabilities = Field(default_factory=UpdateCapabilities)
    """Optional write features."""
    subscribe: SubscribeCapabilities = Field(default_factory=SubscribeCapabilities)
    """Optional subscription features."""


@wire_model
class ServerInfo(WireModel):
    """The answer of `GET /info`: spec version, server identity and capabilities."""

    spec_version: str
    """The i3X specification version the server implements, such as `1.0`."""
    server_version: str | None = None
    """The server's own version; pre-1.0 beta servers say `beta` here."""
    server_name: str | None = None
    """The server's product name."""
    capabilities: ServerCapabilities = Field(default_factory=ServerCapabilities)
    """Optional features the server supports."""

    @property
    def is_beta(self) -> bool:
        """Whether this is a pre-1.0 beta server (`serverVersion` mentions beta)."""
        return any("beta" in (v or "").lower() for v in (self.server_version, self.spec_version))


# ---------------------------------------------------------------------- address space


@wire_model
class Namespace(WireModel):
    """A namespace that organises types in the address space."""

    uri: str
    """The namespace URI."""
    display_name: str | None = None
    """Human-readable name."""


@wire_model
class ObjectType(WireModel):
    """An object type: the JSON Schema its instances' values conform to."""

    element_id: str
    """Unique id of the type."""
    display_name: str | None = None
    """Human-readable name."""
    namespace_uri: str | None = None
    """Namespace the type belongs to."""
    schema: dict[str, Any] = Field(default_factory=dict)
    """JSON Schema of an instance's value."""
    source_type_id: str | None = None
    """Class or member of the namespace that defines this type."""
    version: str | None = None
    """Version of the type definition, when the server has one."""
    related: dict[str, Any] | None = None
    """Relationship hints the server attaches to the type."""


@wire_model
class RelationshipType(WireModel):
    """A relationship type; each comes with its reverse (`HasParent`/`HasChildren`)."""

    element_id: str
    """Unique id of the relationship type."""
    display_name: str | None = None
    """Human-readable name."""
    namespace_uri: str | None = None
    """Namespace the relationship type belongs to."""
    reverse_of: str | None = None
    """Element id of the reverse relationship type."""
    relationship_id: str | None = None
    """Class or member of the namespace that defines this relationship type."""


@wire_model
class ObjectInstanceMetadata(WireModel):
    """Extra facts about an object, sent when asked with `include_metadata=True`."""

    type_namespace_uri: str | None = None
    """Namespace of the object's type."""
    source_type_id: str | None = None
    """The type's id in its source system."""
    eng_unit: str | None = None
    """Engineering unit of the value."""
    description: str | None = None
    """Human-readable description."""
    relationships: dict[str, Any] | None = None
    """Related element ids by relationship type, such as `{"HasChildren": [...]}`."""
    schema_extensions: dict[str, Any] | None = None
    """Schema additions specific to this instance."""
    system: dict[str, Any] | None = None
    """System facts the server attaches (installation dates, ...)."""


@wire_model
class ObjectInstance(WireModel):
    """An object in the address space: a node of the tree and of the graph.

    `type_id` reads `typeElementId` (i3X 1.0) or `typeId` (older servers);
    `type_element_id` is the same value under the 1.0 name. `namespace_uri`
    reads `namespaceUri` or, in 1.0, `metadata.typeNamespaceUri`; it is
    `None` unless metadata was asked for or the server sends it anyway.
    """

    element_id: str
    """Unique id of the object."""
    display_name: str | None = None
    """Human-readable name."""
    type_id: str | None = Field(
        default=None,
        # The field name (type_id) is accepted too (validate_by_name); every extra
        # choice is one more lookup per object on the hot path.
        validation_alias=AliasChoices("typeElementId", "typeId"),
        serialization_alias="typeElementId",
    )
    """Element id of the object's type (`typeElementId` on the wire)."""
    namespace_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("namespaceUri", AliasPath("metadata", "typeNamespaceUri")),
    )
    """Namespace of the object's type."""
    parent_id: str | None = None
    """Element id of the parent in the organisational tree; `None` for a root."""
    is_composition: bool = False
    """Whether the object is composed of component objects (`HasComponent`)."""
    is_extended: bool = False
    """Whether the object carries instance-specific schema extensions."""
    metadata: ObjectInstanceMetadata | None = None
    """Extra facts, present when asked with `include_metadata=True`."""

    @property
    def type_element_id(self) -> str | None:
        """The object's type id under its i3X 1.0 name (same as `type_id`)."""
        return self.type_id


@wire_model
class RelatedObject(ObjectInstance):
    """An object reached over a relationship, by `get_related_objects()`.

    It is an `ObjectInstance` itself (seed API), and also offers the 1.0
    shape: `object` and `source_relationship`.
    """

    source_relationship: str | None = None
    """The relationship type that leads from the queried object to this one."""

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        # 1.0 sends {"sourceRelationship": ..., "object": {...}}.
        if isinstance(data, Mapping) and isinstance(data.get("object"), Mapping):
            flat = dict(data["object"])
            flat["sourceRelationship"] = data.get("sourceRelationship")
            return flat
        return data

    @property
    def object(self) -> ObjectInstance:
        """The related object as a plain `ObjectInstance` (1.0 name)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(ObjectInstance)}
        return ObjectInstance(**fields, **self.model_extra)


# ----------------------------------------------------------------------------- values


@wire_model
class VQT(WireModel):
    """One value with its quality and timestamp."""

    value: Any = None
    """The value: any JSON, objects for structured types; `None` with Bad or GoodNoData."""
    quality: str = Quality.GOOD
    """`Good`, `GoodNoData`, `Bad`, `Uncertain` (see `Quality`) or a
    server-specific status name. A server's explicit `null` quality reads as
    `GoodNoData` when the value is `null` too, else as `Uncertain`; a VQT
    without a quality is `Good` (i3X's default)."""
    timestamp: Timestamp | None = None
    """When the value was recorded (timezone-aware)."""

    @typing.overload
    def value_as(self, tp: type[_T]) -> _T: ...
    @typing.overload
    def value_as(self, tp: Any) -> Any: ...
    def value_as(self, tp: Any) -> Any:
        """The value validated as `tp`: a model written by `i3x codegen`, `float`, a
        dataclass, a `TypedDict`, any type pydantic accepts.

        Raises:
            TypeError: `tp` is not a type pydantic can validate.
            i3x.ValueValidationError: The value does not fit `tp` (a `ValueError`).
        """
        return validate_value(self.value, tp)


class _Newest:
    """`value`, `quality` and `timestamp` of the newest VQT in `data`.

    The 1.0 reference client's everyday names, on `LastKnownValue` and
    `ValueChange`.
    """

    element_id: str
    data: list[VQT]

    @typing.overload
    def value_as(self, tp: type[_T]) -> _T: ...
    @typing.overload
    def value_as(self, tp: Any) -> Any: ...
    def value_as(self, tp: Any) -> Any:
        """The newest value validated as `tp`: a model written by `i3x codegen`, `float`,
        a dataclass, a `TypedDict`, any type pydantic accepts.

        Raises:
            TypeError: `tp` is not a type pydantic can validate.
            i3x.ValueValidationError: The value does not fit `tp` (a `ValueError`);
                the message names the element.
        """
        return validate_value(self.value, tp, element_id=self.element_id)

    @property
    def latest(self) -> VQT | None:
        """The newest VQT, or `None` when there is none."""
        return self.data[-1] if self.data else None

    @property
    def value(self) -> Any:
        """The newest value."""
        latest = self.latest
        return latest.value if latest is not None else None

    @property
    def quality(self) -> str | None:
        """The newest quality."""
        latest = self.latest
        return latest.quality if latest is not None else None

    @property
    def timestamp(self) -> datetime | None:
        """The newest timestamp."""
        latest = self.latest
        return latest.timestamp if latest is not None else None


def _unstated_quality(value: Any) -> str:
    """The quality of a VQT whose server sent `"quality": null`.

    Such a server vouches for nothing, and i3X lets only Bad or GoodNoData carry a
    null value, so it cannot be Good: with no value it is "no data" (GoodNoData),
    with a value whose quality nobody stated it is Uncertain.
    """
    return Quality.GOOD_NO_DATA if value is None else Quality.UNCERTAIN


def _vqt_of(data: Mapping[str, Any]) -> dict[str, Any]:
    # A quality or timestamp the server left out takes the VQT's default, a null
    # timestamp too, rather than failing the whole answer; a null quality is not Good.
    value = data.get("value")
    vqt = {"value": value}
    if "quality" in data:
        quality = data["quality"]
        vqt["quality"] = _unstated_quality(value) if quality is None else quality
    if data.get("timestamp") is not None:
        vqt["timestamp"] = data["timestamp"]
    return vqt


def _stated(entries: Any) -> Any:
    """A list of wire VQTs (a history), each explicit null quality replaced as in `_vqt_of()`."""
    if not isinstance(entries, list):
        return entries
    return [
        {**e, "quality": _unstated_quality(e.get("value"))}
        if isinstance(e, dict) and e.get("quality", "") is None
        else e
        for e in entries
    ]


def _children_of(components: Any, *, history: bool) -> dict[str, Any]:
    if not isinstance(components, Mapping):
        return {}
    children: dict[str, Any] = {}
    for child_id, child in components.items():
        if not isinstance(child, Mapping):
            continue
        if "data" in child or "elementId" in child:
            children[child_id] = child
        elif history or "values" in child:
            children[child_id] = {
                "elementId": child_id,
                "data": _stated(child.get("values") or []),
                "children": _children_of(child.get("components"), history=True),
            }
        else:
            children[child_id] = {"elementId": child_id, "data": [_vqt_of(child)]}
    return children


def _is_current_value_result(value: Any) -> TypeGuard[Mapping[str, Any]]:
    # One server nests a whole current-value result inside an update's `value`;
    # `isComposition` next to `quality` and `timestamp` marks it.
    return (
        isinstance(value, Mapping)
        and "isComposition" in value
        and "quality" in value
        and "timestamp" in value
    )


def _canonical_value(data: Any) -> Any:
    """Bring any i3X value shape into the `{elementId, data, children}` form."""
    if not isinstance(data, Mapping):
        return data
    if "data" in data:  # the seed's shape (and children made by _children_of)
        return {**data, "data": _stated(data["data"])}
    out: dict[str, Any] = {
        k: v
        for k, v in data.items()
        if k not in ("value", "values", "quality", "timestamp", "components")
    }
    if "values" in data:  # a history result
        out["data"] = _stated(data.get("values") or [])
        out["children"] = _children_of(data.get("components"), history=True)
        return out
    inner = data.get("value")
    source: Mapping[str, Any] = inner if _is_current_value_result(inner) else data
    out["data"] = [_vqt_of(source)]
    out["children"] = _children_of(source.get("components"), history=False)
    if "isComposition" not in out:
        # Stream and sync updates carry no isComposition; components say it.
        out["isComposition"] = source.get("isComposition", bool(out["children"]))
    return out


def _oldest_first(data: list[VQT]) -> list[VQT]:
    # Servers return history newest first or in insertion order; the SDK
    # promises oldest first. Reversing a descending answer first keeps equal
    # timestamps in the order they happened.
    if len(data) < 2:
        return data
    if all(v.timestamp is not None for v in data):
        first, last = data[0].timestamp, data[-1].timestamp
        if first is not None and last is not None and first > last:
            data = data[::-1]
        return sorted(data, key=lambda v: v.timestamp or datetime.min)
    return data


@wire_model
class LastKnownValue(_Newest, WireModel):
    """The value of an element: a current value (one VQT) or a history (the series).

    `data` holds one `VQT` for a current value and the series, oldest
    first, for a history. `children` holds the values of composition children
    (the wire's `components`) keyed by element id. `value`, `quality` and
    `timestamp` read the newest VQT, as the 1.0 reference client's names do.
    """

    element_id: str
    """The element the value belongs to."""
    data: list[VQT] = Field(default_factory=list)
    """The VQTs: one for a current value, the series (oldest first) for a history."""
    children: dict[str, LastKnownValue] = Field(default_factory=dict)
    """Values of composition children, keyed by element id."""
    is_composition: bool = False
    """Whether the element is a composition."""
    response_detail: ResponseDetail | None = None
    """What the server said alongside the value, such as a 206 depth-limit notice."""

    @model_validator(mode="before")
    @classmethod
    def _canonical(cls, data: Any) -> Any:
        return _canonical_value(data)

    @field_validator("data", mode="after")
    @classmethod
    def _sort(cls, data: list[VQT]) -> list[VQT]:
        return _oldest_first(data)

    @typing.overload
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self: ...
    @typing.overload
    @classmethod
    def from_dict(cls, element_id: str, data: Mapping[str, Any], /) -> Self: ...
    @classmethod
    def from_dict(cls, *args: Any, **kwargs: Any) -> Self:
        """Validate a dict into a value; `from_dict(element_id, data)` as the 1.0 reference client.

        Raises:
            pydantic.ValidationError: `data` does not fit the model (a `ValueError`).
        """
        # Decoding calls the one-argument form once per value: keep it a single check.
        if len(args) == 2:
            element_id, data = args
            if isinstance(data, Mapping):
                data = {**data, "elementId": element_id}
        else:
            (data,) = args or (kwargs.pop("data"),)
        result: Self = cls.__pydantic_validator__.validate_python(data, **kwargs)
        return result

    @property
    def values(self) -> list[VQT]:
        """The VQT series, oldest first (the 1.0 reference client's name for history)."""
        return self.data

    @property
    def components(self) -> dict[str, LastKnownValue] | None:
        """`children`, or `None` when there are none (the 1.0 reference client's name)."""
        return self.children or None

    def to_pandas(self) -> pd.DataFrame:
        """The series as a DataFrame (needs the `pandas` extra).

        Returns:
            A DataFrame indexed by timestamp (timezone-aware, UTC, oldest first) with
            the columns `element_id`, `value` and `quality`: a row per VQT, the
            components' VQTs as rows of their own.

        Raises:
            ImportError: pandas is not installed.
        """
        return to_pandas(self)


CurrentValue = LastKnownValue
"""The 1.0 reference client's name for a current value (`get_value()`): [`LastKnownValue`][i3x.LastKnownValue].

Its `from_dict(element_id, data)` works too:
`CurrentValue.from_dict("pump-101", {"value": 1.5, "quality": "Good"})`, and
`components` reads `children` (`None` when there are none).
"""

HistoricalValue = LastKnownValue
"""The 1.0 reference client's name for a history (`get_history()`): [`LastKnownValue`][i3x.LastKnownValue].

`values` is the series, oldest first; `HistoricalValue.from_dict(element_id, data)`
works as in the reference client.
"""


@wire_model
class ValueChange(_Newest, WireModel):
    """A change of a subscribed element, from a stream event or a sync batch.

    Shaped like `LastKnownValue`: `data` holds the new VQT and
    `children` the values of composition children. Both stream payload
    variants real servers send are understood (flat items, and items nesting a
    whole current-value result in `value`). `sequence_number` is the
    server's sequence number of the update, when it gives one.
    """

    element_id: str
    """The element that changed."""
    data: list[VQT] = Field(default_factory=list)
    """The new VQT (a list, as in `LastKnownValue`)."""
    children: dict[str, LastKnownValue] = Field(default_factory=dict)
    """Values of composition children, keyed by element id."""
    is_composition: bool = False
    """Whether the element is a composition."""
    sequence_number: int | None = None
    """The server's sequence number for this update, when known."""
    subscription_id: str | None = None
    """The subscription that delivered the change, when known."""
    resync: bool = False
    """`True` when the SDK read the value back after a reconnect (`resync=True`)
    rather than the server sending it as an update."""

    @model_validator(mode="before")
    @classmethod
    def _canonical(cls, data: Any) -> Any:
        return _canonical_value(data)


@wire_model
class SyncBatch(WireModel):
    """A batch of queued updates returned by sync.

    Acknowledge it by syncing again: `Client.sync_subscription()` does so
    for you, or pass `last_sequence_number=batch.sequence_number`.
    """

    sequence_number: int
    """The batch's sequence number (unsigned 64-bit, increasing)."""
    updates: list[ValueChange] = Field(default_factory=list)
    """The updates in the batch, in the order they happened."""

    @model_validator(mode="before")
    @classmethod
    def _number_updates(cls, data: Any) -> Any:
        # Each update inherits its batch's sequence number unless it has its own.
        if not isinstance(data, Mapping):
            return data
        seq = data.get("sequenceNumber", data.get("sequence_number"))
        updates = data.get("updates")
        if seq is None or not isinstance(updates, list):
            return data
        numbered = [
            {**u, "sequenceNumber": seq}
            if isinstance(u, Mapping) and "sequenceNumber" not in u and "sequence_number" not in u
            else u
            for u in updates
        ]
        return {**data, "updates": numbered}


# ------------------------------------------------------------ updates, decoded fast
#
# Subscriptions deliver tens of thousands of updates a second. Their wire shapes
# are validated in pydantic-core as typed dicts (timestamps parsed, types checked,
# unknown keys kept), and the models are then assembled from the validated data
# without validating it a second time: the before-validators that let
# ValueChange.from_dict() take any shape would cost more than the rest together.


@with_config(ConfigDict(extra="allow"))
class _VQTWire(TypedDict, total=False):
    value: Any
    quality: str | None
    timestamp: datetime | None


@with_config(ConfigDict(extra="allow"))
class _CurrentValueWire(TypedDict, total=False):
    # One server nests a whole current-value result in an update's `value`.
    isComposition: Required[bool]
    value: Any
    # A null quality must still match, or the result would be read unvalidated
    # (timestamp left a string); _vqt_values() gives it its quality.
    quality: Required[str | None]
    timestamp: Required[datetime | None]
    components: dict[str, _VQTWire] | None


class _NestedResult(dict[str, Any]):
    """A current-value result that validated inside an update's `value`.

    An object that does not validate as one stays the plain `dict` it was sent as,
    and is the update's value like any other (it may look like one, half-formed).
    """


# An update's value: a nested current-value result, or any JSON value.
_UpdateValue = Annotated[
    Annotated[_CurrentValueWire, AfterValidator(_NestedResult)] | Any,
    Field(union_mode="left_to_right"),
]


@with_config(ConfigDict(extra="allow"))
class UpdateWire(TypedDict, total=False):
    elementId: Required[str]
    value: _UpdateValue
    quality: str | None
    timestamp: datetime | None
    components: dict[str, _VQTWire] | None
    isComposition: bool | None
    sequenceNumber: int | None


@with_config(ConfigDict(extra="allow"))
class BatchWire(TypedDict):
    sequenceNumber: int
    updates: list[UpdateWire]


@with_config(ConfigDict(extra="allow"))
class FlatEntryWire(TypedDict, total=False):
    # An earlier generation's sync entry: one update with its own sequence number and
    # no `updates` array. Read as a batch of that one update.
    sequenceNumber: Required[int]
    elementId: Required[str]
    value: _UpdateValue
    quality: str | None
    timestamp: datetime | None
    components: dict[str, _VQTWire] | None
    isComposition: bool | None


SyncEntryWire = Annotated[BatchWire | FlatEntryWire, Field(union_mode="left_to_right")]
"""One entry of a sync answer: a batch, or (earlier servers) one flat update."""


_UPDATE_KEYS: Final = frozenset(UpdateWire.__annotations__)
_BATCH_KEYS: Final = frozenset(BatchWire.__annotations__)
_VQT_KEYS: Final = frozenset(_VQTWire.__annotations__)


def _assemble(cls: type[_M], values: dict[str, Any]) -> _M:
    """An instance of a model from values that were validated already (`values`
    becomes its `__dict__`: pass a dict of its own)."""
    instance = object.__new__(cls)
    object.__setattr__(instance, "__dict__", values)
    return instance


def _vqt_values(item: Mapping[str, Any]) -> dict[str, Any]:
    """The VQT fields of a validated wire VQT, update or current-value result."""
    value = item.get("value")
    quality = item.get("quality", Quality.GOOD)
    timestamp = item.get("timestamp")
    return {
        "value": value,
        "quality": _unstated_quality(value) if quality is None else quality,
        "timestamp": (
            timestamp
            if timestamp is None or timestamp.tzinfo is not None
            else timestamp.replace(tzinfo=timezone.utc)
        ),
    }


def _vqt_from_wire(item: Mapping[str, Any]) -> VQT:
    """A component's VQT: a wire VQT, so any other key it has is a VQT-level field."""
    values = _vqt_values(item)
    if not _VQT_KEYS.issuperset(item):
        values.update((k, v) for k, v in item.items() if k not in _VQT_KEYS)
    return _assemble(VQT, values)


_FLAT_KEYS: Final = frozenset({"elementId", "value", "quality", "timestamp", "sequenceNumber"})
_OBJECTS: Final = (dict, _NestedResult)
_new = object.__new__
_set = object.__setattr__


def change_from_wire(
    item: Mapping[str, Any], subscription_id: str | None, sequence_number: int | None
) -> ValueChange:
    """A `ValueChange` from a validated stream item or sync-batch update."""
    value = item.get("value")
    if type(value) not in _OBJECTS and _FLAT_KEYS.issuperset(item):
        # The usual update, flat and scalar: the general path below, inlined (a fast
        # stream spends most of its client CPU here).
        quality = item.get("quality", Quality.GOOD)
        timestamp = item.get("timestamp")
        if timestamp is not None and timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=timezone.utc)
        vqt = _new(VQT)
        _set(
            vqt,
            "__dict__",
            {
                "value": value,
                "quality": _unstated_quality(value) if quality is None else quality,
                "timestamp": timestamp,
            },
        )
        seq = item.get("sequenceNumber")
        change = _new(ValueChange)
        _set(
            change,
            "__dict__",
            {
                "element_id": item["elementId"],
                "data": [vqt],
                "children": {},
                "is_composition": False,
                "sequence_number": sequence_number if seq is None else seq,
                "subscription_id": subscription_id,
                "resync": False,
            },
        )
        return change
    source: Mapping[str, Any] = value if type(value) is _NestedResult else item
    components = source.get("components")
    children = (
        {
            child_id: _assemble(
                LastKnownValue,
                {
                    "element_id": child_id,
                    "data": [_vqt_from_wire(vqt)],
                    "children": {},
                    "is_composition": False,
                    "response_detail": None,
                },
            )
            for child_id, vqt in components.items()
        }
        if components
        else {}
    )
    composition = source.get("isComposition")
    seq = item.get("sequenceNumber")
    values = {
        "element_id": item["elementId"],
        # Only the VQT fields: the other keys of the update (or of the result it nests)
        # describe the change, and an update's unknown ones are kept on the change below.
        "data": [_assemble(VQT, _vqt_values(source))],
        "children": children,
        "is_composition": bool(children) if composition is None else composition,
        "sequence_number": sequence_number if seq is None else seq,
        "subscription_id": subscription_id,
        "resync": False,
    }
    if len(item) > 7 or not _UPDATE_KEYS.issuperset(item):
        values.update((k, v) for k, v in item.items() if k not in _UPDATE_KEYS)
    return _assemble(ValueChange, values)


def batch_from_wire(batch: Mapping[str, Any], subscription_id: str | None) -> SyncBatch:
    """A `SyncBatch` from a validated sync entry: a batch, whose updates take its number,
    or a flat entry (`FlatEntryWire`), which becomes a batch of that one update."""
    seq = batch["sequenceNumber"]
    if "updates" not in batch:
        update = change_from_wire(batch, subscription_id, seq)
        return _assemble(SyncBatch, {"sequence_number": seq, "updates": [update]})
    values = {
        "sequence_number": seq,
        "updates": [change_from_wire(u, subscription_id, seq) for u in batch["updates"]],
    }
    if len(batch) > 2:
        values.update((k, v) for k, v in batch.items() if k not in _BATCH_KEYS)
    return _assemble(SyncBatch, values)


# ---------------------------------------------------------------------- subscriptions


@wire_model
class MonitoredObject(WireModel):
    """An element registered on a subscription."""

    element_id: str
    """The monitored element."""
    max_depth: int | None = None
    """How far below it changes are followed (1 = only it, 0 = all)."""


@wire_model
class Subscription(WireModel):
    """A subscription, as the server describes it and as this client knows it.

    `objects` lists the monitored element ids (from the wire's
    `monitoredObjects`; `monitored_objects` keeps their depth). i3X 1.0
    servers do not report `created`, `is_streaming` or `queued_updates`:
    the client fills them from what it knows, and leaves `None` where nobody
    knows.
    """

    subscription_id: str
    """The server-assigned id."""
    created: Timestamp | None = None
    """When this client created the subscription, when known."""
    is_streaming: bool | None = None
    """Whether this client has a stream open on it, when known."""
    queued_updates: int | None = None
    """Updates received but not yet delivered to callbacks, when known."""
    objects: list[str] = Field(default_factory=list)
    """Element ids of the monitored objects."""
    display_name: str | None = None
    """Friendly name given at creation."""
    client_id: str | None = None
    """The client id the subscription is scoped to."""
    monitored_objects: list[MonitoredObject] = Field(default_factory=list)
    """The monitored objects with their depth."""

    @model_validator(mode="before")
    @classmethod
    def _objects_from_monitored(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        monitored = data.get("monitoredObjects", data.get("monitored_objects"))
        if "objects" in data or not isinstance(monitored, list):
            return data
        ids = [
            m.get("elementId", m.get("element_id"))
            if isinstance(m, Mapping)
            else getattr(m, "element_id", m)
            for m in monitored
        ]
        return {**data, "objects": [i for i in ids if isinstance(i, str)]}


# ----------------------------------------------------------------------------- frames


def to_pandas(
    values: LastKnownValue | Mapping[str, LastKnownValue] | Iterable[LastKnownValue],
) -> pd.DataFrame:
    """Values or histories as one DataFrame: a row per VQT, components included.

    Args:
        values: One `LastKnownValue`, or the `dict` that `get_histories()` or
            `get_values()` returns (or any iterable of them).

    Returns:
        A DataFrame indexed by timestamp (timezone-aware, UTC, oldest first) with the
        columns `element_id`, `value` and `quality`; components are rows of their own.

    Raises:
        ImportError: pandas is not installed (the `pandas` extra).
        TypeError: `values` is none of the above.
    """
    given: object = values  # checked at run time: callers are not all type-checked
    if isinstance(given, LastKnownValue):
        tops: list[object] = [given]
    elif isinstance(given, Mapping):
        tops = list(given.values())
    elif isinstance(given, Iterable) and not isinstance(given, str | bytes):
        tops = list(given)
    else:
        raise TypeError(
            f"values must be a LastKnownValue or a dict of them, not {type(values).__name__}"
        )
    checked: list[LastKnownValue] = []
    for top in tops:
        if not isinstance(top, LastKnownValue):
            raise TypeError(f"values must hold LastKnownValue items, not {type(top).__name__}")
        checked.append(top)
    from ._pandas import frame  # pandas only when a frame is asked for

    return frame(_rows(checked, set()))


def _rows(values: Iterable[LastKnownValue], seen: set[str]) -> Iterator[Row]:
    """Each VQT with its element: a value's own series, then its components', depth first.

    An element asked for beside the composition it is a component of comes once.
    """
    for value in values:
        if value.element_id in seen:
            continue
        seen.add(value.element_id)
        for vqt in value.data:
            yield value.element_id, vqt.timestamp, vqt.value, vqt.quality
        yield from _rows(value.children.values(), seen)


PUBLIC_MODELS: Final[tuple[type[WireModel], ...]] = (
    ServerInfo,
    ServerCapabilities,
    QueryCapabilities,
    UpdateCapabilities,
    SubscribeCapabilities,
    ResponseDetail,
    Namespace,
    ObjectType,
    RelationshipType,
    ObjectInstance,
    ObjectInstanceMetadata,
    RelatedObject,
    VQT,
    LastKnownValue,
    ValueChange,
    SyncBatch,
    MonitoredObject,
    Subscription,
)


def models_json_schema(models: Iterable[type[WireModel]] = PUBLIC_MODELS) -> dict[str, Any]:
    """One JSON Schema document with every public model under `$defs`."""
    pairs = [(m, "validation") for m in models]
    _, schema = _pydantic_models_json_schema(pairs, title="i3x models")  # type: ignore[arg-type]
    return schema
