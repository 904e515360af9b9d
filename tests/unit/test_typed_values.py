"""value_as() reads a value as a type; to_pandas() turns values and histories into frames."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import datetime, timezone
from typing import Annotated, Any

import pandas as pd
import pydantic
import pytest
from typing_extensions import TypedDict

import i3x

from ._helpers import sample


class Setpoint(pydantic.BaseModel):
    temperature: float
    mode: str | None = None


class SetpointDict(TypedDict):
    temperature: float


@dataclasses.dataclass
class SetpointRecord:
    temperature: float


def _value(element_id: str, value: Any, quality: str = "Good") -> i3x.LastKnownValue:
    return i3x.LastKnownValue.from_dict(
        {"elementId": element_id, "value": value, "quality": quality, "timestamp": None}
    )


def _history(element_id: str, result: dict[str, Any]) -> i3x.LastKnownValue:
    return i3x.LastKnownValue.from_dict({"elementId": element_id, **result})


# ---------------------------------------------------------------------------- value_as


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (Setpoint, Setpoint(temperature=72.5, mode="auto")),
        (SetpointDict, {"temperature": 72.5}),
        (SetpointRecord, SetpointRecord(temperature=72.5)),
        (dict[str, Any], {"temperature": 72.5, "mode": "auto"}),
    ],
    ids=["model", "TypedDict", "dataclass", "dict"],
)
def test_value_as_any_type_pydantic_takes(tp: Any, expected: Any) -> None:
    value = _value("tank-201-setpoint", {"temperature": 72.5, "mode": "auto"})
    assert value.value_as(tp) == expected
    assert value.latest is not None
    assert value.latest.value_as(tp) == expected


def test_value_as_scalars_in_lax_mode() -> None:
    assert _value("pt-304", 3.2).value_as(float) == 3.2
    assert _value("count", "42").value_as(int) == 42
    assert _value("ts-301", None, "GoodNoData").value_as(float | None) is None
    stamp = _value("since", "2026-11-24T10:47:22Z").value_as(datetime)
    assert stamp == datetime(2026, 11, 24, 10, 47, 22, tzinfo=timezone.utc)


def test_value_as_on_a_change() -> None:
    change = i3x.ValueChange.from_dict(
        {"elementId": "tank-201-setpoint", "value": {"temperature": 65.0}, "quality": "Good"}
    )
    assert change.value_as(Setpoint) == Setpoint(temperature=65.0)


def test_a_value_that_does_not_fit_names_the_element() -> None:
    value = _value("tank-201-setpoint", {"temperature": "hot", "mode": 3})
    with pytest.raises(i3x.ValueValidationError) as caught:
        value.value_as(Setpoint)
    error = caught.value
    assert isinstance(error, ValueError)
    assert isinstance(error, i3x.I3XError)
    assert str(error).startswith("the value of 'tank-201-setpoint' does not fit Setpoint: ")
    assert "temperature: Input should be a valid number" in str(error)
    assert "(got 'hot')" in str(error)
    assert error.element_id == "tank-201-setpoint"
    assert error.expected is Setpoint
    assert [e["loc"] for e in error.errors] == [("temperature",), ("mode",)]
    assert isinstance(error.__cause__, pydantic.ValidationError)


def test_a_missing_value_does_not_fit_a_model() -> None:
    with pytest.raises(i3x.ValueValidationError, match="the value of 'ts-302' does not fit"):
        _value("ts-302", None, "Bad").value_as(Setpoint)


def test_a_vqt_has_no_element_to_name() -> None:
    with pytest.raises(i3x.ValueValidationError, match=r"^the value does not fit float: "):
        i3x.VQT(value="x").value_as(float)


def test_many_failures_are_counted_not_listed() -> None:
    with pytest.raises(i3x.ValueValidationError, match=r"; and 2 more$") as caught:
        _value("list", ["a", "b", "c", "d", "e"]).value_as(list[int])
    assert len(caught.value.errors) == 5


def test_a_long_input_is_cut_short_in_the_message() -> None:
    with pytest.raises(i3x.ValueValidationError) as caught:
        _value("text", "x" * 500).value_as(int)
    assert len(str(caught.value)) < 200
    assert caught.value.errors[0]["input"] == "x" * 500


@pytest.mark.parametrize("tp", [5, object(), "NoSuchType"], ids=["int", "instance", "unknown-name"])
def test_something_that_is_no_type_is_a_type_error(tp: Any) -> None:
    with pytest.raises(TypeError, match=r"^tp must be a type pydantic can validate, not "):
        _value("pt-304", 3.2).value_as(tp)


def test_unhashable_annotated_types_work_too() -> None:
    tp = Annotated[float, pydantic.Field(ge=0), ["not", "hashable"]]
    assert _value("pt-304", 3.2).value_as(tp) == 3.2
    with pytest.raises(i3x.ValueValidationError, match="greater than or equal to 0"):
        _value("pt-304", -1).value_as(tp)


# ----------------------------------------------------------------------------- pandas


def test_a_history_as_a_frame() -> None:
    answer = sample("server-a-history.json")["results"][0]
    frame = _history(answer["elementId"], answer["result"]).to_pandas()
    assert list(frame.columns) == ["element_id", "value", "quality"]
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "timestamp"
    assert str(frame.index.tz) == "UTC"
    assert frame.index.is_monotonic_increasing
    assert list(frame["value"]) == [68.2, 54.9, 71.85644778277687, 70.5]
    assert set(frame["element_id"]) == {"sensor-001"}
    assert set(frame["quality"]) == {"Good"}
    assert frame.index[-1] == pd.Timestamp("2026-11-24T10:47:22Z")


def test_components_are_rows_of_their_own() -> None:
    answer = sample("server-a-history.json")["results"][1]
    composite = _history(answer["elementId"], answer["result"])
    frame = composite.to_pandas()
    assert composite.data == []
    assert list(frame["element_id"]) == ["pump-101-bearing-temperature"] * 3
    assert frame["value"].iloc[0] == {"inTolerance": True, "tolerance": 5.1}
    assert frame.index.is_monotonic_increasing


def test_get_histories_answer_as_one_frame() -> None:
    stamps = ["2026-01-01T00:00:02Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"]
    pump = _history(
        "pump-101",
        {
            "isComposition": True,
            "values": [{"value": None, "quality": "GoodNoData", "timestamp": stamps[1]}],
            "components": {
                "pump-101-flow": {
                    "values": [
                        {"value": 41.0, "quality": "Good", "timestamp": stamps[1]},
                        {"value": 42.0, "quality": "Good", "timestamp": stamps[0]},
                    ]
                }
            },
        },
    )
    flow = pump.children["pump-101-flow"]
    pt = _history("pt-304", {"values": [{"value": 3.1, "quality": "Bad", "timestamp": stamps[2]}]})
    # pump-101-flow asked for beside its composition comes once.
    frame = i3x.to_pandas({"pump-101": pump, "pump-101-flow": flow, "pt-304": pt})
    assert list(frame["element_id"]) == ["pump-101", "pump-101-flow", "pt-304", "pump-101-flow"]
    assert list(frame["quality"]) == ["GoodNoData", "Good", "Bad", "Good"]
    assert [t.isoformat() for t in frame.index] == [
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T00:00:01+00:00",
        "2026-01-01T00:00:02+00:00",
    ]
    wide = frame.pivot_table(index="timestamp", columns="element_id", values="value")
    assert wide.loc[pd.Timestamp(stamps[0]), "pump-101-flow"] == 42.0
    assert i3x.to_pandas([pt])["value"].tolist() == [3.1]


def test_nothing_is_an_empty_frame_with_the_columns() -> None:
    frame = i3x.to_pandas({})
    assert frame.empty
    assert list(frame.columns) == ["element_id", "value", "quality"]
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"


@pytest.mark.parametrize("given", ["pt-304", 3, [3]], ids=["str", "int", "list-of-int"])
def test_to_pandas_refuses_what_is_no_value(given: Any) -> None:
    with pytest.raises(TypeError, match="LastKnownValue"):
        i3x.to_pandas(given)


def test_without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r'pip install "i3x-client\[pandas\]"'):
        _value("pt-304", 3.2).to_pandas()


def test_importing_i3x_imports_neither_pandas_nor_the_generator() -> None:
    code = (
        "import sys, i3x, i3x.codegen\n"
        "print(sorted(m for m in ('pandas', 'datamodel_code_generator') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
