"""Server generations the embedded server can play besides the spec (`DemoServer(dialect=...)`).

Real i3X 1.0 servers deviate from the spec in ways a client must survive (see the SDK's
docs/wire.md). A dialect makes the embedded server answer like one of them, so that a
client's handling of each deviation is tested over real sockets:

- `"spec"`: i3X 1.0 as written (the default).
- `"early-1.0"`: an earlier generation of 1.0 server still deployed: no bulk
  `PUT /objects/value` (405 `{"detail": "Method Not Allowed"}` with `allow: POST`), and
  `PUT /objects/{elementId}/value` with a VQT body instead; sync answers flat entries
  `{sequenceNumber, elementId, value, quality, timestamp}`, one update each; stream
  events carry no `sequenceNumber`; errors are `{"success": false, "error": {"code",
  "message"}}` at the top level and per bulk item; unknown routes answer
  `{"detail": "Not Found"}`.
- `"node-i3x"`: a current server that stores the whole `value` member of an update: the
  spec's `{"value": 41.5}` is stored as that object, and a boolean variable refuses an
  object with a per-item 403; `/info` says `serverName: "node-i3x"`. Its subscription
  updates nest a whole current-value result in `value`, one update per sequence number,
  and stream items carry their `sequenceNumber`; unknown routes answer
  `{"message", "error", "statusCode"}`.

Nothing here does I/O: the app asks these rules how to shape each answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

__all__ = ["DIALECTS", "NODE_I3X_BOOLEAN_REFUSAL", "Dialect", "Rules", "rules_for"]

Dialect = Literal["spec", "early-1.0", "node-i3x"]
"""The server generations `DemoServer(dialect=...)` plays."""

DIALECTS: Final[tuple[Dialect, ...]] = get_args(Dialect)

NODE_I3X_BOOLEAN_REFUSAL: Final = (
    "Invalid variant arrayType: Scalar  dataType: Boolean value:[object Object] "
    "(javascript type = object )"
)
"""What node-i3x says when a boolean variable is given an object (verbatim)."""


@dataclass(frozen=True)
class Rules:
    """How one dialect answers; the app consults these where the dialects differ."""

    dialect: Dialect
    server_name: str | None = None
    """`/info`'s `serverName` and `serverVersion`; `None` keeps the demo server's own."""
    server_version: str | None = None
    info_extra: Mapping[str, Any] = field(default_factory=dict)
    value_is_composition: bool = True
    """Value and history results carry `isComposition` (the earlier generation's do not)."""
    bulk_write: Literal["vqt", "whole-value", "absent"] = "vqt"
    """`PUT /objects/value`: spec VQTs, the whole `value` member stored, or no such route."""
    element_write: bool = False
    """Serve `PUT /objects/{elementId}/value` with a VQT body."""
    one_update_per_batch: bool = False
    """Give every update its own sequence number."""
    flat_sync: bool = False
    """Sync answers flat entries instead of `{sequenceNumber, updates}` batches."""
    nested_updates: bool = False
    """Subscription updates nest a whole current-value result in `value`, and stream items
    carry their `sequenceNumber`."""
    error_member: bool = False
    """Failures as `{"success": false, "error": {"code", "message"}}`, also per bulk item."""
    route_errors: Literal["envelope", "fastapi", "fastify"] = "envelope"
    """The body of an unknown route or method: the i3X envelope, or a framework's own."""

    # -- answers --------------------------------------------------------------------------

    def failure_body(
        self, status: int, detail: str, envelope: Callable[[int, str], dict[str, Any]]
    ) -> dict[str, Any]:
        """The body of a failed request."""
        if self.error_member:
            return {"success": False, "error": {"code": status, "message": detail}}
        return {"success": False, "responseDetail": envelope(status, detail)}

    def failed_item(self, item: Mapping[str, Any]) -> Mapping[str, Any]:
        """A bulk item as this dialect sends it (failed items carry an `error` member)."""
        if not self.error_member or item.get("success") is not False:
            return item
        detail = item.get("responseDetail") or {}
        shaped = {k: v for k, v in item.items() if k != "responseDetail"}
        shaped["error"] = {"code": detail.get("status"), "message": detail.get("detail")}
        return shaped

    def route_failure(
        self, status: int, method: str, path: str
    ) -> tuple[int, dict[str, Any]] | None:
        """The status and body of an unknown route or a wrong method, or `None` for the
        i3X envelope."""
        if self.route_errors == "fastapi":
            return status, {"detail": "Not Found" if status == 404 else "Method Not Allowed"}
        if self.route_errors == "fastify":
            # Fastify routes by method and path: a wrong method is an unknown route too.
            return 404, {
                "message": f"Route {method}:{path} not found",
                "error": "Not Found",
                "statusCode": 404,
            }
        return None

    def update(
        self, update: Mapping[str, Any], seq: int, is_composition: bool, *, stream: bool
    ) -> dict[str, Any]:
        """One queued update as it goes out in a stream event or a sync batch."""
        if not self.nested_updates:
            return dict(update)
        inner = {"isComposition": is_composition}
        inner.update((k, v) for k, v in update.items() if k != "elementId")
        shaped: dict[str, Any] = {"elementId": update["elementId"]}
        if stream:
            shaped = {"sequenceNumber": seq, **shaped}
        shaped.update(value=inner, quality=update["quality"], timestamp=update["timestamp"])
        return shaped

    def sync_result(
        self,
        batches: Sequence[tuple[int, Sequence[Mapping[str, Any]]]],
        is_composition: Callable[[str], bool],
    ) -> list[dict[str, Any]]:
        """A sync answer's `result` from `(sequenceNumber, updates)` batches."""
        if self.flat_sync:
            return [{"sequenceNumber": seq, **u} for seq, updates in batches for u in updates]
        return [
            {
                "sequenceNumber": seq,
                "updates": [
                    self.update(u, seq, is_composition(u["elementId"]), stream=False)
                    for u in updates
                ],
            }
            for seq, updates in batches
        ]


_RULES: Final[Mapping[Dialect, Rules]] = {
    "spec": Rules("spec"),
    "early-1.0": Rules(
        "early-1.0",
        server_name="I3X API Prototype",
        server_version="0.0.1",
        value_is_composition=False,
        bulk_write="absent",
        element_write=True,
        one_update_per_batch=True,
        flat_sync=True,
        error_member=True,
        route_errors="fastapi",
    ),
    "node-i3x": Rules(
        "node-i3x",
        server_name="node-i3x",
        server_version="0.9.11",
        info_extra={"vendor": {"name": "i3x demo server, playing node-i3x"}},
        bulk_write="whole-value",
        one_update_per_batch=True,
        nested_updates=True,
        route_errors="fastify",
    ),
}


def rules_for(dialect: object) -> Rules:
    """The rules of a dialect.

    Raises:
        ValueError: Not one of `DIALECTS`, naming the argument.
    """
    if dialect not in _RULES:
        raise ValueError(
            f"dialect: must be one of {', '.join(map(repr, DIALECTS))}, not {dialect!r}"
        )
    return _RULES[dialect]  # type: ignore[index]
