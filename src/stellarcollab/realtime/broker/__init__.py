"""The broker: four parts, each an interface with a memory and a Redis implementation.

``create_brokers`` picks them from the URL scheme: ``memory://`` (one process) or
``redis://`` / ``rediss://`` (several processes on one Redis, sharing one connection pool
per process). Every TTL is measured with the injected clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from stellarcollab.clock import Clock, SystemClock
from stellarcollab.realtime.broker.base import ControlReceiver, DeliveryReceiver
from stellarcollab.realtime.broker.events import EventBus
from stellarcollab.realtime.broker.limits import LimitStore
from stellarcollab.realtime.broker.memory_events import MemoryEventBus
from stellarcollab.realtime.broker.memory_limits import MemoryLimitStore
from stellarcollab.realtime.broker.memory_presence import MemoryPresenceStore
from stellarcollab.realtime.broker.memory_tickets import MemoryTicketStore
from stellarcollab.realtime.broker.presence import PresenceStore
from stellarcollab.realtime.broker.redis_client import RedisBrokerError, RedisClient
from stellarcollab.realtime.broker.redis_events import RedisEventBus
from stellarcollab.realtime.broker.redis_limits import RedisLimitStore
from stellarcollab.realtime.broker.redis_presence import RedisPresenceStore
from stellarcollab.realtime.broker.redis_tickets import RedisTicketStore
from stellarcollab.realtime.broker.tickets import TicketStore

REDIS_SCHEMES = frozenset({"redis", "rediss"})


async def _nothing_to_close() -> None:
    return None


@dataclass(frozen=True, slots=True)
class Brokers:
    """The four parts of one process, started and stopped together."""

    events: EventBus
    presence: PresenceStore
    tickets: TicketStore
    limits: LimitStore
    close: Callable[[], Awaitable[None]] = _nothing_to_close

    async def start(self) -> None:
        await self.events.start()
        await self.presence.start()

    async def stop(self) -> None:
        """Stop the reader and the renewal, withdraw this process's presence, close."""
        try:
            await self.events.stop()
        finally:
            try:
                await self.presence.stop()
            finally:
                await self.close()


def create_brokers(url: str, *, history: int = 1000, history_ttl: float = 300.0,
                   presence_ttl: float = 30.0, clock: Clock | None = None,
                   prefix: str = "stellarcollab:", command_timeout: float = 10.0) -> Brokers:
    """``presence_ttl``: how long a Redis presence entry outlives its process."""
    clock = clock or SystemClock()
    scheme = url.split("://", 1)[0]
    if scheme == "memory":
        return Brokers(MemoryEventBus(history, history_ttl, clock), MemoryPresenceStore(clock),
                       MemoryTicketStore(clock), MemoryLimitStore(clock))
    if scheme in REDIS_SCHEMES:
        client = RedisClient(url, prefix=prefix, command_timeout=command_timeout)
        events = RedisEventBus(client, clock, history, history_ttl)
        presence = RedisPresenceStore(client, clock, presence_ttl, events.notify_local)
        events.epoch_listeners.append(presence.renew_soon)
        return Brokers(events, presence, RedisTicketStore(client, clock),
                       RedisLimitStore(client, clock), client.close)
    raise ValueError(
        f"unsupported broker URL scheme '{scheme}' (use memory://, redis:// or rediss://)"
    )


__all__ = [
    "Brokers",
    "ControlReceiver",
    "DeliveryReceiver",
    "EventBus",
    "LimitStore",
    "PresenceStore",
    "RedisBrokerError",
    "TicketStore",
    "create_brokers",
]
