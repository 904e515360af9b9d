"""When to retry and how long to wait: one place for both clients' tenacity loops.

Retried: connection failures and timeouts (not a failed TLS handshake, which
fails the same way again), and the statuses 408, 429, 502, 503 and 504. Reads (GET and the read-only POST queries, sync included) are retried
on all of them; writes and calls that create state only when the request
cannot have reached the server (it could not connect, or waited for a pool
slot), since the server may otherwise have applied it. A `Retry-After` header
(seconds or an HTTP date) wins over the computed backoff, up to a cap.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState, retry_if_exception, stop_after_attempt

from ._constants import MAX_RETRY_AFTER, RETRYABLE_STATUSES
from ._exceptions import APIStatusError, ConnectionError, I3XError, status_error
from ._timing import current
from ._wire import error_detail, request_label

__all__ = [
    "parse_retry_after",
    "should_retry",
    "retry_args",
    "raise_if_retryable",
    "replaying",
    "areplaying",
]

logger = logging.getLogger("i3x")

_R = TypeVar("_R")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


def should_retry(exc: BaseException, *, idempotent: bool) -> bool:
    """Whether a failed attempt may be sent again."""
    if not isinstance(exc, I3XError) or getattr(exc, "transient", True) is False:
        return False
    if getattr(exc, "reached_server", True) is False:
        return True
    if not idempotent:
        return False
    if isinstance(exc, ConnectionError):
        return True
    return isinstance(exc, APIStatusError) and exc.status_code in RETRYABLE_STATUSES


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome is not None else None
    retry_after: float | None = getattr(exc, "retry_after", None)
    if retry_after is not None and retry_after <= MAX_RETRY_AFTER:
        return retry_after
    return float(current().retry_backoff(state))


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    logger.info("retrying in %.2f s after attempt %d failed: %s", wait, state.attempt_number, exc)


def retry_args(
    *,
    max_retries: int,
    idempotent: bool,
    sleep: Callable[[float], object],
) -> dict[str, Any]:
    """Keyword arguments for `tenacity.Retrying` and `tenacity.AsyncRetrying`."""
    return {
        "stop": stop_after_attempt(max_retries + 1),
        "wait": _wait,
        "retry": retry_if_exception(lambda e: should_retry(e, idempotent=idempotent)),
        "sleep": sleep,
        "before_sleep": _log_retry,
        "reraise": True,
    }


def raise_if_retryable(response: httpx.Response) -> httpx.Response:
    """Raise the mapped error for a retryable status, with the server's `Retry-After`."""
    if response.status_code not in RETRYABLE_STATUSES:
        return response
    method, url = request_label(response.request)
    error = status_error(response.status_code, error_detail(response), method=method, url=url)
    error.retry_after = parse_retry_after(response.headers.get("retry-after"))
    raise error


def replaying(first: I3XError, attempt: Callable[[], _R]) -> Callable[[], _R]:
    """`attempt` for tenacity, after a first attempt made without it that failed with `first`.

    Most requests succeed at once, and a tenacity loop costs more CPU than a small
    request; so the clients try once on their own and only a retryable failure enters
    the loop, which sees `first` as its attempt 1 (the same waits, logs and count).
    """
    pending: list[I3XError] = [first]

    def again() -> _R:
        if pending:
            raise pending.pop()
        return attempt()

    return again


def areplaying(
    first: I3XError, attempt: Callable[[], Awaitable[_R]]
) -> Callable[[], Awaitable[_R]]:
    """`replaying()` for `AsyncRetrying`, which needs a coroutine function."""
    pending: list[I3XError] = [first]

    async def again() -> _R:
        if pending:
            raise pending.pop()
        return await attempt()

    return again
