"""Renders a canvas to PNG, cached until one of its tiles changes.

The cache key is a fingerprint read from the database (tile count, newest edit, id sum),
so a change made by any process invalidates it.
"""

from __future__ import annotations

import asyncio
import io

from PIL import Image
from sqlalchemy import func, select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, Tile, User
from stellarcollab.services.canvases import load_canvas

MAX_IMAGE_SIDE = 4096


def tile_pixels_per_side(canvas: Canvas) -> int:
    """Tiles are drawn at full size unless the image would exceed MAX_IMAGE_SIDE."""
    widest = max(canvas.width, canvas.height)
    return max(1, min(canvas.tile_size, MAX_IMAGE_SIDE // widest))


def render_png(canvas: Canvas, tiles: list[tuple[int, int, bytes]]) -> bytes:
    side = tile_pixels_per_side(canvas)
    image = Image.new("RGBA", (canvas.width * side, canvas.height * side), (0, 0, 0, 0))
    for x, y, pixels in tiles:
        tile = Image.frombytes("RGBA", (canvas.tile_size, canvas.tile_size), pixels)
        if side != canvas.tile_size:
            tile = tile.resize((side, side), Image.Resampling.BOX)
        image.paste(tile, (x * side, y * side))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


class CanvasImageService:
    def __init__(self, db: Database, max_cached: int = 64) -> None:
        self.db = db
        self.max_cached = max_cached
        self._cache: dict[int, tuple[tuple[object, ...], bytes]] = {}

    async def png(self, user: User, canvas_id: int) -> bytes:
        async with self.db.read() as session:
            canvas = await load_canvas(session, canvas_id, user)
            fingerprint_row = (
                await session.execute(
                    select(func.count(Tile.id), func.max(Tile.updated_at), func.sum(Tile.id))
                    .where(Tile.canvas_id == canvas_id)
                )
            ).one()
            fingerprint = (canvas.width, canvas.height, *fingerprint_row)
            cached = self._cache.get(canvas_id)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
            rows = await session.execute(
                select(Tile.x, Tile.y, Tile.pixels).where(Tile.canvas_id == canvas_id)
            )
            tiles = [(int(x), int(y), bytes(p)) for x, y, p in rows.all()]
        png = await asyncio.to_thread(render_png, canvas, tiles)
        if len(self._cache) >= self.max_cached:
            self._cache.pop(next(iter(self._cache)))
        self._cache[canvas_id] = (fingerprint, png)
        return png
