"""Admin broadcast: an ``admin_message`` to every socket (the ``global`` topic) or to one
canvas. Admins only, checked here, so no route or socket message can skip it; audited."""

from __future__ import annotations

from typing import Any

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, User
from stellarcollab.db.types import fits_int_column
from stellarcollab.realtime.topics import GLOBAL
from stellarcollab.services import audit
from stellarcollab.services.canvases import CANVAS_NOT_FOUND
from stellarcollab.services.errors import Invalid, NotFound
from stellarcollab.services.events import EventSink
from stellarcollab.services.views import now_iso, user_brief
from stellarcollab.wire.moderation import (
    LEVELS,
    admin_message,
    broadcast_text,
    canvas_admin_message,
    one_of,
)
from stellarcollab.wire.rules import RuleViolation


def clean_broadcast(text: str, level: str) -> str:
    try:
        cleaned = broadcast_text(text)
    except RuleViolation as violation:
        raise Invalid(f"Broadcast text {violation.problem}") from None
    try:
        one_of(level, LEVELS)
    except RuleViolation as violation:
        raise Invalid(f"level {violation.problem}") from None
    return cleaned


class BroadcastService:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events

    async def send(self, admin: User, text: str, level: str,
                   canvas_id: int | None) -> dict[str, Any]:
        audit.require_admin(admin)
        cleaned = clean_broadcast(text, level)
        async with self.db.transaction() as session:
            if canvas_id is not None:
                canvas = await session.get(Canvas, canvas_id) if fits_int_column(canvas_id) \
                    else None
                if canvas is None or not canvas.is_active:
                    raise NotFound(CANVAS_NOT_FOUND)
            audit.record(session, admin, "broadcast", "canvas" if canvas_id else "global",
                         canvas_id or "*", reason=cleaned, canvas_id=canvas_id,
                         details={"level": level})
        sender, now = user_brief(admin), now_iso()
        if canvas_id is not None:
            message = canvas_admin_message(text=cleaned, level=level, canvas_id=canvas_id,
                                           sender=sender, timestamp=now)
            await self.events.publish(canvas_id, message)
        else:
            message = admin_message(text=cleaned, level=level, sender=sender, timestamp=now)
            await self.events.publish_to_topic(GLOBAL, message)
        return message
