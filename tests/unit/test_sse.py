"""The event splitter reads event streams as httpx-sse does, whatever the network cuts."""

from __future__ import annotations

import httpx
from httpx_sse import EventSource
from hypothesis import given, settings
from hypothesis import strategies as st

from i3x._sse import EventSplitter

LINES = st.sampled_from(
    [
        "data: [1]",
        "data:{}",
        "data: a:b",
        "data:  two spaces",
        "data",
        "data:",
        ": keepalive",
        "event: update",
        "id: 7",
        "retry: 100",
        "unknown: field",
        "",
        'data: [{"elementId": "é", "value": 1}]',
    ]
)
ENDINGS = st.sampled_from(["\n", "\r\n", "\r"])


def _httpx_sse(stream: bytes) -> list[str]:
    """What httpx-sse makes of the stream: the data of each event that has any."""
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream)
    return [sse.data for sse in EventSource(response).iter_sse() if sse.data]


def _split(stream: bytes, cuts: list[int]) -> list[str]:
    """What the splitter makes of the stream, read in pieces cut at `cuts`."""
    splitter = EventSplitter()
    got: list[str] = []
    start = 0
    for cut in [*sorted(set(cuts)), len(stream)]:
        got += [chunk.decode() for chunk in splitter.feed(stream[start:cut])]
        start = cut
    return got


@settings(max_examples=500)
@given(lines=st.lists(st.tuples(LINES, ENDINGS), max_size=20), data=st.data())
def test_the_splitter_reads_what_httpx_sse_reads(
    lines: list[tuple[str, str]], data: st.DataObject
) -> None:
    stream = "".join(line + end for line, end in lines).encode()
    # Cut where a read may end: anywhere, and often right after a CR.
    crs = [i + 1 for i, byte in enumerate(stream) if byte == 0x0D]
    anywhere = st.integers(min_value=0, max_value=len(stream))
    where = st.sampled_from(crs) | anywhere if crs else anywhere
    cuts = data.draw(st.lists(where, max_size=8))
    assert _split(stream, cuts) == _httpx_sse(stream)


def test_a_crlf_cut_between_its_cr_and_its_lf_ends_one_line() -> None:
    stream = b"data: a\r\ndata: b\r\n\r\n"
    cut = stream.index(b"\n")  # right after the first CR
    splitter = EventSplitter()
    assert splitter.feed(stream[:cut]) + splitter.feed(stream[cut:]) == [b"a\nb"]


def test_an_event_split_anywhere_comes_out_whole_once() -> None:
    stream = b'data: [{"v": 1}]\r\n\r\ndata: [{"v": 2}]\n\n'
    for cut in range(len(stream) + 1):
        splitter = EventSplitter()
        assert splitter.feed(stream[:cut]) + splitter.feed(stream[cut:]) == [
            b'[{"v": 1}]',
            b'[{"v": 2}]',
        ]


def test_a_byte_order_mark_at_the_start_of_the_stream_is_ignored() -> None:
    splitter = EventSplitter()
    assert splitter.feed(b"\xef\xbb\xbfdata: [1]\n\ndata: [2]\n\n") == [b"[1]", b"[2]"]
    # Only at the start: later, those bytes are data.
    assert splitter.feed(b"data: \xef\xbb\xbf\n\n") == [b"\xef\xbb\xbf"]


def test_an_empty_read_after_a_cr_keeps_the_crlf_whole() -> None:
    splitter = EventSplitter()
    assert splitter.feed(b"data: a\r") == []
    assert splitter.feed(b"") == []
    assert splitter.feed(b"\ndata: b\r\n\r\n") == [b"a\nb"]


def test_a_long_event_in_many_reads_comes_out_whole() -> None:
    value = b"[" + b",".join(b"%d" % i for i in range(100_000)) + b"]"
    stream = b"data: " + value + b"\n\ndata: [1]\n\n"
    splitter = EventSplitter()
    got: list[bytes] = []
    for start in range(0, len(stream), 4096):
        got += splitter.feed(stream[start : start + 4096])
    assert got == [value, b"[1]"]


def test_a_read_per_event_gives_each_event_as_httpx_sse_reads_it() -> None:
    # A server that writes (and flushes) an event at a time: every read is one event.
    events = [
        b'data: [{"v": 1}]\n\n',
        b"data:[2]\n\n",  # no space after the colon
        b"data:  3\n\n",  # only the first space goes
        b"data:\n\n",  # empty data: no event
        b"data: \n\n",
        b": keepalive\n\n",
        b"data: a\ndata: b\n\n",  # two lines: joined with LF
        b"data: x\r\n\r\n",
        b"data: y\n\n",
    ]
    splitter = EventSplitter()
    got = [data.decode() for read in events for data in splitter.feed(read)]
    assert got == _httpx_sse(b"".join(events)) == ['[{"v": 1}]', "[2]", " 3", "a\nb", "x", "y"]


def test_a_read_of_many_whole_events_gives_their_data_as_httpx_sse_reads_it() -> None:
    # What a server had queued, in one read: each event one `data: ` line.
    events = [b'data: [{"v": %d}]\n\n' % i for i in range(256)]
    assert EventSplitter().feed(b"".join(events)) == [b'[{"v": %d}]' % i for i in range(256)]
    # Reads that look alike, but where some event is not one line of data.
    for odd in [
        b"data: a\ndata: b\n\n",  # two data lines: joined with LF
        b"id: 7\ndata: c\n\n",  # another field
        b": keepalive\n\n",  # a comment only: no event
        b"data: \n\n",  # empty data: no event
        b"data:d\n\n",  # no space after the colon
        b"data:  e\n\n",  # only the first space goes
        b"\n",  # one more empty line
        b"data: f\r\n\r\n",
    ]:
        stream = b"data: [1]\n\n" + odd + b"data: [2]\n\n"
        got = [data.decode() for data in EventSplitter().feed(stream)]
        assert got == _httpx_sse(stream), odd


def test_an_event_after_a_partial_read_is_not_taken_for_a_whole_one() -> None:
    splitter = EventSplitter()
    assert splitter.feed(b"data: a") == []
    # Alone this read looks like a whole event; it goes on the line before it.
    assert (
        splitter.feed(b"data: b\n\n")
        == [b"adata: b"]
        == [data.encode() for data in _httpx_sse(b"data: adata: b\n\n")]
    )


@settings(max_examples=500)
@given(lines=st.lists(st.tuples(LINES, ENDINGS), max_size=20), data=st.data())
def test_reads_cut_at_line_ends_read_as_httpx_sse_reads_them(
    lines: list[tuple[str, str]], data: st.DataObject
) -> None:
    # Servers flush at line ends, often one event a read: the splitter's one-event path.
    stream = "".join(line + end for line, end in lines).encode()
    ends = [i + 1 for i, byte in enumerate(stream) if byte in (0x0A, 0x0D)]
    cuts = data.draw(st.lists(st.sampled_from(ends), max_size=20)) if ends else []
    assert _split(stream, cuts) == _httpx_sse(stream)
