"""The social layer's services, built together: they share the user channel and the
canvas event sink. The runtime owns one; REST routes reach it as ``runtime.social``."""

from __future__ import annotations

from stellarcollab.db.engine import Database
from stellarcollab.services.activity import ActivityService, TileActivity
from stellarcollab.services.announcements import AnnouncementPublisher, AnnouncementService
from stellarcollab.services.blocks import BlockService
from stellarcollab.services.comments import CommentService
from stellarcollab.services.direct_messages import DirectMessageService
from stellarcollab.services.events import EventSink
from stellarcollab.services.mentions import MentionService
from stellarcollab.services.notifications import NotificationService
from stellarcollab.services.statuses import StatusService
from stellarcollab.services.user_channel import UserChannel


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
