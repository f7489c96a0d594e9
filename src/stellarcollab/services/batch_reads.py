"""Reads by key gathered into one query: the requests made in one turn of the event loop
(and while the previous query runs) share a single round trip to the database. A storm
of arrivals asks the same question for thousands of different keys at once; a paced
reader (``BatchPace``) then also lets the requests of a short interval gather."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_BATCH = 500
#: how far apart the reads of arriving sockets (accounts, canvas access, stored statuses)
#: start while sockets keep arriving: a socket in a crowd waits at most this much longer
#: for each
ARRIVAL_READ_PACE = 0.02
#: how far apart the transactions writing first visits start while sockets keep arriving
VISIT_WRITE_PACE = 0.05


class BatchPace:
    """When a batch's query may start: at the next turn of the event loop, and no sooner
    than ``interval`` after the previous query started. A lone request waits one turn;
    under a steady stream the queries come ``interval`` apart, each taking what gathered
    meanwhile, so their fixed cost (a wake-up of the database's thread, a transaction)
    is shared by more keys the busier the server is.

    A paced start falls on a multiple of ``interval`` of the loop's clock, so readers
    paced alike and asked together (a socket's account and its canvas access) start
    together, and their statements share one call to the database's thread."""

    __slots__ = ("_last_start", "interval")

    def __init__(self, interval: float = 0.0) -> None:
        self.interval = interval
        self._last_start = float("-inf")

    def wait(self, now: float) -> float:
        """How long a query asked for at ``now`` waits (0: to the next turn); it is
        counted as started then."""
        start = self._last_start + self.interval
        if start <= now:
            self._last_start = now
            return 0.0
        # the grid's next point (less a rounding error, so a start on it stays on it)
        start = math.ceil(start / self.interval - 1e-6) * self.interval
        self._last_start = start
        return start - now

    async def turn(self) -> None:
        await asyncio.sleep(self.wait(asyncio.get_running_loop().time()))


class BatchReader(Generic[K, V]):
    """``query`` answers many keys at once: a value for each key it found (a key it did
    not find reads as None)."""

    def __init__(self, query: Callable[[list[K]], Awaitable[dict[K, V]]],
                 max_batch: int = MAX_BATCH, pace: float = 0.0) -> None:
        self.query = query
        self.max_batch = max_batch
        self.pace = BatchPace(pace)
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._worker: asyncio.Task[None] | None = None

    async def read(self, key: K) -> V | None:
        return await self.request(key)

    def request(self, key: K) -> asyncio.Future[V | None]:
        """Ask for ``key`` now and await the answer later (a caller with two reads to
        make starts both, so that they share a round trip)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V | None] = loop.create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._worker is None:
            self._worker = loop.create_task(self._work())
        return future

    async def _work(self) -> None:
        try:
            while self._waiting:
                await self.pace.turn()  # the requests made meanwhile join in
                keys = list(self._waiting)[:self.max_batch]
                taken = {key: self._waiting.pop(key) for key in keys}
                try:
                    found = await self.query(keys)
                except Exception as exc:  # every waiter sees the failure
                    for futures in taken.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(exc)
                    continue
                for key, futures in taken.items():
                    value = found.get(key)
                    for future in futures:
                        if not future.done():
                            future.set_result(value)
        finally:
            self._worker = None
