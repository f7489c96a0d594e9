"""Canvases: creation, listing, access rules, updates, soft delete and membership."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, CanvasMember, Tile, User
from stellarcollab.db.types import fits_int_column, utcnow
from stellarcollab.services.errors import Forbidden, NotFound
from stellarcollab.services.events import EventSink
from stellarcollab.services.views import canvas_view
from stellarcollab.wire import canvas as wire_canvas

CANVAS_NOT_FOUND = "Canvas not found"
NOT_CANVAS_OWNER = "Only the canvas owner can do this"
EDITABLE_FIELDS = (
    "name", "description", "max_tiles_per_user", "collaboration_mode", "visibility",
)


@dataclass(frozen=True, slots=True)
class CanvasSpec:
    name: str
    description: str = ""
    width: int = 32
    height: int = 32
    tile_size: int = 32
    max_tiles_per_user: int = 10
    collaboration_mode: str = "free"
    visibility: str = "public"


class CanvasAccessDenied(Forbidden):
    """The canvas exists but this user may not see it (REST answers 404, sockets 4003)."""

    status_code = 404


async def is_member(session: AsyncSession, canvas: Canvas, user: User) -> bool:
    if canvas.visibility == "public" or canvas.owner_id == user.id or user.is_admin:
        return True
    member = await session.get(CanvasMember, (canvas.id, user.id))
    return member is not None


async def load_canvas(
    session: AsyncSession, canvas_id: int, user: User, *, for_update: bool = False
) -> Canvas:
    """The active canvas ``user`` may see; NotFound when missing or inactive,
    CanvasAccessDenied when private and the user is not a member.

    ``for_update`` holds the row (FOR NO KEY UPDATE, which leaves tile inserts alone) until
    the transaction ends, so concurrent changes of one canvas see each other's result."""
    if not fits_int_column(canvas_id):
        raise NotFound(CANVAS_NOT_FOUND)
    canvas = await session.get(
        Canvas, canvas_id, with_for_update={"key_share": True} if for_update else None
    )
    if canvas is None or not canvas.is_active:
        raise NotFound(CANVAS_NOT_FOUND)
    if not await is_member(session, canvas, user):
        raise CanvasAccessDenied(CANVAS_NOT_FOUND)
    return canvas


def require_owner(canvas: Canvas, user: User) -> None:
    if canvas.owner_id != user.id and not user.is_admin:
        raise Forbidden(NOT_CANVAS_OWNER)


class CanvasService:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events
        #: called with the canvas id after any change of who may enter it or what it is
        self.on_change: list[Callable[[int], None]] = []

    def _changed(self, canvas_id: int) -> None:
        for callback in self.on_change:
            callback(canvas_id)

    async def create(self, owner: User, spec: CanvasSpec) -> dict[str, Any]:
        canvas = Canvas(owner_id=owner.id, **_spec_fields(spec))
        async with self.db.transaction() as session:
            session.add(canvas)
        return canvas_view(canvas, owner.username, 0)

    async def list_for(self, user: User, limit: int, offset: int) -> dict[str, Any]:
        visible: ColumnElement[bool] = Canvas.is_active.is_(True)
        if not user.is_admin:
            member_of = select(CanvasMember.canvas_id).where(CanvasMember.user_id == user.id)
            visible = visible & or_(
                Canvas.visibility == "public", Canvas.owner_id == user.id, Canvas.id.in_(member_of)
            )
        tile_counts = (
            select(Tile.canvas_id, func.count(Tile.id).label("n"))
            .group_by(Tile.canvas_id)
            .subquery()
        )
        async with self.db.read() as session:
            total = await session.scalar(select(func.count(Canvas.id)).where(visible)) or 0
            rows = await session.execute(
                select(Canvas, User.username, func.coalesce(tile_counts.c.n, 0))
                .join(User, User.id == Canvas.owner_id)
                .outerjoin(tile_counts, tile_counts.c.canvas_id == Canvas.id)
                .where(visible)
                .order_by(Canvas.id.desc())
                .limit(limit)
                .offset(offset)
            )
            items = [canvas_view(c, owner, count) for c, owner, count in rows.all()]
        return {"items": items, "total": total, "limit": limit, "offset": offset}

    async def get(self, user: User, canvas_id: int) -> dict[str, Any]:
        async with self.db.read() as session:
            canvas = await load_canvas(session, canvas_id, user)
            return await self._view(session, canvas)

    async def canvas_for(self, user: User, canvas_id: int) -> Canvas:
        async with self.db.read() as session:
            return await load_canvas(session, canvas_id, user)

    async def update(self, user: User, canvas_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        async with self.db.transaction() as session:
            canvas = await load_canvas(session, canvas_id, user, for_update=True)
            require_owner(canvas, user)
            for field in EDITABLE_FIELDS:
                if field in changes and changes[field] is not None:
                    setattr(canvas, field, changes[field])
            canvas.updated_at = utcnow()
            view = await self._view(session, canvas)
            allowed = await _allowed_users(session, canvas)
        self._changed(canvas_id)
        await self.events.publish(canvas_id, wire_canvas.canvas_updated(canvas=view))
        await self.events.canvas_access_changed(canvas_id, allowed)
        return view

    async def delete(self, user: User, canvas_id: int) -> None:
        async with self.db.transaction() as session:
            canvas = await load_canvas(session, canvas_id, user, for_update=True)
            require_owner(canvas, user)
            canvas.is_active = False
            canvas.updated_at = utcnow()
        self._changed(canvas_id)
        await self.events.publish(canvas_id, wire_canvas.canvas_deleted())
        await self.events.canvas_access_changed(canvas_id, [])

    async def add_member(self, user: User, canvas_id: int, username: str) -> dict[str, Any]:
        async with self.db.transaction() as session:
            canvas = await load_canvas(session, canvas_id, user, for_update=True)
            require_owner(canvas, user)
            member = await session.scalar(select(User).where(User.username_key == username.lower()))
            if member is None:
                raise NotFound("User not found")
            if await session.get(CanvasMember, (canvas_id, member.id)) is None:
                session.add(CanvasMember(canvas_id=canvas_id, user_id=member.id))
        self._changed(canvas_id)
        return {"canvas_id": canvas_id, "user_id": member.id, "username": member.username}

    async def remove_member(self, user: User, canvas_id: int, member_id: int) -> None:
        async with self.db.transaction() as session:
            canvas = await load_canvas(session, canvas_id, user, for_update=True)
            require_owner(canvas, user)
            if not fits_int_column(member_id):
                return  # no such user, so no such member
            await session.execute(
                delete(CanvasMember).where(
                    CanvasMember.canvas_id == canvas_id, CanvasMember.user_id == member_id
                )
            )
            allowed = await _allowed_users(session, canvas)
        self._changed(canvas_id)
        await self.events.canvas_access_changed(canvas_id, allowed)

    async def _view(self, session: AsyncSession, canvas: Canvas) -> dict[str, Any]:
        owner = await session.get(User, canvas.owner_id)
        count = await session.scalar(select(func.count(Tile.id)).where(Tile.canvas_id == canvas.id))
        return canvas_view(canvas, owner.username if owner else "", count or 0)


async def _allowed_users(session: AsyncSession, canvas: Canvas) -> list[int] | None:
    """Who may be on the canvas besides admins: None when it is public (anyone)."""
    if canvas.visibility == "public":
        return None
    members = await session.scalars(
        select(CanvasMember.user_id).where(CanvasMember.canvas_id == canvas.id))
    return [canvas.owner_id, *members]


def _spec_fields(spec: CanvasSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "description": spec.description,
        "width": spec.width,
        "height": spec.height,
        "tile_size": spec.tile_size,
        "max_tiles_per_user": spec.max_tiles_per_user,
        "collaboration_mode": spec.collaboration_mode,
        "visibility": spec.visibility,
    }
