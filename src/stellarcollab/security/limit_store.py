"""Token buckets by key, behind the small interface the throttles need.

``take(key, rate_per_s, burst, cost)`` answers the seconds to wait: 0.0 means allowed
(and ``cost`` tokens were taken); cost 0 only looks. The memory store serves one process;
``create_limit_store`` picks the Redis store (shared by every process) for a redis://
broker URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class LimitStore(Protocol):
    async def take(self, key: str, rate_per_s: float, burst: float,
                   cost: float = 1.0) -> float: ...

    async def aclose(self) -> None: ...


def refill(tokens: float, elapsed: float, rate_per_s: float, burst: float) -> float:
    return min(burst, tokens + max(0.0, elapsed) * rate_per_s)


def wait_for(tokens: float, needed: float, rate_per_s: float) -> float:
    """Seconds until ``needed`` tokens are there (never 0.0 when some are missing)."""
    if tokens >= needed:
        return 0.0
    if rate_per_s <= 0:
        return float("inf")
    return max(1e-3, (needed - tokens) / rate_per_s)


def create_limit_store(broker_url: str) -> LimitStore:
    if broker_url.split("://", 1)[0] in ("redis", "rediss"):
        from stellarcollab.security.redis_limit_store import RedisLimitStore

        return RedisLimitStore(broker_url)
    return MemoryLimitStore()


class MemoryLimitStore:
    """Buckets of this process, pruned of full ones when ``max_keys`` is reached."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float, float, float]] = {}

    async def take(self, key: str, rate_per_s: float, burst: float,
                   cost: float = 1.0) -> float:
        return self.take_now(key, rate_per_s, burst, cost)

    async def aclose(self) -> None:
        self._buckets.clear()

    def take_now(self, key: str, rate_per_s: float, burst: float, cost: float = 1.0) -> float:
        now = self.clock()
        tokens, updated, _rate, _burst = self._buckets.get(key, (burst, now, rate_per_s, burst))
        tokens = refill(tokens, now - updated, rate_per_s, burst)
        wait = wait_for(tokens, cost if cost > 0 else 1.0, rate_per_s)
        if wait == 0.0:
            tokens -= cost
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._prune(now)
        self._buckets[key] = (tokens, now, rate_per_s, burst)
        return wait

    def _prune(self, now: float) -> None:
        self._buckets = {
            key: bucket for key, bucket in self._buckets.items()
            if refill(bucket[0], now - bucket[1], bucket[2], bucket[3]) < bucket[3]
        }
        if len(self._buckets) >= self.max_keys:
            self._buckets.clear()
