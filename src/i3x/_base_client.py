"""Everything the sync and async clients share: configuration, state and every operation.

An operation is written once, as a generator (a *flow*) that yields the
requests it needs (`Call`, or a `Batch` of them) and
receives their parsed results; errors are thrown back into it. The sync client
drives flows with blocking sends, the async client with awaited ones (sending a
batch's calls concurrently): the two differ only where they wait.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import re
import ssl
import threading
import uuid
import warnings
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, ClassVar, Final, TypeVar, cast
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

import httpx

from ._checks import (
    check_bool,
    check_depth,
    check_id,
    check_ids,
    check_optional_str,
    check_positive_int,
    check_time,
    subscription_key,
    vqt_parts,
)
from ._constants import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LIMITS,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    HISTORY_EPOCH,
)
from ._exceptions import (
    APIStatusError,
    BulkError,
    I3XError,
    InsecureTLSWarning,
    InvalidServerResponseError,
    NotFoundError,
    NotSupportedError,
    SubscriptionError,
    UnsupportedVersionError,
    UpdatesLostError,
)
from ._models import (
    VQT,
    BulkItem,
    LastKnownValue,
    MonitoredObject,
    Namespace,
    ObjectInstance,
    ObjectType,
    RelatedObject,
    RelationshipType,
    ResponseDetail,
    ServerInfo,
    Subscription,
    SyncBatch,
    SyncEntryWire,
    ValueChange,
    batch_from_wire,
    evolve,
)
from ._profiles import (
    ServerProfile,
    check_profile,
    pre_release_notice,
    profile_from_info,
    refuse_unstorable,
    route_is_missing,
    update_body,
    without_bulk_route,
)
from ._redaction import client_secrets
from ._retry import retry_args, should_retry
from ._version import __version__
from ._wire import (
    Call,
    Convert,
    as_model,
    bulk_results,
    decode_bulk,
    decode_result,
    error_detail,
    merge_bulk_errors,
    pause_gc,
    raise_for_failure,
    raise_for_status,
    request_label,
    succeeded,
    value_result,
)

__all__ = [
    "BaseClient",
    "Batch",
    "CONNECTED",
    "Connected",
    "Done",
    "Flow",
    "NOT_GIVEN",
    "NotGiven",
    "Options",
    "Pool",
    "SyncResult",
    "first_step",
]

logger = logging.getLogger("i3x")

_T = TypeVar("_T")

Auth = httpx.Auth | tuple[str, str] | Callable[[httpx.Request], httpx.Request]
Timeout = float | httpx.Timeout | None


class NotGiven:
    """The default of `with_options()` arguments: unlike `None`, it means "unchanged".

    `timeout=None` has to stay free to mean "no timeout", as it does for the client.
    """

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


@dataclass(frozen=True)
class Batch:
    """Several calls of one operation that may be sent concurrently.

    The flow receives one outcome per call, in order: its result, or the
    `I3XError` it raised.
    """

    calls: tuple[Call[Any], ...]


class Connected:
    """A step that only waits for the connection: the flow reads `server_info` next.

    Drivers check arguments (run a flow to its first step) before they connect,
    so a flow that depends on what the server is yields this first.
    """


CONNECTED: Final = Connected()

Step = Call[Any] | Batch | Connected
Flow = Generator[Step, Any, _T]


@dataclass(frozen=True)
class Done:
    """A flow that finished before its first request (nothing to send)."""

    value: Any


def first_step(flow: Flow[Any]) -> Step | Done:
    """Run a flow up to its first request: its argument checks raise here, before any I/O."""
    try:
        return next(flow)
    except StopIteration as stop:
        return Done(stop.value)


@dataclass(frozen=True)
class Options:
    """Per-client settings that `with_options()` can override per call."""

    timeout: httpx.Timeout
    max_retries: int
    batch_size: int
    max_concurrency: int


class SyncResult(list[SyncBatch]):
    """The batches a sync returned, oldest first, and what the server said about them.

    A list, so it reads as the seed API's answer; [`gap`][i3x.SyncResult.gap] tells when the
    server's queue overflowed (HTTP 206) and which sequence numbers were lost.
    """

    def __init__(
        self,
        batches: Iterable[SyncBatch] = (),
        *,
        response_detail: ResponseDetail | None = None,
        gap: UpdatesLostError | None = None,
    ) -> None:
        super().__init__(batches)
        self.response_detail = response_detail
        """The server's detail on the answer (for a 206, why updates were dropped)."""
        self.gap = gap
        """The lost updates when the server's queue overflowed, else `None`."""

    @property
    def updates(self) -> list[ValueChange]:
        """Every update of every batch, in order."""
        return [u for b in self for u in b.updates]

    @property
    def last_sequence_number(self) -> int | None:
        """The highest sequence number returned, or `None` when no batch came."""
        return max((b.sequence_number for b in self), default=None)


@dataclass
class SubscriptionRecord:
    """What this client knows about a subscription it created."""

    subscription_id: str
    display_name: str | None
    created: datetime
    monitored: dict[str, int] = field(default_factory=dict)


@dataclass
class ClientState:
    """Mutable state shared by a client and its `with_options()` copies."""

    api_root: str | None = None
    server_info: ServerInfo | None = None
    profile: ServerProfile | None = None
    """How the server takes writes: chosen at connect, changed by what the server shows."""
    subscriptions: dict[str, SubscriptionRecord] = field(default_factory=dict)
    callbacks: dict[str, Callable[..., Any] | None] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    warnings: list[str] = field(default_factory=list)
    deliveries: dict[str, Any] = field(default_factory=dict)
    """Live subscription deliveries by the subscription id the user holds."""
    acks: dict[str, int] = field(default_factory=dict)
    """The sequence number the next plain sync acknowledges, by subscription id (any
    subscription synced, not only those this client created)."""
    runtime: Any = None
    """The sync client's delivery threads, started by the first subscription."""


@dataclass
class Pool:
    """The pooled `httpx.Client` or `httpx.AsyncClient` of a client, created on first use.

    Shared with `with_options()` views, so that they use one connection pool.
    """

    http: Any = None
    gate: Any = None
    """The async client's limit on requests in flight: its pool's connection count."""
    coalescer: Any = None
    """The async client's merger of concurrent single-element reads."""
    loop: Any = None
    """The event loop the async client's `http`, `gate` and `coalescer` belong to."""
    closer: Any = None
    """The async generator that closes `http` when `loop` shuts down."""


_VERSION_SEGMENT: Final = ("/v1", "/v2", "/v0")


def _raw(response: httpx.Response) -> httpx.Response:
    return response


def _looks_like_namespaces(response: httpx.Response) -> bool:
    """Whether an answer is i3X's namespace list: objects with a `uri`, bare (as alpha
    servers send it) or in the `{"success": true, "result": [...]}` envelope."""
    if response.status_code != 200:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:  # not JSON, or not UTF-8
        return False
    if isinstance(body, dict) and body.get("success") is True:
        body = body.get("result")
    return (
        isinstance(body, list)
        and bool(body)
        and all(isinstance(ns, dict) and isinstance(ns.get("uri"), str) for ns in body)
    )


def _url_problem(reason: str) -> str:
    """What is wrong with an unparseable URL, without quoting the parser: it may quote
    a password (`http://user:pa/ss@host` reads as the port `pa`)."""
    reason = reason.lower()
    if "port" in reason:
        return "its port is not a number from 0 to 65535"
    if any(word in reason for word in ("ipv6", "ipv4", "idna", "host")):
        return "its host is not valid"
    if "non-printable" in reason:
        return "it contains a non-printable character"
    return "it cannot be parsed"


def _parse_base_url(base_url: str) -> tuple[str, tuple[str, str] | None, list[tuple[str, str]]]:
    """The URL to show, the credentials and the query parameters of `base_url`.

    `user:password@` becomes Basic auth and a query (an API gateway's `?code=`)
    default parameters of every request: neither then shows in repr, errors or logs,
    and paths are joined before the query instead of after it.
    """
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError as exc:
        raise ValueError(f"base_url is not a valid URL: {_url_problem(str(exc))}") from None
    if parts.scheme not in ("http", "https"):
        # Not quoted: without a scheme, urlsplit may take a password for the path.
        raise ValueError("base_url must be an http:// or https:// URL, such as https://host/v1")
    if not parts.hostname:
        raise ValueError("base_url has no host; pass one such as https://host/v1")
    if parts.fragment:
        raise ValueError("base_url must not have a #fragment: it is never sent to the server")
    host = parts.netloc.rsplit("@", 1)[-1]
    clean = urlunsplit((parts.scheme, host, parts.path, "", ""))
    try:
        httpx.URL(clean)
    except httpx.InvalidURL as exc:
        raise ValueError(f"base_url is not a valid URL: {_url_problem(str(exc))}") from None
    params = parse_qsl(parts.query, keep_blank_values=True)
    if parts.username is None:
        return clean, None, params
    return clean, (unquote(parts.username), unquote(parts.password or "")), params


def _check_auth(auth: object) -> Auth | None:
    """What httpx takes as `auth=`, checked now: httpx's own error quotes the value."""
    if auth is None or isinstance(auth, httpx.Auth):
        return auth
    if isinstance(auth, tuple):
        if len(auth) == 2 and isinstance(auth[0], str) and isinstance(auth[1], str):
            return (auth[0], auth[1])
        raise TypeError("auth must be a (username, password) tuple of two str")
    if callable(auth):
        return cast(Callable[[httpx.Request], httpx.Request], auth)
    raise TypeError(
        "auth must be None, a (username, password) tuple, an httpx.Auth or a "
        f"callable(request) -> request, not {type(auth).__name__}"
    )


def _check_limits(limits: object) -> httpx.Limits:
    if not isinstance(limits, httpx.Limits):
        raise TypeError(f"limits must be an httpx.Limits, not {type(limits).__name__}")
    return limits


def _check_proxy(proxy: object) -> httpx.Proxy | None:
    """The proxy, checked now: httpx would fail only at the first request."""
    if proxy is None:
        return None
    if isinstance(proxy, httpx.Proxy):
        checked = proxy
    elif isinstance(proxy, str | httpx.URL):
        try:
            checked = httpx.Proxy(proxy)
        except (ValueError, httpx.InvalidURL):
            # Not quoted: a proxy URL often carries user:password.
            raise ValueError(
                "proxy must be an http://, https://, socks5:// or socks5h:// URL, "
                "such as http://proxy.example:3128"
            ) from None
    else:
        raise TypeError(f"proxy must be a URL str or an httpx.Proxy, not {type(proxy).__name__}")
    if checked.url.scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise ImportError(
            "proxy: a SOCKS proxy needs the socksio package: pip install 'httpx[socks]'"
        )
    return checked


# RFC 9110 token characters: what a header name may hold.
_HEADER_NAME = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
# Control characters (HTAB aside): a CR or LF would end the header line, and h11
# refuses them only when sending, with the raw value in its message.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _check_token(token: object) -> str | None:
    """A bearer token: visible ASCII only, checked here so that h11 never quotes it."""
    if token is None:
        return None
    if not isinstance(token, str):
        raise TypeError(f"token must be a str, not {type(token).__name__}")
    if not token.isascii():
        raise ValueError("token contains non-ASCII characters; a bearer token is plain ASCII")
    if any(not ("\x21" <= c <= "\x7e") for c in token):
        # Not stripped silently: a token that needs cleaning may be the wrong file too.
        raise ValueError(
            "token contains whitespace or control characters (a token read from a file "
            "often ends with a newline: pass token.strip())"
        )
    return token


def _header_value(name: str, value: object) -> str | bytes:
    if isinstance(value, str):
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(
                f"headers[{name!r}] has characters outside Latin-1; pass the value "
                "encoded as bytes (such as value.encode('utf-8'))"
            ) from None
    elif isinstance(value, bytes):
        raw = value
    else:
        raise TypeError(f"headers[{name!r}] must be a str or bytes, not {type(value).__name__}")
    text = raw.decode("latin-1")
    if _CONTROL.search(text):
        raise ValueError(f"headers[{name!r}] contains a line break or control character")
    if text != text.strip(" \t"):
        raise ValueError(f"headers[{name!r}] has leading or trailing whitespace")
    # httpx encodes str header values as ASCII: Latin-1 ones go as the bytes they are.
    return value if isinstance(value, bytes) or value.isascii() else raw


def _check_headers(headers: object) -> dict[str, str | bytes]:
    """Extra headers, checked here: values are never quoted, they often carry API keys."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError(
            f"headers must be a mapping of header name to value, not {type(headers).__name__}"
        )
    checked: dict[str, str | bytes] = {}
    for key, value in headers.items():
        if isinstance(key, bytes):
            name = key.decode("latin-1")
        elif isinstance(key, str):
            name = key
        else:
            raise TypeError(f"headers: a header name must be a str, not {type(key).__name__}")
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"headers: {name!r} is not a valid header name")
        checked[name] = _header_value(name, value)
    return checked


def _ssl_context(verify: bool | str | ssl.SSLContext, cert: Any) -> bool | ssl.SSLContext:
    # httpx 0.28 deprecates CA bundle paths and `cert=`; an SSLContext says the same.
    if isinstance(verify, ssl.SSLContext):
        context = verify
    elif isinstance(verify, bool):
        if cert is None:
            return verify
        context = ssl.create_default_context()
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    elif isinstance(verify, str):
        try:
            context = ssl.create_default_context(cafile=verify)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"verify: cannot read the CA bundle {verify!r}: {exc}") from None
    else:
        raise TypeError(
            "verify must be a bool, a CA bundle path or an ssl.SSLContext, "
            f"not {type(verify).__name__}"
        )
    if cert is not None:
        files = (cert,) if isinstance(cert, str) else cert
        if not isinstance(files, tuple) or len(files) not in (1, 2, 3):
            raise TypeError("cert must be a path or a (certfile, keyfile[, password]) tuple")
        try:
            context.load_cert_chain(*files)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"cert: cannot load the client certificate: {exc}") from None
    return context


def _verification_off(verify: bool | ssl.SSLContext) -> bool:
    return verify is False or (
        isinstance(verify, ssl.SSLContext) and verify.verify_mode == ssl.CERT_NONE
    )


def _moment(rfc3339: str) -> datetime:
    # Compared as times, not text: "...00Z" sorts after "...00.5Z".
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))


def _batched(items: Sequence[_T], size: int) -> list[list[_T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class BaseClient:
    """Configuration, state and the operations shared by `Client` and
    `AsyncClient`; holds no connection itself."""

    _state: ClientState
    _options: Options
    _sleep: Callable[[float], Any]
    """How the client waits between retries (`time.sleep` or `asyncio.sleep`)."""
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
    ) -> None:
        self._profile_given = check_profile(server_profile)
        if transport is not None and not isinstance(transport, self._transport_type):
            raise TypeError(
                f"transport must be an {self._transport_type.__qualname__} for "
                f"{type(self).__name__}, not {type(transport).__name__}"
            )
        self._transport = transport
        if not isinstance(base_url, str):
            raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
        clean_url, url_auth, url_params = _parse_base_url(base_url.strip())
        auth = _check_auth(auth)
        if auth is not None and url_auth is not None:
            raise ValueError("pass credentials either in base_url or as auth=, not both")
        token = _check_token(token)
        extra_headers = _check_headers(headers)
        self._base_url = clean_url.rstrip("/")
        self._client_id = check_optional_str(client_id, "client_id") or f"i3x-{uuid.uuid4()}"
        self._options = Options(
            timeout=self._as_timeout(timeout),
            max_retries=check_positive_int(max_retries, "max_retries", minimum=0),
            batch_size=check_positive_int(batch_size, "batch_size"),
            max_concurrency=check_positive_int(max_concurrency, "max_concurrency"),
        )
        all_headers: dict[str, str | bytes] = {
            "User-Agent": f"i3x-python/{__version__}",
            "Accept": "application/json",
        }
        all_headers.update(extra_headers)
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        self._http_kwargs: dict[str, Any] = {
            "auth": auth if auth is not None else url_auth,
            "headers": all_headers,
            "params": url_params,
            "verify": _ssl_context(verify, cert),
            "proxy": _check_proxy(proxy),
            "limits": _check_limits(limits),
            "timeout": self._options.timeout,
            "follow_redirects": follow_redirects,
        }
        # Masked in every log record while this client or a view of it lives (_redaction).
        self._secrets = client_secrets(
            auth=self._http_kwargs["auth"],
            token=token,
            headers=extra_headers,
            params=url_params,
            proxy=self._http_kwargs["proxy"],
            cert=cert,
        )
        if _verification_off(self._http_kwargs["verify"]):
            warnings.warn(
                InsecureTLSWarning(
                    f"TLS certificate verification is off for {self._base_url} (verify=False): "
                    "anyone on the network path can read and change this client's traffic, "
                    "credentials included. Pass verify='/path/to/ca.pem' to trust a private CA"
                ),
                stacklevel=2,
            )
        self._state = ClientState()
        self._pool = Pool()

    # ---------------------------------------------------------------- configuration

    def _http_settings(self) -> dict[str, Any]:
        """The arguments of every httpx client this client opens.

        `verify=True` becomes one SSL context, made on first use and then shared (the
        dict is shared with `with_options()` views and delivery pools too): httpx would
        load the CA bundle again for each client, about 10 ms, at every subscribe.
        """
        kwargs = self._http_kwargs
        if kwargs["verify"] is True:
            kwargs["verify"] = httpx.create_ssl_context(verify=True, trust_env=True)
        return kwargs

    @staticmethod
    def _as_timeout(timeout: Timeout) -> httpx.Timeout:
        if isinstance(timeout, httpx.Timeout):
            return timeout
        if timeout is None:
            return httpx.Timeout(None)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise TypeError(
                f"timeout must be a number of seconds or an httpx.Timeout, not {type(timeout).__name__}"
            )
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        return httpx.Timeout(float(timeout))

    def _copy_with(
        self, timeout: Timeout | NotGiven, max_retries: int | None, batch_size: int | None
    ) -> Any:
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        changes: dict[str, Any] = {}
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = self._as_timeout(timeout)
        if max_retries is not None:
            changes["max_retries"] = check_positive_int(max_retries, "max_retries", minimum=0)
        if batch_size is not None:
            changes["batch_size"] = check_positive_int(batch_size, "batch_size")
        clone._options = replace(self._options, **changes)
        return clone

    @property
    def base_url(self) -> str:
        """The base URL given to the client, without credentials or query.

        A query in the given URL (such as an API gateway's `?code=`) is sent with
        every request, but not shown here, in `repr()`, errors or logs.
        """
        return self._base_url

    @property
    def api_url(self) -> str | None:
        """The API root in use (`base_url` or `base_url + "/v1"`), once connected."""
        return self._state.api_root

    @property
    def client_id(self) -> str:
        """The id that scopes this client's subscriptions on the server."""
        return self._client_id

    @property
    def server_info(self) -> ServerInfo | None:
        """What `GET /info` said at `connect()`, or `None` before."""
        return self._state.server_info

    @property
    def server_profile(self) -> ServerProfile | None:
        """How the server takes writes (see `i3x.ServerProfile`): the `server_profile=`
        given, else the one chosen at connect from `/info` and from what the server
        showed since (a bulk write route it lacks); `None` before connecting."""
        return self._state.profile or self._profile_given

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout of each request."""
        return self._options.timeout

    @property
    def max_retries(self) -> int:
        """Retries after a failed attempt (0: none)."""
        return self._options.max_retries

    def __repr__(self) -> str:
        state = "connected" if self._state.api_root else "not connected"
        return f"{type(self).__name__}({self._base_url!r}, {state})"

    # ------------------------------------------------------------------- callbacks

    def _callback(self, name: str) -> Callable[..., Any] | None:
        return self._state.callbacks.get(name)

    @property
    def on_connect(self) -> Callable[..., Any] | None:
        """Called as `on_connect(client)` after a successful connection."""
        return self._callback("on_connect")

    @on_connect.setter
    def on_connect(self, fn: Callable[..., Any] | None) -> None:
        self._state.callbacks["on_connect"] = fn

    @property
    def on_disconnect(self) -> Callable[..., Any] | None:
        """Called as `on_disconnect(client)` after disconnection."""
        return self._callback("on_disconnect")

    @on_disconnect.setter
    def on_disconnect(self, fn: Callable[..., Any] | None) -> None:
        self._state.callbacks["on_disconnect"] = fn

    @property
    def on_value_change(self) -> Callable[..., Any] | None:
        """Called as `on_value_change(client, change)` for each subscribed change."""
        return self._callback("on_value_change")

    @on_value_change.setter
    def on_value_change(self, fn: Callable[..., Any] | None) -> None:
        self._state.callbacks["on_value_change"] = fn

    @property
    def on_subscribe(self) -> Callable[..., Any] | None:
        """Called as `on_subscribe(client, subscription)` after `subscribe()`."""
        return self._callback("on_subscribe")

    @on_subscribe.setter
    def on_subscribe(self, fn: Callable[..., Any] | None) -> None:
        self._state.callbacks["on_subscribe"] = fn

    @property
    def on_error(self) -> Callable[..., Any] | None:
        """Called as `on_error(client, error)` for stream and subscription errors and gap notices."""
        return self._callback("on_error")

    @on_error.setter
    def on_error(self, fn: Callable[..., Any] | None) -> None:
        self._state.callbacks["on_error"] = fn

    # --------------------------------------------------------------------- requests

    def _may_retry(self, exc: I3XError, call: Call[Any]) -> bool:
        return self._options.max_retries > 0 and should_retry(exc, idempotent=call.idempotent)

    def _retry_args(self, call: Call[Any]) -> dict[str, Any]:
        """Keyword arguments for the client's tenacity loop over `call`'s attempts."""
        return retry_args(
            max_retries=self._options.max_retries, idempotent=call.idempotent, sleep=self._sleep
        )

    def _url(self, call: Call[Any]) -> str:
        root = call.root or self._state.api_root
        assert root is not None, "flows that need a connection run after connect"
        return root + call.path

    # ------------------------------------------------------------------ connection

    def _connect_flow(self) -> Flow[ServerInfo]:
        base = self._base_url
        roots = [base] if base.endswith(_VERSION_SEGMENT) else [base, base + "/v1"]
        problems: list[I3XError] = []
        for root in roots:
            try:
                response = yield Call("GET", "/info", parse=_raw, root=root)
                raise_for_status(response)
            except APIStatusError as exc:
                if exc.status_code in (404, 405):
                    problems.append(exc)
                    continue
                raise
            try:
                info, _ = decode_result(response, ServerInfo, "ServerInfo")
            except InvalidServerResponseError as exc:
                problems.append(exc)
                continue
            if not isinstance(info, ServerInfo):
                problems.append(InvalidServerResponseError("empty /info answer"))
                continue
            self._set_connected(root, info)
            return info
        if all(isinstance(p, APIStatusError) for p in problems):
            raise (yield from self._no_info_error(roots, problems))
        last = next(p for p in reversed(problems) if isinstance(p, InvalidServerResponseError))
        raise InvalidServerResponseError(
            f"{base} answered GET /info, but not with an i3X document ({last.message}). "
            "The base URL most likely points at something else: a web page, a login portal "
            "or a gateway. Pass the i3X API's base URL, such as https://host/ or https://host/v1.",
            last.status_code,
            detail=last.detail or last.message,
            method="GET",
            url=last.url or base + "/info",
        ) from last

    def _no_info_error(self, roots: list[str], problems: list[I3XError]) -> Flow[I3XError]:
        """The error for a URL where no root answered `GET /info`.

        An alpha server has no `/info` but answers its API routes, so `GET /namespaces`
        tells one from a plain web server or a mistyped base URL. Only the roots already
        tried are asked: no URL is guessed (such as a doubled `/v1`).
        """
        tried = [
            f"GET {root}/info (HTTP {p.status_code})"
            for root, p in zip(roots, problems, strict=True)
        ]
        for root in roots:
            try:
                response: httpx.Response = yield Call("GET", "/namespaces", parse=_raw, root=root)
            except I3XError as exc:
                tried.append(f"GET {root}/namespaces ({exc.message})")
                continue
            if _looks_like_namespaces(response):
                return UnsupportedVersionError(
                    f"{root} answers GET /namespaces like a pre-release (alpha) i3X server, "
                    "but has no GET /info: this SDK supports i3X 1.0 servers (and beta ones). "
                    "Upgrade the server to i3X 1.0.",
                    problems[-1].status_code,
                    method="GET",
                    url=f"{root}/info",
                )
            kind = ", not i3X JSON" if response.status_code < 400 else ""
            tried.append(f"GET {root}/namespaces (HTTP {response.status_code}{kind})")
        origin = urlunsplit((*urlsplit(self._base_url)[:2], "", "", ""))
        return InvalidServerResponseError(
            f"no i3X API answered at {self._base_url}: tried {', '.join(tried)}. Check the "
            f"base URL: pass the i3X server's address (such as {origin}) or its API root "
            f"(such as {origin}/v1).",
            problems[-1].status_code,
            detail=f"tried {', '.join(tried)}",
            method="GET",
            url=f"{roots[-1]}/info",
        )

    def _set_connected(self, root: str, info: ServerInfo) -> None:
        with self._state.lock:
            self._state.api_root = root
            self._state.server_info = info
            self._choose_profile(info)
            notice = pre_release_notice(root, info)
            if notice is not None:
                self._state.warnings.append(notice)

    def _choose_profile(self, info: ServerInfo) -> None:
        if self._profile_given is not None:
            profile, why = self._profile_given, "given as server_profile="
        else:
            profile, why = profile_from_info(info)
        self._state.profile = profile
        logger.debug("server profile %r for %s: %s", profile.value, self._base_url, why)

    def _take_warnings(self) -> list[str]:
        with self._state.lock:
            pending, self._state.warnings = self._state.warnings, []
        return pending

    def _forget_connection(self) -> None:
        with self._state.lock:
            self._state.api_root = None
            self._state.server_info = None
            self._state.profile = None

    # ------------------------------------------------------------------ primitives

    def _get_result(
        self, path: str, tp: Any, what: str, params: dict[str, str] | None = None
    ) -> Flow[Any]:
        def parse(response: httpx.Response) -> Any:
            result, _ = decode_result(response, tp, what)
            return result if result is not None else []

        result = yield Call("GET", path, parse=parse, params=params)
        return result

    def _bulk(
        self,
        path: str,
        keys: Sequence[str],
        body: Callable[[list[str]], dict[str, Any]],
        item_type: Any,
        what: str,
        *,
        idempotent: bool = True,
        method: str = "POST",
        batch: bool = True,
        convert: Convert | None = None,
    ) -> Flow[tuple[list[tuple[str, Any]], ResponseDetail | None]]:
        """Send a bulk request (in batches) and pair every key with its result.

        Raises `BulkError` with every item when any item failed.
        """
        chunks = _batched(keys, self._options.batch_size) if batch else [list(keys)]

        def call_for(chunk: list[str]) -> Call[Any]:
            def parse(response: httpx.Response) -> Any:
                envelope = decode_bulk(response, item_type, what)
                return bulk_results(
                    response, envelope, chunk, what=what, convert=convert, item_type=item_type
                )

            return Call(method, path, parse=parse, json=body(chunk), idempotent=idempotent)

        if len(chunks) == 1:
            outcomes = [(yield from self._attempt(call_for(chunks[0])))]
        else:
            outcomes = yield Batch(tuple(call_for(c) for c in chunks))
        return self._merge(outcomes, chunks, what)

    @staticmethod
    def _attempt(call: Call[Any]) -> Flow[Any]:
        # One call as a batch outcome: its result or the error it raised.
        try:
            return (yield call)
        except BulkError as exc:
            return exc

    @staticmethod
    def _merge(
        outcomes: Sequence[Any], chunks: Sequence[Sequence[str]], what: str
    ) -> tuple[list[tuple[str, Any]], ResponseDetail | None]:
        pairs: list[tuple[str, Any]] = []
        detail: ResponseDetail | None = None
        failures: list[BulkError] = []
        for outcome in outcomes:
            if isinstance(outcome, BulkError):
                failures.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                chunk_pairs, chunk_detail = outcome
                pairs.extend(chunk_pairs)
                detail = detail or chunk_detail
                failures.append(
                    BulkError(
                        "",
                        items=[
                            BulkItem(success=True, element_id=k, result=v) for k, v in chunk_pairs
                        ],
                        errors={},
                        results=dict(chunk_pairs),
                    )
                )
        if any(f.errors for f in failures):
            total = sum(len(c) for c in chunks)
            raise merge_bulk_errors(failures, total, what)
        return pairs, detail

    def _single(
        self, flow: Flow[tuple[list[tuple[str, Any]], ResponseDetail | None]], key: str
    ) -> Flow[tuple[Any, ResponseDetail | None]]:
        try:
            pairs, detail = yield from flow
        except BulkError as exc:
            raise exc.errors[key] from None
        return pairs[0][1], detail

    # ----------------------------------------------------------------- exploration

    def _get_info(self) -> Flow[ServerInfo]:
        def parse(response: httpx.Response) -> ServerInfo:
            info, _ = decode_result(response, ServerInfo, "ServerInfo")
            return as_model(ServerInfo, info, response, "ServerInfo")

        info: ServerInfo = yield Call("GET", "/info", parse=parse)
        return info

    def _get_namespaces(self) -> Flow[list[Namespace]]:
        result: list[Namespace] = yield from self._get_result(
            "/namespaces", list[Namespace], "Namespace"
        )
        return result

    def _get_object_types(self, namespace_uri: str | None) -> Flow[list[ObjectType]]:
        uri = check_optional_str(namespace_uri, "namespace_uri")
        params = {"namespaceUri": uri} if uri else None
        result: list[ObjectType] = yield from self._get_result(
            "/objecttypes", list[ObjectType], "ObjectType", params
        )
        return result

    def _query_object_types(self, element_ids: Iterable[str]) -> Flow[list[ObjectType]]:
        ids = check_ids(element_ids, "element_ids")
        pairs, _ = yield from self._bulk(
            "/objecttypes/query", ids, lambda c: {"elementIds": c}, ObjectType, "object types"
        )
        return [v for _, v in pairs]

    def _get_relationship_types(self, namespace_uri: str | None) -> Flow[list[RelationshipType]]:
        uri = check_optional_str(namespace_uri, "namespace_uri")
        params = {"namespaceUri": uri} if uri else None
        result: list[RelationshipType] = yield from self._get_result(
            "/relationshiptypes", list[RelationshipType], "RelationshipType", params
        )
        return result

    def _query_relationship_types(self, element_ids: Iterable[str]) -> Flow[list[RelationshipType]]:
        ids = check_ids(element_ids, "element_ids")
        pairs, _ = yield from self._bulk(
            "/relationshiptypes/query",
            ids,
            lambda c: {"elementIds": c},
            RelationshipType,
            "relationship types",
        )
        return [v for _, v in pairs]

    def _get_objects(
        self,
        type_id: str | None,
        include_metadata: bool,
        root: bool | None,
        type_element_id: str | None = None,
    ) -> Flow[list[ObjectInstance]]:
        if type_id is not None and type_element_id is not None and type_id != type_element_id:
            raise ValueError("pass type_id or type_element_id (the same filter), not both")
        if type_id is not None:
            type_filter = check_optional_str(type_id, "type_id")
        else:
            type_filter = check_optional_str(type_element_id, "type_element_id")
        params: dict[str, str] = {}
        if type_filter is not None:
            params["typeElementId"] = type_filter
        if check_bool(include_metadata, "include_metadata"):
            params["includeMetadata"] = "true"
        if root is not None:
            params["root"] = "true" if check_bool(root, "root") else "false"
        result: list[ObjectInstance] = yield from self._get_result(
            "/objects", list[ObjectInstance], "ObjectInstance", params or None
        )
        return result

    def _list_objects(
        self, element_ids: Iterable[str], include_metadata: bool
    ) -> Flow[list[ObjectInstance]]:
        ids = check_ids(element_ids, "element_ids")
        meta = check_bool(include_metadata, "include_metadata")
        pairs, _ = yield from self._objects_by_id(ids, meta)
        return [v for _, v in pairs]

    def _get_object(self, element_id: str, include_metadata: bool) -> Flow[ObjectInstance]:
        key = check_id(element_id, "element_id")
        meta = check_bool(include_metadata, "include_metadata")
        result, _ = yield from self._single(self._objects_by_id([key], meta), key)
        found: ObjectInstance = result
        return found

    def _list_objects_by_id(self, ids: list[str], include_metadata: bool) -> Flow[dict[str, Any]]:
        """Objects by id, keyed by id (for merged single-object reads)."""
        pairs, _ = yield from self._objects_by_id(ids, include_metadata)
        return dict(pairs)

    def _objects_by_id(
        self, ids: list[str], include_metadata: bool
    ) -> Flow[tuple[list[tuple[str, Any]], ResponseDetail | None]]:
        """`POST /objects/list` for checked ids, in batches."""
        return self._bulk(
            "/objects/list",
            ids,
            lambda c: {"elementIds": c, "includeMetadata": include_metadata},
            ObjectInstance,
            "objects",
        )

    def _get_related_objects(
        self, element_ids: Iterable[str], relationship_type: str | None, include_metadata: bool
    ) -> Flow[list[RelatedObject]]:
        ids = check_ids(element_ids, "element_ids")
        rel = check_optional_str(relationship_type, "relationship_type")
        meta = check_bool(include_metadata, "include_metadata")

        def body(chunk: list[str]) -> dict[str, Any]:
            data: dict[str, Any] = {"elementIds": chunk, "includeMetadata": meta}
            if rel is not None:
                data["relationshipType"] = rel
            return data

        pairs, _ = yield from self._bulk(
            # An element without relations may come back with no result at all.
            "/objects/related",
            ids,
            body,
            list[RelatedObject] | None,
            "related-object queries",
        )
        return [obj for _, objs in pairs for obj in (objs or [])]

    # ---------------------------------------------------------------------- values

    def _values(
        self, path: str, ids: list[str], body: Callable[[list[str]], dict[str, Any]], what: str
    ) -> Flow[dict[str, LastKnownValue]]:
        pairs, _ = yield from self._bulk(
            path, ids, body, dict[str, Any], what, convert=value_result
        )
        return dict(pairs)

    def _get_values(
        self, element_ids: Iterable[str], max_depth: int
    ) -> Flow[dict[str, LastKnownValue]]:
        ids = check_ids(element_ids, "element_ids")
        depth = check_depth(max_depth)
        return (
            yield from self._values(
                "/objects/value", ids, lambda c: {"elementIds": c, "maxDepth": depth}, "values"
            )
        )

    def _get_value(self, element_id: str, max_depth: int) -> Flow[LastKnownValue]:
        key = check_id(element_id, "element_id")
        depth = check_depth(max_depth)
        try:
            values = yield from self._values(
                "/objects/value", [key], lambda c: {"elementIds": c, "maxDepth": depth}, "values"
            )
        except BulkError as exc:
            raise exc.errors[key] from None
        return values[key]

    def _history_body(
        self, start_time: Any, end_time: Any, max_depth: int
    ) -> Callable[[list[str]], dict[str, Any]]:
        start = HISTORY_EPOCH if start_time is None else check_time(start_time, "start_time")
        # Two independent 1.0 servers answer 400 without endTime: no end means now.
        end = check_time(datetime.now(timezone.utc) if end_time is None else end_time, "end_time")
        if start_time is not None and _moment(start) > _moment(end):
            if end_time is None:
                # Else the server would refuse an endTime the caller never gave.
                raise ValueError(
                    f"start_time ({start}) is in the future: without an end_time a history "
                    f"ends now ({end}); pass an end_time after start_time"
                )
            raise ValueError(f"start_time ({start}) is after end_time ({end})")
        depth = check_depth(max_depth)
        return lambda c: {"elementIds": c, "startTime": start, "endTime": end, "maxDepth": depth}

    def _get_history(
        self, element_id: str, start_time: Any, end_time: Any, max_depth: int
    ) -> Flow[LastKnownValue]:
        key = check_id(element_id, "element_id")
        body = self._history_body(start_time, end_time, max_depth)
        try:
            values = yield from self._values("/objects/history", [key], body, "histories")
        except BulkError as exc:
            raise exc.errors[key] from None
        return values[key]

    def _get_histories(
        self, element_ids: Iterable[str], start_time: Any, end_time: Any, max_depth: int
    ) -> Flow[dict[str, LastKnownValue]]:
        ids = check_ids(element_ids, "element_ids")
        body = self._history_body(start_time, end_time, max_depth)
        return (yield from self._values("/objects/history", ids, body, "histories"))

    # ---------------------------------------------------------------------- writes

    @staticmethod
    def _vqt_body(
        value: Any,
        quality: str | None,
        timestamp: Any,
        *,
        require_timestamp: bool = False,
        name: str = "value",
    ) -> dict[str, Any]:
        """The wire VQT for a write.

        An `VQT` is written as the VQT it is, and so is a VQT-shaped dict
        (`vqt_parts()`); anything else (a number, a string, a dict such as
        `{"temperature": 72.5}`...) is the value itself.
        """
        value, quality, timestamp = vqt_parts(value, quality, timestamp, name)
        if isinstance(value, VQT):
            body: dict[str, Any] = {"value": value.value, "quality": value.quality}
            if value.timestamp is not None:
                body["timestamp"] = check_time(value.timestamp, f"{name}.timestamp")
        else:
            body = {"value": value}
        if quality is not None:
            body["quality"] = check_id(quality, "quality")
        if timestamp is not None:
            body["timestamp"] = check_time(timestamp, "timestamp")
        if require_timestamp and "timestamp" not in body:
            raise ValueError(f"{name} needs a timestamp: history entries are placed in time")
        return body

    def _write_values(self, updates: list[tuple[str, dict[str, Any]]]) -> Flow[None]:
        """Write current values the way the server's profile says (see `i3x.ServerProfile`).

        A bulk profile whose route turns out to be missing (405, or a 404 that is not
        an i3X answer) becomes its per-element twin for this client from then on,
        unless the user chose the profile; a failed item never counts as a missing route.
        """
        yield CONNECTED  # the profile comes from the server
        profile = self.server_profile or ServerProfile.SPEC
        refuse_unstorable(profile, updates)
        if not profile.per_element:
            written = yield from self._bulk_writes(profile, updates)
            if written:
                return
            profile = self._learn_no_bulk_route(profile)
        yield from self._element_writes(profile, updates)

    def _bulk_writes(
        self, profile: ServerProfile, updates: list[tuple[str, dict[str, Any]]]
    ) -> Flow[bool]:
        """One `PUT /objects/value` for every update; `False` when the route is missing."""
        keys = [k for k, _ in updates]

        def parse(response: httpx.Response) -> bool:
            if route_is_missing(response):
                if self._profile_given is None:
                    return False
                method, url = request_label(response.request)
                raise NotSupportedError(
                    f"the server has no bulk write route (HTTP {response.status_code}), and "
                    f"server_profile={profile.value!r} was given: pass "
                    f"server_profile={without_bulk_route(profile).value!r}, or leave it out "
                    "to let the client choose",
                    response.status_code,
                    detail=error_detail(response).detail,
                    method=method,
                    url=url,
                )
            envelope = decode_bulk(response, Any, "writes")
            bulk_results(response, envelope, keys, what="writes")
            return True

        body = {"updates": [{"elementId": k, "value": update_body(profile, v)} for k, v in updates]}
        written: bool = yield Call(
            "PUT", "/objects/value", parse=parse, json=body, idempotent=False
        )
        return written

    def _learn_no_bulk_route(self, profile: ServerProfile) -> ServerProfile:
        """Remember, for this client and its views, that the server has no bulk write."""
        learned = without_bulk_route(profile)
        with self._state.lock:
            self._state.profile = learned
        logger.debug(
            "server profile %r for %s: PUT /objects/value is not there, writing per element",
            learned.value,
            self._base_url,
        )
        return learned

    def _element_writes(
        self, profile: ServerProfile, updates: list[tuple[str, dict[str, Any]]]
    ) -> Flow[None]:
        # One PUT /objects/{id}/value per element, sent concurrently by the async client.
        def call_for(key: str, vqt: dict[str, Any]) -> Call[Any]:
            def parse(response: httpx.Response) -> None:
                if route_is_missing(response):
                    method, url = request_label(response.request)
                    raise NotSupportedError(
                        f"{key}: the server takes no writes of current values: neither "
                        f"PUT /objects/value nor PUT /objects/{{elementId}}/value is there "
                        f"(HTTP {response.status_code})",
                        response.status_code,
                        detail=error_detail(response).detail,
                        method=method,
                        url=url,
                    )
                raise_for_failure(response, context=key)

            return Call(
                "PUT",
                f"/objects/{quote(key, safe='')}/value",
                parse=parse,
                json=update_body(profile, vqt),
                idempotent=False,
            )

        if len(updates) == 1:
            yield call_for(*updates[0])
            return
        outcomes = yield Batch(tuple(call_for(k, v) for k, v in updates))
        errors = {
            k: o for (k, _), o in zip(updates, outcomes, strict=True) if isinstance(o, I3XError)
        }
        if errors:
            items: list[BulkItem[Any]] = [
                BulkItem(success=k not in errors, element_id=k) for k, _ in updates
            ]
            raise BulkError(
                f"{len(errors)} of {len(updates)} writes failed: "
                + "; ".join(f"{k!r}: {e.message}" for k, e in errors.items()),
                items=items,
                errors=errors,
                results={k: None for k, _ in updates if k not in errors},
            )

    def _update_value(
        self, element_id: str, value: Any, quality: str | None, timestamp: Any
    ) -> Flow[None]:
        key = check_id(element_id, "element_id")
        body = self._vqt_body(value, quality, timestamp)
        try:
            yield from self._write_values([(key, body)])
        except BulkError as exc:
            raise exc.errors[key] from None

    def _update_values(
        self, updates: Mapping[str, Any] | Iterable[tuple[str, Any]]
    ) -> Flow[list[dict[str, Any]]]:
        given: object = updates  # checked at run time: callers are not all type-checked
        if isinstance(given, str | bytes) or not isinstance(updates, Mapping | Iterable):
            raise TypeError(
                f"updates must be a mapping of element id to value, not {type(updates).__name__}"
            )
        pairs = list(updates.items()) if isinstance(updates, Mapping) else list(updates)
        if not pairs:
            raise ValueError("updates must not be empty")
        bodies = []
        for i, pair in enumerate(pairs):
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise TypeError(f"updates[{i}] must be an (element_id, value) pair")
            bodies.append(
                (
                    check_id(pair[0], f"updates[{i}] element id"),
                    self._vqt_body(pair[1], None, None, name=f"updates[{pair[0]!r}]"),
                )
            )
        yield from self._write_values(bodies)
        return succeeded((key, None) for key, _ in bodies)

    def _update_history(self, element_id: str, value: Any) -> Flow[None]:
        key = check_id(element_id, "element_id")
        entries = list(value) if isinstance(value, list | tuple) else [value]
        if not entries:
            raise ValueError("value must hold at least one VQT")
        bodies = []
        for i, entry in enumerate(entries):
            name = "value" if len(entries) == 1 else f"value[{i}]"
            if isinstance(entry, Mapping):
                try:
                    entry = VQT.from_dict(entry)  # noqa: PLW2901 - normalised in place
                except ValueError:
                    raise ValueError(
                        f"{name} must be a VQT or a dict with value, quality and timestamp"
                    ) from None
            if not isinstance(entry, VQT):
                raise TypeError(
                    f"{name} must be an i3x.VQT (history entries need a timestamp), not {type(entry).__name__}"
                )
            bodies.append(
                {
                    "elementId": key,
                    "value": self._vqt_body(entry, None, None, require_timestamp=True, name=name),
                }
            )

        def parse(response: httpx.Response) -> None:
            envelope = decode_bulk(response, Any, "history writes")
            # One item per update, or one for the element ("succeeded/failed per elementId").
            keys = [key] * (len(bodies) if len(envelope.results) != 1 else 1)
            try:
                bulk_results(response, envelope, keys, what="history writes")
            except BulkError as exc:
                first = next(iter(exc.errors.values()))
                raise first from None

        yield Call(
            "PUT", "/objects/history", parse=parse, json={"updates": bodies}, idempotent=False
        )

    # --------------------------------------------------------------- subscriptions

    def _subscription_body(self, subscription_id: str, **extra: Any) -> dict[str, Any]:
        return {"clientId": self._client_id, "subscriptionId": subscription_id, **extra}

    def _create_subscription(self, display_name: str | None) -> Flow[str]:
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

        body: dict[str, Any] = {"clientId": self._client_id}
        if name is not None:
            body["displayName"] = name
        sub_id: str = yield Call("POST", "/subscriptions", parse=parse, json=body, idempotent=False)
        with self._state.lock:
            self._state.subscriptions[sub_id] = SubscriptionRecord(
                sub_id, name, datetime.now(timezone.utc)
            )
        return sub_id

    def _register_items(
        self, subscription_id: str, element_ids: Iterable[str], max_depth: int
    ) -> Flow[list[dict[str, Any]]]:
        sub_id = self._server_id(subscription_key(subscription_id, "subscription_id"))
        ids = check_ids(element_ids, "element_ids")
        depth = check_depth(max_depth)
        accepted: list[str] = []
        try:
            pairs, _ = yield from self._bulk(
                "/subscriptions/register",
                ids,
                lambda c: self._subscription_body(sub_id, elementIds=c, maxDepth=depth),
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
            with self._state.lock:
                record = self._state.subscriptions.get(sub_id)
                if record is not None:
                    record.monitored.update(dict.fromkeys(accepted, depth))
        return succeeded(pairs)

    def _unregister_items(
        self, subscription_id: str, element_ids: Iterable[str]
    ) -> Flow[list[dict[str, Any]]]:
        sub_id = self._server_id(subscription_key(subscription_id, "subscription_id"))
        ids = check_ids(element_ids, "element_ids")
        pairs, _ = yield from self._bulk(
            "/subscriptions/unregister",
            ids,
            lambda c: self._subscription_body(sub_id, elementIds=c),
            Any,
            "unregistrations",
            idempotent=False,
        )
        with self._state.lock:
            record = self._state.subscriptions.get(sub_id)
            if record is not None:
                for key in ids:
                    record.monitored.pop(key, None)
        return succeeded(pairs)

    def _known(self, subscription: Subscription) -> Subscription:
        """Fill in what this client knows and the server does not say."""
        record = self._state.subscriptions.get(subscription.subscription_id)
        extra: dict[str, Any] = {}
        if subscription.client_id is None:  # i3X 1.0 does not send it; it is ours
            extra["client_id"] = self._client_id
        if record is not None:
            extra["created"] = record.created
            if subscription.display_name is None:
                extra["display_name"] = record.display_name
        extra.update(self._live_facts(subscription.subscription_id))
        return evolve(subscription, **extra) if extra else subscription

    def _list_subscriptions(
        self, subscription_ids: Iterable[str] | None
    ) -> Flow[list[Subscription]]:
        if subscription_ids is None:
            with self._state.lock:
                ids = list(self._state.subscriptions)
            if not ids:
                return []
        else:
            ids = [
                self._server_id(subscription_key(s, "subscription_ids"))
                for s in check_ids_or_subs(subscription_ids)
            ]
        pairs, _ = yield from self._bulk(
            "/subscriptions/list",
            ids,
            lambda c: {"clientId": self._client_id, "subscriptionIds": c},
            Subscription,
            "subscriptions",
        )
        return [self._known(v) for _, v in pairs]

    def _get_subscription(self, subscription_id: str) -> Flow[Subscription]:
        key = self._server_id(subscription_key(subscription_id, "subscription_id"))
        try:
            subs = yield from self._list_subscriptions([key])
        except BulkError as exc:
            raise exc.errors[key] from None
        return subs[0]

    def _delete_subscriptions(self, subscription_ids: Iterable[str]) -> Flow[None]:
        ids = [
            self._server_id(subscription_key(s, "subscription_ids"))
            for s in check_ids_or_subs(subscription_ids)
        ]
        try:
            yield from self._bulk(
                "/subscriptions/delete",
                ids,
                lambda c: {"clientId": self._client_id, "subscriptionIds": c},
                Any,
                "deletions",
                idempotent=False,
            )
        finally:
            with self._state.lock:
                for key in ids:
                    self._state.subscriptions.pop(key, None)
                    self._state.acks.pop(key, None)

    def _subscribe_flow(
        self, element_ids: Iterable[str], max_depth: int, display_name: str | None
    ) -> Flow[str]:
        """Create a subscription and register the elements; delete it again if that fails."""
        ids = check_ids(element_ids, "element_ids")
        depth = check_depth(max_depth)
        sub_id = yield from self._create_subscription(display_name)
        try:
            yield from self._register_items(sub_id, ids, depth)
        except BaseException:
            with contextlib.suppress(I3XError):  # the registration error is the one to report
                yield from self._delete_subscriptions([sub_id])
            raise
        return sub_id

    def _delete_quietly(self, subscription_id: str) -> Flow[None]:
        """Delete a subscription; one the server no longer has is fine."""
        try:
            yield from self._delete_subscriptions([subscription_id])
        except BulkError as exc:
            if not all(isinstance(e, NotFoundError) for e in exc.errors.values()):
                raise

    def _subscription_model(self, sub_id: str, delivery: Any = None) -> Subscription:
        """A `Subscription` from what this client knows, without a request."""
        server_id = delivery.server_id if delivery is not None else sub_id
        with self._state.lock:
            record = self._state.subscriptions.get(server_id)
            monitored = dict(record.monitored) if record is not None else {}
        return Subscription(
            subscription_id=sub_id,
            created=record.created if record is not None else None,
            objects=list(monitored),
            display_name=record.display_name if record is not None else None,
            client_id=self._client_id,
            monitored_objects=[
                MonitoredObject(element_id=k, max_depth=v) for k, v in monitored.items()
            ],
            **self._live_facts(sub_id),
        )

    def _final_acks(self, deliveries: Iterable[Any]) -> list[Flow[SyncResult]]:
        """Syncs that tell the server what stopped sync-mode deliveries handed out since their
        last sync, so that a later client with the same `client_id` resumes exactly there.

        Their answers are dropped: what they return was not delivered and stays queued.
        """
        return [
            self._sync_subscription(d.server_id, d.delivered_seq, auto_ack=False, delivery=True)
            for d in deliveries
            if d.mode == "sync"
            and d.delivered_seq is not None
            and d.delivered_seq != d.server_acked
        ]

    def _sync_subscription(
        self,
        subscription: Subscription | str,
        last_sequence_number: int | None,
        *,
        auto_ack: bool = True,
        delivery: bool = False,
        stamp_as: str | None = None,
    ) -> Flow[SyncResult]:
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
        if not delivery:
            self._check_not_delivered(key)
            key = self._server_id(key)
        with self._state.lock:
            ack = last_sequence_number
            if ack is None and auto_ack:
                ack = self._state.acks.get(key)
        body = self._subscription_body(key)
        if ack is not None:
            body["lastSequenceNumber"] = ack

        def parse(response: httpx.Response) -> SyncResult:
            stamp = stamp_as or key
            with pause_gc:  # a backlog is tens of thousands of new objects: see pause_gc
                result, detail = decode_result(response, list[SyncEntryWire], "SyncBatch")
                batches = sorted(
                    (batch_from_wire(b, stamp) for b in result or ()),
                    key=lambda b: b.sequence_number,
                )
            gap = None
            if response.status_code == 206:
                gap = self._gap(key, ack, batches, detail)
            return SyncResult(batches, response_detail=detail, gap=gap)

        # Sync is safe to repeat: unacknowledged batches come again, except after -1.
        synced: SyncResult = yield Call(
            "POST", "/subscriptions/sync", parse=parse, json=body, idempotent=ack != -1
        )
        if not delivery:
            # What a plain call returned has reached the caller: the next call acknowledges
            # it. A delivery acknowledges only what reached its consumer (mark_delivered).
            with self._state.lock:
                newest = synced.last_sequence_number if synced else ack
                if newest is None or newest < 0:
                    self._state.acks.pop(key, None)
                else:
                    self._state.acks[key] = newest
        return synced

    def _check_not_delivered(self, subscription_id: str) -> None:
        """Refuse to sync a subscription this client is delivering (streaming or polling)."""
        delivery = self._delivery_for(subscription_id)
        if delivery is not None and not delivery.stopped:
            raise SubscriptionError(
                f"subscription {subscription_id} is being delivered by this client "
                f"({delivery.mode} mode); a sync now would "
                + ("be refused by the server" if delivery.mode == "stream" else "steal its updates")
                + ". Call stop_stream() first",
                subscription_id=subscription_id,
            )

    def _delivery_for(self, key: str) -> Any:
        """The live delivery of a subscription, by the id the user holds or the server's."""
        with self._state.lock:
            delivery = self._state.deliveries.get(key)
            if delivery is None:
                delivery = next(
                    (d for d in self._state.deliveries.values() if d.server_id == key), None
                )
        return delivery

    def _server_id(self, key: str) -> str:
        """The id the server knows a subscription by (it changes when one is re-created)."""
        delivery = self._delivery_for(key)
        return delivery.server_id if delivery is not None else key

    def _live_facts(self, subscription_id: str) -> dict[str, Any]:
        """`is_streaming` and `queued_updates`, from the delivery machinery."""
        delivery = self._delivery_for(subscription_id)
        if delivery is None:
            return {"is_streaming": False}
        return {
            "is_streaming": bool(delivery.streaming),
            "queued_updates": delivery.sink.pending(delivery),
        }

    @staticmethod
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


def check_ids_or_subs(value: Any) -> list[Any]:
    """A non-empty collection of subscription ids or `Subscription` objects."""
    if isinstance(value, str | bytes | Subscription) or not isinstance(value, Iterable):
        raise TypeError(f"subscription_ids must be a list of ids, not {type(value).__name__}")
    items = list(value)
    if not items:
        raise ValueError("subscription_ids must not be empty")
    return items


def ensure_subscription_error(exc: BaseException, subscription_id: str) -> SubscriptionError:
    """Wrap anything into a `SubscriptionError` for `on_error`."""
    if isinstance(exc, SubscriptionError):
        return exc
    error = SubscriptionError(str(exc), subscription_id=subscription_id)
    error.__cause__ = exc
    return error
