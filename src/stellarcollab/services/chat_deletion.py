"""Deleting a chat message: by its author, or by the canvas's owner, moderators or an
admin (audited). The message leaves the history and ``chat_message_deleted`` tells the
canvas, so every client removes it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import ChatMessage, User
from stellarcollab.services import audit
from stellarcollab.services.canvases import CanvasAccessDenied, load_canvas
from stellarcollab.services.errors import NotFound
from stellarcollab.services.events import EventSink
from stellarcollab.services.moderation import refused, role_on
from stellarcollab.services.moderation_rules import ModerationRefused, check_may_delete_message
from stellarcollab.services.views import now_iso
from stellarcollab.wire.moderation import chat_message_deleted

MESSAGE_NOT_FOUND = "Message not found"


class ChatDeletionService:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events

    async def delete(self, user: User, message_id: str, reason: str = "") -> dict[str, Any]:
        async with self.db.transaction() as session:
            message = await session.scalar(select(ChatMessage).where(ChatMessage.id == message_id))
            if message is None:
                raise NotFound(MESSAGE_NOT_FOUND)
            try:
                canvas = await load_canvas(session, message.canvas_id, user)
            except CanvasAccessDenied:
                raise NotFound(MESSAGE_NOT_FOUND) from None
            try:
                check_may_delete_message(await role_on(session, canvas, user), user.id,
                                         message.sender_id)
            except ModerationRefused as exc:
                raise refused(exc) from None
            removed = await session.scalar(
                delete(ChatMessage).where(ChatMessage.pk == message.pk)
                .returning(ChatMessage.pk).execution_options(synchronize_session=False))
            if removed is None:
                raise NotFound(MESSAGE_NOT_FOUND)
            if user.id != message.sender_id:
                audit.record(session, user, "delete_message", "message", message.id,
                             reason=reason, canvas_id=canvas.id,
                             details={"author_id": message.sender_id, "text": message.text})
        event = chat_message_deleted(message_id=message.id, canvas_id=canvas.id,
                                     by_user_id=user.id, timestamp=now_iso())
        await self.events.publish(canvas.id, event)
        return event
