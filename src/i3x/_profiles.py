"""Server profiles: how a server takes writes of current values, decided in one place.

i3X 1.0 writes current values with one bulk `PUT /objects/value` whose updates carry a
VQT. Servers in use differ, in the route and in what they make of the update's `value`:

| profile | route | body of one update | seen on |
|---|---|---|---|
| spec | `PUT /objects/value` | `{elementId, value: VQT}` | the spec, server-a |
| bare-value | `PUT /objects/value` | `{elementId, value: <the value>}` | node-i3x |
| per-element | `PUT /objects/{id}/value` | the VQT | earlier 1.0 servers |
| beta | `PUT /objects/{id}/value` | the value itself | pre-1.0 beta servers |

The client picks one at connect from `/info` (or takes the one the user gave), and
moves from a bulk profile to its per-element twin when the bulk route turns out to be
missing. Nothing here does I/O.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable
from typing import Any, Final

import httpx

from ._exceptions import NotSupportedError
from ._models import ServerInfo

__all__ = [
    "ServerProfile",
    "check_profile",
    "pre_release_notice",
    "profile_from_info",
    "refuse_unstorable",
    "route_is_missing",
    "update_body",
    "without_bulk_route",
]


class ServerProfile(str, enum.Enum):
    """How a server takes writes of current values; see docs/wire.md.

    The client chooses one when it connects (`client.server_profile`); pass
    `server_profile=` to `Client` or `AsyncClient` to choose it yourself. A member
    compares equal to its value, so `"bare-value"` and `ServerProfile.BARE_VALUE` are
    interchangeable.
    """

    SPEC = "spec"
    """i3X 1.0 as written: one bulk `PUT /objects/value`, each update's `value` a VQT."""
    BARE_VALUE = "bare-value"
    """One bulk `PUT /objects/value`, each update's `value` the value itself: node-i3x
    stores that member whole, so a VQT there would be stored as an object. Such a server
    cannot store a quality or timestamp."""
    PER_ELEMENT = "per-element"
    """No bulk write: one `PUT /objects/{elementId}/value` per element with a VQT body
    (an earlier generation of 1.0 servers)."""
    BETA = "beta"
    """Pre-1.0 beta servers: one `PUT /objects/{elementId}/value` per element whose
    body is the value itself; no quality or timestamp."""

    @property
    def per_element(self) -> bool:
        """Whether writes go one element at a time to `PUT /objects/{elementId}/value`."""
        return self in (ServerProfile.PER_ELEMENT, ServerProfile.BETA)

    @property
    def bare_value(self) -> bool:
        """Whether a write sends the value alone, without quality and timestamp."""
        return self in (ServerProfile.BARE_VALUE, ServerProfile.BETA)

    def __str__(self) -> str:
        return self.value


_CHOICES: Final = ", ".join(repr(p.value) for p in ServerProfile)

_WHOLE_VALUE_SERVERS: Final = frozenset({"node-i3x"})
"""`serverName`s of servers that store an update's whole `value` member (compared
case-insensitively): node-i3x 0.9 stores `{"value": 41.5}` as that object."""


def check_profile(value: object) -> ServerProfile | None:
    """The `server_profile=` argument, checked: `None` (choose at connect) or a profile."""
    if value is None or isinstance(value, ServerProfile):
        return value
    if isinstance(value, str):
        try:
            return ServerProfile(value)
        except ValueError:
            raise ValueError(
                f"server_profile must be one of {_CHOICES} (or None to choose at connect), "
                f"got {value!r}"
            ) from None
    raise TypeError(
        f"server_profile must be an i3x.ServerProfile, a str or None, not {type(value).__name__}"
    )


def profile_from_info(info: ServerInfo) -> tuple[ServerProfile, str]:
    """The profile `/info` points to, and why (for the log)."""
    if info.is_beta:
        return ServerProfile.BETA, f"serverVersion {info.server_version!r} is a beta"
    name = (info.server_name or "").strip()
    if name.lower() in _WHOLE_VALUE_SERVERS:
        return (
            ServerProfile.BARE_VALUE,
            f"serverName {name!r} stores the whole value member of an update",
        )
    return ServerProfile.SPEC, "an i3X 1.0 server"


_MAJOR: Final = re.compile(r"\s*v?(\d+)")


def pre_release_notice(root: str, info: ServerInfo) -> str | None:
    """The deprecation notice for a pre-release server, or `None` for an i3X 1.0 one.

    Beta servers say so in `serverVersion` (their `specVersion` is "1.0"); a server
    whose `specVersion` is below 1.0 (such as "0.9") speaks a draft of the spec.
    """
    if info.is_beta:
        return (
            f"{root} is a pre-release (beta) i3X server (serverVersion="
            f"{info.server_version!r}); beta support is deprecated and will be removed. "
            "Upgrade the server to i3X 1.0."
        )
    major = _MAJOR.match(info.spec_version)
    if major is not None and int(major.group(1)) < 1:
        return (
            f"{root} speaks a pre-release (beta) draft of i3X (specVersion="
            f"{info.spec_version!r}); this SDK speaks i3X 1.0, and pre-release servers are "
            "deprecated and will be refused. Upgrade the server to i3X 1.0."
        )
    return None


def without_bulk_route(profile: ServerProfile) -> ServerProfile:
    """The per-element twin of a profile: the same body, one element at a time."""
    return ServerProfile.BETA if profile.bare_value else ServerProfile.PER_ELEMENT


def route_is_missing(response: httpx.Response) -> bool:
    """Whether an answer says the route itself does not exist (rather than an element).

    405 always does (`PUT` is not allowed there). A 404 does unless its body is an
    i3X answer (an envelope or a bulk answer): a framework's `{"detail": "Not Found"}`,
    `{"message", "error", "statusCode"}`, an HTML page or an empty body is a route
    404; `{"success": false, ...}` is the server speaking about what was asked.
    """
    if response.status_code == 405:
        return True
    if response.status_code != 404:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return True
    return not (isinstance(body, dict) and ("success" in body or "results" in body))


def update_body(profile: ServerProfile, vqt: dict[str, Any]) -> Any:
    """What goes on the wire for one write: the update's `value` member, or the
    per-element body (the VQT, or the value itself for bare-value profiles)."""
    return vqt["value"] if profile.bare_value else vqt


def refuse_unstorable(
    profile: ServerProfile, updates: Iterable[tuple[str, dict[str, Any]]]
) -> None:
    """Refuse, before anything is sent, a write the server would store otherwise than asked.

    Bare-value servers store the value with quality Good and their own time: an
    explicit other quality or a timestamp would be dropped without a word.

    Raises:
        NotSupportedError: An update has a quality other than Good or a timestamp.
    """
    if not profile.bare_value:
        return
    for key, vqt in updates:
        quality = vqt.get("quality", "Good")
        if quality == "Good" and "timestamp" not in vqt:
            continue
        asked = "a timestamp" if quality == "Good" else f"quality {quality!r}"
        server = (
            "a beta server takes only the value"
            if profile is ServerProfile.BETA
            else "this server stores the value alone (server profile 'bare-value')"
        )
        raise NotSupportedError(
            f"{key}: {server}; it cannot store {asked}, so nothing was written. "
            "Write the value alone"
            + (
                " (upgrade the server to i3X 1.0 to write qualities and timestamps)"
                if profile is ServerProfile.BETA
                else ", or pass server_profile='spec' if the server stores i3X 1.0 writes"
            )
        )
