"""Tile facts (creator, likes, version) of one region, without pixels: what the page asks
for when a cell of that region is pointed at, instead of every tile of the canvas."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Tile, User
from stellarcollab.db.types import isoformat_z
from stellarcollab.services import canvas_tiles_render as render
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.region_images import check_region


def tile_facts(tile: Tile, creator_username: str) -> dict[str, Any]:
    return {
        "id": tile.id,
        "canvas_id": tile.canvas_id,
        "x": tile.x,
        "y": tile.y,
        "version": tile.version,
        "like_count": tile.like_count,
        "creator_id": tile.creator_id,
        "creator_username": creator_username,
        "created_at": isoformat_z(tile.created_at),
        "updated_at": isoformat_z(tile.updated_at),
    }


class RegionTileService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def facts(self, user: User, canvas_id: int, rx: int, ry: int) -> dict[str, Any]:
        async with self.db.read() as session:
            canvas = await load_canvas(session, canvas_id, user)
            check_region(canvas, rx, ry, canvas.tile_size)
            x0, y0, x1, y1 = render.region_cells(canvas.width, canvas.height, rx, ry)
            rows = await session.execute(
                select(Tile, User.username)
                .join(User, User.id == Tile.creator_id)
                .where(Tile.canvas_id == canvas_id, Tile.x.between(x0, x1),
                       Tile.y.between(y0, y1))
                .order_by(Tile.y, Tile.x)
                .options(defer(Tile.pixels))
            )
            tiles = [tile_facts(tile, name) for tile, name in rows.all()]
        return {"region": {"rx": rx, "ry": ry, "x0": x0, "y0": y0, "x1": x1, "y1": y1},
                "tiles": tiles}
