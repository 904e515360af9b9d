"""What `Client` and `AsyncClient` share: construction, views, properties and callbacks.

A client is a `Context` (its configuration, its options and the state it shares with
its views and deliveries, see `i3x._flows`) plus a driver that sends (`i3x._driver`)
and the machinery that runs its subscription deliveries. The operations themselves are
flows in `_exploration`, `_values`, `_writes` and `_subscriptions`; each public method
runs one with the client's driver. `with_options()` views are built from their
client's parts: the same configuration, state, driver and delivery machinery, other
options.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, ClassVar, Generic, TypeVar

import httpx
from typing_extensions import Self

from ._checks import check_positive_int
from ._config import (
    NOT_GIVEN,
    Auth,
    NotGiven,
    Options,
    Timeout,
    as_timeout,
    check_validate_writes,
    make_config,
)
from ._constants import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LIMITS,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
)
from ._flows import Context
from ._models import ServerInfo, Subscription, ValueChange
from ._profiles import ServerProfile
from ._state import ClientState

__all__ = ["BaseClient"]

Callback = Callable[..., Any]

_C = TypeVar("_C", bound="BaseClient[Any]")
"""The client class itself (`Client` or `AsyncClient`): what each callback gets first."""


def _is_coroutine_function(fn: object) -> bool:
    """Whether calling `fn` makes a coroutine: an `async def`, or an object whose `__call__` is."""
    import inspect  # only when a callback is set

    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - callable objects, not callable()
    )


class BaseClient(Generic[_C]):
    """Construction, `with_options()` views, properties and callbacks of both clients.

    Holds no connection itself: each client adds a driver (`_driver`) and its delivery
    machinery in `_start_parts`, and hands them to its views in `_share_parts`.
    """

    _ctx: Context
    _awaits_callbacks: ClassVar[bool] = False
    """Whether the client awaits what a callback returns (AsyncClient)."""
    _transport_type: ClassVar[type[Any]] = object
    """What `transport=` must be: an `httpx.BaseTransport` or an `httpx.AsyncBaseTransport`."""

    def __init__(
        self,
        base_url: str,
        auth: Auth | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        *,
        token: str | None = None,
        headers: Mapping[str, str | bytes] | None = None,
        verify: bool | str | ssl.SSLContext = True,
        cert: str | tuple[str, str] | tuple[str, str, str] | None = None,
        proxy: str | httpx.Proxy | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        client_id: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        limits: httpx.Limits = DEFAULT_LIMITS,
        follow_redirects: bool = True,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        server_profile: ServerProfile | str | None = None,
        validate_writes: bool = False,
    ) -> None:
        options = Options(
            timeout=as_timeout(timeout),
            max_retries=check_positive_int(max_retries, "max_retries", minimum=0),
            batch_size=check_positive_int(batch_size, "batch_size"),
            max_concurrency=check_positive_int(max_concurrency, "max_concurrency"),
            validate_writes=check_validate_writes(validate_writes),
        )
        config = make_config(
            base_url=base_url,
            auth=auth,
            token=token,
            headers=headers,
            verify=verify,
            cert=cert,
            proxy=proxy,
            client_id=client_id,
            limits=limits,
            timeout=options.timeout,
            follow_redirects=follow_redirects,
            transport=transport,
            transport_type=self._transport_type,
            client_name=type(self).__name__,
            server_profile=server_profile,
            warn_stacklevel=3,  # the user's line: make_config, this __init__, the caller
        )
        self._ctx = Context(config=config, options=options, state=ClientState())
        self._start_parts()

    def _start_parts(self) -> None:
        """Make the driver and the delivery machinery (each client has its own kind)."""
        raise NotImplementedError

    def _share_parts(self, parent: Self) -> None:
        """Take the parent's driver and delivery machinery (a `with_options()` view)."""
        raise NotImplementedError

    def _view(
        self,
        timeout: Timeout | NotGiven,
        max_retries: int | None,
        batch_size: int | None,
        validate_writes: bool | None = None,
    ) -> Self:
        """A view with other options that shares everything else with this client."""
        options = self._ctx.options.evolve(timeout, max_retries, batch_size, validate_writes)
        view = type(self).__new__(type(self))
        view._ctx = replace(self._ctx, options=options)
        view._share_parts(self)
        return view

    def with_options(
        self,
        *,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        batch_size: int | None = None,
        validate_writes: bool | None = None,
    ) -> Self:
        """A view of this client with other request options, for one call or many.

        It shares the connection pool, the connection, the subscriptions and their
        delivery (the client's `disconnect()` ends what a view started), and what
        checked writes learned of the server's types:

            client.with_options(timeout=2.0, max_retries=0).get_value("pump-101-flow")
            client.with_options(validate_writes=True).update_value("tank-201-setpoint", value)

        An argument left out keeps the client's setting; `timeout=None` turns the
        timeout off (as it does for the client), for a long history read, say.
        """
        return self._view(timeout, max_retries, batch_size, validate_writes)

    # --------------------------------------------------------------------- properties

    @property
    def base_url(self) -> str:
        """The base URL given to the client, without credentials or query.

        A query in the given URL (such as an API gateway's `?code=`) is sent with
        every request, but not shown here, in `repr()`, errors or logs.
        """
        return self._ctx.config.base_url

    @property
    def api_url(self) -> str | None:
        """The API root in use (`base_url` or `base_url + "/v1"`), once connected."""
        return self._ctx.state.api_root

    @property
    def client_id(self) -> str:
        """The id that scopes this client's subscriptions on the server."""
        return self._ctx.config.client_id

    @property
    def server_info(self) -> ServerInfo | None:
        """What `GET /info` said at `connect()`, or `None` before."""
        return self._ctx.state.server_info

    @property
    def server_profile(self) -> ServerProfile | None:
        """How the server takes writes (see `i3x.ServerProfile`): the `server_profile=`
        given, else the one chosen at connect from `/info` and from what the server
        showed since (a bulk write route it lacks); `None` before connecting."""
        return self._ctx.state.profile or self._ctx.config.server_profile

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout of each request."""
        return self._ctx.options.timeout

    @property
    def max_retries(self) -> int:
        """Retries after a failed attempt (0: none)."""
        return self._ctx.options.max_retries

    @property
    def validate_writes(self) -> bool:
        """Whether writes are checked against their object types' JSON Schemas before
        they are sent (`validate_writes=True`; see docs/typed-values.md)."""
        return self._ctx.options.validate_writes

    @property
    def is_connected(self) -> bool:
        """Whether `connect()` succeeded and `disconnect()` has not been called."""
        return self._ctx.state.api_root is not None

    def __repr__(self) -> str:
        state = "connected" if self._ctx.state.api_root else "not connected"
        return f"{type(self).__name__}({self._ctx.config.base_url!r}, {state})"

    # ---------------------------------------------------------------------- callbacks

    def _callback(self, name: str) -> Callback | None:
        return self._ctx.state.callbacks.get(name)

    def _set_callback(self, name: str, fn: Callback | None) -> None:
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function or None, not {type(fn).__name__}")
        if fn is not None and not self._awaits_callbacks and _is_coroutine_function(fn):
            # Its coroutine would be made and dropped unawaited: every call lost.
            raise TypeError(
                f"{name} is a coroutine function, and {type(self).__name__} calls callbacks "
                "in a thread, where it cannot await them: use a plain function, or "
                "i3x.AsyncClient, which awaits coroutine callbacks"
            )
        self._ctx.state.callbacks[name] = fn

    # Each callback gets the client first: typed with the client's own class (not
    # Self, which pyright leaves unbound in a lambda), so that in a lambda or a
    # function `client` is a `Client` or an `AsyncClient`, for the IDE and the checker.
    # The result is ignored (an AsyncClient awaits it when it is awaitable).

    @property
    def on_connect(self) -> Callable[[_C], object] | None:
        """Called as `on_connect(client)` after a successful connection."""
        return self._callback("on_connect")

    @on_connect.setter
    def on_connect(self, fn: Callable[[_C], object] | None) -> None:
        self._set_callback("on_connect", fn)

    @property
    def on_disconnect(self) -> Callable[[_C], object] | None:
        """Called as `on_disconnect(client)` after disconnection."""
        return self._callback("on_disconnect")

    @on_disconnect.setter
    def on_disconnect(self, fn: Callable[[_C], object] | None) -> None:
        self._set_callback("on_disconnect", fn)

    @property
    def on_value_change(self) -> Callable[[_C, ValueChange], object] | None:
        """Called as `on_value_change(client, change)` for each subscribed change."""
        return self._callback("on_value_change")

    @on_value_change.setter
    def on_value_change(self, fn: Callable[[_C, ValueChange], object] | None) -> None:
        self._set_callback("on_value_change", fn)

    @property
    def on_subscribe(self) -> Callable[[_C, Subscription], object] | None:
        """Called as `on_subscribe(client, subscription)` after `subscribe()`."""
        return self._callback("on_subscribe")

    @on_subscribe.setter
    def on_subscribe(self, fn: Callable[[_C, Subscription], object] | None) -> None:
        self._set_callback("on_subscribe", fn)

    @property
    def on_error(self) -> Callable[[_C, Exception], object] | None:
        """Called as `on_error(client, error)` for stream and subscription errors, gap
        notices, and exceptions a callback raised."""
        return self._callback("on_error")

    @on_error.setter
    def on_error(self, fn: Callable[[_C, Exception], object] | None) -> None:
        self._set_callback("on_error", fn)

    # ---------------------------------------------------------------- shared plumbing

    def _start_timeout(self) -> float:
        """How long subscribing waits for a delivery to go live (it keeps trying after)."""
        return self._ctx.options.timeout.connect or 10.0

    def _quiet_context(self) -> Context:
        """This client's context without retries: for the acknowledgements sent at
        `disconnect()`, which must not hold it up (what they miss comes again)."""
        return replace(self._ctx, options=replace(self._ctx.options, max_retries=0))
