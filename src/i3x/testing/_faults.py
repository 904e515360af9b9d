"""Fault injection: slow, failing, cut and malformed answers on demand.

`Faults` is what tests arm (`server.faults.fail_next(...)`); `FaultMiddleware` is the
ASGI middleware that applies the armed faults to the next matching requests. Faults
armed one after the other are used in that order, each by the first request it matches.

A cut connection is made by raising `ConnectionCut` after part of the body went out:
uvicorn then closes the socket. Uvicorn logs such an exception as an error, so
`install_log_filter` keeps these deliberate ones out of the log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from dataclasses import dataclass
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._wire import error_body, status_title

__all__ = [
    "Faults",
    "FaultMiddleware",
    "StreamFault",
    "ConnectionCut",
    "install_log_filter",
]

_MALFORMED_BODY = b'{"success": true, "result": [{"elementId": "pump-101", "value": '


class ConnectionCut(Exception):
    """Raised on purpose to make the server drop a connection mid-answer."""


@dataclass(frozen=True)
class StreamFault:
    """What happens to the next stream opened: end or cut after `events` events."""

    kind: Literal["end", "cut"]
    events: int


@dataclass
class _Armed:
    kind: Literal["fail", "cut", "malformed"]
    remaining: int
    path: str | None
    status: int = 503
    retry_after: str | None = None
    after_bytes: int = 16


def _positive(name: str, value: int, minimum: int = 1) -> None:
    if value < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, not {value}")


class Faults:
    """Faults to inject into the next requests; thread-safe, armed from the test thread.

    `path` arguments match the request path exactly, e.g. "/v1/objects/value"; None
    matches every request.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latency = 0.0
        self._armed: list[_Armed] = []
        self._streams: list[StreamFault] = []

    @property
    def latency(self) -> float:
        """Seconds added before every request is handled (0 by default)."""
        with self._lock:
            return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"latency: must not be negative, not {seconds}")
        with self._lock:
            self._latency = float(seconds)

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 503,
        retry_after: float | str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next `count` matching requests with `status` in the failure envelope.

        Args:
            count: How many requests fail.
            status: The HTTP status (400-599).
            retry_after: Sent as the Retry-After header: seconds, or an HTTP date string.
            path: Only requests to this path.
        """
        _positive("count", count)
        if not 400 <= status <= 599:
            raise ValueError(f"status: must be an error status (400-599), not {status}")
        header: str | None
        if retry_after is None or isinstance(retry_after, str):
            header = retry_after
        else:
            header = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
        with self._lock:
            self._armed.append(_Armed("fail", count, path, status=status, retry_after=header))

    def cut_next(self, count: int = 1, *, path: str | None = None, after_bytes: int = 16) -> None:
        """Drop the connection of the next `count` matching requests mid-answer.

        The request is handled (a write takes effect), the status line, the headers and
        the first `after_bytes` bytes of the body are sent, then the socket is closed. On
        a stream the cut lands inside the first event when it is longer than that.
        """
        _positive("count", count)
        _positive("after_bytes", after_bytes, minimum=0)
        with self._lock:
            self._armed.append(_Armed("cut", count, path, after_bytes=after_bytes))

    def malformed_next(self, count: int = 1, *, path: str | None = None) -> None:
        """Answer the next `count` matching requests with 200, JSON content type, broken JSON.

        The request does not reach the server behind, so nothing is changed by it.
        """
        _positive("count", count)
        with self._lock:
            self._armed.append(_Armed("malformed", count, path))

    def end_stream_after(self, events: int) -> None:
        """End the next opened stream cleanly after it sent `events` events."""
        _positive("events", events, minimum=0)
        with self._lock:
            self._streams.append(StreamFault("end", events))

    def cut_stream_after(self, events: int) -> None:
        """Drop the next opened stream's connection in the middle of event `events` + 1."""
        _positive("events", events, minimum=0)
        with self._lock:
            self._streams.append(StreamFault("cut", events))

    def reset(self) -> None:
        """Disarm everything and set latency back to 0."""
        with self._lock:
            self._latency = 0.0
            self._armed.clear()
            self._streams.clear()

    def _take(self, path: str) -> _Armed | None:
        """Use up one armed fault matching `path`, if any (called by the middleware)."""
        with self._lock:
            for armed in self._armed:
                if armed.path is None or armed.path == path:
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self._armed.remove(armed)
                    return armed
            return None

    def take_stream_fault(self) -> StreamFault | None:
        """Use up the fault armed for the next stream, if any (called by the stream)."""
        with self._lock:
            return self._streams.pop(0) if self._streams else None


class FaultMiddleware:
    """Applies latency and the armed faults of a `Faults` to HTTP requests."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        latency = self.faults.latency
        if latency:
            await asyncio.sleep(latency)
        armed = self.faults._take(scope["path"])
        if armed is None:
            await self.app(scope, receive, send)
        elif armed.kind == "fail":
            await _send_failure(send, armed)
        elif armed.kind == "malformed":
            await _send_raw(send, 200, _MALFORMED_BODY)
        else:
            await self.app(scope, receive, _cutting_send(send, armed.after_bytes))


def _cutting_send(send: Send, after_bytes: int) -> Send:
    sent = 0

    async def cut_send(message: Message) -> None:
        nonlocal sent
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        room = after_bytes - sent
        if more and len(body) < room:
            sent += len(body)
            await send(message)
            return
        chunk = body[:room]
        if not more and len(chunk) == len(body):
            # The whole answer fits: hold back its last byte so it can never look complete.
            chunk = chunk[:-1]
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        raise ConnectionCut(f"connection cut after {sent + len(chunk)} bytes of the body")

    return cut_send


async def _send_raw(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_failure(send: Send, armed: _Armed) -> None:
    body = json.dumps(
        {
            "success": False,
            "responseDetail": error_body(
                armed.status, f"Injected fault: {status_title(armed.status)}"
            ),
        }
    ).encode()
    extra = [] if armed.retry_after is None else [(b"retry-after", armed.retry_after.encode())]
    await _send_raw(send, armed.status, body, extra)


class _DropDeliberateCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not _is_cut(exc)


def _is_cut(exc: BaseException | None) -> bool:
    if exc is None:
        return False
    if isinstance(exc, ConnectionCut):
        return True
    return any(_is_cut(inner) for inner in getattr(exc, "exceptions", ()))


_LOG_FILTER = _DropDeliberateCuts()


def install_log_filter() -> None:
    """Keep deliberate cuts out of uvicorn's error log (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if _LOG_FILTER not in logger.filters:
        logger.addFilter(_LOG_FILTER)
