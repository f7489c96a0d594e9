"""Token-bucket rate limiting with an injected clock; pure and synchronous."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class TokenBucket:
    """``rate`` tokens per second refill a bucket of ``burst``; each action takes one."""

    rate: float
    burst: float
    clock: Callable[[], float]
    tokens: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.updated = self.clock()

    def allow(self, cost: float = 1.0) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class KeyedBuckets:
    """One bucket per key (e.g. per user for connection attempts), pruned when full."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float],
                 max_keys: int = 100_000) -> None:
        self.rate, self.burst, self.clock, self.max_keys = rate, burst, clock, max_keys
        self._buckets: dict[object, TokenBucket] = {}

    def allow(self, key: object) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune()
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self.clock)
        return bucket.allow()

    def _prune(self) -> None:
        now = self.clock()
        full = [k for k, b in self._buckets.items()
                if b.tokens + (now - b.updated) * b.rate >= b.burst]
        for key in full:
            del self._buckets[key]
