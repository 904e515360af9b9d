"""The request log and authentication, as plain ASGI middleware.

Authentication answers 401 (with `WWW-Authenticate`) both when credentials are missing
and when they are wrong, as RFC 9110 and the i3X status table say; 403 is left for
"authenticated but not allowed", which this server never decides. Credentials are never
echoed: not in answers, not in the request log (the Authorization header is masked).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._wire import error_body

__all__ = [
    "RecordedRequest",
    "RequestLog",
    "RequestLogMiddleware",
    "AuthMiddleware",
]

_MASKED_HEADERS = frozenset({"authorization", "proxy-authorization"})


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    """The decoded path, e.g. "/v1/objects/value"."""
    query: Mapping[str, str]
    headers: Mapping[str, str]
    """Lower-case names; Authorization shows only its scheme, e.g. "Bearer ***"."""
    body: bytes
    json: Any
    """The body parsed as JSON; None when empty or not JSON."""


class RequestLog:
    """The requests a server received, oldest first; safe to read from any thread.

    Args:
        maxlen: How many requests are kept; older ones are forgotten.
    """

    def __init__(self, maxlen: int = 10_000) -> None:
        self._lock = threading.Condition()
        self._items: deque[RecordedRequest] = deque(maxlen=maxlen)

    def append(self, request: RecordedRequest) -> None:
        """Record a request."""
        with self._lock:
            self._items.append(request)
            self._lock.notify_all()

    def wait_for(
        self,
        count: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        timeout: float = 10.0,
    ) -> list[RecordedRequest]:
        """Wait until at least `count` recorded requests match `method` and/or `path`.

        Returns:
            The matching requests, oldest first.

        Raises:
            TimeoutError: Fewer arrived within `timeout` seconds.
        """
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._matching(method, path)) >= count, timeout):
                raise TimeoutError(
                    f"fewer than {count} requests to {method or 'any method'} "
                    f"{path or 'any path'} within {timeout} s"
                )
            return self._matching(method, path)

    def clear(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            self._items.clear()

    def filter(
        self, *, method: str | None = None, path: str | None = None
    ) -> list[RecordedRequest]:
        """The recorded requests with this method and/or path."""
        with self._lock:
            return self._matching(method, path)

    def _matching(self, method: str | None, path: str | None) -> list[RecordedRequest]:
        return [
            r
            for r in self._items
            if (method is None or r.method == method.upper()) and (path is None or r.path == path)
        ]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[RecordedRequest]:
        with self._lock:
            return iter(list(self._items))

    def __getitem__(self, index: int) -> RecordedRequest:
        with self._lock:
            return self._items[index]


def _mask(name: str, value: str) -> str:
    if name not in _MASKED_HEADERS:
        return value
    scheme, _, _ = value.partition(" ")
    return f"{scheme} ***" if scheme else "***"


class RequestLogMiddleware:
    """Records every HTTP request (with its body) in a `RequestLog`, then passes it on."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            headers[name] = _mask(name, raw_value.decode("latin-1"))
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = None
        self.log.append(
            RecordedRequest(
                method=scope["method"],
                path=scope["path"],
                query=dict(parse_qsl(scope["query_string"].decode("latin-1"))),
                headers=headers,
                body=body,
                json=parsed,
            )
        )

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)


class AuthMiddleware:
    """Requires Bearer and/or Basic credentials on /v1, except GET /v1/info."""

    def __init__(
        self, app: ASGIApp, *, token: str | None, basic_auth: tuple[str, str] | None
    ) -> None:
        self.app = app
        self._token = token
        self._basic = basic_auth
        challenges = []
        if token is not None:
            challenges.append('Bearer realm="i3x"')
        if basic_auth is not None:
            challenges.append('Basic realm="i3x", charset="UTF-8"')
        self._challenge = ", ".join(challenges).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._protects(scope["path"]):
            header = None
            for name, value in scope["headers"]:
                if name.lower() == b"authorization":
                    header = value.decode("latin-1")
                    break
            problem = self._problem(header)
            if problem is not None:
                await self._refuse(send, problem)
                return
        await self.app(scope, receive, send)

    def _protects(self, path: str) -> bool:
        if self._token is None and self._basic is None:
            return False
        return (path == "/v1" or path.startswith("/v1/")) and path != "/v1/info"

    def _problem(self, header: str | None) -> str | None:
        if not header:
            return "Authentication required: send an Authorization header"
        scheme, _, credentials = header.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and self._token is not None:
            return self._bearer_problem(credentials.strip(), self._token)
        if scheme == "basic" and self._basic is not None:
            return self._basic_problem(credentials.strip(), self._basic)
        accepted = [
            name
            for name, on in (
                ("Bearer", self._token is not None),
                ("Basic", self._basic is not None),
            )
            if on
        ]
        return f"Unsupported authorization scheme; use {' or '.join(accepted)}"

    @staticmethod
    def _bearer_problem(given: str, token: str) -> str | None:
        if secrets.compare_digest(given.encode(), token.encode()):
            return None
        return "The bearer token was not accepted"

    @staticmethod
    def _basic_problem(given: str, expected: tuple[str, str]) -> str | None:
        try:
            decoded = base64.b64decode(given, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "The Basic credentials are not valid base64 'user:password'"
        user, _, password = decoded.partition(":")
        # Compare both halves every time so the answer takes as long whichever is wrong.
        user_ok = secrets.compare_digest(user.encode(), expected[0].encode())
        password_ok = secrets.compare_digest(password.encode(), expected[1].encode())
        return None if user_ok and password_ok else "The user name or password was not accepted"

    async def _refuse(self, send: Send, detail: str) -> None:
        body = json.dumps({"success": False, "responseDetail": error_body(401, detail)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", self._challenge),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
