"""The one door through which every state change leaves the services.

Services call ``EventSink.publish`` for canvas events and ``publish_to_topic`` for events of
a user, the admins or everyone; the realtime layer implements both (numbering, fan-out,
other processes). Nothing here knows about sockets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypedDict, Unpack


class Exclusion(TypedDict, total=False):
    """Who an event skips: every connection of a user, or one connection."""

    exclude_user: int | None
    exclude_connection: str | None


class PublishFailed(RuntimeError):
    """The event could not be published (the broker is unreachable). Whatever the service
    stored before publishing stays stored."""


class EventSink(Protocol):
    async def publish(
        self, canvas_id: int, event: dict[str, Any], *, meta: Mapping[str, Any] | None = None,
        **exclusion: Unpack[Exclusion],
    ) -> None:
        """A canvas event (numbered); ``meta``: typed facts receivers need (a lease)."""
        ...

    async def publish_to_topic(self, topic: str, event: dict[str, Any]) -> None:
        """An event for ``user:{id}``, ``admins`` or ``global`` (``realtime.topics``)."""
        ...

    async def canvas_access_changed(self, canvas_id: int,
                                    allowed_user_ids: list[int] | None) -> None:
        """Who may be on the canvas changed (None: anyone; admins always may): every
        process forgets what it cached and closes the sockets of those no longer allowed."""
        ...


class RecordingSink:
    """Keeps what was published; the sink used when nothing realtime is wired."""

    def __init__(self) -> None:
        self.events: list[tuple[int, dict[str, Any], int | None, str | None]] = []
        self.topic_events: list[tuple[str, dict[str, Any]]] = []
        self.access_changes: list[tuple[int, list[int] | None]] = []

    async def publish(
        self, canvas_id: int, event: dict[str, Any], *, meta: Mapping[str, Any] | None = None,
        **exclusion: Unpack[Exclusion],
    ) -> None:
        self.events.append((canvas_id, event, exclusion.get("exclude_user"),
                            exclusion.get("exclude_connection")))
        del self.events[:-1000]

    async def publish_to_topic(self, topic: str, event: dict[str, Any]) -> None:
        self.topic_events.append((topic, event))
        del self.topic_events[:-1000]

    async def canvas_access_changed(self, canvas_id: int,
                                    allowed_user_ids: list[int] | None) -> None:
        self.access_changes.append((canvas_id, allowed_user_ids))


class Origin:
    """Who caused a change: the user, and the socket connection when the call named one."""

    __slots__ = ("connection_id", "user_id")

    def __init__(self, user_id: int, connection_id: str | None = None) -> None:
        self.user_id = user_id
        self.connection_id = connection_id

    def exclusion(self) -> Exclusion:
        if self.connection_id:
            return {"exclude_connection": self.connection_id}
        return {"exclude_user": self.user_id}
