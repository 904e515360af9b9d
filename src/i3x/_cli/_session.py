"""One invocation's settings, its client, its logging and its error handling."""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

import i3x

from ._errors import (
    SDK_ARGUMENTS,
    ExitCode,
    UsageProblem,
    exit_code_for,
    in_cli_hints,
    in_cli_terms,
    is_argument_check,
    one_line,
)
from ._output import Output

if TYPE_CHECKING:
    import ssl

__all__ = ["Settings", "Session"]

_LOGGER = "i3x"


@dataclass(frozen=True)
class Settings:
    """The global options, as given."""

    url: str = "http://127.0.0.1:8080"
    token: str | None = None
    user: str | None = None
    password: str | None = None
    insecure: bool = False
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    timeout: float | None = None
    retries: int = 2
    json: bool = False
    verbose: bool = False


class Session:
    """What a command works with: the settings, the output and a lazily built client."""

    def __init__(self, settings: Settings, out: Output | None = None) -> None:
        self.settings = settings
        self.out = out or Output(json_mode=settings.json, verbose=settings.verbose)
        self.command: str | None = None
        """The running command's path (`i3x history`), for the hint after a usage error."""
        self._client: i3x.Client | None = None

    @classmethod
    def of(cls, ctx: typer.Context) -> Session:
        """The session the global options made (`i3x` stores it on the root context)."""
        session = ctx.find_object(Session)
        if session is None:  # a command invoked without the group (only in tests)
            session = Session(Settings())
            ctx.obj = session
        session.command = ctx.command_path
        return session

    # ------------------------------------------------------------------ client

    @property
    def client(self) -> i3x.Client:
        """The client, built on first use with the global options (closed by `close()`)."""
        if self._client is None:
            self._client = self._build_client()
        return self._client

    def _verify(self) -> bool | str | ssl.SSLContext:
        s = self.settings
        if s.insecure:
            return False
        if s.ca is not None:
            return str(s.ca)
        return True

    def _build_client(self) -> i3x.Client:
        s = self.settings
        kwargs: dict[str, Any] = {"token": s.token, "max_retries": s.retries}
        if s.user is not None:
            kwargs["auth"] = (s.user, s.password or "")
        if s.timeout is not None:
            kwargs["timeout"] = s.timeout
        verify = self._verify()
        cert = None if s.cert is None else (str(s.cert), str(s.key)) if s.key else str(s.cert)
        if s.verbose:
            # Imported here, as the client is: `i3x --help` needs neither httpx nor pydantic.
            import httpx

            from i3x._config import ssl_context

            from ._transport import VerboseTransport

            # A transport replaces httpx's own, and with it the TLS settings: give it them.
            if isinstance(verify, str):
                verify = _ca_context(verify)
            try:
                context = ssl_context(verify, cert)
            except (TypeError, ValueError) as exc:
                raise UsageProblem(in_cli_terms(one_line(exc)), self.command) from exc
            kwargs["transport"] = VerboseTransport(
                httpx.HTTPTransport(verify=context), self._verbose_line
            )
        else:
            kwargs["verify"] = verify
            kwargs["cert"] = cert
        try:
            with warnings.catch_warnings():
                # --insecure says it already: Python's warning would add a source line.
                warnings.simplefilter("ignore", i3x.InsecureTLSWarning)
                return i3x.Client(s.url, **kwargs)
        except (TypeError, ValueError) as exc:
            raise UsageProblem(in_cli_terms(one_line(exc)), self.command) from exc

    def _verbose_line(self, text: str) -> None:
        self.out.err.print(text, style="dim", soft_wrap=True)

    def close(self) -> None:
        """Close the client (stops subscription delivery, closes the pool)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    # ----------------------------------------------------------------- logging

    @contextlib.contextmanager
    def logging(self) -> Iterator[None]:
        """Route the `i3x` logger for the invocation, and put it back afterwards.

        `--verbose`: DEBUG and up to stderr. Otherwise nothing: the CLI reports
        what matters itself (subscription notices are printed by `watch`), and
        Python's last-resort handler would print the SDK's warnings raw.
        """
        logger = logging.getLogger(_LOGGER)
        level = logger.level
        handler: logging.Handler
        if self.settings.verbose:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))
            logger.setLevel(logging.DEBUG)
        else:
            handler = logging.NullHandler()
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)

    # ------------------------------------------------------------------ errors

    @contextlib.contextmanager
    def guard(self, names: Mapping[str, str] | None = None) -> Iterator[None]:
        """Turn failures into one `error:` line on stderr and the class's exit code.

        The SDK rejecting an argument is a usage error (exit 2), told in the
        command line's terms: its parameter names become the options and arguments
        that carry them (`SDK_ARGUMENTS`, updated by `names`).
        """
        try:
            yield
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            self.out.interrupted()
            self.out.note("interrupted")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except i3x.I3XError as exc:
            self._fail(in_cli_hints(one_line(exc)), exit_code_for(exc))
        except OSError as exc:
            self._fail(one_line(exc), ExitCode.ERROR)
        except Exception as exc:
            if is_argument_check(exc):
                message = in_cli_terms(one_line(exc), {**SDK_ARGUMENTS, **(names or {})})
                hint = f" (see '{self.command} --help')" if self.command else ""
                self._fail(message + hint, ExitCode.USAGE)
            self._fail(f"unexpected {type(exc).__name__}: {one_line(exc)}", ExitCode.ERROR)

    def _fail(self, message: str, code: ExitCode) -> NoReturn:
        self.out.traceback()
        self.out.error(message)
        raise typer.Exit(code)


def _ca_context(path: str) -> ssl.SSLContext:
    import ssl  # as httpx: only when a connection is made

    try:
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise UsageProblem(f"--ca: cannot read the CA bundle {path!r}: {exc}") from exc
