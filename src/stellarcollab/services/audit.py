"""The audit log: every moderation and admin action, written in the action's own
transaction (so an action without its entry cannot commit), read back by admins."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from stellarcollab.db.engine import Database
from stellarcollab.db.models import User
from stellarcollab.db.moderation import AuditEntry
from stellarcollab.db.types import isoformat_z
from stellarcollab.services.errors import Forbidden

ADMIN_ONLY = "Admin rights required"


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden(ADMIN_ONLY)


def record(session: AsyncSession, actor: User, action: str, target_type: str,
           target_id: int | str, *, reason: str = "", canvas_id: int | None = None,
           details: dict[str, Any] | None = None) -> AuditEntry:
    entry = AuditEntry(actor_id=actor.id, action=action, target_type=target_type,
                       target_id=str(target_id), canvas_id=canvas_id, reason=reason,
                       details=orjson.dumps(details or {}).decode())
    session.add(entry)
    return entry


def entry_view(entry: AuditEntry, actor_username: str) -> dict[str, Any]:
    return {
        "id": entry.id,
        "actor_id": entry.actor_id,
        "actor_username": actor_username,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "canvas_id": entry.canvas_id,
        "reason": entry.reason,
        "details": orjson.loads(entry.details),
        "created_at": isoformat_z(entry.created_at),
    }


class AuditService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def page(self, user: User, *, limit: int, before: int | None = None,
                   actor_id: int | None = None, target_type: str | None = None,
                   target_id: str | None = None, action: str | None = None) -> dict[str, Any]:
        """Newest first; ``before`` is the id of the oldest entry already seen."""
        require_admin(user)
        actor = aliased(User)
        query = select(AuditEntry, actor.username).join(actor, actor.id == AuditEntry.actor_id)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        if actor_id is not None:
            query = query.where(AuditEntry.actor_id == actor_id)
        if target_type is not None:
            query = query.where(AuditEntry.target_type == target_type)
        if target_id is not None:
            query = query.where(AuditEntry.target_id == target_id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        async with self.db.read() as session:
            rows = (await session.execute(
                query.order_by(AuditEntry.id.desc()).limit(limit + 1))).all()
        return {"items": [entry_view(entry, name) for entry, name in rows[:limit]],
                "has_more": len(rows) > limit}
