"""The base of every payload model, and the two parts any answer may carry.

`WireModel` and `wire_model()` configure a pydantic dataclass once for the i3X wire
(camelCase aliases, construction by Python name too, frozen, unknown fields kept,
descriptions from attribute docstrings) and give it pydantic's model methods. Here too:
`ResponseDetail` and `BulkItem`, which the error tree (`i3x._exceptions`) carries, so that
it depends on this module and not on the payload models of `i3x._models`.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import functools
import inspect
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import (
    Annotated,
    Any,
    ClassVar,
    Final,
    Generic,
    Literal,
    TypeVar,
    cast,
)

import pydantic.dataclasses
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    model_serializer,
)
from pydantic.alias_generators import to_camel, to_snake
from pydantic.fields import ComputedFieldInfo, FieldInfo
from pydantic.json_schema import (
    DEFAULT_REF_TEMPLATE,
    GenerateJsonSchema,
    JsonSchemaMode,
    JsonSchemaValue,
)
from pydantic.main import IncEx
from pydantic_core import CoreSchema
from typing_extensions import Self, dataclass_transform

__all__ = [
    "BulkItem",
    "ResponseDetail",
    "Timestamp",
    "WIRE_CONFIG",
    "WireModel",
    "evolve",
    "wire_model",
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


# --------------------------------------------------------------------------- parts of answers


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

    def __getitem__(self, key: str) -> Any:
        """A field by its wire or Python name: `item["elementId"]`, `item["success"]`.

        The 1.0 reference client returns bulk items as dicts; code written for it keeps
        reading them so.

        Raises:
            KeyError: No such field (nor unknown field the server sent).
        """
        for name in type(self).__pydantic_fields__:
            if key in (name, to_camel(name)):
                return getattr(self, name)
        extra = self.model_extra
        if extra is not None and key in extra:
            return extra[key]
        raise KeyError(key)
