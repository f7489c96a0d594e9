"""Mentions: ``@username`` in a canvas chat message notifies that user, when they may see
the canvas and are not the sender."""

from __future__ import annotations

import re

from sqlalchemy import select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, User
from stellarcollab.services.canvases import is_member
from stellarcollab.services.events import EventSink
from stellarcollab.services.notifications import record_notification
from stellarcollab.services.outbox import Outbox
from stellarcollab.services.user_channel import UserChannel

# A mention starts a word (not an e-mail address) and reads a username's characters.
MENTION = re.compile(r"(?<![\w.@-])@([A-Za-z0-9_.-]{3,32})")
MAX_MENTIONS_PER_MESSAGE = 10


def mentioned_keys(text: str) -> list[str]:
    """Distinct lower-cased usernames mentioned, in order; a trailing dot or dash (end of
    a sentence) is not part of the name."""
    keys: list[str] = []
    for match in MENTION.finditer(text):
        key = match.group(1).rstrip(".-").lower()
        if len(key) >= 3 and key not in keys:
            keys.append(key)
    return keys[:MAX_MENTIONS_PER_MESSAGE]


class MentionService:
    def __init__(self, db: Database, events: EventSink, users: UserChannel) -> None:
        self.db = db
        self.events = events
        self.users = users

    async def notify(self, sender: User, canvas_id: int, message_id: str, text: str) -> int:
        """Notify everyone mentioned in a stored chat message; returns how many."""
        keys = mentioned_keys(text)
        if not keys:
            return 0
        outbox = Outbox()
        async with self.db.transaction() as session:
            canvas = await session.get(Canvas, canvas_id)
            if canvas is None:
                return 0
            named = await session.scalars(select(User).where(
                User.username_key.in_(keys), User.is_active.is_(True), User.id != sender.id))
            for user in list(named):
                if await is_member(session, canvas, user):
                    await record_notification(
                        session, outbox, recipient_id=user.id, kind="mention", actor=sender,
                        group_key=f"chat:{message_id}", canvas_id=canvas_id,
                        message_id=message_id)
        notified = len(outbox.user_events)
        await outbox.send(self.events, self.users)
        return notified
