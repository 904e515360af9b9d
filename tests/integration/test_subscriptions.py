"""Subscriptions that lose nothing, against the embedded server and its fault injection.

Both clients run every test (see conftest). Tests wait on deliveries with a
timeout (Recorder.wait_for), never by sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

import i3x
from i3x.testing import DemoServer

from .conftest import Recorder


def _push(server: DemoServer, element_id: str, values: range | list[float]) -> None:
    for value in values:
        server.set_value(element_id, float(value))


@pytest.mark.parametrize("mode", ["stream", "sync"])
def test_subscribe_delivers_changes_in_order(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder, mode: i3x.Mode
) -> None:
    recorder.attach(client)
    sub = client.subscribe(["pt-304", "pump-101"], max_depth=0, mode=mode, display_name="hdr")
    assert sub.objects == ["pt-304", "pump-101"]
    assert sub.created is not None
    assert sub.is_streaming is (mode == "stream")

    _push(i3x_server, "pt-304", range(5))
    i3x_server.set_value("pump-101-flow", 42.0)  # a component of pump-101 (depth 0: all)
    recorder.wait_for(lambda: len(recorder.changes) >= 6)

    assert recorder.values("pt-304") == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert recorder.values("pump-101-flow") == [42.0]
    assert [s.subscription_id for s in recorder.subscribed] == [sub.subscription_id]
    assert {c.subscription_id for c in recorder.changes} == {sub.subscription_id}
    if mode == "sync":  # every batch has a sequence number, increasing
        seqs = [c.sequence_number for c in recorder.changes if c.sequence_number is not None]
        assert len(seqs) == len(recorder.changes)
        assert seqs == sorted(seqs)
    client.unsubscribe(sub)
    assert i3x_server.subscription_ids() == []


def test_auto_mode_follows_the_capability(
    client_factory: Callable[..., i3x.Client], i3x_server: DemoServer, recorder: Recorder
) -> None:
    i3x_server.set_capabilities(stream=False)
    client = client_factory(i3x_server.url)
    recorder.attach(client)
    sub = client.subscribe(["pt-304"])
    assert sub.is_streaming is False
    i3x_server.set_value("pt-304", 7.0)
    recorder.wait_for(lambda: recorder.values() == [7.0])


def test_stream_falls_back_to_sync_on_501(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder, i3x_fast_waits: None
) -> None:
    client.connect()
    i3x_server.set_capabilities(stream=False)  # after connect: the client believes in streams
    recorder.attach(client)
    client.subscribe(["pt-304"], mode="stream")
    i3x_server.set_value("pt-304", 8.0)
    recorder.wait_for(lambda: recorder.values() == [8.0])
    assert any("501" in str(e) for e in recorder.errors)


@pytest.mark.parametrize("mode", ["stream", "sync"])
def test_pull_form(client: i3x.Client, i3x_server: DemoServer, mode: i3x.Mode) -> None:
    with client.subscription(["pt-304"], mode=mode) as changes:
        assert changes.mode == mode
        _push(i3x_server, "pt-304", range(3))
        got = [changes.get(timeout=10) for _ in range(3)]
    assert [c.value for c in got if isinstance(c, i3x.ValueChange)] == [0.0, 1.0, 2.0]
    assert i3x_server.subscription_ids() == []  # deleted when the block ended


def test_sync_mode_survives_twenty_cuts_and_loses_nothing(
    client_factory: Callable[..., i3x.Client],
    i3x_server_factory: Callable[..., DemoServer],
    recorder: Recorder,
    i3x_fast_waits: None,
) -> None:
    server = i3x_server_factory(queue_limit=5000)
    client = client_factory(server.url)
    recorder.attach(client)
    counter = "filler-401-bottle-count"  # an integer counter without an upper bound
    client.subscribe([counter], mode="sync", poll_interval=0.01)
    total, cuts = 2000, 20
    for chunk in range(cuts):
        server.faults.cut_next(path="/v1/subscriptions/sync", after_bytes=40)
        for value in range(chunk * 100, (chunk + 1) * 100):
            server.set_value(counter, value)
    recorder.wait_for(lambda: len(recorder.changes) >= total, timeout=60)

    assert recorder.values() == list(range(total))  # each exactly once, in order
    assert not recorder.errors_of(i3x.UpdatesLostError)
    cut_syncs = sum(1 for r in server.requests if r.path == "/v1/subscriptions/sync")
    assert cut_syncs > cuts  # the cut answers were asked for again


def test_stream_reconnects_after_a_clean_end(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder, i3x_fast_waits: None
) -> None:
    recorder.attach(client)
    i3x_server.faults.end_stream_after(2)
    client.subscribe(["pt-304"], mode="stream")
    _push(i3x_server, "pt-304", range(2))
    recorder.wait_for(
        lambda: len(recorder.changes) == 2 and bool(recorder.errors_of(i3x.StreamError))
    )
    assert "ended the stream" in str(recorder.errors_of(i3x.StreamError)[0])
    _wait_for_streams(i3x_server, 2)
    _push(i3x_server, "pt-304", range(2, 4))
    recorder.wait_for(lambda: recorder.values() == [0.0, 1.0, 2.0, 3.0])


def test_stream_reconnects_after_a_cut_mid_event(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder, i3x_fast_waits: None
) -> None:
    recorder.attach(client)
    i3x_server.faults.cut_stream_after(1)
    client.subscribe(["pt-304"], mode="stream")
    _push(i3x_server, "pt-304", [1.0, 2.0])
    recorder.wait_for(lambda: bool(recorder.errors_of(i3x.StreamError)))
    _wait_for_streams(i3x_server, 2)
    _push(i3x_server, "pt-304", [3.0])
    recorder.wait_for(lambda: 3.0 in recorder.values())
    # The event cut in half was sent, so the server will not send it again: the stream
    # is at most once. The client reported the drop instead of losing it silently.
    assert recorder.values()[0] == 1.0
    assert "connection" in str(recorder.errors_of(i3x.StreamError)[0]).lower()


def test_stream_taken_over_by_another_stream(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder, i3x_fast_waits: None
) -> None:
    recorder.attach(client)
    sub = client.subscribe(["pt-304"], mode="stream")
    body = {"clientId": client.client_id, "subscriptionId": sub.subscription_id}
    with (
        httpx.Client(timeout=5) as raw,
        raw.stream("POST", i3x_server.api_url + "/subscriptions/stream", json=body) as rival,
    ):
        assert rival.status_code == 200
        recorder.wait_for(lambda: bool(recorder.errors_of(i3x.StreamError)))
        # The client takes its stream back, which ends the rival's stream cleanly.
        assert list(rival.iter_bytes()) is not None
    _wait_for_streams(i3x_server, 3)
    i3x_server.set_value("pt-304", 9.0)
    recorder.wait_for(lambda: 9.0 in recorder.values())


def test_overflow_is_a_gap_notice_with_the_exact_range(
    client_factory: Callable[..., i3x.Client],
    i3x_server_factory: Callable[..., DemoServer],
    recorder: Recorder,
) -> None:
    server = i3x_server_factory(queue_limit=5)
    client = client_factory(server.url)
    recorder.attach(client)
    sub = client.subscribe(["pt-304"], mode="sync", poll_interval=0.01)
    _push(server, "pt-304", range(3))  # sequence numbers 1..3, delivered
    recorder.wait_for(lambda: len(recorder.changes) == 3)
    client.stop_stream(sub.subscription_id)
    _push(server, "pt-304", range(3, 13))  # 4..13: the queue keeps 9..13, drops 4..8
    client.start_stream(sub.subscription_id, mode="sync", poll_interval=0.01)
    recorder.wait_for(lambda: len(recorder.changes) == 8)

    [gap] = recorder.errors_of(i3x.UpdatesLostError)
    assert isinstance(gap, i3x.UpdatesLostError)
    assert (gap.first, gap.last, gap.count) == (4, 8, 5)
    assert recorder.values() == [0.0, 1.0, 2.0, 8.0, 9.0, 10.0, 11.0, 12.0]


def test_plain_sync_resumes_after_stop_stream_without_loss(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder
) -> None:
    recorder.attach(client)
    sub = client.subscribe(["pt-304"], mode="sync", poll_interval=0.01)
    _push(i3x_server, "pt-304", [1.0])
    recorder.wait_for(lambda: recorder.values() == [1.0])
    with pytest.raises(i3x.SubscriptionError, match="stop_stream"):
        client.sync_subscription(sub)
    client.stop_stream(sub.subscription_id)
    _push(i3x_server, "pt-304", [2.0, 3.0])
    assert [u.value for u in client.sync_subscription(sub).updates] == [2.0, 3.0]


def test_expired_subscription_is_recreated_and_delivery_resumes(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder, i3x_fast_waits: None
) -> None:
    recorder.attach(client)
    sub = client.subscribe(["pt-304"], mode="sync", poll_interval=0.05, resync=True)
    i3x_server.advance_time(3600)  # beyond the TTL: the server deletes it
    recorder.wait_for(lambda: bool(recorder.errors_of(i3x.SubscriptionLostError)))
    [lost] = recorder.errors_of(i3x.SubscriptionLostError)
    assert isinstance(lost, i3x.SubscriptionLostError)
    assert lost.subscription_id == sub.subscription_id
    recorder.wait_for(lambda: any(c.resync for c in recorder.changes))  # state made whole
    i3x_server.set_value("pt-304", 7.7)
    recorder.wait_for(lambda: 7.7 in recorder.values())
    assert len(i3x_server.subscription_ids()) == 1
    client.unsubscribe(sub)  # the id the user holds still works
    assert i3x_server.subscription_ids() == []


def test_server_restart_recreates_a_streamed_subscription(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder, i3x_fast_waits: None
) -> None:
    recorder.attach(client)
    client.subscribe(["pt-304"], mode="stream")
    i3x_server.restart()
    recorder.wait_for(lambda: bool(recorder.errors_of(i3x.SubscriptionLostError)), timeout=20)
    _wait_for_streams(i3x_server, 1)
    i3x_server.set_value("pt-304", 5.5)
    recorder.wait_for(lambda: 5.5 in recorder.values())


def test_a_raising_callback_loses_nothing(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[float] = []

    def flaky(c: object, change: i3x.ValueChange) -> None:
        seen.append(change.value)
        if change.value == 1.0:
            raise RuntimeError("callback bug")
        recorder.on_value_change(c, change)

    client.on_value_change = flaky
    client.on_error = recorder.on_error
    client.subscribe(["pt-304"], mode="sync", poll_interval=0.01)
    _push(i3x_server, "pt-304", range(3))
    recorder.wait_for(lambda: recorder.values() == [0.0, 2.0])
    assert seen == [0.0, 1.0, 2.0]
    [bug] = recorder.errors_of(RuntimeError)
    assert str(bug) == "callback bug"
    assert "an i3x callback raised" in caplog.text


def test_a_slow_callback_loses_nothing(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder
) -> None:
    release = threading.Event()

    def slow(c: object, change: i3x.ValueChange) -> None:
        release.wait(10)
        recorder.on_value_change(c, change)

    client.on_value_change = slow
    counter = "filler-401-bottle-count"
    client.subscribe([counter], mode="sync", poll_interval=0.01)
    for value in range(50):
        i3x_server.set_value(counter, value)
    release.set()
    recorder.wait_for(lambda: len(recorder.values()) == 50)
    assert recorder.values() == list(range(50))


SYNC_PATH = "/v1/subscriptions/sync"


def test_sync_mode_fetches_more_only_once_the_callbacks_took_the_answer(
    i3x_server: DemoServer, recorder: Recorder, short_delivery_wait: None
) -> None:
    # The next sync acknowledges what the callbacks took; syncing before they took it
    # would fetch the same batches again. While a callback holds an answer, the loop
    # waits, but only up to its sync delivery wait (0.5 s here): then it syncs once to keep the
    # subscription alive on the server (its TTL), acknowledging nothing new, and waits
    # again. (The async client's twin is in test_async_native.)
    entered, release = threading.Event(), threading.Event()
    held_at: list[float] = []

    def hold_the_first(c: object, change: i3x.ValueChange) -> None:
        if change.value == 0.0:
            held_at.append(time.monotonic())
            entered.set()
            release.wait(10)
        recorder.on_value_change(c, change)

    with i3x.Client(i3x_server.url) as client:
        client.on_value_change = hold_the_first
        client.subscribe(["pt-304"], mode="sync", poll_interval=0.01)
        i3x_server.set_value("pt-304", 0.0)  # batch 1
        assert entered.wait(10)
        i3x_server.requests.clear()
        # Margins well under the 0.5 s wait (a busy machine starts the callback and wakes
        # this thread late), yet far over the 10 ms poll the wait replaces.
        i3x_server.requests.wait_for(path=SYNC_PATH)
        first = time.monotonic()
        assert first - held_at[0] >= 0.25, "synced again before the wait ran out"
        i3x_server.requests.wait_for(2, path=SYNC_PATH)
        # Still held: one keepalive per wait, not a poll every few ms (each poll would
        # send the unacknowledged batches again).
        assert time.monotonic() - first >= 0.25, "polled while the answer was still held"
        assert all("lastSequenceNumber" not in r.json for r in i3x_server.requests.filter())
        release.set()
        _push(i3x_server, "pt-304", range(1, 5))  # batches 2 to 5
        recorder.wait_for(lambda: recorder.values() == [0.0, 1.0, 2.0, 3.0, 4.0])
        acks = [
            r.json.get("lastSequenceNumber") for r in i3x_server.requests.filter(path=SYNC_PATH)
        ]
        assert acks[2] == 1, "the first sync after the callback took batch 1 acknowledges it"


def test_disconnect_stops_every_thread_promptly(i3x_server: DemoServer) -> None:
    before = set(threading.enumerate())
    client = i3x.Client(i3x_server.url)
    client.on_value_change = lambda c, change: None
    client.subscribe(["pt-304"], mode="stream")
    client.subscribe(["tank-201"], mode="sync")
    started = time.monotonic()
    client.disconnect()
    assert time.monotonic() - started < 1.0
    assert set(threading.enumerate()) <= before


def test_unsubscribe_is_prompt_and_keeps_other_subscriptions(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder
) -> None:
    recorder.attach(client)
    first = client.subscribe(["pt-304"], mode="stream")
    client.subscribe(["ts-303"], mode="stream")
    started = time.monotonic()
    client.unsubscribe(first)
    assert time.monotonic() - started < 1.0
    i3x_server.set_value("ts-303", 20.5)
    recorder.wait_for(lambda: recorder.values("ts-303") == [20.5])


def test_idle_timeout_reconnects_a_silent_stream(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder, i3x_fast_waits: None
) -> None:
    recorder.attach(client)
    client.subscribe(["pt-304"], mode="stream", stream_idle_timeout=0.2)
    recorder.wait_for(lambda: any("sent nothing" in str(e) for e in recorder.errors))
    _wait_for_streams(i3x_server, 2)


def _wait_for_streams(server: DemoServer, count: int, timeout: float = 10.0) -> None:
    """Wait until the server has seen ``count`` stream requests."""
    server.requests.wait_for(count, path="/v1/subscriptions/stream", timeout=timeout)


# ------------------------------------------------ stopping in the middle of an answer
# The sync client's dispatcher hands a whole sync answer (many batches) to the callbacks
# as one unit; stopping must cut it short and acknowledge only what went out.

_COUNTER = "filler-401-bottle-count"


def _one_big_answer(client: i3x.Client, server: DemoServer, count: int) -> str:
    """A subscription with `count` updates queued, so that the first sync returns them all."""
    sub_id = client.create_subscription()
    client.register_items(sub_id, [_COUNTER])
    for value in range(count):
        server.set_value(_COUNTER, value)
    return sub_id


def test_stop_stream_from_a_callback_cuts_the_answer_short(i3x_server: DemoServer) -> None:
    seen: list[int] = []
    stopped = threading.Event()
    with i3x.Client(i3x_server.url) as client:
        sub_id = _one_big_answer(client, i3x_server, 100)

        def on_change(c: i3x.Client, change: i3x.ValueChange) -> None:
            seen.append(change.value)
            if len(seen) == 10:
                c.stop_stream(sub_id)  # from the dispatcher thread: must not wait for itself
                stopped.set()

        client.on_value_change = on_change
        client.start_stream(sub_id, mode="sync")
        assert stopped.wait(10)
        client.stop_stream(sub_id)  # returns once the dispatcher is idle
        assert seen == list(range(10))

        rest = client.sync_subscription(sub_id)  # acknowledges exactly the ten delivered
        assert [u.value for u in rest.updates] == list(range(10, 100))
        assert seen == list(range(10))


def test_stop_stream_waits_for_the_running_callback_and_calls_no_more(
    i3x_server: DemoServer,
) -> None:
    seen: list[int] = []
    inside, release = threading.Event(), threading.Event()
    with i3x.Client(i3x_server.url) as client:
        sub_id = _one_big_answer(client, i3x_server, 50)

        def on_change(c: i3x.Client, change: i3x.ValueChange) -> None:
            seen.append(change.value)
            if len(seen) == 5:
                inside.set()
                release.wait(10)

        client.on_value_change = on_change
        client.start_stream(sub_id, mode="sync")
        assert inside.wait(10)
        stopper = threading.Thread(target=client.stop_stream, args=(sub_id,))
        stopper.start()
        # stop_stream cannot return while the callback runs: it waits for it.
        stopper.join(0.2)
        assert stopper.is_alive()
        release.set()
        stopper.join(10)
        assert not stopper.is_alive()
        assert seen == list(range(5))
        assert [u.value for u in client.sync_subscription(sub_id).updates] == list(range(5, 50))


def test_disconnect_in_the_middle_of_an_answer_is_prompt_and_acknowledges_what_went_out(
    i3x_server: DemoServer,
) -> None:
    seen: list[int] = []
    tenth = threading.Event()
    client = i3x.Client(i3x_server.url, client_id="resumer")
    sub_id = _one_big_answer(client, i3x_server, 300)

    def on_change(c: i3x.Client, change: i3x.ValueChange) -> None:
        seen.append(change.value)
        if len(seen) == 10:
            tenth.set()
        if len(seen) >= 10:
            release.wait(0.005)  # a callback that takes its time, not a wait for an event

    release = threading.Event()
    client.on_value_change = on_change
    client.start_stream(sub_id, mode="sync")
    assert tenth.wait(10)
    started = time.monotonic()
    client.disconnect()
    assert time.monotonic() - started < 1.0
    delivered = list(seen)
    assert delivered == list(range(len(delivered)))
    assert len(delivered) < 300, "disconnect let the dispatcher finish the whole answer"

    # disconnect() told the server what was delivered: the same client id resumes there.
    with i3x.Client(i3x_server.url, client_id="resumer") as again:
        rest = again.sync_subscription(sub_id)
        assert [u.value for u in rest.updates] == list(range(len(delivered), 300))
    assert seen == delivered  # nothing was called after disconnect() returned


def test_the_block_end_deletes_the_subscription_after_the_users_own_stop_stream(
    i3x_server: DemoServer,
) -> None:
    with i3x.Client(i3x_server.url) as client:
        with client.subscription(["pt-304"], mode="sync") as changes:
            client.stop_stream(changes.subscription_id)
        assert i3x_server.subscription_ids() == []  # only disconnect() leaves it there


def test_a_pull_form_that_outlives_disconnect_leaves_the_client_closable(
    i3x_server: DemoServer,
) -> None:
    # The reader finishes the event it holds after another thread disconnected: what it
    # took is owed to the server, and the `with` block's own disconnect() must not fail.
    inside, holding, go, done = (threading.Event() for _ in range(4))
    with i3x.Client(i3x_server.url) as client:

        def read() -> None:
            with client.subscription(["pt-304"], mode="sync") as changes:
                inside.set()
                for _ in changes:
                    holding.set()
                    assert go.wait(10)
            done.set()

        threading.Thread(target=read, daemon=True).start()
        assert inside.wait(10)
        i3x_server.set_value("pt-304", 5.0)
        assert holding.wait(10)
        client.disconnect()
        go.set()
        assert done.wait(10)
    assert not client.is_connected


def test_a_block_ending_while_another_thread_disconnects_raises_nothing(
    i3x_server: DemoServer,
) -> None:
    # Both at once, ten times over (before the fix, seven in ten block ends raised
    # ConnectionError on the closing connection): the block's end neither raises nor
    # connects again.

    def end_the_block(
        client: i3x.Client, both: threading.Barrier, errors: list[BaseException]
    ) -> None:
        try:
            with client.subscription(["pt-304"], mode="sync"):
                both.wait()
        except BaseException as exc:
            errors.append(exc)

    for attempt in range(10):
        client = i3x.Client(i3x_server.url, client_id=f"racer-{attempt}")
        both = threading.Barrier(2, timeout=10)
        errors: list[BaseException] = []
        reader = threading.Thread(target=end_the_block, args=(client, both, errors))
        reader.start()
        both.wait()
        client.disconnect()
        reader.join(10)
        assert not reader.is_alive()
        assert errors == []
        assert not client.is_connected


def test_a_failed_final_acknowledgement_leaves_the_client_closable(
    i3x_server: DemoServer,
) -> None:
    client = i3x.Client(i3x_server.url, client_id="resumer")
    sub_id = _one_big_answer(client, i3x_server, 3)
    took = threading.Event()

    def on_change(c: i3x.Client, change: i3x.ValueChange) -> None:
        if change.value == 2:
            # Stopped from the callback: no next sync can acknowledge the answer first
            # (the delivery syncs again, acknowledging, as soon as the callbacks took it).
            c.stop_stream(sub_id)
            took.set()

    client.on_value_change = on_change
    client.start_stream(sub_id, mode="sync")
    assert took.wait(10)
    client.stop_stream(sub_id)
    i3x_server.faults.fail_next(1, status=503, path="/v1/subscriptions/sync")
    client.disconnect()  # the final acknowledgement fails: the server sends those again
    client.disconnect()  # not connected: nothing is sent, nothing raised
    with i3x.Client(i3x_server.url, client_id="resumer") as again:
        assert [u.value for u in again.sync_subscription(sub_id).updates] == [0, 1, 2]


def test_disconnect_after_stop_stream_acknowledges_what_the_callbacks_took(
    i3x_server: DemoServer,
) -> None:
    seen: list[int] = []
    tenth = threading.Event()
    client = i3x.Client(i3x_server.url, client_id="resumer")
    sub_id = _one_big_answer(client, i3x_server, 100)

    def on_change(c: i3x.Client, change: i3x.ValueChange) -> None:
        seen.append(change.value)
        if len(seen) == 10:
            c.stop_stream(sub_id)
            tenth.set()

    client.on_value_change = on_change
    client.start_stream(sub_id, mode="sync")
    assert tenth.wait(10)
    client.stop_stream(sub_id)
    client.disconnect()  # no sync in between: disconnect() owes the server the ten
    assert seen == list(range(10))

    with i3x.Client(i3x_server.url, client_id="resumer") as again:
        rest = again.sync_subscription(sub_id)
        assert [u.value for u in rest.updates] == list(range(10, 100))


def test_disconnect_does_not_acknowledge_what_a_plain_sync_returned(
    i3x_server: DemoServer,
) -> None:
    # Returned is not processed: a caller that failed on the answer gets it again.
    client = i3x.Client(i3x_server.url, client_id="resumer")
    sub_id = _one_big_answer(client, i3x_server, 5)
    first = client.sync_subscription(sub_id)
    assert [u.value for u in first.updates] == list(range(5))
    client.disconnect()
    with i3x.Client(i3x_server.url, client_id="resumer") as again:
        rest = again.sync_subscription(sub_id)
        assert [u.value for u in rest.updates] == list(range(5))


@pytest.mark.parametrize("mode", ["stream", "sync"])
def test_start_stream_on_an_unknown_subscription_raises(
    client: i3x.Client, i3x_server: DemoServer, recorder: Recorder, mode: i3x.Mode
) -> None:
    recorder.attach(client)
    with pytest.raises(i3x.SubscriptionError, match=r"no-such-sub.*cannot re-create"):
        client.start_stream("no-such-sub", mode=mode)
    assert recorder.errors == []  # raised, not also reported
    sub_id = client.create_subscription()  # the client is still usable
    client.register_items(sub_id, ["pt-304"])
    client.start_stream(sub_id, mode=mode)
    i3x_server.set_value("pt-304", 3.5)
    recorder.wait_for(lambda: recorder.values() == [3.5])


def test_a_failed_subscribe_leaves_no_thread(i3x_server: DemoServer) -> None:
    before = set(threading.enumerate())
    with i3x.Client(i3x_server.url) as client:
        with pytest.raises(i3x.BulkError):
            client.subscribe(["no-such-element"])
        with pytest.raises(i3x.SubscriptionError):
            client.start_stream("no-such-sub")
        assert set(threading.enumerate()) <= before


@pytest.mark.parametrize("mode", ["stream", "sync"])
def test_pull_form_ends_when_the_client_disconnects(i3x_server: DemoServer, mode: i3x.Mode) -> None:
    # A loop waiting for the next change, with no timeout, in one thread; the
    # application disconnects from another. The loop must end, not wait forever.
    client = i3x.Client(i3x_server.url)
    got: list[object] = []
    inside, first, ended = threading.Event(), threading.Event(), threading.Event()

    def consume() -> None:
        with client.subscription(["pt-304"], mode=mode) as changes:
            inside.set()
            for event in changes:
                got.append(event)
                first.set()
        ended.set()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    assert inside.wait(10)
    i3x_server.set_value("pt-304", 5.0)
    assert first.wait(10)
    client.disconnect()
    assert ended.wait(10), "the pull form still waits after disconnect()"
    consumer.join(10)
    assert [e.value for e in got if isinstance(e, i3x.ValueChange)] == [5.0]
    assert not client.is_connected  # leaving the block did not connect again
    # disconnect() leaves subscriptions on the server (a later client may sync them).
    assert len(i3x_server.subscription_ids()) == 1


def test_a_server_writing_a_chunk_per_event_loses_nothing_and_keeps_order(
    client_factory: Callable[..., i3x.Client],
    i3x_server_factory: Callable[..., DemoServer],
    recorder: Recorder,
) -> None:
    # As real servers write their streams: each event an HTTP chunk of its own. The
    # delivery takes the events a read brought together; a backlog (queued before the
    # stream opens) and live ones that follow come out in order, each once.
    server = i3x_server_factory(ticking=False, events_per_write=1)
    client = client_factory(server.url)
    recorder.attach(client)
    sub = client.create_subscription()
    client.register_items(sub, ["pt-304"])
    values = [v / 100 for v in range(1000)]  # within the pressure's range, 0 to 25
    _push(server, "pt-304", values[:500])  # queued: the stream opens on a backlog
    client.start_stream(sub, mode="stream")
    _push(server, "pt-304", values[500:])
    recorder.wait_for(lambda: len(recorder.changes) >= 1000)
    assert recorder.values("pt-304") == values
    assert recorder.errors == []
