"""The demo plant: `demo` serves it, `tour` walks through it in-process."""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import enum
import json
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType, ModuleType
from typing import Annotated, Any

import typer
from rich.rule import Rule
from rich.text import Text

import i3x

from . import _render
from ._codegen import TypedRead, typed_read
from ._errors import ExitCode, UsageProblem
from ._explore import components_of
from ._session import Session
from ._times import parse_time
from ._values import parents_of, show_history
from ._watch import Watcher, notice_dict

__all__ = ["demo", "tour", "load_server", "DemoDialect"]

_EXTRA_HINT = 'the demo server needs the server extra: pip install "i3x-client[server]"'
_SENSORS = ("ts-301", "ts-302", "ts-303", "pt-304")
_WATCHED = ("pump-101-flow", "pt-304")
_HISTORY = "pump-101-flow"
_HISTORY_ROWS = 5
_SETPOINT = "tank-201-setpoint"
_SETPOINT_VALUE = {"temperature": 72.5}
_BAD_SETPOINT = {"temperature": 500}


class DemoDialect(str, enum.Enum):
    """The server generations `i3x demo` can answer like (`DemoServer(dialect=...)`).

    Kept here rather than imported from `i3x.testing`, which needs the server extra.
    """

    spec = "spec"
    early = "early-1.0"
    node_i3x = "node-i3x"


def load_server(session: Session) -> ModuleType:
    """`i3x.testing`, or a one-line error when the `server` extra is missing."""
    try:
        from i3x import testing
    except ImportError:
        session.out.error(_EXTRA_HINT)
        raise typer.Exit(ExitCode.ERROR) from None
    return testing


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    # `demo` in a container or under a supervisor is stopped with SIGTERM: stop cleanly.
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def demo(  # noqa: PLR0917 - typer maps each parameter to an option
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="Port (0: any free port).")
    ] = 8080,
    dialect: Annotated[
        DemoDialect,
        typer.Option(
            "--dialect",
            help=(
                "Answer like another generation of server: early-1.0 (no bulk write, flat "
                "sync entries, error bodies) or node-i3x (stores the whole value member)."
            ),
        ),
    ] = DemoDialect.spec,
    tls: Annotated[
        bool,
        typer.Option("--tls", help="Serve HTTPS, with a certificate from a throwaway CA made now."),
    ] = False,
    require_client_cert: Annotated[
        bool,
        typer.Option(
            "--require-client-cert",
            help="With --tls: refuse clients without a certificate from that CA (mutual TLS).",
        ),
    ] = False,
) -> None:
    """Serve the demo bottling plant until Ctrl-C (needs the 'server' extra).

    Values drift every second like real instruments; an hour of history is there
    from the start. Point any i3X client at it, or this command line. With
    --dialect it answers like a real server that deviates from the spec, so that
    you can try your own code against the servers you will meet.

    [bold]Examples[/bold]
      i3x demo
      i3x demo --port 9000
      i3x demo --dialect early-1.0
      i3x --url http://127.0.0.1:8080 get pump-101-flow     (in another shell)
      i3x demo --tls --require-client-cert     (prints a CA and a client cert)
    """
    if require_client_cert and not tls:
        raise UsageProblem("--require-client-cert needs --tls")
    session = Session.of(ctx)
    testing = load_server(session)
    with session.guard():
        server = testing.DemoServer(
            host=host,
            port=port,
            dialect=dialect.value,
            tls=tls,
            require_client_cert=require_client_cert,
        )
        try:
            server.start()
        except OSError as exc:
            session.out.error(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
            raise typer.Exit(ExitCode.ERROR) from None
        try:
            if session.out.json_mode:
                session.out.json_line(
                    {
                        "url": server.url,
                        "apiUrl": server.api_url,
                        "dialect": dialect.value,
                        **_tls_files(server, tls),
                    }
                )
            else:
                played = "" if dialect is DemoDialect.spec else f" (dialect {dialect.value})"
                session.out.line(Text(f"i3X demo server on {server.url}{played}", style="bold"))
                if tls:
                    _show_tls_files(session, server, require_client_cert)
                else:
                    session.out.line(f"try:  i3x --url {server.url} get pump-101-flow")
                session.out.note("Ctrl-C to stop")
            with _sigterm_as_interrupt(), contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
        finally:
            server.stop()
        session.out.note("stopped")


def _tls_files(server: Any, tls: bool) -> dict[str, str]:
    """The certificate files of a TLS demo server, as `--json` shows them."""
    if not tls:
        return {}
    cert, key = server.client_cert
    return {"caPath": server.ca_path, "clientCert": cert, "clientKey": key}


def _show_tls_files(session: Session, server: Any, require_client_cert: bool) -> None:
    cert, key = server.client_cert
    session.out.line(f"CA bundle:           {server.ca_path}")
    if require_client_cert:
        session.out.line(f"client certificate:  {cert}")
        session.out.line(f"client key:          {key}")
        session.out.line(
            f"try:  i3x --url {server.url} --ca {server.ca_path} --cert {cert} --key {key} "
            "get pump-101-flow"
        )
        session.out.line(
            f"  or: i3x.Client({server.url!r}, verify={server.ca_path!r}, cert=({cert!r}, {key!r}))"
        )
    else:
        session.out.line(f"try:  i3x --url {server.url} --ca {server.ca_path} get pump-101-flow")


def tour(
    ctx: typer.Context,
    seconds: Annotated[
        float,
        typer.Option("--seconds", min=0, help="How long to show live changes at the end."),
    ] = 5.0,
) -> None:
    """A guided tour: starts a demo plant in-process and shows what i3X offers.

    The server info, the plant as a tree, current values with every quality, a
    history, a write read back, the plant's types as Python types (with the
    'codegen' extra) and a write they refuse, and a few seconds of live changes. Each section
    names the command that shows the same on any server. Ignores --url and the
    credentials: it talks to its own server, which is gone when the tour ends.

    [bold]Examples[/bold]
      i3x tour
      i3x tour --seconds 1
      i3x --json tour --seconds 1 | jq .history
    """
    session = Session.of(ctx)
    testing = load_server(session)
    with session.guard(), testing.DemoServer(tick_interval=0.5) as server:
        settings = dataclasses.replace(
            session.settings,
            url=server.url,
            token=None,
            user=None,
            password=None,
            insecure=False,
            ca=None,
        )
        guide = Session(settings, session.out)
        try:
            _Tour(guide, seconds).run()
        finally:
            guide.close()


class _Tour:
    """The tour's sections, in order; collects the JSON document with `--json`."""

    def __init__(self, session: Session, seconds: float) -> None:
        self.session = session
        self.out = session.out
        self.client = session.client
        self.seconds = seconds
        self.document: dict[str, Any] = {}
        self.step = 0

    def run(self) -> None:
        if not self.out.json_mode:
            self.out.print(
                Rule(Text("i3x tour: a demo bottling plant", style="bold"), align="left")
            )
        self.server()
        self.plant()
        self.values()
        self.history()
        self.write()
        self.types()
        self.live()
        if self.out.json_mode:
            self.out.json(self.document)
        else:
            self.out.line("")
            self.out.print(Rule(style="dim"))
            self.out.line(
                Text("That was the tour. Serve the plant and explore it yourself:", style="bold")
            )
            self.out.line("  i3x demo")
            self.out.line("  i3x --url http://127.0.0.1:8080 get pump-101-flow")
            self.out.line("  i3x --help")

    def section(self, title: str, command: str | None = None) -> None:
        if self.out.json_mode:
            return
        self.step += 1
        self.out.line("")
        self.out.print(
            Rule(Text(f"{self.step}. {title}", style="bold cyan"), align="left", style="dim")
        )
        if command is not None:
            self.command(command)

    def command(self, command: str) -> None:
        """The command that shows the same on any server."""
        self.out.line(Text(f"$ {command}", style="dim"))

    def server(self) -> None:
        info = self.client.connect()
        self.document.update(url=self.client.base_url, info=info.to_dict())
        self.section("The server")
        if not self.out.json_mode:
            self.out.line(f"A demo bottling plant is running in-process at {self.client.base_url}")
            self.command("i3x info")
            self.out.print(_render.info_table(info, self.client.base_url))

    def plant(self) -> None:
        objects = self.client.get_objects(include_metadata=True)
        self.document["objects"] = [o.to_dict() for o in objects]
        self.section("The plant: objects in a tree", "i3x objects --tree")
        if not self.out.json_mode:
            self.out.print(_render.objects_tree(objects, components_of(objects)))

    def values(self) -> None:
        pump = self.client.get_value("pump-101", 0)
        sensors = list(self.client.get_values(_SENSORS).values())
        self.document["values"] = [v.to_dict() for v in (pump, *sensors)]
        self.section("Current values")
        if self.out.json_mode:
            return
        self.out.line("A composition, with its components (and theirs) beneath it:")
        self.command("i3x get pump-101 --depth 0")
        rows = _render.value_rows([pump], parents_of(self.client, [pump]))
        self.out.print(_render.values_table(rows))
        self.out.line("")
        self.out.line("Four sensors, four qualities: never reported, failed, in calibration, good:")
        self.command("i3x get " + " ".join(_SENSORS))
        self.out.print(_render.values_table(_render.value_rows(sensors)))

    def history(self) -> None:
        found = self.client.get_history(_HISTORY, parse_time("-10m"))
        self.document["history"] = found.to_dict()
        self.section(
            "History: the last 10 minutes",
            f"i3x history {_HISTORY} --start -10m --last {_HISTORY_ROWS}",
        )
        if not self.out.json_mode:
            show_history(self.out, _HISTORY, found.data, _HISTORY_ROWS)

    def write(self) -> None:
        self.client.update_value(_SETPOINT, _SETPOINT_VALUE)
        written = self.client.get_value(_SETPOINT)
        self.document["write"] = written.to_dict()
        self.section(
            "Writing a value, then reading it back",
            f"i3x write {_SETPOINT} '{{\"temperature\": 72.5}}'",
        )
        if not self.out.json_mode:
            self.out.print(_render.values_table(_render.value_rows([written])))

    def types(self) -> None:
        read = typed_read(self.client, _SETPOINT)
        self.document["types"] = (
            {"objectTypes": read.types, "models": read.models, "value": read.value.model_dump()}
            if read is not None
            else None
        )
        refused = self._refused_write()
        self.document["checkedWrite"] = {
            "elementId": _SETPOINT,
            "value": _BAD_SETPOINT,
            "error": str(refused),
            "errors": refused.errors,
        }
        self.section("The plant's own types as Python types", "i3x codegen --out plant.py")
        if self.out.json_mode:
            return
        if read is None:
            from i3x._codegen import EXTRA_HINT

            self.out.line(Text(f"({EXTRA_HINT})", style="dim"))
        else:
            self._typed_read(read)
        bad = json.dumps(_BAD_SETPOINT)
        self.out.line("")
        self.out.line("A write checked against the type's schema before it is sent, and refused:")
        self.command(f"i3x write {_SETPOINT} '{bad}' --validate")
        call = f'client.with_options(validate_writes=True).update_value("{_SETPOINT}", {bad})'
        self.out.line(Text(f">>> {call}", style="dim"))
        self.out.line(f"i3x.ValueValidationError: {refused}")

    def _refused_write(self) -> i3x.ValueValidationError:
        """A bad setpoint written with checking on: the error, and nothing sent."""
        try:
            self.client.with_options(validate_writes=True).update_value(_SETPOINT, _BAD_SETPOINT)
        except i3x.ValueValidationError as exc:
            return exc
        raise AssertionError(f"{_BAD_SETPOINT} was written to {_SETPOINT}")  # pragma: no cover

    def _typed_read(self, read: TypedRead) -> None:
        self.out.line(
            f"Each object type publishes a JSON Schema; {read.models} of the {read.types} "
            "types describe structured values and become pydantic models, such as:"
        )
        from rich.syntax import Syntax  # pygments: not for every start of the command line

        self.out.print(
            Syntax(read.class_source, "python", theme="ansi_dark", background_color="default")
        )
        self.out.line("")
        self.out.line(f"Reading {_SETPOINT} as it, typed for your IDE and mypy:")
        name = type(read.value).__name__
        self.out.line(Text(f'>>> client.get_value("{_SETPOINT}").value_as({name})', style="dim"))
        self.out.line(repr(read.value))

    def live(self) -> None:
        self.section(
            f"Live changes for {self.seconds:g} second{'' if self.seconds == 1 else 's'}",
            "i3x watch " + " ".join(_WATCHED),
        )
        events: list[dict[str, Any]] = []
        watcher = Watcher(self.out, width=max(map(len, _WATCHED)))
        deadline = time.monotonic() + self.seconds
        with self.client.subscription(_WATCHED, display_name="i3x tour") as stream:
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    event = stream.get(timeout=remaining)
                except builtins.TimeoutError:
                    break
                if event is None:
                    break
                if not self.out.json_mode:
                    watcher.show(event)
                elif isinstance(event, i3x.ValueChange):
                    events.append(event.to_dict())
                else:
                    events.append(notice_dict(event))
                    watcher.show(event)
        self.document["changes"] = events
        if not self.out.json_mode and watcher.changes == 0:
            self.out.line(Text("(no changes in that time)", style="dim"))
