"""Canvas access for socket admission, read in batches: the sockets arriving together on
a canvas (a storm of arrivals) share one query (each canvas with each user of the batch,
their membership and ban) instead of one round trip each, and the canvas is kept as one
small record per batch instead of an ORM object per user."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, select

from stellarcollab.db.engine import Database
from stellarcollab.db.key_reads import AnySelect, KeysIn
from stellarcollab.db.models import Canvas, CanvasMember, User
from stellarcollab.db.moderation import CanvasSanction
from stellarcollab.services.batch_reads import ARRIVAL_READ_PACE, BatchReader
from stellarcollab.services.sanctions import BAN
from stellarcollab.wire.client import CanvasBounds

#: (canvas id, user id)
AccessKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class CanvasRecord:
    """What admission and a socket need of a canvas; the sockets admitted with one read
    share it, and its ``bounds`` (not one copy per socket)."""

    id: int
    width: int
    height: int
    owner_id: int
    visibility: str
    is_active: bool
    bounds: CanvasBounds = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bounds", CanvasBounds(self.id, self.width, self.height))


@dataclass(frozen=True, slots=True)
class CanvasAccess:
    """One user's standing on one canvas, as stored."""

    canvas: CanvasRecord
    is_member: bool
    #: the user is banned here (``ban_until`` None: until lifted)
    banned: bool
    ban_until: datetime | None


def access(keys_in: KeysIn) -> AnySelect:
    """Every (canvas, user) pair of ``canvas_ids`` and ``user_ids``, with the user's
    membership and ban."""
    return (
        select(Canvas.id, Canvas.width, Canvas.height, Canvas.owner_id, Canvas.visibility,
               Canvas.is_active, User.id, CanvasMember.user_id, CanvasSanction.kind,
               CanvasSanction.until)
        .select_from(Canvas)
        .join(User, keys_in(User.id, "user_ids"))
        .outerjoin(CanvasMember, and_(CanvasMember.canvas_id == Canvas.id,
                                      CanvasMember.user_id == User.id))
        .outerjoin(CanvasSanction, and_(CanvasSanction.canvas_id == Canvas.id,
                                        CanvasSanction.user_id == User.id,
                                        CanvasSanction.kind == BAN))
        .where(keys_in(Canvas.id, "canvas_ids"))
    )


class CanvasAccessReader:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._reads: BatchReader[AccessKey, CanvasAccess] = BatchReader(
            self._query, pace=ARRIVAL_READ_PACE)
        self._access = db.key_reads.prepare(access)

    def request(self, canvas_id: int, user_id: int) -> asyncio.Future[CanvasAccess | None]:
        """The canvas and the user's access to it (None when the canvas does not exist),
        asked now and awaited later, beside the account's read."""
        return self._reads.request((canvas_id, user_id))

    async def _query(self, keys: list[AccessKey]) -> dict[AccessKey, CanvasAccess]:
        canvas_ids = list({canvas_id for canvas_id, _ in keys})
        user_ids = list({user_id for _, user_id in keys})
        rows = await self._access.fetch(canvas_ids=canvas_ids, user_ids=user_ids)
        records: dict[int, CanvasRecord] = {}
        found: dict[AccessKey, CanvasAccess] = {}
        for row in rows:
            canvas_id = int(row[0])
            record = records.get(canvas_id)
            if record is None:
                record = records[canvas_id] = CanvasRecord(
                    canvas_id, int(row[1]), int(row[2]), int(row[3]), str(row[4]),
                    bool(row[5]))
            found[(canvas_id, int(row[6]))] = CanvasAccess(
                record, row[7] is not None, row[8] is not None, row[9])
        return found
