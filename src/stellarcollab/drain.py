"""Graceful drain: what a process does between SIGTERM and its exit.

It turns not-ready (``/readyz`` answers 503, new sockets are closed with 1012), closes its
sockets with 1012 in batches spread with jitter over ``STELLAR_DRAIN_SECONDS`` (so their
clients reconnect elsewhere a few at a time and recover with ``?since=``), waits for them
to go, and flushes the write-behind state (chat group commit, presence records). The
server then shuts down as usual.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable

from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.runtime import Runtime

log = logging.getLogger(__name__)

#: at most this many batches per second of the drain period
BATCHES_PER_SECOND = 10
#: how long sockets may take to finish closing after the last batch was closed
CLOSE_GRACE_SECONDS = 5.0


def batch_schedule(sockets: int, seconds: float,
                   rand: Callable[[], float] = random.random) -> list[tuple[float, int]]:
    """(offset in seconds, how many sockets) per batch: ``sockets`` split evenly into
    batches, batch i closed at a random moment of the i-th equal slice of ``seconds``."""
    if sockets <= 0:
        return []
    batches = min(sockets, max(1, math.ceil(seconds * BATCHES_PER_SECOND)))
    slot = seconds / batches
    base, extra = divmod(sockets, batches)
    return [((i + rand()) * slot, base + (1 if i < extra else 0)) for i in range(batches)]


async def drain(runtime: Runtime, seconds: float) -> None:
    runtime.draining = True
    manager = runtime.manager
    connections = [c for conns in manager.canvas_connections.values() for c in conns.values()]
    random.shuffle(connections)  # a canvas's users do not all leave in the same batch
    log.info("draining: closing %d sockets over %.1f s", len(connections), seconds,
             extra={"sockets": len(connections), "seconds": seconds})
    loop = asyncio.get_running_loop()
    started = loop.time()
    position = 0
    for offset, size in batch_schedule(len(connections), seconds):
        await asyncio.sleep(max(0.0, started + offset - loop.time()))
        for connection in connections[position:position + size]:
            connection.close(CloseCode.SERVICE_RESTART, "server restarting")
        position += size
    deadline = loop.time() + CLOSE_GRACE_SECONDS
    # A poll: the manager has no "last socket gone" event, and this runs once per process.
    while manager.total_connections and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await runtime.flush_write_behind()
    log.info("drained in %.1f s", loop.time() - started,
             extra={"seconds": round(loop.time() - started, 3)})
