"""Mutes and bans as they bear on writes: the checks chat, tiles, locks and admission make.

A sanction row with ``until`` in the past is over (it is left in place and ignored); the
moderation service replaces or deletes rows, this module only reads them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.db.moderation import CanvasSanction
from stellarcollab.db.types import isoformat_z, utcnow
from stellarcollab.services.errors import Forbidden

MUTE = "mute"
BAN = "ban"
BANNED = "You are banned from this canvas"


class Muted(Forbidden):
    ws_code = "muted"


class Banned(Forbidden):
    ws_code = "banned"


def is_current(sanction: CanvasSanction, now: datetime) -> bool:
    return still_in_force(sanction.until, now)


def muted_error(until: datetime | None) -> Muted:
    if until is None:
        return Muted("You are muted on this canvas until a moderator unmutes you", until=None)
    when = isoformat_z(until)
    return Muted(f"You are muted on this canvas until {when}", until=when)


async def current_sanctions(session: AsyncSession, canvas_id: int,
                            user_id: int) -> dict[str, CanvasSanction]:
    """The user's mute and ban on the canvas that are in force now, by kind."""
    now = utcnow()
    rows = await session.scalars(select(CanvasSanction).where(
        CanvasSanction.canvas_id == canvas_id, CanvasSanction.user_id == user_id))
    return {row.kind: row for row in rows if is_current(row, now)}


async def ensure_may_write(session: AsyncSession, canvas_id: int, user_id: int) -> None:
    if BAN in await current_sanctions(session, canvas_id, user_id):
        raise Banned(BANNED)


async def ensure_may_chat(session: AsyncSession, canvas_id: int, user_id: int) -> None:
    sanctions = await current_sanctions(session, canvas_id, user_id)
    if BAN in sanctions:
        raise Banned(BANNED)
    if MUTE in sanctions:
        raise muted_error(sanctions[MUTE].until)


def still_in_force(until: datetime | None, now: datetime) -> bool:
    return until is None or until > now
