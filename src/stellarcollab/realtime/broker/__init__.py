"""Brokers carry numbered canvas events between processes and hold shared presence.

``create_broker`` picks the implementation from the URL scheme: ``memory://`` (one
process) or ``redis://`` (several processes).
"""

from __future__ import annotations

from stellarcollab.realtime.broker.base import Broker, DeliveryReceiver
from stellarcollab.realtime.broker.memory import MemoryBroker


def create_broker(url: str, history: int, history_ttl: float) -> Broker:
    scheme = url.split("://", 1)[0]
    if scheme == "memory":
        return MemoryBroker(history, history_ttl)
    raise ValueError(f"unsupported broker URL scheme '{scheme}' (use memory://)")


__all__ = ["Broker", "DeliveryReceiver", "MemoryBroker", "create_broker"]
