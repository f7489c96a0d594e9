"""Tile history: the pixels of every version a tile has had, and reverting to one.

``record`` runs inside the transaction of the edit that made the version, so a version
and its history row commit together. A revert is an edit like any other: a new version
whose pixels are exactly those of the chosen one.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Tile, User
from stellarcollab.db.moderation import TileVersion
from stellarcollab.db.types import fits_int_column, isoformat_z, utcnow
from stellarcollab.services import audit
from stellarcollab.services.errors import NotFound
from stellarcollab.services.events import EventSink, Origin
from stellarcollab.services.moderation import refused, role_on
from stellarcollab.services.moderation_rules import ModerationRefused, check_may_moderate
from stellarcollab.services.tile_access import TILE_NOT_FOUND, load_visible_tile
from stellarcollab.services.views import now_iso, pixels_text, tile_facts, tile_view
from stellarcollab.wire.tiles import tile_updated

VERSION_NOT_FOUND = "Version not found"


def record(session: AsyncSession, tile_id: int, version: int, pixels: bytes,
           editor_id: int) -> None:
    session.add(TileVersion(tile_id=tile_id, version=version, pixels=pixels,
                            editor_id=editor_id, created_at=utcnow()))


async def start_history(session: AsyncSession, tile_id: int, pixels: bytes,
                        editor_id: int) -> None:
    """A new tile's version 1. Rows an earlier tile with the same id left go first: SQLite
    may give a deleted tile's id to the next one, and a delete made outside the server
    (a restore, a manual fix) skips the cascade."""
    await session.execute(delete(TileVersion).where(TileVersion.tile_id == tile_id))
    record(session, tile_id, 1, pixels, editor_id)


def version_view(row: TileVersion, editor_username: str) -> dict[str, Any]:
    return {"tile_id": row.tile_id, "version": row.version,
            "pixels": base64.b64encode(row.pixels).decode("ascii"),
            "editor_id": row.editor_id, "editor_username": editor_username,
            "created_at": isoformat_z(row.created_at)}


class TileVersionService:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events

    async def history(self, user: User, tile_id: int, limit: int,
                      before: int | None) -> dict[str, Any]:
        """Newest version first; ``before`` pages to older versions."""
        async with self.db.read() as session:
            await load_visible_tile(session, user, tile_id)  # 404 unless the user may see it
            query = (select(TileVersion, User.username)
                     .join(User, User.id == TileVersion.editor_id)
                     .where(TileVersion.tile_id == tile_id))
            if before is not None:
                query = query.where(TileVersion.version < before)
            rows = (await session.execute(
                query.order_by(TileVersion.version.desc()).limit(limit + 1))).all()
        return {"items": [version_view(v, name) for v, name in rows[:limit]],
                "has_more": len(rows) > limit}

    async def revert(self, user: User, tile_id: int, version: int, reason: str,
                     origin: Origin) -> dict[str, Any]:
        async with self.db.transaction() as session:
            tile, canvas = await load_visible_tile(session, user, tile_id)
            try:
                check_may_moderate(await role_on(session, canvas, user))
            except ModerationRefused as exc:
                raise refused(exc) from None
            chosen = await session.scalar(select(TileVersion).where(
                TileVersion.tile_id == tile_id, TileVersion.version == version)
            ) if fits_int_column(version) else None
            if chosen is None:
                raise NotFound(VERSION_NOT_FOUND)
            new_version = await session.scalar(
                update(Tile).where(Tile.id == tile_id)
                .values(pixels=chosen.pixels, version=Tile.version + 1, updated_at=utcnow())
                .returning(Tile.version))
            if new_version is None:
                raise NotFound(TILE_NOT_FOUND)
            record(session, tile_id, new_version, chosen.pixels, user.id)
            audit.record(session, user, "revert_tile", "tile", tile_id, reason=reason,
                         canvas_id=canvas.id,
                         details={"to_version": version, "new_version": new_version})
            await session.refresh(tile)
            creator = await session.get(User, tile.creator_id)
            creator_name = creator.username if creator else ""
        await self.events.publish(canvas.id, tile_updated(
            tile=tile_facts(tile, creator_name), pixels=pixels_text(tile), user_id=user.id,
            timestamp=now_iso()), **origin.exclusion())
        return tile_view(tile, creator_name)
