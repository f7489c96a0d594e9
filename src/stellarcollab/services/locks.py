"""Tile editing leases: take, renew, release, expire; and the check writes make.

A lease is a row per cell with an expiry. Expired rows count as free; the sweeper deletes
them and announces the expiry. Every change of holder is published as presence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.clock import Clock, SystemClock
from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, TileLock, User
from stellarcollab.db.types import isoformat_z, utcnow
from stellarcollab.realtime.leases import lease_change
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.errors import NotFound, OutOfBounds, TileLocked
from stellarcollab.services.events import EventSink
from stellarcollab.services.sanctions import ensure_may_write
from stellarcollab.services.views import now_iso, user_brief
from stellarcollab.wire import rules
from stellarcollab.wire.presence import lease_changed

TILE_BEING_EDITED = "Tile is being edited by another user"


@dataclass(frozen=True, slots=True)
class Lease:
    canvas_id: int
    x: int
    y: int
    user_id: int
    username: str
    display_name: str
    expires_at: datetime

    def view(self) -> dict[str, Any]:
        return {
            "canvas_id": self.canvas_id,
            "x": self.x,
            "y": self.y,
            "user_id": self.user_id,
            "username": self.username,
            "display_name": self.display_name,
            "expires_at": isoformat_z(self.expires_at),
        }


def check_cell(canvas: Canvas, x: int, y: int) -> None:
    try:
        rules.cell_in_bounds(x, y, canvas.width, canvas.height)
    except rules.RuleViolation as violation:
        raise OutOfBounds(f"Tile position {violation.problem}") from None


async def lock_cell(session: AsyncSession, canvas_id: int, x: int, y: int) -> None:
    """Hold the cell, until the transaction ends, against every other write that decides
    about its lease: taking the lease, and drawing or redrawing the tile under it. Without
    it, a create could read "no lease" while a lease on the same cell is being inserted,
    and both would succeed. PostgreSQL: a transaction-scoped advisory lock keyed by the
    canvas and the cell; SQLite needs none, as it runs one writer at a time."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:canvas, :cell)"),
                              {"canvas": canvas_id, "cell": x * 256 + y})


async def ensure_not_leased_by_other(
    session: AsyncSession, canvas_id: int, x: int, y: int, user_id: int
) -> None:
    """Raise TileLocked when another user holds a live lease on the cell (which stays
    locked for the rest of the transaction: ``lock_cell``)."""
    await lock_cell(session, canvas_id, x, y)
    lock = await session.get(TileLock, (canvas_id, x, y))
    if lock is None or lock.user_id == user_id or lock.expires_at <= utcnow():
        return
    holder = await session.get(User, lock.user_id)
    raise TileLocked(TILE_BEING_EDITED, holder=user_brief(holder) if holder else None)


def lease_event(
    user: User, canvas_id: int, x: int, y: int, is_editing: bool, reason: str,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    return lease_changed(
        user_id=user.id, username=user.username, display_name=user.display_name,
        canvas_id=canvas_id, tile_x=x, tile_y=y, is_editing=is_editing, reason=reason,
        timestamp=now_iso(),
        expires_at=isoformat_z(expires_at) if expires_at is not None else None,
    )


class LockService:
    def __init__(self, db: Database, events: EventSink, ttl_seconds: float,
                 clock: Clock | None = None) -> None:
        self.db = db
        self.events = events
        self.ttl = timedelta(seconds=ttl_seconds)
        self.clock = clock or SystemClock()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.time(), UTC)

    async def _announce(self, user: User, canvas_id: int, x: int, y: int, reason: str, *,
                        expires_at: datetime | None = None,
                        connection_id: str | None = None) -> None:
        """Publish a change of holder, with the lease fact the lease book keeps. The socket
        that made the change is not sent its own echo (its other sockets are)."""
        held = expires_at is not None
        event = lease_event(user, canvas_id, x, y, held, reason, expires_at)
        fact = {key: event.get(key) for key in (
            "tile_x", "tile_y", "user_id", "username", "display_name", "expires_at")}
        await self.events.publish(canvas_id, event, exclude_connection=connection_id,
                                  meta=lease_change(fact, held=held))

    async def acquire(self, user: User, canvas_id: int, x: int, y: int, *,
                      connection_id: str | None = None) -> Lease:
        """Take or renew the lease; TileLocked when someone else holds it."""
        try:
            lease, is_new = await self._acquire_once(user, canvas_id, x, y)
        except IntegrityError:
            # Another process inserted the row between our read and our insert.
            lease, is_new = await self._acquire_once(user, canvas_id, x, y)
        if is_new:
            await self._announce(user, canvas_id, x, y, "lease_taken",
                                 expires_at=lease.expires_at, connection_id=connection_id)
        return lease

    async def _acquire_once(self, user: User, canvas_id: int, x: int, y: int) -> tuple[Lease, bool]:
        now = self._now()
        async with self.db.transaction() as session:
            canvas = await load_canvas(session, canvas_id, user)
            await ensure_may_write(session, canvas_id, user.id)
            check_cell(canvas, x, y)
            await lock_cell(session, canvas_id, x, y)
            lock = await session.scalar(
                select(TileLock)
                .where(TileLock.canvas_id == canvas_id, TileLock.x == x, TileLock.y == y)
                .with_for_update()
            )
            is_new = True
            if lock is None:
                lock = TileLock(canvas_id=canvas_id, x=x, y=y, user_id=user.id)
                session.add(lock)
            elif lock.user_id == user.id and lock.expires_at > now:
                is_new = False
            elif lock.expires_at > now:
                holder = await session.get(User, lock.user_id)
                raise TileLocked(TILE_BEING_EDITED, holder=user_brief(holder) if holder else None)
            lock.user_id = user.id
            lock.expires_at = now + self.ttl
            await session.flush()
        lease = Lease(canvas_id, x, y, user.id, user.username, user.display_name, lock.expires_at)
        return lease, is_new

    async def release(self, user: User, canvas_id: int, x: int, y: int, *,
                      connection_id: str | None = None) -> None:
        async with self.db.transaction() as session:
            canvas = await load_canvas(session, canvas_id, user)
            check_cell(canvas, x, y)
            # The DELETE decides: of concurrent releases (or a release racing the sweeper)
            # only one removes the row and announces it.
            released = await session.scalar(
                delete(TileLock)
                .where(TileLock.canvas_id == canvas_id, TileLock.x == x, TileLock.y == y,
                       TileLock.user_id == user.id)
                .returning(TileLock.user_id)
            )
            if released is None:
                raise NotFound("Lock not found")
        await self._announce(user, canvas_id, x, y, "lease_released",
                             connection_id=connection_id)

    async def release_all(self, user: User, canvas_id: int) -> list[tuple[int, int]]:
        """Drop every lease ``user`` holds on the canvas (their last socket closed)."""
        async with self.db.read() as session:
            # Most users leave holding nothing: a read spares them the write lock.
            holds_any = await session.scalar(
                select(TileLock.x)
                .where(TileLock.canvas_id == canvas_id, TileLock.user_id == user.id)
                .limit(1)
            )
        if holds_any is None:
            return []
        async with self.db.transaction() as session:
            rows = await session.execute(
                delete(TileLock)
                .where(TileLock.canvas_id == canvas_id, TileLock.user_id == user.id)
                .returning(TileLock.x, TileLock.y)
            )
            cells = [(int(x), int(y)) for x, y in rows.all()]
        for x, y in cells:
            await self._announce(user, canvas_id, x, y, "lease_released")
        return cells

    async def renew(self, user_id: int, canvas_id: int, cells: list[tuple[int, int]]) -> int:
        """Push the expiry of the user's leases on ``cells`` a full TTL ahead (leases a
        socket took live as long as it does); returns how many were still held."""
        if not cells:
            return 0
        async with self.db.transaction() as session:
            result = await session.execute(
                update(TileLock)
                .where(TileLock.canvas_id == canvas_id, TileLock.user_id == user_id,
                       tuple_(TileLock.x, TileLock.y).in_(cells))
                .values(expires_at=self._now() + self.ttl)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def leases(self, canvas_id: int) -> list[Lease]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(TileLock, User)
                .join(User, User.id == TileLock.user_id)
                .where(TileLock.canvas_id == canvas_id, TileLock.expires_at > self._now())
            )
            return [
                Lease(lock.canvas_id, lock.x, lock.y, u.id, u.username, u.display_name,
                      lock.expires_at)
                for lock, u in rows.all()
            ]

    async def sweep_expired(self) -> int:
        """Delete expired leases and announce each; the DELETE decides who announces,
        so two processes sweeping at once never announce one expiry twice."""
        async with self.db.transaction() as session:
            rows = await session.execute(
                delete(TileLock)
                .where(TileLock.expires_at <= self._now())
                .returning(TileLock.canvas_id, TileLock.x, TileLock.y, TileLock.user_id)
            )
            expired = [tuple(int(v) for v in row) for row in rows.all()]
            users: dict[int, User] = {}
            for *_, user_id in expired:
                user = await session.get(User, user_id)
                if user is not None:
                    users[user_id] = user
        for canvas_id, x, y, user_id in expired:
            user = users.get(user_id)
            if user is not None:
                await self._announce(user, canvas_id, x, y, "lease_expired")
        return len(expired)
