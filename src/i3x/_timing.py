"""How long the SDK waits, in one place, and the supported way to shorten it in tests.

Request retries back off exponentially with jitter (a `Retry-After` header wins, see
`i3x._retry`); subscription deliveries reconnect with a backoff of their own and pause
briefly after a healthy stream ends; a sync-mode delivery waits (bounded) for its
consumer before syncing again. `waits()` replaces these for the duration of a `with`
block, for tests that exercise failures without sitting through production waits;
`i3x.testing.waits` and the pytest fixture `i3x_fast_waits` are its public faces.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Final

from tenacity import wait_exponential, wait_fixed, wait_random
from tenacity.wait import wait_base

from ._constants import INITIAL_RETRY_DELAY, MAX_RETRY_DELAY

__all__ = ["Waits", "current", "sleep_async", "waits"]

RECONNECT_INITIAL: Final = 0.5
RECONNECT_MAX: Final = 30.0
SYNC_DELIVERY_WAIT: Final = 5.0
"""The longest a sync-mode delivery waits for its consumer to take the previous answer
(see `Delivery._until_delivered`)."""


@dataclass(frozen=True)
class Waits:
    """The waits in force."""

    retry_backoff: wait_base
    """Between attempts of a request (a `Retry-After` header wins, up to a cap)."""
    reconnect_backoff: wait_base
    """Between attempts of a subscription delivery to reconnect or sync again."""
    reconnect_pause: float
    """After a healthy stream ended, before the next (with a fresh backoff)."""
    sync_delivery_wait: float
    """How long a sync-mode delivery waits for its consumer before syncing anyway."""
    sleep: Callable[[float], object] | None = None
    """Called instead of sleeping between request retries (`None`: really sleep)."""


# Exponential backoff plus up to half a step of jitter, so that clients retrying
# together do not come back together.
_PRODUCTION: Final = Waits(
    retry_backoff=wait_exponential(multiplier=INITIAL_RETRY_DELAY, max=MAX_RETRY_DELAY)
    + wait_random(0, INITIAL_RETRY_DELAY),
    reconnect_backoff=wait_exponential(multiplier=RECONNECT_INITIAL, max=RECONNECT_MAX)
    + wait_random(0, RECONNECT_INITIAL),
    reconnect_pause=RECONNECT_INITIAL,
    sync_delivery_wait=SYNC_DELIVERY_WAIT,
)

_current: Waits = _PRODUCTION


def current() -> Waits:
    """The waits in force now (read at each wait, so a `waits()` block applies at once)."""
    return _current


@contextlib.contextmanager
def waits(
    *,
    backoff: float | None = None,
    sync_delivery_wait: float | None = None,
    sleep: Callable[[float], object] | None = None,
) -> Iterator[Waits]:
    """Shorten the SDK's waits inside a `with` block (for tests).

    Args:
        backoff: Seconds between retries of a request and between a subscription's
            reconnect attempts, and the pause after a stream ended, instead of the
            exponential backoff. `None` keeps the production waits.
        sync_delivery_wait: Seconds a sync-mode delivery waits for its consumer to take
            the previous answer before it syncs again to keep the subscription alive
            (5 s by default).
        sleep: Called with the seconds of each wait between request retries instead of
            sleeping: pass `list.append` to see the waits a client chose (a coroutine
            function works for `AsyncClient`).

    Returns:
        A context manager; the waits in force inside it are its value.
    """
    global _current  # noqa: PLW0603 - one setting for every client, restored on exit
    previous = _current
    changed = previous
    if backoff is not None:
        fixed = wait_fixed(backoff)
        changed = dataclasses.replace(
            changed, retry_backoff=fixed, reconnect_backoff=fixed, reconnect_pause=backoff
        )
    if sync_delivery_wait is not None:
        changed = dataclasses.replace(changed, sync_delivery_wait=sync_delivery_wait)
    if sleep is not None:
        changed = dataclasses.replace(changed, sleep=sleep)
    _current = changed
    try:
        yield changed
    finally:
        _current = previous


async def sleep_async(seconds: float, default: Callable[[float], Awaitable[None]]) -> None:
    """Wait between request retries on the async client (`default`: `asyncio.sleep`)."""
    hook = _current.sleep
    if hook is None:
        await default(seconds)
        return
    result = hook(seconds)
    if inspect.isawaitable(result):
        await result
