"""A migrated database and a few rows to read and write: three users (the first an
admin), a canvas of the first, a token cutoff for the second and a ban of the third."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy import select

from stellarcollab.db.engine import Database
from stellarcollab.db.migrate import upgrade
from stellarcollab.db.models import Canvas, User
from stellarcollab.db.moderation import CanvasSanction, TokenCutoff


async def migrated_database(url: str) -> Database:
    await asyncio.to_thread(upgrade, url)
    return Database(url)


async def seed_users(db: Database) -> list[int]:
    async with db.transaction() as session:
        users = [User(username=f"k{n}", username_key=f"k{n}", email=f"k{n}@example.com",
                      password_hash="x", display_name=f"K {n}", is_admin=n == 0)
                 for n in range(3)]
        session.add_all(users)
        await session.flush()
        owner = users[0].id
        canvas = Canvas(name="c", owner_id=owner)
        session.add(canvas)
        await session.flush()
        session.add(TokenCutoff(user_id=users[1].id, not_before=1_700_000_000.5))
        session.add(CanvasSanction(canvas_id=canvas.id, user_id=users[2].id, kind="ban",
                                   until=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
                                   by_user_id=owner))
        return [u.id for u in users]


@asynccontextmanager
async def seeded_database(url: str) -> AsyncIterator[tuple[Database, list[int], int]]:
    """A migrated database with the rows of ``seed_users``: the database, the users' ids
    and the canvas's; disposed of afterwards."""
    db = await migrated_database(url)
    try:
        ids = await seed_users(db)
        async with db.read() as session:
            canvas = int(await session.scalar(select(Canvas.id)) or 0)
        yield db, ids, canvas
    finally:
        await db.dispose()
