"""Every broker part's contract runs against both implementations: ``broker_url`` is
``memory://`` or the session's (flushed) Redis. Time is a ManualClock: TTLs pass when a
test advances it, never by sleeping. ``peer`` is a second process's brokers (with Redis:
its own client), or the same ones in memory, where there is only one process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from stellarcollab.clock import ManualClock
from stellarcollab.realtime.broker import Brokers, create_brokers
from tests.realtime.broker.recording import Recorder
from tests.support.redis import RedisServer


@asynccontextmanager
async def running(url: str, clock: ManualClock, **options: Any
                  ) -> AsyncIterator[tuple[Brokers, Recorder]]:
    brokers = create_brokers(url, clock=clock, **options)
    received = Recorder()
    brokers.events.set_receivers(received.append, received.append)
    await brokers.start()
    try:
        yield brokers, received
    finally:
        await brokers.stop()


@pytest.fixture(params=["memory", "redis"])
def broker_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()
    return server.url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def brokers(broker_url: str, clock: ManualClock
                  ) -> AsyncIterator[tuple[Brokers, Recorder]]:
    async with running(broker_url, clock, history=5, history_ttl=60,
                       presence_ttl=30) as started:
        yield started


@pytest.fixture
async def peer(broker_url: str, clock: ManualClock, brokers: tuple[Brokers, Recorder]
               ) -> AsyncIterator[tuple[Brokers, Recorder]]:
    if broker_url == "memory://":
        yield brokers
        return
    async with running(broker_url, clock, history=5, history_ttl=60,
                       presence_ttl=30) as started:
        yield started
