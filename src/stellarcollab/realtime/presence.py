"""Presence state of one canvas: connections aggregated per user. Pure functions on
plain data; the broker stores it (in memory or in Redis) and the manager announces it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class UserPresence:
    user_id: int
    username: str
    display_name: str
    connected_at: str
    connections: set[str] = field(default_factory=set)
    status: str = "online"
    status_message: str | None = None
    is_typing: bool = False
    editing_tile: tuple[int, int] | None = None
    emoji: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "display_name": self.display_name,
            "is_active": True,
            "status": self.status,
            "status_message": self.status_message,
            "emoji": self.emoji,
            "is_typing": self.is_typing,
            "editing_tile": (
                {"tile_x": self.editing_tile[0], "tile_y": self.editing_tile[1]}
                if self.editing_tile else None
            ),
            "connections": len(self.connections),
            "connected_at": self.connected_at,
        }


CanvasPresence = dict[int, UserPresence]


def join(presence: CanvasPresence, user: dict[str, Any], connection_id: str, now: str) -> bool:
    """Add a connection; True when it is the user's first on this canvas."""
    entry = presence.get(user["user_id"])
    if entry is None:
        entry = presence[user["user_id"]] = UserPresence(
            user["user_id"], user["username"], user["display_name"], now
        )
    first = not entry.connections
    entry.connections.add(connection_id)
    return first


def leave(presence: CanvasPresence, user_id: int, connection_id: str) -> bool:
    """Remove a connection; True when it was the user's last (the entry is dropped)."""
    entry = presence.get(user_id)
    if entry is None or connection_id not in entry.connections:
        return False
    entry.connections.discard(connection_id)
    if entry.connections:
        return False
    del presence[user_id]
    return True


def apply_event(presence: CanvasPresence, event: dict[str, Any]) -> None:
    """Fold a broadcast presence event into the state (typing, status, editing)."""
    entry = presence.get(event.get("user_id", -1))
    if entry is None:
        return
    kind = event.get("type")
    if kind == "user_typing":
        entry.is_typing = bool(event.get("is_typing"))
    elif kind == "user_presence_update":
        if event.get("status"):
            entry.status = event["status"]
            entry.status_message = event.get("status_message")
            if "emoji" in event:  # a stored status's; a relayed status word has none
                entry.emoji = event["emoji"]
        if "is_editing" in event and event.get("tile_x") is not None:
            cell = (event["tile_x"], event["tile_y"])
            if event["is_editing"]:
                entry.editing_tile = cell
            elif entry.editing_tile == cell:
                entry.editing_tile = None
