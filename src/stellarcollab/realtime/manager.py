"""ConnectionManager: the guide's facade over this process's realtime parts.

It wires the registry (who is connected here), the fan-out (who gets a delivery), the
membership (what is announced when people come and go) and the lease book, and keeps the
guide's method names as the public API. Publishing goes through the event bus, which
numbers canvas events and hands each back encoded once; nothing here awaits a subscriber.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from stellarcollab.observability.metrics import COUNTERS, FAMILIES
from stellarcollab.realtime.broker.base import (
    EPOCH_CHANGED,
    PRESENCE_EXPIRED,
    PRESENCE_RESTORED,
)
from stellarcollab.realtime.broker.errors import BROKER_UNAVAILABLE
from stellarcollab.realtime.broker.events import EventBus
from stellarcollab.realtime.broker.presence import PresenceStore
from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.connection import Connection, ConnectionState
from stellarcollab.realtime.fanout import Fanout
from stellarcollab.realtime.keepalive import KeepaliveSchedule
from stellarcollab.realtime.leases import LeaseBook, SocketLeases
from stellarcollab.realtime.membership import (
    LeaseReleaser,
    Membership,
    StoredStatus,
    no_stored_status,
)
from stellarcollab.realtime.presence_batch import (
    MEMBERSHIP_TYPES,
    PresenceBatcher,
    PresencePolicy,
)
from stellarcollab.realtime.recovery import Delivery, Replay
from stellarcollab.realtime.registry import ConnectionRegistry
from stellarcollab.realtime.topics import canvas_of, canvas_topic
from stellarcollab.services.events import PublishFailed
from stellarcollab.services.views import now_iso
from stellarcollab.wire import session

log = logging.getLogger(__name__)

PRESENCE_EVENTS = frozenset({"user_typing", "user_presence_update"})
PRESENCE_CHANGES = PRESENCE_EVENTS | MEMBERSHIP_TYPES
#: the control message that closes a user's sockets on every process
CLOSE_SOCKETS = "close_sockets"
#: the control message that tells every process who may be on a canvas now
ACCESS_CHANGED = "canvas_access_changed"
LeaseLister = Callable[[int], Awaitable[list[dict[str, Any]]]]
PresenceListener = Callable[[int, dict[str, Any]], None]
ControlListener = Callable[[dict[str, Any]], None]


async def _no_leases(_canvas_id: int) -> list[dict[str, Any]]:
    return []


async def _no_release(_canvas_id: int, _user: dict[str, Any]) -> None:
    return None


@dataclass
class ManagerHooks:
    """What the manager asks of the rest of the server, given at construction."""

    list_leases: LeaseLister = _no_leases
    release_leases: LeaseReleaser = _no_release
    presence_listeners: list[PresenceListener] = field(default_factory=list)
    control_listeners: list[ControlListener] = field(default_factory=list)
    #: leases taken over sockets, released with them (none when nothing takes leases)
    socket_leases: SocketLeases | None = None
    #: a user's stored custom status (None: plain ``online``), restored when they join
    stored_status: StoredStatus | None = None


class ConnectionManager:
    def __init__(self, events: EventBus, presence: PresenceStore,
                 hooks: ManagerHooks | None = None,
                 policy: PresencePolicy | None = None) -> None:
        self.events = events
        self.presence = presence
        self.hooks = hooks or ManagerHooks()
        self.policy = policy or PresencePolicy()
        self.registry = ConnectionRegistry()
        self.keepalive = KeepaliveSchedule()
        self.leases = LeaseBook()
        self.fanout = Fanout(self.registry)
        self.fanout.after_canvas_delivery = self._after_canvas_delivery
        self.membership = Membership(events, presence, self.leases, self._publish_canvas,
                                     self.hooks.release_leases,
                                     self.hooks.stored_status or no_stored_status, self.policy)
        self.fanout.presence = PresenceBatcher(
            self.registry, self.policy,
            lambda canvas_id: self.membership.active_users(
                canvas_id, limit=self.policy.detail_limit))
        self._background: set[asyncio.Task[None]] = set()
        events.set_receivers(self.fanout.deliver, self._on_control)

    @property
    def total_connections(self) -> int:
        return len(self.registry)

    def connections_per_canvas(self) -> list[int]:
        """How many local sockets each canvas has (the metrics' census)."""
        return [len(conns) for conns in self.registry.canvases.values()]

    # The guide's properties, as read-only views of the registry. Connections are keyed
    # by connection id, not by user: a user with two tabs has two.
    @property
    def canvas_connections(self) -> dict[int, dict[str, Connection]]:
        return self.registry.canvases

    @property
    def canvas_users(self) -> dict[int, set[int]]:
        return {canvas_id: set(users) for canvas_id, users in self.registry.canvas_users.items()}

    @property
    def user_info(self) -> dict[int, dict[str, str]]:
        return {user_id: {"username": c.username, "display_name": c.display_name}
                for user_id, sockets in self.registry.users.items()
                for c in list(sockets.values())[:1]}

    # ----- joining and leaving -------------------------------------------------------

    async def connect(
        self, connection: Connection, *, since: int | None = None, epoch: str | None = None
    ) -> None:
        """Register, send the snapshot (and what was missed), then announce the user.

        Live events that arrive while the snapshot is built are held on the connection
        and released after it, minus those the snapshot already covers (by ``seq``).
        """
        change = self.registry.add(connection)
        self.keepalive.add(connection, asyncio.get_running_loop().time())
        await self._subscribe(change.topics)
        canvas_id = connection.canvas_id
        if canvas_id is None:
            connection.open(0)
            return
        first = await self.presence.presence_join(canvas_id, connection.brief(), connection.id)
        if first:
            self.membership.presence_changed(canvas_id, "user_joined")
            await self.membership.restore_status(canvas_id, connection.brief())
        self._notify_presence(canvas_id, {"type": "connection_opened",
                                          "user_id": connection.user_id})
        snapshot_seq = await self.events.current_seq(canvas_id)
        connection.send_event(
            await self.membership.canvas_state(connection, canvas_id, snapshot_seq))
        if since is not None:
            await self._recover(connection, canvas_id, since, epoch, snapshot_seq)
        if connection.state is ConnectionState.JOINING:
            connection.open(snapshot_seq)
        if first:
            await self.membership.announce_arrival(canvas_id, connection.brief())

    async def _subscribe(self, topics: tuple[str, ...]) -> None:
        for topic in topics:
            await self.events.subscribe(topic)
            canvas_id = canvas_of(topic)
            if canvas_id is not None:
                # Subscribed from here on, so every lease change reaches the lease book:
                # load the leases once and keep them current from the events.
                self.leases.track(canvas_id, await self.hooks.list_leases(canvas_id))

    async def _recover(self, connection: Connection, canvas_id: int, since: int,
                       epoch: str | None, snapshot_seq: int) -> None:
        # Arrivals and departures come as presence_diff / presence_count to these sockets
        # (and canvas_state has just listed who is here), never one by one.
        skip = MEMBERSHIP_TYPES if connection.presence_diff or self.is_large(canvas_id) \
            else frozenset()
        plan = await self.events.recover(canvas_id, since, epoch, skip)
        if isinstance(plan, Replay):
            COUNTERS.recovery_replays += 1
            connection.replay(plan.deliveries)
        else:
            COUNTERS.recovery_resyncs += 1
            connection.send_event(session.resync_required(
                canvas_id=canvas_id, seq=snapshot_seq, epoch=self.events.epoch,
                reason=plan.reason))

    async def disconnect(self, connection: Connection) -> None:
        """Forget the connection everywhere; announce the user's departure if it was
        their last connection here, releasing the leases they held."""
        if connection.state is ConnectionState.CLOSED:
            return
        connection.state = ConnectionState.CLOSED
        change = self.registry.remove(connection)
        if change is None:
            return
        for topic in change.topics:
            await self.events.unsubscribe(topic)
            canvas_id = canvas_of(topic)
            if canvas_id is not None:
                self.leases.forget(canvas_id)
        canvas_id = connection.canvas_id
        if canvas_id is None:
            return
        last = await self.presence.presence_leave(canvas_id, connection.user_id, connection.id)
        if last:
            self.membership.presence_changed(canvas_id, "user_left")
        self._notify_presence(canvas_id, {"type": "connection_closed",
                                          "user_id": connection.user_id, "last": last})
        if self.hooks.socket_leases is not None:
            await self.hooks.socket_leases.closed(connection, last_on_canvas=last)
        if last:
            await self.membership.announce_departure(canvas_id, connection.brief())

    # ----- publishing ----------------------------------------------------------------

    async def broadcast_to_canvas(
        self,
        canvas_id: int,
        message: dict[str, Any],
        exclude_user: int | None = None,
        exclude_connection: str | None = None,
    ) -> int:
        """Number the event, fold presence changes into shared state, and fan it out."""
        return await self._publish_canvas(canvas_id, message, exclude_user=exclude_user,
                                          exclude_connection=exclude_connection)

    async def _publish_canvas(
        self, canvas_id: int, message: dict[str, Any], *, exclude_user: int | None = None,
        exclude_connection: str | None = None, meta: Mapping[str, Any] | None = None,
    ) -> int:
        """An unreachable broker raises PublishFailed (the services' word for it)."""
        started = time.perf_counter()
        try:
            if message.get("type") in PRESENCE_EVENTS:
                if message["type"] == "user_presence_update":
                    await self.membership.complete_update(canvas_id, message)
                await self.presence.presence_apply(canvas_id, message)
                self._notify_presence(canvas_id, message)
            seq = await self.events.publish(
                canvas_topic(canvas_id), message, exclude_user=exclude_user,
                exclude_connection=exclude_connection, meta=meta)
        except BROKER_UNAVAILABLE as exc:
            COUNTERS.broker_errors += 1
            raise PublishFailed(f"broker unreachable: {exc}") from exc
        FAMILIES.broker_seconds.observe(time.perf_counter() - started)
        return seq

    async def publish(
        self,
        canvas_id: int,
        event: dict[str, Any],
        *,
        exclude_user: int | None = None,
        exclude_connection: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        """The services' EventSink: a canvas event, numbered."""
        await self._publish_canvas(canvas_id, event, exclude_user=exclude_user,
                                   exclude_connection=exclude_connection, meta=meta)

    async def publish_to_topic(self, topic: str, event: dict[str, Any]) -> None:
        """The services' EventSink: an event for ``user:{id}``, ``admins`` or ``global``
        (unnumbered; what must survive a reconnect is persisted by its feature)."""
        await self.events.publish(topic, event)

    def is_large(self, canvas_id: int) -> bool:
        """Above the presence detail limit at its last arrival or departure."""
        batcher = self.fanout.presence
        return batcher is not None and batcher.is_large(canvas_id)

    def _after_canvas_delivery(self, delivery: Delivery) -> None:
        if delivery.event_type in PRESENCE_CHANGES:
            self.membership.presence_changed(delivery.canvas_id, delivery.event_type)
        if delivery.meta is not None:
            self.leases.apply(delivery.canvas_id, delivery.meta)
        if delivery.event_type == "canvas_deleted":
            for connection in list(self.registry.on_canvas(delivery.canvas_id).values()):
                connection.close(CloseCode.NOT_FOUND, "canvas deleted")

    # ----- the guide's methods ---------------------------------------------------------

    async def send_to_user(self, canvas_id: int, user_id: int, message: dict[str, Any]) -> int:
        """Send to every connection of one user on the canvas, here; returns how many."""
        sockets = self.registry.of_user(user_id, canvas_id)
        for connection in sockets:
            connection.send_event(message)
        return len(sockets)

    async def broadcast_tile_created(
        self, canvas_id: int, tile_data: dict[str, Any], creator_id: int
    ) -> int:
        return await self.broadcast_to_canvas(
            canvas_id, {**tile_data, "type": "tile_created"}, exclude_user=creator_id)

    async def broadcast_tile_updated(
        self, canvas_id: int, tile_data: dict[str, Any], updater_id: int
    ) -> int:
        return await self.broadcast_to_canvas(
            canvas_id, {**tile_data, "type": "tile_updated"}, exclude_user=updater_id)

    async def broadcast_tile_liked(
        self, canvas_id: int, tile_data: dict[str, Any], liker_id: int
    ) -> int:
        return await self.broadcast_to_canvas(
            canvas_id, {**tile_data, "type": "tile_liked"}, exclude_user=liker_id)

    async def broadcast_user_activity(self, canvas_id: int, activity_data: dict[str, Any]) -> int:
        event = {"type": "user_presence_update", "canvas_id": canvas_id, **activity_data}
        event.setdefault("timestamp", now_iso())
        return await self.broadcast_to_canvas(canvas_id, event)

    async def get_canvas_active_users(self, canvas_id: int, offset: int = 0,
                                      limit: int | None = None) -> list[dict[str, Any]]:
        return await self.membership.active_users(canvas_id, offset, limit)

    # ----- control: closing sockets on every process ------------------------------------

    async def close_sockets(self, user_id: int, canvas_id: int | None, code: int,
                            reason: str) -> None:
        """Close the user's sockets (on one canvas, or all of them) on every process."""
        await self.events.publish_control({"type": CLOSE_SOCKETS, "user_id": user_id,
                                           "canvas_id": canvas_id, "code": code,
                                           "reason": reason})

    async def canvas_access_changed(self, canvas_id: int,
                                    allowed_user_ids: list[int] | None) -> None:
        """The services' EventSink: closes, on every process, the canvas's sockets whose
        user may no longer be there (4003; 4004 when nobody may: the canvas is gone)."""
        await self.events.publish_control({"type": ACCESS_CHANGED, "canvas_id": canvas_id,
                                           "allowed": allowed_user_ids})

    def _close_disallowed(self, canvas_id: int, allowed: list[int] | None) -> None:
        if allowed is None:
            return
        code = CloseCode.FORBIDDEN if allowed else CloseCode.NOT_FOUND
        keep = set(allowed)
        for connection in list(self.registry.on_canvas(canvas_id).values()):
            if connection.user_id not in keep and (code is CloseCode.NOT_FOUND
                                                   or not connection.is_admin):
                connection.close(code, "no access to this canvas")

    def _on_control(self, message: dict[str, Any]) -> None:
        for listener in self.hooks.control_listeners:
            try:
                listener(message)
            except Exception:
                log.exception("control listener failed")
        kind = message.get("type")
        if kind == "token_revoked":
            for connection in self.registry.of_token(str(message.get("jti"))):
                connection.close(CloseCode.UNAUTHORIZED, "token revoked")
        elif kind == CLOSE_SOCKETS:
            canvas_id = message.get("canvas_id")
            for connection in self.registry.of_user(int(message["user_id"]), canvas_id):
                connection.close(int(message["code"]), str(message["reason"]))
        elif kind == ACCESS_CHANGED:
            self._close_disallowed(int(message["canvas_id"]), message.get("allowed"))
        elif kind in (PRESENCE_EXPIRED, PRESENCE_RESTORED):
            self._in_background(self.membership.announce_presence_change(
                str(kind), int(message["canvas_id"]), list(message["users"])))
        elif kind == EPOCH_CHANGED:
            # The broker lost its state (a Redis that came back empty) and numbers events
            # afresh: every socket reconnects with its last seq and gets resync_required.
            self.close_all(CloseCode.SERVICE_RESTART, "event numbering restarted")

    def _in_background(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _notify_presence(self, canvas_id: int, event: dict[str, Any]) -> None:
        for listener in self.hooks.presence_listeners:
            try:
                listener(canvas_id, event)
            except Exception:
                log.exception("presence listener failed")

    # ----- housekeeping ----------------------------------------------------------------

    def close_expired(self, now: float, idle_timeout: float, loop_time: float,
                      ping_interval: float | None = None) -> int:
        return self.keepalive.run(self.registry.everyone, now, idle_timeout, loop_time,
                                  ping_interval)

    def close_all(self, code: int, reason: str) -> None:
        for connection in self.registry:
            connection.close(code, reason)

    def rebind_token(self, connection: Connection, jti: str, expires_at: float) -> None:
        self.registry.rebind_token(connection, jti, expires_at)
        self.keepalive.token_changed(connection)

    def connections_of_user(self, user_id: int) -> int:
        return self.registry.count_of_user(user_id)

    def stats(self) -> dict[str, Any]:
        registry = self.registry
        return {
            "connections": len(registry),
            "canvases": len(registry.canvases),
            "users": len(registry.users),
            "tokens": len(registry.by_jti),
        }
