"""Server-sent events a network read at a time: the data of every event one read completed.

httpx-sse opens the stream (`aconnect_sse`) and checks its content type; its iterator,
`aiter_sse()`, hands out one event at a time, through two async generators per line.
A delivery wants the opposite: everything one read brought in, handled as one unit
(one JSON parse, one hand-over to the consumer), because per-event work is what a
fast stream pays for most. `EventSplitter` reads the same event-stream format as
httpx-sse's decoder (the WHATWG "interpret an event stream" rules: a byte order mark
at the start is ignored; lines end with CRLF, LF or CR; `data:` lines of one event are
joined with LF; an empty line ends an event; comments and other fields carry no data),
over bytes, a read at a time, in time linear in the stream's length. A test
holds it to httpx-sse's own parsing on arbitrary streams cut at arbitrary places.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EventSplitter"]

_DATA: Final = b"data"
_DATA_COLON: Final = b"data:"
_DATA_PREFIX: Final = b"data: "
_NEXT_DATA: Final = b"\n\ndata: "
_EMPTY: Final = b""
_SPACE: Final = b" "
_CR: Final = b"\r"
_LF: Final = b"\n"
_END: Final = b"\n\n"
_BOM: Final = b"\xef\xbb\xbf"


class EventSplitter:
    """Splits an event stream's bytes into the data of its events, as they complete."""

    def __init__(self) -> None:
        self._pending: list[bytes] = []
        """The event being read: what the reads so far brought of it (LF-ended lines)."""
        self._last = b""
        """The last byte of `_pending`, to find an empty line that spans two reads."""
        self._after_cr = False
        """The previous read ended with a CR: an LF that starts this one belongs to it."""
        self._started = False
        """Whether the stream's first bytes (where a byte order mark may stand) came."""

    def feed(self, chunk: bytes) -> list[bytes]:
        """The data of each event that this read completed, in order.

        An event whose data is empty (no `data` lines, only comments, `id`, `event`
        or `retry`; or an empty `data:`) is none: it carries nothing to deliver.
        """
        chunk = self._normalized(chunk)
        if not chunk:
            return []
        if not self._pending and chunk[:6] == _DATA_PREFIX and chunk[-2:] == _END:
            # A read of whole events of one `data: ` line each: what a server sends that
            # writes an event at a time (a read per event), or what it had queued. Their
            # data with no Python work per event, when the read's line ends are exactly
            # the events' own two each (no other line, no empty data).
            line_ends = chunk.count(_LF)
            if line_ends == 2:  # one event
                data = chunk[6:-2]
                return [data] if data else []
            datas = chunk[6:-2].split(_NEXT_DATA)
            if line_ends == 2 * len(datas) and _EMPTY not in datas:
                return datas
        # An empty line ends an event. Only this read is searched for one (and the byte
        # before it), so that a long event costs no more than its length.
        if _END not in self._last + chunk[:1] and _END not in chunk:
            self._pending.append(chunk)
            self._last = chunk[-1:]
            return []
        if self._pending:
            self._pending.append(chunk)
            chunk = b"".join(self._pending)
            self._pending = []
        blocks = chunk.split(_END)
        rest = blocks.pop()
        if rest:
            self._pending.append(rest)
        self._last = rest[-1:]
        return [data for data in map(_data_of, blocks) if data]

    def _normalized(self, chunk: bytes) -> bytes:
        """A read with its line ends made LF, and the stream's byte order mark dropped."""
        if not chunk:
            return chunk
        if not self._started:
            self._started = True
            if chunk.startswith(_BOM):  # the stream's one UTF-8 byte order mark: ignored
                chunk = chunk[len(_BOM) :]
        if self._after_cr:
            self._after_cr = False
            if chunk[:1] == _LF:
                chunk = chunk[1:]
        if _CR in chunk:
            self._after_cr = chunk.endswith(_CR)
            chunk = chunk.replace(b"\r\n", _LF).replace(_CR, _LF)
        return chunk


def _data_of(block: bytes) -> bytes:
    """The data of one event's lines: its `data` lines' values, joined with LF."""
    if block[:5] == _DATA_COLON and _LF not in block:
        # The usual event: one `data:` line.
        return block[6:] if block[5:6] == _SPACE else block[5:]
    values = []
    for line in block.split(_LF):
        field, colon, value = line.partition(b":")
        if field != _DATA:
            continue  # an empty line, a comment (": keepalive"), or a field without data
        values.append(value[1:] if colon and value[:1] == _SPACE else value)
    return _LF.join(values)
