"""The in-process event bus: a faithful twin of the Redis one for a single process.

Publishing numbers a canvas event, encodes it once, keeps it in the canvas's recent
history and hands it to the receiver synchronously, so events leave in ``seq`` order with
no task hop. Events of other topics are handed over unnumbered and not kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from stellarcollab.clock import Clock, SystemClock
from stellarcollab.realtime.broker.base import (
    ControlReceiver,
    DeliveryReceiver,
    ignore_control,
    ignore_delivery,
)
from stellarcollab.realtime.protocol import encode_event
from stellarcollab.realtime.recovery import (
    Delivery,
    EventHistory,
    Replay,
    Resync,
    plan_recovery,
)
from stellarcollab.realtime.topics import canvas_of


class MemoryEventBus:
    def __init__(self, history: int = 1000, history_ttl: float = 300.0,
                 clock: Clock | None = None) -> None:
        self.epoch = secrets.token_urlsafe(6)
        self.history_size = history
        self.history_ttl = history_ttl
        self.clock = clock or SystemClock()
        self._monotonic = self.clock.monotonic
        self._deliver: DeliveryReceiver = ignore_delivery
        self._control: ControlReceiver = ignore_control
        self._seq: dict[int, int] = {}
        self._history: dict[int, EventHistory] = {}
        self._subscriptions: dict[str, int] = {}
        self._canvas_ids: dict[str, int | None] = {}  # topic -> canvas id, parsed once

    def set_receivers(self, deliveries: DeliveryReceiver, control: ControlReceiver) -> None:
        self._deliver = deliveries
        self._control = control

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ping(self) -> None:
        return None

    def _canvas_of(self, topic: str) -> int | None:
        try:
            return self._canvas_ids[topic]
        except KeyError:
            canvas_id = self._canvas_ids[topic] = canvas_of(topic)  # validates the name
            return canvas_id

    async def subscribe(self, topic: str) -> None:
        self._canvas_of(topic)
        self._subscriptions[topic] = self._subscriptions.get(topic, 0) + 1

    async def unsubscribe(self, topic: str) -> None:
        left = self._subscriptions.get(topic, 0) - 1
        if left > 0:
            self._subscriptions[topic] = left
        else:
            self._subscriptions.pop(topic, None)

    async def publish(
        self,
        topic: str,
        event: dict[str, Any],
        *,
        exclude_user: int | None = None,
        exclude_connection: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        # One function, no helper calls but the clock: this runs for every event.
        canvas_id = self._canvas_ids.get(topic) or self._canvas_of(topic)
        now = self._monotonic()
        if canvas_id is None:
            delivery = Delivery(0, 0, str(event.get("type")), encode_event(event),
                                exclude_user, exclude_connection, now, topic, meta)
        else:
            seq = self._seq.get(canvas_id, 0) + 1
            self._seq[canvas_id] = seq
            event["seq"] = seq
            event.setdefault("canvas_id", canvas_id)
            delivery = Delivery(canvas_id, seq, str(event.get("type")), encode_event(event),
                                exclude_user, exclude_connection, now, topic, meta)
            history = self._history.get(canvas_id)
            if history is None:
                history = self._history[canvas_id] = EventHistory(self.history_size,
                                                                  self.history_ttl)
            history.append(delivery)
        if topic in self._subscriptions:
            self._deliver(delivery)
        return delivery.seq

    async def publish_control(self, message: dict[str, Any]) -> None:
        self._control(message)

    async def current_seq(self, canvas_id: int) -> int:
        return self._seq.get(canvas_id, 0)

    async def recover(self, canvas_id: int, since: int, epoch: str | None) -> Replay | Resync:
        return plan_recovery(
            self._history.get(canvas_id), since, self._seq.get(canvas_id, 0), epoch,
            self.epoch, self.clock.monotonic(),
        )

    def stats(self) -> dict[str, int]:
        return {"subscriptions": len(self._subscriptions), "histories": len(self._history)}
