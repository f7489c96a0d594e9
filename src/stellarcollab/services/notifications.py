"""Notifications: stored per recipient, grouped, read/unread, delivered live to the user.

Grouping rule: a like on a tile, a comment on a tile, or a direct message from one sender
merges into the recipient's newest *unread* notification of the same kind and target
(the tile; the sender) when that one changed within ``GROUP_WINDOW``. The merged
notification keeps its id, counts one more, names the newest actor first and keeps the
three latest distinct actors; it is sent live again so a page updates it in place.
Mentions never merge. Nobody is notified of their own action.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.db.engine import Database
from stellarcollab.db.models import User
from stellarcollab.db.social import Notification
from stellarcollab.db.types import fits_int_column, utcnow
from stellarcollab.services.outbox import Outbox
from stellarcollab.services.social_views import notification_view
from stellarcollab.wire import social as wire

GROUP_WINDOW = timedelta(minutes=10)
GROUPED_KINDS = frozenset({"tile_liked", "tile_comment", "direct_message"})
RECENT_ACTORS = 3


def _actor_ids(notification: Notification) -> list[int]:
    return [int(part) for part in notification.recent_actor_ids.split(",") if part]


async def _merge_target(
    session: AsyncSession, recipient_id: int, kind: str, group_key: str
) -> Notification | None:
    if kind not in GROUPED_KINDS:
        return None
    return await session.scalar(
        select(Notification)
        .where(
            Notification.user_id == recipient_id,
            Notification.kind == kind,
            Notification.group_key == group_key,
            Notification.is_read.is_(False),
            Notification.updated_at >= utcnow() - GROUP_WINDOW,
        )
        .order_by(Notification.id.desc())
        .limit(1)
        .with_for_update()
    )


async def record_notification(
    session: AsyncSession, outbox: Outbox, *, recipient_id: int, kind: str, actor: User,
    group_key: str, canvas_id: int | None = None, tile_id: int | None = None,
    message_id: str | None = None,
) -> Notification | None:
    """Store (or merge) a notification inside the caller's transaction and queue its
    live event; None when the actor is the recipient."""
    if recipient_id == actor.id:
        return None
    notification = await _merge_target(session, recipient_id, kind, group_key)
    now = utcnow()
    if notification is None:
        notification = Notification(
            user_id=recipient_id, kind=kind, group_key=group_key, actor_id=actor.id,
            recent_actor_ids=str(actor.id), count=1, canvas_id=canvas_id, tile_id=tile_id,
            message_id=message_id, created_at=now, updated_at=now,
        )
        session.add(notification)
    else:
        others = [a for a in _actor_ids(notification) if a != actor.id]
        notification.recent_actor_ids = ",".join(
            str(a) for a in [actor.id, *others][:RECENT_ACTORS])
        notification.actor_id = actor.id
        notification.count += 1
        notification.message_id = message_id or notification.message_id
        notification.updated_at = now
    await session.flush()
    view = notification_view(notification, await _actors(session, notification))
    outbox.to_user(recipient_id, wire.notification(**view))
    return notification


async def _actors(session: AsyncSession, notification: Notification) -> list[User]:
    ids = _actor_ids(notification)
    rows = await session.scalars(select(User).where(User.id.in_(ids)))
    by_id = {user.id: user for user in rows}
    return [by_id[i] for i in ids if i in by_id]


class NotificationService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def page(
        self, user: User, *, unread_only: bool, limit: int, before: int | None
    ) -> dict[str, Any]:
        async with self.db.read() as session:
            query = select(Notification).where(Notification.user_id == user.id)
            if unread_only:
                query = query.where(Notification.is_read.is_(False))
            if before is not None:
                query = query.where(Notification.id < min(before, 2**31 - 1))
            rows = list(await session.scalars(
                query.order_by(Notification.id.desc()).limit(limit + 1)))
            items = [notification_view(n, await _actors(session, n)) for n in rows[:limit]]
            unread = await self._unread_count(session, user.id)
        return {"items": items, "has_more": len(rows) > limit, "unread_count": unread}

    async def mark_read(self, user: User, ids: list[int] | None) -> dict[str, Any]:
        """Mark the listed ids (only the user's own) or, with None, all as read."""
        async with self.db.transaction() as session:
            query = update(Notification).where(
                Notification.user_id == user.id, Notification.is_read.is_(False))
            if ids is not None:
                query = query.where(Notification.id.in_([i for i in ids if fits_int_column(i)]))
            await session.execute(query.values(is_read=True))
            unread = await self._unread_count(session, user.id)
        return {"unread_count": unread}

    async def _unread_count(self, session: AsyncSession, user_id: int) -> int:
        count = await session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.is_read.is_(False)))
        return int(count or 0)
