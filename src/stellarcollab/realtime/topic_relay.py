"""Events for the ``user:{id}``, ``admins`` and ``global`` topics, carried to every process
on the broker's control channel and handed to this process's matching sockets.

A stand-in for the core's topic fan-out (``EventSink.publish_to_topic``): the runtime
uses that one as soon as the manager has it. Topic events are rare (reports, their
resolution, broadcasts), so each is encoded per socket and the admins are read from the
database per event; nothing here is on the canvas fan-out's hot path.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import User
from stellarcollab.realtime.broker.events import EventBus
from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.realtime.topics import InvalidTopic, TopicKind, parse_topic

log = logging.getLogger(__name__)

TOPIC_EVENT = "topic_event"


class TopicRelay:
    def __init__(self, broker: EventBus, manager: ConnectionManager, db: Database) -> None:
        self.broker = broker
        self.manager = manager
        self.db = db
        self._tasks: set[asyncio.Task[None]] = set()

    async def publish_to_topic(self, topic: str, event: dict[str, Any]) -> None:
        await self.broker.publish_control({"type": TOPIC_EVENT, "topic": topic, "event": event})

    def on_control(self, message: dict[str, Any]) -> None:
        if message.get("type") != TOPIC_EVENT:
            return
        event = message.get("event")
        try:
            topic = parse_topic(str(message.get("topic")))
        except InvalidTopic:
            log.warning("topic event for an unknown topic dropped")
            return
        if not isinstance(event, dict):
            return
        if topic.kind is TopicKind.GLOBAL:
            self._send(self._local(), event)
        elif topic.kind is TopicKind.USER:
            self._send([c for c in self._local() if c.user_id == topic.id], event)
        elif topic.kind is TopicKind.ADMINS and self._local():
            task = asyncio.get_running_loop().create_task(self._to_admins(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _to_admins(self, event: dict[str, Any]) -> None:
        try:
            local = self._local()
            async with self.db.read() as session:
                admins = set(await session.scalars(select(User.id).where(
                    User.id.in_({c.user_id for c in local}), User.is_admin.is_(True))))
            self._send([c for c in local if c.user_id in admins], event)
        except Exception:
            log.exception("delivering an admins event failed")

    def _local(self) -> list[Connection]:
        return [c for conns in self.manager.canvas_connections.values() for c in conns.values()]

    @staticmethod
    def _send(connections: list[Connection], event: dict[str, Any]) -> None:
        for connection in connections:
            connection.send_event(event)
