"""Secrets out of log lines: what the `i3x`, `httpx` and `httpcore` loggers emit never holds one.

The SDK builds its own messages masked, but httpx logs every request's URL at INFO
(`HTTP Request: GET https://gw/v1/info?code=<key> "HTTP/1.1 200 OK"`), and a base
URL's query (an API gateway's key) travels in every request URL. So each client
registers its secrets here when it is made, and one `logging.Filter` on those loggers
replaces any of them, in the message, the arguments, the traceback and the stack of
every record, by `***` before any handler sees it.

What counts as a secret: the password of Basic auth (in `base_url` or `auth=`) and its
encoded `user:password`, the bearer token, every value given in `headers=` except
those of the content-negotiation headers (`Accept`, `User-Agent`...), every value of
the query in `base_url`, the proxy's password and headers, and the password of the
client certificate's key. Values shorter than four characters are left alone: they
would garble ordinary text, and no filter can keep them secret anyway.

A logger's filters see only the records made on that very logger, not those its
children propagate to it, so the filter sits on each logger these libraries log to.
A client's secrets stay masked while the client, or any view or delivery of it,
exists: a closed client may be used again, and a late record (a delivery's last
warning) must not leak either.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote, quote_plus

import httpx

__all__ = ["LOGGERS", "MASK", "Secrets", "client_secrets", "protect"]

MASK: Final = "***"

LOGGERS: Final = (
    "i3x",
    "i3x.subscriptions",
    "i3x.testing",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""Every logger the SDK, httpx and httpcore make records on."""

_MIN_LENGTH: Final = 4

_PLAIN_HEADERS: Final = frozenset(
    {
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "connection",
        "content-type",
        "pragma",
        "user-agent",
    }
)
"""Headers that negotiate content and carry no credential; every other value is a secret."""


class Secrets:
    """The secrets of one client, masked in log records while this object lives."""

    __slots__ = ("__weakref__", "values")

    def __init__(self, values: Iterable[str]) -> None:
        self.values: frozenset[str] = frozenset(v for v in values if len(v) >= _MIN_LENGTH)

    def __repr__(self) -> str:
        return f"<Secrets: {len(self.values)} masked>"


def _spellings(value: str) -> set[str]:
    """The ways a value shows in a log line: as is, in a URL's query, inside a repr."""
    return {
        value,
        httpx.URL("http://h/", params={"k": value}).query.decode("ascii")[2:],
        quote(value, safe=""),
        quote_plus(value),
        repr(value)[1:-1],
        repr(value.encode("utf-8", "backslashreplace"))[2:-1],
    }


class _Registry(logging.Filter):
    """The filter: the secrets of every live client, as one regular expression."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._holders: list[weakref.ref[Secrets]] = []
        self._pattern: re.Pattern[str] | None = None
        self._stale = False

    def add(self, holder: Secrets) -> None:
        with self._lock:
            self._holders = [r for r in self._holders if r() is not None]
            self._holders.append(weakref.ref(holder, self._forget))
            self._stale = True

    def _forget(self, _ref: object) -> None:
        # Called by the collector at any point, even while this thread holds the lock:
        # only flag, and let the next record rebuild.
        self._stale = True

    def pattern(self) -> re.Pattern[str] | None:
        if self._stale:
            with self._lock:
                if self._stale:
                    self._stale = False
                    live = [h for r in self._holders if (h := r()) is not None]
                    self._holders = [r for r in self._holders if r() is not None]
                    spellings = {s for h in live for v in h.values for s in _spellings(v)}
                    # Longest first: a value inside another one must not split it.
                    ordered = sorted(spellings, key=len, reverse=True)
                    self._pattern = (
                        re.compile("|".join(map(re.escape, ordered))) if ordered else None
                    )
        return self._pattern

    def filter(self, record: logging.LogRecord) -> bool:
        pattern = self.pattern()
        if pattern is not None:
            _mask_record(record, pattern)
        return True


_FORMATTER: Final = logging.Formatter()


def _mask_record(record: logging.LogRecord, pattern: re.Pattern[str]) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: logging reports it when a handler formats it
        message = None
    if message is not None:
        masked = pattern.sub(MASK, message)
        if masked != message:
            record.msg, record.args = masked, None
    if record.exc_info is not None and record.exc_info[0] is not None:
        text = record.exc_text or _FORMATTER.formatException(record.exc_info)
        masked = pattern.sub(MASK, text)
        if masked != text:
            # The traceback as masked text: formatters print exc_text when exc_info is gone.
            record.exc_info, record.exc_text = None, masked
    elif record.exc_text:
        record.exc_text = pattern.sub(MASK, record.exc_text)
    if record.stack_info:
        record.stack_info = pattern.sub(MASK, record.stack_info)


_FILTER: Final = _Registry()


def protect(values: Iterable[str]) -> Secrets:
    """Mask `values` in every record of `LOGGERS` for as long as the returned object lives."""
    holder = Secrets(values)
    for name in LOGGERS:
        logging.getLogger(name).addFilter(_FILTER)  # once: addFilter skips a present one
    if holder.values:
        _FILTER.add(holder)
    return holder


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def client_secrets(
    *,
    auth: object,
    token: str | None,
    headers: Mapping[str, str | bytes],
    params: Sequence[tuple[str, str]],
    proxy: httpx.Proxy | None,
    cert: Any,
) -> Secrets:
    """Register what a client's arguments hold that no log line may show (see the module).

    An `httpx.Auth` object keeps its secrets to itself: they travel in request headers,
    which none of these loggers print.
    """
    values: list[str] = []
    if isinstance(auth, tuple):
        user, password = auth
        values += [password, _basic(user, password)]
    if token:
        values.append(token)
    values += [_text(v) for k, v in headers.items() if k.lower() not in _PLAIN_HEADERS]
    values += [v for _, v in params]
    if proxy is not None:
        if proxy.auth is not None:
            values += [proxy.auth[1], _basic(*proxy.auth)]
        values += [v for _, v in proxy.headers.items()]
    if isinstance(cert, tuple) and len(cert) == 3 and isinstance(cert[2], str):
        values.append(cert[2])
    return protect(values)
