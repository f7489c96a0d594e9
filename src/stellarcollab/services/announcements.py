"""Announcements: admins publish a text, for everyone or one canvas, with a validity
window. Each is broadcast live once when its window opens (whichever process claims it
first does it), listed while active, and given to sockets that connect meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, User
from stellarcollab.db.social import Announcement
from stellarcollab.db.types import fits_int_column, utcnow
from stellarcollab.services.activity import visible_canvases
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.errors import Forbidden, Invalid, NotFound
from stellarcollab.services.social_views import announcement_view
from stellarcollab.services.text_rules import checked
from stellarcollab.wire import rules
from stellarcollab.wire import social as wire

ADMIN_ONLY = "Admin rights required"
ACTIVE_CACHE = timedelta(seconds=1)
#: publishes one announcement event: to every socket (canvas_id None) or to one canvas
AnnouncementPublisher = Callable[[int | None, dict[str, Any]], Awaitable[None]]


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden(ADMIN_ONLY)


def announcement_event(announcement: Announcement) -> dict[str, Any]:
    return wire.announcement(**announcement_view(announcement))


class AnnouncementService:
    def __init__(self, db: Database, publish: AnnouncementPublisher) -> None:
        self.db = db
        self.publish = publish
        self._cache: tuple[datetime, list[Announcement]] | None = None
        #: bumped by this process's changes: a read begun before one is not cached
        self._generation = 0
        #: the read under way, shared by every socket that finds the cache stale meanwhile
        self._refresh: tuple[int, asyncio.Task[list[Announcement]]] | None = None

    async def create(self, admin: User, text: str, canvas_id: int | None,
                     starts_at: datetime | None, ends_at: datetime) -> dict[str, Any]:
        require_admin(admin)
        cleaned = checked(rules.announcement_text, text, "Announcement text")
        now = utcnow()
        starts = starts_at or now
        if ends_at <= starts or ends_at <= now:
            raise Invalid("ends_at must be later than starts_at and than now")
        async with self.db.transaction() as session:
            if canvas_id is not None:
                await load_canvas(session, canvas_id, admin)
            announcement = Announcement(text=cleaned, canvas_id=canvas_id,
                                        created_by=admin.id, starts_at=starts, ends_at=ends_at)
            session.add(announcement)
        self._forget()
        await self.broadcast_due()
        return announcement_view(announcement)

    async def delete(self, admin: User, announcement_id: int) -> None:
        require_admin(admin)
        async with self.db.transaction() as session:
            removed = await session.scalar(
                delete(Announcement).where(Announcement.id == announcement_id)
                .returning(Announcement.id)) if fits_int_column(announcement_id) else None
        if removed is None:
            raise NotFound("Announcement not found")
        self._forget()

    def _forget(self) -> None:
        self._cache, self._refresh = None, None
        self._generation += 1

    async def active(self, viewer: User, canvas_id: int | None) -> list[dict[str, Any]]:
        """Active announcements the viewer may see: the global ones, and those of one
        canvas (``canvas_id``) or of every canvas the viewer may see."""
        now = utcnow()
        async with self.db.read() as session:
            if canvas_id is not None:
                await load_canvas(session, canvas_id, viewer)
                scope = Announcement.canvas_id == canvas_id
            else:
                scope = Announcement.canvas_id.in_(select(Canvas.id).where(
                    visible_canvases(viewer)))
            rows = await session.scalars(
                select(Announcement)
                .where(Announcement.starts_at <= now, Announcement.ends_at > now,
                       or_(Announcement.canvas_id.is_(None), scope))
                .order_by(Announcement.id))
            return [announcement_view(a) for a in rows]

    async def active_events(self, canvas_id: int | None) -> list[dict[str, Any]]:
        """What a socket that connects now receives: the active global announcements and,
        for a canvas socket, the canvas's (access was checked when it was admitted).

        Read through a per-process cache of ``ACTIVE_CACHE`` seconds, so an arrival storm
        costs one query, not one per socket: the sockets that find it stale together wait
        for the same read. This process's own changes clear it."""
        now = utcnow()
        cache = self._cache
        rows = cache[1] if cache is not None and now < cache[0] else await self._reread(now)
        return [announcement_event(a) for a in rows
                if a.canvas_id in (None, canvas_id) and a.starts_at <= now < a.ends_at]

    async def _reread(self, now: datetime) -> list[Announcement]:
        """The active announcements read once for everyone waiting: in a task of its own,
        so a socket that goes away meanwhile does not cancel it for the others."""
        refresh = self._refresh
        if refresh is None:
            task = asyncio.get_running_loop().create_task(self._read(now, self._generation))
            refresh = self._refresh = (self._generation, task)
        return await asyncio.shield(refresh[1])

    async def _read(self, now: datetime, generation: int) -> list[Announcement]:
        try:
            rows = await self._query(now)
        finally:
            if self._refresh is not None and self._refresh[0] == generation:
                self._refresh = None
        if generation == self._generation:  # else a change came meanwhile: not cached
            self._cache = (now + ACTIVE_CACHE, rows)
        return rows

    async def _query(self, now: datetime) -> list[Announcement]:
        async with self.db.read() as session:
            return list(await session.scalars(
                select(Announcement)
                .where(Announcement.starts_at <= now, Announcement.ends_at > now)
                .order_by(Announcement.id)))

    async def broadcast_due(self) -> int:
        """Broadcast every announcement whose window has opened and that nobody has
        broadcast yet. The guarded UPDATE claims each one for exactly one process."""
        now = utcnow()
        async with self.db.transaction() as session:
            claimed = list(await session.scalars(
                update(Announcement)
                .where(Announcement.broadcast_at.is_(None), Announcement.starts_at <= now,
                       Announcement.ends_at > now)
                .values(broadcast_at=now)
                .returning(Announcement)
                .execution_options(synchronize_session=False)))
        for announcement in sorted(claimed, key=lambda a: a.id):
            await self.publish(announcement.canvas_id, announcement_event(announcement))
        return len(claimed)
