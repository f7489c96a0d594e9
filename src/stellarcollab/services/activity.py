"""The activity feed: entries written inside the transaction of the change they record
(tile created/updated/deleted/liked, tile comment, a user's first visit to a canvas),
announced live on the canvas after commit, paged newest first per canvas and per user.
Repeated redraws of one tile by one user within ``REDRAW_WINDOW`` are one entry, so a
painting session does not flood the feed (nor the canvas with events)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Integer, Table, bindparam, literal, null, or_, select
from sqlalchemy import cast as cast_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, CanvasMember, Tile, User
from stellarcollab.db.prepared import Prepared
from stellarcollab.db.social import Activity, CanvasVisit
from stellarcollab.db.types import UTCDateTime, fits_int_column, utcnow
from stellarcollab.services.canvases import load_canvas
from stellarcollab.services.errors import NotFound
from stellarcollab.services.events import EventSink
from stellarcollab.services.notifications import record_notification
from stellarcollab.services.outbox import Outbox
from stellarcollab.services.social_views import activity_view
from stellarcollab.services.user_channel import UserChannel
from stellarcollab.wire import social as wire

REDRAW_WINDOW = timedelta(minutes=5)
KINDS = ("tile_created", "tile_updated", "tile_deleted", "tile_liked", "tile_comment",
         "user_joined")


async def record_activity(
    session: AsyncSession, outbox: Outbox, canvas_id: int, actor: User, kind: str,
    tile_id: int | None = None,
) -> Activity:
    activity = Activity(canvas_id=canvas_id, actor_id=actor.id, kind=kind, tile_id=tile_id)
    session.add(activity)
    await session.flush()
    outbox.to_canvas(canvas_id, wire.activity(**activity_view(activity, actor)))
    return activity


async def _redrawn_lately(session: AsyncSession, tile: Tile, actor: User) -> bool:
    found = await session.scalar(select(Activity.id).where(
        Activity.actor_id == actor.id, Activity.tile_id == tile.id,
        Activity.kind == "tile_updated", Activity.created_at >= utcnow() - REDRAW_WINDOW,
    ).limit(1))
    return found is not None


def visible_canvases(viewer: User) -> ColumnElement[bool]:
    """Canvases ``viewer`` may see: a user's feed never leaks a private canvas."""
    visible: ColumnElement[bool] = Canvas.is_active.is_(True)
    if viewer.is_admin:
        return visible
    member_of = select(CanvasMember.canvas_id).where(CanvasMember.user_id == viewer.id)
    return visible & or_(Canvas.visibility == "public", Canvas.owner_id == viewer.id,
                         Canvas.id.in_(member_of))


class TileActivity:
    """What a tile change writes beside itself: an activity entry and, for a like, a
    notification to the tile's creator. Called by the tile service inside its
    transaction; ``send`` runs after the commit."""

    def __init__(self, events: EventSink, users: UserChannel) -> None:
        self.events = events
        self.users = users

    async def record(self, session: AsyncSession, outbox: Outbox, kind: str, tile: Tile,
                     actor: User) -> None:
        if kind == "tile_updated" and await _redrawn_lately(session, tile, actor):
            return
        await record_activity(session, outbox, tile.canvas_id, actor, kind, tile.id)
        if kind == "tile_liked":
            await record_notification(
                session, outbox, recipient_id=tile.creator_id, kind="tile_liked", actor=actor,
                group_key=f"tile:{tile.id}", canvas_id=tile.canvas_id, tile_id=tile.id)

    async def send(self, outbox: Outbox) -> None:
        await outbox.send(self.events, self.users)


class VisitStatements(NamedTuple):
    """The statements that write a batch of first visits, each pair list bound as one
    value (``LeanWrites.rows_from``), built once."""

    #: visits of the (canvas, user) ``pairs`` that went in (one stored already: nothing)
    visits: Prepared
    #: the feed entries of ``pairs``: (id, canvas, user) of each
    entries: Prepared


def visit_statements(db: Database) -> VisitStatements:
    visits, entries = cast(Table, CanvasVisit.__table__), cast(Table, Activity.__table__)
    writes = db.lean_writes
    pairs = writes.rows_from("pairs", (Integer(), Integer()))
    now = bindparam("now", type_=UTCDateTime())
    return VisitStatements(
        writes.prepare(
            db.insert(visits).from_select(["canvas_id", "user_id", "created_at"],
                                          pairs.add_columns(now))
            .on_conflict_do_nothing(index_elements=["canvas_id", "user_id"])
            .returning(visits.c.canvas_id, visits.c.user_id)),
        writes.prepare(
            db.insert(entries).from_select(
                ["canvas_id", "actor_id", "kind", "tile_id", "created_at"],
                pairs.add_columns(literal("user_joined"), cast_(null(), Integer), now))
            .returning(entries.c.id, entries.c.canvas_id, entries.c.actor_id)),
    )


class ActivityService:
    def __init__(self, db: Database, events: EventSink, users: UserChannel) -> None:
        self.db = db
        self.events = events
        self.users = users
        self.statements = visit_statements(db)

    async def for_canvas(self, viewer: User, canvas_id: int, limit: int,
                         before: int | None) -> dict[str, Any]:
        async with self.db.read() as session:
            await load_canvas(session, canvas_id, viewer)
            return await self._page(session, Activity.canvas_id == canvas_id, limit, before)

    async def for_user(self, viewer: User, user_id: int, limit: int,
                       before: int | None) -> dict[str, Any]:
        async with self.db.read() as session:
            if not fits_int_column(user_id) or await session.get(User, user_id) is None:
                raise NotFound("User not found")
            shown = Activity.actor_id == user_id
            visible = select(Canvas.id).where(visible_canvases(viewer))
            return await self._page(session, shown & Activity.canvas_id.in_(visible), limit,
                                    before)

    async def _page(self, session: AsyncSession, where: ColumnElement[bool], limit: int,
                    before: int | None) -> dict[str, Any]:
        query = select(Activity, User).join(User, User.id == Activity.actor_id).where(where)
        if before is not None:
            query = query.where(Activity.id < min(before, 2**31 - 1))
        rows = (await session.execute(
            query.order_by(Activity.id.desc()).limit(limit + 1))).all()
        return {"items": [activity_view(a, u) for a, u in rows[:limit]],
                "has_more": len(rows) > limit}

    async def note_visits(
        self, visits: list[tuple[int, User, bool]]
    ) -> dict[tuple[int, int], bool]:
        """``note_visit`` for many (canvas, user, announce) at once, in one transaction of
        a few multi-row statements: a storm of new users arriving writes their first
        visits together.
        The visits are inserted with ``ON CONFLICT DO NOTHING`` (another socket or process
        may record the same visit at the same time: the primary key decides), and only
        the rows that went in get their feed entry. Which were first, by (canvas id,
        user id)."""
        wanted = {(canvas_id, user.id): (user, announce) for canvas_id, user, announce in visits}
        now = utcnow()
        statements = self.statements
        async with self.db.lean_writes.transaction() as transaction:
            firsts = {(int(row[0]), int(row[1])) for row in await transaction.fetch(
                statements.visits, pairs=list(wanted), now=now)}
            entered = [key for key in wanted if key in firsts]
            written = await transaction.fetch(statements.entries, pairs=entered,
                                              now=now) if entered else []
        ids = {(int(row[1]), int(row[2])): int(row[0]) for row in written
               if wanted[(int(row[1]), int(row[2]))][1]}
        outbox = Outbox()
        for (canvas_id, user_id), activity_id in ids.items():
            actor = wanted[(canvas_id, user_id)][0]
            entry = Activity(id=activity_id, canvas_id=canvas_id, actor_id=user_id,
                             kind="user_joined", tile_id=None, created_at=now)
            outbox.to_canvas(canvas_id, wire.activity(**activity_view(entry, actor)))
        await outbox.send(self.events, self.users)
        return {key: key in firsts for key in wanted}

    async def note_visit(self, canvas_id: int, user: User, announce: bool = True) -> bool:
        """Record the user's first arrival on the canvas (once, even across processes);
        True when this call was the first. ``announce=False`` (a crowded canvas) keeps the
        entry for the feed without telling every socket on the canvas of it."""
        firsts = await self.note_visits([(canvas_id, user, announce)])
        return firsts[(canvas_id, user.id)]
