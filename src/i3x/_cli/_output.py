"""Where the CLI writes: rich consoles for people, plain JSON for machines, stderr for the rest.

Results go to stdout: rich tables and trees (colour only when stdout is a
terminal) or, with `--json`, JSON documents (`watch`: JSON lines). Errors,
notes and progress go to stderr, so that piping stdout stays clean.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, Final

from rich.console import Console, RenderableType
from rich.text import Text

__all__ = ["Output"]

_PIPE_WIDTH: Final = 120
"""Columns used when the output is not a terminal and COLUMNS is unset (rich says 80)."""


def _console(*, stderr: bool) -> Console:
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal or os.environ.get("COLUMNS") else _PIPE_WIDTH
    # markup and emoji off: element ids and values are data, never rich markup.
    return Console(stderr=stderr, width=width, highlight=False, markup=False, emoji=False)


class Output:
    """The CLI's two streams, in human or JSON form.

    Args:
        json_mode: Results as JSON instead of tables (`--json`).
        verbose: Show tracebacks and no progress (`--verbose`).
    """

    def __init__(self, *, json_mode: bool = False, verbose: bool = False) -> None:
        self.json_mode = json_mode
        self.verbose = verbose
        self.console = _console(stderr=False)
        self.err = _console(stderr=True)

    # ------------------------------------------------------------------ stdout

    def print(self, *renderables: RenderableType) -> None:
        """Print rich renderables (tables, trees, text) to stdout."""
        self.console.print(*renderables)

    def line(self, text: Text | str) -> None:
        """Print one line to stdout as it is, never wrapped."""
        self.console.print(text, soft_wrap=True)

    def json(self, data: Any) -> None:
        """Print a JSON document to stdout."""
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    def json_line(self, data: Any) -> None:
        """Print one compact JSON document on one line (JSON lines), flushed at once."""
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    # ------------------------------------------------------------------ stderr

    def error(self, message: str) -> None:
        """`error: <message>` on stderr, on one line."""
        self.err.print(Text("error: ", style="bold red") + Text(message), soft_wrap=True)

    def note(self, message: Text | str, style: str = "dim") -> None:
        """An informational line on stderr (never part of a command's result)."""
        text = message if isinstance(message, Text) else Text(message, style=style)
        self.err.print(text, soft_wrap=True)

    def interrupted(self) -> None:
        """Start afresh after Ctrl-C, before printing anything else.

        Ctrl-C can land inside a print, after rich wrote its buffer but before it
        emptied it; the next print would then repeat the line. New consoles have
        empty buffers.
        """
        self.console = _console(stderr=False)
        self.err = _console(stderr=True)

    def traceback(self) -> None:
        """The current exception's traceback on stderr (`--verbose` only)."""
        if self.verbose:
            import traceback

            sys.stderr.write(traceback.format_exc())
            sys.stderr.flush()

    @property
    def shows_progress(self) -> bool:
        """Whether long reads show progress: on a terminal only, and never with JSON.

        Both streams must be terminals: with stdout piped (`| less`, `> file`),
        a spinner redrawn on stderr would mix with what the pipe's reader shows.
        `--verbose` prints the exchanges there instead.
        """
        return (
            not self.json_mode
            and not self.verbose
            and self.console.is_terminal
            and self.err.is_terminal
        )

    @contextlib.contextmanager
    def busy(self, message: str) -> Iterator[Callable[[str], None]]:
        """Progress on stderr while a long read runs, gone when it ends (see `shows_progress`).

        A spinner, what is being read and the time so far: one request has no
        total to count against. Yields a function that says what is read next.
        """
        if not self.shows_progress:
            yield _ignore
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("{task.description}", markup=False))
        with Progress(*columns, TimeElapsedColumn(), console=self.err, transient=True) as bar:
            task = bar.add_task(message, total=None)
            yield lambda text: bar.update(task, description=text)


def _ignore(text: str) -> None:
    pass
