"""CPU per frame of the fan-out loop alone (the manager's ``Fanout.deliver`` with N
open connections whose writers only queue frames): no sockets, no load generator, so the
cost of a change to the loop shows even on a busy machine. Process CPU time, best and
median of the trials, in µs per frame.

    python -m stellarcollab.bench.hotpath [--connections 1000] [--events 3000] [--trials 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from stellarcollab.realtime.broker import create_brokers
from stellarcollab.realtime.connection import Connection, ConnectionState
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.realtime.protocol import CanvasBounds
from stellarcollab.realtime.recovery import Delivery
from stellarcollab.realtime.topics import canvas_topic

PAYLOAD = b'{"type":"tile_highlight","user_id":0,"message":"~b:1:1:1~","canvas_id":1}'


class QueueingWriter:
    """What the fast writer does per frame (an append), bounded so memory stays flat."""

    __slots__ = ("pending",)

    def __init__(self) -> None:
        self.pending: list[bytes] = []

    def send(self, payload: bytes, frame: bytes) -> None:
        pending = self.pending
        pending.append(frame)
        if len(pending) > 64:
            pending.clear()

    send_now = send


def _manager(connections: int) -> ConnectionManager:
    brokers = create_brokers("memory://")
    manager = ConnectionManager(brokers.events, brokers.presence)
    for n in range(connections):
        connection = Connection(
            None, QueueingWriter(),  # type: ignore[arg-type]
            {"user_id": n + 1, "username": f"user{n}", "display_name": "User"},
            CanvasBounds(1, 32, 32), "jti", 1e12)
        connection.held = None
        connection.state = ConnectionState.OPEN
        manager.registry.add(connection)
    return manager


def measure(connections: int, events: int, trials: int) -> list[float]:
    deliver = _manager(connections).fanout.deliver
    topic = canvas_topic(1)
    results = []
    for trial in range(trials):
        first = trial * events + 1
        started = time.process_time()
        for seq in range(first, first + events):
            deliver(Delivery(1, seq, "tile_highlight", PAYLOAD, 0, None, time.monotonic(),
                             topic))
        results.append((time.process_time() - started) / (events * connections) * 1e6)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    results = measure(args.connections, args.events, args.trials)
    print(f"fan-out loop: best {min(results):.4f} µs/frame, "
          f"median {statistics.median(results):.4f} µs/frame")


if __name__ == "__main__":
    main()
