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
from stellarcollab.observability.metrics import COUNTERS
from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.leases import SocketLeases
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.realtime.message_limits import MessageGuard
from stellarcollab.realtime.moderation_messages import ModerationMessages
from stellarcollab.services.chat import ChatService
from stellarcollab.services.errors import DomainError, NotFound
from stellarcollab.services.events import PublishFailed
from stellarcollab.services.locks import LockService
from stellarcollab.services.social import SocialLayer
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
from stellarcollab.wire.moderation import muted_error
from stellarcollab.wire.rules import CUSTOM_STATUSES
from stellarcollab.wire.social import DirectMessageCommand

log = logging.getLogger(__name__)


class MessageHandler:
    def __init__(
        self,
        manager: ConnectionManager,
        users: UserService,
        chat: ChatService,
        locks: LockService,
        chat_max_length: int,
        socket_leases: SocketLeases,
        guard: MessageGuard,
        social: SocialLayer | None = None,
        moderation: ModerationMessages | None = None,
    ) -> None:
        self.guard = guard
        self.manager = manager
        self.users = users
        self.chat = chat
        self.locks = locks
        self.chat_max_length = chat_max_length
        #: the moderation messages (moderation, report, admin_broadcast), when wired
        self.moderation = moderation
        self.socket_leases = socket_leases
        self.social = social

    async def handle(self, connection: Connection, raw: str | bytes) -> None:
        try:
            command = parse_client_message(raw, connection.bounds, self.chat_max_length)
        except ProtocolError as exc:
            if self.guard.admit(connection, exc.request_type):
                self.guard.count(exc.code)
                connection.send_event(exc.to_event())
            return
        request_type = command.request_type
        COUNTERS.received(request_type)  # every parsed message, refused ones too
        if not self.guard.admit(connection, request_type):
            return
        try:
            await self._apply(connection, command)
        except ProtocolError as exc:
            self.guard.count(exc.code)
            connection.send_event(exc.to_event())
        except DomainError as exc:
            connection.send_event(_error_for(exc, request_type))
        except PublishFailed:
            # The broker's own log says once that it is away; not a line per message.
            connection.send_event(error(
                code="broker_unavailable", request_type=request_type,
                message="the server cannot reach its message broker; try again shortly"))
        except Exception:
            log.exception("message from connection %s failed", connection.id)
            connection.send_event(ProtocolError(
                "internal_error", "the server failed; the message was not applied",
                request_type).to_event())

    async def _apply(self, connection: Connection, command: ClientCommand) -> None:
        if isinstance(command, HeartbeatCommand):
            # Its arrival already counted as the socket's activity (keepalive); presence
            # lives as long as the socket, so there is nothing to answer or announce.
            return
        if isinstance(command, PingCommand):
            connection.send_event(session.pong(timestamp=now_iso(),
                                               request_id=command.request_id))
        elif isinstance(command, AuthCommand):
            await self._reauthenticate(connection, command.token)
        elif self.social is not None and isinstance(command, DirectMessageCommand):
            if self.guard.is_repeat(connection, f"dm:{command.to_user_id}", command.text):
                raise ProtocolError("duplicate", "the same message was sent moments ago",
                                    "direct_message")
            await self.social.direct_messages.send(self._account(connection),
                                                   command.to_user_id, command.text)
        elif (self.social is not None and isinstance(command, StatusCommand)
              and command.status in CUSTOM_STATUSES):
            # A stored status: announced on every canvas the user is on (not back to
            # this connection) at once, and written behind (services/statuses.py).
            await self.social.statuses.set(
                self._account(connection), command.status, command.status_message,
                command.emoji, connection_id=connection.id)
        elif self.moderation is not None and await self.moderation.apply(connection, command):
            return
        elif connection.canvas_id is None:
            raise ProtocolError("invalid_message", f"'{command.request_type}' is sent on a "
                                "canvas socket, not the user socket", command.request_type)
        else:
            await self._apply_on_canvas(connection, connection.canvas_id, command)

    async def _apply_on_canvas(self, connection: Connection, canvas_id: int,
                               command: ClientCommand) -> None:
        if isinstance(command, ChatCommand):
            if self.guard.is_repeat(connection, f"canvas:{canvas_id}", command.text,
                                    command.client_id):
                raise ProtocolError("duplicate", "the same message was sent moments ago",
                                    "canvas_chat")
            sent = await self.chat.send(
                self._account(connection), canvas_id, command.text,
                client_id=command.client_id, access_checked=True,
                exclude_connection=connection.id)
            if not sent.broadcast or sent.replayed:
                # Stored; the broadcast (the usual ack) is late or was sent before.
                connection.send_event(sent.event)
        elif isinstance(command, TypingCommand):
            if connection.user_id in self.manager.membership.hidden:
                return  # an invisible user's typing would show them
            await self._broadcast_from(connection, canvas_id, presence.user_typing(
                **connection.brief(), is_typing=command.is_typing, timestamp=now_iso()))
        elif isinstance(command, EditingCommand):
            await self._editing(connection, canvas_id, command)
        elif isinstance(command, StatusCommand):
            await self._broadcast_from(connection, canvas_id, presence.status_changed(
                **connection.brief(), status=command.status,
                status_message=command.status_message, timestamp=now_iso()))
        elif isinstance(command, MentionCommand):
            await self._broadcast_from(connection, canvas_id, presence.tile_highlight(
                **connection.brief(), tile_x=command.tile_x, tile_y=command.tile_y,
                highlight_type=command.highlight_type, message=command.message,
                duration=command.duration, timestamp=now_iso()))

    async def _broadcast_from(self, connection: Connection, canvas_id: int,
                              event: dict[str, Any]) -> None:
        """To everyone on the canvas but the sending connection: a socket is not sent
        back the presence changes it made (the user's other sockets are)."""
        await self.manager.broadcast_to_canvas(canvas_id, event,
                                               exclude_connection=connection.id)

    async def _editing(self, connection: Connection, canvas_id: int,
                       command: EditingCommand) -> None:
        """A lease taken here lives as long as this socket (``SocketLeases``)."""
        user, cell = self._account(connection), (command.tile_x, command.tile_y)
        if command.is_editing:
            # Bound to the socket before the lease is announced, so nobody can hear of a
            # lease that is not yet kept alive.
            self.socket_leases.taken(connection, cell)
            try:
                await self.locks.acquire(user, canvas_id, *cell, connection_id=connection.id)
            except BaseException:
                self.socket_leases.dropped(connection, cell)
                raise
            return
        self.socket_leases.dropped(connection, cell)
        try:
            await self.locks.release(user, canvas_id, *cell, connection_id=connection.id)
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


def _error_for(exc: DomainError, request_type: str | None) -> dict[str, Any]:
    if exc.ws_code == "muted":
        return muted_error(message=exc.detail, request_type=request_type,
                           until=exc.extra.get("until"))
    return error(code=exc.ws_code, message=exc.detail, request_type=request_type,
                 holder=exc.extra.get("holder"))
