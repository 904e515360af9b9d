"""Where acknowledgements stand (`i3x._state.Acknowledgements`), and what disconnect() owes."""

from __future__ import annotations

import threading

from i3x._state import Acknowledgements


def _acks() -> Acknowledgements:
    return Acknowledgements(threading.RLock())


def test_what_a_consumer_took_is_owed_until_a_sync_sends_it() -> None:
    acks = _acks()
    assert acks.advance("s1", 4)
    assert not acks.advance("s1", 3)  # older news
    assert acks.owed() == {"s1": 4}
    acks.sent("s1", 4)
    assert acks.owed() == {}
    assert acks.advance("s1", 9)
    assert acks.owed() == {"s1": 9}


def test_what_a_plain_sync_returned_is_not_owed() -> None:
    # Returned is not processed: only the next plain sync acknowledges it.
    acks = _acks()
    acks.record("s1", 7)
    assert acks.next("s1") == 7
    assert acks.owed() == {}
    acks.advance("s2", 3)
    acks.record("s2", 5)  # a plain sync took over after stop_stream()
    assert acks.owed() == {}


def test_a_forgotten_subscription_owes_nothing() -> None:
    acks = _acks()
    acks.advance("s1", 2)
    acks.forget("s1")
    assert acks.owed() == {}
    assert acks.next("s1") is None
