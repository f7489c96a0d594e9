"""Token buckets with an injected clock."""

from __future__ import annotations

from stellarcollab.realtime.ratelimit import TokenBucket


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

