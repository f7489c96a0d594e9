"""Canvas access for socket admission, read in batches: the sockets arriving together on
a canvas (a storm of arrivals) share three queries (the canvases, the memberships and
the bans of every user in the batch) instead of one round trip each, and the canvas is
kept as one small record per batch instead of an ORM object per user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from stellarcollab.db.engine import Database
from stellarcollab.db.models import Canvas, CanvasMember
from stellarcollab.db.moderation import CanvasSanction
from stellarcollab.services.batch_reads import BatchReader
from stellarcollab.services.sanctions import BAN

#: (canvas id, user id)
AccessKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class CanvasRecord:
    """What admission and a socket need of a canvas."""

    id: int
    width: int
    height: int
    owner_id: int
    visibility: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class CanvasAccess:
    """One user's standing on one canvas, as stored."""

    canvas: CanvasRecord
    is_member: bool
    #: the user is banned here (``ban_until`` None: until lifted)
    banned: bool
    ban_until: datetime | None


class CanvasAccessReader:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._reads: BatchReader[AccessKey, CanvasAccess] = BatchReader(self._query)

    async def read(self, canvas_id: int, user_id: int) -> CanvasAccess | None:
        """None when the canvas does not exist."""
        return await self._reads.read((canvas_id, user_id))

    async def _query(self, keys: list[AccessKey]) -> dict[AccessKey, CanvasAccess]:
        canvas_ids = {canvas_id for canvas_id, _ in keys}
        user_ids = {user_id for _, user_id in keys}
        async with self.db.read() as session:
            canvases = (await session.execute(
                select(Canvas.id, Canvas.width, Canvas.height, Canvas.owner_id,
                       Canvas.visibility, Canvas.is_active)
                .where(Canvas.id.in_(canvas_ids)))).all()
            members = (await session.execute(
                select(CanvasMember.canvas_id, CanvasMember.user_id)
                .where(CanvasMember.canvas_id.in_(canvas_ids),
                       CanvasMember.user_id.in_(user_ids)))).all()
            bans = (await session.execute(
                select(CanvasSanction.canvas_id, CanvasSanction.user_id, CanvasSanction.until)
                .where(CanvasSanction.kind == BAN, CanvasSanction.canvas_id.in_(canvas_ids),
                       CanvasSanction.user_id.in_(user_ids)))).all()
        records = {int(row[0]): CanvasRecord(int(row[0]), int(row[1]), int(row[2]),
                                             int(row[3]), str(row[4]), bool(row[5]))
                   for row in canvases}
        member_of = {(int(row[0]), int(row[1])) for row in members}
        banned = {(int(row[0]), int(row[1])): row[2] for row in bans}
        found: dict[AccessKey, CanvasAccess] = {}
        for key in keys:
            record = records.get(key[0])
            if record is not None:
                found[key] = CanvasAccess(record, key in member_of, key in banned,
                                          banned.get(key))
        return found
