"""Moderation made effective on every process: the services' ``AccessControl``.

A decision sends two control notices through the event bus, in this order, to every
process (this one included): first the user's access changed, so each process drops
what it cached about them (admission, chat sanctions); then, for kicks, bans and
deactivations, the manager's ``close_sockets``. A reconnect that follows the close is
therefore checked against the new state, on any process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from stellarcollab.realtime.broker.events import EventBus
from stellarcollab.realtime.manager import ConnectionManager

log = logging.getLogger(__name__)

ACCESS_CHANGED = "moderation_access_changed"
MAX_CLOSE_REASON_BYTES = 123  # RFC 6455: a close frame's payload is at most 125 bytes
Forgetter = Callable[[int, int | None], None]


def close_reason(text: str) -> str:
    """``text`` cut to what a close frame can carry, on a character boundary."""
    encoded = text.encode()[:MAX_CLOSE_REASON_BYTES]
    return encoded.decode(errors="ignore")


class ClusterAccessControl:
    def __init__(self, events: EventBus, manager: ConnectionManager) -> None:
        self.events = events
        self.manager = manager
        #: called with (user_id, canvas_id or None) on every notice, on every process
        self.forgetters: list[Forgetter] = []

    async def access_changed(self, user_id: int, canvas_id: int | None, *,
                             close_code: int | None = None, reason: str = "") -> None:
        await self.events.publish_control(
            {"type": ACCESS_CHANGED, "user_id": user_id, "canvas_id": canvas_id})
        if close_code is not None:
            await self.manager.close_sockets(user_id, canvas_id, close_code,
                                             close_reason(reason))

    def on_control(self, message: dict[str, Any]) -> None:
        if message.get("type") != ACCESS_CHANGED:
            return
        user_id = int(message["user_id"])
        canvas_id = message.get("canvas_id")
        canvas = int(canvas_id) if canvas_id is not None else None
        for forget in self.forgetters:
            try:
                forget(user_id, canvas)
            except Exception:
                log.exception("forgetting access of user %s failed", user_id)
