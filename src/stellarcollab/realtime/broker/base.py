"""What every broker part shares: the receivers events and local notices are handed to,
and the names of the local notices (never published to other processes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stellarcollab.realtime.recovery import Delivery

DeliveryReceiver = Callable[[Delivery], None]
ControlReceiver = Callable[[dict[str, Any]], None]

# Local notices a broker may hand its control receiver (never published to others):
#: the broker lost its state (a Redis that came back empty): sequence numbers restarted;
EPOCH_CHANGED = "broker_epoch_changed"
#: a dead process's users were purged from a canvas's presence (``users``);
PRESENCE_EXPIRED = "presence_expired"
#: this process's users were put back into a canvas's presence after Redis lost them.
PRESENCE_RESTORED = "presence_restored"


def ignore_delivery(_delivery: Delivery) -> None:
    return None


def ignore_control(_message: dict[str, Any]) -> None:
    return None
