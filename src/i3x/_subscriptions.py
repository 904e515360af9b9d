"""Subscription requests as flows: create, register, list, delete and sync.

The requests of i3X's subscription API (see `i3x._flows` for the idiom), with the
bookkeeping a client keeps around them (`i3x._state`): the subscriptions it created,
what each monitors, and where each one's acknowledgements stand. Delivery (streams,
polling, recovery) builds on these in `i3x._delivery`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import httpx

from ._checks import check_depth, check_ids, check_optional_str, subscription_key
from ._exceptions import (
    BulkError,
    I3XError,
    InvalidServerResponseError,
    NotFoundError,
    SubscriptionError,
    UpdatesLostError,
)
from ._flows import Context, Flow, bulk_flow
from ._models import (
    BulkItem,
    MonitoredObject,
    ResponseDetail,
    Subscription,
    SyncBatch,
    SyncEntryWire,
    ValueChange,
    batch_from_wire,
    evolve,
)
from ._state import LiveDelivery, SubscriptionRecord
from ._wire import Call, decode_result, pause_gc, request_label, succeeded

__all__ = [
    "SyncResult",
    "create_subscription_flow",
    "delete_quietly_flow",
    "delete_subscriptions_flow",
    "final_ack_flows",
    "get_subscription_flow",
    "list_subscriptions_flow",
    "register_items_flow",
    "subscribe_flow",
    "subscription_body",
    "subscription_model",
    "sync_flow",
    "sync_subscription_flow",
    "unregister_items_flow",
]


class SyncResult(list[SyncBatch]):
    """The batches a sync returned, oldest first, and what the server said about them.

    A list, so it reads as the seed API's answer; [`gap`][i3x.SyncResult.gap] tells when
    the server's queue overflowed (HTTP 206) and which sequence numbers were lost.
    """

    def __init__(
        self,
        batches: Iterable[SyncBatch] = (),
        *,
        response_detail: ResponseDetail | None = None,
        gap: UpdatesLostError | None = None,
    ) -> None:
        super().__init__(batches)
        self.response_detail: ResponseDetail | None = response_detail
        """The server's detail on the answer (for a 206, why updates were dropped)."""
        self.gap: UpdatesLostError | None = gap
        """The lost updates when the server's queue overflowed, else `None`."""

    @property
    def updates(self) -> list[ValueChange]:
        """Every update of every batch, in order."""
        return [u for b in self for u in b.updates]

    @property
    def last_sequence_number(self) -> int | None:
        """The highest sequence number returned, or `None` when no batch came."""
        return max((b.sequence_number for b in self), default=None)


def subscription_body(ctx: Context, subscription_id: str, **extra: Any) -> dict[str, Any]:
    return {"clientId": ctx.config.client_id, "subscriptionId": subscription_id, **extra}


def check_ids_or_subs(value: object) -> list[Any]:
    """A non-empty collection of subscription ids or `Subscription` objects."""
    if isinstance(value, str | bytes | Subscription) or not isinstance(value, Iterable):
        raise TypeError(f"subscription_ids must be a list of ids, not {type(value).__name__}")
    items = list(value)
    if not items:
        raise ValueError("subscription_ids must not be empty")
    return items


# ------------------------------------------------------------------ create and register


def create_subscription_flow(ctx: Context, display_name: str | None) -> Flow[str]:
    """`POST /subscriptions`: a new, empty subscription's id (recorded, to re-create it)."""
    name = check_optional_str(display_name, "display_name")

    def parse(response: httpx.Response) -> str:
        result, _ = decode_result(response, dict[str, Any], "CreateSubscriptionResponse")
        sub_id = result.get("subscriptionId") if isinstance(result, Mapping) else None
        if not isinstance(sub_id, str) or not sub_id:
            method, url = request_label(response.request)
            raise InvalidServerResponseError(
                "the server created a subscription but sent no subscriptionId",
                response.status_code,
                detail=f"subscriptionId: {sub_id!r}",
                method=method,
                url=url,
            )
        return sub_id

    body: dict[str, Any] = {"clientId": ctx.config.client_id}
    if name is not None:
        body["displayName"] = name
    sub_id: str = yield Call("POST", "/subscriptions", parse=parse, json=body, idempotent=False)
    with ctx.state.lock:
        ctx.state.subscriptions[sub_id] = SubscriptionRecord(
            sub_id, name, datetime.now(timezone.utc)
        )
    return sub_id


def register_items_flow(
    ctx: Context, subscription_id: str, element_ids: Iterable[str], max_depth: int
) -> Flow[list[BulkItem[Any]]]:
    """`POST /subscriptions/register`: monitor elements (what the server took is recorded)."""
    sub_id = ctx.state.server_id(subscription_key(subscription_id, "subscription_id"))
    ids = check_ids(element_ids, "element_ids")
    depth = check_depth(max_depth)
    accepted: list[str] = []
    try:
        pairs, _ = yield from bulk_flow(
            ctx,
            "/subscriptions/register",
            ids,
            lambda c: subscription_body(ctx, sub_id, elementIds=c, maxDepth=depth),
            Any,
            "registrations",
            idempotent=False,
        )
        accepted = ids
    except BulkError as exc:
        accepted = list(exc.results)
        raise
    finally:
        # What the server accepted is monitored even when other ids failed.
        with ctx.state.lock:
            record = ctx.state.subscriptions.get(sub_id)
            if record is not None:
                record.monitored.update(dict.fromkeys(accepted, depth))
    return succeeded(pairs)


def unregister_items_flow(
    ctx: Context, subscription_id: str, element_ids: Iterable[str]
) -> Flow[list[BulkItem[Any]]]:
    """`POST /subscriptions/unregister`: stop monitoring elements."""
    sub_id = ctx.state.server_id(subscription_key(subscription_id, "subscription_id"))
    ids = check_ids(element_ids, "element_ids")
    pairs, _ = yield from bulk_flow(
        ctx,
        "/subscriptions/unregister",
        ids,
        lambda c: subscription_body(ctx, sub_id, elementIds=c),
        Any,
        "unregistrations",
        idempotent=False,
    )
    with ctx.state.lock:
        record = ctx.state.subscriptions.get(sub_id)
        if record is not None:
            for key in ids:
                record.monitored.pop(key, None)
    return succeeded(pairs)


def subscribe_flow(
    ctx: Context, element_ids: Iterable[str], max_depth: int, display_name: str | None
) -> Flow[str]:
    """Create a subscription and register the elements; delete it again if that fails."""
    ids = check_ids(element_ids, "element_ids")
    depth = check_depth(max_depth)
    sub_id = yield from create_subscription_flow(ctx, display_name)
    try:
        yield from register_items_flow(ctx, sub_id, ids, depth)
    except BaseException:
        with contextlib.suppress(I3XError):  # the registration error is the one to report
            yield from delete_subscriptions_flow(ctx, [sub_id])
        raise
    return sub_id


# --------------------------------------------------------------------- list and delete


def _live_facts(ctx: Context, subscription_id: str) -> dict[str, Any]:
    """`is_streaming` and `queued_updates`, from the delivery machinery."""
    delivery = ctx.state.delivery_for(subscription_id)
    if delivery is None:
        return {"is_streaming": False}
    return {"is_streaming": delivery.streaming, "queued_updates": delivery.pending()}


def _known(ctx: Context, subscription: Subscription) -> Subscription:
    """Fill in what this client knows and the server does not say."""
    record = ctx.state.subscriptions.get(subscription.subscription_id)
    extra: dict[str, Any] = {}
    if subscription.client_id is None:  # i3X 1.0 does not send it; it is ours
        extra["client_id"] = ctx.config.client_id
    if record is not None:
        extra["created"] = record.created
        if subscription.display_name is None:
            extra["display_name"] = record.display_name
    extra.update(_live_facts(ctx, subscription.subscription_id))
    return evolve(subscription, **extra) if extra else subscription


def subscription_model(
    ctx: Context, sub_id: str, delivery: LiveDelivery | None = None
) -> Subscription:
    """A `Subscription` from what this client knows, without a request."""
    server_id = delivery.server_id if delivery is not None else sub_id
    with ctx.state.lock:
        record = ctx.state.subscriptions.get(server_id)
        monitored = dict(record.monitored) if record is not None else {}
    return Subscription(
        subscription_id=sub_id,
        created=record.created if record is not None else None,
        objects=list(monitored),
        display_name=record.display_name if record is not None else None,
        client_id=ctx.config.client_id,
        monitored_objects=[
            MonitoredObject(element_id=k, max_depth=v) for k, v in monitored.items()
        ],
        **_live_facts(ctx, sub_id),
    )


def list_subscriptions_flow(
    ctx: Context, subscription_ids: Iterable[str] | None
) -> Flow[list[Subscription]]:
    """`POST /subscriptions/list`, by default for the subscriptions this client created."""
    if subscription_ids is None:
        with ctx.state.lock:
            ids = list(ctx.state.subscriptions)
        if not ids:
            return []
    else:
        ids = [
            ctx.state.server_id(subscription_key(s, "subscription_ids"))
            for s in check_ids_or_subs(subscription_ids)
        ]
    pairs, _ = yield from bulk_flow(
        ctx,
        "/subscriptions/list",
        ids,
        lambda c: {"clientId": ctx.config.client_id, "subscriptionIds": c},
        Subscription,
        "subscriptions",
    )
    return [_known(ctx, v) for _, v in pairs]


def get_subscription_flow(ctx: Context, subscription_id: str) -> Flow[Subscription]:
    """One subscription's details (its own error, not a `BulkError`)."""
    key = ctx.state.server_id(subscription_key(subscription_id, "subscription_id"))
    try:
        subs = yield from list_subscriptions_flow(ctx, [key])
    except BulkError as exc:
        raise exc.errors[key] from None
    return subs[0]


def delete_subscriptions_flow(ctx: Context, subscription_ids: Iterable[str]) -> Flow[None]:
    """`POST /subscriptions/delete`; the client forgets them whatever the answer."""
    ids = [
        ctx.state.server_id(subscription_key(s, "subscription_ids"))
        for s in check_ids_or_subs(subscription_ids)
    ]
    try:
        yield from bulk_flow(
            ctx,
            "/subscriptions/delete",
            ids,
            lambda c: {"clientId": ctx.config.client_id, "subscriptionIds": c},
            Any,
            "deletions",
            idempotent=False,
        )
    finally:
        with ctx.state.lock:
            for key in ids:
                ctx.state.subscriptions.pop(key, None)
                ctx.state.acks.forget(key)


def delete_quietly_flow(ctx: Context, subscription_id: str) -> Flow[None]:
    """Delete a subscription; one the server no longer has is fine."""
    try:
        yield from delete_subscriptions_flow(ctx, [subscription_id])
    except BulkError as exc:
        if not all(isinstance(e, NotFoundError) for e in exc.errors.values()):
            raise


# ---------------------------------------------------------------------------- sync


def sync_flow(
    ctx: Context, server_id: str, ack: int | None, *, stamp_as: str | None = None
) -> Flow[SyncResult]:
    """`POST /subscriptions/sync`, acknowledging up to `ack` (`None`: nothing, `-1`: all).

    Every shape real servers answer is read (batches, flat entries); a 206 carries
    the range of sequence numbers the server dropped. Changes are stamped with
    `stamp_as` (the id the user holds) or the server's id.
    """
    body = subscription_body(ctx, server_id)
    if ack is not None:
        body["lastSequenceNumber"] = ack

    def parse(response: httpx.Response) -> SyncResult:
        with pause_gc:  # a backlog is tens of thousands of new objects: see pause_gc
            result, detail = decode_result(response, list[SyncEntryWire], "SyncBatch")
            batches = sorted(
                (batch_from_wire(b, stamp_as or server_id) for b in result or ()),
                key=lambda b: b.sequence_number,
            )
        gap = None
        if response.status_code == 206:
            gap = _gap(server_id, ack, batches, detail)
        return SyncResult(batches, response_detail=detail, gap=gap)

    # Sync is safe to repeat: unacknowledged batches come again, except after -1.
    synced: SyncResult = yield Call(
        "POST", "/subscriptions/sync", parse=parse, json=body, idempotent=ack != -1
    )
    ctx.state.acks.sent(server_id, ack)
    return synced


def sync_subscription_flow(
    ctx: Context, subscription: Subscription | str, last_sequence_number: int | None
) -> Flow[SyncResult]:
    """The public sync: acknowledges what the previous call returned, unless told otherwise.

    Raises:
        SubscriptionError: This client delivers the subscription (a sync would take its
            updates, or the server refuses it while a stream is open).
    """
    key = subscription_key(subscription)
    if last_sequence_number is not None and (
        isinstance(last_sequence_number, bool) or not isinstance(last_sequence_number, int)
    ):
        raise TypeError(
            f"last_sequence_number must be an int, not {type(last_sequence_number).__name__}"
        )
    if last_sequence_number is not None and last_sequence_number < -1:
        raise ValueError(
            f"last_sequence_number must be >= -1 (-1 clears the queue), got {last_sequence_number}"
        )
    _check_not_delivered(ctx, key)
    key = ctx.state.server_id(key)
    ack = last_sequence_number if last_sequence_number is not None else ctx.state.acks.next(key)
    synced = yield from sync_flow(ctx, key, ack)
    # What a plain call returned has reached the caller: the next call acknowledges it.
    # A delivery acknowledges only what reached its consumer (Delivery.mark_delivered).
    ctx.state.acks.record(key, synced.last_sequence_number if synced else ack)
    return synced


def _check_not_delivered(ctx: Context, subscription_id: str) -> None:
    """Refuse to sync a subscription this client is delivering (streaming or polling)."""
    delivery = ctx.state.delivery_for(subscription_id)
    # A delivery whose event loop ended delivers nothing: a sync takes nothing from it.
    if delivery is not None and not delivery.stopped and not delivery.ended():
        raise SubscriptionError(
            f"subscription {subscription_id} is being delivered by this client "
            f"({delivery.mode} mode); a sync now would "
            + ("be refused by the server" if delivery.mode == "stream" else "steal its updates")
            + ". Call stop_stream() first",
            subscription_id=subscription_id,
        )


def final_ack_flows(ctx: Context) -> list[Flow[SyncResult]]:
    """Syncs that tell the server what deliveries handed out since their last sync (those
    still running, and those stopped with `stop_stream()`), so that a later client with
    the same `client_id` resumes exactly there.

    Their answers are dropped: what they return was not delivered and stays queued.
    """
    return [sync_flow(ctx, sid, seq) for sid, seq in ctx.state.acks.owed().items()]


def _gap(
    key: str, ack: int | None, batches: Sequence[SyncBatch], detail: ResponseDetail | None
) -> UpdatesLostError:
    # Sequence numbers start at 1, so with nothing acknowledged the loss starts there.
    first: int | None = ack + 1 if ack is not None and ack >= 0 else 1
    last = batches[0].sequence_number - 1 if batches else None
    if first is not None and last is not None and last < first:
        first = last = None
    said = detail.detail if detail is not None and detail.detail else "queue overflow"
    span = (
        f"sequence numbers {first}..{last}"
        if first is not None and last is not None
        else "an unknown range"
    )
    return UpdatesLostError(
        f"the server dropped updates of subscription {key} ({span}): {said}",
        first=first,
        last=last,
        subscription_id=key,
        status_code=206,
        title=detail.title if detail else None,
        detail=said,
    )
