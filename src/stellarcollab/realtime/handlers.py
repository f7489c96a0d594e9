"""Applies client messages: each parsed command goes to the same service a REST call uses.

Errors become an ``error`` message to the sender and never close the socket; a client
that keeps flooding past its per-type limits (``MessageGuard``) is closed with 4029.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from stellarcollab.db.models import User
from stellarcollab.db.types import isoformat_z
from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.realtime.message_limits import MessageGuard
from stellarcollab.realtime.protocol import (
    AuthCommand,
    ChatCommand,
    Command,
    EditingCommand,
    MentionCommand,
    PingCommand,
    ProtocolError,
    StatusCommand,
    TypingCommand,
    parse_client_message,
)
from stellarcollab.services.chat import ChatService
from stellarcollab.services.errors import DomainError, NotFound
from stellarcollab.services.locks import LockService
from stellarcollab.services.users import UserService, account_stub
from stellarcollab.services.views import now_iso

log = logging.getLogger(__name__)


class MessageHandler:
    def __init__(
        self,
        manager: ConnectionManager,
        users: UserService,
        chat: ChatService,
        locks: LockService,
        chat_max_length: int,
        guard: MessageGuard,
    ) -> None:
        self.guard = guard
        self.manager = manager
        self.users = users
        self.chat = chat
        self.locks = locks
        self.chat_max_length = chat_max_length

    async def handle(self, connection: Connection, raw: str | bytes) -> None:
        try:
            command = parse_client_message(raw, connection.bounds, self.chat_max_length)
        except ProtocolError as exc:
            if self.guard.admit(connection, exc.request_type):
                self.guard.count(exc.code)
                connection.send_event(exc.to_event())
            return
        request_type = _type_of(command)
        if not self.guard.admit(connection, request_type):
            return
        try:
            await self._apply(connection, command)
        except ProtocolError as exc:
            self.guard.count(exc.code)
            connection.send_event(exc.to_event())
        except DomainError as exc:
            error = ProtocolError(exc.ws_code, exc.detail, request_type).to_event()
            error.update({k: v for k, v in exc.extra.items() if k == "holder"})
            connection.send_event(error)
        except Exception:
            log.exception("message from connection %s failed", connection.id)
            connection.send_event(ProtocolError(
                "internal_error", "the server failed; the message was not applied",
                request_type).to_event())

    async def _apply(self, connection: Connection, command: Command) -> None:
        if isinstance(command, ChatCommand):
            if self.guard.is_repeat(connection, f"canvas:{connection.canvas_id}", command.text):
                raise ProtocolError("duplicate", "the same message was sent moments ago",
                                    "canvas_chat")
            await self.chat.send(self._account(connection), connection.canvas_id, command.text,
                                 access_checked=True)
        elif isinstance(command, TypingCommand):
            await self.manager.broadcast_to_canvas(connection.canvas_id, {
                "type": "user_typing", **connection.brief(), "is_typing": command.is_typing,
                "timestamp": now_iso(),
            }, exclude_connection=connection.id)
        elif isinstance(command, EditingCommand):
            await self._editing(connection, command)
        elif isinstance(command, StatusCommand):
            await self.manager.broadcast_to_canvas(connection.canvas_id, {
                "type": "user_presence_update", **connection.brief(),
                "status": command.status, "status_message": command.status_message,
                "timestamp": now_iso(),
            }, exclude_connection=connection.id)
        elif isinstance(command, MentionCommand):
            await self.manager.broadcast_to_canvas(connection.canvas_id, {
                "type": "tile_highlight", **connection.brief(),
                "tile_x": command.tile_x, "tile_y": command.tile_y,
                "highlight_type": command.highlight_type, "message": command.message,
                "duration": command.duration, "timestamp": now_iso(),
            }, exclude_connection=connection.id)
        elif isinstance(command, PingCommand):
            pong: dict[str, Any] = {"type": "pong", "timestamp": now_iso()}
            if command.request_id is not None:
                pong["id"] = command.request_id
            connection.send_event(pong)
        elif isinstance(command, AuthCommand):
            await self._reauthenticate(connection, command.token)

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
        connection.send_event({"type": "auth_ok", "expires_at": expires})

    def _account(self, connection: Connection) -> User:
        """Who the socket was admitted as; no database read per message."""
        return account_stub(connection.user_id, connection.username, connection.display_name)


def _type_of(command: Command) -> str:
    return {
        ChatCommand: "canvas_chat", TypingCommand: "user_presence",
        EditingCommand: "user_presence", StatusCommand: "user_presence",
        MentionCommand: "tile_mention", PingCommand: "ping", AuthCommand: "auth",
    }[type(command)]

