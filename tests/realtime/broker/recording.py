"""What a broker hands its receivers, kept in order and awaitable with a timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from stellarcollab.realtime.recovery import Delivery
from tests.support.timeouts import scaled


class Recorder:
    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = asyncio.Event()

    def append(self, item: Any) -> None:
        self.items.append(item)
        self._changed.set()

    @property
    def deliveries(self) -> list[Delivery]:
        return [item for item in self.items if isinstance(item, Delivery)]

    @property
    def controls(self) -> list[dict[str, Any]]:
        return [item for item in self.items if isinstance(item, dict)]

    async def until(self, condition: Callable[[Recorder], bool], timeout: float = 5) -> None:
        async def wait() -> None:
            while not condition(self):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), scaled(timeout))

    async def deliveries_count(self, count: int, timeout: float = 5) -> list[Delivery]:
        await self.until(lambda r: len(r.deliveries) >= count, timeout)
        return self.deliveries
