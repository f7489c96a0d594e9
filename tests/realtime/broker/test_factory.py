"""``create_brokers`` picks every part's implementation from the URL scheme."""

from __future__ import annotations

import pytest

from stellarcollab.realtime.broker import create_brokers
from stellarcollab.realtime.broker.memory_events import MemoryEventBus
from stellarcollab.realtime.broker.memory_limits import MemoryLimitStore
from stellarcollab.realtime.broker.memory_presence import MemoryPresenceStore
from stellarcollab.realtime.broker.memory_tickets import MemoryTicketStore
from stellarcollab.realtime.broker.redis_events import RedisEventBus
from stellarcollab.realtime.broker.redis_limits import RedisLimitStore
from stellarcollab.realtime.broker.redis_presence import RedisPresenceStore
from stellarcollab.realtime.broker.redis_tickets import RedisTicketStore


def test_memory_url_gives_memory_parts() -> None:
    parts = create_brokers("memory://")
    assert isinstance(parts.events, MemoryEventBus)
    assert isinstance(parts.presence, MemoryPresenceStore)
    assert isinstance(parts.tickets, MemoryTicketStore)
    assert isinstance(parts.limits, MemoryLimitStore)


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://cache.internal:6380/2"])
async def test_redis_urls_give_redis_parts_on_one_client(url: str) -> None:
    parts = create_brokers(url)
    assert isinstance(parts.events, RedisEventBus)
    assert isinstance(parts.presence, RedisPresenceStore)
    assert isinstance(parts.tickets, RedisTicketStore)
    assert isinstance(parts.limits, RedisLimitStore)
    clients = {id(part._client) for part in (
        parts.events, parts.presence, parts.tickets, parts.limits)}
    assert len(clients) == 1
    await parts.close()


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported broker URL"):
        create_brokers("carrier-pigeon://")
