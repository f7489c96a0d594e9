"""Tile comments: anyone who may see a tile comments on it; the author, the tile's
creator, the canvas owner and admins delete. A comment writes its activity entry and
notifies the tile's creator in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import User
from stellarcollab.db.social import TileComment
from stellarcollab.db.types import fits_int_column
from stellarcollab.services.activity import record_activity
from stellarcollab.services.errors import Forbidden, NotFound
from stellarcollab.services.events import EventSink
from stellarcollab.services.notifications import record_notification
from stellarcollab.services.outbox import Outbox
from stellarcollab.services.sanctions import ensure_may_chat
from stellarcollab.services.social_views import comment_view
from stellarcollab.services.text_rules import checked
from stellarcollab.services.tile_access import load_visible_tile
from stellarcollab.services.user_channel import UserChannel
from stellarcollab.wire import rules
from stellarcollab.wire import social as wire

COMMENT_NOT_FOUND = "Comment not found"
NOT_COMMENT_MODERATOR = (
    "Only the comment's author, the tile's creator or the canvas owner can delete it")


class CommentService:
    def __init__(self, db: Database, events: EventSink, users: UserChannel) -> None:
        self.db = db
        self.events = events
        self.users = users

    async def add(self, author: User, tile_id: int, text: str) -> dict[str, Any]:
        cleaned = checked(rules.comment_text, text, "Comment text")
        outbox = Outbox()
        async with self.db.transaction() as session:
            # Holding the tile row orders concurrent comments of one tile, so their
            # notification merges one after the other.
            tile, _canvas = await load_visible_tile(session, author, tile_id, lock=True)
            await ensure_may_chat(session, tile.canvas_id, author.id)  # muted or banned
            comment = TileComment(tile_id=tile.id, canvas_id=tile.canvas_id,
                                  author_id=author.id, text=cleaned)
            session.add(comment)
            await session.flush()
            view = comment_view(comment, author)
            outbox.to_canvas(tile.canvas_id, wire.tile_comment(**view))
            await record_activity(session, outbox, tile.canvas_id, author, "tile_comment",
                                  tile.id)
            await record_notification(
                session, outbox, recipient_id=tile.creator_id, kind="tile_comment",
                actor=author, group_key=f"tile:{tile.id}", canvas_id=tile.canvas_id,
                tile_id=tile.id, message_id=str(comment.id))
        await outbox.send(self.events, self.users)
        return view

    async def list_for_tile(self, viewer: User, tile_id: int, limit: int,
                            before: int | None) -> dict[str, Any]:
        async with self.db.read() as session:
            await load_visible_tile(session, viewer, tile_id)
            query = (select(TileComment, User).join(User, User.id == TileComment.author_id)
                     .where(TileComment.tile_id == tile_id))
            if before is not None:
                query = query.where(TileComment.id < min(before, 2**31 - 1))
            rows = (await session.execute(
                query.order_by(TileComment.id.desc()).limit(limit + 1))).all()
        page = rows[:limit]
        return {"items": [comment_view(c, u) for c, u in reversed(page)],
                "has_more": len(rows) > limit}

    async def delete(self, user: User, comment_id: int) -> None:
        async with self.db.transaction() as session:
            comment = (await session.get(TileComment, comment_id)
                       if fits_int_column(comment_id) else None)
            if comment is None:
                raise NotFound(COMMENT_NOT_FOUND)
            try:
                tile, canvas = await load_visible_tile(session, user, comment.tile_id)
            except NotFound as exc:
                raise NotFound(COMMENT_NOT_FOUND) from exc
            allowed = (comment.author_id, tile.creator_id, canvas.owner_id)
            if user.id not in allowed and not user.is_admin:
                raise Forbidden(NOT_COMMENT_MODERATOR)
            await session.execute(delete(TileComment).where(TileComment.id == comment_id))
        await self.events.publish(canvas.id, wire.tile_comment_deleted(
            comment_id=comment_id, tile_id=tile.id, canvas_id=canvas.id))
