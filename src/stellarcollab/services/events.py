"""The one door through which every state change leaves the services.

Services call ``EventSink.publish``; the realtime layer implements it (numbering, fan-out,
other processes). Nothing here knows about sockets.
"""

from __future__ import annotations

from typing import Any, Protocol, TypedDict, Unpack


class Exclusion(TypedDict, total=False):
    """Who an event skips: every connection of a user, or one connection."""

    exclude_user: int | None
    exclude_connection: str | None


class EventSink(Protocol):
    async def publish(
        self, canvas_id: int, event: dict[str, Any], **exclusion: Unpack[Exclusion]
    ) -> None: ...


class RecordingSink:
    """Keeps what was published; the sink used when nothing realtime is wired."""

    def __init__(self) -> None:
        self.events: list[tuple[int, dict[str, Any], int | None, str | None]] = []

    async def publish(
        self, canvas_id: int, event: dict[str, Any], **exclusion: Unpack[Exclusion]
    ) -> None:
        self.events.append((canvas_id, event, exclusion.get("exclude_user"),
                            exclusion.get("exclude_connection")))
        del self.events[:-1000]


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
