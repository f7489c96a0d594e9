"""Canvas chat: validated, persisted, then broadcast; paged history newest page first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from stellarcollab.db.engine import Database
from stellarcollab.db.models import ChatMessage, User
from stellarcollab.db.types import utcnow
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.chat_gate import ChatGate
from stellarcollab.services.chat_outbox import ChatOutbox
from stellarcollab.services.chat_writer import ChatRecord, ChatWriter
from stellarcollab.services.errors import Invalid, NotFound
from stellarcollab.services.events import EventSink, PublishFailed
from stellarcollab.services.mentions import MentionService
from stellarcollab.services.views import chat_event, message_view
from stellarcollab.wire import rules


def clean_chat_text(text: str, max_length: int) -> str:
    try:
        return rules.chat_text(text, max_length)
    except rules.RuleViolation as violation:
        raise Invalid(f"Message text {violation.problem}") from None


@dataclass(frozen=True, slots=True)
class ChatSent:
    """A stored chat message: its REST view, its ``canvas_chat_message``, whether it was
    broadcast now (else it waits in the outbox for the broker) and whether this send was
    a retry that found the message already stored."""

    view: dict[str, Any]
    event: dict[str, Any]
    broadcast: bool
    replayed: bool = False


class ChatService:
    def __init__(self, db: Database, events: EventSink, max_length: int,
                 mentions: MentionService | None = None) -> None:
        self.db = db
        self.events = events
        self.max_length = max_length
        self.mentions = mentions
        self.writer = ChatWriter(db)
        self.gate = ChatGate(db)
        self.outbox = ChatOutbox(events)

    async def send(
        self, user: User, canvas_id: int, text: str, *, client_id: str | None = None,
        access_checked: bool = False, exclude_connection: str | None = None,
    ) -> ChatSent:
        """Persist first: the broadcast carries the stored id, which is the sender's ack.

        ``client_id``: the sender's own id for the message; a retry with it gets the
        stored message back, stored once. ``access_checked`` is for callers that already
        hold the right to the canvas (a socket admitted to it; a deleted canvas closes its
        sockets). ``exclude_connection``: the socket that gets its ack directly, left out
        when a broadcast delayed by a broker outage goes out later."""
        cleaned = clean_chat_text(text, self.max_length)
        if not access_checked:
            async with self.db.read() as session:
                await load_canvas(session, canvas_id, user)
        await self.gate.ensure_may_chat(canvas_id, user.id)
        if client_id is not None and (stored := await self._stored(user, client_id)):
            return _replayed(stored, user)
        message = ChatRecord(str(uuid.uuid4()), canvas_id, user.id, cleaned, utcnow(),
                             client_id)
        try:
            await self.writer.store(message)
        except IntegrityError:
            # The same client id, sent twice at once: the other one was stored.
            if client_id is None or not (stored := await self._stored(user, client_id)):
                raise
            return _replayed(stored, user)
        sent = await self._broadcast(message, user, exclude_connection)
        if self.mentions is not None:
            await self.mentions.notify(user, canvas_id, message.id, cleaned)
        return sent

    async def _broadcast(self, message: ChatRecord, user: User,
                         exclude_connection: str | None) -> ChatSent:
        event = chat_event(message, user)
        view = message_view(message, user)
        if len(self.outbox):
            await self.outbox.flush()  # older held messages go first
        if not len(self.outbox):
            try:
                await self.events.publish(message.canvas_id, event)
                return ChatSent(view, event, broadcast=True)
            except PublishFailed:
                pass
        self.outbox.hold(message.canvas_id, event, exclude_connection)
        return ChatSent(view, event, broadcast=False)

    async def _stored(self, user: User, client_id: str) -> ChatMessage | None:
        async with self.db.read() as session:
            stored: ChatMessage | None = await session.scalar(select(ChatMessage).where(
                ChatMessage.sender_id == user.id, ChatMessage.client_id == client_id))
        return stored

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


def _replayed(message: ChatMessage, user: User) -> ChatSent:
    return ChatSent(message_view(message, user), chat_event(message, user), broadcast=True,
                    replayed=True)
