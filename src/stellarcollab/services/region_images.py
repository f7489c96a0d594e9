"""Level-of-detail images of a canvas, cached per region and validated by ETag.

Each region of REGION_CELLS x REGION_CELLS cells has a fingerprint read from the database
(tile count, id sum, version sum, newest edit), so a change made by any process changes the
fingerprints, and so the ETags, of exactly the images that cover the changed cell. The
overview is composed from small region rasters; only the regions whose fingerprint moved
are drawn again, and the small rasters are also kept on disk (ChunkStore) for restarts.
Drawing and encoding run in worker threads, one region at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, Tile, User
from stellarcollab.services import canvas_tiles_render as render
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.errors import OutOfBounds
from stellarcollab.services.region_chunk_store import ChunkStore

Fingerprint = tuple[Any, ...]
RegionId = tuple[int, int]
EMPTY: Fingerprint = (0, 0, 0, None)


@dataclass(frozen=True)
class CanvasImage:
    """An image's ETag, and its PNG unless the caller already holds that ETag."""

    etag: str
    png: bytes | None


def make_etag(*parts: object) -> str:
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'


class RegionImageService:
    def __init__(self, db: Database, chunk_store: ChunkStore | None = None,
                 max_cached_bytes: int = 96 * 2**20, max_chunks: int = 4096) -> None:
        self.db = db
        self.chunk_store = chunk_store or ChunkStore(None)
        self.max_cached_bytes = max_cached_bytes
        self.max_chunks = max_chunks
        self._pngs: OrderedDict[tuple[Any, ...], tuple[str, bytes]] = OrderedDict()
        self._cached_bytes = 0
        self._chunks: OrderedDict[tuple[int, RegionId, int], tuple[Fingerprint, Image.Image]] = (
            OrderedDict()
        )
        self._overview_locks: dict[int, asyncio.Lock] = {}

    async def region(
        self, user: User, canvas_id: int, rx: int, ry: int, scale: int | None,
        known_etag: str | None,
    ) -> CanvasImage:
        """Region (rx, ry) at ``scale`` pixels per cell (default: full size)."""
        async with self.db.read() as session:
            canvas = await load_canvas(session, canvas_id, user)
            scale = scale or canvas.tile_size
            check_region(canvas, rx, ry, scale)
            bounds = render.region_cells(canvas.width, canvas.height, rx, ry)
            fingerprint = await region_fingerprint(session, canvas_id, bounds)
            etag = make_etag("region", canvas_id, canvas.tile_size, rx, ry, scale, fingerprint)
            if etag == known_etag:
                return CanvasImage(etag, None)
            cached = self._cached_png(("region", canvas_id, rx, ry, scale), etag)
            if cached is not None:
                return CanvasImage(etag, cached)
            cells = await cell_pixels(session, canvas_id, bounds)
        png = await asyncio.to_thread(draw_png, bounds, canvas.tile_size, cells, scale)
        self._store_png(("region", canvas_id, rx, ry, scale), etag, png)
        return CanvasImage(etag, png)

    async def overview(self, user: User, canvas_id: int, known_etag: str | None) -> CanvasImage:
        async with self.db.read() as session:
            canvas = await load_canvas(session, canvas_id, user)
            fingerprints = await all_fingerprints(session, canvas_id)
        return await self._overview(canvas, fingerprints, known_etag)

    async def _overview(
        self, canvas: Canvas, fingerprints: dict[RegionId, Fingerprint], known_etag: str | None
    ) -> CanvasImage:
        scale = render.overview_scale(canvas.width, canvas.height, canvas.tile_size)
        etag = make_etag("overview", canvas.id, canvas.width, canvas.height, canvas.tile_size,
                         scale, sorted(fingerprints.items()))
        if etag == known_etag:
            return CanvasImage(etag, None)
        lock = self._overview_locks.setdefault(canvas.id, asyncio.Lock())
        async with lock:
            png = self._cached_png(("overview", canvas.id), etag)
            if png is None:
                png = await asyncio.to_thread(self.chunk_store.load_overview, canvas.id,
                                              etag.strip('"'))
            if png is None:
                chunks = await self._overview_chunks(canvas, scale, fingerprints)
                png = await asyncio.to_thread(self._encode_overview, canvas, scale, chunks,
                                              etag.strip('"'))
            self._store_png(("overview", canvas.id), etag, png)
        return CanvasImage(etag, png)

    def _encode_overview(self, canvas: Canvas, scale: int,
                         chunks: dict[RegionId, Image.Image], digest: str) -> bytes:
        image = render.compose_overview(canvas.width, canvas.height, scale, chunks)
        png = render.encode_png(image)
        self.chunk_store.save_overview(canvas.id, digest, png)
        return png

    async def warm_overview(self, canvas_id: int) -> int:
        """Draws and stores the overview rasters of every region of a canvas (after a bulk
        load, so the first visitor does not wait for them); returns the number of regions."""
        async with self.db.read() as session:
            canvas = await session.get(Canvas, canvas_id)
            if canvas is None:
                return 0
            fingerprints = await all_fingerprints(session, canvas_id)
        await self._overview(canvas, fingerprints, None)
        return len(fingerprints)

    async def _overview_chunks(
        self, canvas: Canvas, scale: int, fingerprints: dict[RegionId, Fingerprint]
    ) -> dict[RegionId, Image.Image]:
        """Each non-empty region drawn small: from memory, else from the chunk store, else
        drawn from its tiles (and kept in both) — only regions whose fingerprint moved."""
        chunks: dict[RegionId, Image.Image] = {}
        missing: dict[RegionId, str] = {}
        for region, fingerprint in fingerprints.items():
            cached = self._chunks.get((canvas.id, region, scale))
            if cached is not None and cached[0] == fingerprint:
                self._chunks.move_to_end((canvas.id, region, scale))
                chunks[region] = cached[1]
            else:
                missing[region] = make_etag(fingerprint).strip('"')
        if missing:
            stored = await asyncio.to_thread(self.chunk_store.load_many, canvas.id, scale, missing)
            for region, chunk in stored.items():
                self._remember_chunk((canvas.id, region, scale), (fingerprints[region], chunk))
                chunks[region] = chunk
        for region, digest in missing.items():
            if region in chunks:
                continue
            bounds = render.region_cells(canvas.width, canvas.height, *region)
            async with self.db.read() as session:
                cells = await cell_pixels(session, canvas.id, bounds)
            chunk = await asyncio.to_thread(self._draw_chunk, canvas, region, scale, digest,
                                            bounds, cells)
            self._remember_chunk((canvas.id, region, scale), (fingerprints[region], chunk))
            chunks[region] = chunk
        return chunks

    def _draw_chunk(
        self, canvas: Canvas, region: RegionId, scale: int, digest: str,
        bounds: tuple[int, int, int, int], cells: list[render.CellPixels],
    ) -> Image.Image:
        chunk = render.render_region(bounds, canvas.tile_size, cells, scale)
        self.chunk_store.save(canvas.id, region, scale, digest, chunk)
        return chunk

    def _remember_chunk(
        self, key: tuple[int, RegionId, int], entry: tuple[Fingerprint, Image.Image]
    ) -> None:
        self._chunks[key] = entry
        while len(self._chunks) > self.max_chunks:
            self._chunks.popitem(last=False)

    def _cached_png(self, key: tuple[Any, ...], etag: str) -> bytes | None:
        entry = self._pngs.get(key)
        if entry is None or entry[0] != etag:
            return None
        self._pngs.move_to_end(key)
        return entry[1]

    def _store_png(self, key: tuple[Any, ...], etag: str, png: bytes) -> None:
        previous = self._pngs.pop(key, None)
        if previous is not None:
            self._cached_bytes -= len(previous[1])
        self._pngs[key] = (etag, png)
        self._cached_bytes += len(png)
        while self._cached_bytes > self.max_cached_bytes and len(self._pngs) > 1:
            _key, (_etag, dropped) = self._pngs.popitem(last=False)
            self._cached_bytes -= len(dropped)


def draw_png(
    bounds: tuple[int, int, int, int], tile_size: int, cells: list[render.CellPixels], scale: int
) -> bytes:
    return render.encode_png(render.render_region(bounds, tile_size, cells, scale))


def check_region(canvas: Canvas, rx: int, ry: int, scale: int) -> None:
    columns, rows = render.region_count(canvas.width, canvas.height)
    if not (0 <= rx < columns and 0 <= ry < rows):
        raise OutOfBounds(f"Region ({rx}, {ry}) is outside the canvas's {columns}x{rows} regions")
    levels = render.scales_for(canvas.tile_size)
    if scale not in levels:
        raise OutOfBounds(f"scale must be one of {levels} on this canvas")


def fingerprint_columns() -> list[Any]:
    return [func.count(Tile.id), func.sum(Tile.id), func.sum(Tile.version),
            func.max(Tile.updated_at)]


async def region_fingerprint(
    session: AsyncSession, canvas_id: int, bounds: tuple[int, int, int, int]
) -> Fingerprint:
    x0, y0, x1, y1 = bounds
    row = (await session.execute(
        select(*fingerprint_columns()).where(
            Tile.canvas_id == canvas_id, Tile.x.between(x0, x1), Tile.y.between(y0, y1)
        )
    )).one()
    return tuple(row) if row[0] else EMPTY


async def all_fingerprints(session: AsyncSession, canvas_id: int) -> dict[RegionId, Fingerprint]:
    """The fingerprint of every region holding at least one tile, in one grouped query."""
    rx = (Tile.x // render.REGION_CELLS).label("rx")
    ry = (Tile.y // render.REGION_CELLS).label("ry")
    rows = await session.execute(
        select(rx, ry, *fingerprint_columns()).where(Tile.canvas_id == canvas_id).group_by(rx, ry)
    )
    return {(int(r[0]), int(r[1])): tuple(r[2:]) for r in rows.all()}


async def cell_pixels(
    session: AsyncSession, canvas_id: int, bounds: tuple[int, int, int, int]
) -> list[render.CellPixels]:
    x0, y0, x1, y1 = bounds
    rows = await session.execute(
        select(Tile.x, Tile.y, Tile.pixels).where(
            Tile.canvas_id == canvas_id, Tile.x.between(x0, x1), Tile.y.between(y0, y1)
        )
    )
    return [(int(x), int(y), bytes(p)) for x, y, p in rows.all()]
