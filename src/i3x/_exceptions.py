"""The errors the SDK raises; no raw httpx, httpx-sse, tenacity or pydantic exception escapes.

The tree:

```text
I3XError
├── ConnectionError              the server could not be reached, or the connection broke
│   └── TimeoutError             connect, read, write or pool timeout
├── APIStatusError               the server answered with an error status
│   ├── BadRequestError          400
│   ├── AuthenticationError      401, 403
│   ├── NotFoundError            404
│   ├── RateLimitError           429
│   ├── ServerError              5xx other than 501
│   └── NotSupportedError        501: an optional feature the server lacks
├── InvalidServerResponseError   the answer is not an i3X document
│   └── ResponseValidationError  ...or does not fit the models
├── UnsupportedVersionError      an alpha server (no `/info`)
├── ValueValidationError         a value does not fit the type asked for, or its object
│                                type's schema (a checked write); also a ValueError
├── BulkError                    one or more items of a multi-element call failed
└── SubscriptionError            subscription bookkeeping went wrong
    ├── StreamError              the SSE stream failed
    ├── UpdatesLostError         the server dropped updates (a gap notice)
    └── SubscriptionLostError    the server forgot a subscription; it was re-created
```

And two warnings (both `UserWarning`s): `InsecureTLSWarning`, when a client is made
with certificate verification off, and `UncheckedWriteWarning`, when a checked write
goes out unchecked because the server publishes no usable schema for the element.

`ConnectionError` and `TimeoutError` keep the names of the seed API (i3x 0.1.0);
they live in `i3x` and do not replace the builtins of the same name. `TimeoutError`
also subclasses the builtin `TimeoutError` (an `OSError`), so that both
`except i3x.TimeoutError` and `except TimeoutError` catch a timeout of the SDK.

Every error carries `status_code`, the server's `title` and `detail` where the
server gave them, and the request's `method` and `url` (credentials never appear:
they travel in headers, which are not kept).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ._model_base import BulkItem, ResponseDetail

__all__ = [
    "I3XError",
    "ConnectionError",
    "TimeoutError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "NotSupportedError",
    "InvalidServerResponseError",
    "ResponseValidationError",
    "UnsupportedVersionError",
    "ValueValidationError",
    "BulkError",
    "SubscriptionError",
    "StreamError",
    "UpdatesLostError",
    "SubscriptionLostError",
    "InsecureTLSWarning",
    "UncheckedWriteWarning",
    "error_for_status",
    "status_error",
]


class I3XError(Exception):
    """Base class of every error the SDK raises."""

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        *,
        title: str | None = None,
        detail: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        """HTTP status of the answer, when there was one."""
        self.title = title
        """The server's short title (`responseDetail.title`), when given."""
        self.detail = detail
        """The server's explanation (`responseDetail.detail`), when given."""
        self.method = method
        """HTTP method of the request that failed."""
        self.url = url
        """URL of the request that failed."""

    def __str__(self) -> str:
        if self.method and self.url:
            return f"{self.message} ({self.method} {self.url})"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code!r})"


class ConnectionError(I3XError):
    """The server could not be reached, or the connection broke mid-answer."""

    reached_server: bool = True
    """`False` when the request certainly did not reach the server, so that even a
    write may be sent again."""
    transient: bool = True
    """`False` when trying again cannot help, so that it is not retried: a TLS
    handshake that failed (the server speaks plain HTTP, or its certificate is not
    trusted)."""


class TimeoutError(ConnectionError, builtins.TimeoutError):
    """A connect, read, write or pool timeout expired, or nothing arrived in time.

    Also the builtin `TimeoutError`: code written for either catches it. The pull form of
    a subscription raises it from `get(timeout=...)` when no event came in time.
    """


class APIStatusError(I3XError):
    """The server answered with an error status (4xx/5xx)."""

    retry_after: float | None = None
    """Seconds the server asked to wait before trying again (`Retry-After`), if it said."""


class BadRequestError(APIStatusError):
    """400: the server rejected the request as malformed or invalid."""


class AuthenticationError(APIStatusError):
    """401 or 403: credentials missing, wrong, or not allowed."""


class NotFoundError(APIStatusError):
    """404: the element, subscription or route does not exist (for this client)."""


class RateLimitError(APIStatusError):
    """429: too many requests; retried with the server's `Retry-After`."""


class ServerError(APIStatusError):
    """5xx: the server failed."""


class NotSupportedError(APIStatusError):
    """501: the server does not offer this optional feature (see `server_info.capabilities`)."""


class InvalidServerResponseError(I3XError):
    """The answer is not an i3X document: HTML, an empty body, or JSON of another shape.

    Usually the base URL points at something that is not an i3X API (a web page,
    a login portal, a gateway).
    """


class ResponseValidationError(InvalidServerResponseError):
    """The answer is i3X JSON but does not fit the models (a field of the wrong type...)."""


class UnsupportedVersionError(I3XError):
    """The server speaks a version of i3X this SDK does not support (alpha: no `/info`)."""


class ValueValidationError(I3XError, ValueError):
    """A value does not fit the type it was read as (`value_as()`), or a write was
    refused before it was sent (`validate_writes=True`).

    Also a `ValueError`, as pydantic's own validation errors are. The message names the
    element, the type and the first failures; `errors` holds all of them.

    A refused write sent nothing: not the refused value, and for `update_values()` none
    of the others either. Its failures come from JSON Schema, and each also says where
    in the schema it failed (`schema_path`) and for which element and type.
    """

    def __init__(
        self,
        message: str,
        *,
        element_id: str | None,
        expected: Any,
        errors: Sequence[Mapping[str, Any]],
    ) -> None:
        super().__init__(message)
        self.element_id = element_id
        """The element whose value it is, when known (`None` when a checked
        `update_values()` refused the values of several elements)."""
        self.expected = expected
        """The type the value was read as; for a refused write, the element id of the
        object type whose schema refused it (`None` for several types)."""
        self.errors: list[dict[str, Any]] = [dict(e) for e in errors]
        """Each failure as pydantic reports it: `loc` (where in the value), `msg`, `type`,
        `input`. A refused write's failures also carry `schema_path` (where in the type's
        JSON Schema, as a tuple), `element_id` and `type_id`; their `type` is the JSON
        Schema keyword that failed (`maximum`, `required`...)."""


class BulkError(I3XError):
    """One or more items of a multi-element call failed.

    Nothing is lost: [`items`][i3x.BulkError.items] holds every item in request order, successes
    included, and [`errors`][i3x.BulkError.errors] maps each failed id to the error it stands for.
    """

    def __init__(
        self,
        message: str,
        *,
        items: Sequence[BulkItem[Any]],
        errors: Mapping[str, I3XError],
        results: Mapping[str, Any] | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, 200, method=method, url=url)
        self.items: list[BulkItem[Any]] = list(items)
        """Every item of the answer, in request order."""
        self.errors: dict[str, I3XError] = dict(errors)
        """The error of each failed id, in request order."""
        self.results: dict[str, Any] = dict(results or {})
        """The parsed result of each id that succeeded, in request order."""


class SubscriptionError(I3XError):
    """A subscription operation failed."""

    def __init__(self, message: str, *, subscription_id: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.subscription_id = subscription_id
        """The subscription concerned, when known."""


class StreamError(SubscriptionError):
    """The SSE stream failed (it is reconnected unless the subscription is stopped)."""


class UpdatesLostError(SubscriptionError):
    """A gap notice: updates in a known sequence range will never arrive.

    Raised into `on_error` and yielded by subscription iterators when the
    server's queue overflowed (206) or stream sequence numbers jumped.
    `first` and `last` bound the lost sequence numbers (both included);
    either is `None` when the server did not say.
    """

    def __init__(
        self,
        message: str,
        *,
        first: int | None,
        last: int | None,
        subscription_id: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, subscription_id=subscription_id, **kw)
        self.first = first
        """First lost sequence number."""
        self.last = last
        """Last lost sequence number."""

    @property
    def count(self) -> int | None:
        """How many sequence numbers were lost, when the range is known."""
        if self.first is None or self.last is None:
            return None
        return self.last - self.first + 1


class SubscriptionLostError(SubscriptionError):
    """The server no longer knew a subscription (TTL expiry, restart); it was re-created.

    Updates between the loss and the re-creation were not seen by the server's
    new subscription; read current values again if your state must be whole.
    """

    def __init__(
        self,
        message: str,
        *,
        new_subscription_id: str | None = None,
        subscription_id: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, subscription_id=subscription_id, **kw)
        self.new_subscription_id: str | None = new_subscription_id
        """The id the server knows the re-created subscription by."""


class InsecureTLSWarning(UserWarning):
    """A client was made with `verify=False`: it does not check whom it talks to.

    Anyone on the network path can then read and change the traffic, credentials
    included. Issued once per client, where it is made. Trust a private CA with
    `verify="/path/to/ca.pem"` instead; silence it for a test server with
    `warnings.filterwarnings("ignore", category=i3x.InsecureTLSWarning)`.
    """


class UncheckedWriteWarning(UserWarning):
    """A write of a client with `validate_writes=True` went out unchecked.

    The server gave nothing to check the value against: the element has no type, its
    type is not published (`POST /objecttypes/query` does not find it), its instance
    extends the type's schema (`isExtended`), or the schema is not one JSON Schema can
    use (malformed, or a `$ref` to a document outside it, which is never fetched). The
    message names the element and says which. Issued before the write is sent, at each
    such write (Python's warning filters show it once per line of code by default), so
    that turning it into an error refuses unchecked writes instead:
    `warnings.simplefilter("error", i3x.UncheckedWriteWarning)`.
    """


_BY_STATUS: Final[Mapping[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
    501: NotSupportedError,
}


def error_for_status(status_code: int) -> type[APIStatusError]:
    """The error class for an HTTP status code."""
    cls = _BY_STATUS.get(status_code)
    if cls is not None:
        return cls
    if status_code >= 500:
        return ServerError
    return APIStatusError


def status_error(
    status_code: int,
    detail: ResponseDetail | None,
    *,
    fallback: str | None = None,
    method: str | None = None,
    url: str | None = None,
    context: str | None = None,
) -> APIStatusError:
    """Build the error for a failed answer or a failed bulk item."""
    title = detail.title if detail else None
    text = detail.detail if detail else None
    parts = [f"HTTP {status_code}"]
    if title:
        parts.append(title)
    message = " ".join(parts)
    said = text or fallback
    if said and said != title:
        message = f"{message}: {said}"
    if context:
        message = f"{context}: {message}"
    return error_for_status(status_code)(
        message, status_code, title=title, detail=text or fallback, method=method, url=url
    )
