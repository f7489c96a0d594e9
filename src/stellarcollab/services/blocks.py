"""Blocking: a block stops direct messages between the two users, in both directions,
and hides nothing else."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.db.engine import Database
from stellarcollab.db.models import User
from stellarcollab.db.social import UserBlock
from stellarcollab.db.types import fits_int_column
from stellarcollab.services.errors import Forbidden, Invalid, NotFound

USER_NOT_FOUND = "User not found"


class Blocked(Forbidden):
    ws_code = "blocked"


async def load_active_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id) if fits_int_column(user_id) else None
    if user is None or not user.is_active:
        raise NotFound(USER_NOT_FOUND)
    return user


async def is_blocked_between(session: AsyncSession, a: int, b: int) -> bool:
    found = await session.scalar(select(UserBlock.blocker_id).where(or_(
        (UserBlock.blocker_id == a) & (UserBlock.blocked_id == b),
        (UserBlock.blocker_id == b) & (UserBlock.blocked_id == a),
    )).limit(1))
    return found is not None


class BlockService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def block(self, user: User, target_id: int) -> dict[str, object]:
        if target_id == user.id:
            raise Invalid("You cannot block yourself")
        try:
            async with self.db.transaction() as session:
                await load_active_user(session, target_id)
                if await session.get(UserBlock, (user.id, target_id)) is None:
                    session.add(UserBlock(blocker_id=user.id, blocked_id=target_id))
        except IntegrityError:
            pass  # a concurrent identical block: the state asked for holds
        return {"user_id": target_id, "blocked": True}

    async def unblock(self, user: User, target_id: int) -> None:
        async with self.db.transaction() as session:
            removed = await session.scalar(
                delete(UserBlock)
                .where(UserBlock.blocker_id == user.id, UserBlock.blocked_id == target_id)
                .returning(UserBlock.blocked_id)
            ) if fits_int_column(target_id) else None
        if removed is None:
            raise NotFound("Block not found")

    async def blocked_ids(self, user: User) -> list[int]:
        async with self.db.read() as session:
            rows = await session.scalars(
                select(UserBlock.blocked_id).where(UserBlock.blocker_id == user.id)
                .order_by(UserBlock.created_at))
            return list(rows)
