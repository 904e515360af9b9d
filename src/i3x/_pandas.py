"""Values and histories as pandas DataFrames: the frame behind `to_pandas()`.

The frame is long ("tidy"): one row per VQT, indexed by its timezone-aware (UTC)
timestamp, with the columns `element_id`, `value` and `quality`. A composition's
components are rows of their own, told apart by `element_id`: their series keep their
own timestamps, where columns side by side would need one shared clock. For one
column per element: `frame.pivot(columns="element_id", values="value")`.

pandas is imported only here, and only when a frame is asked for (the `pandas` extra).
The models (`LastKnownValue.to_pandas()`, `i3x.to_pandas()`) hand over plain rows, so
that this module needs nothing of theirs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "Row", "frame"]

COLUMNS: Final = ("element_id", "value", "quality")
_EXTRA_HINT: Final = 'DataFrames need the pandas extra: pip install "i3x-client[pandas]"'

Row = tuple[str, datetime | None, Any, str]
"""One VQT of one element: `(element_id, timestamp, value, quality)`."""


def frame(rows: Iterable[Row]) -> pd.DataFrame:
    """The DataFrame of these rows, oldest first (rows at one instant keep their order).

    Raises:
        ImportError: pandas is not installed.
    """
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(_EXTRA_HINT, name=exc.name) from exc
    timestamps: list[Any] = []  # pandas-stubs take no None, pandas does (NaT)
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for element_id, timestamp, value, quality in rows:
        timestamps.append(timestamp)
        columns["element_id"].append(element_id)
        columns["value"].append(value)
        columns["quality"].append(quality)
    index = pd.DatetimeIndex(pd.to_datetime(timestamps, utc=True), name="timestamp")
    table = pd.DataFrame(columns, index=index)
    if table.empty:  # nothing to infer the columns' types from
        table = table.astype(object)
    # Stable: rows at the same instant keep the order of the answer (parent first).
    ordered: pd.DataFrame = table.sort_index(kind="stable")
    return ordered
