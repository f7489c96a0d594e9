"""Delivers events of the ``user:{id}`` and ``global`` topics to this process's sockets,
whichever process published them.

They travel on the broker's control channel, which every process receives; each process
hands an event to the matching sockets it holds (every socket of the user, on any canvas;
every socket for ``global``). Nothing is numbered or kept: what must survive a reconnect
is stored by its feature and read over REST.
"""

from __future__ import annotations

from typing import Any

from stellarcollab.realtime.manager import ConnectionManager

NOTICE = "topic_event"
USER_PREFIX = "user:"
GLOBAL = "global"


class UserDelivery:
    def __init__(self, manager: ConnectionManager) -> None:
        self.manager = manager
        manager.control_listeners.append(self.on_control)

    async def publish_to_topic(self, topic: str, event: dict[str, Any]) -> None:
        if topic != GLOBAL and not topic.startswith(USER_PREFIX):
            raise ValueError(f"not a user or global topic: {topic!r}")
        await self.manager.events.publish_control(
            {"type": NOTICE, "topic": topic, "event": event})

    def on_control(self, message: dict[str, Any]) -> None:
        if message.get("type") != NOTICE:
            return
        topic, event = str(message["topic"]), message["event"]
        user_id = int(topic[len(USER_PREFIX):]) if topic.startswith(USER_PREFIX) else None
        for connections in list(self.manager.canvas_connections.values()):
            for connection in list(connections.values()):
                if user_id is None or connection.user_id == user_id:
                    connection.send_event(event)
