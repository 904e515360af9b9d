"""Values read as the types they are: the machinery of `value_as()`.

`VQT.value_as(tp)`, `LastKnownValue.value_as(tp)` and `ValueChange.value_as(tp)` validate
a value as any type pydantic accepts (a model written by `i3x codegen`, `float`, a
dataclass, a `TypedDict`...). A `TypeAdapter` is built once per type and kept: building
one costs far more than validating a value with it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final

import pydantic
from pydantic import TypeAdapter

from ._exceptions import ValueValidationError

__all__ = ["validate_value"]

_SHOWN_ERRORS: Final = 3
"""How many failures the message lists (all are on the error)."""


@functools.lru_cache(maxsize=512)
def _cached_adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


# What pydantic raises for a `tp` it cannot validate with: when the adapter is built, or
# (a string naming no type it can find) when it is first used.
_NOT_A_TYPE: Final = (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError)


def _not_a_type(tp: Any, exc: Exception) -> TypeError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return TypeError(f"tp must be a type pydantic can validate, not {_type_name(tp)}: {reason}")


def _adapter(tp: Any) -> TypeAdapter[Any]:
    build: Callable[[Any], TypeAdapter[Any]] = _cached_adapter
    try:
        hash(tp)
    except TypeError:  # Annotated[...] with unhashable metadata, for one
        build = TypeAdapter
    try:
        return build(tp)
    except _NOT_A_TYPE as exc:
        raise _not_a_type(tp, exc) from exc


def validate_value(value: Any, tp: Any, *, element_id: str | None = None) -> Any:
    """`value` validated as `tp` (pydantic's lax mode: `"2"` may become `2`).

    Raises:
        TypeError: `tp` is not a type pydantic can validate.
        ValueValidationError: The value does not fit `tp`; names the element.
    """
    adapter = _adapter(tp)
    try:
        return adapter.validate_python(value)
    except pydantic.PydanticUserError as exc:
        raise _not_a_type(tp, exc) from exc
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise ValueValidationError(
            _message(element_id, tp, errors), element_id=element_id, expected=tp, errors=errors
        ) from exc


def _message(element_id: str | None, tp: Any, errors: list[Any]) -> str:
    subject = f"the value of {element_id!r}" if element_id else "the value"
    shown = []
    for error in errors[:_SHOWN_ERRORS]:
        where = ".".join(str(part) for part in error.get("loc", ()))
        got = _short(repr(error.get("input")))
        shown.append(f"{where + ': ' if where else ''}{error.get('msg')} (got {got})")
    more = len(errors) - len(shown)
    text = f"{subject} does not fit {_type_name(tp)}: " + "; ".join(shown)
    return text + (f"; and {more} more" if more > 0 else "")


def _type_name(tp: Any) -> str:
    name = getattr(tp, "__qualname__", None) if isinstance(tp, type) else None
    return name or repr(tp)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
