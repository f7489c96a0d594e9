"""Plain-dict views of the social tables, shared by REST responses and socket events.

A REST item and its socket event carry the same fields; the event adds its ``type``.
"""

from __future__ import annotations

from typing import Any, Protocol

from stellarcollab.db.models import User
from stellarcollab.db.social import (
    Activity,
    Announcement,
    DirectMessage,
    Notification,
    TileComment,
)
from stellarcollab.db.types import isoformat_z

#: what others see of an ``invisible`` user's status: as if they were not signed in
HIDDEN_STATUS = "offline"


def actor_view(user: User) -> dict[str, Any]:
    return {"user_id": user.id, "username": user.username, "display_name": user.display_name}


def direct_message_view(message: DirectMessage, sender: User) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "sender_id": sender.id,
        "sender_username": sender.username,
        "sender_display_name": sender.display_name,
        "recipient_id": message.recipient_id,
        "message_text": message.text,
        "created_at": isoformat_z(message.created_at),
    }


class StatusFields(Protocol):
    """A stored status: the row, or its three fields as read."""

    @property
    def status(self) -> str: ...
    @property
    def status_message(self) -> str | None: ...
    @property
    def emoji(self) -> str | None: ...


def status_view(user_id: int, status: StatusFields | None, *,
                viewer_id: int) -> dict[str, Any]:
    """The stored status; an invisible user looks offline to everyone but themselves."""
    if status is None:
        return {"user_id": user_id, "status": "online", "status_message": None, "emoji": None}
    if status.status == "invisible" and viewer_id != user_id:
        return {"user_id": user_id, "status": HIDDEN_STATUS, "status_message": None,
                "emoji": None}
    return {"user_id": user_id, "status": status.status,
            "status_message": status.status_message, "emoji": status.emoji}


def activity_view(activity: Activity, actor: User) -> dict[str, Any]:
    return {
        "activity_id": activity.id,
        "kind": activity.kind,
        "actor": actor_view(actor),
        "canvas_id": activity.canvas_id,
        "tile_id": activity.tile_id,
        "created_at": isoformat_z(activity.created_at),
    }


def comment_view(comment: TileComment, author: User) -> dict[str, Any]:
    return {
        "comment_id": comment.id,
        "tile_id": comment.tile_id,
        "canvas_id": comment.canvas_id,
        "author_id": author.id,
        "author_username": author.username,
        "author_display_name": author.display_name,
        "text": comment.text,
        "created_at": isoformat_z(comment.created_at),
    }


def notification_view(notification: Notification, actors: list[User]) -> dict[str, Any]:
    """``actors``: the latest distinct actors, newest first (the first is ``actor``)."""
    return {
        "notification_id": notification.id,
        "kind": notification.kind,
        "actor": actor_view(actors[0]) if actors else None,
        "actors": [actor_view(actor) for actor in actors],
        "count": notification.count,
        "canvas_id": notification.canvas_id,
        "tile_id": notification.tile_id,
        "message_id": notification.message_id,
        "is_read": notification.is_read,
        "created_at": isoformat_z(notification.created_at),
        "updated_at": isoformat_z(notification.updated_at),
    }


def announcement_view(announcement: Announcement) -> dict[str, Any]:
    return {
        "announcement_id": announcement.id,
        "text": announcement.text,
        "canvas_id": announcement.canvas_id,
        "starts_at": isoformat_z(announcement.starts_at),
        "ends_at": isoformat_z(announcement.ends_at),
    }
