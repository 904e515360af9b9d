"""The embedded i3X server in its own process, driven over stdin/stdout in JSON lines.

A process of its own so that the measured client never shares a GIL with
uvicorn or with the thread pushing updates: on 2 cores, client and server
each get one. Prints ``{"url", "ids"}`` once it serves, then answers commands:

- ``{"cmd": "warm"}``: set the first sensor to the warm-up value (-1).
- ``{"cmd": "push", "n": N}``: N updates as fast as possible, value ``i`` to
  sensor ``i % 4``; answers with the monotonic times of the first and last push
  and the pushing thread's own CPU seconds (``set_value`` and queueing, without
  the delivery that runs meanwhile in the server's event loop thread).
- ``{"cmd": "cpu"}``: this process's CPU seconds (all threads) and the monotonic time.
- ``{"cmd": "subscriptions"}``: how many subscriptions are alive.
- ``{"cmd": "quit"}``.

``--events-per-write N`` caps how many SSE events the server writes at once (1: an
HTTP chunk per event, as the embedded server did before it wrote its queue at once).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from i3x.testing import AddressSpace, DemoServer

SENSORS = [f"sensor-{i}" for i in range(4)]
NAMESPACE = "urn:i3x:bench"


def bench_space() -> AddressSpace:
    """Four numeric sensors on one machine: the smallest space that exercises the paths."""
    space = AddressSpace(history_limit=100)
    space.add_namespace(NAMESPACE, "bench")
    space.add_object_type("MachineType", "Machine", namespace_uri=NAMESPACE, schema={})
    space.add_object_type(
        "SensorType", "Sensor", namespace_uri=NAMESPACE, schema={"type": "number"}
    )
    space.add_object("machine", "Machine", type_id="MachineType")
    for sensor in SENSORS:
        space.add_object(sensor, sensor, type_id="SensorType", parent_id="machine", value=0.0)
    return space


def say(**message: Any) -> None:
    print(json.dumps(message), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events-per-write", type=int)
    args = parser.parse_args()
    # A queue that never overflows: a lost update must be the client's doing.
    chunking = {"events_per_write": args.events_per_write} if args.events_per_write else {}
    server = DemoServer(bench_space(), ticking=False, queue_limit=10_000_000, **chunking)
    with server:
        say(url=server.api_url, ids=SENSORS)
        for line in sys.stdin:
            command = json.loads(line)
            cmd = command["cmd"]
            if cmd == "warm":
                server.set_value(SENSORS[0], -1)
                say(ok=True)
            elif cmd == "push":
                n = command["n"]
                cpu0, t_first = time.thread_time(), time.monotonic()
                for i in range(n):
                    server.set_value(SENSORS[i % len(SENSORS)], i)
                t_last, cpu = time.monotonic(), time.thread_time() - cpu0
                say(t_first=t_first, t_last=t_last, cpu=cpu)
            elif cmd == "cpu":
                say(cpu=time.process_time(), t=time.monotonic())
            elif cmd == "subscriptions":
                say(count=len(server.subscription_ids()))
            elif cmd == "quit":
                break


if __name__ == "__main__":
    main()
