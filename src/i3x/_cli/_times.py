"""Times on the command line: RFC 3339, or relative to now such as `-1h` or `-15m`.

Accepted forms (case-insensitive):

- `now`
- a relative time: a minus sign and one or more amounts with a unit, `s`
  (seconds), `m` (minutes), `h` (hours), `d` (days) or `w` (weeks):
  `-30s`, `-15m`, `-1h`, `-1h30m`, `-2d`
- RFC 3339 / ISO 8601: `2025-06-01T08:00:00Z`, `2025-06-01T10:00:00+02:00`,
  `2025-06-01` (midnight); a time without an offset is taken as UTC
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Final

__all__ = ["TIME_HELP", "parse_time"]

TIME_HELP: Final = "RFC 3339 (2025-06-01T08:00:00Z; UTC when no offset), 'now', or relative: -30s, -15m, -1h, -1h30m, -2d, -1w"

_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RELATIVE: Final = re.compile(r"-((?:\d+(?:\.\d+)?[smhdw])+)")
_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """A timezone-aware datetime from a command-line time.

    Raises:
        ValueError: `text` is none of the accepted forms.
    """
    current = now if now is not None else datetime.now(timezone.utc)
    value = text.strip().lower()
    if value == "now":
        return current
    relative = _RELATIVE.fullmatch(value)
    if relative is not None:
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(relative.group(1)))
        return current - timedelta(seconds=seconds)
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use RFC 3339 (2025-06-01T08:00:00Z), 'now', "
            "or a relative time such as -15m, -1h or -2d"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
