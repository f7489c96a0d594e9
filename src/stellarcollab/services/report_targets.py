"""What a report can point at: a chat message, a tile, a tile comment or a user.

Each resolver checks that the target exists and that the reporter may see it, and says
which canvas it belongs to (None for a user) and how to show it to a moderator.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.db.models import Base, ChatMessage, Tile, User
from stellarcollab.db.types import fits_int_column
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.errors import Forbidden, Invalid, NotFound

TARGET_TYPES = ("message", "tile", "comment", "user")
COMMENT_TABLES = ("tile_comments", "comments")


@dataclass(frozen=True, slots=True)
class Target:
    target_type: str
    target_id: str
    canvas_id: int | None
    summary: str


Resolver = Callable[[AsyncSession, User, str], Awaitable[Target]]


def _int_id(raw: str, what: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise NotFound(f"{what} not found") from None
    if not fits_int_column(value):
        raise NotFound(f"{what} not found")
    return value


async def _visible_canvas(session: AsyncSession, canvas_id: int, user: User, what: str) -> None:
    try:
        await load_canvas(session, canvas_id, user)
    except (NotFound, Forbidden):
        raise NotFound(f"{what} not found") from None


async def _message(session: AsyncSession, user: User, raw: str) -> Target:
    message = await session.scalar(select(ChatMessage).where(ChatMessage.id == raw[:36]))
    if message is None:
        raise NotFound("Message not found")
    await _visible_canvas(session, message.canvas_id, user, "Message")
    return Target("message", message.id, message.canvas_id, message.text[:200])


async def _tile(session: AsyncSession, user: User, raw: str) -> Target:
    tile = await session.get(Tile, _int_id(raw, "Tile"))
    if tile is None:
        raise NotFound("Tile not found")
    await _visible_canvas(session, tile.canvas_id, user, "Tile")
    return Target("tile", str(tile.id), tile.canvas_id, f"tile ({tile.x}, {tile.y})")


async def _user(session: AsyncSession, _reporter: User, raw: str) -> Target:
    target = await session.get(User, _int_id(raw, "User"))
    if target is None:
        raise NotFound("User not found")
    return Target("user", str(target.id), None, target.username)


async def _comment(session: AsyncSession, user: User, raw: str) -> Target:
    """Tile comments belong to the social layer; their table is used when it exists."""
    table = next((Base.metadata.tables[n] for n in COMMENT_TABLES
                  if n in Base.metadata.tables), None)
    if table is None or "tile_id" not in table.c:
        raise NotFound("Comment not found")
    row = (await session.execute(select(table).where(
        table.c.id == _int_id(raw, "Comment")))).mappings().first()
    if row is None:
        raise NotFound("Comment not found")
    tile = await session.get(Tile, row["tile_id"])
    if tile is None:
        raise NotFound("Comment not found")
    await _visible_canvas(session, tile.canvas_id, user, "Comment")
    text = str(row.get("text", row.get("body", "")))
    return Target("comment", str(row["id"]), tile.canvas_id, text[:200])


RESOLVERS: dict[str, Resolver] = {
    "message": _message, "tile": _tile, "comment": _comment, "user": _user,
}


async def resolve_target(session: AsyncSession, user: User, target_type: str,
                         target_id: str) -> Target:
    resolver = RESOLVERS.get(target_type)
    if resolver is None:
        raise Invalid(f"target_type must be one of {', '.join(TARGET_TYPES)}")
    return await resolver(session, user, target_id)
