"""The ticket store contract, on memory and Redis: single use, expiry on the clock."""

from __future__ import annotations

from stellarcollab.clock import ManualClock
from stellarcollab.realtime.broker import Brokers
from tests.realtime.broker.recording import Recorder

Started = tuple[Brokers, Recorder]


async def test_tickets_are_single_use(brokers: Started, peer: Started) -> None:
    here, there = brokers[0].tickets, peer[0].tickets
    await here.put("t-1", "token-a", ttl_seconds=30)
    assert await there.take("t-1") == "token-a"  # redeemed by any process
    assert await here.take("t-1") is None  # once only
    assert await here.take("never-issued") is None


async def test_tickets_expire_with_the_clock(brokers: Started, clock: ManualClock) -> None:
    store = brokers[0].tickets
    await store.put("t-2", "token-b", ttl_seconds=30)
    await store.put("t-3", "token with spaces", ttl_seconds=30)
    clock.advance(29.9)
    assert await store.take("t-3") == "token with spaces"
    clock.advance(0.1)  # exactly at the deadline: gone
    assert await store.take("t-2") is None
