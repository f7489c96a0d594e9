"""Events collected while a transaction runs and sent only after it commits.

A change and the events that tell of it must agree: nothing is announced for a rolled
back transaction, and what is announced is already readable over REST.
"""

from __future__ import annotations

from typing import Any

from stellarcollab.services.events import EventSink
from stellarcollab.services.user_channel import UserChannel


class Outbox:
    def __init__(self) -> None:
        self.canvas_events: list[tuple[int, dict[str, Any]]] = []
        self.user_events: list[tuple[int, dict[str, Any]]] = []

    def to_canvas(self, canvas_id: int, event: dict[str, Any]) -> None:
        self.canvas_events.append((canvas_id, event))

    def to_user(self, user_id: int, event: dict[str, Any]) -> None:
        self.user_events.append((user_id, event))

    async def send(self, events: EventSink, users: UserChannel) -> None:
        """Canvas events first, in the order collected, then the users' events."""
        for canvas_id, event in self.canvas_events:
            await events.publish(canvas_id, event)
        for user_id, event in self.user_events:
            await users.send(user_id, event)
        self.canvas_events.clear()
        self.user_events.clear()
