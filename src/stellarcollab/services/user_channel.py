"""Delivery to one user's sockets wherever they are (the ``user:{id}`` topic), and the
question whether that user has any socket open at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from stellarcollab.realtime.topics import user_topic

TopicPublisher = Callable[[str, dict[str, Any]], Awaitable[None]]
ConnectedCheck = Callable[[int], Awaitable[bool]]


class UserChannel:
    def __init__(self, publish_to_topic: TopicPublisher, is_connected: ConnectedCheck) -> None:
        self._publish = publish_to_topic
        self._is_connected = is_connected

    async def send(self, user_id: int, event: dict[str, Any]) -> None:
        await self._publish(user_topic(user_id), event)

    async def is_connected(self, user_id: int) -> bool:
        return await self._is_connected(user_id)
