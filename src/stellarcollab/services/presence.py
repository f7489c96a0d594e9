"""Presence records: the live presence kept in memory, written behind to the database.

Changes are collected per (canvas, user) and flushed in one transaction every few
seconds, so typing and editing never wait for a disk write.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import PresenceRecord
from stellarcollab.db.types import utcnow

log = logging.getLogger(__name__)


@dataclass(slots=True)
class PendingPresence:
    is_online: bool | None = None
    status: str | None = None
    status_message: str | None = None
    status_changed: bool = False
    is_typing: bool | None = None
    editing: tuple[int, int] | None = None
    editing_changed: bool = False


class PresenceRecorder:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: dict[tuple[int, int], PendingPresence] = {}

    def note(self, canvas_id: int, event: dict[str, Any]) -> None:
        """A presence listener: remember what changed; never touches the database."""
        user_id = event.get("user_id")
        if not isinstance(user_id, int):
            return
        entry = self.pending.setdefault((canvas_id, user_id), PendingPresence())
        kind = event.get("type")
        if kind == "connection_opened":
            entry.is_online = True
        elif kind == "connection_closed" and event.get("last"):
            entry.is_online, entry.is_typing = False, False
            entry.editing, entry.editing_changed = None, True
        elif kind == "user_typing":
            entry.is_typing = bool(event.get("is_typing"))
        elif kind == "user_presence_update":
            if event.get("status"):
                entry.status, entry.status_message = event["status"], event.get("status_message")
                entry.status_changed = True
            if event.get("tile_x") is not None and "is_editing" in event:
                entry.editing_changed = True
                entry.editing = (event["tile_x"], event["tile_y"]) if event["is_editing"] else None

    async def flush(self) -> int:
        if not self.pending:
            return 0
        batch, self.pending = self.pending, {}
        now = utcnow()
        async with self.db.transaction() as session:
            for (canvas_id, user_id), change in batch.items():
                record = await session.scalar(select(PresenceRecord).where(
                    PresenceRecord.canvas_id == canvas_id, PresenceRecord.user_id == user_id))
                if record is None:
                    record = PresenceRecord(canvas_id=canvas_id, user_id=user_id)
                    session.add(record)
                if change.is_online is not None:
                    record.is_online = change.is_online
                if change.status_changed:
                    record.status = change.status or "online"
                    record.status_message = change.status_message
                if change.is_typing is not None:
                    record.is_typing = change.is_typing
                if change.editing_changed:
                    record.editing_x, record.editing_y = change.editing or (None, None)
                record.last_seen_at = now
        return len(batch)
