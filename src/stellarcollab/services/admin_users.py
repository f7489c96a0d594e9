"""Admin account management: search users, grant or revoke admin rights, deactivate and
reactivate accounts.

Deactivating refuses every token the user holds (a cut-off: tokens issued before that
moment are refused for good, even after reactivation) and closes the user's sockets on
every process at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.db.engine import Database
from stellarcollab.db.models import User
from stellarcollab.db.moderation import TokenCutoff
from stellarcollab.db.types import isoformat_z
from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.services import audit
from stellarcollab.services.access import AccessControl
from stellarcollab.services.errors import BadRequest
from stellarcollab.services.moderation import load_user

OWN_ACCOUNT = "Admins cannot remove their own admin rights or deactivate themselves"


def admin_user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "email": user.email, "is_admin": bool(user.is_admin),
            "is_active": bool(user.is_active), "created_at": isoformat_z(user.created_at)}


def _like_pattern(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class AdminUserService:
    def __init__(self, db: Database, access: AccessControl,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.access = access
        self.clock = clock

    async def search(self, admin: User, q: str | None, limit: int, offset: int) -> dict[str, Any]:
        audit.require_admin(admin)
        query = select(User)
        if q:
            pattern = _like_pattern(q)
            query = query.where(or_(User.username_key.like(pattern, escape="\\"),
                                    func.lower(User.display_name).like(pattern, escape="\\"),
                                    User.email.like(pattern, escape="\\")))
        async with self.db.read() as session:
            total = await session.scalar(
                select(func.count()).select_from(query.subquery())) or 0
            rows = await session.scalars(
                query.order_by(User.username_key).limit(limit).offset(offset))
            items = [admin_user_view(u) for u in rows]
        return {"items": items, "total": total, "limit": limit, "offset": offset}

    async def change(self, admin: User, user_id: int, is_admin: bool | None,
                     is_active: bool | None, reason: str) -> dict[str, Any]:
        audit.require_admin(admin)
        async with self.db.transaction() as session:
            user = await load_user(session, user_id)
            if user.id == admin.id and (is_admin is False or is_active is False):
                raise BadRequest(OWN_ACCOUNT)
            admin_changed = is_admin is not None and is_admin != user.is_admin
            if is_admin is not None and admin_changed:
                user.is_admin = is_admin
                audit.record(session, admin, "grant_admin" if is_admin else "revoke_admin",
                             "user", user.id, reason=reason)
            deactivated = is_active is False and bool(user.is_active)
            if is_active is not None and is_active != user.is_active:
                user.is_active = is_active
                audit.record(session, admin, "reactivate_user" if is_active else
                             "deactivate_user", "user", user.id, reason=reason)
            if deactivated:
                await self._cut_off_tokens(session, user.id)
            view = admin_user_view(user)
        # Sockets close after the commit, so a reconnect is checked against the new state:
        # a deactivated user's for good, a changed admin's to rejoin with (or without) the
        # admins' events (4001: the client refreshes its token and reconnects).
        await self.access.access_changed(
            user.id, None,
            close_code=int(CloseCode.UNAUTHORIZED) if deactivated or admin_changed else None,
            reason="account deactivated" if deactivated else "admin rights changed")
        return view

    async def _cut_off_tokens(self, session: AsyncSession, user_id: int) -> None:
        """Every token issued until now is refused from now on."""
        cutoff = await session.get(TokenCutoff, user_id)
        not_before = self.clock()
        if cutoff is None:
            session.add(TokenCutoff(user_id=user_id, not_before=not_before))
        else:
            cutoff.not_before = max(cutoff.not_before, not_before)
