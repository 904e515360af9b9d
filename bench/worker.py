"""One measured client in its own interpreter: ``python worker.py TASK FLAVOUR [options]``.

Both SDKs import as ``i3x``, so ``run.py`` starts this script under the
interpreter of the client it measures: ours (``flavour=ours``) or the reference
``i3x-client==1.0.0`` (``flavour=ref``). It needs only the stdlib, httpx and
that ``i3x``. It talks to ``run.py`` in JSON lines: results and readiness on
stdout, "go" on stdin (so that ``run.py`` can read the server's CPU clock
exactly around the measured part). Anything else goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import httpx

import i3x

WARM_VALUE = -1
"""The value ``run.py`` pushes first: once a client sees it, its subscription is live."""


def say(**message: Any) -> None:
    print(json.dumps(message), flush=True)


def wait_for_go() -> None:
    line = sys.stdin.readline()
    if json.loads(line or "{}").get("cmd") != "go":
        raise SystemExit(f"expected go, got {line!r}")


def check_flavour(flavour: str) -> None:
    # The reference has no AsyncClient; catching a swapped interpreter here
    # beats reporting a ratio of a client against itself.
    ours = hasattr(i3x, "AsyncClient")
    if ours != (flavour == "ours"):
        raise SystemExit(f"flavour {flavour!r} but this interpreter's i3x is {i3x.__file__}")


# ----------------------------------------------------------------------------- decode


def mock_transport(payload: bytes, info: bytes) -> httpx.MockTransport:
    headers = {"content-type": "application/json"}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/info"):
            return httpx.Response(200, content=info, headers=headers)
        if path.endswith("/objects"):
            # The same bytes object every time: the answer costs the client nothing to "receive".
            return httpx.Response(200, content=payload, headers=headers)
        return httpx.Response(404, json={"detail": "not served by the bench"})

    return httpx.MockTransport(handler)


def open_client(flavour: str, url: str, transport: httpx.BaseTransport | None) -> Any:
    if flavour == "ours":
        client = i3x.Client(url, transport=transport)
        client.connect()
        return client
    if transport is not None:
        # The reference builds its httpx.Client inside Transport.open(); hand it ours.
        original = httpx.Client

        class Injected(original):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                kwargs["transport"] = transport
                super().__init__(*args, **kwargs)

        httpx.Client = Injected  # type: ignore[misc]
    client = i3x.Client(url)
    client.connect()
    return client


def touch(objects: list[Any], flavour: str) -> int:
    # Read two fields of every model, so that a lazily decoding client could not win.
    total = 0
    if flavour == "ours":
        for o in objects:
            total += len(o.element_id) + len(o.type_id or "")
    else:
        for o in objects:
            total += len(o.element_id) + len(o.type_element_id or "")
    return total


def decode_op(args: argparse.Namespace) -> Callable[[], list[Any]]:
    """The measured operation: the full ``get_objects()`` call, or ``json.loads`` (the floor)."""
    payload = b""
    if args.flavour == "json" or args.source == "mock":
        with open(args.payload, "rb") as f:
            payload = f.read()
    if args.flavour == "json":
        return lambda: json.loads(payload)["result"]  # type: ignore[no-any-return]
    transport = None
    if args.source == "mock":
        with open(args.info, "rb") as f:
            transport = mock_transport(payload, f.read())
    client = open_client(args.flavour, args.url, transport)

    def call() -> list[Any]:
        objects: list[Any] = client.get_objects()
        touch(objects, args.flavour)
        return objects

    return call


def task_decode_time(args: argparse.Namespace) -> None:
    op = decode_op(args)
    count = len(op())  # warm-up: connection, caches, pydantic schemas
    times = []
    for _ in range(args.repeat):
        # Each call starts from the same heap: the previous answer is gone.
        gc.collect()
        t0 = time.perf_counter()
        result = op()
        times.append(time.perf_counter() - t0)
        # Freeing the answer is not part of decoding it (a caller keeps it): outside the clock.
        count = len(result)
        del result
    say(times=times, count=count)


def task_decode_memory(args: argparse.Namespace) -> None:
    op = decode_op(args)
    op()  # warm-up, untraced: caches and schemas are not the call's cost
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    # Held until the figures are read: what a call leaves behind is the models themselves.
    kept = op()
    current, peak = tracemalloc.get_traced_memory()
    # What only the cyclic collector frees (garbage in reference cycles) still
    # weighs until it runs; count it apart from the result itself.
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    say(peak=peak - before, retained=retained - before, cyclic=current - retained, count=len(kept))


# -------------------------------------------------------------------------- subscribe


class Receiver:
    """Counts distinct updates (the pushed values 0..n-1) as the callback sees them."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen: set[int] = set()
        self.lock = threading.Lock()
        self.warm = threading.Event()
        self.done = threading.Event()
        self.received = self.notices = 0
        self.first = self.last = 0.0

    def on_change(self, _client: Any, change: Any) -> None:
        value = change.value
        now = time.monotonic()
        with self.lock:
            if value == WARM_VALUE:
                self.warm.set()
                return
            self.received += 1
            if isinstance(value, int | float) and 0 <= value < self.n and value not in self.seen:
                if not self.seen:
                    self.first = now
                self.seen.add(int(value))
                self.last = now
                if len(self.seen) == self.n:
                    self.done.set()

    def on_error(self, _client: Any, error: Exception) -> None:
        self.notices += 1
        print(f"worker: subscription notice: {error}", file=sys.stderr)

    def wait(self, timeout: float, idle: float) -> None:
        """Until all n arrived, or nothing new came for ``idle`` s (the rest is lost)."""
        deadline = time.monotonic() + timeout
        while not self.done.wait(0.05):
            now = time.monotonic()
            with self.lock:
                last = self.last
            if now > deadline or (last and now - last > idle):
                return

    def figures(self) -> dict[str, Any]:
        with self.lock:
            return {
                "distinct": len(self.seen),
                "received": self.received,
                "t_first_received": self.first,
                "t_last_received": self.last,
                "notices": self.notices,
            }


def task_subscribe(args: argparse.Namespace) -> None:
    """Live: subscribe, see the warm-up update, then count the pushed ones as they come.

    Drain (``--drain``): the updates are queued on the server before delivery
    starts, which measures how fast the client takes a backlog in, whatever the
    server's push rate.
    """
    receiver = Receiver(args.n)
    client = i3x.Client(args.url)
    client.on_value_change = receiver.on_change
    client.on_error = receiver.on_error
    client.connect()
    options = (
        {"mode": args.mode, "poll_interval": args.poll_interval} if args.flavour == "ours" else {}
    )
    if args.drain:
        sub = client.create_subscription()
        client.register_items(sub, args.ids, max_depth=1)
        say(event="subscribed")
        wait_for_go()
        t_start, cpu0 = time.monotonic(), time.process_time()
        client.start_stream(sub, **options)
    else:
        sub = client.subscribe(args.ids, max_depth=1, **options)
        say(event="subscribed")
        if not receiver.warm.wait(30):
            raise SystemExit("the warm-up update never arrived")
        say(event="ready")
        t_start, cpu0 = time.monotonic(), time.process_time()
    receiver.wait(args.timeout, args.idle)
    say(t_start=t_start, cpu=time.process_time() - cpu0, **receiver.figures())
    client.unsubscribe(sub)
    client.disconnect()


# ------------------------------------------------------------------------------ async


def task_calls(args: argparse.Namespace) -> None:
    """``calls`` get_value round trips: warm up, say ready, wait for go, measure."""
    body = {"elementIds": [args.element], "maxDepth": 1}
    if args.variant == "httpx":
        asyncio.run(_bare_httpx(args, body))
    elif args.variant == "async":
        asyncio.run(_ours_async(args))
    else:  # one by one, with the sync Client of either flavour
        client = i3x.Client(args.url)
        client.connect()
        for _ in range(args.warmup):
            client.get_value(args.element)
        say(event="ready")
        wait_for_go()
        c0, t0 = time.process_time(), time.perf_counter()
        values = [client.get_value(args.element) for _ in range(args.calls)]
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        ok = sum(1 for v in values if v.value is not None)
        say(wall=wall, cpu=cpu, ok=ok)
        client.disconnect()


async def _gather(n: int, limit: int, one: Callable[[], Any]) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def bounded() -> Any:
        async with sem:
            return await one()

    return await asyncio.gather(*(bounded() for _ in range(n)))


async def _ours_async(args: argparse.Namespace) -> None:
    async with i3x.AsyncClient(args.url) as client:

        def one() -> Any:
            return client.get_value(args.element)

        await _gather(args.warmup, args.concurrency, one)
        say(event="ready")
        wait_for_go()  # blocks the loop on purpose: nothing else runs yet
        c0, t0 = time.process_time(), time.perf_counter()
        values = await _gather(args.calls, args.concurrency, one)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    say(wall=wall, cpu=cpu, ok=sum(1 for v in values if v.value is not None))


async def _bare_httpx(args: argparse.Namespace, body: dict[str, Any]) -> None:
    url = args.url.rstrip("/") + "/objects/value"
    async with httpx.AsyncClient() as http:

        async def one() -> Any:
            response = await http.post(url, json=body)
            response.raise_for_status()
            return response.json()["results"][0]["result"]["value"]

        await _gather(args.warmup, args.concurrency, one)
        say(event="ready")
        wait_for_go()
        c0, t0 = time.process_time(), time.perf_counter()
        values = await _gather(args.calls, args.concurrency, one)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    say(wall=wall, cpu=cpu, ok=sum(1 for v in values if v is not None))


# ------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("task", choices=["decode-time", "decode-memory", "subscribe", "calls"])
    parser.add_argument("flavour", choices=["ours", "ref", "json"])
    parser.add_argument("--url", default="http://bench.invalid/v1")
    parser.add_argument("--payload")
    parser.add_argument("--info")
    parser.add_argument("--source", choices=["mock", "http"], default="mock")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--ids", nargs="*", default=[])
    parser.add_argument("--mode", default="stream")
    parser.add_argument("--drain", action="store_true")
    parser.add_argument("--poll-interval", type=float, default=0.5)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--element")
    parser.add_argument("--variant", choices=["async", "sequential", "httpx"])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    if args.flavour != "json":
        check_flavour(args.flavour)
    tasks = {
        "decode-time": task_decode_time,
        "decode-memory": task_decode_memory,
        "subscribe": task_subscribe,
        "calls": task_calls,
    }
    tasks[args.task](args)


if __name__ == "__main__":
    main()
