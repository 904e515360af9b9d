"""The i3X wire, without I/O: requests to send, envelopes to decode, errors to map.

Both clients build every request here and hand every answer here; they only
differ in how they wait for the network. Decoding goes straight from the
answer's bytes to the models (`TypeAdapter.validate_json`), with no
intermediate dicts on the hot path.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import re
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import Any, Final, Generic, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import httpx
import pydantic
from pydantic import Field, TypeAdapter

from ._exceptions import (
    APIStatusError,
    BulkError,
    ConnectionError,
    I3XError,
    InvalidServerResponseError,
    ResponseValidationError,
    TimeoutError,
    status_error,
)
from ._models import BulkItem, LastKnownValue, ResponseDetail, WireModel, wire_model

__all__ = [
    "Call",
    "SuccessEnvelope",
    "BulkEnvelope",
    "decode_result",
    "decode_bulk",
    "bulk_results",
    "succeeded",
    "raise_for_failure",
    "raise_for_status",
    "error_detail",
    "error_member",
    "map_transport_error",
    "tls_failure",
    "pause_gc",
    "redact_url",
    "parse_answer",
    "release",
    "request_label",
    "Convert",
    "as_model",
    "merge_bulk_errors",
    "value_result",
]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Call(Generic[_T]):
    """One HTTP request of an operation, and how to turn its answer into a result.

    `idempotent` says whether the request may be sent again after it may have
    reached the server (reads, queries, sync); writes and calls that create
    state are only retried when they cannot have reached it.
    """

    method: str
    path: str
    parse: Callable[[httpx.Response], _T]
    params: dict[str, str] | None = None
    json: Any = None
    idempotent: bool = True
    root: str | None = None
    """Send to this API root instead of the connected one (used while connecting)."""


@wire_model
class SuccessEnvelope(WireModel, Generic[_T]):
    """`{"success": true, "result": ...}`, optionally with a `responseDetail`."""

    success: bool | None = None
    """`None` when the body has no `success` key (a bare result may look like this)."""
    result: _T | None = None
    response_detail: ResponseDetail | None = None


@wire_model
class BulkEnvelope(WireModel, Generic[_T]):
    """`{"success": <all ok>, "results": [item...]}`: one item per requested id."""

    success: bool = True
    results: list[BulkItem[_T]] = Field(default_factory=list)
    response_detail: ResponseDetail | None = None


@wire_model
class _ErrorBody(WireModel):
    # Every error body seen in the wild: the i3X envelope, {"detail": ...},
    # {"message": ..., "error": ..., "statusCode": ...}, and an earlier generation's
    # {"success": false, "error": {"code": ..., "message": ...}}.
    response_detail: ResponseDetail | None = None
    detail: Any = None
    message: Any = None
    error: Any = None
    title: Any = None


@cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def redact_url(url: str | httpx.URL) -> str:
    """The URL for messages and logs: no `user:password@`, no query values, no fragment.

    Query values go as `***` (API gateways take their key there: `?code=`), except
    those of the i3X API's own parameters.
    """
    text = str(url)
    if not any(c in text for c in "@?#"):
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        # Reporting an error must not raise: keep only what surely holds no secret.
        head = text.split("?", 1)[0].split("#", 1)[0]
        return _AUTHORITY.sub("//", head) + ("?***" if "?" in text else "")
    host = parts.netloc.rsplit("@", 1)[-1]
    query = "&".join(_masked(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


_AUTHORITY: Final = re.compile(r"//[^/]*@")


_SHOWN_PARAMS: Final = frozenset({"namespaceUri", "typeElementId", "includeMetadata", "root"})
"""The i3X API's own query parameters: they hold ids, not secrets, and help a reader."""


def _masked(pair: str) -> str:
    key, equals, _ = pair.partition("=")
    if equals and key in _SHOWN_PARAMS:
        return pair
    # A bare ?word may be a key itself.
    return f"{key}=***" if equals else ("***" if pair else "")


def release(response: httpx.Response) -> None:
    """Let refcounting free a read answer now.

    An httpx response and its stream refer to each other. Decoding pauses the
    cyclic collector and hands the new models straight to the oldest generation,
    so without this the loop (and a body of many megabytes) would wait for the
    next full collection.
    """
    if response.is_closed:
        response.stream = httpx.ByteStream(b"")


def parse_answer(call: Call[_T], response: httpx.Response) -> _T:
    """The call's result from its answer, which is then released (see `release`).

    What the parsing raises that is no i3x error becomes one: the answer validated,
    but what is made of it failed (a shape no server was seen to send, or a bug here).
    """
    try:
        return call.parse(response)
    except I3XError:
        raise
    except Exception as exc:
        method, url = request_label(response.request)
        said = f"the answer could not be read: {type(exc).__name__}: {exc}"
        raise InvalidServerResponseError(
            said, response.status_code, detail=said, method=method, url=url
        ) from exc
    finally:
        release(response)


def request_label(request: httpx.Request) -> tuple[str, str]:
    """Method and credential-free URL of a request, for errors."""
    return request.method, redact_url(request.url)


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status_title(status: int | None) -> str | None:
    try:
        return HTTPStatus(status).phrase if status is not None else None
    except ValueError:
        return None


def error_member(error: Any) -> ResponseDetail | None:
    """The detail an earlier generation's `"error": {"code": 404, "message": "..."}`
    member gives (at the top level or in a bulk item), or `None` for anything else."""
    if not isinstance(error, Mapping) or not ("code" in error or "message" in error):
        return None
    code = error.get("code")
    status = code if isinstance(code, int) and not isinstance(code, bool) else None
    message = error.get("message")
    if message is not None and not isinstance(message, str):
        message = json.dumps(message)
    return ResponseDetail(title=_status_title(status), status=status, detail=message)


def error_detail(response: httpx.Response) -> ResponseDetail:
    """What the server said about a failure, whatever the shape of its body."""
    content_type = response.headers.get("content-type", "")
    body = response.content
    reason = response.reason_phrase or None
    if not body.strip():
        return ResponseDetail(title=reason, status=response.status_code, detail=None)
    try:
        parsed = _ErrorBody.from_json(body)
    except pydantic.ValidationError:
        parsed = None
    if parsed is None:
        kind = "HTML page" if "html" in content_type else "non-JSON body"
        return ResponseDetail(
            title=reason, status=response.status_code, detail=f"{kind}: {_snippet(response.text)}"
        )
    if parsed.response_detail is not None:
        return parsed.response_detail
    member = error_member(parsed.error)
    if member is not None:
        return ResponseDetail(
            title=member.title or reason, status=response.status_code, detail=member.detail
        )
    said = parsed.detail if parsed.detail is not None else parsed.message
    if said is not None and not isinstance(said, str):
        said = json.dumps(said)
    title = parsed.error if isinstance(parsed.error, str) else parsed.title
    return ResponseDetail(
        title=title if isinstance(title, str) else reason, status=response.status_code, detail=said
    )


def raise_for_status(response: httpx.Response, *, context: str | None = None) -> None:
    """Raise the mapped `APIStatusError` for a 4xx/5xx answer."""
    if response.status_code < 400:
        return
    method, url = request_label(response.request)
    raise status_error(
        response.status_code, error_detail(response), method=method, url=url, context=context
    )


def raise_for_failure(response: httpx.Response, *, context: str | None = None) -> None:
    """Raise for a 4xx/5xx answer, and for a 2xx whose JSON says `"success": false`.

    For answers whose body is otherwise free (per-element writes: beta servers send
    their own fields, or nothing at all).
    """
    raise_for_status(response, context=context)
    try:
        body = json.loads(response.content) if response.content.strip() else None
    except ValueError:
        return
    if not isinstance(body, Mapping) or body.get("success") is not False:
        return
    detail = error_detail(response)
    method, url = request_label(response.request)
    member = error_member(body.get("error"))
    status = (member.status if member is not None else None) or detail.status
    status = status if status and status >= 400 else 400
    raise status_error(status, detail, method=method, url=url, context=context)


def map_transport_error(
    exc: Exception, request: httpx.Request | None, proxy: httpx.Proxy | None = None
) -> I3XError:
    """Map an httpx (or socket) failure to an i3x error, noting whether a retry is safe.

    Raise the result without `from`: it names its cause itself (none when the cause's
    message could quote a credential). With a `proxy`, a failure to connect is the
    proxy's (the client connects to nothing else), and the message says so.

    The returned error has `reached_server`: `False` when the request
    certainly did not reach the server (connect failures, pool timeouts), so
    even a write may be sent again.
    """
    if isinstance(exc, I3XError):  # an i3x.TimeoutError is an OSError too: already mapped
        return exc
    method, url = request_label(request) if request is not None else (None, None)
    reached = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    if isinstance(exc, httpx.DecodingError):
        undecodable = InvalidServerResponseError(
            f"undecodable answer: {exc}", method=method, url=url
        )
        undecodable.__cause__ = exc
        return undecodable
    if isinstance(exc, httpx.LocalProtocolError):
        # h11's message quotes the offending header, which may be the Authorization
        # one; and sending it again cannot help, so this is no ConnectionError.
        refused = I3XError(
            "the request could not be sent: it is not valid HTTP "
            "(such as an invalid header name or value)",
            method=method,
            url=url,
        )
        refused.__suppress_context__ = True  # nor may a traceback show it, as cause or context
        return refused
    error: ConnectionError
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__.replace("Timeout", "").lower() or "request"
        error = TimeoutError(f"{kind} timeout: {exc or 'timed out'}", method=method, url=url)
    elif isinstance(exc, httpx.ConnectError):
        tls = tls_failure(exc)
        said = _tls_hint(exc, tls) if tls is not None else str(exc) or type(exc).__name__
        # httpx keeps a proxy's credentials apart from its URL: the URL is safe to show.
        to = f" to the proxy {proxy.url}" if proxy is not None else ""
        error = ConnectionError(f"cannot connect{to}: {said}", method=method, url=url)
        # The same handshake fails the same way again: a plain-HTTP server, an
        # untrusted certificate. Retrying would only delay the answer.
        error.transient = tls is None
    else:
        error = ConnectionError(
            f"connection failed: {_client_cert_hint(exc, request)}", method=method, url=url
        )
    error.reached_server = reached
    error.__cause__ = exc
    return error


def tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The TLS handshake failure behind a connect error, or `None` for anything else.

    An end of file or a reset during the handshake is no TLS failure: the server or the
    network went away, and a retry may find it back.
    """
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLError):
            return None if isinstance(cause, _NOT_TLS_FAILURES) else cause
        cause = cause.__cause__ or cause.__context__
    # A mocked or re-raised error keeps only the message: OpenSSL's reasons read "[SSL: X]".
    match = _OPENSSL_REASON.search(str(exc))
    if match is None:
        return None
    failure = ssl.SSLError(1, str(exc))
    failure.reason = match.group(1)
    return failure


_NOT_TLS_FAILURES: Final = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)
_OPENSSL_REASON: Final = re.compile(r"\[SSL: ([A-Z0-9_]+)\]")

_PLAIN_HTTP_REASONS: Final = frozenset(
    # What OpenSSL says when a TLS client reads a plain-HTTP answer ("HTTP/1.1 400"):
    # bytes that are no TLS record header, by OpenSSL version.
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL"}
)


def _tls_hint(exc: Exception, failure: ssl.SSLError) -> str:
    """The message of a failed TLS handshake: what OpenSSL said, and what to do."""
    text = str(exc) or str(failure)
    reason = getattr(failure, "reason", None)
    if reason == "CERTIFICATE_VERIFY_FAILED" or "certificate verify failed" in text:
        return (
            f"{text}. The server's certificate is not trusted: pass verify='/path/to/ca.pem' "
            "to trust its CA, or verify=False for a test server only"
        )
    if reason in _PLAIN_HTTP_REASONS:
        return (
            f"TLS handshake failed ({text}): the server did not answer in TLS and may "
            "speak plain http://; try the URL with http:// instead of https://"
        )
    return f"TLS handshake failed: {text}"


# -- mutual TLS: a server that wants a client certificate -------------------------------
# With TLS 1.3 the client's side of the handshake ends before the server has checked the
# client's certificate, so a refusal shows only on the first read: as the server's alert
# ("certificate required"), or, from servers that send no alert (Python's asyncio, and
# so uvicorn), as a connection closed or reset before any answer. That is told apart
# from a connection lost later by the request: the first one, GET /info.

_CLIENT_CERT_ALERTS: Final = ("CERTIFICATE_REQUIRED", "certificate required")
_CLOSED_UNANSWERED: Final = "disconnected without sending a response"


def _client_cert_hint(exc: Exception, request: httpx.Request | None) -> str:
    text = str(exc) or type(exc).__name__
    if any(alert in text for alert in _CLIENT_CERT_ALERTS):
        return (
            f"{text}. The server requires a client certificate (mutual TLS): pass "
            "cert=('client.pem', 'client.key')"
        )
    first_contact = request is not None and request.url.path.endswith("/info")
    unanswered = isinstance(exc, httpx.ReadError) or _CLOSED_UNANSWERED in text
    if first_contact and request is not None and request.url.scheme == "http":
        if unanswered or isinstance(exc, httpx.RemoteProtocolError):
            # A TLS server takes a plain-HTTP request for a broken handshake: it closes
            # the connection, or answers with a TLS alert that is no HTTP at all.
            return (
                f"{text.rstrip('.')}: the server gave no HTTP answer to the first request, "
                "as a server that speaks TLS does to plain http://; try the URL with "
                "https:// instead of http://"
            )
        return text
    if first_contact and unanswered:
        return (
            f"{text.rstrip('.')}: the server closed the connection before answering. A "
            "server that requires a client certificate (mutual TLS) does so when none is "
            "sent, or one it does not trust: pass cert=('client.pem', 'client.key') signed "
            "by a CA the server trusts"
        )
    return text


# ----------------------------------------------------------------------------- decoding


class _GCPause:
    """Pause the cyclic garbage collector while answers are decoded.

    Decoding tens of thousands of objects allocates only acyclic data, yet
    triggers many full collections that find nothing: pausing the collector for
    the decode saves a third of its time. Counted, so that overlapping decodes
    in several threads keep it paused until the last one ends, and a collector
    the application turned off stays off.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._was_enabled:
                # The young generations now hold every model just made: promote them
                # to the oldest one at once (two list splices), instead of letting the
                # next two young collections walk tens of thousands of acyclic objects.
                gc.freeze()
                gc.unfreeze()
                gc.enable()


pause_gc: Final = _GCPause()


def _validation_error(
    response: httpx.Response, exc: pydantic.ValidationError, what: str
) -> InvalidServerResponseError:
    method, url = request_label(response.request)
    errors = exc.errors(include_url=False, include_input=False)
    if errors and errors[0]["type"] == "json_invalid":
        said = f"not valid JSON: {_snippet(response.text, 120)!r}"
        return InvalidServerResponseError(
            f"the server's answer is {said}",
            response.status_code,
            detail=said,
            method=method,
            url=url,
        )
    shown = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in errors[:3]
    )
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return _unfit(response, what, shown, more)


def _unfit(
    response: httpx.Response, what: str, said: str, more: str = ""
) -> ResponseValidationError:
    """The error for an answer whose shape is not what `what` needs (`said` says why)."""
    method, url = request_label(response.request)
    return ResponseValidationError(
        f"the server's answer does not fit {what}: {said}{more}",
        response.status_code,
        detail=said,
        method=method,
        url=url,
    )


def _check_json(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "")
    if "json" in content_type or not content_type:
        return
    method, url = request_label(response.request)
    said = f"expected JSON, got {content_type.split(';')[0]}: {_snippet(response.text, 120)!r}"
    raise InvalidServerResponseError(
        said, response.status_code, detail=said, method=method, url=url
    )


def decode_result(
    response: httpx.Response, tp: Any, what: str
) -> tuple[Any, ResponseDetail | None]:
    """Decode `{"success": true, "result": ...}` into `tp`; also the optional detail.

    A bare result without the envelope is accepted too (pre-1.0 servers, and
    `/info` on some): a body that is not a JSON object (a list), or an object
    with none of the envelope's keys (`{"specVersion": ...}`), is decoded as
    `tp` itself, with no detail.
    """
    raise_for_status(response)
    _check_json(response)
    content = response.content
    try:
        with pause_gc:
            envelope = _adapter(SuccessEnvelope[tp]).validate_json(content)
    except pydantic.ValidationError as exc:
        try:
            with pause_gc:
                return _adapter(tp).validate_json(content), None
        except pydantic.ValidationError:
            raise _validation_error(response, exc, what) from None
        except _SMUGGLED as exc:
            raise _smuggled(response, exc, what) from None
    except _SMUGGLED as exc:
        raise _smuggled(response, exc, what) from None
    if not _intact(envelope):
        raise _smuggled(response, None, what)
    if (
        envelope.success is None
        and envelope.result is None
        and envelope.response_detail is None
        and envelope.model_extra
    ):
        # The envelope's fields are all optional and it keeps unknown keys, so a bare
        # object validates as an empty envelope carrying the result as extras.
        try:
            with pause_gc:
                return _adapter(tp).validate_json(content), None
        except pydantic.ValidationError as exc:
            raise _validation_error(response, exc, what) from None
        except _SMUGGLED as exc:
            raise _smuggled(response, exc, what) from None
    if envelope.success is False:
        method, url = request_label(response.request)
        detail = envelope.response_detail or error_member(envelope.model_extra.get("error"))
        status = detail.status if detail and detail.status else response.status_code
        raise status_error(status, detail, method=method, url=url)
    return envelope.result, envelope.response_detail


def decode_bulk(response: httpx.Response, tp: Any, what: str) -> BulkEnvelope[Any]:
    """Decode a bulk answer `{"success", "results": [item...]}` with items of `tp`."""
    raise_for_status(response)
    _check_json(response)
    try:
        with pause_gc:
            envelope: BulkEnvelope[Any] = _adapter(BulkEnvelope[tp]).validate_json(response.content)
    except pydantic.ValidationError as exc:
        raise _validation_error(response, exc, what) from None
    except _SMUGGLED as exc:
        raise _smuggled(response, exc, what) from None
    if not _intact(envelope):
        raise _smuggled(response, None, what)
    if envelope.success is False and not envelope.results:
        # A failure of the whole request (an earlier generation answers 200 with an
        # `error` member), not of its items: it has none.
        detail = envelope.response_detail or error_member(envelope.model_extra.get("error"))
        if detail is not None:
            method, url = request_label(response.request)
            status = detail.status or response.status_code
            raise status_error(status, detail, method=method, url=url)
    return envelope


# pydantic validates a parametrised generic dataclass that keeps unknown keys (the
# envelopes and BulkItem) by setting each unknown key as an attribute: a "__class__" or
# "__weakref__" key raises one of these, and a "__dict__" key replaces every validated
# field with unvalidated JSON. No i3X name starts with "__"; such answers are refused.
_SMUGGLED: Final = (TypeError, AttributeError)


def _intact(model: object) -> bool:
    """Whether a decoded envelope still holds each field pydantic set."""
    return vars(model).keys() >= {f.name for f in dataclasses.fields(model)}  # type: ignore[arg-type]


def _smuggled(
    response: httpx.Response, exc: Exception | None, what: str
) -> ResponseValidationError:
    said = "it has a key that is no i3X name and overwrites the SDK's own (such as __dict__)"
    return _unfit(response, what, said if exc is None else f"{said}: {exc}")


@cache
def _takes_none(tp: Any) -> bool:
    try:
        _adapter(tp).validate_python(None)
    except pydantic.ValidationError:
        return False
    return True


def item_error(
    item: BulkItem[Any] | None, key: str, *, method: str | None, url: str | None
) -> APIStatusError:
    """The error a failed bulk item stands for."""
    detail = None
    if item is not None:
        detail = item.response_detail or error_member(item.model_extra.get("error"))
    status = detail.status if detail is not None and detail.status else 404
    fallback = "the server sent no answer for this id" if item is None else None
    return status_error(status, detail, fallback=fallback, method=method, url=url, context=key)


def _match_items(keys: Sequence[str], items: Sequence[BulkItem[Any]]) -> list[BulkItem[Any] | None]:
    # The spec promises one item per id in request order; match by id when a
    # server reorders or skips, so that no answer lands on the wrong id.
    def key_of(item: BulkItem[Any]) -> str | None:
        return item.element_id if item.element_id is not None else item.subscription_id

    if len(items) == len(keys) and all(
        key_of(it) in (None, k) for it, k in zip(items, keys, strict=True)
    ):
        return list(items)
    by_key: dict[str, list[BulkItem[Any]]] = {}
    for it in items:
        k = key_of(it)
        if k is not None:
            by_key.setdefault(k, []).append(it)
    matched: list[BulkItem[Any] | None] = []
    for k in keys:
        found = by_key.get(k)
        matched.append(found.pop(0) if found else None)
    return matched


Convert = Callable[[str, Any, "ResponseDetail | None", httpx.Response], Any]
"""Turns one successful item's result into the SDK's model (with the answer, for errors)."""


def bulk_results(
    response: httpx.Response,
    envelope: BulkEnvelope[Any],
    keys: Sequence[str],
    *,
    what: str,
    convert: Convert | None = None,
    item_type: Any = Any,
) -> tuple[list[tuple[str, Any]], ResponseDetail | None]:
    """Pair each requested key with its result, raising `BulkError` on any failure.

    Returns the `(key, result)` pairs in request order, and the answer's
    top-level detail (for a 206, what limit was hit). `convert` shapes each
    successful result, so that the successes a `BulkError` carries
    are models too.
    """
    matched = _match_items(keys, envelope.results)
    pairs: list[tuple[str, Any]] = []
    failed: list[tuple[str, BulkItem[Any] | None]] = []
    items: list[BulkItem[Any]] = []
    # Items make their result optional (failed ones have none): a success without one
    # must not reach the caller as None where the item type has no None.
    required = not _takes_none(item_type)
    for key, item in zip(keys, matched, strict=True):
        if item is not None and "response_detail" not in item.__dict__:
            raise _smuggled(response, None, what)  # see _SMUGGLED
        if item is None or not item.success:
            failed.append((key, item))
            items.append(item or BulkItem(success=False, element_id=key))
        else:
            result = item.result
            if result is None and required:
                raise _missing_result(response, key, what)
            if convert is not None:
                result = convert(key, result, envelope.response_detail, response)
            pairs.append((key, result))
            items.append(item)
    if failed:  # only now the request's label: answers without failures never need it
        method, url = request_label(response.request)
        errors: dict[str, I3XError] = {
            key: item_error(item, key, method=method, url=url) for key, item in failed
        }
        raise _bulk_error(errors, items, pairs, total=len(keys), what=what, method=method, url=url)
    return pairs, envelope.response_detail


def succeeded(pairs: Iterable[tuple[str, _T]]) -> list[BulkItem[_T]]:
    """The items of a multi-element call that raised on no failure, in request order.

    One `BulkItem(success=True, element_id=key, result=result)` per requested key: what
    `update_values()`, `register_items()` and `unregister_items()` return (a failure
    raises `BulkError` instead). Items read by wire name too (`item["elementId"]`), as
    the 1.0 reference client's dict items do.
    """
    return [BulkItem(success=True, element_id=key, result=result) for key, result in pairs]


def _missing_result(response: httpx.Response, key: str, what: str) -> ResponseValidationError:
    return _unfit(response, what, f"the item of {key!r} succeeded but carries no result")


def _bulk_error(
    errors: dict[str, I3XError],
    items: list[BulkItem[Any]],
    pairs: list[tuple[str, Any]],
    *,
    total: int,
    what: str,
    method: str | None,
    url: str | None,
) -> BulkError:
    listed = "; ".join(
        f"{k!r}: {e.message.split(': ', 1)[-1]}" for k, e in list(errors.items())[:5]
    )
    more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
    return BulkError(
        f"{len(errors)} of {total} {what} failed: {listed}{more}",
        items=items,
        errors=errors,
        results=dict(pairs),
        method=method,
        url=url,
    )


def merge_bulk_errors(errors: Sequence[BulkError], total: int, what: str) -> BulkError:
    """One `BulkError` for a call that was sent in several batches."""
    all_errors: dict[str, I3XError] = {}
    items: list[BulkItem[Any]] = []
    results: dict[str, Any] = {}
    for e in errors:
        all_errors.update(e.errors)
        items.extend(e.items)
        results.update(e.results)
    return _bulk_error(
        all_errors,
        items,
        list(results.items()),
        total=total,
        what=what,
        method=errors[0].method,
        url=errors[0].url,
    )


def as_model(tp: type[_T], data: Any, response: httpx.Response, what: str) -> _T:
    """Validate already-decoded JSON into `tp`, mapping failures to i3x errors."""
    try:
        result: _T = _adapter(cast(Any, tp)).validate_python(data)
        return result
    except pydantic.ValidationError as exc:
        raise _validation_error(response, exc, what) from None


def value_result(
    key: str, result: Any, detail: ResponseDetail | None, response: httpx.Response
) -> LastKnownValue:
    """A value or history item as a `LastKnownValue`.

    The element id comes from the bulk item; a 206's top-level detail is kept on
    each value, so that a cut-short answer is visible where the value is used.
    """
    data = dict(result) if isinstance(result, Mapping) else {"value": result}
    data["elementId"] = key
    if detail is not None and data.get("responseDetail") is None:
        data["responseDetail"] = detail.to_dict()
    try:
        # The validator itself, as from_dict() does: this runs once per value of an answer,
        # and LastKnownValue.from_dict() also reads the reference client's two-argument form.
        value: LastKnownValue = LastKnownValue.__pydantic_validator__.validate_python(data)
        return value
    except pydantic.ValidationError as exc:
        raise _validation_error(response, exc, f"LastKnownValue ({key!r})") from None
