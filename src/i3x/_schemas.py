"""Values checked against their object types' JSON Schemas: the machinery of checked writes.

With `validate_writes=True` a client checks each value it writes against the JSON Schema
of the element's object type before sending anything (`i3x._writes` looks the types up
and keeps what it learns in `ClientState`). This module does the checking, without I/O:
a type's schema is compiled once into a `SchemaCheck` (jsonschema's validator for the
schema's draft, 2020-12 when it names none, with format checks), and a refusal becomes
one `ValueValidationError` naming every element, the failing place in each value and in
the schema. What cannot be checked is an `Unchecked`, with the reason the warning gives.

jsonschema (the `validation` extra) is imported on the first schema compiled; a `$ref`
to a document outside the schema is never fetched: such a schema is `Unchecked`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ._exceptions import UncheckedWriteWarning, ValueValidationError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = [
    "JSONSCHEMA_HINT",
    "Refused",
    "SchemaCheck",
    "Unchecked",
    "UnusableSchema",
    "compile_schema",
    "is_checked",
    "refusal",
    "require_jsonschema",
    "warn_unchecked",
]

JSONSCHEMA_HINT: Final = (
    'validate_writes=True needs the jsonschema package: pip install "i3x-client[validation]"'
)

_NULL_QUALITIES: Final = frozenset({"Bad", "GoodNoData"})
"""Qualities whose value may be null whatever the schema says (i3X: no value to give)."""

_SHOWN_FAILURES: Final = 3
"""How many failures (and refused elements) the message lists (all are on the error)."""

_PACKAGE: Final = os.path.dirname(os.path.abspath(__file__)) + os.sep


def require_jsonschema() -> None:
    """Raise, before any request, when checked writes cannot work here.

    Raises:
        ImportError: jsonschema is not installed; names the extra that brings it.
    """
    if importlib.util.find_spec("jsonschema") is None:
        raise ImportError(JSONSCHEMA_HINT)


@dataclass(frozen=True)
class Unchecked:
    """An element or type whose values cannot be checked, and why (for the warning)."""

    reason: str


class UnusableSchema(Exception):
    """A schema that turned out unusable while checking a value (a `$ref` it cannot
    resolve, say): the value is written unchecked, with a warning."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Refused = tuple[str, str, list[dict[str, Any]]]
"""A refused value: `(element_id, type_id, failures)`."""


class SchemaCheck:
    """One object type's JSON Schema, compiled once, checking values written to its objects."""

    def __init__(self, type_id: str, validator: Validator) -> None:
        self.type_id = type_id
        self._validator = validator

    def failures(self, element_id: str, value: Any) -> list[dict[str, Any]]:
        """Why `value` does not fit the schema, best match first (`[]` when it fits).

        Raises:
            UnusableSchema: The schema cannot be used after all (a `$ref` to a document
                outside it, one that never ends).
        """
        from jsonschema.exceptions import relevance
        from referencing.exceptions import Unresolvable

        instance = _as_json(value)
        try:
            if self._validator.is_valid(instance):
                return []
            found = sorted(self._validator.iter_errors(instance), key=relevance, reverse=True)
        except Unresolvable as exc:
            raise UnusableSchema(
                f"the schema of its type {self.type_id!r} refers to {_ref_of(exc)!r}, "
                "which it does not hold (references are never fetched)"
            ) from None
        except RecursionError:
            raise UnusableSchema(
                f"the schema of its type {self.type_id!r} refers to itself without end"
            ) from None
        except Exception as exc:  # the server's schema: whatever jsonschema makes of it
            raise UnusableSchema(
                f"jsonschema cannot check values against the schema of its type "
                f"{self.type_id!r} ({type(exc).__name__})"
            ) from None
        return [
            {
                "loc": tuple(error.absolute_path),
                "msg": error.message,
                "type": error.validator,
                "input": error.instance,
                "schema_path": tuple(error.absolute_schema_path),
                "element_id": element_id,
                "type_id": self.type_id,
            }
            for error in found
        ]


def compile_schema(type_id: str, schema: dict[str, Any]) -> SchemaCheck | Unchecked:
    """The check of a type's schema, or `Unchecked` when it is no valid JSON Schema.

    The schema's `$schema` picks the draft (2020-12 when it names none or one jsonschema
    does not know); formats are checked where jsonschema can check them, as the embedded
    server does.
    """
    import referencing
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import SchemaError

    try:
        cls = validators.validator_for(schema, default=Draft202012Validator)
        cls.check_schema(schema)
        # An empty registry: a $ref outside the schema fails (UnusableSchema) instead of
        # being fetched over the network, as jsonschema still does by default.
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER, registry=referencing.Registry())
    except SchemaError as exc:
        return Unchecked(
            f"the schema of its type {type_id!r} is not valid JSON Schema: {_short(exc.message)}"
        )
    except Exception as exc:  # a `$schema` that is no URI string, say
        return Unchecked(
            f"jsonschema cannot read the schema of its type {type_id!r} ({type(exc).__name__})"
        )
    return SchemaCheck(type_id, validator)


def is_checked(vqt: Mapping[str, Any]) -> bool:
    """Whether a write's value is checked: not a null with quality Bad or GoodNoData,
    which i3X allows whatever the type (there is no value to give)."""
    return vqt.get("value") is not None or vqt.get("quality") not in _NULL_QUALITIES


def refusal(refused: Sequence[Refused]) -> ValueValidationError:
    """The error for writes refused before sending: one element's, or several's at once."""
    errors = [failure for _, _, failures in refused for failure in failures]
    if len(refused) == 1:
        element_id, type_id, failures = refused[0]
        return ValueValidationError(
            f"the value of {element_id!r} does not fit its type {type_id!r} "
            f"(nothing was written): {_failures_text(failures)}",
            element_id=element_id,
            expected=type_id,
            errors=errors,
        )
    parts = [
        f"{element_id!r} (type {type_id!r}): {_failures_text(failures)}"
        for element_id, type_id, failures in refused[:_SHOWN_FAILURES]
    ]
    more = len(refused) - len(parts)
    type_ids = {type_id for _, type_id, _ in refused}
    return ValueValidationError(
        f"{len(refused)} values do not fit their types (nothing was written): "
        + " | ".join(parts)
        + (f" | and {more} more" if more > 0 else ""),
        element_id=None,
        expected=type_ids.pop() if len(type_ids) == 1 else None,
        errors=errors,
    )


def warn_unchecked(element_id: str, reason: str) -> None:
    """Warn that a checked client writes `element_id` unchecked, at the user's line."""
    # The first frame outside the package is the caller's (Python 3.12's
    # skip_file_prefixes, for 3.10): the same depth for both clients and every path.
    frame = sys._getframe(0)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    warnings.warn(
        UncheckedWriteWarning(f"{element_id!r} is written unchecked: {reason}"),
        stacklevel=level,
    )


def _as_json(value: Any) -> Any:
    """The value as the server receives it: tuples become arrays, as httpx sends them."""
    if not isinstance(value, dict | list | tuple):
        return value
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return value  # not JSON (the send will say so): checked as it is


def _failures_text(failures: Sequence[Mapping[str, Any]]) -> str:
    shown = [_failure_text(f) for f in failures[:_SHOWN_FAILURES]]
    more = len(failures) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _failure_text(failure: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in failure["loc"])
    pointer = "/".join(
        str(part).replace("~", "~0").replace("/", "~1") for part in failure["schema_path"]
    )
    return f"{where + ': ' if where else ''}{_short(failure['msg'])} (schema: #/{pointer})"


def _ref_of(exc: BaseException) -> str:
    ref = getattr(exc, "ref", None)
    return ref if isinstance(ref, str) else "?"


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
