"""The sync and async clients expose the same public surface (like anthropic's test_copy_signature)."""

from __future__ import annotations

import inspect

import pytest

import i3x

# What differs on purpose: how each is used as a context manager, and the async alias.
ONLY_SYNC = {"__enter__", "__exit__"}
ONLY_ASYNC = {"__aenter__", "__aexit__", "aclose"}


def _public(cls: type) -> dict[str, object]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") or name in ONLY_SYNC | ONLY_ASYNC
    }


def test_same_public_names() -> None:
    sync_names = set(_public(i3x.Client)) - ONLY_SYNC
    async_names = set(_public(i3x.AsyncClient)) - ONLY_ASYNC
    assert sync_names == async_names


def _normalise(annotation: str) -> str:
    # The async client's types carry "Async" in their names; the shapes must match.
    return (
        annotation.replace("AsyncSubscriptionStream", "SubscriptionStream")
        .replace("AsyncIterator", "Iterator")
        .replace("httpx.AsyncBaseTransport", "httpx.BaseTransport")
    )


@pytest.mark.parametrize(
    "name", sorted(n for n, m in _public(i3x.Client).items() if callable(m) and n not in ONLY_SYNC)
)
def test_same_signature(name: str) -> None:
    sync_sig = inspect.signature(getattr(i3x.Client, name))
    async_sig = inspect.signature(getattr(i3x.AsyncClient, name))
    sync_params = [
        (p.name, p.kind, p.default, _normalise(str(p.annotation)))
        for p in sync_sig.parameters.values()
    ]
    async_params = [
        (p.name, p.kind, p.default, _normalise(str(p.annotation)))
        for p in async_sig.parameters.values()
    ]
    assert sync_params == async_params
    assert _normalise(str(sync_sig.return_annotation)) == _normalise(
        str(async_sig.return_annotation)
    )


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, m in _public(i3x.AsyncClient).items()
        if inspect.isfunction(m) and not n.startswith("_") and n != "with_options"
    ),
)
def test_async_methods_are_coroutines(name: str) -> None:
    method = getattr(i3x.AsyncClient, name)
    if name == "subscription":  # an async context manager
        assert hasattr(method, "__wrapped__")
        assert inspect.isasyncgenfunction(method.__wrapped__)
    else:
        assert inspect.iscoroutinefunction(method), name


def test_seed_signatures_are_honoured() -> None:
    # The seed README's API reference, parameter by parameter (defaults included).
    expected = {
        "get_object_types": ["namespace_uri=None"],
        "query_object_types": ["element_ids"],
        "get_relationship_types": ["namespace_uri=None"],
        "query_relationship_types": ["element_ids"],
        "get_objects": ["type_id=None", "include_metadata=False"],
        "get_object": ["element_id"],
        "list_objects": ["element_ids"],
        "get_related_objects": ["element_ids", "relationship_type"],
        "get_value": ["element_id", "max_depth=1"],
        "get_values": ["element_ids", "max_depth=1"],
        "get_history": ["element_id", "start_time=None", "end_time=None", "max_depth=1"],
        "update_value": ["element_id", "value"],
        "update_history": ["element_id", "value"],
        "subscribe": ["element_ids", "max_depth=0"],
        "unsubscribe": ["subscription"],
        "sync_subscription": ["subscription"],
        "register_items": ["subscription_id", "element_ids", "max_depth=0"],
        "unregister_items": ["subscription_id", "element_ids"],
        "get_subscription": ["subscription_id"],
        "start_stream": ["subscription_id"],
        "stop_stream": ["subscription_id"],
    }
    for cls in (i3x.Client, i3x.AsyncClient):
        for name, params in expected.items():
            sig = inspect.signature(getattr(cls, name))
            given = list(sig.parameters.values())[1:]  # after self
            for i, spec in enumerate(params):
                param_name, _, default = spec.partition("=")
                assert given[i].name == param_name, (cls.__name__, name, spec)
                if default:
                    assert repr(given[i].default) == default, (cls.__name__, name, spec)
            # Anything the SDK adds after the seed's parameters is optional.
            assert all(p.default is not inspect.Parameter.empty for p in given[len(params) :]), name
    for name in (
        "connect",
        "disconnect",
        "get_namespaces",
        "create_subscription",
        "get_subscriptions",
    ):
        assert callable(getattr(i3x.Client, name))
    assert isinstance(i3x.Client.is_connected, property)
