"""Builds and owns the running parts of one server process, and its background loops.

Everything stateful hangs off one ``Runtime``: settings, database, broker, connection
manager and services. The app keeps it in ``app.state.runtime``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from stellarcollab.auth.passwords import PasswordHasher
from stellarcollab.auth.tokens import TicketService, TokenClaims, TokenService
from stellarcollab.clock import Clock, SystemClock
from stellarcollab.config import Settings
from stellarcollab.db.engine import Database
from stellarcollab.realtime.broker import create_brokers
from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.handlers import MessageHandler
from stellarcollab.realtime.manager import ConnectionManager
from stellarcollab.realtime.process_slots import ProcessSlots
from stellarcollab.realtime.socket_limits import SocketLimits
from stellarcollab.realtime.writers import FlushScheduler
from stellarcollab.services.admission import SocketAdmission
from stellarcollab.services.canvases import CanvasService
from stellarcollab.services.chat import ChatService
from stellarcollab.services.images import CanvasImageService
from stellarcollab.services.locks import LockService
from stellarcollab.services.presence import PresenceRecorder
from stellarcollab.services.tiles import TileService
from stellarcollab.services.users import UserService, account_stub

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = Database(settings.resolved_database_url())
        self.hasher = PasswordHasher(
            settings.password_hash_time_cost,
            settings.password_hash_memory_kib,
            settings.password_hash_parallelism,
            settings.password_hash_concurrency,
        )
        self.tokens = TokenService(
            settings.resolved_secret_key(), settings.access_token_expire_seconds, self.clock
        )
        self.brokers = create_brokers(
            settings.broker_url, history=settings.recovery_history,
            history_ttl=settings.recovery_ttl_seconds,
            presence_ttl=settings.presence_ttl_seconds, clock=self.clock,
        )
        self.tickets = TicketService(self.brokers.tickets, settings.ticket_ttl_seconds)
        self.manager = ConnectionManager(
            self.brokers, naive_broadcast=settings.broadcast_mode == "naive"
        )
        self.users = UserService(self.db, self.hasher, self.tokens)
        self.process_slots = ProcessSlots(settings.websocket_max_connections)
        self.canvases = CanvasService(self.db, self.manager)
        self.tiles = TileService(self.db, self.manager)
        self.locks = LockService(self.db, self.manager, settings.lock_ttl_seconds)
        self.chat = ChatService(self.db, self.manager, settings.chat_max_length)
        self.images = CanvasImageService(self.db)
        self.admission = SocketAdmission(self.db, self.tokens)
        self.presence_records = PresenceRecorder(self.db)
        self.handler = MessageHandler(
            self.manager, self.users, self.chat, self.locks,
            settings.chat_max_length,
        )
        self.manager.list_leases = self._lease_views
        self.manager.release_leases = self._release_leases
        self.manager.presence_listeners.append(self.presence_records.note)
        self.manager.control_listeners.append(self._on_control)
        self.canvases.on_change.append(self.admission.forget_canvas)
        #: connect rate and per-user socket cap, counted across every process
        self.socket_limits = SocketLimits(
            self.brokers.limits, self.brokers.presence,
            connects_per_minute=settings.rate_limit_connects_per_minute,
            max_per_user=settings.websocket_max_connections_per_user,
        )
        self._flush_scheduler: FlushScheduler | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def flush_scheduler(self) -> FlushScheduler:
        if self._flush_scheduler is None:
            self._flush_scheduler = FlushScheduler(asyncio.get_running_loop())
            self.manager.flush_scheduler = self._flush_scheduler
        return self._flush_scheduler

    async def start(self) -> None:
        await self.brokers.start()
        self._tasks = [
            self._every(self.settings.websocket_token_check_interval, self._close_expired),
            self._every(self.settings.lock_sweep_interval, self.locks.sweep_expired),
            self._every(self.settings.presence_flush_interval, self.presence_records.flush),
        ]

    async def stop(self) -> None:
        self.manager.close_all(CloseCode.SERVICE_RESTART, "server restarting")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.chat.writer.stop()
        with contextlib.suppress(Exception):
            await self.presence_records.flush()
        await self.brokers.stop()
        await self.db.dispose()

    async def logout(self, claims: TokenClaims) -> None:
        await self.users.revoke(claims)
        await self.brokers.events.publish_control(
            {"type": "token_revoked", "jti": claims.jti, "expires_at": claims.expires_at})

    def _on_control(self, message: dict[str, Any]) -> None:
        if message.get("type") == "token_revoked":
            self.admission.note_revoked(str(message["jti"]), float(message["expires_at"]))

    def _every(self, interval: float, job: Callable[[], Awaitable[Any]]) -> asyncio.Task[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("background job %s failed", getattr(job, "__name__", job))

        return asyncio.get_running_loop().create_task(loop())

    async def _close_expired(self) -> None:
        self.manager.close_expired(
            self.clock.time(), self.settings.websocket_timeout, asyncio.get_running_loop().time(),
            self.settings.websocket_ping_interval,
        )

    async def _lease_views(self, canvas_id: int) -> list[dict[str, Any]]:
        return [
            {
                "tile_x": lease.x, "tile_y": lease.y, "user_id": lease.user_id,
                "username": lease.username, "display_name": lease.display_name,
                "expires_at": lease.view()["expires_at"],
            }
            for lease in await self.locks.leases(canvas_id)
        ]

    async def _release_leases(self, canvas_id: int, user: dict[str, Any]) -> None:
        holder = account_stub(user["user_id"], user["username"], user["display_name"])
        await self.locks.release_all(holder, canvas_id)
