"""The limit store interface and its rule: token buckets shared by every process, kept
as GCRA (one "theoretical arrival time" per key). The rule is pure; the clock is passed."""

from __future__ import annotations

from typing import Protocol

#: sums of float intervals drift by a few ulps: a take that is due is not refused for them
_ROUNDING = 1e-9


class LimitStore(Protocol):
    async def take(self, key: str, rate_per_s: float, burst: float, cost: float = 1.0) -> float:
        """0.0 when ``cost`` tokens were taken from ``key``'s bucket (``burst`` tokens,
        refilled at ``rate_per_s``), else the seconds until they could be (nothing taken).
        ``cost`` 0 peeks: the wait a take of 1 would get, consuming nothing."""
        ...


def check_bucket(rate_per_s: float, burst: float, cost: float) -> None:
    if rate_per_s <= 0 or burst <= 0 or cost < 0:
        raise ValueError("a bucket needs a positive rate and burst, and a cost of 0 or more")


def gcra(tat: float | None, now: float, rate_per_s: float, burst: float,
         cost: float) -> tuple[float | None, float]:
    """(the key's new arrival time, or None when unchanged; the wait, 0.0 if allowed).

    ``tat`` is when the bucket is full again; it may run ``burst`` intervals ahead of
    ``now``. The Redis script (``redis_scripts.LIMIT_SCRIPT``) is this function in Lua.
    """
    interval = 1.0 / rate_per_s
    start = now if tat is None or tat < now else tat
    needed = 1.0 if cost == 0 else cost
    wait = start + (needed - burst) * interval - now
    if wait > _ROUNDING:
        return None, wait
    if cost == 0:
        return None, 0.0
    return start + cost * interval, 0.0
