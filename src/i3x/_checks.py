"""Argument checks: a wrong argument raises before any request, naming the argument."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Final

import pydantic
from pydantic import AwareDatetime, TypeAdapter

from ._models import Subscription

__all__ = [
    "check_id",
    "check_ids",
    "check_depth",
    "check_time",
    "check_optional_str",
    "check_bool",
    "check_positive_int",
    "subscription_key",
    "vqt_parts",
]

_aware = TypeAdapter(AwareDatetime)


def _type_name(value: object) -> str:
    return type(value).__name__


def check_id(value: object, name: str) -> str:
    """A single element or subscription id: a non-empty `str`."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {_type_name(value)}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def check_ids(value: object, name: str) -> list[str]:
    """A non-empty iterable of ids (a lone string is refused: it is iterable too)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of str, not {_type_name(value)}")
    ids = list(value)
    if not ids:
        raise ValueError(f"{name} must not be empty")
    for i, item in enumerate(ids):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a str, not {_type_name(item)}")
        if not item:
            raise ValueError(f"{name}[{i}] must not be empty")
    return ids


def check_depth(value: object, name: str = "max_depth") -> int:
    """`maxDepth`: 1 = only this element, N = N levels, 0 = unlimited."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {_type_name(value)}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 (0 means unlimited), got {value}")
    return value


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """An `int` of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {_type_name(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_bool(value: object, name: str) -> bool:
    """A `bool` (`1` and `"yes"` are refused, they hide mistakes)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {_type_name(value)}")
    return value


def check_optional_str(value: object, name: str) -> str | None:
    """`None` or a non-empty `str`."""
    if value is None:
        return None
    return check_id(value, name)


def check_time(value: object, name: str) -> str:
    """An RFC 3339 UTC timestamp from an aware `datetime` or an RFC 3339 string.

    Naive datetimes are refused: whether they mean local time or UTC is a guess
    the SDK will not make for a plant's history.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"{name} is a naive datetime; pass an aware one, such as datetime.now(timezone.utc)"
            )
        moment = value
    elif isinstance(value, str):
        try:
            moment = _aware.validate_python(value)
        except pydantic.ValidationError:
            raise ValueError(
                f"{name} must be an RFC 3339 timestamp with an offset, "
                f"such as 2026-01-01T00:00:00Z; got {value!r}"
            ) from None
    else:
        raise TypeError(f"{name} must be a datetime or an RFC 3339 str, not {_type_name(value)}")
    text = moment.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


def subscription_key(value: object, name: str = "subscription") -> str:
    """The id of a `Subscription` or an id string."""
    if isinstance(value, Subscription):
        return value.subscription_id
    return check_id(value, name)


_VQT_KEYS: Final = frozenset({"value", "quality", "timestamp"})


def vqt_parts(value: Any, quality: Any, timestamp: Any, name: str) -> tuple[Any, Any, Any]:
    """A value to write, with a VQT-shaped dict read as the VQT it stands for.

    A dict whose keys are `value` and at most `quality` and `timestamp` is a VQT (the
    1.0 reference client writes it so, and its users pass such dicts): written as the
    value, it would land nested, `{"value": {"value": 72.5, ...}}`. Every other dict,
    such as `{"temperature": 72.5}`, is the value itself; `i3x.VQT(value=...)` writes a
    VQT-shaped dict as a value on purpose. A `None` quality or timestamp in the dict
    means "not given", as the arguments do; the arguments win over the dict.

    Returns:
        The value, the quality and the timestamp to write (`None`: not given).

    Raises:
        TypeError: The dict's quality or timestamp has a wrong type (named as
            `name["quality"]`, `name["timestamp"]`).
        ValueError: The dict's timestamp is not RFC 3339 with an offset.
    """
    if not (isinstance(value, Mapping) and "value" in value and _VQT_KEYS.issuperset(value)):
        return value, quality, timestamp
    given_quality = value.get("quality")
    if quality is None and given_quality is not None:
        quality = check_id(given_quality, f'{name}["quality"]')
    given_time = value.get("timestamp")
    if timestamp is None and given_time is not None:
        timestamp = check_time(given_time, f'{name}["timestamp"]')
    return value["value"], quality, timestamp
