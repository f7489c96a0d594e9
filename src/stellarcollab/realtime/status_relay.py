"""Announces a user's stored status change on every canvas the user is on, whichever
process their sockets are on.

The canvases are this process's own (exact) plus those whose presence records say the
user is online, each confirmed against the broker's live presence. Presence records are
written behind (every ``PRESENCE_FLUSH_INTERVAL``), so a canvas joined on another process
within that interval learns the status from its ``canvas_state`` instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import PresenceRecord, User
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.services.views import now_iso
from stellarcollab.wire.social import custom_status_changed


class StatusRelay:
    def __init__(self, manager: ConnectionManager, db: Database) -> None:
        self.manager = manager
        self.db = db

    async def __call__(self, user: User, status: dict[str, Any],
                       connection_id: str | None) -> None:
        event = custom_status_changed(
            user_id=user.id, username=user.username, display_name=user.display_name,
            status=status["status"], status_message=status["status_message"],
            emoji=status["emoji"], timestamp=now_iso())
        for canvas_id in sorted(await self.canvases_of(user.id)):
            await self.manager.broadcast_to_canvas(canvas_id, dict(event),
                                                   exclude_connection=connection_id)

    async def canvases_of(self, user_id: int) -> set[int]:
        local = {cid for cid, users in self.manager.canvas_users.items() if user_id in users}
        async with self.db.read() as session:
            recorded = set(await session.scalars(select(PresenceRecord.canvas_id).where(
                PresenceRecord.user_id == user_id, PresenceRecord.is_online.is_(True))))
        elsewhere = set()
        for canvas_id in recorded - local:
            if any(p.user_id == user_id for p in await self.manager.presence.presence(canvas_id)):
                elsewhere.add(canvas_id)
        return local | elsewhere
