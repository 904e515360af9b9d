"""Connecting: find the API root, read `GET /info`, choose the server profile.

`connect_flow` tries the base URL as given and, without a version segment, with `/v1`
(one real server answers only there). A URL that answers but not with i3X is told
apart from a pre-release (alpha) server, which has no `/info` but answers its routes.
"""

from __future__ import annotations

import json
import logging
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import httpx

from ._exceptions import (
    APIStatusError,
    I3XError,
    InvalidServerResponseError,
    UnsupportedVersionError,
)
from ._flows import Context, Flow
from ._models import ServerInfo
from ._profiles import pre_release_notice, profile_from_info
from ._wire import Call, decode_result, raise_for_status

__all__ = ["connect_flow"]

logger = logging.getLogger("i3x")

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


def connect_flow(ctx: Context) -> Flow[ServerInfo]:
    """`GET /info` at the base URL, then (without a version segment) at base + `/v1`.

    Raises:
        UnsupportedVersionError: An alpha server (no `/info`, but i3X routes).
        InvalidServerResponseError: No i3X API answered at the URLs tried.
    """
    base = ctx.config.base_url
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
        _set_connected(ctx, root, info)
        return info
    if all(isinstance(p, APIStatusError) for p in problems):
        raise (yield from _no_info_error(ctx, roots, problems))
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


def _no_info_error(ctx: Context, roots: list[str], problems: list[I3XError]) -> Flow[I3XError]:
    """The error for a URL where no root answered `GET /info`.

    An alpha server has no `/info` but answers its API routes, so `GET /namespaces`
    tells one from a plain web server or a mistyped base URL. Only the roots already
    tried are asked: no URL is guessed (such as a doubled `/v1`).
    """
    tried = [
        f"GET {root}/info (HTTP {p.status_code})" for root, p in zip(roots, problems, strict=True)
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
    origin = urlunsplit((*urlsplit(ctx.config.base_url)[:2], "", "", ""))
    return InvalidServerResponseError(
        f"no i3X API answered at {ctx.config.base_url}: tried {', '.join(tried)}. Check the "
        f"base URL: pass the i3X server's address (such as {origin}) or its API root "
        f"(such as {origin}/v1).",
        problems[-1].status_code,
        detail=f"tried {', '.join(tried)}",
        method="GET",
        url=f"{roots[-1]}/info",
    )


def _set_connected(ctx: Context, root: str, info: ServerInfo) -> None:
    state = ctx.state
    with state.lock:
        state.api_root = root
        state.server_info = info
        _choose_profile(ctx, info)
        notice = pre_release_notice(root, info)
        if notice is not None:
            state.warnings.append(notice)


def _choose_profile(ctx: Context, info: ServerInfo) -> None:
    given = ctx.config.server_profile
    if given is not None:
        profile, why = given, "given as server_profile="
    else:
        profile, why = profile_from_info(info)
    ctx.state.profile = profile
    logger.debug("server profile %r for %s: %s", profile.value, ctx.config.base_url, why)
