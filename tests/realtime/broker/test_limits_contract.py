"""The limit store contract, on memory and Redis: token buckets on the injected clock,
shared by every process, atomic under concurrency."""

from __future__ import annotations

import asyncio

import pytest

from stellarcollab.clock import ManualClock
from stellarcollab.realtime.broker import Brokers
from tests.realtime.broker.recording import Recorder

Started = tuple[Brokers, Recorder]


async def test_a_burst_is_allowed_then_the_wait_is_told(brokers: Started,
                                                        clock: ManualClock) -> None:
    limits = brokers[0].limits
    assert [await limits.take("connect:user:1", 2.0, 3) for _ in range(3)] == [0.0] * 3
    assert await limits.take("connect:user:1", 2.0, 3) == pytest.approx(0.5)
    assert await limits.take("connect:user:2", 2.0, 3) == 0.0  # another key
    clock.advance(0.4)
    assert await limits.take("connect:user:1", 2.0, 3) == pytest.approx(0.1)
    clock.advance(0.1)
    assert await limits.take("connect:user:1", 2.0, 3) == 0.0
    clock.advance(10)  # refilled, but never beyond the burst
    assert [await limits.take("connect:user:1", 2.0, 3) for _ in range(4)][-1] > 0


async def test_cost_zero_peeks_and_a_larger_cost_takes_more(brokers: Started,
                                                            clock: ManualClock) -> None:
    limits = brokers[0].limits
    assert await limits.take("login:ana", 0.1, 2, cost=0) == 0.0
    assert await limits.take("login:ana", 0.1, 2, cost=2) == 0.0
    assert await limits.take("login:ana", 0.1, 2, cost=0) == pytest.approx(10)
    assert await limits.take("login:ana", 0.1, 2, cost=0) == pytest.approx(10)  # unchanged
    clock.advance(10)
    assert await limits.take("login:ana", 0.1, 2, cost=2) == pytest.approx(10)  # one short
    assert await limits.take("login:ana", 0.1, 2, cost=0) == 0.0
    assert await limits.take("login:ana", 0.1, 2) == 0.0


async def test_buckets_are_shared_and_atomic_across_processes(brokers: Started,
                                                              peer: Started) -> None:
    stores = [brokers[0].limits, peer[0].limits]
    waits = await asyncio.gather(*(
        stores[n % 2].take("connect:user:9", 1.0, 20) for n in range(30)))
    assert waits.count(0.0) == 20
    assert all(wait > 0 for wait in waits if wait)


async def test_a_bucket_without_rate_or_burst_is_refused(brokers: Started) -> None:
    limits = brokers[0].limits
    for rate, burst, cost in ((0, 1, 1), (1, 0, 1), (1, 1, -1)):
        with pytest.raises(ValueError, match="bucket"):
            await limits.take("k", rate, burst, cost)
