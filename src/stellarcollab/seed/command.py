"""``stellarcollab seed``: a canvas with every cell filled, written in bulk.

It creates (or reuses) the owner account and a new canvas, then inserts all its tiles in
large batches, bypassing the API: a 256x256 canvas takes seconds, not hours of requests.
Last it draws the canvas's overview rasters into the data directory's cache, as the server
would on the first visit.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.auth.passwords import PasswordHasher
from stellarcollab.config import Settings
from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, Tile, User
from stellarcollab.db.types import utcnow
from stellarcollab.seed.picture import palette_picture, tiles_of
from stellarcollab.services.region_chunk_store import ChunkStore
from stellarcollab.services.region_images import RegionImageService

BATCH = 2048


async def owner_for(
    session: AsyncSession, hasher: PasswordHasher, username: str, password: str
) -> User:
    user = await session.scalar(select(User).where(User.username_key == username.lower()))
    if user is not None:
        return user
    user = User(
        username=username, username_key=username.lower(), email=f"{username.lower()}@seed.invalid",
        display_name=username, password_hash=await hasher.hash(password),
    )
    session.add(user)
    await session.flush()
    return user


async def seed_canvas(
    db: Database, hasher: PasswordHasher, args: argparse.Namespace
) -> tuple[int, int]:
    """Creates the canvas and its tiles; returns (canvas id, tile count)."""
    async with db.transaction() as session:
        owner = await owner_for(session, hasher, args.owner, args.password)
        canvas = Canvas(
            name=args.name, width=args.width, height=args.height, tile_size=args.tile_size,
            max_tiles_per_user=args.width * args.height, owner_id=owner.id,
        )
        session.add(canvas)
        await session.flush()
        canvas_id, owner_id = canvas.id, owner.id
    picture = palette_picture(args.width * args.tile_size, args.height * args.tile_size)
    now = utcnow()
    batch: list[dict[str, Any]] = []
    count = 0
    for x, y, pixels in tiles_of(picture, args.tile_size):
        batch.append({"canvas_id": canvas_id, "x": x, "y": y, "pixels": pixels,
                      "creator_id": owner_id, "version": 1, "like_count": 0,
                      "created_at": now, "updated_at": now})
        if len(batch) >= BATCH:
            count += await _insert(db, batch)
            batch = []
    if batch:
        count += await _insert(db, batch)
    return canvas_id, count


async def _insert(db: Database, rows: list[dict[str, Any]]) -> int:
    async with db.transaction() as session:
        await session.execute(insert(Tile), rows)
    return len(rows)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.resolved_database_url())
    hasher = PasswordHasher(
        settings.password_hash_time_cost, settings.password_hash_memory_kib,
        settings.password_hash_parallelism, 1,
    )
    started = time.perf_counter()
    try:
        canvas_id, count = await seed_canvas(db, hasher, args)
        seeded = time.perf_counter()
        images = RegionImageService(db, ChunkStore(settings.data_dir / "cache" / "regions"))
        regions = await images.warm_overview(canvas_id)
    finally:
        await db.dispose()
    print(f"canvas {canvas_id}: {count} tiles in {seeded - started:.1f} s,"
          f" overview of {regions} regions drawn in {time.perf_counter() - seeded:.1f} s")
    return 0
