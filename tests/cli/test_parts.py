"""The CLI's parts on their own: times, values, masking, exit codes, rendering, notices."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from rich.console import Console

import i3x
from i3x._cli._errors import ExitCode, exit_code_for
from i3x._cli._group import reflow
from i3x._cli._output import Output
from i3x._cli._render import (
    format_time,
    format_value,
    history_csv,
    objects_tree,
    sparkline,
    value_rows,
)
from i3x._cli._times import parse_time
from i3x._cli._transport import VerboseTransport, mask_header, mask_url
from i3x._cli._values import parse_value
from i3x._cli._watch import Watcher

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("-30s", NOW - timedelta(seconds=30)),
        ("-15m", NOW - timedelta(minutes=15)),
        ("-1h", NOW - timedelta(hours=1)),
        ("-1h30m", NOW - timedelta(hours=1, minutes=30)),
        ("-2d", NOW - timedelta(days=2)),
        ("-1W", NOW - timedelta(weeks=1)),
        ("-0.5h", NOW - timedelta(minutes=30)),
        ("2025-06-01T08:00:00Z", datetime(2025, 6, 1, 8, tzinfo=timezone.utc)),
        ("2025-06-01T10:00:00+02:00", datetime(2025, 6, 1, 8, tzinfo=timezone.utc)),
        ("2025-06-01T08:00:00", datetime(2025, 6, 1, 8, tzinfo=timezone.utc)),
        ("2025-06-01", datetime(2025, 6, 1, tzinfo=timezone.utc)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert parse_time(text, now=NOW) == expected
    assert parse_time(text, now=NOW).tzinfo is not None


@pytest.mark.parametrize("text", ["yesterday", "-1", "1h", "-1y", "", "2025-13-01"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time"):
        parse_time(text, now=NOW)


# -------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"temperature": 72.5}', {"temperature": 72.5}),
        ("42", 42),
        ("-1.5", -1.5),
        ("true", True),
        ("null", None),
        ("[1, 2]", [1, 2]),
        ('"quoted"', "quoted"),
        ("running", "running"),
        ("NaN", "NaN"),
        ("{not json", "{not json"),
    ],
)
def test_parse_value(text: str, expected: Any) -> None:
    assert parse_value(text) == expected


def test_format_value_and_time() -> None:
    assert format_value("text") == "text"
    assert format_value(True) == "true"
    assert format_value(None) == "null"
    assert format_value({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert format_time(None) == ""
    cet = timezone(timedelta(hours=2))
    assert format_time(datetime(2025, 6, 1, 10, 0, 0, 5000, tzinfo=cet)) == (
        "2025-06-01T08:00:00.005Z"
    )


# ------------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("Authorization", "Bearer abc.def", "Bearer ***"),
        ("authorization", "Basic YWxpY2U6cw==", "Basic ***"),
        ("Proxy-Authorization", "Basic eA==", "Basic ***"),
        ("Authorization", "opaque-token", "***"),
        ("Cookie", "session=abc", "***"),
        ("X-API-Key", "k", "***"),
        ("Accept", "application/json", "application/json"),
    ],
)
def test_mask_header(name: str, value: str, shown: str) -> None:
    assert mask_header(name, value) == shown


def test_mask_url() -> None:
    url = httpx.URL(
        "https://alice:pw@host/v1/x?token=t0k&code=gw-key&namespaceUri=urn:a&password=p"
    )
    shown = mask_url(url)
    # As the SDK shows URLs: a gateway's key may have any name, the API's own ids stay.
    assert shown == "https://host/v1/x?token=***&code=***&namespaceUri=urn:a&password=***"
    assert mask_url(httpx.URL("http://host/v1/info")) == "http://host/v1/info"


def test_verbose_transport_reports_failures() -> None:
    lines: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport = VerboseTransport(httpx.MockTransport(refuse), lines.append)
    with httpx.Client(transport=transport) as http, pytest.raises(httpx.ConnectError):
        http.get("http://host/v1/info", headers={"Authorization": "Bearer s3"})
    assert lines[0] == "> GET http://host/v1/info"
    assert "> authorization: Bearer ***" in lines
    assert lines[-1].startswith("< failed after")
    assert "ConnectError" in lines[-1]
    assert not any("s3" in line for line in lines)


# --------------------------------------------------------------------- exit codes


def _status(cls: type[i3x.APIStatusError], code: int) -> i3x.APIStatusError:
    return cls(f"HTTP {code}", code)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (i3x.ConnectionError("down"), ExitCode.CONNECTION),
        (i3x.TimeoutError("slow"), ExitCode.CONNECTION),
        (_status(i3x.AuthenticationError, 403), ExitCode.AUTHENTICATION),
        (_status(i3x.NotFoundError, 404), ExitCode.NOT_FOUND),
        (_status(i3x.BadRequestError, 400), ExitCode.BAD_REQUEST),
        (_status(i3x.ServerError, 502), ExitCode.SERVER),
        (_status(i3x.NotSupportedError, 501), ExitCode.NOT_SUPPORTED),
        (i3x.InvalidServerResponseError("html"), ExitCode.INVALID_SERVER),
        (i3x.ResponseValidationError("shape"), ExitCode.INVALID_SERVER),
        (i3x.UnsupportedVersionError("alpha"), ExitCode.INVALID_SERVER),
        (_status(i3x.RateLimitError, 429), ExitCode.ERROR),
        (i3x.StreamError("gone"), ExitCode.ERROR),
        (i3x.I3XError("other"), ExitCode.ERROR),
    ],
)
def test_exit_code_for(error: i3x.I3XError, code: ExitCode) -> None:
    assert exit_code_for(error) == code


def test_exit_code_for_bulk_errors() -> None:
    missing = _status(i3x.NotFoundError, 404)
    bad = _status(i3x.BadRequestError, 400)
    same = i3x.BulkError("2 failed", items=[], errors={"a": missing, "b": missing})
    mixed = i3x.BulkError("2 failed", items=[], errors={"a": missing, "b": bad})
    assert exit_code_for(same) == ExitCode.NOT_FOUND
    assert exit_code_for(mixed) == ExitCode.BAD_REQUEST


# ----------------------------------------------------------------------- rendering


def _value(element_id: str, value: Any, children: dict[str, Any] | None = None) -> Any:
    return {"elementId": element_id, "value": value, "quality": "Good", "components": children}


def test_value_rows_nest_flat_components_by_parent() -> None:
    flat = i3x.LastKnownValue.from_dict(
        _value(
            "pump",
            None,
            {
                "motor": {"value": None, "quality": "GoodNoData"},
                "flow": {"value": 1.0, "quality": "Good"},
                "current": {"value": 2.0, "quality": "Good"},
            },
        )
    )
    parents = {"motor": "pump", "flow": "pump", "current": "motor"}
    rows = [(depth, element_id) for depth, element_id, _ in value_rows([flat], parents)]
    assert rows == [(0, "pump"), (1, "motor"), (2, "current"), (1, "flow")]
    # Without parents, the wire's nesting stands.
    assert [d for d, _, _ in value_rows([flat])] == [0, 1, 1, 1]


def test_value_rows_survive_a_parent_cycle() -> None:
    value = i3x.LastKnownValue.from_dict(
        _value(
            "top", 0, {"a": {"value": 1, "quality": "Good"}, "b": {"value": 2, "quality": "Good"}}
        )
    )
    rows = value_rows([value], {"a": "b", "b": "a"})
    assert sorted(element_id for _, element_id, _ in rows) == ["a", "b", "top"]


def test_objects_tree_puts_components_under_their_owner() -> None:
    objects = [
        i3x.ObjectInstance(element_id="site"),
        i3x.ObjectInstance(element_id="pump", parent_id="site", is_composition=True),
        # Organised elsewhere, but a component of the pump.
        i3x.ObjectInstance(element_id="seal", parent_id="site"),
        i3x.ObjectInstance(element_id="loop-a", parent_id="loop-b"),
        i3x.ObjectInstance(element_id="loop-b", parent_id="loop-a"),
    ]
    console = Console(width=100, record=True, file=None, force_terminal=False)
    with console.capture() as captured:
        console.print(objects_tree(objects, {"pump": ["seal", "unknown"]}))
    lines = captured.get().splitlines()
    assert lines[0].startswith("site")
    seal = next(line for line in lines if "seal" in line)
    pump = next(line for line in lines if "pump" in line)
    assert "[component]" in seal
    assert seal.index("seal") > pump.index("pump")
    assert any("loop-a" in line for line in lines)
    assert any("loop-b" in line for line in lines)


def test_sparkline_and_csv() -> None:
    assert sparkline([1, 2, 4, None, "x", True]) == "▁▃█"
    assert sparkline([5, 5]) == "▅▅"
    assert sparkline(["a"]) == ""
    vqts = [
        i3x.VQT(value=None, quality="Bad", timestamp=NOW),
        i3x.VQT(value='say "hi", twice', quality="Good", timestamp=NOW),
    ]
    assert history_csv(vqts).splitlines() == [
        "timestamp,value,quality",
        "2025-06-01T12:00:00.000Z,,Bad",
        '2025-06-01T12:00:00.000Z,"say ""hi"", twice",Good',
    ]


# ------------------------------------------------------------------------- watch


def test_watcher_lines_for_every_notice(capsys: pytest.CaptureFixture[str]) -> None:
    change = i3x.ValueChange(
        element_id="pt-304", data=[i3x.VQT(value=3.5, quality="Good", timestamp=NOW)]
    )
    later = NOW + timedelta(seconds=1)
    events: list[i3x.ValueChange | i3x.SubscriptionError] = [
        i3x.StreamError("stream failed: reset; retrying"),
        i3x.SubscriptionLostError("re-created"),
        change,
        i3x.UpdatesLostError("gap", first=4, last=6),
        change,  # delivered twice (sync is at least once): nothing new, not counted
        i3x.ValueChange(
            element_id="pt-304", data=[i3x.VQT(value=3.5, quality="Good", timestamp=later)]
        ),
        change,  # after --count 2 changes shown: not read
    ]
    watcher = Watcher(Output(), count=2)
    watcher.run(iter(events))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "! connection lost, reconnecting: stream failed: reset; retrying"
    assert lines[1] == "! connection restored, receiving changes again"
    assert lines[2].startswith("! subscription re-created")
    assert lines[3] == "2025-06-01T12:00:00.000Z  pt-304  3.5  Good"
    assert lines[4].startswith("! updates lost: 3 updates")
    assert lines[5] == "2025-06-01T12:00:01.000Z  pt-304  3.5  Good"
    assert len(lines) == 6
    assert watcher.changes == 2


def _vqt(value: Any, seconds: int) -> dict[str, Any]:
    stamp = format_time(NOW + timedelta(seconds=seconds))
    return {"value": value, "quality": "Good", "timestamp": stamp}


def _pump_change(flow: tuple[float, int], current: tuple[float, int]) -> i3x.ValueChange:
    """pump-101 as a composition change: its components inside, each with its own VQT."""
    motor = {"elementId": "pump-101-motor", "data": [_vqt(None, 0)]}
    return i3x.ValueChange.from_dict(
        {
            "elementId": "pump-101",
            "isComposition": True,
            "data": [_vqt(None, 0)],
            "children": {
                "pump-101-flow": {"elementId": "pump-101-flow", "data": [_vqt(*flow)]},
                "pump-101-motor": {
                    **motor,
                    "children": {
                        "pump-101-motor-current": {
                            "elementId": "pump-101-motor-current",
                            "data": [_vqt(*current)],
                        }
                    },
                },
            },
        }
    )


def test_watcher_shows_only_what_changed_in_a_composition(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = _pump_change(flow=(40.5, 1), current=(18.25, 1))
    flow_changed = _pump_change(flow=(41.5, 2), current=(18.25, 1))
    flow_alone = i3x.ValueChange(
        element_id="pump-101-flow", data=[i3x.VQT.from_dict(_vqt(41.5, 2))]
    )
    current_changed = _pump_change(flow=(41.5, 2), current=(19.0, 3))
    watcher = Watcher(Output(), width=8)
    watcher.run(iter([first, flow_changed, flow_alone, current_changed]))
    lines = capsys.readouterr().out.splitlines()
    # The first change shows everything; after it, only what is new, each at its own time.
    assert [line.split()[1] for line in lines[:4]] == [
        "pump-101",
        "pump-101-flow",
        "pump-101-motor",
        "pump-101-motor-current",
    ]
    # Padded to the longest id seen, so that values line up.
    assert lines[4:] == [
        "2025-06-01T12:00:02.000Z  pump-101-flow           41.5  Good",
        "2025-06-01T12:00:03.000Z  pump-101-motor-current  19.0  Good",
    ]
    value_columns = {len(line) - len(line.split(maxsplit=2)[2]) for line in lines}
    assert len(value_columns) == 1
    assert watcher.changes == 3  # flow_alone showed nothing new: --count does not count it


# ------------------------------------------------------------------------ output


def _progress_shown(out: Output, *, stdout_terminal: bool, stderr_terminal: bool) -> str:
    """What `busy` wrote to stderr, with both streams made terminals or not."""
    import io

    out.console = Console(file=io.StringIO(), force_terminal=stdout_terminal)
    out.err = Console(file=io.StringIO(), force_terminal=stderr_terminal)
    with out.busy("Reading objects…") as step:
        step("Reading their components…")
    shown: str = out.err.file.getvalue()  # type: ignore[attr-defined]
    return shown


def test_progress_only_when_both_streams_are_terminals() -> None:
    both = _progress_shown(Output(), stdout_terminal=True, stderr_terminal=True)
    assert "Reading objects" in both
    assert "Reading their components" in both
    assert _progress_shown(Output(), stdout_terminal=False, stderr_terminal=True) == ""
    assert _progress_shown(Output(), stdout_terminal=True, stderr_terminal=False) == ""
    # JSON is for programs; --verbose prints the exchanges there instead.
    json_mode = Output(json_mode=True)
    assert _progress_shown(json_mode, stdout_terminal=True, stderr_terminal=True) == ""
    verbose = Output(verbose=True)
    assert _progress_shown(verbose, stdout_terminal=True, stderr_terminal=True) == ""


def test_sparkline_fits_a_width() -> None:
    rising = sparkline(range(1000), width=10)
    assert len(rising) == 10
    assert rising[0] == "▁"
    assert rising[-1] == "█"
    assert list(rising) == sorted(rising)
    assert sparkline([1, 2, 4], width=10) == "▁▃█"  # short series: one character each


# --------------------------------------------------------------------------- help


def test_reflow_joins_prose_and_keeps_examples() -> None:
    doc = """Summary line.

    A paragraph written to fit
    the source file, not the terminal.

    [bold]Examples[/bold]
      i3x get pt-304
      i3x get pump-101 --depth 0
    """
    flowed = reflow(doc)
    assert flowed is not None
    summary, prose, examples = [p.strip("\n") for p in flowed.split("\n\n")]
    assert summary == "Summary line."
    assert prose == "A paragraph written to fit the source file, not the terminal."
    assert examples.splitlines() == [
        "[bold]Examples[/bold]",
        "  i3x get pt-304",
        "  i3x get pump-101 --depth 0",
    ]
    assert reflow(flowed) == flowed
    assert reflow(None) is None
    assert reflow("One line.") == "One line."
