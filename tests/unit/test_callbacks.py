"""Setting callbacks: what each client can call is checked when it is set."""

from __future__ import annotations

from typing import Any

import pytest

import i3x


async def _coroutine_callback(client: Any, change: i3x.ValueChange) -> None:
    raise AssertionError("never called")


class _AsyncCallable:
    async def __call__(self, client: Any, change: i3x.ValueChange) -> None:
        raise AssertionError("never called")


@pytest.mark.parametrize("callback", [_coroutine_callback, _AsyncCallable()])
def test_the_sync_client_refuses_a_coroutine_callback(callback: Any) -> None:
    # It would make each call's coroutine and drop it unawaited: every update lost.
    client = i3x.Client("http://127.0.0.1:9")
    with pytest.raises(TypeError, match=r"on_value_change is a coroutine function.*AsyncClient"):
        client.on_value_change = callback
    assert client.on_value_change is None
    with pytest.raises(TypeError, match="on_error is a coroutine function"):
        client.with_options(timeout=5).on_error = callback


def test_the_async_client_takes_coroutine_and_plain_callbacks() -> None:
    client = i3x.AsyncClient("http://127.0.0.1:9")
    client.on_value_change = _coroutine_callback
    assert client.on_value_change is _coroutine_callback
    client.on_value_change = print
    assert client.on_value_change is print
    client.on_value_change = None
    assert client.on_value_change is None


@pytest.mark.parametrize("client_class", [i3x.Client, i3x.AsyncClient])
def test_a_callback_that_is_not_callable_is_refused_when_set(client_class: Any) -> None:
    client = client_class("http://127.0.0.1:9")
    with pytest.raises(TypeError, match="on_subscribe must be a function or None, not str"):
        client.on_subscribe = "print"
