"""Moderation made effective on every process: the services' ``AccessControl``.

One control notice per decision goes through the broker to every process (this one
included). Each process first drops what it cached about the user (admission, chat
sanctions), then closes that user's local sockets with the decision's code, so a
reconnect that follows the close is checked against the new state.
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
    def __init__(self, broker: EventBus, manager: ConnectionManager) -> None:
        self.broker = broker
        self.manager = manager
        #: called with (user_id, canvas_id or None) on every notice, before sockets close
        self.forgetters: list[Forgetter] = []

    async def access_changed(self, user_id: int, canvas_id: int | None, *,
                             close_code: int | None = None, reason: str = "") -> None:
        await self.broker.publish_control({
            "type": ACCESS_CHANGED, "user_id": user_id, "canvas_id": canvas_id,
            "close_code": close_code, "reason": close_reason(reason),
        })

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
        code = message.get("close_code")
        if code is not None:
            self.close_local(user_id, canvas, int(code), str(message.get("reason", "")))

    def close_local(self, user_id: int, canvas_id: int | None, code: int, reason: str) -> int:
        """Close this process's sockets of the user (on one canvas, or all); how many."""
        canvases = ([canvas_id] if canvas_id is not None
                    else list(self.manager.canvas_connections))
        closed = 0
        for canvas in canvases:
            for connection in list(self.manager.canvas_connections.get(canvas, {}).values()):
                if connection.user_id == user_id and connection.is_live:
                    connection.close(code, reason)
                    closed += 1
        return closed
