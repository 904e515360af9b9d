"""Speed, memory and start-up of this SDK side by side with the reference client, in one run.

Usage (`nox -s bench` does this with fresh virtualenvs):

    python bench/run.py --reference-python /path/to/ref-venv/bin/python \
        [--core-python /path/to/core-venv/bin/python] [--only decode] [--publish]

Both SDKs import as `i3x`, so every measured client runs in a process of its
own (`worker.py`) under its own interpreter: this one for ours, the reference
virtualenv's for `i3x-client==1.0.0`. Servers run in yet other processes
(`server.py`) or in this one, never in the measured client's, so that on two
cores client and server do not share a GIL. Every figure is the median of
several rounds (ours and the reference alternate within a round) with its
range. Prints a table per benchmark, then the ratios against the goals, and
writes `bench/results/latest.json`; `--publish` also writes
`docs/bench/results.json`, which the documentation site's Benchmarks page
renders, and regenerates the tables of README.md and bench/README.md from it
(commit all three).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.server
import importlib.util
import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import payload

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "latest.json"
PUBLISHED = ROOT / "docs" / "bench" / "results.json"
# The tables regenerated from a published run, between these markers.
TABLES = {ROOT / "README.md": True, HERE / "README.md": False}  # path: README rows only
TABLE_BEGIN, TABLE_END = "<!-- bench-table: begin -->", "<!-- bench-table: end -->"
MB = 1024 * 1024
US = 1e6


# ------------------------------------------------------------------------ processes


class ChildError(RuntimeError):
    pass


class Child:
    """A worker or server process speaking JSON lines on stdin/stdout; stderr passes through."""

    def __init__(self, python: str, script: str, *args: str) -> None:
        self.name = f"{Path(script).stem} {' '.join(args[:2])}"
        self.proc = subprocess.Popen(
            [python, str(HERE / script), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        # A reader thread, so that recv() can time out on a child that hangs.
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, **message: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def recv(self, timeout: float = 120.0) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise ChildError(f"{self.name}: no answer within {timeout} s") from None
        if line is None:
            code = self.proc.wait()
            raise ChildError(f"{self.name}: exited with {code} (see its stderr above)")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, timeout: float = 120.0, **message: Any) -> dict[str, Any]:
        self.send(**message)
        return self.recv(timeout)

    def finish(self, timeout: float = 30.0) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def run_once(python: str, *args: str, timeout: float = 300.0) -> dict[str, Any]:
    """Start a worker, take its one answer, let it end."""
    child = Child(python, "worker.py", *args)
    try:
        return child.recv(timeout)
    finally:
        child.finish()


@contextlib.contextmanager
def demo_server(python: str, *args: str) -> Iterator[tuple[Child, dict[str, Any]]]:
    server = Child(python, "server.py", *args)
    try:
        yield server, server.recv(60)
    finally:
        with contextlib.suppress(ChildError, OSError, ValueError):
            server.send(cmd="quit")
        server.finish()


# ----------------------------------------------------------------------------- output


@dataclass
class Check:
    """One figure against its goal; ``higher`` says which direction is better.

    ``value`` is a ratio ours / reference unless ``unit`` names an absolute unit;
    ``low`` and ``high`` are its range over the rounds, when there were rounds.
    """

    name: str
    value: float
    goal: float
    higher: bool
    ambition: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    status: str = field(init=False)

    def __post_init__(self) -> None:
        met = self.value >= self.goal if self.higher else self.value <= self.goal
        self.status = "PASS" if met else "MISS"


@dataclass
class Context:
    ours: str
    ref: str
    core: str | None
    tmp: Path
    repeat: int
    rounds: int
    import_rounds: int
    server_args: list[str]
    objects: int
    updates: int
    calls: int
    concurrency: int
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[_cell(c) for c in row] for row in rows]
    widths = [max(len(str(r[i])) for r in [headers, *cells]) for i in range(len(headers))]
    print(f"\n{title}")
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w)
        for i, (h, w) in enumerate(zip(headers, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for row in cells:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def span(values: list[float] | None, scale: float = 1.0, digits: int = 0) -> str | None:
    """A range for a table cell: ``"1,200-1,350"``."""
    if not values:
        return None
    low, high = values
    return f"{low * scale:,.{digits}f}-{high * scale:,.{digits}f}"


# Figures where the worst round, not the median, is the one to report.
WORST = frozenset({"lost", "duplicates", "notices"})


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One figure measured in several rounds: each number's median and range, and the rounds.

    Counts of what went wrong (`lost`, `duplicates`, `notices`) report the worst round.
    """
    figure: dict[str, Any] = {}
    spread: dict[str, list[float]] = {}
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        if any(v is None for v in values):
            figure[key] = None
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            if key in WORST:
                figure[key] = max(values)
            elif all(isinstance(v, int) for v in values):
                figure[key] = statistics.median_low(values)  # a count stays one
            else:
                figure[key] = statistics.median(values)
            spread[key] = [min(values), max(values)]
    figure["spread"] = spread
    figure["rounds"] = rounds
    return figure


def pair_ratios(
    ours: list[dict[str, Any]], ref: list[dict[str, Any]], keys: tuple[str, ...]
) -> dict[str, list[float]]:
    """The range of ours / reference over rounds taken side by side (round i with round i)."""
    ranges: dict[str, list[float]] = {}
    for key in keys:
        pairs = [
            o[key] / r[key]
            for o, r in zip(ours, ref, strict=False)
            if o.get(key) is not None and r.get(key)
        ]
        if pairs:
            ranges[key] = [min(pairs), max(pairs)]
    return ranges


def compare(
    figures: dict[str, dict[str, Any]],
    keys: tuple[str, ...],
    ours: list[str] | None = None,
    reference: str = "ref",
) -> None:
    """Record on each of our figures the range of its ratios to the reference's."""
    ref = figures[reference]
    for name in ours if ours is not None else [n for n in figures if n != reference]:
        figure = figures[name]
        figure["ratio_spread"] = pair_ratios(figure["rounds"], ref["rounds"], keys)


def ratio_check(
    name: str,
    ours: dict[str, Any],
    ref: dict[str, Any],
    key: str,
    goal: float,
    *,
    higher: bool,
    ambition: float | None = None,
) -> Check:
    """ours / reference of one figure's medians against a goal, with its range over rounds."""
    low, high = ours.get("ratio_spread", {}).get(key, [None, None])
    return Check(
        name, ratio(ours[key], ref[key]) or 0.0, goal, higher, ambition, low=low, high=high
    )


# ----------------------------------------------------------------------------- decode


class _StoredAnswers(http.server.BaseHTTPRequestHandler):
    """Serves the stored ``/info`` and ``/objects`` bytes: a server that costs nothing."""

    protocol_version = "HTTP/1.1"
    answers: dict[str, bytes] = {}  # noqa: RUF012 - set once before serving

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        body = next((b for suffix, b in self.answers.items() if path.endswith(suffix)), None)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def stored_answer_server(objects: bytes, info: bytes) -> Iterator[str]:
    _StoredAnswers.answers = {"/info": info, "/objects": objects}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StoredAnswers)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _decode_one(ctx: Context, python: str, flavour: str, *extra: str) -> dict[str, Any]:
    timed = run_once(python, "decode-time", flavour, "--repeat", str(ctx.repeat), *extra)
    # A fresh process for the memory figure: nothing of the timing runs is left in the heap.
    # tracemalloc counts allocations, which do not change from run to run: one is enough.
    memory = run_once(python, "decode-memory", flavour, *extra)
    times = timed["times"]
    return {
        "best_s": min(times),
        "median_s": statistics.median(times),
        "times_s": times,
        "spread": {"median_s": [min(times), max(times)]},
        # The timed calls as rounds, for the range of ours / reference (call i with call i).
        "rounds": [{"median_s": t} for t in times],
        "peak_bytes": memory["peak"],
        "retained_bytes": memory["retained"],
        "cyclic_garbage_bytes": memory["cyclic"],
        "count": timed["count"],
    }


def _decode_rows(figures: dict[str, dict[str, Any]]) -> list[list[Any]]:
    labels = {"json": "json.loads (floor)", "ref": "reference 1.0.0", "ours": "ours"}
    rows = [
        [
            labels[k],
            f["median_s"] * 1000,
            span(f["spread"]["median_s"], 1000),
            f["best_s"] * 1000,
            f["peak_bytes"] / MB,
            f["retained_bytes"] / MB,
            f["cyclic_garbage_bytes"] / MB,
        ]
        for k, f in figures.items()
    ]
    ours, ref = figures["ours"], figures["ref"]
    rows.append(
        [
            "ours / reference",
            ratio(ours["median_s"], ref["median_s"]),
            span(ours.get("ratio_spread", {}).get("median_s"), digits=2),
            ratio(ours["best_s"], ref["best_s"]),
            ratio(ours["peak_bytes"], ref["peak_bytes"]),
            ratio(ours["retained_bytes"], ref["retained_bytes"]),
            None,
        ]
    )
    return rows


def bench_decode(ctx: Context) -> dict[str, Any]:
    answer = payload.objects_answer(ctx.objects)
    info = payload.info_answer()
    objects_file, info_file = ctx.tmp / "objects.json", ctx.tmp / "info.json"
    objects_file.write_bytes(answer)
    info_file.write_bytes(info)
    files = ["--payload", str(objects_file), "--info", str(info_file)]
    headers = [
        "client",
        "median ms",
        "range",
        "best ms",
        "peak MB",
        "result MB",
        "cyclic garbage MB",
    ]
    where = f"{ctx.objects:,} objects, {len(answer) / 1e6:.1f} MB of JSON, {ctx.repeat} calls each"

    mock = {
        "json": _decode_one(ctx, ctx.ours, "json", *files),
        "ref": _decode_one(ctx, ctx.ref, "ref", *files),
        "ours": _decode_one(ctx, ctx.ours, "ours", *files),
    }
    compare(mock, ("median_s",), ["ours"])
    table(
        f"decode: client.get_objects() from memory (httpx.MockTransport); {where}",
        headers,
        _decode_rows(mock),
    )

    with stored_answer_server(answer, info) as url:
        http_args = ["--source", "http", "--url", url]
        loopback = {
            "json": mock["json"],
            "ref": _decode_one(ctx, ctx.ref, "ref", *http_args),
            "ours": _decode_one(ctx, ctx.ours, "ours", *http_args),
        }
    compare(loopback, ("median_s",), ["ours"])
    table(
        f"decode: client.get_objects() over loopback HTTP (stdlib server, stored bytes); {where}",
        headers,
        _decode_rows(loopback),
    )
    print("peak = tracemalloc peak during one call, over the heap before it; result = what the")
    print("returned list holds; cyclic garbage = what the call left that only gc.collect() frees")

    ours, ref = mock["ours"], mock["ref"]
    ctx.checks += [
        ratio_check(
            "decode time ours/ref (mock)", ours, ref, "median_s", 0.45, higher=False, ambition=0.4
        ),
        ratio_check(
            "decode peak memory ours/ref (mock)", ours, ref, "peak_bytes", 0.7, higher=False
        ),
    ]
    return {"bytes": len(answer), "objects": ctx.objects, "mock": mock, "loopback": loopback}


# -------------------------------------------------------------------------- subscribe


@dataclass(frozen=True)
class SubscribeRun:
    label: str
    flavour: str
    mode: str = "stream"
    poll_interval: float = 0.5


def _subscribe_one(
    ctx: Context, server: Child, hello: dict[str, Any], run: SubscribeRun, *, drain: bool
) -> dict[str, Any]:
    left = server.ask(cmd="subscriptions")["count"]
    if left:
        raise ChildError(f"{left} subscriptions of an earlier run are still on the server")
    python = ctx.ours if run.flavour == "ours" else ctx.ref
    args = [
        "--url",
        hello["url"],
        "--ids",
        *hello["ids"],
        "--n",
        str(ctx.updates),
        "--mode",
        run.mode,
        "--poll-interval",
        str(run.poll_interval),
    ]
    worker = Child(
        python, "worker.py", "subscribe", run.flavour, *args, *(["--drain"] if drain else [])
    )
    try:
        worker.recv(60)  # subscribed
        if drain:
            pushed = server.ask(cmd="push", n=ctx.updates)  # queued: no delivery runs yet
            cpu0 = server.ask(cmd="cpu")
            worker.send(cmd="go")
        else:
            server.ask(cmd="warm")
            worker.recv(60)  # ready: the warm-up update went all the way through
            cpu0 = server.ask(cmd="cpu")
            pushed = server.ask(cmd="push", n=ctx.updates)
        got = worker.recv(180)
        cpu1 = server.ask(cmd="cpu")
    finally:
        worker.finish()
    start = got["t_start"] if drain else pushed["t_first"]
    elapsed = got["t_last_received"] - start if got["distinct"] else None
    distinct = got["distinct"]
    server_cpu = cpu1["cpu"] - cpu0["cpu"]
    # Live, the server pushed while it delivered: its delivery is what the pushing
    # thread did not spend. Drained, the push was over before the clock started.
    delivery_cpu = server_cpu - (0.0 if drain else pushed["cpu"])
    return {
        "updates_per_s": distinct / elapsed if elapsed else 0.0,
        "lost": ctx.updates - distinct,
        "duplicates": got["received"] - distinct,
        "seconds": elapsed,
        "first_latency_ms": (got["t_first_received"] - start) * 1000 if distinct else None,
        "push_per_s": ctx.updates / (pushed["t_last"] - pushed["t_first"]),
        "client_cpu_s_per_update": got["cpu"] / distinct if distinct else None,
        "server_cpu_s_per_update": delivery_cpu / ctx.updates,
        "push_cpu_s_per_update": pushed["cpu"] / ctx.updates,
        "client_cpu_share": got["cpu"] / elapsed if elapsed else None,
        "server_cpu_share": server_cpu / (cpu1["t"] - cpu0["t"]),
        "notices": got["notices"],
    }


SUBSCRIBE_RATIOS = ("updates_per_s", "client_cpu_s_per_update", "server_cpu_s_per_update")


def _subscribe_table(
    title: str, runs: dict[str, SubscribeRun], figures: dict[str, dict[str, Any]]
) -> None:
    ref = figures["ref"]
    rows = [
        [
            runs[k].label,
            f["updates_per_s"],
            span(f["spread"].get("updates_per_s")),
            ratio(f["updates_per_s"], ref["updates_per_s"]),
            f["lost"],
            f["duplicates"],
            f["first_latency_ms"],
            _us(f["client_cpu_s_per_update"]),
            ratio(f["client_cpu_s_per_update"], ref["client_cpu_s_per_update"]),
            _us(f["server_cpu_s_per_update"]),
            f"{f['client_cpu_share']:.0%}" if f["client_cpu_share"] is not None else None,
            f"{f['server_cpu_share']:.0%}",
        ]
        for k, f in figures.items()
    ]
    table(
        title,
        [
            "client",
            "updates/s",
            "range",
            "x ref",
            "lost",
            "dupes",
            "1st ms",
            "client µs/upd",
            "x ref",
            "server µs/upd",
            "client CPU",
            "server CPU",
        ],
        rows,
    )


def _us(seconds: float | None) -> float | None:
    return seconds * US if seconds is not None else None


def _bounds(
    label: str, runs: dict[str, SubscribeRun], figures: dict[str, dict[str, Any]], *, live: bool
) -> None:
    """Which side bounds each client: one core over each side's CPU per update."""
    print(f"{label}: what one core allows, by each side's CPU per update (updates/s)")
    for key, f in figures.items():
        client, server = f["client_cpu_s_per_update"], f["server_cpu_s_per_update"]
        if not client or not server:
            continue
        if live:
            # The pushing thread and the delivering loop share the server's one GIL.
            server += f["push_cpu_s_per_update"]
        side = "server" if server > client else "client"
        print(
            f"  {runs[key].label:<32} client {1 / client:>9,.0f}   server {1 / server:>9,.0f}"
            f"   measured {f['updates_per_s']:>9,.0f}   -> {side}-bound"
        )


def bench_subscribe(ctx: Context) -> dict[str, Any]:
    runs = {
        "ref": SubscribeRun("reference 1.0.0 (SSE)", "ref"),
        "sync": SubscribeRun('ours mode="sync"', "ours", "sync"),
        "sync_fast": SubscribeRun('ours mode="sync", poll 0.02 s', "ours", "sync", 0.02),
        "stream": SubscribeRun('ours mode="stream"', "ours", "stream"),
    }
    live, drain = _subscribe_rounds(ctx, runs, ctx.server_args)
    push_rate = statistics.median(f["push_per_s"] for f in live.values())
    push_us = statistics.median(f["push_cpu_s_per_update"] for f in live.values()) * US
    _subscribe_table(
        f"subscribe, live: {ctx.updates:,} updates pushed (one set_value each, 4 elements, "
        f"~{push_rate:,.0f}/s, {push_us:.1f} µs of server CPU each) by the embedded server "
        f"(own process) to on_value_change; median of {ctx.rounds} rounds",
        runs,
        live,
    )
    print(
        "updates/s = distinct updates / (last one received - first one pushed); range = lowest"
        " and highest round; 1st ms = first push to first callback"
    )
    print(
        "client µs/upd = the client process's CPU time (all threads) per distinct update; server"
        " µs/upd = the server's CPU per update for delivery (its pushing thread's own CPU taken out)"
    )
    _bounds("live", runs, live, live=True)
    _subscribe_table(
        f"subscribe, drain: the same {ctx.updates:,} updates queued on the server first, then "
        f"delivery started; median of {ctx.rounds} rounds",
        runs,
        drain,
    )
    print("updates/s = distinct updates / (last one received - delivery started)")
    _bounds("drain", runs, drain, live=False)
    ref_live, ref_drain = live["ref"], drain["ref"]
    ctx.checks += [
        ratio_check(
            "subscribe sync rate ours/ref",
            live["sync"],
            ref_live,
            "updates_per_s",
            2.0,
            higher=True,
        ),
        Check(
            "subscribe sync updates lost", float(live["sync"]["lost"]), 0.0, False, unit="updates"
        ),
        ratio_check(
            "stream rate ours/ref (live)",
            live["stream"],
            ref_live,
            "updates_per_s",
            1.0,
            higher=True,
        ),
        ratio_check(
            "stream rate ours/ref (drain)",
            drain["stream"],
            ref_drain,
            "updates_per_s",
            2.0,
            higher=True,
        ),
        ratio_check(
            "stream client CPU/update ours/ref (live)",
            live["stream"],
            ref_live,
            "client_cpu_s_per_update",
            0.5,
            higher=False,
        ),
        ratio_check(
            "stream client CPU/update ours/ref (drain)",
            drain["stream"],
            ref_drain,
            "client_cpu_s_per_update",
            0.5,
            higher=False,
        ),
        Check(
            "stream updates lost",
            float(max(live["stream"]["lost"], drain["stream"]["lost"])),
            0.0,
            False,
            unit="updates",
        ),
    ]
    for key in ("stream", "sync"):
        ctx.notes.append(
            f"subscribe {key}: live ours/ref {ratio(live[key]['updates_per_s'], ref_live['updates_per_s']):.2f}, "
            f"drain ours/ref {ratio(drain[key]['updates_per_s'], ref_drain['updates_per_s']):.2f}, "
            f"client CPU/update ours/ref {ratio(drain[key]['client_cpu_s_per_update'], ref_drain['client_cpu_s_per_update']):.2f} (drain); "
            f"the server pushed {push_rate:,.0f}/s"
        )
    result = {
        "updates": ctx.updates,
        "rounds": ctx.rounds,
        "server_args": ctx.server_args,
        "push_per_s": push_rate,
        "push_cpu_s_per_update": push_us / US,
        "live": live,
        "drain": drain,
    }
    if not ctx.server_args:
        result["per_event"] = _bench_subscribe_per_event(ctx)
    return result


def _subscribe_rounds(
    ctx: Context, runs: dict[str, SubscribeRun], server_args: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Each run live and drained, `ctx.rounds` times, against one server: the figures."""
    live_rounds: dict[str, list[dict[str, Any]]] = {key: [] for key in runs}
    drain_rounds: dict[str, list[dict[str, Any]]] = {key: [] for key in runs}
    with demo_server(ctx.ours, *server_args) as (server, hello):
        # Round by round, each client once: a load that comes and goes on a shared
        # machine weighs on all of them alike, and the range shows it.
        for _ in range(ctx.rounds):
            for key, run in runs.items():
                live_rounds[key].append(_subscribe_one(ctx, server, hello, run, drain=False))
            for key, run in runs.items():
                drain_rounds[key].append(_subscribe_one(ctx, server, hello, run, drain=True))
    live = {key: summarize(r) for key, r in live_rounds.items()}
    drain = {key: summarize(r) for key, r in drain_rounds.items()}
    compare(live, SUBSCRIBE_RATIOS)
    compare(drain, SUBSCRIBE_RATIOS)
    return live, drain


def _bench_subscribe_per_event(ctx: Context) -> dict[str, Any]:
    """The stream again, from a server that writes an HTTP chunk per event.

    As real servers do (an SSE framework writes and flushes each event): every event
    then climbs h11, httpcore and httpx on its own, in both clients, instead of a few
    hundred per read.
    """
    runs = {
        "ref": SubscribeRun("reference 1.0.0 (SSE)", "ref"),
        "stream": SubscribeRun('ours mode="stream"', "ours", "stream"),
    }
    live, drain = _subscribe_rounds(ctx, runs, ["--events-per-write", "1"])
    for label, figures in (("live", live), ("drain", drain)):
        _subscribe_table(
            f"subscribe, {label}, from a server that writes an HTTP chunk per event "
            f"(--events-per-write 1); median of {ctx.rounds} rounds",
            runs,
            figures,
        )
        _bounds(label, runs, figures, live=label == "live")
    ctx.notes.append(
        "subscribe stream, a chunk per event: live ours/ref "
        f"{ratio(live['stream']['updates_per_s'], live['ref']['updates_per_s']):.2f}, "
        f"drain ours/ref {ratio(drain['stream']['updates_per_s'], drain['ref']['updates_per_s']):.2f}, "
        "client CPU/update ours/ref "
        f"{ratio(drain['stream']['client_cpu_s_per_update'], drain['ref']['client_cpu_s_per_update']):.2f} (drain)"
    )
    return {"server_args": ["--events-per-write", "1"], "live": live, "drain": drain}


# ------------------------------------------------------------------------------ async


@dataclass(frozen=True)
class CallsRun:
    label: str
    flavour: str
    variant: str


def _calls_one(ctx: Context, server: Child, hello: dict[str, Any], run: CallsRun) -> dict[str, Any]:
    worker = Child(
        ctx.ours if run.flavour == "ours" else ctx.ref,
        "worker.py",
        "calls",
        run.flavour,
        "--url",
        hello["url"],
        "--element",
        hello["ids"][0],
        "--variant",
        run.variant,
        "--calls",
        str(ctx.calls),
        "--concurrency",
        str(ctx.concurrency),
    )
    try:
        worker.recv(60)  # ready (connected and warmed up)
        cpu0 = server.ask(cmd="cpu")
        got = worker.ask(cmd="go", timeout=300)
        cpu1 = server.ask(cmd="cpu")
    finally:
        worker.finish()
    return {
        "calls_per_s": ctx.calls / got["wall"],
        "wall_s": got["wall"],
        "client_cpu_ms_per_call": got["cpu"] / ctx.calls * 1000,
        "server_cpu_ms_per_call": (cpu1["cpu"] - cpu0["cpu"]) / ctx.calls * 1000,
        "server_cpu_share": (cpu1["cpu"] - cpu0["cpu"]) / got["wall"],
        "ok": got["ok"],
    }


def bench_async(ctx: Context) -> dict[str, Any]:
    n = ctx.concurrency
    runs = {
        "ref": CallsRun("reference 1.0.0, one by one", "ref", "sequential"),
        "ours_seq": CallsRun("ours Client, one by one", "ours", "sequential"),
        "ours": CallsRun(f"ours AsyncClient, {n} in flight", "ours", "async"),
        "httpx": CallsRun(f"bare httpx.AsyncClient, {n} in flight", "ours", "httpx"),
    }
    rounds: dict[str, list[dict[str, Any]]] = {key: [] for key in runs}
    with demo_server(ctx.ours, *ctx.server_args) as (server, hello):
        for _ in range(ctx.rounds):
            for key, run in runs.items():
                rounds[key].append(_calls_one(ctx, server, hello, run))
    figures = {key: summarize(r) for key, r in rounds.items()}
    compare(figures, ("calls_per_s",))
    ref_rate = figures["ref"]["calls_per_s"]
    rows = [
        [
            runs[k].label,
            f["calls_per_s"],
            span(f["spread"]["calls_per_s"]),
            ratio(f["calls_per_s"], ref_rate),
            f["client_cpu_ms_per_call"],
            f["server_cpu_ms_per_call"],
            f"{f['server_cpu_share']:.0%}",
            f["ok"],
        ]
        for k, f in figures.items()
    ]
    table(
        f"async: {ctx.calls:,} get_value calls against the embedded server (own process, "
        f"loopback); median of {ctx.rounds} rounds",
        [
            "client",
            "calls/s",
            "range",
            "x ref",
            "client CPU ms/call",
            "server CPU ms/call",
            "server CPU",
            "ok",
        ],
        rows,
    )
    # The server can do no more than one core's worth of calls, whatever the client.
    server_ms = min(f["server_cpu_ms_per_call"] for f in figures.values())
    server_bound = 1000 / server_ms
    print(
        "server CPU = the server process's CPU time over the wall time (100% = one core, all it can get)"
    )
    print(
        f"server-bound ceiling: 1 core / {server_ms:.3f} ms per call = {server_bound:,.0f} calls/s = {server_bound / ref_rate:.1f}x the reference"
    )
    ctx.checks.append(
        ratio_check(
            "async calls/s ours/ref",
            figures["ours"],
            figures["ref"],
            "calls_per_s",
            5.0,
            higher=True,
        )
    )
    ctx.notes.append(
        f"async ours / bare httpx at {n} in flight = {ratio(figures['ours']['calls_per_s'], figures['httpx']['calls_per_s']):.2f}; "
        f"server-bound ceiling = {server_bound / ref_rate:.1f}x the reference"
    )
    return {
        "calls": ctx.calls,
        "concurrency": n,
        "rounds": ctx.rounds,
        "server_bound_calls_per_s": server_bound,
        "runs": figures,
    }


# ---------------------------------------------------------------------------- startup

# Run with `python -c` in a fresh process: the time of `import i3x` alone, then of
# reaching `i3x.Client` too (what a script waits for before its first call, however
# lazily the package imports its parts).
IMPORT_CODE = (
    "import time; t0 = time.perf_counter(); import i3x; t1 = time.perf_counter(); "
    "i3x.Client; t2 = time.perf_counter(); print(t1 - t0, t2 - t0)"
)


def _bytecode_env() -> dict[str, str]:
    # An installed package imports from the bytecode pip compiled; a checkout that runs
    # with PYTHONDONTWRITEBYTECODE would compile every module on every import instead.
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, timeout=60)
    return time.perf_counter() - t0, done.stdout


def _import_once(python: str, env: dict[str, str]) -> dict[str, float]:
    wall, out = _timed([python, "-c", IMPORT_CODE], env)
    imported, client = (float(x) for x in out.split())
    return {"import_s": imported, "client_s": client, "process_s": wall}


def bench_startup(ctx: Context) -> dict[str, Any]:
    env = _bytecode_env()
    interpreters = {"ref": ctx.ref, "ours": ctx.core or ctx.ours}
    labels = {
        "ref": "reference 1.0.0",
        "ours": "ours" + (" (core install)" if ctx.core else ""),
        "ours_extras": "ours, extras installed (the bench venv)",
    }
    if ctx.core and ctx.core != ctx.ours:
        interpreters["ours_extras"] = ctx.ours
    script = Path(ctx.ours).parent / "i3x"
    command = [str(script), "--help"] if script.exists() else None
    for python in interpreters.values():  # writes the bytecode, untimed
        _import_once(python, env)
    if command:
        _timed(command, env)
    rounds: dict[str, list[dict[str, float]]] = {key: [] for key in interpreters}
    help_rounds: list[dict[str, float]] = []
    bare_rounds: list[dict[str, float]] = []
    for _ in range(ctx.import_rounds):
        for key, python in interpreters.items():
            rounds[key].append(_import_once(python, env))
        if command:
            help_rounds.append({"process_s": _timed(command, env)[0]})
        bare_rounds.append({"process_s": _timed([ctx.ours, "-c", "pass"], env)[0]})
    figures = {key: summarize(r) for key, r in rounds.items()}
    compare(figures, ("import_s", "client_s", "process_s"))
    rows = [
        [
            labels[key],
            f["import_s"] * 1000,
            span(f["spread"]["import_s"], 1000),
            f["client_s"] * 1000,
            span(f["spread"]["client_s"], 1000),
            f["process_s"] * 1000,
        ]
        for key, f in figures.items()
    ]
    ours, ref = figures["ours"], figures["ref"]
    rows.append(
        [
            "ours / reference",
            ratio(ours["import_s"], ref["import_s"]),
            span(ours["ratio_spread"].get("import_s"), digits=2),
            ratio(ours["client_s"], ref["client_s"]),
            span(ours["ratio_spread"].get("client_s"), digits=2),
            ratio(ours["process_s"], ref["process_s"]),
        ]
    )
    bare = summarize(bare_rounds)
    table(
        f"startup: fresh processes, median of {ctx.import_rounds} rounds "
        f"(python -c pass: {bare['process_s'] * 1000:.0f} ms)",
        [
            "client",
            "import i3x ms",
            "range",
            "+ i3x.Client ms",
            "range",
            "process ms",
        ],
        rows,
    )
    print(
        "import i3x = the import statement's own time, in the process; + i3x.Client = until the"
        " client class is at hand; process = the whole `python -c` from start to exit"
    )
    result: dict[str, Any] = {
        "rounds": ctx.import_rounds,
        "core_install": ctx.core is not None,
        "imports": figures,
        "bare_python": bare,
    }
    ctx.checks += [
        ratio_check("import i3x ours/ref", ours, ref, "import_s", 1.5, higher=False),
        ratio_check("import i3x + i3x.Client ours/ref", ours, ref, "client_s", 1.5, higher=False),
    ]
    if help_rounds:
        cli = summarize(help_rounds)
        result["help"] = cli
        print(
            f"i3x --help: {cli['process_s'] * 1000:.0f} ms "
            f"(range {span(cli['spread']['process_s'], 1000)}), the whole process"
        )
        low, high = cli["spread"]["process_s"]
        ctx.checks.append(
            Check("i3x --help seconds", cli["process_s"], 0.25, False, low=low, high=high, unit="s")
        )
    else:
        print(f"i3x --help: not measured, {script} is missing (install the cli extra)")
    return result


# ------------------------------------------------------------------------------- main

BENCHMARKS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "decode": bench_decode,
    "subscribe": bench_subscribe,
    "async": bench_async,
    "startup": bench_startup,
}


def versions(python: str) -> dict[str, str]:
    code = "import i3x, httpx, platform; print(i3x.__version__, httpx.__version__, platform.python_version())"
    out = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return {"i3x": out[0], "httpx": out[1], "python": out[2]}


def summary(ctx: Context) -> None:
    print("\nsummary (ours / reference unless a unit is given; range = lowest and highest round)")
    for c in ctx.checks:
        sign = ">=" if c.higher else "<="
        ambition = ""
        if c.ambition is not None:
            met = c.value >= c.ambition if c.higher else c.value <= c.ambition
            ambition = f", ambition {c.ambition:g} ({'met' if met else 'not met'})"
        unit = f" {c.unit}" if c.unit else ""
        value = f"{c.value:.2f}{unit}"
        spread = f"({c.low:.2f}-{c.high:.2f})" if c.low is not None and c.high is not None else ""
        print(
            f"  {c.status}  {c.name:<42} {value:>12} {spread:<13} "
            f"goal {sign} {c.goal:g}{unit}{ambition}"
        )
    for note in ctx.notes:
        print(f"  info  {note}")


def publish_tables(published: Path) -> list[Path]:
    """Regenerate the results tables of README.md and bench/README.md from a published run."""
    hooks = _site_hooks()
    written = []
    for path, readme_only in TABLES.items():
        text = path.read_text(encoding="utf-8")
        begin, end = text.find(TABLE_BEGIN), text.find(TABLE_END)
        if begin < 0 or end < begin:
            raise SystemExit(f"{path}: no {TABLE_BEGIN} ... {TABLE_END} block to fill in")
        body = hooks.results_table(published, readme_only=readme_only)
        new = text[: begin + len(TABLE_BEGIN)] + "\n" + body + "\n" + text[end:]
        if new != text:
            path.write_text(new, encoding="utf-8")
            written.append(path)
    return written


def _site_hooks() -> ModuleType:
    """mkdocs_hooks.py, which renders the Benchmarks page: the tables come from there too."""
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "mkdocs_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up while they are created.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--reference-python",
        required=True,
        help="the interpreter of a virtualenv with i3x-client==1.0.0",
    )
    parser.add_argument(
        "--core-python",
        help="the interpreter of a virtualenv with this package and no extras, for the import"
        " figures (without it, this interpreter's, where the extras weigh on `import httpx`)",
    )
    parser.add_argument(
        "--only",
        choices=list(BENCHMARKS),
        action="append",
        help="run only this benchmark (repeatable)",
    )
    parser.add_argument(
        "--repeat", type=int, default=7, help="timed decode calls per client (median is reported)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="rounds of the subscribe and async benchmarks (each client once per round)",
    )
    parser.add_argument(
        "--import-rounds", type=int, default=15, help="fresh processes per client for start-up"
    )
    parser.add_argument("--objects", type=int, default=100_000, help="objects in the decode answer")
    parser.add_argument(
        "--updates",
        type=int,
        # About 0.7 s of pushing: long enough that the first poll's round trip (tens of
        # ms while the server is busy pushing) does not weigh like a quarter of the run.
        default=50_000,
        help="updates pushed in the subscribe benchmark",
    )
    parser.add_argument(
        "--calls", type=int, default=1000, help="get_value calls in the async benchmark"
    )
    parser.add_argument(
        "--concurrency", type=int, default=50, help="calls in flight for the async client"
    )
    parser.add_argument(
        "--events-per-write",
        type=int,
        help="the most SSE events the embedded server writes at once (1: an HTTP chunk per"
        " event, as it did before; default: the server's own)",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="where to write the JSON results"
    )
    parser.add_argument(
        "--publish",
        action="store_true",
        help=f"also write the results to {PUBLISHED.relative_to(ROOT)} for the documentation"
        " site, and regenerate the tables of README.md and bench/README.md from them",
    )
    args = parser.parse_args()
    if args.publish and args.only:
        parser.error("--publish needs every benchmark: leave out --only")

    ours_v, ref_v = versions(sys.executable), versions(args.reference_python)
    if ref_v["i3x"] == ours_v["i3x"]:
        parser.error(f"--reference-python has i3x {ref_v['i3x']}, the same as ours")
    print(
        f"ours: i3x {ours_v['i3x']} | reference: i3x-client {ref_v['i3x']} | httpx {ours_v['httpx']}/{ref_v['httpx']} | Python {ours_v['python']} | {os.cpu_count()} CPUs"
    )
    results: dict[str, Any] = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        # What produced these figures, for the page that shows them (the reference
        # interpreter's path is this machine's, so it is left out).
        "command": _command(sys.argv[1:]),
        # The machine is shared: the load around the run says how much to trust it.
        "load_average": {"start": os.getloadavg()},
        "versions": {"ours": ours_v, "reference": ref_v},
        "benchmarks": {},
    }
    with tempfile.TemporaryDirectory(prefix="i3x-bench-") as tmp:
        ctx = Context(
            ours=sys.executable,
            ref=args.reference_python,
            core=args.core_python,
            tmp=Path(tmp),
            repeat=args.repeat,
            rounds=args.rounds,
            import_rounds=args.import_rounds,
            server_args=(
                ["--events-per-write", str(args.events_per_write)] if args.events_per_write else []
            ),
            objects=args.objects,
            updates=args.updates,
            calls=args.calls,
            concurrency=args.concurrency,
        )
        for name in args.only or list(BENCHMARKS):
            t0 = time.perf_counter()
            results["benchmarks"][name] = BENCHMARKS[name](ctx)
            results["benchmarks"][name]["bench_seconds"] = time.perf_counter() - t0
    summary(ctx)
    results["load_average"]["end"] = os.getloadavg()
    results["checks"] = [asdict(c) for c in ctx.checks]
    results["notes"] = ctx.notes
    outputs = [args.output, *([PUBLISHED] if args.publish else [])]
    for output in outputs:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nresults: {output}")
    if args.publish:
        for path in publish_tables(PUBLISHED):
            print(f"table: {path}")
    return 0


def _command(argv: list[str]) -> str:
    """The command line of this run, without this machine's interpreter paths."""
    hidden = {
        "--reference-python": "<reference venv>/bin/python",
        "--core-python": "<core venv>/bin/python",
    }
    shown: list[str] = []
    for arg in argv:
        option, equals, _ = arg.partition("=")
        if shown and shown[-1] in hidden:
            shown.append(hidden[shown[-1]])
        elif equals and option in hidden:
            shown.append(f"{option}={hidden[option]}")
        else:
            shown.append(arg)
    return " ".join(["python", "bench/run.py", *shown])


if __name__ == "__main__":
    sys.exit(main())
