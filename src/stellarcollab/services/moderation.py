"""Canvas moderation: roles, moderator appointments, mute/unmute/kick/ban/unban.

Each action is checked by the pure rules in ``moderation_rules``, stored with its audit
entry in one transaction, then announced on the canvas (``moderation_action``) and made
effective on every process (caches dropped, sockets closed with 4010 or 4003).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, User
from stellarcollab.db.moderation import CanvasModerator, CanvasSanction
from stellarcollab.db.types import fits_int_column, isoformat_z, utcnow
from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.services import audit
from stellarcollab.services.access import AccessControl
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.errors import Conflict, Forbidden, NotFound
from stellarcollab.services.events import EventSink
from stellarcollab.services.moderation_rules import (
    CanvasRole,
    ModerationRefused,
    canvas_role,
    check_may_act_on,
    check_may_appoint,
    check_may_moderate,
)
from stellarcollab.services.sanctions import BAN, MUTE, current_sanctions
from stellarcollab.services.views import now_iso, user_brief
from stellarcollab.wire.moderation import moderation_action

USER_NOT_FOUND = "User not found"


def refused(exc: ModerationRefused) -> Forbidden:
    return Forbidden(str(exc))


async def moderator_ids(session: AsyncSession, canvas_id: int) -> set[int]:
    rows = await session.scalars(
        select(CanvasModerator.user_id).where(CanvasModerator.canvas_id == canvas_id))
    return set(rows)


async def role_on(session: AsyncSession, canvas: Canvas, user: User) -> CanvasRole:
    return canvas_role(user.id, bool(user.is_admin), canvas.owner_id,
                       await moderator_ids(session, canvas.id))


async def load_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id) if fits_int_column(user_id) else None
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    return user


def sanction_view(sanction: CanvasSanction, username: str) -> dict[str, Any]:
    return {"user_id": sanction.user_id, "username": username, "kind": sanction.kind,
            "until": isoformat_z(sanction.until) if sanction.until else None,
            "by_user_id": sanction.by_user_id, "reason": sanction.reason,
            "created_at": isoformat_z(sanction.created_at)}


class ModerationService:
    def __init__(self, db: Database, events: EventSink, access: AccessControl) -> None:
        self.db = db
        self.events = events
        self.access = access

    async def apply(self, actor: User, canvas_id: int, action: str, target_id: int,
                    duration_s: int | None, reason: str) -> dict[str, Any]:
        """One of mute/unmute/kick/ban/unban; the ``moderation_action`` event it caused."""
        async with self.db.transaction() as session:
            canvas = await load_canvas(session, canvas_id, actor)
            target = await load_user(session, target_id)
            mods = await moderator_ids(session, canvas_id)
            try:
                check_may_act_on(
                    canvas_role(actor.id, bool(actor.is_admin), canvas.owner_id, mods), actor.id,
                    canvas_role(target.id, bool(target.is_admin), canvas.owner_id, mods),
                    target.id)
            except ModerationRefused as exc:
                raise refused(exc) from None
            until = await self._store(session, actor, canvas_id, action, target.id,
                                      duration_s, reason)
            audit.record(session, actor, action, "user", target.id, reason=reason,
                         canvas_id=canvas_id,
                         details={"duration_s": duration_s} if duration_s else None)
        event = moderation_action(
            action=action, canvas_id=canvas_id, user_id=target.id, username=target.username,
            by_user_id=actor.id, by_username=actor.username,
            until=isoformat_z(until) if until else None, reason=reason, timestamp=now_iso())
        await self.events.publish(canvas_id, event)
        await self._enforce(action, target.id, canvas_id, reason)
        return event

    async def _store(self, session: AsyncSession, actor: User, canvas_id: int, action: str,
                     user_id: int, duration_s: int | None, reason: str) -> datetime | None:
        kind = {"mute": MUTE, "unmute": MUTE, "ban": BAN, "unban": BAN}.get(action)
        if kind is None:
            return None  # a kick stores nothing: the user may come back at once
        if action.startswith("un"):
            removed = await session.scalar(delete(CanvasSanction).where(
                CanvasSanction.canvas_id == canvas_id, CanvasSanction.user_id == user_id,
                CanvasSanction.kind == kind).returning(CanvasSanction.user_id))
            if removed is None:
                raise Conflict(f"User is not {'muted' if kind == MUTE else 'banned'} here")
            return None
        until = utcnow() + timedelta(seconds=duration_s) if duration_s else None
        sanction = await session.get(CanvasSanction, (canvas_id, user_id, kind))
        if sanction is None:
            sanction = CanvasSanction(canvas_id=canvas_id, user_id=user_id, kind=kind)
            session.add(sanction)
        sanction.until, sanction.by_user_id, sanction.reason = until, actor.id, reason
        sanction.created_at = utcnow()
        return until

    async def _enforce(self, action: str, user_id: int, canvas_id: int, reason: str) -> None:
        code = {"kick": CloseCode.KICKED, "ban": CloseCode.FORBIDDEN}.get(action)
        text = {"kick": "kicked", "ban": "banned"}.get(action, action)
        close_reason = f"{text}: {reason}" if reason else text
        await self.access.access_changed(
            user_id, canvas_id, close_code=int(code) if code else None,
            reason=close_reason)

    async def appoint(self, actor: User, canvas_id: int, user_id: int,
                      appoint: bool) -> dict[str, Any]:
        async with self.db.transaction() as session:
            canvas = await load_canvas(session, canvas_id, actor, for_update=True)
            try:
                check_may_appoint(await role_on(session, canvas, actor))
            except ModerationRefused as exc:
                raise refused(exc) from None
            target = await load_user(session, user_id)
            if target.id == canvas.owner_id:
                raise Conflict("The owner already moderates this canvas")
            existing = await session.get(CanvasModerator, (canvas_id, target.id))
            if appoint and existing is None:
                session.add(CanvasModerator(canvas_id=canvas_id, user_id=target.id,
                                            appointed_by=actor.id))
            elif not appoint and existing is not None:
                await session.delete(existing)
            elif not appoint:
                raise NotFound("User is not a moderator of this canvas")
            audit.record(session, actor, "appoint_moderator" if appoint else "remove_moderator",
                         "user", target.id, canvas_id=canvas_id)
        return {"canvas_id": canvas_id, **user_brief(target), "is_moderator": appoint}

    async def overview(self, user: User, canvas_id: int) -> dict[str, Any]:
        """The caller's role and own sanctions; for moderators also the canvas's
        moderators and every sanction in force."""
        async with self.db.read() as session:
            canvas = await load_canvas(session, canvas_id, user)
            role = await role_on(session, canvas, user)
            mine = await current_sanctions(session, canvas_id, user.id)
            view: dict[str, Any] = {
                "canvas_id": canvas_id, "role": role.label,
                "muted": sanction_view(mine[MUTE], user.username) if MUTE in mine else None,
                "banned": sanction_view(mine[BAN], user.username) if BAN in mine else None,
                "moderators": [], "sanctions": [],
            }
            try:
                check_may_moderate(role)
            except ModerationRefused:
                return view
            view["moderators"] = await self._moderators(session, canvas_id)
            view["sanctions"] = await self._sanctions(session, canvas_id)
        return view

    async def _moderators(self, session: AsyncSession, canvas_id: int) -> list[dict[str, Any]]:
        rows = await session.scalars(
            select(User).join(CanvasModerator, CanvasModerator.user_id == User.id)
            .where(CanvasModerator.canvas_id == canvas_id).order_by(User.username_key))
        return [user_brief(u) for u in rows]

    async def _sanctions(self, session: AsyncSession, canvas_id: int) -> list[dict[str, Any]]:
        now = utcnow()
        rows = await session.execute(
            select(CanvasSanction, User.username)
            .join(User, User.id == CanvasSanction.user_id)
            .where(CanvasSanction.canvas_id == canvas_id)
            .order_by(CanvasSanction.created_at.desc()))
        return [sanction_view(s, name) for s, name in rows.all()
                if s.until is None or s.until > now]
