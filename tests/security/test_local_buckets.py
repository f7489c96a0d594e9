"""Local token buckets: allowance, waiting time, peeking, refill, pruning."""

from __future__ import annotations

import pytest

from stellarcollab.clock import ManualClock
from stellarcollab.security.local_buckets import LocalBuckets


def test_burst_then_wait_until_one_token_is_back() -> None:
    clock = ManualClock()
    buckets = LocalBuckets(clock.monotonic)
    assert [buckets.take("k", 2, 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("k", 2, 3) == pytest.approx(0.5)
    clock.advance(0.5)
    assert buckets.take("k", 2, 3) == 0.0
    assert buckets.take("other", 2, 3) == 0.0


def test_cost_zero_only_looks() -> None:
    buckets = LocalBuckets(ManualClock().monotonic)
    for _ in range(5):
        assert buckets.take("k", 1, 1, cost=0) == 0.0
    assert buckets.take("k", 1, 1) == 0.0
    assert buckets.take("k", 1, 1, cost=0) == pytest.approx(1.0)


def test_full_buckets_are_pruned_when_full_of_keys() -> None:
    clock = ManualClock()
    buckets = LocalBuckets(clock.monotonic, max_keys=10)
    for key in range(10):
        buckets.take(str(key), 1, 1)
    clock.advance(5)
    buckets.take("new", 1, 1)
    assert buckets.take("new", 1, 1) > 0  # the new key kept its state
    assert len(buckets._buckets) == 1
