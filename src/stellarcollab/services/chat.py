"""Canvas chat: validated, persisted, then broadcast; paged history newest page first."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import ChatMessage, User
from stellarcollab.db.types import utcnow
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.chat_writer import ChatWriter
from stellarcollab.services.errors import Invalid, NotFound
from stellarcollab.services.events import EventSink
from stellarcollab.services.views import chat_event, message_view
from stellarcollab.wire import rules


def clean_chat_text(text: str, max_length: int) -> str:
    try:
        return rules.chat_text(text, max_length)
    except rules.RuleViolation as violation:
        raise Invalid(f"Message text {violation.problem}") from None


class ChatService:
    def __init__(self, db: Database, events: EventSink, max_length: int) -> None:
        self.db = db
        self.events = events
        self.max_length = max_length
        self.writer = ChatWriter(db)

    async def send(
        self, user: User, canvas_id: int, text: str, *, access_checked: bool = False
    ) -> dict[str, Any]:
        """Persist first: the broadcast carries the stored id, which is the sender's ack.

        ``access_checked`` is for callers that already hold the right to the canvas (a
        socket admitted to it; a deleted canvas closes its sockets)."""
        cleaned = clean_chat_text(text, self.max_length)
        if not access_checked:
            async with self.db.read() as session:
                await load_canvas(session, canvas_id, user)
        message = ChatMessage(
            id=str(uuid.uuid4()), canvas_id=canvas_id, sender_id=user.id, text=cleaned,
            created_at=utcnow(),
        )
        await self.writer.store(message)
        await self.events.publish(canvas_id, chat_event(message, user))
        return message_view(message, user)

    async def history(
        self, user: User, canvas_id: int, limit: int, before: str | None
    ) -> dict[str, Any]:
        async with self.db.read() as session:
            await load_canvas(session, canvas_id, user)
            query = select(ChatMessage, User).join(User, User.id == ChatMessage.sender_id).where(
                ChatMessage.canvas_id == canvas_id
            )
            if before is not None:
                anchor = await session.scalar(
                    select(ChatMessage.pk).where(
                        ChatMessage.id == before, ChatMessage.canvas_id == canvas_id
                    )
                )
                if anchor is None:
                    raise NotFound("Message not found")
                query = query.where(ChatMessage.pk < anchor)
            newest_first = query.order_by(ChatMessage.pk.desc()).limit(limit + 1)
            rows = (await session.execute(newest_first)).all()
        page = rows[:limit]
        return {
            "items": [message_view(m, u) for m, u in reversed(page)],
            "has_more": len(rows) > limit,
        }
