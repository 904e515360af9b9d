"""What `validate_writes=True` costs a write, on the demo plant over loopback.

Usage::

    python bench/checked_writes.py [--writes 500] [--clients 20]

The demo server runs in a process of its own (on 2 cores, client and server each get
one). Measures, writing `{"temperature": ...}` to `tank-201-setpoint`:

- `unchecked`: `update_value()` of a client without checking, median of `--writes`;
- `checked`: the same with `validate_writes=True` once the type is known;
- `first checked`: the first checked write of a fresh, connected client (its two type
  lookups, the schema compiled, the check, the write), median over `--clients`;
- `check alone`: the schema check of one value, without I/O;
- `compile`: compiling every schema of a real server's listing (server-b's 2,877 types).

Needs the `server` extra (the demo plant; it brings jsonschema too).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import i3x
from i3x._schemas import SchemaCheck, compile_schema

ROOT = Path(__file__).resolve().parent.parent
LISTING = ROOT / "tests" / "unit" / "samples" / "server-b-objecttypes-all.json.gz"
SETPOINT = "tank-201-setpoint"
SERVE = (
    "import sys; from i3x.testing import DemoServer\n"
    "with DemoServer(ticking=False) as s:\n"
    "    print(s.url, flush=True); sys.stdin.read()\n"
)


def _median_us(times: list[float]) -> str:
    return f"{statistics.median(times) * 1e6:9.1f} µs"


def _timed(call: Callable[[], object], count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def _writes(url: str, count: int) -> None:
    with i3x.Client(url) as plain, i3x.Client(url, validate_writes=True) as checked:
        for client in (plain, checked):  # warm up: pools, and the checked one's lookups
            client.update_value(SETPOINT, {"temperature": 60.0})
        value = {"temperature": 61.5, "mode": "auto"}
        unchecked: list[float] = []
        known: list[float] = []
        for _ in range(count):  # interleaved: the machine's load weighs on both alike
            unchecked += _timed(lambda: plain.update_value(SETPOINT, value), 1)
            known += _timed(lambda: checked.update_value(SETPOINT, value), 1)
    print(f"unchecked       {_median_us(unchecked)}  (median of {count})")
    print(f"checked         {_median_us(known)}  (the type known)")


def _first_writes(url: str, clients: int) -> None:
    first, second = [], []
    for _ in range(clients):
        with i3x.Client(url, validate_writes=True) as client:
            first += _timed(lambda c=client: c.update_value(SETPOINT, {"temperature": 62.0}), 1)
            second += _timed(lambda c=client: c.update_value(SETPOINT, {"temperature": 63.0}), 1)
    print(f"first checked   {_median_us(first)}  (median of {clients} fresh clients)")
    print(f"its second      {_median_us(second)}")


def _check_alone(url: str, count: int) -> None:
    with i3x.Client(url) as client:
        (setpoint_type,) = client.query_object_types(["temperature-setpoint-type"])
    check = compile_schema(setpoint_type.element_id, setpoint_type.schema)
    assert isinstance(check, SchemaCheck)
    good, bad = {"temperature": 61.5, "mode": "auto"}, {"temperature": 500}
    passing = _timed(lambda: check.failures(SETPOINT, good), count)
    failing = _timed(lambda: check.failures(SETPOINT, bad), count)
    print(f"check alone     {_median_us(passing)}  (a value that fits)")
    print(f"                {_median_us(failing)}  (one that does not, its failures listed)")


def _compile_listing(path: Path) -> None:
    items = json.loads(gzip.decompress(path.read_bytes()))["result"]
    types = [i3x.ObjectType.from_dict(item) for item in items]
    times = [_timed(lambda t=t: compile_schema(t.element_id, t.schema), 1)[0] for t in types]
    print(
        f"compile         {sum(times):9.2f} s   for {len(types)} schemas "
        f"(median {statistics.median(times) * 1e3:.2f} ms, max {max(times) * 1e3:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--listing", type=Path, default=LISTING)
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-c", SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        _writes(url, args.writes)
        _first_writes(url, args.clients)
        _check_alone(url, args.writes)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)
    _compile_listing(args.listing)


if __name__ == "__main__":
    main()
