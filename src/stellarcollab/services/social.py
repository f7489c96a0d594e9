"""The social layer's services, built together: they share the user channel and the
canvas event sink. The runtime owns one; REST routes reach it as ``runtime.social``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from stellarcollab.db.engine import Database
from stellarcollab.services.activity import ActivityService, TileActivity
from stellarcollab.services.announcements import AnnouncementPublisher, AnnouncementService
from stellarcollab.services.batch_reads import VISIT_WRITE_PACE, BatchReader
from stellarcollab.services.blocks import BlockService
from stellarcollab.services.comments import CommentService
from stellarcollab.services.direct_messages import DirectMessageService
from stellarcollab.services.events import EventSink, PublishFailed
from stellarcollab.services.mentions import MentionService
from stellarcollab.services.notifications import NotificationService
from stellarcollab.services.statuses import StatusService
from stellarcollab.services.user_channel import UserChannel
from stellarcollab.services.users import account_stub

log = logging.getLogger(__name__)
VISITED_CACHE_SIZE = 100_000
#: whether a canvas is above the presence detail limit now
Crowded = Callable[[int], bool]


def never_crowded(_canvas_id: int) -> bool:
    return False


class SocialLayer:
    def __init__(self, db: Database, events: EventSink, users: UserChannel,
                 dm_max_length: int, publish_announcement: AnnouncementPublisher) -> None:
        self.users = users
        self.blocks = BlockService(db)
        self.direct_messages = DirectMessageService(db, events, users, dm_max_length)
        self.statuses = StatusService(db)
        self.activity = ActivityService(db, events, users)
        self.tile_activity = TileActivity(events, users)
        self.comments = CommentService(db, events, users)
        self.notifications = NotificationService(db)
        self.mentions = MentionService(db, events, users)
        self.announcements = AnnouncementService(db, publish_announcement)
        #: first visits of sockets opening together, written in one transaction
        self._visits: BatchReader[tuple[int, int], bool] = BatchReader(
            self._record_visits, pace=VISIT_WRITE_PACE)
        self._visiting: dict[tuple[int, int], tuple[dict[str, Any], Crowded]] = {}
        #: (canvas, user) pairs this process knows have visited, so a rejoin costs nothing
        self._visited: set[tuple[int, int]] = set()

    async def _record_visits(self, keys: list[tuple[int, int]]) -> dict[tuple[int, int], bool]:
        visits = []
        for key in keys:
            user, crowded = self._visiting.pop(key)
            visits.append((key[0], account_stub(key[1], user["username"],
                                                user["display_name"]), not crowded(key[0])))
        return await self.activity.note_visits(visits)

    async def on_socket_open(self, canvas_id: int | None, user: dict[str, Any],
                             send: Callable[[dict[str, Any]], None],
                             crowded: Crowded = never_crowded) -> None:
        """A socket opened (a canvas socket's ``canvas_state`` is sent): ``send`` it the
        open announcements at once; on a canvas, then record the user's first visit
        (announced on the canvas as an ``activity``, unless the canvas is ``crowded``
        when the visit is written: above the presence detail limit, arrivals are
        counted, not announced one by one; a crowd's first visits are written together,
        when the canvas may have become crowded meanwhile)."""
        for announcement in await self.announcements.active_events(canvas_id):
            send(announcement)
        if canvas_id is None:
            return
        key = (canvas_id, int(user["user_id"]))
        if key in self._visited:
            return
        try:
            self._visiting[key] = (user, crowded)
            await self._visits.read(key)
        except PublishFailed:
            # Stored; only its live event was lost to a broker outage (no traceback: the
            # outage is logged once by the broker).
            log.warning("first visit of user %s stored, not announced: broker unavailable",
                        key[1])
        except Exception:
            # The feed misses one entry; the socket itself is fine.
            log.exception("recording the first visit of user %s failed", key[1])
            return
        if len(self._visited) > VISITED_CACHE_SIZE:
            self._visited.clear()
        self._visited.add(key)
