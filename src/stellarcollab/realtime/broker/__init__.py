"""Brokers carry numbered canvas events between processes and hold shared presence.

``create_broker`` picks the implementation from the URL scheme: ``memory://`` (one
process) or ``redis://`` / ``rediss://`` (several processes on one Redis).
"""

from __future__ import annotations

from stellarcollab.realtime.broker.base import Broker, DeliveryReceiver
from stellarcollab.realtime.broker.memory import MemoryBroker
from stellarcollab.realtime.broker.redis import RedisBroker

REDIS_SCHEMES = frozenset({"redis", "rediss"})


def create_broker(
    url: str, history: int, history_ttl: float, *, presence_ttl: float = 30.0
) -> Broker:
    """``presence_ttl``: how long a Redis presence entry outlives its process."""
    scheme = url.split("://", 1)[0]
    if scheme == "memory":
        return MemoryBroker(history, history_ttl)
    if scheme in REDIS_SCHEMES:
        return RedisBroker(url, history, history_ttl, presence_ttl=presence_ttl)
    raise ValueError(
        f"unsupported broker URL scheme '{scheme}' (use memory://, redis:// or rediss://)"
    )


__all__ = ["Broker", "DeliveryReceiver", "MemoryBroker", "RedisBroker", "create_broker"]
