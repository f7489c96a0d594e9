"""Direct messages: one-to-one, persisted before delivery, paged, with read markers.

Each message goes live to every socket of both users (the sender's copy is its ack); a
recipient with no socket open anywhere gets a (grouped) notification instead of nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stellarcollab.db.engine import Database
from stellarcollab.db.models import User
from stellarcollab.db.social import DirectMessage, DirectMessageRead, Notification
from stellarcollab.services.blocks import Blocked, is_blocked_between, load_active_user
from stellarcollab.services.errors import Invalid
from stellarcollab.services.events import EventSink
from stellarcollab.services.notifications import record_notification
from stellarcollab.services.outbox import Outbox
from stellarcollab.services.social_views import actor_view, direct_message_view
from stellarcollab.services.text_rules import checked
from stellarcollab.services.user_channel import UserChannel
from stellarcollab.wire import rules
from stellarcollab.wire import social as wire

BLOCKED = "Direct messages between these users are blocked"


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


class DirectMessageService:
    def __init__(self, db: Database, events: EventSink, users: UserChannel,
                 max_length: int) -> None:
        self.db = db
        self.events = events
        self.users = users
        self.max_length = max_length

    async def send(self, sender: User, recipient_id: int, text: str) -> dict[str, Any]:
        cleaned = checked(lambda t: rules.chat_text(t, self.max_length), text, "Message text")
        if recipient_id == sender.id:
            raise Invalid("You cannot message yourself")
        outbox = Outbox()
        async with self.db.transaction() as session:
            await load_active_user(session, recipient_id)
            if await is_blocked_between(session, sender.id, recipient_id):
                raise Blocked(BLOCKED)
            low, high = _pair(sender.id, recipient_id)
            message = DirectMessage(sender_id=sender.id, recipient_id=recipient_id,
                                    pair_low=low, pair_high=high, text=cleaned)
            session.add(message)
            await session.flush()
            view = direct_message_view(message, sender)
            if not await self.users.is_connected(recipient_id):
                await record_notification(
                    session, outbox, recipient_id=recipient_id, kind="direct_message",
                    actor=sender, group_key=f"user:{sender.id}", message_id=str(message.id))
        event = wire.direct_message(**view)
        await self.users.send(sender.id, event)
        await self.users.send(recipient_id, event)
        await outbox.send(self.events, self.users)
        return view

    async def history(self, user: User, peer_id: int, limit: int,
                      before: int | None) -> dict[str, Any]:
        async with self.db.read() as session:
            peer = await load_active_user(session, peer_id)
            low, high = _pair(user.id, peer.id)
            query = select(DirectMessage).where(
                DirectMessage.pair_low == low, DirectMessage.pair_high == high)
            if before is not None:
                query = query.where(DirectMessage.id < min(before, 2**31 - 1))
            rows = list(await session.scalars(
                query.order_by(DirectMessage.id.desc()).limit(limit + 1)))
            peer_read = await self._read_marker(session, peer.id, user.id)
        senders = {user.id: user, peer.id: peer}
        page = rows[:limit]
        return {
            "items": [direct_message_view(m, senders[m.sender_id]) for m in reversed(page)],
            "has_more": len(rows) > limit,
            "peer_read_up_to": peer_read,
        }

    async def mark_read(self, user: User, peer_id: int, up_to: int) -> dict[str, Any]:
        """Advance the user's read marker of the conversation (never backwards), tell both
        users, and return what is still unread."""
        async with self.db.transaction() as session:
            peer = await load_active_user(session, peer_id)
            latest = await session.scalar(select(func.max(DirectMessage.id)).where(
                DirectMessage.sender_id == peer.id, DirectMessage.recipient_id == user.id,
                DirectMessage.id <= up_to))
            marker = await session.get(DirectMessageRead, (user.id, peer.id))
            if marker is None:
                marker = DirectMessageRead(user_id=user.id, peer_id=peer.id, up_to_message_id=0)
                session.add(marker)
            marker.up_to_message_id = max(marker.up_to_message_id, latest or 0)
            reached = marker.up_to_message_id
            # Reading the conversation also reads what notified of it.
            await session.execute(update(Notification).where(
                Notification.user_id == user.id, Notification.kind == "direct_message",
                Notification.group_key == f"user:{peer.id}").values(is_read=True))
            unread = await self._unread_from(session, user.id, peer.id, reached)
        event = wire.direct_message_read(user_id=user.id, peer_id=peer.id,
                                         up_to_message_id=reached)
        await self.users.send(peer.id, event)
        await self.users.send(user.id, event)
        return {"user_id": user.id, "peer_id": peer.id, "up_to_message_id": reached,
                "unread_count": unread}

    async def conversations(self, user: User) -> dict[str, Any]:
        """Every conversation of the user, newest first, with its last message and how
        many of the peer's messages the user has not read."""
        async with self.db.read() as session:
            latest_ids = list(await session.scalars(
                select(func.max(DirectMessage.id))
                .where(or_(DirectMessage.pair_low == user.id, DirectMessage.pair_high == user.id))
                .group_by(DirectMessage.pair_low, DirectMessage.pair_high)))
            messages = list(await session.scalars(
                select(DirectMessage).where(DirectMessage.id.in_(latest_ids))
                .order_by(DirectMessage.id.desc())))
            items = [await self._conversation(session, user, m) for m in messages]
        return {"items": items, "unread_total": sum(i["unread_count"] for i in items)}

    async def _conversation(self, session: AsyncSession, user: User,
                            last: DirectMessage) -> dict[str, Any]:
        peer_id = last.recipient_id if last.sender_id == user.id else last.sender_id
        peer = await session.get(User, peer_id)
        assert peer is not None  # messages cascade away with their users
        marker = await self._read_marker(session, user.id, peer_id)
        return {
            "user": actor_view(peer),
            "last_message": direct_message_view(last, user if last.sender_id == user.id
                                                else peer),
            "unread_count": await self._unread_from(session, user.id, peer_id, marker),
            "read_up_to": marker,
        }

    async def _read_marker(self, session: AsyncSession, user_id: int, peer_id: int) -> int:
        marker = await session.get(DirectMessageRead, (user_id, peer_id))
        return marker.up_to_message_id if marker else 0

    async def _unread_from(self, session: AsyncSession, user_id: int, peer_id: int,
                           read_up_to: int) -> int:
        count = await session.scalar(select(func.count(DirectMessage.id)).where(and_(
            DirectMessage.sender_id == peer_id, DirectMessage.recipient_id == user_id,
            DirectMessage.id > read_up_to)))
        return int(count or 0)
