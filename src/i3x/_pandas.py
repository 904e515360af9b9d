"""Values and histories as pandas DataFrames: `LastKnownValue.to_pandas()`, `i3x.to_pandas()`.

The frame is long ("tidy"): one row per VQT, indexed by its timezone-aware (UTC)
timestamp, with the columns `element_id`, `value` and `quality`. A composition's
components are rows of their own, told apart by `element_id`: their series keep their
own timestamps, where columns side by side would need one shared clock. For one
column per element: `frame.pivot(columns="element_id", values="value")`.

pandas is imported only here, and only when a frame is asked for (the `pandas` extra).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import pandas as pd

    from ._models import VQT, LastKnownValue

__all__ = ["to_pandas", "COLUMNS"]

COLUMNS: Final = ("element_id", "value", "quality")
_EXTRA_HINT: Final = 'DataFrames need the pandas extra: pip install "i3x-client[pandas]"'


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
        ImportError: pandas is not installed.
        TypeError: `values` is none of the above.
    """
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(_EXTRA_HINT, name=exc.name) from exc
    from ._models import LastKnownValue

    given: object = values  # checked at run time: callers are not all type-checked
    if isinstance(given, LastKnownValue):
        tops: list[Any] = [given]
    elif isinstance(given, Mapping):
        tops = list(given.values())
    elif isinstance(given, Iterable) and not isinstance(given, str | bytes):
        tops = list(given)
    else:
        raise TypeError(
            f"values must be a LastKnownValue or a dict of them, not {type(values).__name__}"
        )
    for top in tops:
        if not isinstance(top, LastKnownValue):
            raise TypeError(f"values must hold LastKnownValue items, not {type(top).__name__}")

    timestamps: list[Any] = []
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for element_id, vqt in _rows(tops):
        timestamps.append(vqt.timestamp)
        columns["element_id"].append(element_id)
        columns["value"].append(vqt.value)
        columns["quality"].append(vqt.quality)
    index = pd.DatetimeIndex(pd.to_datetime(timestamps, utc=True), name="timestamp")
    frame = pd.DataFrame(columns, index=index)
    if frame.empty:  # nothing to infer the columns' types from
        frame = frame.astype(object)
    # Stable: rows at the same instant keep the order of the answer (parent first).
    ordered: pd.DataFrame = frame.sort_index(kind="stable")
    return ordered


def _rows(
    values: Iterable[LastKnownValue], seen: set[str] | None = None
) -> Iterator[tuple[str, VQT]]:
    """Each VQT with its element: a value's own series, then its components', depth first.

    An element asked for beside the composition it is a component of comes once.
    """
    seen = set() if seen is None else seen
    for value in values:
        if value.element_id in seen:
            continue
        seen.add(value.element_id)
        for vqt in value.data:
            yield value.element_id, vqt
        yield from _rows(value.children.values(), seen)
