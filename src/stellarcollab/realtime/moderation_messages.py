"""Applies the socket's moderation messages (``moderation``, ``report``,
``admin_broadcast``) through the same services as REST.

The actor is read from the database for each of these messages (rare ones): admin rights
and deactivation are decided on the account as it is now, not as it was at connect.
"""

from __future__ import annotations

from stellarcollab.db.models import User
from stellarcollab.realtime.connection import Connection
from stellarcollab.services.errors import Unauthorized
from stellarcollab.services.moderation_suite import ModerationSuite
from stellarcollab.services.users import UserService
from stellarcollab.wire.client import ClientCommand
from stellarcollab.wire.errors import ProtocolError
from stellarcollab.wire.moderation import (
    AdminBroadcastCommand,
    ModerationCommand,
    ReportCommand,
    report_filed,
)


class ModerationMessages:
    def __init__(self, users: UserService, suite: ModerationSuite) -> None:
        self.users = users
        self.suite = suite

    async def apply(self, connection: Connection, command: ClientCommand) -> bool:
        """Apply ``command`` if it is one of these; False when it is not."""
        if isinstance(command, ModerationCommand):
            if connection.canvas_id is None:
                raise ProtocolError("invalid_message", "'moderation' is sent on a canvas "
                                    "socket, not the user socket", command.request_type)
            await self.suite.actions.apply(
                await self._actor(connection), connection.canvas_id, command.action,
                command.user_id, command.duration_s, command.reason)
        elif isinstance(command, ReportCommand):
            report = await self.suite.reports.create(
                await self._actor(connection), command.target_type, command.target_id,
                command.reason)
            connection.send_event(report_filed(report=report))
        elif isinstance(command, AdminBroadcastCommand):
            await self.suite.broadcast.send(
                await self._actor(connection), command.text, command.level, command.canvas_id)
        else:
            return False
        return True

    async def _actor(self, connection: Connection) -> User:
        user = await self.users.get(connection.user_id)
        if user is None or not user.is_active:
            raise Unauthorized("Could not validate credentials")
        return user
