"""The errors under the import path of the 1.0 reference client: `from i3x.errors import NotFoundError`.

The reference client (`i3x-client` 1.0.0) keeps its errors in `i3x.errors`, and code
written for it imports them from there. This module re-exports every error of `i3x`
(`i3x.errors.NotFoundError is i3x.NotFoundError`), its names included, and
[`for_status()`][i3x.errors.for_status]. The tree is the reference client's with more
branches (the Errors page of the API reference draws it whole): `NotFoundError`,
`AuthenticationError`, `ServerError` and `NotSupportedError` derive from
`APIStatusError`, and `TimeoutError` from `ConnectionError`; every one is an `I3XError`
with a `status_code`, as there.
"""

from ._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    BulkError,
    ConnectionError,
    I3XError,
    InsecureTLSWarning,
    InvalidServerResponseError,
    NotFoundError,
    NotSupportedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    StreamError,
    SubscriptionError,
    SubscriptionLostError,
    TimeoutError,
    UncheckedWriteWarning,
    UnsupportedVersionError,
    UpdatesLostError,
    ValueValidationError,
)
from ._exceptions import error_for_status as _error_for_status

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
    "for_status",
]


def for_status(status_code: int) -> type[APIStatusError]:
    """The error class the SDK raises for an HTTP error status, as the reference client's.

    401 and 403 map to `AuthenticationError`, 404 to `NotFoundError`, 501 to
    `NotSupportedError`, other 5xx to `ServerError`; this SDK adds 400
    (`BadRequestError`) and 429 (`RateLimitError`). Any other status maps to
    `APIStatusError`, an `I3XError` like the reference client's answer for it.

    Args:
        status_code: The HTTP status.

    Returns:
        The class (not an instance).
    """
    return _error_for_status(status_code)
