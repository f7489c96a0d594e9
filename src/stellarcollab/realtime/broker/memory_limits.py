"""The in-process limit store: the GCRA rule of ``limits`` over a dict of keys."""

from __future__ import annotations

from stellarcollab.clock import Clock, SystemClock
from stellarcollab.realtime.broker.limits import check_bucket, gcra

#: above this many keys, a take first forgets the keys whose bucket is full again
PRUNE_ABOVE = 100_000


class MemoryLimitStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._arrivals: dict[str, float] = {}  # key -> when its bucket is full again

    async def take(self, key: str, rate_per_s: float, burst: float, cost: float = 1.0) -> float:
        check_bucket(rate_per_s, burst, cost)
        now = self.clock.monotonic()
        if len(self._arrivals) > PRUNE_ABOVE:
            self._arrivals = {k: tat for k, tat in self._arrivals.items() if tat > now}
        tat, wait = gcra(self._arrivals.get(key), now, rate_per_s, burst, cost)
        if tat is not None:
            self._arrivals[key] = tat
        return wait
