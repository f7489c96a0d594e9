"""The in-process broker: a faithful twin of the Redis one for a single process.

Publishing numbers the event, encodes it once, keeps it in the canvas's recent history and
hands it to the receiver synchronously, so events leave in ``seq`` order with no task hop.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from stellarcollab.db.types import isoformat_z, utcnow
from stellarcollab.realtime import presence as presence_rules
from stellarcollab.realtime.broker.base import ControlReceiver, DeliveryReceiver
from stellarcollab.realtime.presence import CanvasPresence, UserPresence
from stellarcollab.realtime.protocol import encode_event
from stellarcollab.realtime.recovery import (
    Delivery,
    EventHistory,
    Replay,
    Resync,
    plan_recovery,
)


def _ignore_delivery(_delivery: Delivery) -> None:
    return None


def _ignore_control(_message: dict[str, Any]) -> None:
    return None


class MemoryBroker:
    def __init__(self, history: int = 1000, history_ttl: float = 300.0) -> None:
        self.epoch = secrets.token_urlsafe(6)
        self.history_size = history
        self.history_ttl = history_ttl
        self._deliver: DeliveryReceiver = _ignore_delivery
        self._control: ControlReceiver = _ignore_control
        self._seq: dict[int, int] = {}
        self._history: dict[int, EventHistory] = {}
        self._subscriptions: dict[int, int] = {}
        self._presence: dict[int, CanvasPresence] = {}
        self._tickets: dict[str, tuple[str, float]] = {}  # ticket -> (token, deadline)

    def set_receivers(self, deliveries: DeliveryReceiver, control: ControlReceiver) -> None:
        self._deliver = deliveries
        self._control = control

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def subscribe(self, canvas_id: int) -> None:
        self._subscriptions[canvas_id] = self._subscriptions.get(canvas_id, 0) + 1

    async def unsubscribe(self, canvas_id: int) -> None:
        left = self._subscriptions.get(canvas_id, 0) - 1
        if left > 0:
            self._subscriptions[canvas_id] = left
        else:
            self._subscriptions.pop(canvas_id, None)

    async def ping(self) -> None:
        return None

    async def publish(
        self,
        canvas_id: int,
        event: dict[str, Any],
        exclude_user: int | None = None,
        exclude_connection: str | None = None,
    ) -> int:
        seq = self._seq.get(canvas_id, 0) + 1
        self._seq[canvas_id] = seq
        event["seq"] = seq
        event.setdefault("canvas_id", canvas_id)
        delivery = Delivery(
            canvas_id, seq, str(event.get("type")), encode_event(event),
            exclude_user, exclude_connection, time.monotonic(),
        )
        history = self._history.get(canvas_id)
        if history is None:
            history = self._history[canvas_id] = EventHistory(self.history_size, self.history_ttl)
        history.append(delivery)
        if canvas_id in self._subscriptions:
            self._deliver(delivery)
        return seq

    async def publish_control(self, message: dict[str, Any]) -> None:
        self._control(message)

    async def current_seq(self, canvas_id: int) -> int:
        return self._seq.get(canvas_id, 0)

    async def recover(self, canvas_id: int, since: int, epoch: str | None) -> Replay | Resync:
        return plan_recovery(
            self._history.get(canvas_id), since, self._seq.get(canvas_id, 0), epoch,
            self.epoch, time.monotonic(),
        )

    async def presence_join(self, canvas_id: int, user: dict[str, Any], connection_id: str) -> bool:
        state = self._presence.setdefault(canvas_id, {})
        return presence_rules.join(state, user, connection_id, isoformat_z(utcnow()))

    async def presence_leave(self, canvas_id: int, user_id: int, connection_id: str) -> bool:
        state = self._presence.get(canvas_id)
        if state is None:
            return False
        last = presence_rules.leave(state, user_id, connection_id)
        if not state:
            del self._presence[canvas_id]
        return last

    async def presence_apply(self, canvas_id: int, event: dict[str, Any]) -> None:
        state = self._presence.get(canvas_id)
        if state is not None:
            presence_rules.apply_event(state, event)

    async def presence(self, canvas_id: int) -> list[UserPresence]:
        return list(self._presence.get(canvas_id, {}).values())

    async def put_ticket(self, ticket: str, token: str, ttl_seconds: float) -> None:
        now = time.monotonic()
        if len(self._tickets) > 1000:  # forget expired tickets nobody redeemed
            for key in [k for k, (_, deadline) in self._tickets.items() if deadline < now]:
                del self._tickets[key]
        self._tickets[ticket] = (token, now + ttl_seconds)

    async def take_ticket(self, ticket: str) -> str | None:
        entry = self._tickets.pop(ticket, None)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def stats(self) -> dict[str, int]:
        return {
            "canvases_with_presence": len(self._presence),
            "subscriptions": len(self._subscriptions),
            "histories": len(self._history),
        }
