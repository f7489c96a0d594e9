"""Events addressed to a topic rather than a canvas (``user:{id}``, ``admins``, ``global``),
as the moderation services send them; the realtime layer delivers them."""

from __future__ import annotations

from typing import Any, Protocol


class TopicSink(Protocol):
    async def publish_to_topic(self, topic: str, event: dict[str, Any]) -> None: ...

