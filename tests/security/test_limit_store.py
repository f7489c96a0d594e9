"""Token buckets by key: allowance, waiting time, peeking, refill, pruning."""

from __future__ import annotations

import pytest

from stellarcollab.security.limit_store import MemoryLimitStore
from tests.security.manual_clock import ManualClock


async def test_burst_then_wait_until_one_token_is_back() -> None:
    clock = ManualClock()
    store = MemoryLimitStore(clock)
    assert [await store.take("k", 2, 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await store.take("k", 2, 3) == pytest.approx(0.5)
    clock.advance(0.5)
    assert await store.take("k", 2, 3) == 0.0
    assert await store.take("other", 2, 3) == 0.0


async def test_cost_zero_only_looks() -> None:
    clock = ManualClock()
    store = MemoryLimitStore(clock)
    for _ in range(5):
        assert await store.take("k", 1, 1, cost=0) == 0.0
    assert await store.take("k", 1, 1) == 0.0
    assert await store.take("k", 1, 1, cost=0) == pytest.approx(1.0)


async def test_full_buckets_are_pruned_when_the_store_is_full() -> None:
    clock = ManualClock()
    store = MemoryLimitStore(clock, max_keys=10)
    for key in range(10):
        await store.take(str(key), 1, 1)
    clock.advance(5)
    await store.take("new", 1, 1)
    assert await store.take("new", 1, 1) > 0  # the new key kept its state
    assert len(store._buckets) == 1
