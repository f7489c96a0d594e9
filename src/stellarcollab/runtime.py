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

from stellarcollab import arrival_gc
from stellarcollab.auth.passwords import PasswordHasher
from stellarcollab.auth.tokens import TicketService, TokenClaims, TokenService
from stellarcollab.clock import Clock, SystemClock
from stellarcollab.config import Settings
from stellarcollab.db.engine import Database
from stellarcollab.observability import metrics
from stellarcollab.observability.exposition import start_metrics_listener
from stellarcollab.realtime.broker import create_brokers
from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.enforcement import ClusterAccessControl
from stellarcollab.realtime.handlers import MessageHandler
from stellarcollab.realtime.leases import SocketLeases
from stellarcollab.realtime.manager import ACCESS_CHANGED, ConnectionManager, ManagerHooks
from stellarcollab.realtime.moderation_messages import ModerationMessages
from stellarcollab.realtime.presence_batch import PresencePolicy
from stellarcollab.realtime.process_slots import ProcessSlots
from stellarcollab.realtime.socket_limits import SocketLimits, user_key
from stellarcollab.realtime.status_relay import StatusRelay
from stellarcollab.realtime.topics import GLOBAL
from stellarcollab.realtime.writers import FlushScheduler
from stellarcollab.security import policies, revocation
from stellarcollab.services.admission import SocketAdmission
from stellarcollab.services.batch_reads import ARRIVAL_READ_PACE, BatchReader
from stellarcollab.services.canvases import CanvasService
from stellarcollab.services.chat import ChatService
from stellarcollab.services.errors import NotFound
from stellarcollab.services.images import CanvasImageService
from stellarcollab.services.locks import LockService
from stellarcollab.services.moderation_suite import ModerationSuite
from stellarcollab.services.presence import PresenceRecorder
from stellarcollab.services.region_chunk_store import ChunkStore
from stellarcollab.services.region_images import RegionImageService
from stellarcollab.services.region_tiles import RegionTileService
from stellarcollab.services.social import SocialLayer
from stellarcollab.services.tiles import TileService
from stellarcollab.services.user_channel import UserChannel
from stellarcollab.services.users import UserService, account_stub

log = logging.getLogger(__name__)
#: how often chat stored during a broker outage is offered to the broker again
CHAT_OUTBOX_INTERVAL = 0.5


def manager_class(settings: Settings) -> type[ConnectionManager]:
    """The fast fan-out; the benchmark's naive baseline only when asked for."""
    if settings.broadcast_mode == "naive":
        from stellarcollab.bench.naive import NaiveConnectionManager

        return NaiveConnectionManager
    return ConnectionManager


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
        self.socket_leases = SocketLeases(self._renew_leases, self._release_lease,
                                          settings.lock_ttl_seconds, self.clock)
        self.presence_records = PresenceRecorder(self.db)
        self.admission = SocketAdmission(self.db, self.tokens)
        hooks = ManagerHooks(
            list_leases=self._lease_views, release_leases=self._release_leases,
            presence_listeners=[self.presence_records.note],
            control_listeners=[self._on_control, revocation.listener(self.admission),
                               self._on_access_control],
            socket_leases=self.socket_leases, stored_status=self._stored_status,
        )
        policy = PresencePolicy(settings.presence_detail_limit, settings.presence_diff_window,
                                settings.presence_count_interval, settings.presence_count_rate)
        self.manager = manager_class(settings)(self.brokers.events, self.brokers.presence, hooks,
                                               policy)
        self.users = UserService(self.db, self.hasher, self.tokens)
        self.process_slots = ProcessSlots(settings.websocket_max_connections)
        self.canvases = CanvasService(self.db, self.manager)
        self.social = SocialLayer(
            self.db, self.manager,
            UserChannel(self.manager.publish_to_topic, self._user_connected),
            settings.chat_max_length, self._publish_announcement)
        #: stored statuses of users arriving together, read in one query
        self._status_reads: BatchReader[int, dict[str, Any]] = BatchReader(
            self.social.statuses.of_many, pace=ARRIVAL_READ_PACE)
        self.status_relay = StatusRelay(self.manager)
        self.social.statuses.listeners.append(self.status_relay)
        self.tiles = TileService(self.db, self.manager, self.social.tile_activity)
        self.locks = LockService(self.db, self.manager, settings.lock_ttl_seconds, self.clock)
        self.chat = ChatService(self.db, self.manager, settings.chat_max_length,
                                self.social.mentions)
        self.images = CanvasImageService(self.db)
        self.access = ClusterAccessControl(self.brokers.events, self.manager)
        self.access.forgetters += [self.admission.forget_access, self.chat.gate.forget]
        self.moderation = ModerationSuite(self.db, self.manager, self.access)
        self.region_images = RegionImageService(
            self.db, ChunkStore(settings.data_dir / "cache" / "regions")
        )
        self.region_tiles = RegionTileService(self.db)
        self.message_guard = policies.message_guard(settings)
        self.socket_guard = policies.socket_guard(settings)
        self.throttle = policies.auth_throttle(settings, self.brokers.limits)
        self.handler = MessageHandler(
            self.manager, self.users, self.chat, self.locks,
            settings.chat_max_length, self.socket_leases, self.message_guard, self.social,
            ModerationMessages(self.users, self.moderation),
        )
        self.canvases.on_change.append(self.admission.forget_canvas)
        #: connect rate and per-user socket cap, counted across every process
        self.socket_limits = SocketLimits(
            self.brokers.limits, self.brokers.presence,
            connects_per_minute=settings.rate_limit_connects_per_minute,
            max_per_user=settings.websocket_max_connections_per_user,
        )
        self._flush_scheduler: FlushScheduler | None = None
        self._tasks: list[asyncio.Task[None]] = []
        #: set by the drain on SIGTERM: not ready, no new sockets
        self.draining = False
        self._metrics_listener: asyncio.Server | None = None
        metrics.instrument_engine(self.db.engine.sync_engine)
        # The clock the broker stamps ``published_at`` with: wall time when it crosses
        # processes, the monotonic clock within one.
        metrics.COUNTERS.publish_clock = (
            self.clock.time if settings.broker_url.startswith(("redis://", "rediss://"))
            else self.clock.monotonic)

    def flush_scheduler(self) -> FlushScheduler:
        if self._flush_scheduler is None:
            self._flush_scheduler = FlushScheduler(asyncio.get_running_loop())
            self.manager.fanout.scheduler = self._flush_scheduler
        return self._flush_scheduler

    async def start(self) -> None:
        await self.brokers.start()
        arrival_gc.STORM_GC.storm_rate = self.settings.gc_storm_rate
        self._tasks = [
            self._every(self.settings.websocket_token_check_interval, self._close_expired),
            self._every(self.settings.lock_sweep_interval, self.lease_upkeep),
            self._every(self.settings.presence_flush_interval, self.presence_records.flush),
            self._every(CHAT_OUTBOX_INTERVAL, self.chat.outbox.flush),
            asyncio.get_running_loop().create_task(metrics.watch_loop_lag()),
            self._every(self.settings.announcement_check_interval,
                        self.social.announcements.broadcast_due),
            self._every(arrival_gc.TICK_S, self._watch_arrivals),
        ]
        metrics.EXPORTER.census.append(self.manager)
        if metrics.MULTIPROCESS:
            self._tasks.append(asyncio.get_running_loop().create_task(metrics.sync_forever()))
        elif self.settings.metrics_bind:
            self._metrics_listener = await start_metrics_listener(self.settings.metrics_bind)

    async def stop(self) -> None:
        arrival_gc.STORM_GC.release()
        self.manager.close_all(CloseCode.SERVICE_RESTART, "server restarting")
        if self._metrics_listener is not None:
            self._metrics_listener.close()
        with contextlib.suppress(ValueError):
            metrics.EXPORTER.census.remove(self.manager)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.chat.writer.drain(), 10)
        await self.chat.writer.stop()
        with contextlib.suppress(Exception):
            await self.presence_records.flush()
        with contextlib.suppress(Exception):
            await self.social.statuses.close()
        await self.brokers.stop()
        await self.db.dispose()
        metrics.mark_process_dead()

    async def flush_write_behind(self) -> None:
        """Commit the chat messages queued so far, offer the held ones to the broker once
        more, and write the presence records and the statuses not stored yet."""
        await self.chat.writer.drain()
        await self.chat.outbox.flush()
        try:
            await self.presence_records.flush()
        except Exception:
            log.exception("presence records not flushed")
        await self.social.statuses.flush()  # logs and keeps its own failures

    async def logout(self, claims: TokenClaims) -> None:
        await self.users.revoke(claims)
        await self.brokers.events.publish_control(
            {"type": "token_revoked", "jti": claims.jti, "expires_at": claims.expires_at})

    async def revoke_user(self, user_id: int, reason: str) -> None:
        """Every token of this user so far is dead: close their sockets on every process
        (the tokens themselves are refused by their stale credential stamp, or by the
        account being inactive)."""
        await revocation.revoke(self.manager, user_id, reason)

    def _on_control(self, message: dict[str, Any]) -> None:
        if message.get("type") == "token_revoked":
            self.admission.note_revoked(str(message["jti"]), float(message["expires_at"]))
        elif message.get("type") == ACCESS_CHANGED:
            self.admission.forget_canvas(int(message["canvas_id"]))
        else:
            self.status_relay.on_control(message)

    def _on_access_control(self, message: dict[str, Any]) -> None:
        """Bans, kicks and access changes decided on any process (the access control is
        built after the manager it closes sockets through)."""
        self.access.on_control(message)

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

    async def _watch_arrivals(self) -> None:
        arrival_gc.STORM_GC.tick()

    async def _close_expired(self) -> None:
        self.manager.close_expired(
            self.clock.time(), self.settings.websocket_timeout, asyncio.get_running_loop().time(),
            self.settings.websocket_ping_interval,
        )

    async def _stored_status(self, user_id: int) -> dict[str, Any] | None:
        return await self._status_reads.read(user_id)

    async def _user_connected(self, user_id: int) -> bool:
        """Any socket of the user open on any process (the presence store's count)."""
        return await self.brokers.presence.count(user_key(user_id)) > 0

    async def _publish_announcement(self, canvas_id: int | None, event: dict[str, Any]) -> None:
        if canvas_id is None:
            await self.manager.publish_to_topic(GLOBAL, event)
        else:
            await self.manager.publish(canvas_id, event)

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

    async def _renew_leases(self, user_id: int, canvas_id: int,
                            cells: list[tuple[int, int]]) -> int:
        return await self.locks.renew(user_id, canvas_id, cells)

    async def _release_lease(self, canvas_id: int, user: dict[str, Any],
                             cell: tuple[int, int]) -> None:
        holder = account_stub(user["user_id"], user["username"], user["display_name"])
        with contextlib.suppress(NotFound):
            await self.locks.release(holder, canvas_id, *cell)

    async def lease_upkeep(self) -> None:
        """Renew the leases open sockets hold, then expire the rest (in that order, so a
        socket's lease is never swept while it is open)."""
        await self.socket_leases.upkeep()
        await self.locks.sweep_expired()

