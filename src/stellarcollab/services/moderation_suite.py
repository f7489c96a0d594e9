"""The moderation and administration services, built together for the runtime."""

from __future__ import annotations

from stellarcollab.db.engine import Database
from stellarcollab.services.access import AccessControl
from stellarcollab.services.admin_users import AdminUserService
from stellarcollab.services.audit import AuditService
from stellarcollab.services.broadcast import BroadcastService
from stellarcollab.services.chat_deletion import ChatDeletionService
from stellarcollab.services.events import EventSink
from stellarcollab.services.moderation import ModerationService
from stellarcollab.services.reports import ReportService
from stellarcollab.services.tile_cleanup import TileCleanupService
from stellarcollab.services.tile_versions import TileVersionService


class ModerationSuite:
    def __init__(self, db: Database, events: EventSink, access: AccessControl) -> None:
        self.actions = ModerationService(db, events, access)
        self.chat_deletion = ChatDeletionService(db, events)
        self.tile_versions = TileVersionService(db, events)
        self.tile_cleanup = TileCleanupService(db, events)
        self.reports = ReportService(db, events)
        self.admin_users = AdminUserService(db, access)
        self.audit = AuditService(db)
        self.broadcast = BroadcastService(db, events)
