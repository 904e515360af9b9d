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

import ast
import copy
import dataclasses
import functools
import inspect
import sys
import typing
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import (
    Annotated,
    Any,
    ClassVar,
    Final,
    Generic,
    Literal,
    TypeGuard,
    TypeVar,
    cast,
)

import pydantic.dataclasses
from pydantic import (
    AfterValidator,
    AliasChoices,
    AliasPath,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    field_validator,
    model_serializer,
    model_validator,
    with_config,
)
from pydantic.alias_generators import to_camel, to_snake
from pydantic.fields import ComputedFieldInfo, FieldInfo
from pydantic.json_schema import (
    DEFAULT_REF_TEMPLATE,
    GenerateJsonSchema,
    JsonSchemaMode,
    JsonSchemaValue,
)
from pydantic.json_schema import models_json_schema as _pydantic_models_json_schema
from pydantic.main import IncEx
from pydantic_core import CoreSchema
from typing_extensions import Required, Self, TypedDict, dataclass_transform

from ._typed import validate_value

if typing.TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Quality",
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
    "ValueChange",
    "SyncBatch",
    "MonitoredObject",
    "Subscription",
    "BulkItem",
    "PUBLIC_MODELS",
    "models_json_schema",
]

_T = TypeVar("_T")
_M = TypeVar("_M")

_TITLE_WORDS: Final = {"id": "ID", "uri": "URI"}


def _field_title(name: str, info: FieldInfo | ComputedFieldInfo) -> str:
    """A field's JSON Schema title in words: "Element ID" (pydantic's own: "Elementid")."""
    wire_name = getattr(info, "serialization_alias", None) or name
    title = " ".join(_TITLE_WORDS.get(w, w) for w in to_snake(wire_name).split("_"))
    return title[:1].upper() + title[1:]


WIRE_CONFIG: Final = ConfigDict(
    alias_generator=to_camel,
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
    extra="allow",
    # Descriptions come from the attribute docstrings all the same, but on first need
    # (`_describe`): pydantic's `use_attribute_docstrings` reads each class's source
    # when the class is made, half of what importing the models cost.
    use_attribute_docstrings=False,
    field_title_generator=_field_title,
    ser_json_timedelta="iso8601",
)

_SOURCES: dict[type[Any], str] = {}
"""The source file of each wire model, kept when the class is made: `i3x/__init__.py`
later shows the public ones as members of `i3x`, and their `__module__` says so."""


@functools.cache
def _attribute_docstrings(filename: str) -> dict[str, dict[str, str]]:
    """Each top-level class's attribute docstrings in one source file, by class name.

    An attribute docstring is a string statement right after an annotated assignment,
    read as pydantic's `use_attribute_docstrings` reads it.
    """
    try:
        with open(filename, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename)
    except (OSError, SyntaxError, ValueError):  # no source (a frozen app): no descriptions
        return {}
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs = found[node.name] = {}
        for previous, statement in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(previous, ast.AnnAssign)
                and isinstance(previous.target, ast.Name)
                and isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                docs[previous.target.id] = inspect.cleandoc(statement.value.value)
    return found


def _describe(cls: type[Any]) -> None:
    """Give `cls`'s fields without a description the attribute docstring nearest in
    its MRO, so that a subclass (`RelatedObject`) has its bases' too."""
    # No memo: pydantic may replace the fields when it completes a class, and the
    # sources are parsed once anyway.
    docs = [
        _attribute_docstrings(_SOURCES[klass]).get(klass.__name__, {})
        for klass in cls.__mro__
        if klass in _SOURCES
    ]
    fields: dict[str, FieldInfo] = getattr(cls, "__pydantic_fields__", {})
    for name, info in fields.items():
        if info.description is None:
            info.description = next((d[name] for d in docs if name in d), None)


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    # One per class, built on first use: it wraps the class's own pydantic-core
    # validator and serializer, so it costs nothing per instance.
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


class _ModelFields:
    """`Model.model_fields`: the fields by Python name, as pydantic describes them."""

    def __get__(self, instance: object, owner: type[Any]) -> dict[str, FieldInfo]:
        # Read on each access: pydantic replaces the dict when it completes a class
        # whose annotations referred to classes defined after it.
        _describe(owner)
        fields: dict[str, FieldInfo] = owner.__pydantic_fields__
        return fields


class WireModel:
    """What every i3x model offers on top of its fields: pydantic's model methods.

    `model_validate`, `model_validate_json`, `model_dump`, `model_dump_json`,
    `model_copy`, `model_fields`, `model_json_schema` and `model_extra` behave as on a
    pydantic `BaseModel`, through the class's own pydantic validator and serializer.
    `from_dict`, `from_json`, `to_dict` and `to_json` are the short forms for the wire.

    Unknown fields a server adds (`vendor`, `license`, `mode`...) are kept: they read
    as attributes, are listed by `model_extra` and are written back by `model_dump`.
    """

    __pydantic_validator__: ClassVar[Any]
    __pydantic_serializer__: ClassVar[Any]
    __pydantic_fields__: ClassVar[dict[str, FieldInfo]]
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    model_fields: ClassVar[_ModelFields] = _ModelFields()
    """The declared fields by Python name (`pydantic.fields.FieldInfo` each)."""

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        """Validate a dict (wire camelCase or Python snake_case keys) into a model.

        There is no `from_attributes`: pydantic validates dataclasses from mappings
        and instances only.

        Args:
            obj: The data: a mapping, or an instance of the model (returned as is).
            strict: Refuse what lax mode would convert (such as `"1"` for an int).
            context: Passed to validators.
            by_alias: Accept the wire (camelCase) names; on by default.
            by_name: Accept the Python (snake_case) names; on by default.

        Returns:
            The validated, frozen model.

        Raises:
            pydantic.ValidationError: `obj` does not fit the model (a `ValueError`).
        """
        result: Self = _adapter(cls).validate_python(
            obj,
            strict=strict,
            context=context,
            by_alias=by_alias,
            by_name=by_name,
        )
        return result

    @classmethod
    def model_validate_json(
        cls,
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        """Validate a JSON document straight from text or bytes into a model.

        Args:
            json_data: The JSON document.
            strict: Refuse what lax mode would convert.
            context: Passed to validators.
            by_alias: Accept the wire (camelCase) names; on by default.
            by_name: Accept the Python (snake_case) names; on by default.

        Returns:
            The validated, frozen model.

        Raises:
            pydantic.ValidationError: The document is not JSON or does not fit the
                model (a `ValueError`).
        """
        result: Self = _adapter(cls).validate_json(
            json_data, strict=strict, context=context, by_alias=by_alias, by_name=by_name
        )
        return result

    def model_dump(
        self,
        *,
        mode: Literal["json", "python"] | str = "python",
        include: IncEx | None = None,
        exclude: IncEx | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        round_trip: bool = False,
        warnings: bool | Literal["none", "warn", "error"] = True,
        serialize_as_any: bool = False,
    ) -> dict[str, Any]:
        """The model as a dict, unknown fields included.

        Keys are the wire (camelCase) names unless `by_alias=False`: the models are
        configured to serialize by alias, as their wire form. There is no
        `exclude_unset`: the models do not record which fields were set (that record
        is what makes a `BaseModel` heavier to decode).

        Args:
            mode: `"python"` keeps Python objects (`datetime`); `"json"` gives only
                JSON types.
            include: The fields to keep, by Python name (nested as in pydantic).
            exclude: The fields to leave out, by Python name.
            context: Passed to serializers.
            by_alias: `False` for the Python (snake_case) names.
            exclude_defaults: Leave out fields equal to their default.
            exclude_none: Leave out fields that are `None`.
            round_trip: Dump so that the result validates back to an equal model.
            warnings: How to report values that do not fit their field's type.
            serialize_as_any: Serialize nested models by their own type.

        Returns:
            The dict.
        """
        result: dict[str, Any] = _adapter(type(self)).dump_python(
            self,
            # pydantic-core takes any mode name; TypeAdapter's annotation only the two.
            mode=cast("Literal['json', 'python']", mode),
            include=include,
            exclude=exclude,
            context=context,
            by_alias=by_alias,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            round_trip=round_trip,
            warnings=warnings,
            serialize_as_any=serialize_as_any,
        )
        return result

    def model_dump_json(
        self,
        *,
        indent: int | None = None,
        include: IncEx | None = None,
        exclude: IncEx | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        round_trip: bool = False,
        warnings: bool | Literal["none", "warn", "error"] = True,
        serialize_as_any: bool = False,
    ) -> str:
        """The model as a JSON string, unknown fields included; wire names by default.

        Args:
            indent: Indent nested levels by this many spaces.
            include: The fields to keep, by Python name.
            exclude: The fields to leave out, by Python name.
            context: Passed to serializers.
            by_alias: `False` for the Python (snake_case) names.
            exclude_defaults: Leave out fields equal to their default.
            exclude_none: Leave out fields that are `None`.
            round_trip: Dump so that the result validates back to an equal model.
            warnings: How to report values that do not fit their field's type.
            serialize_as_any: Serialize nested models by their own type.

        Returns:
            The JSON text.
        """
        result: bytes = _adapter(type(self)).dump_json(
            self,
            indent=indent,
            include=include,
            exclude=exclude,
            context=context,
            by_alias=by_alias,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            round_trip=round_trip,
            warnings=warnings,
            serialize_as_any=serialize_as_any,
        )
        return result.decode()

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy of the model, with `update` applied and validated; still frozen.

        Unlike `BaseModel.model_copy`, the result is validated: a wrong value in
        `update` raises rather than making a model that breaks its own types.

        Args:
            update: New values by Python (snake_case) field name; other keys become
                unknown fields.
            deep: Copy nested models and containers too, rather than share them.

        Returns:
            The new model; unknown fields are kept.

        Raises:
            pydantic.ValidationError: A value in `update` does not fit its field.
        """
        # vars() holds the fields and the unknown fields alike. Validating by Python name
        # only: an unknown field named like a wire alias (an older server's `typeId`
        # next to `typeElementId`) stays unknown rather than overriding the field.
        values = copy.deepcopy(vars(self)) if deep else dict(vars(self))
        if update:
            values.update(update)
        result: Self = _adapter(type(self)).validate_python(values, by_alias=False, by_name=True)
        return result

    @classmethod
    def model_json_schema(
        cls,
        by_alias: bool = True,
        ref_template: str = DEFAULT_REF_TEMPLATE,
        schema_generator: type[GenerateJsonSchema] = GenerateJsonSchema,
        mode: JsonSchemaMode = "validation",
    ) -> dict[str, Any]:
        """The JSON Schema of the model's wire form, field descriptions included.

        Args:
            by_alias: `False` to name the properties by Python name.
            ref_template: How references to other models are written.
            schema_generator: A `pydantic.json_schema.GenerateJsonSchema` subclass to
                customise the result.
            mode: `"validation"` or `"serialization"`; the wire shape is the same.

        Returns:
            The schema, as a JSON-compatible dict.
        """
        return _adapter(cls).json_schema(
            by_alias=by_alias,
            ref_template=ref_template,
            schema_generator=schema_generator,
            mode=mode,
        )

    @property
    def model_extra(self) -> dict[str, Any]:
        """Fields the server sent that i3X 1.0 does not define."""
        fields = self.__dataclass_fields__
        return {k: v for k, v in vars(self).items() if k not in fields}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Validate a wire (camelCase) or Python-named (snake_case) dict into a model.

        The same as `model_validate(data)`.

        Raises:
            pydantic.ValidationError: `data` does not fit the model (a `ValueError`).
        """
        # The class's validator itself: this form also runs once per item of bulk
        # answers, where TypeAdapter's argument handling would add a microsecond each.
        result: Self = cls.__pydantic_validator__.validate_python(data)
        return result

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        """Validate a JSON document straight from text or bytes; `model_validate_json(data)`.

        Raises:
            pydantic.ValidationError: `data` is not JSON or does not fit the model.
        """
        result: Self = cls.__pydantic_validator__.validate_json(data)
        return result

    def to_dict(self) -> dict[str, Any]:
        """The wire form: camelCase keys, JSON values, unknown fields kept.

        The same as `model_dump(mode="json", by_alias=True)`.
        """
        result: dict[str, Any] = self.__pydantic_serializer__.to_python(
            self, mode="json", by_alias=True
        )
        return result

    def to_json(self) -> str:
        """The wire form as a JSON string; `model_dump_json(by_alias=True)`."""
        result: bytes = self.__pydantic_serializer__.to_json(self, by_alias=True)
        return result.decode()

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The wrap serializer that keeps unknown fields returns Any, which would make the
        # serialization-mode schema (FastAPI's, for responses) an empty one; the wire
        # shape is the same both ways.
        fields_schema = {k: v for k, v in core_schema.items() if k != "serialization"}
        schema = handler(cast("CoreSchema", fields_schema))
        # The field descriptions are filled in on first need (`_describe`), after
        # pydantic built the schema it makes this one from: they go in here.
        _describe(cls)
        properties = handler.resolve_ref_schema(schema).get("properties", {})
        for name, info in getattr(cls, "__pydantic_fields__", {}).items():
            prop = properties.get(info.serialization_alias or info.alias or name)
            if prop is not None and info.description and "description" not in prop:
                prop["description"] = info.description
        return schema

    @model_serializer(mode="wrap")
    def _keep_unknown_fields(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> Any:
        # pydantic dataclasses serialize declared fields only; the wire form must
        # round-trip what the server sent. The call's include/exclude/exclude_none
        # apply to unknown fields as they do on a BaseModel's extras.
        data = handler(self)
        extra = self.model_extra
        if extra and isinstance(data, dict):
            data.update(_selected(extra, info))
        return data


def _selected(extra: dict[str, Any], info: SerializationInfo) -> dict[str, Any]:
    """The unknown fields a serialization call's include/exclude/exclude_none keep."""
    include, exclude = info.include, info.exclude
    if include is None and exclude is None and not info.exclude_none:
        return extra
    return {
        key: value
        for key, value in extra.items()
        if not (info.exclude_none and value is None)
        and (include is None or key in include)
        # A nested exclude ({"vendor": {"name"}}) names parts; only a whole one drops it.
        and not (exclude is not None and key in exclude and _whole(exclude, key))
    }


def _whole(selection: Any, key: str) -> bool:
    return not isinstance(selection, Mapping) or selection[key] is True


def evolve(model: _M, **changes: Any) -> _M:
    """A copy of `model` with `changes` (Python names), keeping its unknown fields."""
    assert isinstance(model, WireModel)
    return cast("_M", model.model_copy(update=changes))


@dataclass_transform(frozen_default=True, field_specifiers=(Field, dataclasses.field))
def wire_model(cls: type[_M]) -> type[_M]:
    """Make `cls` a frozen pydantic dataclass with the i3X wire configuration."""
    model = pydantic.dataclasses.dataclass(frozen=True, config=WIRE_CONFIG)(cls)
    source = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if source is not None:
        _SOURCES[model] = source
    return cast("type[_M]", model)


def _utc_if_naive(value: datetime) -> datetime:
    # i3X timestamps are UTC; a server that omits the offset still means UTC, and
    # a naive datetime would not compare with the aware ones around it.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


Timestamp = Annotated[datetime, AfterValidator(_utc_if_naive)]
"""A timezone-aware datetime; RFC 3339 text on the wire."""


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
class ResponseDetail(WireModel):
    """RFC 9457-style detail a server attaches to a failure, a bulk item, or a 206."""

    title: str | None = None
    """Short summary, such as `Not Found`."""
    status: int | None = None
    """HTTP status code the detail stands for."""
    detail: str | None = None
    """Human-readable explanation from the server."""


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

    @property
    def values(self) -> list[VQT]:
        """The VQT series, oldest first (the 1.0 reference client's name for history)."""
        return self.data

    def to_pandas(self) -> pd.DataFrame:
        """The series as a DataFrame (needs the `pandas` extra).

        Returns:
            A DataFrame indexed by timestamp (timezone-aware, UTC, oldest first) with
            the columns `element_id`, `value` and `quality`: a row per VQT, the
            components' VQTs as rows of their own.

        Raises:
            ImportError: pandas is not installed.
        """
        from ._pandas import to_pandas

        return to_pandas(self)


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


@with_config(ConfigDict(extra="allow"))
class UpdateWire(TypedDict, total=False):
    elementId: Required[str]
    value: Annotated[_CurrentValueWire | Any, Field(union_mode="left_to_right")]
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
    value: Annotated[_CurrentValueWire | Any, Field(union_mode="left_to_right")]
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


def change_from_wire(
    item: Mapping[str, Any], subscription_id: str | None, sequence_number: int | None
) -> ValueChange:
    """A `ValueChange` from a validated stream item or sync-batch update."""
    value = item.get("value")
    source: Mapping[str, Any] = value if type(value) is dict and "isComposition" in value else item
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


# ------------------------------------------------------------------------------- bulk


@wire_model
class BulkItem(WireModel, Generic[_T]):
    """One item of a bulk answer: one per requested id, in request order."""

    success: bool
    """Whether this item succeeded."""
    element_id: str | None = None
    """The element the item answers for (element endpoints)."""
    subscription_id: str | None = None
    """The subscription the item answers for (subscription endpoints)."""
    result: _T | None = None
    """The item's result when it succeeded."""
    response_detail: ResponseDetail | None = None
    """Why the item failed, or informational context."""


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
