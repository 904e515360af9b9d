"""Merging concurrent single-element reads of `AsyncClient` into one bulk request.

i3X reads are bulk: fifty `get_value()` calls in flight on one event loop cost one
`POST /objects/value` when merged. The first read of a kind schedules a flush for the
end of the current loop iteration; reads arriving until then join it. Every caller
gets its own result, or the error of its own item, or the error of the whole request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from ._exceptions import BulkError, I3XError
from ._flows import Flow

__all__ = ["BulkRead", "Coalescer", "Runner"]

BulkRead = Callable[[list[str]], Flow[dict[str, Any]]]
"""The bulk flow for a list of ids: results keyed by id."""

Runner = Callable[[Flow[dict[str, Any]]], Awaitable[dict[str, Any]]]
"""How to run such a flow (the client's `_run`, which connects first if needed)."""

_Pending = list[tuple[str, "asyncio.Future[Any]"]]


class Coalescer:
    """Merges concurrent single-element reads of one event loop into bulk requests."""

    def __init__(self) -> None:
        self._pending: dict[Hashable, _Pending] = {}
        self._sending: set[asyncio.Task[None]] = set()

    async def read(self, kind: Hashable, key: str, bulk: BulkRead, run: Runner) -> Any:
        """`key`'s result from a bulk read of `kind`, merged with the others in flight.

        `kind` says which reads may merge (the operation, its arguments, and the
        options of the view it came from).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        batch = self._pending.get(kind)
        if batch is None:
            batch = self._pending[kind] = []
            loop.call_soon(self._flush, kind, bulk, run)
        batch.append((key, future))
        return await future

    def _flush(self, kind: Hashable, bulk: BulkRead, run: Runner) -> None:
        batch = self._pending.pop(kind)
        task = asyncio.get_running_loop().create_task(self._send(batch, bulk, run))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    @staticmethod
    async def _send(batch: _Pending, bulk: BulkRead, run: Runner) -> None:
        ids = list(dict.fromkeys(key for key, _ in batch))
        errors: dict[str, I3XError] = {}
        try:
            results = await run(bulk(ids))
        except BulkError as exc:
            results, errors = exc.results, exc.errors
        except BaseException as exc:  # the request as a whole failed, or was cancelled
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for key, future in batch:
            if future.done():  # its caller was cancelled
                continue
            if key in errors:
                future.set_exception(errors[key])
            else:
                future.set_result(results[key])
