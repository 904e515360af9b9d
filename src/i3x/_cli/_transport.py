"""`--verbose`: an httpx transport that reports every exchange, with secrets masked."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Final

import httpx

from i3x._wire import redact_url

__all__ = ["VerboseTransport", "mask_header", "mask_url"]

_SECRET_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
MASK: Final = "***"


def mask_header(name: str, value: str) -> str:
    """A header value fit to print: credentials keep only their scheme (`Bearer ***`)."""
    if name.lower() not in _SECRET_HEADERS:
        return value
    scheme, sep, _ = value.partition(" ")
    if name.lower().endswith("authorization") and sep:
        return f"{scheme} {MASK}"
    return MASK


def mask_url(url: httpx.URL) -> str:
    """A URL fit to print, as the SDK shows it in errors and logs: no userinfo, and no
    query values but those of the i3X API's own parameters (an API gateway's key may be
    called anything: `?code=`, `?sig=`...)."""
    return redact_url(url)


def _header_lines(prefix: str, headers: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{prefix} {name}: {mask_header(name, value)}" for name, value in headers]


class VerboseTransport(httpx.BaseTransport):
    """Wraps a transport and writes each request and response head to `write`.

    Args:
        inner: The transport that does the work (an `httpx.HTTPTransport`).
        write: Takes one line of text (the CLI writes to stderr).
    """

    def __init__(self, inner: httpx.BaseTransport, write: Callable[[str], None]) -> None:
        self._inner = inner
        self._write = write

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._write(f"> {request.method} {mask_url(request.url)}")
        for line in _header_lines(">", request.headers.multi_items()):
            self._write(line)
        started = time.perf_counter()
        try:
            response = self._inner.handle_request(request)
        except Exception as exc:
            elapsed = (time.perf_counter() - started) * 1000
            self._write(f"< failed after {elapsed:.0f} ms: {type(exc).__name__}: {exc}")
            raise
        elapsed = (time.perf_counter() - started) * 1000
        reason = response.extensions.get("reason_phrase", b"")
        reason_text = reason.decode("ascii", "replace") if isinstance(reason, bytes) else ""
        self._write(f"< {response.status_code} {reason_text} ({elapsed:.0f} ms)".replace("  ", " "))
        for line in _header_lines("<", response.headers.multi_items()):
            self._write(line)
        return response

    def close(self) -> None:
        self._inner.close()
