"""Finding a tile the way every tile action does: it exists, and its canvas is one the
user may see; otherwise the answer is the same 404, so a private canvas's tiles are not
revealed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.db.models import Canvas, Tile, User
from stellarcollab.db.types import fits_int_column
from stellarcollab.services.canvases import CanvasAccessDenied, load_canvas
from stellarcollab.services.errors import NotFound

TILE_NOT_FOUND = "Tile not found"


async def load_visible_tile(session: AsyncSession, user: User, tile_id: int,
                            *, lock: bool = False) -> tuple[Tile, Canvas]:
    """The tile and its canvas, if ``user`` may see them. ``lock`` holds the tile row
    (FOR NO KEY UPDATE) first, so likes, unlikes, comments and deletes of one tile take
    their locks in one order (tile, then its rows) and cannot deadlock each other."""
    tile = None
    if fits_int_column(tile_id):
        tile = await session.get(Tile, tile_id,
                                 with_for_update={"key_share": True} if lock else None)
    if tile is None:
        raise NotFound(TILE_NOT_FOUND)
    try:
        canvas = await load_canvas(session, tile.canvas_id, user)
    except (NotFound, CanvasAccessDenied) as exc:
        raise NotFound(TILE_NOT_FOUND) from exc
    return tile, canvas
