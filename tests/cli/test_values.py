"""get, history and write: human and JSON output, times and values from the command line."""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime, timedelta, timezone

import pytest
import respx

from i3x._cli._render import format_time
from i3x._cli._values import HISTORY_ROWS
from i3x.testing import DemoServer

from .conftest import Cli


def _row(stdout: str, element_id: str) -> str:
    return next(line for line in stdout.splitlines() if f" {element_id} " in line)


def _cell_indent(row: str) -> int:
    cell = row.split("│")[1]
    return len(cell) - len(cell.lstrip())


def test_get_one_value(plant: Cli, i3x_server: DemoServer) -> None:
    i3x_server.set_value("pt-304", 3.4)
    out = plant("get", "pt-304")
    assert out.exit_code == 0, out.stderr
    row = _row(out.stdout, "pt-304")
    assert "3.4" in row
    assert "Good" in row


def test_get_shows_every_quality(plant: Cli) -> None:
    out = plant("get", "ts-301", "ts-302", "ts-303", "pt-304")
    assert out.exit_code == 0
    assert "GoodNoData" in _row(out.stdout, "ts-301")
    assert "Bad" in _row(out.stdout, "ts-302")
    assert "Uncertain" in _row(out.stdout, "ts-303")
    assert "Good" in _row(out.stdout, "pt-304")


def test_get_depth_0_indents_components_beneath_their_owner(plant: Cli) -> None:
    out = plant("get", "pump-101", "--depth", "0")
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    ids = ["pump-101", "pump-101-flow", "pump-101-motor", "pump-101-motor-current"]
    rows = [_row(out.stdout, i) for i in ids]
    indents = [_cell_indent(r) for r in rows]
    assert indents[0] < indents[1] == indents[2] < indents[3]
    assert lines.index(rows[2]) < lines.index(rows[3])
    assert '"mode": "running"' in out.stdout


def test_get_json_is_a_list_of_values(plant: Cli, i3x_server: DemoServer) -> None:
    i3x_server.set_value("pt-304", 3.4, quality="Uncertain")
    data = plant("--json", "get", "pt-304", "ts-302").json()
    assert [v["elementId"] for v in data] == ["pt-304", "ts-302"]
    assert data[0]["data"][0]["value"] == 3.4
    assert data[0]["data"][0]["quality"] == "Uncertain"
    assert data[1]["data"][0]["quality"] == "Bad"


def test_get_json_depth_0_keeps_the_children(plant: Cli) -> None:
    (pump,) = plant("--json", "get", "pump-101", "-d", "0").json()
    assert pump["isComposition"] is True
    assert "pump-101-motor-current" in pump["children"]


def test_history_table_with_relative_start(plant: Cli, i3x_server: DemoServer) -> None:
    i3x_server.set_value("pump-101-flow", 51.25)
    out = plant("history", "pump-101-flow", "--start", "-5m")
    assert out.exit_code == 0, out.stderr
    assert "pump-101-flow:" in out.stdout
    assert "51.25" in out.stdout
    # 30 s steps over 5 minutes, plus the value just set.
    count = int(out.stdout.split("pump-101-flow: ")[1].split(" values")[0])
    assert 9 <= count <= 12


def test_history_csv(plant: Cli, i3x_server: DemoServer) -> None:
    i3x_server.set_value("pump-101-state", {"mode": "stopped", "since": "2025-06-01T08:00:00Z"})
    out = plant("history", "pump-101-state", "--start", "-1m", "--csv")
    assert out.exit_code == 0
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["timestamp", "value", "quality"]
    assert rows[-1][1] == '{"mode": "stopped", "since": "2025-06-01T08:00:00Z"}'
    assert rows[-1][2] == "Good"
    assert rows[-1][0].endswith("Z")


def test_history_json_between_absolute_times(plant: Cli) -> None:
    end = datetime.now(timezone.utc) - timedelta(minutes=10)
    start = end - timedelta(minutes=10)
    data = plant(
        "--json",
        "history",
        "pt-304",
        "--start",
        start.isoformat(),
        "--end",
        end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ).json()
    assert data["elementId"] == "pt-304"
    stamps = [datetime.fromisoformat(v["timestamp"].replace("Z", "+00:00")) for v in data["data"]]
    assert 19 <= len(stamps) <= 21
    assert stamps == sorted(stamps)
    assert all(start - timedelta(seconds=1) <= s <= end + timedelta(seconds=1) for s in stamps)


def test_history_rejects_a_bad_time(plant: Cli) -> None:
    out = plant("history", "pt-304", "--start", "yesterday")
    assert out.exit_code == 2
    assert "--start" in out.stderr
    assert "-15m" in out.stderr
    assert out.stdout == ""


def test_history_csv_and_json_are_exclusive(plant: Cli) -> None:
    out = plant("--json", "history", "pt-304", "--csv")
    assert out.exit_code == 2
    assert out.stderr.startswith("error: --csv and --json")


def test_write_json_object_and_read_back(plant: Cli, i3x_server: DemoServer) -> None:
    out = plant("write", "tank-201-setpoint", '{"temperature": 72.5}')
    assert out.exit_code == 0, out.stderr
    assert '{"temperature": 72.5}' in _row(out.stdout, "tank-201-setpoint")
    assert i3x_server.space.get_value("tank-201-setpoint").value == {"temperature": 72.5}


def test_write_number_with_quality_and_timestamp_json(plant: Cli) -> None:
    data = plant(
        "--json",
        "write",
        "pt-304",
        "3.9",
        "--quality",
        "Uncertain",
        "--timestamp",
        "2025-06-01T08:00:00Z",
    ).json()
    assert data["elementId"] == "pt-304"
    (vqt,) = data["data"]
    assert vqt["value"] == 3.9
    assert vqt["quality"] == "Uncertain"
    assert vqt["timestamp"].startswith("2025-06-01T08:00:00")


def test_write_a_vqt_shaped_json_object_as_a_vqt(plant: Cli, i3x_server: DemoServer) -> None:
    # As update_value() reads it: the value 3.25 with its quality, not an object.
    data = plant("--json", "write", "pt-304", '{"value": 3.25, "quality": "Uncertain"}').json()
    (vqt,) = data["data"]
    assert (vqt["value"], vqt["quality"]) == (3.25, "Uncertain")
    assert i3x_server.space.get_value("pt-304").value == 3.25


def test_write_bare_string_and_boolean(plant: Cli, i3x_server: DemoServer) -> None:
    out = plant("--json", "write", "conveyor-501", '{"running": false, "speed": 0}')
    assert out.json()["data"][0]["value"] == {"running": False, "speed": 0}
    # A bare word is not JSON: it is written as a string (and this type rejects it).
    out = plant("write", "pt-304", "high")
    assert out.exit_code == 6
    assert "'high' is not of type 'number'" in out.stderr


def test_write_validate_refuses_what_does_not_fit_and_sends_nothing(
    plant: Cli, i3x_server: DemoServer
) -> None:
    before = i3x_server.space.get_value("tank-201-setpoint").value
    i3x_server.requests.clear()
    out = plant("write", "tank-201-setpoint", '{"temperature": 500}', "--validate")
    assert out.exit_code == 6  # as the server's own 400 would
    assert out.stdout == ""
    assert out.stderr.startswith(
        "error: the value of 'tank-201-setpoint' does not fit its type "
        "'temperature-setpoint-type' (nothing was written): temperature: 500 is greater "
        "than the maximum of 120 (schema: #/properties/temperature/maximum)"
    )
    assert i3x_server.requests.filter(method="PUT") == []
    assert i3x_server.space.get_value("tank-201-setpoint").value == before


def test_write_validate_writes_what_fits(plant: Cli, i3x_server: DemoServer) -> None:
    data = plant(
        "--json",
        "write",
        "tank-201-setpoint",
        '{"temperature": 61.5, "mode": "auto"}',
        "--validate",
    ).json()
    assert data["data"][0]["value"] == {"temperature": 61.5, "mode": "auto"}
    assert [r.path for r in i3x_server.requests.filter(method="POST")][-3:] == [
        "/v1/objects/list",
        "/v1/objecttypes/query",
        "/v1/objects/value",  # the read back
    ]


def test_write_validate_notes_a_value_it_could_not_check(
    cli: Cli, respx_mock: respx.MockRouter
) -> None:
    api = "http://i3x.test/v1"
    respx_mock.get(f"{api}/info").respond(
        json={"success": True, "result": {"specVersion": "1.0", "serverName": "unit"}}
    )
    respx_mock.post(f"{api}/objects/list").respond(
        json={
            "success": True,
            "results": [
                {
                    "success": True,
                    "elementId": "asset-7-temperature",
                    "result": {
                        "elementId": "asset-7-temperature",
                        "displayName": "Temperature",
                        "typeElementId": "Float64",
                        "isComposition": False,
                    },
                }
            ],
        }
    )
    respx_mock.post(f"{api}/objecttypes/query").respond(
        json={
            "success": False,
            "results": [
                {
                    "success": False,
                    "elementId": "Float64",
                    "responseDetail": {"status": 404, "detail": "Not found"},
                }
            ],
        }
    )
    put = respx_mock.put(f"{api}/objects/value").respond(
        json={"success": True, "results": [{"success": True, "elementId": "asset-7-temperature"}]}
    )
    respx_mock.post(f"{api}/objects/value").respond(
        json={
            "success": True,
            "results": [
                {
                    "success": True,
                    "elementId": "asset-7-temperature",
                    "result": {
                        "value": 41.5,
                        "quality": "Good",
                        "timestamp": "2026-03-01T12:00:00Z",
                    },
                }
            ],
        }
    )
    out = cli("--url", api, "write", "asset-7-temperature", "41.5", "--validate")
    assert out.exit_code == 0, out.stderr
    assert out.stderr == (
        "note: 'asset-7-temperature' is written unchecked: the server does not publish "
        "its type 'Float64'\n"
    )
    assert put.call_count == 1


def test_write_validate_without_jsonschema_names_the_extra(
    plant: Cli, i3x_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    out = plant("write", "pt-304", "3.5", "--validate")
    assert out.exit_code == 1
    assert out.stderr == (
        "error: validate_writes=True needs the jsonschema package: pip install "
        '"i3x-client[validation]"\n'
    )
    assert i3x_server.requests.filter(method="PUT") == []


# ------------------------------------------------------------------ long histories


def _table_rows(stdout: str) -> list[str]:
    """The data rows of a rendered history table."""
    return [line for line in stdout.splitlines() if line.startswith("│ 20")]


def test_history_table_shows_the_last_points_and_says_how_many_more(plant: Cli) -> None:
    # An hour of the demo's history at 30 s steps: more than a table shows at once.
    out = plant("history", "pump-101-flow")
    assert out.exit_code == 0, out.stderr
    total = int(out.stdout.split("pump-101-flow: ")[1].split(" values")[0])
    assert total > HISTORY_ROWS
    rows = _table_rows(out.stdout)
    assert len(rows) == HISTORY_ROWS
    assert f"The last {HISTORY_ROWS} of {total}" in out.stdout
    assert out.stdout.splitlines()[-1] == (
        f"{total - HISTORY_ROWS} more points; use --all or --csv"
    )
    # The last points, oldest first: the newest row is the newest point.
    newest = plant("--json", "history", "pump-101-flow").json()["data"][-1]["timestamp"]
    stamp = format_time(datetime.fromisoformat(newest.replace("Z", "+00:00")))
    assert rows[-1].split("│")[1].strip() == stamp


def test_history_last_n(plant: Cli) -> None:
    out = plant("history", "pump-101-flow", "--start", "-10m", "--last", "3")
    assert out.exit_code == 0, out.stderr
    assert len(_table_rows(out.stdout)) == 3
    assert "The last 3 of" in out.stdout
    assert out.stdout.splitlines()[-1].endswith("more points; use --all or --csv")
    every = plant("--json", "history", "pump-101-flow", "--start", "-10m").json()["data"]
    last = plant("--json", "history", "pump-101-flow", "--start", "-10m", "--last", "3").json()
    assert last["data"] == every[-3:]
    csv_rows = list(
        csv.reader(io.StringIO(plant("history", "pump-101-flow", "--last", "2", "--csv").stdout))
    )
    assert len(csv_rows) == 3  # the header and two points


def test_history_depth_shows_each_components_history(plant: Cli) -> None:
    # pump-101 has no values of its own: its history is its components'.
    shallow = plant("history", "pump-101", "--start", "-5m")
    assert shallow.exit_code == 0, shallow.stderr
    assert "pump-101: 0 values" in shallow.stdout
    assert "pump-101-flow" not in shallow.stdout
    deep = plant("history", "pump-101", "--depth", "0", "--start", "-5m", "--last", "2")
    assert deep.exit_code == 0, deep.stderr
    assert deep.stdout.startswith("pump-101: 0 values\n")  # a count, no empty table
    assert "pump-101-flow: " in deep.stdout
    assert "pump-101-motor-temperature: " in deep.stdout
    rows = list(
        csv.reader(
            io.StringIO(
                plant(
                    "history", "pump-101", "-d", "0", "--start", "-5m", "--last", "1", "--csv"
                ).stdout
            )
        )
    )
    assert rows[0] == ["element", "timestamp", "value", "quality"]
    assert {"pump-101-flow", "pump-101-motor-temperature"} <= {r[0] for r in rows[1:]}
    assert len({r[0] for r in rows[1:]}) == len(rows) - 1  # --last 1: one row each
    wire = plant("--json", "history", "pump-101", "-d", "0", "--start", "-5m", "--last", "1")
    flow = wire.json()["children"]["pump-101-flow"]
    assert len(flow["data"]) == 1


def test_history_all_and_csv_have_every_point(plant: Cli) -> None:
    every = plant("--json", "history", "pump-101-flow").json()["data"]
    assert len(every) > HISTORY_ROWS
    out = plant("history", "pump-101-flow", "--all")
    assert len(_table_rows(out.stdout)) == len(every)
    assert "more points" not in out.stdout
    assert "The last" not in out.stdout
    rows = list(csv.reader(io.StringIO(plant("history", "pump-101-flow", "--csv").stdout)))
    assert len(rows) == len(every) + 1


def test_history_short_range_shows_everything_without_a_note(plant: Cli) -> None:
    out = plant("history", "pump-101-flow", "--start", "-2m")
    assert out.exit_code == 0, out.stderr
    assert "more points" not in out.stdout
    assert "The last" not in out.stdout


def test_history_all_and_last_are_exclusive(plant: Cli) -> None:
    out = plant("history", "pt-304", "--all", "--last", "5")
    assert out.exit_code == 2
    assert out.stderr.startswith("error: --all and --last are exclusive")
    assert plant("history", "pt-304", "--last", "0").exit_code == 2


def test_history_start_after_end_is_a_usage_error(plant: Cli, i3x_server: DemoServer) -> None:
    out = plant("history", "pt-304", "--start", "-1m", "--end", "-2m")
    assert out.exit_code == 2, out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("error: --start (")
    assert ") is after --end (" in line
    assert "see 'i3x history --help'" in line
    assert "unexpected" not in line
    assert out.stdout == ""
    future = plant("history", "pt-304", "--start", "2999-01-01")
    assert future.exit_code == 2
    assert "is after now" in future.stderr
