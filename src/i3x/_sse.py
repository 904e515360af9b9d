"""Server-sent events a network read at a time: the data of every event one read completed.

httpx-sse opens the stream (`aconnect_sse`) and checks its content type; its iterator,
`aiter_sse()`, hands out one event at a time, through two async generators per line.
A delivery wants the opposite: everything one read brought in, handled as one unit
(one JSON parse, one hand-over to the consumer), because per-event work is what a
fast stream pays for most. `EventSplitter` reads the same event-stream format as
httpx-sse's decoder (the WHATWG "interpret an event stream" rules: lines end with
CRLF, LF or CR; `data:` lines of one event are joined with LF; an empty line ends an
event; comments and other fields carry no data), over bytes, a read at a time. A test
holds it to httpx-sse's own parsing on arbitrary streams cut at arbitrary places.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EventSplitter"]

_DATA: Final = b"data"
_DATA_COLON: Final = b"data:"
_SPACE: Final = b" "
_CR: Final = b"\r"
_LF: Final = b"\n"
_END: Final = b"\n\n"


class EventSplitter:
    """Splits an event stream's bytes into the data of its events, as they complete."""

    def __init__(self) -> None:
        self._rest = b""
        """The event being read: what the reads so far brought of it."""
        self._after_cr = False
        """The previous read ended with a CR: an LF that starts this one belongs to it."""

    def feed(self, chunk: bytes) -> list[bytes]:
        """The data of each event that this read completed, in order.

        An event whose data is empty (no `data` lines, only comments, `id`, `event`
        or `retry`; or an empty `data:`) is none: it carries nothing to deliver.
        """
        if self._after_cr:
            self._after_cr = False
            if chunk[:1] == _LF:
                chunk = chunk[1:]
        if _CR in chunk:
            self._after_cr = chunk.endswith(_CR)
            chunk = chunk.replace(b"\r\n", _LF).replace(_CR, _LF)
        # An empty line ends an event: split the stream into events, not lines.
        blocks = (self._rest + chunk).split(_END)
        self._rest = blocks.pop()
        events: list[bytes] = []
        for block in blocks:
            if block[:5] == _DATA_COLON and _LF not in block:
                # The usual event: one `data:` line.
                data = block[6:] if block[5:6] == _SPACE else block[5:]
            else:
                data = _data_of(block)
            if data:
                events.append(data)
        return events


def _data_of(block: bytes) -> bytes:
    """The data of one event's lines: its `data` lines' values, joined with LF."""
    values = []
    for line in block.split(_LF):
        field, colon, value = line.partition(b":")
        if field != _DATA:
            continue  # an empty line, a comment (": keepalive"), or a field without data
        values.append(value[1:] if colon and value[:1] == _SPACE else value)
    return _LF.join(values)
