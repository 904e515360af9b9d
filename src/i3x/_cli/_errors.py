"""Exit codes: one per class of failure, so that scripts can tell them apart.

====  =====================================================================
Code  Meaning
====  =====================================================================
0     success (also `watch` and `demo` ended with Ctrl-C)
1     any other error (an i3X error not listed below, a file that cannot be
      written, a port already in use, a missing extra)
2     usage: unknown command or option, a bad argument or option value
3     connection: the server cannot be reached, or it timed out
4     authentication: credentials missing, wrong or not allowed (401, 403)
5     not found: no such element (404)
6     bad request (400), a value `write --validate` refused, or a bulk call
      whose items failed for mixed reasons
7     server error (5xx other than 501)
8     not supported: the server lacks this optional feature (501)
9     not an i3X server, an invalid answer, or an unsupported (alpha) version
130   interrupted (Ctrl-C) outside `watch` and `demo`
====  =====================================================================

A bulk call (`get` with several ids) whose failed items all share one class
exits with that class's code: `i3x get nope1 nope2` exits 5.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Final

import typer

import i3x

__all__ = [
    "ExitCode",
    "EXIT_CODES_HELP",
    "SDK_ARGUMENTS",
    "UsageProblem",
    "exit_code_for",
    "in_cli_hints",
    "in_cli_terms",
    "is_argument_check",
    "one_line",
]


class ExitCode(enum.IntEnum):
    """The process exit codes of the `i3x` command."""

    OK = 0
    ERROR = 1
    USAGE = 2
    CONNECTION = 3
    AUTHENTICATION = 4
    NOT_FOUND = 5
    BAD_REQUEST = 6
    SERVER = 7
    NOT_SUPPORTED = 8
    INVALID_SERVER = 9
    INTERRUPTED = 130


class UsageProblem(typer.TyperException):
    """A usage error found by the CLI itself (exclusive options, a bad CA file...): exit 2.

    Args:
        message: What is wrong, naming the option or argument.
        command: The command's path (`i3x history`), for the "see --help" hint.
    """

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command


# Most specific first: NotSupportedError is an APIStatusError, TimeoutError a ConnectionError.
_BY_CLASS: tuple[tuple[type[i3x.I3XError], ExitCode], ...] = (
    (i3x.ConnectionError, ExitCode.CONNECTION),
    (i3x.AuthenticationError, ExitCode.AUTHENTICATION),
    (i3x.NotFoundError, ExitCode.NOT_FOUND),
    (i3x.BadRequestError, ExitCode.BAD_REQUEST),
    # Refused before sending: the server would have answered 400 (the spec's rule).
    (i3x.ValueValidationError, ExitCode.BAD_REQUEST),
    (i3x.NotSupportedError, ExitCode.NOT_SUPPORTED),
    (i3x.ServerError, ExitCode.SERVER),
    (i3x.InvalidServerResponseError, ExitCode.INVALID_SERVER),
    (i3x.UnsupportedVersionError, ExitCode.INVALID_SERVER),
)

EXIT_CODES_HELP = """[bold]Exit codes[/bold]
    0  success                     5  not found (404)
    1  other error                 6  bad request (400), bulk failure
    2  usage                       7  server error (5xx)
    3  connection or timeout       8  not supported (501)
    4  authentication (401, 403)   9  not an i3X server, unsupported version
  130  interrupted"""
"""The exit-code table for `--help` (rich markup)."""


def exit_code_for(exc: i3x.I3XError) -> ExitCode:
    """The exit code for an SDK error."""
    if isinstance(exc, i3x.BulkError):
        codes = {exit_code_for(e) for e in exc.errors.values()}
        return codes.pop() if len(codes) == 1 else ExitCode.BAD_REQUEST
    for cls, code in _BY_CLASS:
        if isinstance(exc, cls):
            return code
    return ExitCode.ERROR


def one_line(message: object) -> str:
    """A message on one line, whatever the server put in it."""
    return " ".join(str(message).split())


SDK_ARGUMENTS: Final[Mapping[str, str]] = {
    "element_id": "ID",
    "element_ids": "ID",
    "start_time": "--start",
    "end_time": "--end",
    "max_depth": "--depth",
    "type_id": "--type",
    "namespace_uri": "--namespace",
    "base_url": "--url",
    "max_retries": "--retries",
    "quality": "--quality",
    "timestamp": "--timestamp",
    "token": "--token",
    "auth": "--user",
    "timeout": "--timeout",
    "verify": "--ca",
    "cert": "--cert",
}
"""The SDK's parameter names as the command line spells them (its options and arguments)."""

_NAME: Final = re.compile(r"\b([a-z][a-z_]*)(?:\[(\d+)\])?")


def is_argument_check(exc: BaseException) -> bool:
    """Whether `exc` is the SDK rejecting an argument (a usage error, not a bug).

    The SDK checks its arguments before any request and raises `ValueError` or
    `TypeError` naming the argument; that is the only way it raises either (bad
    answers are typed `i3x` errors). One raised by the CLI's own code, or deep
    in a library, is a bug and stays "unexpected".
    """
    if not isinstance(exc, ValueError | TypeError):
        return False
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = str(tb.tb_frame.f_globals.get("__name__", ""))
    return module.startswith("i3x.") and not module.startswith("i3x._cli")


def in_cli_terms(message: str, names: Mapping[str, str] = SDK_ARGUMENTS) -> str:
    """An SDK message with its parameter names replaced by the command line's.

    `start_time (...) is after end_time (...)` becomes `--start (...) is after
    --end (...)`; `element_ids[1] must not be empty` becomes `ID #2 must not be
    empty`. A one-word name (`quality`) is replaced only where it opens the
    message, since elsewhere it is more likely an ordinary word.
    """

    def replace(match: re.Match[str]) -> str:
        name, index = match.group(1), match.group(2)
        option = names.get(name)
        if option is None or ("_" not in name and match.start() != 0):
            return match.group(0)
        return option if index is None else f"{option} #{int(index) + 1}"

    return _NAME.sub(replace, message)


_SDK_HINTS: Final = (
    (
        "pass verify='/path/to/ca.pem' to trust its CA, or verify=False for a test server only",
        "pass --ca /path/to/ca.pem to trust its CA, or --insecure for a test server only",
    ),
    ("pass cert=('client.pem', 'client.key')", "pass --cert client.pem --key client.key"),
)


def in_cli_hints(message: str) -> str:
    """An SDK error's advice in the command line's options (`--ca`, not `verify=`)."""
    for sdk, cli in _SDK_HINTS:
        message = message.replace(sdk, cli)
    return message
