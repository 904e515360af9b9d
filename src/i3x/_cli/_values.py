"""Values: `get` (current), `history` and `write`."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Annotated, Any, Final

import typer
from rich.text import Text

import i3x

from . import _render
from ._errors import ExitCode, UsageProblem
from ._output import Output
from ._session import Session
from ._times import TIME_HELP, parse_time

__all__ = ["HISTORY_ROWS", "get", "history", "show_history", "write", "parse_value", "parents_of"]

_DEPTH_HELP = "Levels of composition children: 1 = the element only, N = N levels, 0 = all."


def get(
    ctx: typer.Context,
    element_ids: Annotated[
        list[str], typer.Argument(metavar="ID", help="Element ids.", show_default=False)
    ],
    depth: Annotated[int, typer.Option("--depth", "-d", metavar="N", min=0, help=_DEPTH_HELP)] = 1,
) -> None:
    """Current values: element, value, quality, timestamp.

    A composition read with --depth 0 (or more than 1) shows its components
    indented beneath it.

    [bold]Examples[/bold]
      i3x get pump-101-flow
      i3x get ts-301 ts-302 ts-303 pt-304
      i3x get pump-101 --depth 0
      i3x --json get pt-304 | jq '.[0].data[0].value'
    """
    session = Session.of(ctx)
    with session.guard():
        client = session.client
        failed: i3x.BulkError | None = None
        with session.out.busy("Reading values…"):
            if len(element_ids) == 1:
                values = [client.get_value(element_ids[0], depth)]
            else:
                try:
                    values = list(client.get_values(element_ids, depth).values())
                except i3x.BulkError as exc:
                    # What was read is shown; the failures still end the command (exit code).
                    values, failed = list(exc.results.values()), exc
            nest = values and not session.out.json_mode
            parents = parents_of(client, values) if nest else {}
        if session.out.json_mode and values:
            session.out.json([v.to_dict() for v in values])
        elif values:
            session.out.print(_render.values_table(_render.value_rows(values, parents)))
        if failed is not None:
            raise failed


def parents_of(client: i3x.Client, values: Iterable[i3x.LastKnownValue]) -> dict[str, str | None]:
    """The parent of each composition child among `values` (one request; empty if none).

    i3X 1.0 answers a deep read with every component flat under the top element;
    the objects' parents say how to nest them. A failure only costs the nesting.
    """
    ids: list[str] = []

    def collect(value: i3x.LastKnownValue) -> None:
        for child_id, child in value.children.items():
            ids.append(child_id)
            collect(child)

    for value in values:
        collect(value)
    if not ids:
        return {}
    try:
        found = client.list_objects(list(dict.fromkeys(ids)))
    except i3x.BulkError as exc:
        found = [o for o in exc.results.values() if isinstance(o, i3x.ObjectInstance)]
    except i3x.I3XError:
        return {}
    return {o.element_id: o.parent_id for o in found}


HISTORY_ROWS: Final = 50
"""Rows a history table shows unless --last or --all says otherwise."""

_SPARK_WIDTH: Final = 40


def history(  # noqa: PLR0917 - typer maps parameters to options
    ctx: typer.Context,
    element_id: Annotated[str, typer.Argument(metavar="ID", help="Element id.")],
    start: Annotated[
        str, typer.Option("--start", "-s", metavar="T", help=f"From this time. {TIME_HELP}.")
    ] = "-1h",
    end: Annotated[
        str, typer.Option("--end", "-e", metavar="T", help="Until this time (same forms).")
    ] = "now",
    last: Annotated[
        int | None,
        typer.Option(
            "--last",
            metavar="N",
            min=1,
            help=f"Only the last N points (a table shows the last {HISTORY_ROWS} unless --all).",
            show_default=False,
        ),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every point in the table (CSV and JSON have them all).")
    ] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print CSV: timestamp,value,quality (with a header).")
    ] = False,
    depth: Annotated[int, typer.Option("--depth", "-d", metavar="N", min=0, help=_DEPTH_HELP)] = 1,
) -> None:
    """Historical values of an element, oldest first: a table, CSV or JSON.

    Times are RFC 3339 (2025-06-01T08:00:00Z; UTC when no offset is given), 'now', or
    relative to now: -30s, -15m, -1h, -1h30m, -2d, -1w. The default is the last hour.

    A table shows the last 50 points and says how many more there are;
    --last N shows the last N, --all every one. CSV and JSON hold every point of the
    range, or the last N with --last.

    A composition read with --depth 0 (or more than 1) shows each component's history
    after its own; the CSV then starts with an element column (with any --depth but 1).

    [bold]Examples[/bold]
      i3x history pump-101-flow
      i3x history pump-101 --depth 0 --start -15m
      i3x history pump-101-flow --start -15m --last 10
      i3x history pt-304 --start 2025-06-01T08:00:00Z --end 2025-06-01T09:00:00Z
      i3x history pump-101-flow --start -1d --csv > flow.csv
    """
    session = Session.of(ctx)
    if as_csv and session.out.json_mode:
        raise UsageProblem("--csv and --json are exclusive", ctx.command_path)
    if show_all and last is not None:
        raise UsageProblem("--all and --last are exclusive", ctx.command_path)
    now = datetime.now(timezone.utc)
    start_time = _time_option(start, "--start", now)
    end_time = _time_option(end, "--end", now)
    until_now = end.strip().lower() == "now"
    if start_time > end_time:
        raise UsageProblem(
            f"--start ({_render.format_time(start_time)}) is after "
            f"{'now' if until_now else '--end'} ({_render.format_time(end_time)})",
            ctx.command_path,
        )
    with session.guard():
        with session.out.busy(f"Reading the history of {element_id}…"):
            found = session.client.get_history(
                element_id, start_time, None if until_now else end_time, depth
            )
        series = _series(element_id, found)  # the element's, then each component's
        if session.out.json_mode:
            session.out.json(_last_of(found.to_dict(), last))
        elif as_csv:
            cut = {eid: data[-last:] if last else data for eid, data in series.items()}
            # The columns follow the option, not the answer: a script can rely on them.
            sys.stdout.write(_render.history_csv(cut if depth != 1 else cut[element_id]))
            sys.stdout.flush()
        else:
            for eid, data in series.items():
                rows = len(data) if show_all else (last or HISTORY_ROWS)
                # In a deep read, a part without history (a folder) is its count alone.
                show_history(session.out, eid, data, rows, table=bool(data) or len(series) == 1)


def _series(element_id: str, value: i3x.LastKnownValue) -> dict[str, list[i3x.VQT]]:
    """Each history in a deep read, by element id: the element's first, then its
    components', depth first."""
    found = {element_id: value.data}
    for child_id, child in value.children.items():
        found.update(_series(child_id, child))
    return found


def _last_of(wire: dict[str, Any], last: int | None) -> dict[str, Any]:
    """A history's JSON with only the last `last` points, its components' too."""
    if last is None:
        return wire
    cut = {**wire, "data": wire.get("data", [])[-last:]}
    children = wire.get("children")
    if isinstance(children, dict):
        cut["children"] = {k: _last_of(v, last) for k, v in children.items()}
    return cut


def show_history(
    out: Output, element_id: str, data: Sequence[i3x.VQT], rows: int, *, table: bool = True
) -> None:
    """A history for people: a count and a sparkline of it all, then its last `rows` points.

    When points are left out, a last line says how many and how to see them. Without
    `table`, the count alone.
    """
    header = Text(f"{element_id}: {len(data):,} values", style="bold")
    if data:
        header.append(f"  {_render.sparkline((v.value for v in data), width=_SPARK_WIDTH)}")
    out.line(header)
    if not table:
        return
    shown = data[-rows:] if rows < len(data) else data
    title = f"The last {len(shown):,} of {len(data):,}" if len(shown) < len(data) else None
    out.print(_render.history_table(shown, title=title))
    if len(shown) < len(data):
        out.line(Text(f"{len(data) - len(shown):,} more points; use --all or --csv", style="dim"))


def write(  # noqa: PLR0917 - typer maps parameters to options
    ctx: typer.Context,
    element_id: Annotated[str, typer.Argument(metavar="ID", help="Element id.")],
    value: Annotated[
        str,
        typer.Argument(
            metavar="VALUE", help="JSON (42, true, '{\"temperature\": 72.5}') or a bare string."
        ),
    ],
    quality: Annotated[
        str | None,
        typer.Option(
            "--quality",
            "-q",
            metavar="Q",
            help="Good, GoodNoData, Bad or Uncertain (default: Good).",
            show_default=False,
        ),
    ] = None,
    timestamp: Annotated[
        str | None,
        typer.Option(
            "--timestamp",
            metavar="T",
            help=f"When the value was recorded (default: the server's now). {TIME_HELP}.",
            show_default=False,
        ),
    ] = None,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate",
            help="Check VALUE against the JSON Schema of the element's type first, and "
            "write nothing if it does not fit (needs the 'validation' extra).",
        ),
    ] = False,
) -> None:
    """Write the current value of an element, then read it back.

    VALUE is parsed as JSON where it is JSON (numbers, true/false, null, "quoted
    strings", objects, arrays); anything else is written as a bare string. With
    --validate a value that does not fit its type exits 6 and names where it fails.

    [bold]Examples[/bold]
      i3x write tank-201-setpoint '{"temperature": 72.5, "mode": "auto"}'
      i3x write tank-201-setpoint '{"temperature": 72.5}' --validate
      i3x write pt-304 3.4 --quality Uncertain
      i3x write pump-101-flow 40 --timestamp -5m
    """
    session = Session.of(ctx)
    when = _time_option(timestamp, "--timestamp") if timestamp is not None else None
    parsed = parse_value(value)
    with session.guard():
        client = session.client
        if validate:
            _checked_write(session, element_id, parsed, quality, when)
        else:
            client.update_value(element_id, parsed, quality, when)
        written = client.get_value(element_id)
        if session.out.json_mode:
            session.out.json(written.to_dict())
        else:
            rows = _render.value_rows([written])
            session.out.print(_render.values_table(rows, title=f"{element_id} now reads"))


def _checked_write(
    session: Session, element_id: str, value: Any, quality: str | None, when: datetime | None
) -> None:
    """`update_value()` with `validate_writes=True`; its warnings become notes."""
    try:
        checked = session.client.with_options(validate_writes=True)
    except ImportError as exc:
        session.out.error(str(exc))
        raise typer.Exit(ExitCode.ERROR) from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", i3x.UncheckedWriteWarning)
        checked.update_value(element_id, value, quality, when)
    for warning in caught:
        if issubclass(warning.category, i3x.UncheckedWriteWarning):
            session.out.note(f"note: {warning.message}")
        else:  # not ours to swallow
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def parse_value(text: str) -> Any:
    """A value from the command line: JSON where it parses, else the text itself."""

    def not_a_number(constant: str) -> Any:
        raise ValueError(constant)  # NaN and Infinity are not JSON: keep them as text

    try:
        return json.loads(text, parse_constant=not_a_number)
    except ValueError:
        return text


def _time_option(text: str, option: str, now: datetime | None = None) -> datetime:
    try:
        return parse_time(text, now=now)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from None
