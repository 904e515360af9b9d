"""Subscription delivery that keeps going: streams, sync polling and recovery.

One asyncio implementation serves both clients. `Delivery` keeps one
subscription's updates flowing into a sink: it streams (SSE) or polls (sync),
reconnects with backoff (tenacity) after errors and after a clean end of
stream, drops repeated updates and reports jumps in sequence numbers, re-creates
a subscription the server forgot (TTL expiry, restart) and can read current
values again afterwards. The async client runs deliveries as tasks on its own
loop; the sync client runs them on a private event-loop thread
(`LoopThread`) and calls its callbacks from one dispatcher thread.

Between the network and the consumer sits a bounded buffer. When it is full
the network side waits (backpressure): a sync-mode subscription then stops
acknowledging, so the server keeps the updates (and reports any overflow as a
gap); a stream stops reading, so TCP slows the server down. Nothing is dropped
on the client.

Dead connections: stream connections use TCP keepalive, so a peer that vanished
without closing the connection is noticed within about half a minute, while a
healthy stream that is quiet (one real server sends no heartbeat at all) is
never torn down. `stream_idle_timeout` adds an application-level limit for
networks that keep dead connections looking alive.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import inspect
import logging
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeVar

import httpx
from httpx_sse import SSEError, aconnect_sse
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_never,
    wait_exponential,
    wait_random,
)

from ._exceptions import (
    BulkError,
    I3XError,
    NotFoundError,
    NotSupportedError,
    StreamError,
    SubscriptionError,
    SubscriptionLostError,
    TimeoutError,
)
from ._models import LastKnownValue, Subscription, ValueChange
from ._subscriptions import (
    Delivered,
    DeliverySettings,
    Event,
    Sequencer,
    depth_groups,
    gap_notice,
    parse_stream_event,
    replace_subscription_id,
)
from ._wire import Call, map_transport_error, raise_for_status

if TYPE_CHECKING:
    from ._async_client import AsyncClient

__all__ = [
    "Delivery",
    "start_delivery",
    "stop_delivery",
    "ThreadBuffer",
    "AsyncBuffer",
    "LoopThread",
    "ThreadDispatcher",
    "AsyncDispatcher",
    "SubscriptionStream",
    "AsyncSubscriptionStream",
    "KEEPALIVE_SOCKET_OPTIONS",
]

logger = logging.getLogger("i3x.subscriptions")

_T = TypeVar("_T")

RECONNECT_INITIAL: Final = 0.5
RECONNECT_MAX: Final = 30.0
DEFAULT_BUFFER_SIZE: Final = 1000
"""Delivered units (a stream event or a sync batch each) buffered between network and consumer."""

STOP_TIMEOUT: Final = 2.0

SYNC_MIN_WAIT: Final = 0.01
"""The first wait after an empty sync; it doubles up to `poll_interval`."""

SYNC_DELIVERY_WAIT: Final = 5.0
"""The longest a sync waits for the consumer to take the previous answer (see
`Delivery._until_delivered`)."""


def _keepalive_options() -> list[tuple[int, int, int]]:
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    idle = getattr(socket, "TCP_KEEPIDLE", None) or getattr(socket, "TCP_KEEPALIVE", None)
    for opt, value in (
        (idle, 15),
        (getattr(socket, "TCP_KEEPINTVL", None), 5),
        (getattr(socket, "TCP_KEEPCNT", None), 3),
    ):
        if opt is not None:
            options.append((socket.IPPROTO_TCP, opt, value))
    return options


KEEPALIVE_SOCKET_OPTIONS: Final = _keepalive_options()
"""Probe an idle connection after 15 s, every 5 s, and give up after 3 silent probes."""


class _Reconnect(Exception):
    """A stream session ended without delivering anything: back off before the next."""


class _SwitchToSync(Exception):
    """The server does not stream (501): deliver by sync instead."""


# ------------------------------------------------------------------------------ sinks


class Sink(Protocol):
    """Where a delivery puts what it received; `put` waits while the sink is full."""

    async def put(self, item: Delivered) -> None: ...

    def pending(self, owner: object) -> int: ...


class ThreadBuffer:
    """A bounded buffer from an event loop (producer) to a thread (consumer)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int = DEFAULT_BUFFER_SIZE) -> None:
        self._loop = loop
        self._maxsize = maxsize
        self._items: collections.deque[Delivered] = collections.deque()
        self._cond = threading.Condition()
        self._space = asyncio.Event()
        self._pending: collections.Counter[int] = collections.Counter()
        self._closed = False
        self._producer_waits = False

    async def put(self, item: Delivered) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                if len(self._items) < self._maxsize:
                    self._items.append(item)
                    self._pending[id(item.owner)] += len(item.changes)
                    self._cond.notify()
                    return
                self._space.clear()
                self._producer_waits = True
            await self._space.wait()

    def get(self, timeout: float | None = None) -> Delivered | None:
        """The next item; `None` once closed and empty.

        Raises:
            TimeoutError: Nothing arrived within `timeout` seconds (`i3x.TimeoutError`).
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._items or self._closed, timeout):
                raise TimeoutError(f"no subscription event within {timeout} s")
            if not self._items:
                return None
            item = self._items.popleft()
            self._pending[id(item.owner)] -= len(item.changes)
            # Waking the loop costs a system call: only when a producer waits for space.
            wake, self._producer_waits = self._producer_waits, False
        if wake:
            # RuntimeError: the loop closed in between, and nobody waits any more.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._space.set)
        return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def pending(self, owner: object) -> int:
        with self._cond:
            return max(0, self._pending[id(owner)])


class AsyncBuffer:
    """A bounded buffer within one event loop."""

    def __init__(self, maxsize: int = DEFAULT_BUFFER_SIZE) -> None:
        self._queue: asyncio.Queue[Delivered | None] = asyncio.Queue(maxsize)
        self._pending: collections.Counter[int] = collections.Counter()
        self._closed = False

    async def put(self, item: Delivered) -> None:
        if self._closed:
            return
        self._pending[id(item.owner)] += len(item.changes)
        await self._queue.put(item)

    async def get(self) -> Delivered | None:
        """The next item; `None` once closed."""
        if self._closed and self._queue.empty():
            return None
        item = await self._queue.get()
        if item is not None:
            self._pending[id(item.owner)] -= len(item.changes)
        return item

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(asyncio.QueueFull):  # a full queue wakes its reader anyway
            self._queue.put_nowait(None)

    def pending(self, owner: object) -> int:
        return max(0, self._pending[id(owner)])


# --------------------------------------------------------------------------- delivery


def _reconnect_wait() -> Any:
    return wait_exponential(multiplier=RECONNECT_INITIAL, max=RECONNECT_MAX) + wait_random(
        0, RECONNECT_INITIAL
    )


def _is_transient(exc: BaseException) -> bool:
    return isinstance(
        exc, _Reconnect | I3XError | httpx.HTTPError | SSEError | OSError
    ) and not isinstance(exc, NotSupportedError)


class _Ended(Exception):
    """Delivery cannot go on (the subscription is gone and cannot be re-created)."""

    def __init__(self, notice: SubscriptionError) -> None:
        super().__init__(str(notice))
        self.notice = notice


class Delivery:
    """Keeps one subscription's updates flowing from the server into a sink.

    `user_id` is the id the user holds; `server_id` the one the server knows
    now (they differ once the subscription was re-created).
    """

    def __init__(
        self,
        api: AsyncClient,
        *,
        user_id: str,
        settings: DeliverySettings,
        sink: Sink,
    ) -> None:
        self.api = api
        self.user_id = user_id
        self.server_id = user_id
        self.settings = settings
        self.sink = sink
        self.mode: Literal["stream", "sync"] = "sync"
        self.streaming = False
        self.stopped = False
        self.delivered_seq: int | None = None
        self.server_acked: int | None = None
        """The acknowledgement the server last received from this delivery (sync mode)."""
        self.epoch = 0
        self._sequencer = Sequencer()
        self._reconnects = 0
        self._task: asyncio.Task[None] | None = None
        self.started = asyncio.Event()
        """Set once the first stream is open or the first sync answered."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._awaited: int | None = None
        self._handed: int | None = None
        """The newest sequence number put into the sink (sync mode, this epoch)."""
        self._caught_up = asyncio.Event()
        self.failure: SubscriptionError | None = None
        """Why delivery ended by itself, if it did."""
        self.handed_over = False
        """Set once the starter stopped waiting: later failures go to the consumer, not
        to the starter."""

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        # Resume where an earlier delivery (or plain syncs) left off: acknowledge what was
        # delivered, and treat anything up to it as already seen.
        with self.api._state.lock:
            acked = self.api._state.acks.get(self.server_id)
        if acked is not None:
            self.delivered_seq = acked
            self._sequencer.last = acked
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name=f"i3x-delivery-{self.user_id}")

    async def stop(self) -> None:
        """Stop delivering (promptly: the task is cancelled where it waits)."""
        self.stopped = True
        task, self._task = self._task, None
        # A task of an event loop that has ended (AsyncClient across asyncio.run() calls)
        # delivers nothing any more, and can be neither cancelled nor awaited from here.
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            # wait() rather than await: the task's own CancelledError is expected,
            # while a cancellation of the caller must still propagate.
            await asyncio.wait({task})
        await self.api._close_pool()

    def mark_delivered(self, item: Delivered, count: int | None = None) -> None:
        """Record that `item` (or its first `count` changes) reached the consumer, so
        sync mode may acknowledge it.

        Called from the consumer's thread; the record lets a later plain
        `sync_subscription()` (after `stop_stream()`) acknowledge exactly this much.
        """
        seq = item.seq if count is None else item.acknowledgeable(count)
        if seq is None:
            return
        # Under the lock with _recreate: a late mark of the old subscription's item must
        # not acknowledge anything on the new one.
        with self.api._state.lock:
            if item.epoch != self.epoch or (
                self.delivered_seq is not None and seq <= self.delivered_seq
            ):
                return
            self.delivered_seq = seq
            self.api._state.acks[self.server_id] = seq
            awaited = self._awaited
        if awaited is not None and seq >= awaited and self._loop is not None:
            # RuntimeError: the loop has closed, and nothing waits any more.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._caught_up.set)

    # -------------------------------------------------------------------- run

    async def _run(self) -> None:
        try:
            info = self.api.server_info
            wants_stream = self.settings.mode == "stream" or (
                self.settings.mode == "auto"
                and info is not None
                and info.capabilities.subscribe.stream
            )
            self.mode = "stream" if wants_stream else "sync"
            while not self.stopped:
                if self.mode == "stream":
                    await self._stream_loop()
                else:
                    await self._sync_loop()
        except asyncio.CancelledError:
            raise
        except _Ended as end:
            self.failure = end.notice
            if self.handed_over:
                await self._notify(end.notice)
            else:  # the starter is still waiting and raises it
                logger.warning("subscription %s: %s", self.user_id, end.notice)
        except Exception as exc:  # a bug or an unrecoverable state: say so, never vanish
            logger.exception("delivery of subscription %s stopped", self.user_id)
            await self._notify(
                SubscriptionError(f"delivery stopped: {exc}", subscription_id=self.user_id)
            )
        finally:
            self.streaming = False
            self.started.set()

    async def _notify(self, notice: SubscriptionError) -> None:
        notice = replace_subscription_id(notice, self.user_id)
        logger.warning("subscription %s: %s", self.user_id, notice)
        await self.sink.put(Delivered(notice=notice, owner=self, epoch=self.epoch))

    async def _with_backoff(self, attempt_fn: Callable[[], Awaitable[_T]]) -> _T:
        async def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            if exc is not None and not isinstance(exc, _Reconnect):
                await self._notify(self._as_notice(exc))

        async for attempt in AsyncRetrying(
            stop=stop_never,
            wait=_reconnect_wait(),
            retry=retry_if_exception(_is_transient),
            before_sleep=before_sleep,
            sleep=self.api._sleep,
            reraise=True,
        ):
            with attempt:
                return await attempt_fn()
        raise AssertionError(
            "unreachable: the retry loop never stops by itself"
        )  # pragma: no cover

    def _as_notice(self, exc: BaseException) -> SubscriptionError:
        if isinstance(exc, SubscriptionError):
            return exc
        # i3x.TimeoutError is an OSError too, and already says what happened.
        if isinstance(exc, httpx.HTTPError | OSError) and not isinstance(exc, I3XError):
            exc = map_transport_error(
                exc if isinstance(exc, Exception) else Exception(str(exc)), None
            )
        what = "stream" if self.mode == "stream" else "sync"
        notice = StreamError(f"{what} failed: {exc}; retrying", subscription_id=self.user_id)
        notice.__cause__ = exc
        return notice

    # ----------------------------------------------------------------- stream

    async def _stream_loop(self) -> None:
        while not self.stopped and self.mode == "stream":
            try:
                delivered = await self._with_backoff(self._stream_session)
            except _SwitchToSync:
                self.mode = "sync"
                return
            if delivered:  # a healthy session ended: pause briefly, then a fresh backoff
                await self.api._sleep(RECONNECT_INITIAL)

    async def _stream_session(self) -> bool:
        """Open the stream once and deliver until it ends; True if anything arrived."""
        got_any = False
        http = await self.api._stream_pool()
        url = self.api._url(Call("POST", "/subscriptions/stream", parse=lambda r: r))
        body = self.api._subscription_body(self.server_id)
        timeout = httpx.Timeout(
            self.api.timeout.read,
            connect=self.api.timeout.connect,
            read=self.settings.stream_idle_timeout,
        )
        try:
            async with aconnect_sse(http, "POST", url, json=body, timeout=timeout) as source:
                response = source.response
                if response.status_code >= 400:
                    await response.aread()
                    raise_for_status(response)
                self.streaming = True
                self.started.set()
                if self._reconnects and self.settings.resync:
                    await self._resync()
                async for sse in source.aiter_sse():
                    try:
                        changes = parse_stream_event(sse.data, self.user_id)
                    except StreamError as exc:
                        await self._notify(exc)
                        continue
                    await self._deliver_stream_changes(changes)
                    got_any = True
            ended: SubscriptionError = StreamError(
                "the server ended the stream (another stream took it over, or the server "
                "restarted); reconnecting",
                subscription_id=self.user_id,
            )
        except NotFoundError:
            self.streaming = False
            await self._recreate()
            return True
        except NotSupportedError:
            self.streaming = False
            await self._notify(
                SubscriptionError(
                    "the server does not stream (501); delivering by sync instead",
                    subscription_id=self.user_id,
                )
            )
            raise _SwitchToSync from None
        except httpx.ReadTimeout:
            ended = StreamError(
                f"the stream sent nothing for {self.settings.stream_idle_timeout} s; reconnecting",
                subscription_id=self.user_id,
            )
        except (httpx.HTTPError, SSEError, OSError, I3XError) as exc:
            ended = self._as_notice(exc)
        finally:
            self.streaming = False
        self._reconnects += 1
        await self._notify(ended)
        if not got_any:
            raise _Reconnect
        return True

    async def _deliver_stream_changes(self, changes: list[ValueChange]) -> None:
        fresh: list[ValueChange] = []
        for change in changes:
            is_new, gap = self._sequencer.admit(change.sequence_number)
            if gap is not None:
                await self._flush(fresh)
                fresh = []
                await self._notify(
                    gap_notice(self.user_id, gap[0], gap[1], "skipped by the stream")
                )
            if is_new:
                fresh.append(change)
        await self._flush(fresh)

    async def _flush(self, changes: list[ValueChange]) -> None:
        if changes:
            await self.sink.put(Delivered(changes=changes, owner=self, epoch=self.epoch))

    # ------------------------------------------------------------------- sync

    async def _sync_loop(self) -> None:
        # After updates came, sync again at once; after empty answers, wait longer and
        # longer, up to poll_interval: quick after activity, light on an idle server.
        idle_wait = 0.0
        while not self.stopped and self.mode == "sync":
            result = await self._with_backoff(self._sync_once)
            if result is None:  # the subscription was re-created
                continue
            self.started.set()
            if result.gap is not None:
                await self._notify(result.gap)
            # One delivery unit per answer, not per batch: servers that put one update
            # in each batch would otherwise pay the buffer's cost per update.
            changes: list[ValueChange] = []
            newest: int | None = None
            for batch in result:
                is_new, _ = self._sequencer.admit(batch.sequence_number)
                if is_new:
                    changes.extend(batch.updates)
                    newest = batch.sequence_number
            if newest is None:
                handed = self._handed
                if handed is not None and (
                    self.delivered_seq is None or self.delivered_seq < handed
                ):
                    # Only a keepalive while the consumer still holds an answer: wait
                    # for it again rather than poll (each poll sends the same batches).
                    await self._until_delivered(handed)
                    continue
                idle_wait = min(self.settings.poll_interval, max(SYNC_MIN_WAIT, idle_wait * 2))
                await self.api._sleep(idle_wait)
                continue
            idle_wait = 0.0
            await self.sink.put(
                Delivered(changes=changes, seq=newest, owner=self, epoch=self.epoch)
            )
            self._handed = newest
            await self._until_delivered(newest)

    async def _until_delivered(self, seq: int) -> None:
        """Wait until the consumer has taken everything up to `seq`.

        A sync acknowledges only what was delivered, and the server answers with all it
        has not seen acknowledged: syncing before the consumer caught up fetches the same
        batches again (with a fast producer, 3 of every 4 updates were decoded twice).
        The wait is bounded so that a slow consumer still keeps the subscription alive
        on the server, whose TTL counts from the last sync.
        """
        self._caught_up.clear()
        with self.api._state.lock:  # as mark_delivered: it records, then reads _awaited
            self._awaited = seq
            behind = self.delivered_seq is None or self.delivered_seq < seq
        try:
            if behind:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._caught_up.wait(), SYNC_DELIVERY_WAIT)
        finally:
            self._awaited = None

    async def _sync_once(self) -> Any:
        ack = self.delivered_seq
        flow = self.api._sync_subscription(
            self.server_id, ack, auto_ack=False, delivery=True, stamp_as=self.user_id
        )
        try:
            result = await self.api._drive(flow)
        except NotFoundError:
            await self._recreate()
            return None
        self.server_acked = ack
        return result

    # --------------------------------------------------------------- recovery

    async def _recreate(self) -> None:
        """The server forgot the subscription: create and register it again."""
        api = self.api
        with api._state.lock:
            record = api._state.subscriptions.get(self.server_id)
        if record is None:
            raise _Ended(
                SubscriptionError(
                    f"subscription {self.server_id} does not exist on the server (or no longer), "
                    "and this client did not create it, so it cannot re-create it; "
                    "delivery stopped",
                    subscription_id=self.user_id,
                )
            )
        old_id = self.server_id
        new_id = await api._drive(api._create_subscription(record.display_name))
        failed: dict[str, I3XError] = {}
        for depth, ids in depth_groups(record.monitored).items():
            try:
                await api._drive(api._register_items(new_id, ids, depth))
            except BulkError as exc:
                failed.update(exc.errors)
        with api._state.lock:
            api._state.subscriptions.pop(old_id, None)
            api._state.acks.pop(old_id, None)
            self.server_id = new_id
            self.epoch += 1
            self.delivered_seq = None
            self._handed = None
        self._sequencer.reset()
        notice = SubscriptionLostError(
            f"the server no longer had subscription {old_id} (expired or restarted); it was "
            f"re-created as {new_id} and delivery resumed. Changes in between were not seen"
            + ("; current values are read again" if self.settings.resync else ""),
            subscription_id=self.user_id,
        )
        notice.new_subscription_id = new_id  # type: ignore[attr-defined]
        await self._notify(notice)
        if failed:
            await self._notify(
                SubscriptionError(
                    f"{len(failed)} element(s) could not be registered again: {', '.join(failed)}",
                    subscription_id=self.user_id,
                )
            )
        if self.settings.resync:
            await self._resync()

    async def _resync(self) -> None:
        """Deliver the current values of every monitored element (`resync=True`)."""
        api = self.api
        with api._state.lock:
            record = api._state.subscriptions.get(self.server_id)
            monitored = dict(record.monitored) if record is not None else {}
        for depth, ids in depth_groups(monitored).items():
            values: dict[str, LastKnownValue]
            try:
                values = await api._drive(api._get_values(ids, depth))
            except BulkError as exc:
                values = exc.results
            changes = [
                ValueChange(
                    element_id=v.element_id,
                    data=v.data,
                    children=v.children,
                    is_composition=v.is_composition,
                    subscription_id=self.user_id,
                    resync=True,
                )
                for v in values.values()
            ]
            await self._flush(changes)


async def start_delivery(
    config: Any, sub_id: str, settings: DeliverySettings, sink: Sink, start_timeout: float
) -> Delivery:
    """Start delivering a subscription and wait (a bounded time) until it is live."""
    from ._async_client import AsyncClient  # the runtime needs the async driver

    delivery = Delivery(
        AsyncClient._for_delivery(config), user_id=sub_id, settings=settings, sink=sink
    )
    with config._state.lock:
        config._state.deliveries[sub_id] = delivery
    delivery.start()
    try:
        await asyncio.wait_for(delivery.started.wait(), start_timeout)
    except asyncio.TimeoutError:
        logger.warning("subscription %s: delivery not live yet; it keeps trying", sub_id)
    delivery.handed_over = True
    if delivery.failure is not None:
        with config._state.lock:
            config._state.deliveries.pop(sub_id, None)
        await delivery.stop()
        raise delivery.failure
    return delivery


async def stop_delivery(config: Any, key: str) -> None:
    """Stop delivering a subscription, by the id the user holds or the server's."""
    delivery = config._delivery_for(key)
    if delivery is None:
        return
    with config._state.lock:
        config._state.deliveries.pop(delivery.user_id, None)
    await delivery.stop()


# -------------------------------------------------------------------- consumers


def _report_callback_error(client: Any, callback: Callable[..., Any], exc: Exception) -> None:
    logger.error("an i3x callback raised", exc_info=exc)
    on_error = client.on_error
    if on_error is not None and callback is not on_error:
        try:
            on_error(client, exc)
        except Exception:
            logger.exception("on_error raised while reporting a callback's error")


def _call_safely(client: Any, callback: Callable[..., Any] | None, *args: Any) -> Any:
    if callback is None:
        return None
    try:
        return callback(client, *args)
    except Exception as exc:
        _report_callback_error(client, callback, exc)
        return None


class ThreadDispatcher:
    """Runs the sync client's callbacks on one thread, in arrival order."""

    def __init__(self, client: Any, buffer: ThreadBuffer) -> None:
        self._client = client
        self._buffer = buffer
        self._progress = threading.Condition()
        self._taken = self._done = 0
        self._thread = threading.Thread(target=self._run, name="i3x-dispatcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._buffer.get()
            if item is None:
                return
            with self._progress:
                self._taken += 1
            try:
                deliver(self._client, item)
            finally:
                with self._progress:
                    self._done += 1
                    self._progress.notify_all()

    def wait_idle(self, timeout: float = STOP_TIMEOUT) -> None:
        """Wait until the item being delivered now is done, so that a stopped delivery
        gets no callback after this returns.

        A callback that stops its own subscription does not wait for itself.
        """
        if threading.current_thread() is self._thread:
            return
        with self._progress:
            target = self._taken
            self._progress.wait_for(lambda: self._done >= target, timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        self._buffer.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def deliver(client: Any, item: Delivered) -> None:
    """Hand one item to the client's callbacks (sync client).

    A delivery stopped meanwhile gets no more callbacks, not even for the rest of this
    item: in sync mode only what went out is acknowledged, the rest comes again.
    """
    if item.subscribed is not None:  # on_subscribe's item: no delivery owns it
        _call_safely(client, client.on_subscribe, item.subscribed)
        return
    owner: Delivery = item.owner
    callback = client.on_value_change
    done = 0
    if callback is not None:
        for change in item.changes:  # the hot loop: the call, one check
            if owner.stopped:
                break
            try:
                callback(client, change)
            except Exception as exc:
                _report_callback_error(client, callback, exc)
            done += 1
    else:  # nobody listens: the changes count as delivered, unless stopped already
        done = 0 if owner.stopped else len(item.changes)
    if owner.stopped:  # no notice then, and only what went out is acknowledged
        owner.mark_delivered(item, done)
        return
    if item.notice is not None and client.on_error is not None:
        _call_safely(client, client.on_error, item.notice)
    owner.mark_delivered(item)


class AsyncDispatcher:
    """Runs the async client's callbacks (plain or coroutine) in one task, in order."""

    def __init__(self, client: Any, buffer: AsyncBuffer) -> None:
        self._client = client
        self._buffer = buffer
        self._working: asyncio.Future[None] | None = None
        self._task = asyncio.get_running_loop().create_task(self._run(), name="i3x-dispatcher")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            item = await self._buffer.get()
            if item is None:
                return
            self._working = loop.create_future()
            try:
                await self._deliver(item)
            finally:
                self._working.set_result(None)

    async def wait_idle(self, timeout: float = STOP_TIMEOUT) -> None:
        """As `ThreadDispatcher.wait_idle()`: wait for the item being delivered now."""
        working = self._working
        if asyncio.current_task() is not self._task and working is not None:
            await asyncio.wait({working}, timeout=timeout)

    async def _deliver(self, item: Delivered) -> None:
        if item.subscribed is not None:  # on_subscribe's item: no delivery owns it
            await self._call(self._client.on_subscribe, item.subscribed)
            return
        owner: Delivery = item.owner
        done = 0
        for change in item.changes:
            if owner.stopped:  # as in deliver(): nothing more, acknowledge what went out
                break
            await self._call(self._client.on_value_change, change)
            done += 1
        if owner.stopped:
            owner.mark_delivered(item, done)
            return
        if item.notice is not None and self._client.on_error is not None:
            await self._call(self._client.on_error, item.notice)
        owner.mark_delivered(item)

    async def _call(self, callback: Callable[..., Any] | None, *args: Any) -> None:
        result = _call_safely(self._client, callback, *args)
        if inspect.isawaitable(result):
            try:
                await result
            except Exception as exc:
                logger.exception("an i3x callback raised")
                on_error = self._client.on_error
                if on_error is not None and callback is not on_error:
                    await self._call(on_error, exc)

    async def stop(self) -> None:
        self._buffer.close()
        task = self._task
        if not task.done():
            task.cancel()
            # wait() rather than await: the task's own CancelledError is expected,
            # while a cancellation of the caller must still propagate.
            await asyncio.wait({task})


class LoopThread:
    """A private event loop on a daemon thread, for the sync client's deliveries."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="i3x-delivery", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(self.loop)
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def call(self, coro: Awaitable[_T], timeout: float | None = None) -> _T:
        """Run a coroutine on the loop and wait for its result."""
        future: concurrent.futures.Future[_T] = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        return future.result(timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


# -------------------------------------------------------------------- pull form


class _PullForm:
    """What both pull forms share: the subscription, and unpacking delivered items.

    An item counts as delivered (and, in sync mode, may be acknowledged) once the
    caller asks for the event after its last one.
    """

    def __init__(self, subscription: Subscription, delivery: Delivery) -> None:
        self.subscription = subscription
        """The subscription being delivered."""
        self._delivery = delivery
        self._ready: collections.deque[Event] = collections.deque()
        self._current: Delivered | None = None

    @property
    def subscription_id(self) -> str:
        """The id the server knows the subscription by now (it changes after a re-creation)."""
        return self._delivery.server_id

    @property
    def mode(self) -> Literal["stream", "sync"]:
        """How updates arrive: `stream` or `sync`."""
        return self._delivery.mode

    def _next_ready(self) -> Event | None:
        """The next unpacked event; when none is left, the current item is done."""
        if self._ready:
            return self._ready.popleft()
        if self._current is not None:
            self._delivery.mark_delivered(self._current)
            self._current = None
        return None

    def _unpack(self, item: Delivered) -> None:
        self._current = item
        self._ready.extend(item.changes)
        if item.notice is not None:
            self._ready.append(item.notice)


class SubscriptionStream(_PullForm):
    """The pull form of a subscription (sync): iterate to receive its events in order.

    Yields [`ValueChange`][i3x.ValueChange] objects and, when something could not be
    delivered, notices ([`UpdatesLostError`][i3x.UpdatesLostError] for a gap,
    [`SubscriptionLostError`][i3x.SubscriptionLostError] after a re-creation,
    [`StreamError`][i3x.StreamError] after a reconnect). Iteration ends when the
    subscription is closed.
    """

    def __init__(
        self,
        subscription: Subscription,
        buffer: ThreadBuffer,
        delivery: Delivery,
        closer: Callable[[], None],
    ) -> None:
        super().__init__(subscription, delivery)
        self._buffer = buffer
        self._closer = closer

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        event = self.get()
        if event is None:
            raise StopIteration
        return event

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, waiting up to `timeout` seconds; `None` once closed.

        Raises:
            TimeoutError: Nothing arrived in time: an `i3x.TimeoutError`, which is also
                the builtin `TimeoutError`.
        """
        while (event := self._next_ready()) is None:
            item = self._buffer.get(timeout)
            if item is None:
                return None
            self._unpack(item)
        return event

    def close(self) -> None:
        """Stop the subscription and delete it on the server."""
        self._closer()


class AsyncSubscriptionStream(_PullForm):
    """The pull form of a subscription (async): `async for` its events, in order.

    Yields what [`SubscriptionStream`][i3x.SubscriptionStream] yields.
    """

    def __init__(
        self,
        subscription: Subscription,
        buffer: AsyncBuffer,
        delivery: Delivery,
        closer: Callable[[], Awaitable[None]],
    ) -> None:
        super().__init__(subscription, delivery)
        self._buffer = buffer
        self._closer = closer

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        event = await self.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event, waiting up to `timeout` seconds; `None` once closed.

        Raises:
            TimeoutError: Nothing arrived in time: an `i3x.TimeoutError`, which is also
                the builtin `TimeoutError`.
        """
        while (event := self._next_ready()) is None:
            try:
                item = await asyncio.wait_for(self._buffer.get(), timeout)
            except asyncio.TimeoutError:
                raise TimeoutError(f"no subscription event within {timeout} s") from None
            if item is None:
                return None
            self._unpack(item)
        return event

    async def close(self) -> None:
        """Stop the subscription and delete it on the server."""
        await self._closer()
