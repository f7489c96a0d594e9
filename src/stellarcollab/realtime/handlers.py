"""Applies client messages: each parsed command goes to the same service a REST call uses.

Errors become an ``error`` message to the sender and never close the socket; a client
that keeps flooding past its rate limit is closed with 4029.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from stellarcollab.db.models import User
from stellarcollab.db.types import isoformat_z
from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.services.chat import ChatService
from stellarcollab.services.errors import DomainError, NotFound
from stellarcollab.services.locks import LockService
from stellarcollab.services.users import UserService, account_stub
from stellarcollab.services.views import now_iso
from stellarcollab.wire import presence, session
from stellarcollab.wire.client import (
    AuthCommand,
    ChatCommand,
    ClientCommand,
    EditingCommand,
    HeartbeatCommand,
    MentionCommand,
    PingCommand,
    StatusCommand,
    TypingCommand,
    parse_client_message,
)
from stellarcollab.wire.errors import ProtocolError, error

log = logging.getLogger(__name__)

RATE_LIMIT_STRIKES_BEFORE_CLOSE = 50


class MessageHandler:
    def __init__(
        self,
        manager: ConnectionManager,
        users: UserService,
        chat: ChatService,
        locks: LockService,
        chat_max_length: int,
    ) -> None:
        self.manager = manager
        self.users = users
        self.chat = chat
        self.locks = locks
        self.chat_max_length = chat_max_length

    async def handle(self, connection: Connection, raw: str | bytes) -> None:
        if not connection.rate.allow():
            connection.rate_strikes += 1
            if connection.rate_strikes >= RATE_LIMIT_STRIKES_BEFORE_CLOSE:
                connection.close(CloseCode.RATE_LIMITED, "rate limited")
                return
            connection.send_event(ProtocolError(
                "rate_limited", "too many messages; slow down", None).to_event())
            return
        connection.rate_strikes = 0
        request_type: str | None = None
        try:
            command = parse_client_message(raw, connection.bounds, self.chat_max_length)
            request_type = command.request_type
            await self._apply(connection, command)
        except ProtocolError as exc:
            connection.send_event(exc.to_event())
        except DomainError as exc:
            connection.send_event(error(code=exc.ws_code, message=exc.detail,
                                        request_type=request_type,
                                        holder=exc.extra.get("holder")))
        except Exception:
            log.exception("message from connection %s failed", connection.id)
            connection.send_event(ProtocolError(
                "internal_error", "the server failed; the message was not applied",
                request_type).to_event())

    async def _apply(self, connection: Connection, command: ClientCommand) -> None:
        if isinstance(command, ChatCommand):
            await self.chat.send(self._account(connection), connection.canvas_id, command.text,
                                 access_checked=True)
        elif isinstance(command, TypingCommand):
            await self._broadcast_from(connection, presence.user_typing(
                **connection.brief(), is_typing=command.is_typing, timestamp=now_iso()))
        elif isinstance(command, EditingCommand):
            await self._editing(connection, command)
        elif isinstance(command, StatusCommand):
            await self._broadcast_from(connection, presence.status_changed(
                **connection.brief(), status=command.status,
                status_message=command.status_message, timestamp=now_iso()))
        elif isinstance(command, MentionCommand):
            await self._broadcast_from(connection, presence.tile_highlight(
                **connection.brief(), tile_x=command.tile_x, tile_y=command.tile_y,
                highlight_type=command.highlight_type, message=command.message,
                duration=command.duration, timestamp=now_iso()))
        elif isinstance(command, HeartbeatCommand):
            # Its arrival already counted as the socket's activity (keepalive); presence
            # lives as long as the socket, so there is nothing to answer or announce.
            return
        elif isinstance(command, PingCommand):
            connection.send_event(session.pong(timestamp=now_iso(),
                                               request_id=command.request_id))
        elif isinstance(command, AuthCommand):
            await self._reauthenticate(connection, command.token)

    async def _broadcast_from(self, connection: Connection, event: dict[str, Any]) -> None:
        """To everyone on the canvas but the sending connection."""
        await self.manager.broadcast_to_canvas(connection.canvas_id, event,
                                               exclude_connection=connection.id)

    async def _editing(self, connection: Connection, command: EditingCommand) -> None:
        user = self._account(connection)
        if command.is_editing:
            await self.locks.acquire(user, connection.canvas_id, command.tile_x, command.tile_y)
            return
        try:
            await self.locks.release(user, connection.canvas_id, command.tile_x, command.tile_y)
        except NotFound:
            return  # not holding it is already the state asked for

    async def _reauthenticate(self, connection: Connection, token: str) -> None:
        try:
            user, claims = await self.users.user_for_token(token)
        except DomainError:
            raise ProtocolError("unauthorized", "token is invalid, expired or revoked",
                                "auth") from None
        if user.id != connection.user_id:
            raise ProtocolError("forbidden", "token belongs to another user", "auth")
        self.manager.rebind_token(connection, claims.jti, claims.expires_at)
        expires = isoformat_z(datetime.fromtimestamp(claims.expires_at, UTC))
        connection.send_event(session.auth_ok(expires_at=expires))

    def _account(self, connection: Connection) -> User:
        """Who the socket was admitted as; no database read per message."""
        return account_stub(connection.user_id, connection.username, connection.display_name)

