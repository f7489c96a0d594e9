"""Chat messages that were stored while the broker was unreachable: held in order and
published again once it answers, so they reach the canvas late rather than never.

Held in this process only: if it stops first, the messages are still in the history,
which clients reload after a reconnect. A retried publish whose first attempt reached
Redis although its reply was lost can show a message twice; its ``message_id`` tells.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from stellarcollab.services.events import EventSink, PublishFailed

log = logging.getLogger(__name__)
CAPACITY = 10_000


class ChatOutbox:
    def __init__(self, events: EventSink, capacity: int = CAPACITY) -> None:
        self.events = events
        self.capacity = capacity
        self._held: deque[tuple[int, dict[str, Any], str | None]] = deque()

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, canvas_id: int, event: dict[str, Any], exclude_connection: str | None) -> None:
        if len(self._held) >= self.capacity:
            dropped = self._held.popleft()
            log.warning("chat outbox full: message %s stays in the history only",
                        dropped[1].get("message_id"), extra={"canvas_id": dropped[0]})
        self._held.append((canvas_id, event, exclude_connection))

    async def flush(self) -> int:
        """Publish what is held, oldest first, until the broker fails again."""
        published = 0
        while self._held:
            canvas_id, event, exclude_connection = self._held[0]
            try:
                await self.events.publish(canvas_id, dict(event),
                                          exclude_connection=exclude_connection)
            except PublishFailed:
                break
            self._held.popleft()
            published += 1
        if published:
            log.info("chat outbox: %d held messages broadcast", published)
        return published
