"""Subscription delivery that keeps going: streams, sync polling and recovery.

One asyncio implementation serves both clients. A `Delivery` keeps one subscription's
updates flowing into a sink (`i3x._events.Sink`): it streams (SSE) or polls (sync),
reconnects with backoff (tenacity) after errors and after a clean end of stream, drops
repeated updates and reports jumps in sequence numbers, re-creates a subscription the
server forgot (TTL expiry, restart) and can read current values again afterwards.

Each delivery has a driver of its own (`AsyncDriver(keepalive=True)`: its own pool, so
that its stream has a dedicated connection) and runs the operations it needs
(`sync_flow`, `create_subscription_flow`, `register_items_flow`, `get_values_flow`)
with the client's `Context`. The async client runs deliveries as tasks on its event
loop; the sync client runs them on a private event-loop thread (`i3x._dispatch`).

Between the network and the consumer sits the sink, a bounded buffer. When it is full
the network side waits (backpressure): a sync-mode subscription then stops
acknowledging, so the server keeps the updates (and reports any overflow as a gap); a
stream stops reading once `HANDOVER_LIMIT` events it read wait to be delivered too, so
TCP slows the server down. Nothing is dropped on the client.

Dead connections: stream connections use TCP keepalive, so a peer that vanished
without closing the connection is noticed within about half a minute, while a healthy
stream that is quiet (one real server sends no heartbeat at all) is never torn down.
`stream_idle_timeout` adds an application-level limit for networks that keep dead
connections looking alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import httpx
from httpx_sse import SSEError, aconnect_sse
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_never

from ._driver import AsyncDriver
from ._events import (
    Delivered,
    DeliverySettings,
    Sequencer,
    Sink,
    depth_groups,
    gap_notice,
    parse_stream_event,
    parse_stream_events,
    replace_subscription_id,
)
from ._exceptions import (
    BulkError,
    I3XError,
    NotFoundError,
    NotSupportedError,
    StreamError,
    SubscriptionError,
    SubscriptionLostError,
)
from ._flows import Context
from ._models import LastKnownValue, ValueChange
from ._sse import EventSplitter
from ._subscriptions import (
    SyncResult,
    create_subscription_flow,
    register_items_flow,
    subscription_body,
    sync_flow,
)
from ._timing import current
from ._values import get_values_flow
from ._wire import Call, map_transport_error, raise_for_status

__all__ = ["Delivery", "start_delivery", "stop_delivery"]

logger = logging.getLogger("i3x.subscriptions")

_T = TypeVar("_T")

SYNC_MIN_WAIT = 0.01
"""The first wait after an empty sync; it doubles up to `poll_interval`."""


class _Reconnect(Exception):
    """A stream session ended without delivering anything: back off before the next."""


class _SwitchToSync(Exception):
    """The server does not stream (501): deliver by sync instead."""


class _Ended(Exception):
    """Delivery cannot go on (the subscription is gone and cannot be re-created)."""

    def __init__(self, notice: SubscriptionError) -> None:
        super().__init__(str(notice))
        self.notice = notice


def _check_event_stream(response: httpx.Response) -> None:
    """Refuse an answer that is no event stream, as httpx-sse's `aiter_sse()` would."""
    content_type = response.headers.get("content-type", "").partition(";")[0]
    if "text/event-stream" not in content_type:
        raise SSEError(
            f"Expected response header Content-Type to contain 'text/event-stream', got {content_type!r}"
        )


HANDOVER_LIMIT = 1000
"""The most events read and not yet taken for delivery: then the stream is not read
until they are (a full buffer makes delivery wait, and TCP then slows the server)."""


class _Handover:
    """Between reading a stream and delivering its events: two tasks of one session.

    The reader adds the events of each read and reads on; the deliverer takes all that
    waits at once, which is when the reader waits for the network. A server that writes
    an HTTP chunk per event (most do) makes every read one event, however many the
    socket holds: taken together, they are parsed in one call and handed over as one
    unit, instead of climbing the parsing, sequencing and hand-over one by one.
    """

    def __init__(self, deliver: Callable[[list[bytes]], Awaitable[None]], name: str) -> None:
        self._deliver = deliver
        self._waiting: list[bytes] = []
        self.added = False
        """Whether any event came."""
        self._arrived = asyncio.Event()
        self._taken = asyncio.Event()
        self._ended = False
        self._reader = asyncio.current_task()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=name)

    async def _run(self) -> None:
        try:
            while True:
                await self._arrived.wait()
                self._arrived.clear()
                datas, self._waiting = self._waiting, []
                self._taken.set()
                if datas:
                    await self._deliver(datas)
                if self._ended and not self._waiting:
                    return
        except Exception:
            # The reader may wait for a quiet stream for hours: interrupt it, so that it
            # raises this now (`failure()`), as delivery within the reader did.
            if not self._ended and self._reader is not None:
                self._reader.cancel()
            raise
        finally:
            self._taken.set()  # a reader waiting for room never waits for an ended task

    def failure(self) -> BaseException | None:
        """What the deliverer failed with, if it failed."""
        task = self._task
        return task.exception() if task.done() and not task.cancelled() else None

    async def add(self, datas: list[bytes]) -> None:
        """Events for delivery, in order; waits while too many are not taken yet."""
        self.added = True
        self._waiting += datas
        self._arrived.set()
        if len(self._waiting) >= HANDOVER_LIMIT:
            # A deliverer that failed meanwhile has cancelled this wait (see `_run`).
            self._taken.clear()
            await self._taken.wait()

    async def close(self) -> None:
        """Deliver what was read, then end (also after a failed read)."""
        self._ended = True
        self._arrived.set()
        await self._task

    async def abort(self) -> None:
        """End without delivering what waits (delivery stopped)."""
        self._task.cancel()
        await asyncio.wait({self._task})


def _still_cancelled() -> bool:
    """After the deliverer's own cancel of the reader: whether someone else cancelled it too.

    Python 3.10 counts no cancel requests (`Task.uncancel`): there, the failure wins.
    """
    uncancel = getattr(asyncio.current_task(), "uncancel", None)
    return uncancel is not None and uncancel() > 0


def _is_transient(exc: BaseException) -> bool:
    return isinstance(
        exc, _Reconnect | I3XError | httpx.HTTPError | SSEError | OSError
    ) and not isinstance(exc, NotSupportedError)


class Delivery:
    """Keeps one subscription's updates flowing from the server into a sink.

    `user_id` is the id the user holds; `server_id` the one the server knows now (they
    differ once the subscription was re-created). Where its acknowledgements stand is
    kept in the client's state (`ClientState.acks`, by `server_id`), so that a plain
    `sync_subscription()` after `stop_stream()` resumes exactly where it stopped.
    """

    def __init__(
        self,
        ctx: Context,
        driver: AsyncDriver,
        *,
        user_id: str,
        settings: DeliverySettings,
        sink: Sink,
        owns_sink: bool = False,
    ) -> None:
        self._ctx = ctx
        self._driver = driver
        self.user_id: str = user_id
        self.server_id: str = user_id
        self.settings: DeliverySettings = settings
        self.sink: Sink = sink
        self.owns_sink = owns_sink
        """The sink is its consumer's own (a pull form): closed when delivery ends, for
        whatever reason, so that a reader waiting on it sees the end instead of waiting
        forever. A shared sink (the callbacks') serves other deliveries and stays open."""
        self.mode: Literal["stream", "sync"] = "sync"
        self.streaming: bool = False
        self.stopped: bool = False
        self.left_on_server: bool = False
        """Stopped by `disconnect()`, which leaves subscriptions on the server: a pull
        form's end must not delete it (nor connect again to do so)."""
        self.epoch: int = 0
        """Which incarnation of the server-side subscription this is (see `Delivered`)."""
        self.started: asyncio.Event = asyncio.Event()
        """Set once the first stream is open or the first sync answered."""
        self.failure: SubscriptionError | None = None
        """Why delivery ended by itself, if it did."""
        self.handed_over: bool = False
        """Set once the starter stopped waiting: later failures go to the consumer, not
        to the starter."""
        self._sequencer = Sequencer()
        self._reconnects = 0
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._awaited: int | None = None
        self._handed: int | None = None
        """The newest sequence number put into the sink (sync mode, this epoch)."""
        self._caught_up = asyncio.Event()

    # -------------------------------------------------------------- lifecycle

    @property
    def delivered(self) -> int | None:
        """The newest sequence number the consumer took (what the next sync acknowledges)."""
        return self._ctx.state.acks.next(self.server_id)

    def start(self) -> None:
        """Start delivering on the running event loop."""
        # Resume where an earlier delivery (or plain syncs) left off: anything up to
        # what was acknowledged counts as already seen.
        self._sequencer.last = self.delivered
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name=f"i3x-delivery-{self.user_id}")

    def ended(self) -> bool:
        """Whether its event loop is gone or not running: it delivers nothing any more.

        `AsyncClient` may serve one `asyncio.run()` after another; a delivery's task
        ends with its loop, and waiting for it from the next loop would hang.
        """
        loop = self._loop
        return loop is not None and (loop.is_closed() or not loop.is_running())

    def pending(self) -> int:
        """Changes put into the sink that the consumer has not taken yet."""
        return self.sink.pending(self)

    async def stop(self, *, leave: bool = False) -> None:
        """Stop delivering (promptly: the task is cancelled where it waits).

        `leave`: `disconnect()` stops it, and the subscription stays on the server.
        """
        self.left_on_server = leave
        self.stopped = True
        task, self._task = self._task, None
        # A task of an event loop that has ended (AsyncClient across asyncio.run() calls)
        # delivers nothing any more, and can be neither cancelled nor awaited from here.
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            # wait() rather than await: the task's own CancelledError is expected,
            # while a cancellation of the caller must still propagate.
            await asyncio.wait({task})
        await self._driver.close()

    def mark_delivered(self, item: Delivered, count: int | None = None) -> None:
        """Record that `item` (or its first `count` changes) reached the consumer, so
        sync mode may acknowledge it.

        Called from the consumer's thread.
        """
        seq = item.seq if count is None else item.acknowledgeable(count)
        if seq is None:
            return
        state = self._ctx.state
        # Under the lock with _recreate: a late mark of the old subscription's item must
        # not acknowledge anything on the new one.
        with state.lock:
            if item.epoch != self.epoch or not state.acks.advance(self.server_id, seq):
                return
            awaited = self._awaited
        if awaited is not None and seq >= awaited and self._loop is not None:
            # RuntimeError: the loop has closed, and nothing waits any more.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._caught_up.set)

    # -------------------------------------------------------------------- run

    async def _run(self) -> None:
        try:
            info = self._ctx.state.server_info
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
            if self.owns_sink:
                self.sink.close()

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
            wait=current().reconnect_backoff,
            retry=retry_if_exception(_is_transient),
            before_sleep=before_sleep,
            sleep=asyncio.sleep,
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
        if isinstance(exc, httpx.HTTPError | OSError):
            exc = map_transport_error(
                exc if isinstance(exc, Exception) else Exception(str(exc)),
                None,
                self._ctx.config.http.proxy,
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
                await asyncio.sleep(current().reconnect_pause)

    async def _stream_session(self) -> bool:
        """Open the stream once and deliver until it ends; True if anything arrived."""
        handover: _Handover | None = None
        ctx = self._ctx
        http = await self._driver.client()
        url = ctx.url(Call("POST", "/subscriptions/stream", parse=lambda r: r))
        body = subscription_body(ctx, self.server_id)
        timeout = httpx.Timeout(
            ctx.options.timeout.read,
            connect=ctx.options.timeout.connect,
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
                _check_event_stream(response)
                handover = _Handover(self._deliver_events, f"i3x-deliver-{self.user_id}")
                await self._read_events(response, handover)
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
        if handover is None or not handover.added:
            raise _Reconnect
        return True

    async def _read_events(self, response: httpx.Response, handover: _Handover) -> None:
        """Hand the events of an open stream over for delivery until it ends."""
        # A read at a time, not an event at a time (httpx-sse's aiter_sse): all that one
        # read brought in is parsed and handed over as one unit.
        splitter = EventSplitter()
        # An event stream comes unencoded: its raw bytes, then, one async generator and
        # two copies' worth of bookkeeping less per read than decoded bytes.
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        reads = response.aiter_bytes() if encoded else response.aiter_raw()
        try:
            async for chunk in reads:
                datas = splitter.feed(chunk)
                if datas:
                    await handover.add(datas)
        except asyncio.CancelledError:
            failure = handover.failure()
            if failure is None or _still_cancelled():
                await handover.abort()
                raise
            raise failure from None  # the deliverer's failure interrupted the read
        except BaseException:
            await handover.close()  # what came before the failure goes first
            raise
        await handover.close()

    async def _deliver_events(self, datas: list[bytes]) -> None:
        try:
            changes = parse_stream_events(datas, self.user_id)
        except StreamError:
            # Some event does not parse: one by one, so that the others are delivered.
            for data in datas:
                try:
                    changes = parse_stream_event(data, self.user_id)
                except StreamError as exc:
                    await self._notify(exc)
                    continue
                await self._deliver_stream_changes(changes)
            return
        await self._deliver_stream_changes(changes)

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
                handed, delivered = self._handed, self.delivered
                if handed is not None and (delivered is None or delivered < handed):
                    # Only a keepalive while the consumer still holds an answer: wait
                    # for it again rather than poll (each poll sends the same batches).
                    await self._until_delivered(handed)
                    continue
                idle_wait = min(self.settings.poll_interval, max(SYNC_MIN_WAIT, idle_wait * 2))
                await asyncio.sleep(idle_wait)
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
        with self._ctx.state.lock:  # as mark_delivered: it records, then reads _awaited
            self._awaited = seq
            delivered = self.delivered
            behind = delivered is None or delivered < seq
        try:
            if behind:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._caught_up.wait(), current().sync_delivery_wait)
        finally:
            self._awaited = None

    async def _sync_once(self) -> SyncResult | None:
        flow = sync_flow(self._ctx, self.server_id, self.delivered, stamp_as=self.user_id)
        try:
            return await self._driver.drive(flow, self._ctx)
        except NotFoundError:
            await self._recreate()
            return None

    # --------------------------------------------------------------- recovery

    async def _recreate(self) -> None:
        """The server forgot the subscription: create and register it again."""
        ctx, state = self._ctx, self._ctx.state
        with state.lock:
            record = state.subscriptions.get(self.server_id)
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
        new_id = await self._driver.drive(create_subscription_flow(ctx, record.display_name), ctx)
        failed: dict[str, I3XError] = {}
        for depth, ids in depth_groups(record.monitored).items():
            try:
                await self._driver.drive(register_items_flow(ctx, new_id, ids, depth), ctx)
            except BulkError as exc:
                failed.update(exc.errors)
        with state.lock:
            state.subscriptions.pop(old_id, None)
            state.acks.forget(old_id)
            self.server_id = new_id
            self.epoch += 1
            self._handed = None
        self._sequencer.reset()
        notice = SubscriptionLostError(
            f"the server no longer had subscription {old_id} (expired or restarted); it was "
            f"re-created as {new_id} and delivery resumed. Changes in between were not seen"
            + ("; current values are read again" if self.settings.resync else ""),
            subscription_id=self.user_id,
            new_subscription_id=new_id,
        )
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
        ctx, state = self._ctx, self._ctx.state
        with state.lock:
            record = state.subscriptions.get(self.server_id)
            monitored = dict(record.monitored) if record is not None else {}
        for depth, ids in depth_groups(monitored).items():
            values: dict[str, LastKnownValue]
            try:
                values = await self._driver.drive(get_values_flow(ctx, ids, depth), ctx)
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
    ctx: Context,
    sub_id: str,
    settings: DeliverySettings,
    sink: Sink,
    start_timeout: float,
    *,
    owns_sink: bool = False,
) -> Delivery:
    """Start delivering a subscription and wait (a bounded time) until it is live.

    Raises:
        SubscriptionError: Delivery could not start (the subscription is gone and this
            client cannot re-create it).
    """
    delivery = Delivery(
        ctx,
        AsyncDriver(ctx.config, keepalive=True),
        user_id=sub_id,
        settings=settings,
        sink=sink,
        owns_sink=owns_sink,
    )
    with ctx.state.lock:
        ctx.state.deliveries[sub_id] = delivery
    delivery.start()
    try:
        await asyncio.wait_for(delivery.started.wait(), start_timeout)
    except asyncio.TimeoutError:
        logger.warning("subscription %s: delivery not live yet; it keeps trying", sub_id)
    delivery.handed_over = True
    if delivery.failure is not None:
        with ctx.state.lock:
            ctx.state.deliveries.pop(sub_id, None)
        await delivery.stop()
        raise delivery.failure
    return delivery


async def stop_delivery(ctx: Context, key: str, *, leave: bool = False) -> None:
    """Stop delivering a subscription, by the id the user holds or the server's.

    `leave`: `disconnect()` stops it, and the subscription stays on the server.
    """
    delivery = ctx.state.delivery_for(key)
    if delivery is None:
        return
    with ctx.state.lock:
        ctx.state.deliveries.pop(delivery.user_id, None)
    await delivery.stop(leave=leave)
