"""Custom status: ``online``, ``away``, ``busy`` or ``invisible``, a message of at most 80
characters and an emoji, stored per user. A change is handed to the listeners (the
realtime layer broadcasts it to every canvas the user is on)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import User
from stellarcollab.db.social import UserBlock, UserStatus
from stellarcollab.db.types import isoformat_z, utcnow
from stellarcollab.services.blocks import load_active_user
from stellarcollab.services.errors import Invalid
from stellarcollab.services.social_views import status_view
from stellarcollab.services.text_rules import checked
from stellarcollab.wire import rules

STATUSES = rules.CUSTOM_STATUSES
#: (user, their status as they see it, the socket connection that set it or None)
StatusListener = Callable[[User, dict[str, Any], str | None], Awaitable[None]]


def clean_status(status: str, status_message: str | None,
                 emoji: str | None) -> tuple[str, str | None, str | None]:
    if status not in STATUSES:
        raise Invalid(f"status must be one of: {', '.join(STATUSES)}")
    message = checked(rules.custom_status_message, status_message, "Status message")
    return status, message, checked(rules.status_emoji, emoji, "Emoji")


class StatusService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.listeners: list[StatusListener] = []

    async def set(self, user: User, status: str, status_message: str | None,
                  emoji: str | None, *, connection_id: str | None = None) -> dict[str, Any]:
        status, status_message, emoji = clean_status(status, status_message, emoji)
        async with self.db.transaction() as session:
            row = await session.get(UserStatus, user.id)
            if row is None:
                row = UserStatus(user_id=user.id)
                session.add(row)
            row.status, row.status_message, row.emoji = status, status_message, emoji
            row.updated_at = utcnow()
        view = status_view(user.id, row, viewer_id=user.id)
        for listener in self.listeners:
            await listener(user, view, connection_id)
        return view

    async def clear(self, user: User) -> dict[str, Any]:
        return await self.set(user, "online", None, None)

    async def of(self, user_id: int) -> dict[str, Any]:
        """The user's own stored status (``invisible`` included), for their sockets."""
        async with self.db.read() as session:
            return status_view(user_id, await session.get(UserStatus, user_id),
                               viewer_id=user_id)

    async def profile(self, viewer: User, user_id: int) -> dict[str, Any]:
        async with self.db.read() as session:
            user = await load_active_user(session, user_id)
            status = status_view(user.id, await session.get(UserStatus, user.id),
                                 viewer_id=viewer.id)
            blocked = await session.scalar(select(UserBlock.blocked_id).where(
                UserBlock.blocker_id == viewer.id, UserBlock.blocked_id == user.id))
        return {
            "id": user.id, "username": user.username, "display_name": user.display_name,
            "created_at": isoformat_z(user.created_at),
            "status": status["status"], "status_message": status["status_message"],
            "emoji": status["emoji"], "blocked": blocked is not None,
        }
