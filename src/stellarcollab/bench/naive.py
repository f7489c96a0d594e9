"""The naive broadcast the benchmark compares against: the usual loop that awaits one
subscriber after another, with the message encoded again for each. Served only by a
benchmark server started with ``STELLAR_BROADCAST_MODE=naive``; never in production."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import orjson

from stellarcollab.realtime.broker.events import EventBus
from stellarcollab.realtime.broker.presence import PresenceStore
from stellarcollab.realtime.manager import ConnectionManager, ManagerHooks
from stellarcollab.realtime.recovery import Delivery
from stellarcollab.realtime.topics import CANVAS_PREFIX


class NaiveConnectionManager(ConnectionManager):
    def __init__(self, events: EventBus, presence: PresenceStore,
                 hooks: ManagerHooks | None = None) -> None:
        super().__init__(events, presence, hooks)
        events.set_receivers(self._deliver_other_topics, self._on_control)

    def _deliver_other_topics(self, delivery: Delivery) -> None:
        """Canvas events are sent by the awaiting loop below instead of the fan-out."""
        if delivery.topic.startswith(CANVAS_PREFIX):
            self._after_canvas_delivery(delivery)
        else:
            self.fanout.deliver(delivery)

    async def _publish_canvas(
        self, canvas_id: int, message: dict[str, Any], *, exclude_user: int | None = None,
        exclude_connection: str | None = None, meta: Mapping[str, Any] | None = None,
    ) -> int:
        seq = await super()._publish_canvas(canvas_id, message, exclude_user=exclude_user,
                                            exclude_connection=exclude_connection, meta=meta)
        for connection in list(self.registry.on_canvas(canvas_id).values()):
            if connection.user_id == exclude_user or connection.id == exclude_connection:
                continue
            with contextlib.suppress(Exception):
                await connection.websocket.send_text(orjson.dumps(message).decode())
        return seq
