"""Token buckets with an injected clock."""

from __future__ import annotations

from stellarcollab.realtime.ratelimit import KeyedBuckets, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_burst_then_refills_at_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]
    clock.now = 0.5  # one token back
    assert bucket.allow() and not bucket.allow()
    clock.now = 100  # never more than the burst
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]


def test_keyed_buckets_are_independent_and_pruned() -> None:
    clock = Clock()
    buckets = KeyedBuckets(rate=1, burst=1, clock=clock, max_keys=2)
    assert buckets.allow("a") and not buckets.allow("a")
    assert buckets.allow("b")
    clock.now = 10  # both full again: pruned when a third key arrives
    assert buckets.allow("c")
    assert len(buckets._buckets) <= 2
