"""Speed and memory of this SDK side by side with the reference client, in one run.

Usage (`nox -s bench` does this with a fresh reference virtualenv):

    python bench/run.py --reference-python /path/to/ref-venv/bin/python [--only decode]

Both SDKs import as `i3x`, so every measured client runs in a process of its
own (`worker.py`) under its own interpreter: this one for ours, the reference
virtualenv's for `i3x-client==1.0.0`. Servers run in yet other processes
(`server.py`) or in this one, never in the measured client's, so that on two
cores client and server do not share a GIL. Prints a table per benchmark, then
the ratios against the goals, and writes `bench/results/latest.json`;
`--publish` also writes `docs/bench/results.json`, which the documentation
site's Benchmarks page renders (commit it).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.server
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
from typing import Any

import payload

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
PUBLISHED = HERE.parent / "docs" / "bench" / "results.json"
MB = 1024 * 1024


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
def demo_server(python: str) -> Iterator[tuple[Child, dict[str, Any]]]:
    server = Child(python, "server.py")
    try:
        yield server, server.recv(60)
    finally:
        with contextlib.suppress(ChildError, OSError, ValueError):
            server.send(cmd="quit")
        server.finish()


# ----------------------------------------------------------------------------- output


@dataclass
class Check:
    """One ratio against its goal; ``higher`` says which direction is better."""

    name: str
    value: float
    goal: float
    higher: bool
    ambition: float | None = None
    status: str = field(init=False)

    def __post_init__(self) -> None:
        met = self.value >= self.goal if self.higher else self.value <= self.goal
        self.status = "PASS" if met else "MISS"


@dataclass
class Context:
    ours: str
    ref: str
    tmp: Path
    repeat: int
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
    memory = run_once(python, "decode-memory", flavour, *extra)
    times = timed["times"]
    return {
        "best_s": min(times),
        "median_s": statistics.median(times),
        "times_s": times,
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
            f["best_s"] * 1000,
            f["median_s"] * 1000,
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
            ratio(ours["best_s"], ref["best_s"]),
            ratio(ours["median_s"], ref["median_s"]),
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
    headers = ["client", "best ms", "median ms", "peak MB", "result MB", "cyclic garbage MB"]
    where = f"{ctx.objects:,} objects, {len(answer) / 1e6:.1f} MB of JSON, best of {ctx.repeat}"

    mock = {
        "json": _decode_one(ctx, ctx.ours, "json", *files),
        "ref": _decode_one(ctx, ctx.ref, "ref", *files),
        "ours": _decode_one(ctx, ctx.ours, "ours", *files),
    }
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
    table(
        f"decode: client.get_objects() over loopback HTTP (stdlib server, stored bytes); {where}",
        headers,
        _decode_rows(loopback),
    )
    print("peak = tracemalloc peak during one call, over the heap before it; result = what the")
    print("returned list holds; cyclic garbage = what the call left that only gc.collect() frees")

    ours, ref = mock["ours"], mock["ref"]
    ctx.checks += [
        Check("decode time ours/ref (mock)", ours["best_s"] / ref["best_s"], 0.5, False, 0.4),
        Check(
            "decode peak memory ours/ref (mock)",
            ours["peak_bytes"] / ref["peak_bytes"],
            1.5,
            False,
            1.0,
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
    return {
        "updates_per_s": got["distinct"] / elapsed if elapsed else 0.0,
        "lost": ctx.updates - got["distinct"],
        "duplicates": got["received"] - got["distinct"],
        "seconds": elapsed,
        "first_latency_ms": (got["t_first_received"] - start) * 1000 if got["distinct"] else None,
        "push_per_s": ctx.updates / (pushed["t_last"] - pushed["t_first"]),
        "client_cpu_share": got["cpu"] / elapsed if elapsed else None,
        "server_cpu_share": (cpu1["cpu"] - cpu0["cpu"]) / (cpu1["t"] - cpu0["t"]),
        "notices": got["notices"],
    }


def _subscribe_table(
    title: str, runs: dict[str, SubscribeRun], figures: dict[str, dict[str, Any]]
) -> None:
    ref_rate = figures["ref"]["updates_per_s"]
    rows = [
        [
            runs[k].label,
            f["updates_per_s"],
            ratio(f["updates_per_s"], ref_rate),
            f["lost"],
            f["duplicates"],
            f["first_latency_ms"],
            f"{f['client_cpu_share']:.0%}" if f["client_cpu_share"] is not None else None,
            f"{f['server_cpu_share']:.0%}",
        ]
        for k, f in figures.items()
    ]
    table(
        title,
        ["client", "updates/s", "x ref", "lost", "dupes", "1st ms", "client CPU", "server CPU"],
        rows,
    )


def bench_subscribe(ctx: Context) -> dict[str, Any]:
    runs = {
        "ref": SubscribeRun("reference 1.0.0 (SSE)", "ref"),
        "sync": SubscribeRun('ours mode="sync"', "ours", "sync"),
        "sync_fast": SubscribeRun('ours mode="sync", poll 0.02 s', "ours", "sync", 0.02),
        "stream": SubscribeRun('ours mode="stream"', "ours", "stream"),
    }
    live: dict[str, dict[str, Any]] = {}
    drain: dict[str, dict[str, Any]] = {}
    with demo_server(ctx.ours) as (server, hello):
        for key, run in runs.items():
            live[key] = _subscribe_one(ctx, server, hello, run, drain=False)
        for key, run in runs.items():
            drain[key] = _subscribe_one(ctx, server, hello, run, drain=True)
    push_rate = statistics.median(f["push_per_s"] for f in live.values())
    _subscribe_table(
        f"subscribe, live: {ctx.updates:,} updates pushed (one set_value each, 4 elements, ~{push_rate:,.0f}/s) by the embedded server (own process) to on_value_change",
        runs,
        live,
    )
    print(
        "updates/s = distinct updates / (last one received - first one pushed); 1st ms = first push to first callback"
    )
    _subscribe_table(
        f"subscribe, drain: the same {ctx.updates:,} updates queued on the server first, then delivery started",
        runs,
        drain,
    )
    print("updates/s = distinct updates / (last one received - delivery started)")
    ref_rate = live["ref"]["updates_per_s"]
    ctx.checks += [
        Check(
            "subscribe sync rate ours/ref",
            ratio(live["sync"]["updates_per_s"], ref_rate) or 0.0,
            2.0,
            True,
        ),
        Check("subscribe sync updates lost", float(live["sync"]["lost"]), 0.0, False),
    ]
    for key in ("stream", "sync"):
        ctx.notes.append(
            f"subscribe {key}: live ours/ref {ratio(live[key]['updates_per_s'], ref_rate):.2f}, "
            f"drain ours/ref {ratio(drain[key]['updates_per_s'], drain['ref']['updates_per_s']):.2f}, "
            f"the server pushed {push_rate:,.0f}/s"
        )
    return {"updates": ctx.updates, "push_per_s": push_rate, "live": live, "drain": drain}


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
    figures: dict[str, dict[str, Any]] = {}
    with demo_server(ctx.ours) as (server, hello):
        for key, run in runs.items():
            figures[key] = _calls_one(ctx, server, hello, run)
    ref_rate = figures["ref"]["calls_per_s"]
    rows = [
        [
            runs[k].label,
            f["calls_per_s"],
            ratio(f["calls_per_s"], ref_rate),
            f["client_cpu_ms_per_call"],
            f["server_cpu_ms_per_call"],
            f"{f['server_cpu_share']:.0%}",
            f["ok"],
        ]
        for k, f in figures.items()
    ]
    table(
        f"async: {ctx.calls:,} get_value calls against the embedded server (own process, loopback)",
        [
            "client",
            "calls/s",
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
        Check("async calls/s ours/ref", figures["ours"]["calls_per_s"] / ref_rate, 5.0, True)
    )
    ctx.notes.append(
        f"async ours / bare httpx at {n} in flight = {ratio(figures['ours']['calls_per_s'], figures['httpx']['calls_per_s']):.2f}; "
        f"server-bound ceiling = {server_bound / ref_rate:.1f}x the reference"
    )
    return {
        "calls": ctx.calls,
        "concurrency": n,
        "server_bound_calls_per_s": server_bound,
        "runs": figures,
    }


# ------------------------------------------------------------------------------- main

BENCHMARKS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "decode": bench_decode,
    "subscribe": bench_subscribe,
    "async": bench_async,
}


def versions(python: str) -> dict[str, str]:
    code = "import i3x, httpx, platform; print(i3x.__version__, httpx.__version__, platform.python_version())"
    out = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return {"i3x": out[0], "httpx": out[1], "python": out[2]}


def summary(ctx: Context) -> None:
    print("\nsummary (ours / reference)")
    for c in ctx.checks:
        sign = ">=" if c.higher else "<="
        ambition = ""
        if c.ambition is not None:
            met = c.value >= c.ambition if c.higher else c.value <= c.ambition
            ambition = f", ambition {c.ambition:g} ({'met' if met else 'not met'})"
        print(f"  {c.status}  {c.name:<38} {c.value:8.2f}   goal {sign} {c.goal:g}{ambition}")
    for note in ctx.notes:
        print(f"  info  {note}")


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
        "--only",
        choices=list(BENCHMARKS),
        action="append",
        help="run only this benchmark (repeatable)",
    )
    parser.add_argument(
        "--repeat", type=int, default=7, help="timed decode calls per client (best is reported)"
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
        "--output", type=Path, default=RESULTS, help="where to write the JSON results"
    )
    parser.add_argument(
        "--publish",
        action="store_true",
        help=f"also write the results to {PUBLISHED.relative_to(HERE.parent)} for the documentation site",
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
            tmp=Path(tmp),
            repeat=args.repeat,
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
    return 0


def _command(argv: list[str]) -> str:
    """The command line of this run, without this machine's reference interpreter path."""
    hidden = "<reference venv>/bin/python"
    shown: list[str] = []
    for arg in argv:
        if shown and shown[-1] == "--reference-python":
            shown.append(hidden)
        elif arg.startswith("--reference-python="):
            shown.append(f"--reference-python={hidden}")
        else:
            shown.append(arg)
    return " ".join(["python", "bench/run.py", *shown])


if __name__ == "__main__":
    sys.exit(main())
