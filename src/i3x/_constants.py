"""Defaults, in one place; every one can be overridden per client, most per call."""

from __future__ import annotations

from typing import Final

import httpx

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "RETRYABLE_STATUSES",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_CONCURRENCY",
    "HISTORY_EPOCH",
]

DEFAULT_TIMEOUT: Final = httpx.Timeout(30.0, connect=10.0)
"""30 s for each read, write and pool wait; 10 s to connect."""

DEFAULT_MAX_RETRIES: Final = 2
"""Retries after the first attempt (so three attempts in all); 0 turns retrying off."""

INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
"""Exponential backoff with jitter between these bounds (seconds)."""

MAX_RETRY_AFTER: Final = 60.0
"""A server's `Retry-After` is honoured up to this many seconds; beyond it the
computed backoff is used, and the final error carries the server's wish."""

RETRYABLE_STATUSES: Final = frozenset({408, 429, 502, 503, 504})

DEFAULT_BATCH_SIZE: Final = 500
"""Element ids per request when a bulk read is split into batches."""

DEFAULT_LIMITS: Final = httpx.Limits(max_connections=20, max_keepalive_connections=10)
"""Connection pool shared by every call of one client. httpcore examines every pooled
connection for each request, so a large pool costs CPU on every call; the async client
also merges concurrent single-element reads, so it needs few connections."""

DEFAULT_MAX_CONCURRENCY: Final = 8
"""Batches of one bulk call the async client sends at once."""

HISTORY_EPOCH: Final = "1970-01-01T00:00:00Z"
"""`get_history()` without a start reads from here: all the history there is."""
