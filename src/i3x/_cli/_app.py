"""The `i3x` typer application: global options, command registration, and `main`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ._errors import EXIT_CODES_HELP, UsageProblem
from ._group import Group
from ._session import Session, Settings

__all__ = ["app", "main"]

_HELP = """Explore, read, write and watch an i3X server from the shell.

i3X (CESMII's Industrial Information Interface eXchange) serves contextualised
manufacturing data over REST and SSE. New here? Run [bold]i3x tour[/bold]: it starts a
demo plant in-process and shows every command's kind of output.

The options below are global: they go before or after the command (i3x --json info
and i3x info --json are the same); given in both places, the later one wins.

[bold]Examples[/bold]
  i3x tour                            a guided tour of a demo plant
  i3x demo                            serve the demo plant on port 8080
  i3x --url http://127.0.0.1:8080 info
  i3x objects --tree                  the plant as a tree
  i3x get pump-101 --depth 0          a value with all its components
  i3x history pump-101-flow --start -15m --csv > flow.csv
  i3x write tank-201-setpoint '{"temperature": 72.5}'
  i3x watch pump-101-flow pt-304      live changes until Ctrl-C
  i3x --json get pt-304 | jq '.[0].data[0].value'"""


app = typer.Typer(
    name="i3x",
    cls=Group,
    help=_HELP,
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    add_completion=False,
)


@app.callback()
def _global_options(  # noqa: PLR0917 - typer maps parameters to options
    ctx: typer.Context,
    url: Annotated[
        str,
        typer.Option(
            "--url",
            metavar="URL",
            envvar="I3X_URL",
            help="The server's base URL, with or without /v1.",
            rich_help_panel="Connection",
        ),
    ] = "http://127.0.0.1:8080",
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            metavar="TOKEN",
            envvar="I3X_TOKEN",
            help="Send 'Authorization: Bearer TOKEN'.",
            show_default=False,
            rich_help_panel="Connection",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            metavar="USER",
            envvar="I3X_USER",
            help="HTTP Basic user (asks for the password on a terminal when none is given).",
            show_default=False,
            rich_help_panel="Connection",
        ),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            metavar="PASSWORD",
            envvar="I3X_PASSWORD",
            help="HTTP Basic password (prefer I3X_PASSWORD: the command line is visible to others).",
            show_default=False,
            rich_help_panel="Connection",
        ),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Do not verify the server's TLS certificate (test servers only).",
            rich_help_panel="Connection",
        ),
    ] = False,
    ca: Annotated[
        Path | None,
        typer.Option(
            "--ca",
            metavar="PATH",
            help="Verify the server's certificate with this CA bundle (PEM).",
            exists=True,
            dir_okay=False,
            show_default=False,
            rich_help_panel="Connection",
        ),
    ] = None,
    cert: Annotated[
        Path | None,
        typer.Option(
            "--cert",
            metavar="PATH",
            envvar="I3X_CERT",
            help="Client certificate (PEM) for a server that requires one (mutual TLS); its key with --key, unless the file holds it.",
            exists=True,
            dir_okay=False,
            show_default=False,
            rich_help_panel="Connection",
        ),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            metavar="PATH",
            envvar="I3X_KEY",
            help="The private key (PEM) of --cert.",
            exists=True,
            dir_okay=False,
            show_default=False,
            rich_help_panel="Connection",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            min=0.001,
            help="Seconds per request (default: 30, and 10 to connect).",
            show_default=False,
            rich_help_panel="Connection",
        ),
    ] = None,
    retries: Annotated[
        int,
        typer.Option(
            "--retries",
            metavar="N",
            min=0,
            help="Retries of a failed request that is safe to repeat.",
            rich_help_panel="Connection",
        ),
    ] = 2,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print machine-readable JSON (watch: JSON lines) instead of tables.",
            rich_help_panel="Output",
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Show every HTTP exchange and the SDK's debug log on stderr (credentials masked), and tracebacks.",
            rich_help_panel="Output",
        ),
    ] = False,
) -> None:
    if token is not None and user is not None:
        raise UsageProblem("--token and --user are exclusive: pick one way to authenticate")
    if insecure and ca is not None:
        raise UsageProblem("--insecure and --ca are exclusive")
    if key is not None and cert is None:
        raise UsageProblem("--key needs --cert")
    if password is not None and user is None:
        raise UsageProblem("--password needs --user")
    if user is not None and password is None:
        if not sys.stdin.isatty():
            raise UsageProblem("--user needs --password (or I3X_PASSWORD)")
        password = typer.prompt(f"Password for {user}", hide_input=True)
    settings = Settings(
        url=url,
        token=token or None,
        user=user,
        password=password,
        insecure=insecure,
        ca=ca,
        cert=cert,
        key=key,
        timeout=timeout,
        retries=retries,
        json=json_output,
        verbose=verbose,
    )
    session = Session(settings)
    ctx.obj = session
    ctx.with_resource(session.logging())
    ctx.call_on_close(session.close)


def _register() -> None:
    from . import _codegen, _demo, _explore, _schema, _values, _watch

    explore = "Explore"
    values = "Values"
    tools = "Demo and tools"
    app.command("info", rich_help_panel=explore)(_explore.info)
    app.command("namespaces", rich_help_panel=explore)(_explore.namespaces)
    app.command("types", rich_help_panel=explore)(_explore.types)
    app.command("relationships", rich_help_panel=explore)(_explore.relationships)
    app.command("objects", rich_help_panel=explore)(_explore.objects)
    app.command("get", rich_help_panel=values)(_values.get)
    app.command("history", rich_help_panel=values)(_values.history)
    app.command("write", rich_help_panel=values)(_values.write)
    app.command("watch", rich_help_panel=values)(_watch.watch)
    app.command("tour", rich_help_panel=tools)(_demo.tour)
    app.command("demo", rich_help_panel=tools)(_demo.demo)
    app.command("schema", rich_help_panel=tools)(_schema.schema)
    app.command("codegen", rich_help_panel=tools)(_codegen.codegen)


_register()


def main() -> None:
    """The `i3x` console script."""
    app(prog_name="i3x")
