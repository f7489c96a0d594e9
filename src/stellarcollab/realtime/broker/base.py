"""The broker interface every implementation keeps (and one contract suite tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from stellarcollab.realtime.presence import UserPresence
from stellarcollab.realtime.recovery import Delivery, Replay, Resync

DeliveryReceiver = Callable[[Delivery], None]
ControlReceiver = Callable[[dict[str, Any]], None]

# Local notices a broker may hand its control receiver (never published to others):
#: the broker lost its state (a Redis that came back empty): sequence numbers restarted;
EPOCH_CHANGED = "broker_epoch_changed"
#: a dead process's users were purged from a canvas's presence (``users``);
PRESENCE_EXPIRED = "presence_expired"
#: this process's users were put back into a canvas's presence after Redis lost them.
PRESENCE_RESTORED = "presence_restored"


class Broker(Protocol):
    """Numbers and carries canvas events; holds presence and one-time WebSocket tickets
    shared by all processes.

    ``publish`` gives the event the canvas's next ``seq`` and hands it, encoded once, to
    the receiver of every process subscribed to that canvas, in ``seq`` order. Receivers
    are plain functions that must not block.
    """

    epoch: str

    def set_receivers(self, deliveries: DeliveryReceiver, control: ControlReceiver) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ping(self) -> None:
        """Return once the broker answered; raise when it is unreachable (readiness)."""
        ...

    async def subscribe(self, canvas_id: int) -> None: ...

    async def unsubscribe(self, canvas_id: int) -> None: ...

    async def publish(
        self,
        canvas_id: int,
        event: dict[str, Any],
        exclude_user: int | None = None,
        exclude_connection: str | None = None,
    ) -> int: ...

    async def publish_control(self, message: dict[str, Any]) -> None: ...

    async def current_seq(self, canvas_id: int) -> int: ...

    async def recover(self, canvas_id: int, since: int, epoch: str | None) -> Replay | Resync: ...

    async def presence_join(
        self, canvas_id: int, user: dict[str, Any], connection_id: str
    ) -> bool: ...

    async def presence_leave(self, canvas_id: int, user_id: int, connection_id: str) -> bool: ...

    async def presence_apply(self, canvas_id: int, event: dict[str, Any]) -> None: ...

    async def presence(self, canvas_id: int) -> list[UserPresence]: ...

    async def put_ticket(self, ticket: str, token: str, ttl_seconds: float) -> None: ...

    async def take_ticket(self, ticket: str) -> str | None:
        """The ticket's token, once: later calls (and expired tickets) get None."""
        ...
