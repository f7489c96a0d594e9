"""Deleting a vandal's tiles in bulk: every tile one user created on one canvas, removed
in one transaction by the owner or an admin, each removal announced as ``tile_deleted``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Tile, User
from stellarcollab.services import audit
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.events import EventSink, Origin
from stellarcollab.services.moderation import load_user, refused, role_on
from stellarcollab.services.moderation_rules import ModerationRefused, check_may_bulk_delete
from stellarcollab.services.views import now_iso, tile_facts
from stellarcollab.wire.tiles import tile_deleted


class TileCleanupService:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events

    async def delete_by_creator(self, actor: User, canvas_id: int, creator_id: int,
                                reason: str, origin: Origin) -> dict[str, Any]:
        async with self.db.transaction() as session:
            canvas = await load_canvas(session, canvas_id, actor, for_update=True)
            try:
                check_may_bulk_delete(await role_on(session, canvas, actor))
            except ModerationRefused as exc:
                raise refused(exc) from None
            creator = await load_user(session, creator_id)
            tiles = list(await session.scalars(
                select(Tile).where(Tile.canvas_id == canvas_id, Tile.creator_id == creator.id)
                .order_by(Tile.id)))
            removed = set(await session.scalars(
                delete(Tile).where(Tile.id.in_([t.id for t in tiles])).returning(Tile.id)
                .execution_options(synchronize_session=False))) if tiles else set()
            audit.record(session, actor, "delete_tiles", "user", creator.id, reason=reason,
                         canvas_id=canvas_id, details={"tile_ids": sorted(removed)})
        for tile in tiles:
            if tile.id in removed:
                await self.events.publish(canvas_id, tile_deleted(
                    tile=tile_facts(tile, creator.username), user_id=actor.id,
                    timestamp=now_iso()), **origin.exclusion())
        return {"canvas_id": canvas_id, "creator_id": creator.id, "deleted": len(removed),
                "tile_ids": sorted(removed)}
