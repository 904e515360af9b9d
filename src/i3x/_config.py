"""A client's configuration: the constructor's arguments, checked once, and per-call options.

Everything here runs before any request, so a wrong argument raises here, naming
itself, and never reaches httpx (whose messages may quote a credential). What comes
out is a `Config` that a client, its `with_options()` views and its subscription
deliveries share, and the `Options` that a view may override.
"""

from __future__ import annotations

import importlib.util
import re
import ssl
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, cast
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import httpx

from ._checks import check_bool, check_optional_str, check_positive_int
from ._exceptions import InsecureTLSWarning
from ._profiles import ServerProfile, check_profile
from ._redaction import Secrets, client_secrets
from ._schemas import require_jsonschema
from ._version import __version__

__all__ = [
    "Auth",
    "Config",
    "HttpSettings",
    "NOT_GIVEN",
    "NotGiven",
    "Options",
    "Timeout",
    "as_timeout",
    "check_validate_writes",
    "make_config",
    "ssl_context",
]

Auth = httpx.Auth | tuple[str, str] | Callable[[httpx.Request], httpx.Request]
Timeout = float | httpx.Timeout | None


class NotGiven:
    """The default of `with_options()` arguments: unlike `None`, it means "unchanged".

    `timeout=None` has to stay free to mean "no timeout", as it does for the client.
    """

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


@dataclass(frozen=True)
class Options:
    """Per-client settings that `with_options()` can override per call."""

    timeout: httpx.Timeout
    max_retries: int
    batch_size: int
    max_concurrency: int
    validate_writes: bool = False
    """Check each written value against its object type's JSON Schema before sending."""

    def evolve(
        self,
        timeout: Timeout | NotGiven,
        max_retries: int | None,
        batch_size: int | None,
        validate_writes: bool | None = None,
    ) -> Options:
        """These options with the given ones changed (checked), for a `with_options()` view."""
        return Options(
            timeout=self.timeout if isinstance(timeout, NotGiven) else as_timeout(timeout),
            max_retries=self.max_retries
            if max_retries is None
            else check_positive_int(max_retries, "max_retries", minimum=0),
            batch_size=self.batch_size
            if batch_size is None
            else check_positive_int(batch_size, "batch_size"),
            max_concurrency=self.max_concurrency,
            validate_writes=self.validate_writes
            if validate_writes is None
            else check_validate_writes(validate_writes),
        )


def check_validate_writes(validate_writes: object) -> bool:
    """`validate_writes=`, checked: a `bool`, and `True` only where jsonschema is installed.

    Raises:
        TypeError: Not a `bool`.
        ImportError: `True` without jsonschema (the `validation` extra).
    """
    checked = check_bool(validate_writes, "validate_writes")
    if checked:
        require_jsonschema()
    return checked


def as_timeout(timeout: object) -> httpx.Timeout:
    """`timeout=`, checked: seconds, an `httpx.Timeout`, or `None` for no timeout."""
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


class HttpSettings:
    """The arguments of every httpx client that a client and its deliveries open."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self._kwargs = kwargs

    @property
    def verify(self) -> bool | ssl.SSLContext:
        """`verify=` as httpx takes it (before the shared context is made)."""
        verify: bool | ssl.SSLContext = self._kwargs["verify"]
        return verify

    @property
    def proxy(self) -> httpx.Proxy | None:
        """The proxy, if any (its URL without credentials: httpx keeps them apart)."""
        proxy: httpx.Proxy | None = self._kwargs["proxy"]
        return proxy

    @property
    def limits(self) -> httpx.Limits:
        """The connection pool's limits."""
        limits: httpx.Limits = self._kwargs["limits"]
        return limits

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `httpx.Client` or `httpx.AsyncClient`.

        `verify=True` becomes one SSL context, made on first use and then shared by every
        pool of the client, its views and its deliveries: httpx would load the CA bundle
        again for each client, about 10 ms, at every subscribe.
        """
        if self._kwargs["verify"] is True:
            self._kwargs["verify"] = httpx.create_ssl_context(verify=True, trust_env=True)
        return dict(self._kwargs)


@dataclass(frozen=True)
class Config:
    """What a client was made with, checked: shared with its views and deliveries."""

    base_url: str
    """The base URL without credentials or query (shown in repr, errors and logs)."""
    client_id: str
    """The id that scopes this client's subscriptions on the server."""
    http: HttpSettings
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None
    """The transport the user gave (deliveries open their own connections)."""
    server_profile: ServerProfile | None
    """The `server_profile=` given, or `None` to choose one at connect."""
    secrets: Secrets
    """The client's secrets, masked in log records for as long as this lives."""


def make_config(
    *,
    base_url: object,
    auth: object,
    token: object,
    headers: object,
    verify: object,
    cert: object,
    proxy: object,
    client_id: object,
    limits: object,
    timeout: httpx.Timeout,
    follow_redirects: bool,
    transport: object,
    transport_type: type[Any],
    client_name: str,
    server_profile: object,
    warn_stacklevel: int,
) -> Config:
    """Check a constructor's arguments and build the configuration they describe.

    Raises:
        TypeError: An argument of the wrong type, naming it.
        ValueError: An argument out of range or malformed, naming it (never quoting a
            secret).
    """
    profile = check_profile(server_profile)
    if transport is not None and not isinstance(transport, transport_type):
        raise TypeError(
            f"transport must be an {transport_type.__qualname__} for {client_name}, "
            f"not {type(transport).__name__}"
        )
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    clean_url, url_auth, url_params = _parse_base_url(base_url.strip())
    checked_auth = _check_auth(auth)
    if checked_auth is not None and url_auth is not None:
        raise ValueError("pass credentials either in base_url or as auth=, not both")
    checked_token = _check_token(token)
    extra_headers = _check_headers(headers)
    if checked_token is not None:
        # One Authorization header is sent: which one would be a silent choice.
        if checked_auth is not None or url_auth is not None:
            raise ValueError(
                "pass either token= (a bearer token) or auth= / credentials in base_url "
                "(HTTP authentication), not both: only one Authorization header is sent"
            )
        if any(name.lower() == "authorization" for name in extra_headers):
            raise ValueError("pass either token= or an Authorization header in headers=, not both")
    all_headers: dict[str, str | bytes] = {
        "User-Agent": f"i3x-python/{__version__}",
        "Accept": "application/json",
    }
    all_headers.update(extra_headers)
    if checked_token:
        all_headers["Authorization"] = f"Bearer {checked_token}"
    kwargs: dict[str, Any] = {
        "auth": checked_auth if checked_auth is not None else url_auth,
        "headers": all_headers,
        "params": url_params,
        "verify": ssl_context(verify, cert),
        "proxy": _check_proxy(proxy),
        "limits": _check_limits(limits),
        "timeout": timeout,
        "follow_redirects": follow_redirects,
    }
    clean_url = clean_url.rstrip("/")
    if _verification_off(kwargs["verify"]):
        warnings.warn(
            InsecureTLSWarning(
                f"TLS certificate verification is off for {clean_url} (verify=False): "
                "anyone on the network path can read and change this client's traffic, "
                "credentials included. Pass verify='/path/to/ca.pem' to trust a private CA"
            ),
            stacklevel=warn_stacklevel,
        )
    return Config(
        base_url=clean_url,
        client_id=check_optional_str(client_id, "client_id") or f"i3x-{uuid.uuid4()}",
        http=HttpSettings(kwargs),
        transport=cast("httpx.BaseTransport | httpx.AsyncBaseTransport | None", transport),
        server_profile=profile,
        # Masked in every log record while this client or a view of it lives (_redaction).
        secrets=client_secrets(
            auth=kwargs["auth"],
            token=checked_token,
            headers=extra_headers,
            params=url_params,
            proxy=kwargs["proxy"],
            cert=cert,
        ),
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
    if not token:
        # An unset variable read as "" would otherwise send no credentials at all.
        raise ValueError("token is empty: pass None for no token")
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


def ssl_context(verify: object, cert: object) -> bool | ssl.SSLContext:
    """What `verify=` and `cert=` say, as httpx 0.28 takes it: a bool or an SSL context."""
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
