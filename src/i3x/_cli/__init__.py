"""The `i3x` command line (needs the `cli` extra: `pip install "i3x-client[cli]"`).

Commands (`i3x COMMAND --help` for each one's options and examples):

    info                      spec version, server name and version, capabilities
    namespaces                the namespaces
    types [--namespace URI]   the object types
    relationships             the relationship types
    objects [--type ID] [--root] [--tree]
                              the objects: a table, or the organisational tree
    get ID... [--depth N]     current values (composition children indented)
    history ID [--start T] [--end T] [--last N | --all] [--csv]
                              historical values: a table (the last 50), CSV or JSON
    write ID VALUE [--quality Q] [--timestamp T]
                              write a value (JSON, or a bare string), read it back
    watch ID... [--mode stream|sync|auto] [--depth N] [--count N]
                              live changes until Ctrl-C
    schema [MODEL] [--out DIR]
                              the models' JSON Schema
    codegen [--out FILE] [--namespace URI]
                              the server's object types as Python types
                              (needs the `codegen` extra)
    demo [--host H] [--port P]
                              serve the demo plant (needs the `server` extra)
    tour [--seconds N]        a guided tour of an in-process demo plant

Global options go before or after the command (given in both places, the later
one wins; see `_group`): `--url` (`I3X_URL`), `--token` (`I3X_TOKEN`),
`--user`/`--password` (`I3X_USER`/`I3X_PASSWORD`), `--insecure`,
`--ca PATH`, `--timeout SECONDS`, `--retries N`, `--json`, `--verbose`.

Exit codes (see `i3x._cli._errors`):

    0    success (also watch and demo ended with Ctrl-C)
    1    any other error
    2    usage: an unknown command or option, a bad value
    3    connection failed or timed out
    4    authentication failed (401, 403)
    5    not found (404)
    6    bad request (400), or a bulk call failing for mixed reasons
    7    server error (5xx other than 501)
    8    not supported by this server (501)
    9    not an i3X server, an invalid answer, or an unsupported version
    130  interrupted (Ctrl-C)

Only this package imports typer and rich: `import i3x` works without the extra.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

_EXTRA = frozenset({"typer", "rich"})


def main() -> None:
    """Run the `i3x` command (the console script's entry point)."""
    try:
        from ._app import main as run
    except ImportError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in _EXTRA:
            raise
        sys.stderr.write(
            f'error: the i3x command needs the cli extra ({missing} is missing): pip install "i3x-client[cli]"\n'
        )
        sys.exit(1)
    run()
