"""Reads by key gathered into one query: the requests made in one turn of the event loop
(and while the previous query runs) share a single round trip to the database. A storm
of arrivals asks the same question for thousands of different keys at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_BATCH = 500


class BatchReader(Generic[K, V]):
    """``query`` answers many keys at once: a value for each key it found (a key it did
    not find reads as None)."""

    def __init__(self, query: Callable[[list[K]], Awaitable[dict[K, V]]],
                 max_batch: int = MAX_BATCH) -> None:
        self.query = query
        self.max_batch = max_batch
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
                await asyncio.sleep(0)  # the requests of this loop iteration join in
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
