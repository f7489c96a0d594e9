"""Tiles: create on an empty cell, redraw with optimistic versions, delete, like, unlike.

The database decides races: the UNIQUE cell constraint picks one winner among concurrent
creates, the per-user limit is counted while holding the user's row, like counts change
by atomic increments, and a version-guarded UPDATE rejects stale edits.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, Like, Tile, User
from stellarcollab.db.types import fits_int_column, utcnow
from stellarcollab.services.activity import TileActivity
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.errors import Conflict, Forbidden, Invalid, NotFound, OutOfBounds
from stellarcollab.services.events import EventSink, Origin
from stellarcollab.services.locks import check_cell, ensure_not_leased_by_other
from stellarcollab.services.outbox import Outbox
from stellarcollab.services.sanctions import ensure_may_write
from stellarcollab.services.tile_access import TILE_NOT_FOUND, load_visible_tile
from stellarcollab.services.tile_versions import record as record_version
from stellarcollab.services.tile_versions import start_history
from stellarcollab.services.views import now_iso, pixels_text, tile_facts, tile_view
from stellarcollab.wire.tiles import (
    tile_created,
    tile_deleted,
    tile_liked,
    tile_unliked,
    tile_updated,
)

CELL_TAKEN = "Tile position already occupied"
LIMIT_REACHED = "Tile limit reached for this canvas"
STALE_VERSION = "Tile was modified by someone else"
OWNER_MODE = "Only the tile's creator can edit it on this canvas"
NOT_TILE_OWNER = "Only the tile's creator or the canvas owner can delete it"
OWN_TILE_LIKE = "You cannot like your own tile"


def decode_pixels(pixels: str, tile_size: int) -> bytes:
    """Base64 RGBA of exactly tile_size x tile_size x 4 bytes, or Invalid saying why."""
    try:
        raw = base64.b64decode(pixels, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid("pixels must be base64-encoded RGBA bytes") from exc
    expected = tile_size * tile_size * 4
    if len(raw) != expected:
        raise Invalid(
            f"pixels must decode to {expected} bytes ({tile_size}x{tile_size} RGBA), "
            f"got {len(raw)}"
        )
    return raw


class TileService:
    def __init__(self, db: Database, events: EventSink,
                 activity: TileActivity | None = None) -> None:
        self.db = db
        self.events = events
        self.activity = activity

    async def create(
        self, user: User, canvas_id: int, x: int, y: int, pixels: str, origin: Origin
    ) -> dict[str, Any]:
        outbox = Outbox()
        try:
            async with self.db.transaction() as session:
                canvas = await load_canvas(session, canvas_id, user)
                await ensure_may_write(session, canvas_id, user.id)
                check_cell(canvas, x, y)
                raw = decode_pixels(pixels, canvas.tile_size)
                await ensure_not_leased_by_other(session, canvas_id, x, y, user.id)
                await self._check_limit(session, canvas, user)
                tile = Tile(canvas_id=canvas_id, x=x, y=y, pixels=raw, creator_id=user.id)
                session.add(tile)
                await session.flush()
                await start_history(session, tile.id, raw, user.id)
                await self._record(session, outbox, "tile_created", tile, user)
        except IntegrityError as exc:
            raise Conflict(CELL_TAKEN) from exc
        await self.events.publish(canvas_id, tile_created(
            tile=tile_facts(tile, user.username), pixels=pixels_text(tile), user_id=user.id,
            timestamp=now_iso(),
        ), **origin.exclusion())
        await self._send(outbox)
        return tile_view(tile, user.username)

    async def _check_limit(self, session: AsyncSession, canvas: Canvas, user: User) -> None:
        # Holding the user's row serialises this user's creates, so the count below cannot
        # be overtaken by a concurrent create (SQLite serialises all writers anyway).
        await session.execute(select(User.id).where(User.id == user.id).with_for_update())
        owned = await session.scalar(
            select(func.count(Tile.id)).where(
                Tile.canvas_id == canvas.id, Tile.creator_id == user.id
            )
        )
        if (owned or 0) >= canvas.max_tiles_per_user:
            raise Forbidden(LIMIT_REACHED)

    async def get(self, user: User, tile_id: int) -> dict[str, Any]:
        async with self.db.read() as session:
            tile, _canvas = await load_visible_tile(session, user, tile_id)
            creator = await session.get(User, tile.creator_id)
            return tile_view(tile, creator.username if creator else "")

    async def update(
        self, user: User, tile_id: int, pixels: str, version: int | None, origin: Origin
    ) -> dict[str, Any]:
        outbox = Outbox()
        async with self.db.transaction() as session:
            tile, canvas, creator_name = await self._load_with_creator(session, user, tile_id)
            await ensure_may_write(session, canvas.id, user.id)
            if canvas.collaboration_mode == "owner" and tile.creator_id != user.id and not (
                user.is_admin
            ):
                raise Forbidden(OWNER_MODE)
            raw = decode_pixels(pixels, canvas.tile_size)
            await ensure_not_leased_by_other(session, canvas.id, tile.x, tile.y, user.id)
            if version is not None and version != tile.version:
                raise Conflict(STALE_VERSION, current_version=tile.version)
            # Only a versioned write is guarded by its version; an unversioned one applies
            # to whatever version is current when its UPDATE runs (last writer wins).
            guard = [Tile.id == tile_id]
            if version is not None:
                guard.append(Tile.version == version)
            result = await session.execute(
                update(Tile)
                .where(*guard)
                .values(pixels=raw, version=Tile.version + 1, updated_at=utcnow())
                .returning(Tile.version, Tile.like_count, Tile.updated_at)
                .execution_options(synchronize_session=False)
            )
            written = result.one_or_none()
            if written is None:
                # Someone else's write (or delete) committed since we read the tile.
                current = await session.scalar(select(Tile.version).where(Tile.id == tile_id))
                if current is None:
                    raise NotFound(TILE_NOT_FOUND)
                raise Conflict(STALE_VERSION, current_version=current)
            # The row as written (a like may have committed since it was read), without
            # reading it again.
            for name, value in zip(("version", "like_count", "updated_at"), written, strict=True):
                set_committed_value(tile, name, value)
            set_committed_value(tile, "pixels", raw)
            record_version(session, tile.id, tile.version, raw, user.id)
            await self._record(session, outbox, "tile_updated", tile, user)
        await self.events.publish(canvas.id, tile_updated(
            tile=tile_facts(tile, creator_name), pixels=pixels_text(tile), user_id=user.id,
            timestamp=now_iso(),
        ), **origin.exclusion())
        await self._send(outbox)
        return tile_view(tile, creator_name)

    async def delete(self, user: User, tile_id: int, origin: Origin) -> None:
        outbox = Outbox()
        async with self.db.transaction() as session:
            tile, canvas, creator_name = await self._load_with_creator(session, user, tile_id)
            await ensure_may_write(session, canvas.id, user.id)
            if user.id not in (tile.creator_id, canvas.owner_id) and not user.is_admin:
                raise Forbidden(NOT_TILE_OWNER)
            # The DELETE decides between concurrent deletes: only one removes the row
            # (and announces it); the others find nothing.
            removed = await session.scalar(
                delete(Tile)
                .where(Tile.id == tile_id)
                .returning(Tile.id)
                .execution_options(synchronize_session=False)
            )
            if removed is None:
                raise NotFound(TILE_NOT_FOUND)
            await self._record(session, outbox, "tile_deleted", tile, user)
        await self.events.publish(canvas.id, tile_deleted(
            tile=tile_facts(tile, creator_name), user_id=user.id,
            timestamp=now_iso(),
        ), **origin.exclusion())
        await self._send(outbox)

    async def like(self, user: User, tile_id: int, origin: Origin) -> dict[str, Any]:
        outbox = Outbox()
        try:
            async with self.db.transaction() as session:
                tile, _canvas = await load_visible_tile(session, user, tile_id, lock=True)
                await ensure_may_write(session, tile.canvas_id, user.id)
                if tile.creator_id == user.id:
                    raise Forbidden(OWN_TILE_LIKE)
                session.add(Like(user_id=user.id, tile_id=tile_id))
                await session.flush()
                count = await self._bump_likes(session, tile, +1)
                creator = await session.get(User, tile.creator_id)
                await self._record(session, outbox, "tile_liked", tile, user)
        except IntegrityError as exc:
            raise Conflict("Tile already liked") from exc
        liked = await self._announce_like(True, tile, creator, user, count, origin)
        await self._send(outbox)
        return liked

    async def unlike(self, user: User, tile_id: int, origin: Origin) -> dict[str, Any]:
        async with self.db.transaction() as session:
            tile, _canvas = await load_visible_tile(session, user, tile_id, lock=True)
            await ensure_may_write(session, tile.canvas_id, user.id)
            # The DELETE decides: of two concurrent unlikes only one removes the row, so
            # only one decrements (a read-then-delete would let both through).
            removed = await session.scalar(
                delete(Like)
                .where(Like.user_id == user.id, Like.tile_id == tile_id)
                .returning(Like.id)
            )
            if removed is None:
                raise NotFound("Like not found")
            count = await self._bump_likes(session, tile, -1)
            creator = await session.get(User, tile.creator_id)
        return await self._announce_like(False, tile, creator, user, count, origin)

    async def _record(self, session: AsyncSession, outbox: Outbox, kind: str, tile: Tile,
                      actor: User) -> None:
        """The activity entry (and notification) written in the change's transaction."""
        if self.activity is not None:
            await self.activity.record(session, outbox, kind, tile, actor)

    async def _send(self, outbox: Outbox) -> None:
        if self.activity is not None:
            await self.activity.send(outbox)

    async def _bump_likes(self, session: AsyncSession, tile: Tile, delta: int) -> int:
        result = await session.execute(
            update(Tile)
            .where(Tile.id == tile.id)
            .values(like_count=Tile.like_count + delta)
            .returning(Tile.like_count)
        )
        count = int(result.scalar_one())
        tile.like_count = count
        return count

    async def _announce_like(
        self, liked: bool, tile: Tile, creator: User | None, user: User, count: int,
        origin: Origin,
    ) -> dict[str, Any]:
        build = tile_liked if liked else tile_unliked
        facts = tile_facts(tile, creator.username if creator else "")
        await self.events.publish(
            tile.canvas_id, build(tile=facts, user_id=user.id, timestamp=now_iso()),
            **origin.exclusion(),
        )
        return {"tile_id": tile.id, "like_count": count, "liked": liked}

    async def region(
        self, user: User, canvas_id: int, bounds: tuple[int, int, int, int] | None
    ) -> list[dict[str, Any]]:
        async with self.db.read() as session:
            canvas = await load_canvas(session, canvas_id, user)
            x0, y0, x1, y1 = bounds or (0, 0, canvas.width - 1, canvas.height - 1)
            if x0 > x1 or y0 > y1:
                raise OutOfBounds("Region corners must satisfy x0 <= x1 and y0 <= y1")
            # Only cells of the canvas can hold tiles (and the bounds then fit the columns).
            x1, y1 = min(x1, canvas.width - 1), min(y1, canvas.height - 1)
            if x0 > x1 or y0 > y1:
                return []
            rows = await session.execute(
                select(Tile, User.username)
                .join(User, User.id == Tile.creator_id)
                .where(
                    Tile.canvas_id == canvas_id,
                    Tile.x.between(x0, x1),
                    Tile.y.between(y0, y1),
                )
                .order_by(Tile.y, Tile.x)
            )
            return [tile_view(tile, name) for tile, name in rows.all()]

    async def _load_with_creator(
        self, session: AsyncSession, user: User, tile_id: int
    ) -> tuple[Tile, Canvas, str]:
        """``load_visible_tile`` and the creator's username in one query: the tile, its
        canvas and the name are read together, so the checks it makes find both rows in
        the session and ask nothing more of the database."""
        row = None
        if fits_int_column(tile_id):
            row = (await session.execute(
                select(Tile, Canvas, User.username)
                .join(Canvas, Canvas.id == Tile.canvas_id)
                .outerjoin(User, User.id == Tile.creator_id)
                .where(Tile.id == tile_id)
            )).first()
        tile, canvas = await load_visible_tile(session, user, tile_id)
        return tile, canvas, (row[2] if row is not None else None) or ""
