"""Token buckets by key kept in this process, for limits that are checked on every message
or log line and need no sharing: per-user message kinds, per-address handshakes, log
lines. ``take`` answers the seconds to wait: 0.0 means allowed (and ``cost`` tokens were
taken); cost 0 only looks. Limits shared across processes use the broker's limit store.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def refill(tokens: float, elapsed: float, rate_per_s: float, burst: float) -> float:
    return min(burst, tokens + max(0.0, elapsed) * rate_per_s)


def wait_for(tokens: float, needed: float, rate_per_s: float) -> float:
    """Seconds until ``needed`` tokens are there (never 0.0 when some are missing)."""
    if tokens >= needed:
        return 0.0
    if rate_per_s <= 0:
        return float("inf")
    return max(1e-3, (needed - tokens) / rate_per_s)


class LocalBuckets:
    """Buckets of this process, pruned of full ones when ``max_keys`` is reached."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float, float, float]] = {}

    def take(self, key: str, rate_per_s: float, burst: float, cost: float = 1.0) -> float:
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
