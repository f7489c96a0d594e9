"""ConnectionManager: this process's connections grouped by canvas, and the fan-out.

Keyed per connection (a user with two tabs has two entries and gets everything in both)
while presence is per user (one entry, ``user_joined`` on the first connection,
``user_left`` after the last). Broadcasting goes through the broker, which numbers each
event and hands it back encoded once; delivering it to N local connections is N
non-blocking appends. Nothing on that path awaits a subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from stellarcollab.realtime.broker import Brokers
from stellarcollab.realtime.broker.base import (
    EPOCH_CHANGED,
    PRESENCE_EXPIRED,
    PRESENCE_RESTORED,
)
from stellarcollab.realtime.closecodes import CloseCode
from stellarcollab.realtime.connection import Connection, ConnectionState
from stellarcollab.realtime.presence import UserPresence
from stellarcollab.realtime.protocol import text_frame
from stellarcollab.realtime.recovery import Delivery, Replay
from stellarcollab.realtime.topics import canvas_topic
from stellarcollab.realtime.writers import FlushScheduler
from stellarcollab.services.views import now_iso
from stellarcollab.wire import canvas, presence, session

log = logging.getLogger(__name__)

PRESENCE_EVENTS = frozenset({"user_typing", "user_presence_update"})
LeaseReleaser = Callable[[int, dict[str, Any]], Awaitable[None]]
LeaseLister = Callable[[int], Awaitable[list[dict[str, Any]]]]
PresenceListener = Callable[[int, dict[str, Any]], None]


async def _no_leases(_canvas_id: int) -> list[dict[str, Any]]:
    return []


async def _no_release(_canvas_id: int, _user: dict[str, Any]) -> None:
    return None


class ConnectionManager:
    def __init__(self, brokers: Brokers, *, naive_broadcast: bool = False) -> None:
        self.events = brokers.events
        self.presence = brokers.presence
        self.naive_broadcast = naive_broadcast
        self.canvas_connections: dict[int, dict[str, Connection]] = {}
        self.user_info: dict[int, dict[str, str]] = {}
        self.canvas_users: dict[int, dict[int, int]] = {}
        self.connections_by_jti: dict[str, set[Connection]] = {}
        self.total_connections = 0
        self.list_leases: LeaseLister = _no_leases
        self.release_leases: LeaseReleaser = _no_release
        self.presence_listeners: list[PresenceListener] = []
        self.control_listeners: list[Callable[[dict[str, Any]], None]] = []
        #: live editing leases of the canvases with local connections, by cell
        self.leases: dict[int, dict[tuple[int, int], dict[str, Any]]] = {}
        #: the writers' flush scheduler: tells the fan-out when it may write at once
        self.flush_scheduler: FlushScheduler | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.events.set_receivers(self._on_delivery, self._on_control)

    # ----- joining and leaving -------------------------------------------------------

    async def connect(
        self, connection: Connection, *, since: int | None = None, epoch: str | None = None
    ) -> None:
        """Register, send the snapshot (and what was missed), then announce the user.

        Live events that arrive while the snapshot is built are held on the connection
        and released after it, minus those the snapshot already covers (by ``seq``).
        """
        canvas_id = connection.canvas_id
        conns = self.canvas_connections.get(canvas_id)
        if conns is None:
            conns = self.canvas_connections[canvas_id] = {}
            await self.events.subscribe(canvas_topic(canvas_id))
            # Subscribed from here on, so every lease change reaches _on_delivery: load the
            # leases once and keep them current from the events.
            self.leases[canvas_id] = {
                (lease["tile_x"], lease["tile_y"]): lease
                for lease in await self.list_leases(canvas_id)
            }
        conns[connection.id] = connection
        self.total_connections += 1
        self.user_info[connection.user_id] = {
            "username": connection.username, "display_name": connection.display_name
        }
        users = self.canvas_users.setdefault(canvas_id, {})
        users[connection.user_id] = users.get(connection.user_id, 0) + 1
        self.connections_by_jti.setdefault(connection.jti, set()).add(connection)
        first = await self.presence.presence_join(canvas_id, connection.brief(), connection.id)
        self._notify_presence(canvas_id, {"type": "connection_opened",
                                          "user_id": connection.user_id})

        snapshot_seq = await self.events.current_seq(canvas_id)
        connection.send_event(await self._canvas_state(connection, snapshot_seq))
        if since is not None:
            plan = await self.events.recover(canvas_id, since, epoch)
            if isinstance(plan, Replay):
                connection.replay(plan.deliveries)
            else:
                connection.send_event(session.resync_required(
                    canvas_id=canvas_id, seq=snapshot_seq, epoch=self.events.epoch,
                    reason=plan.reason,
                ))
        if connection.state is ConnectionState.JOINING:
            connection.open(snapshot_seq)
        if first:
            # Excluding the user (not just this connection: it is their only one) keeps a
            # later replay to any of their connections from echoing their own arrival.
            await self.broadcast_to_canvas(
                canvas_id, await self._membership("user_joined", canvas_id, connection.brief()),
                exclude_user=connection.user_id,
            )

    async def disconnect(self, connection: Connection) -> None:
        """Forget the connection everywhere; announce the user's departure if it was
        their last connection here, releasing the leases they held."""
        if connection.state is ConnectionState.CLOSED:
            return
        connection.state = ConnectionState.CLOSED
        canvas_id = connection.canvas_id
        conns = self.canvas_connections.get(canvas_id)
        if conns is not None and conns.pop(connection.id, None) is not None:
            self.total_connections -= 1
            if not conns:
                del self.canvas_connections[canvas_id]
                await self.events.unsubscribe(canvas_topic(canvas_id))
                self.leases.pop(canvas_id, None)
        users = self.canvas_users.get(canvas_id, {})
        remaining = users.get(connection.user_id, 0) - 1
        if remaining > 0:
            users[connection.user_id] = remaining
        else:
            users.pop(connection.user_id, None)
            if not users:
                self.canvas_users.pop(canvas_id, None)
            if not any(connection.user_id in u for u in self.canvas_users.values()):
                self.user_info.pop(connection.user_id, None)
        by_jti = self.connections_by_jti.get(connection.jti)
        if by_jti is not None:
            by_jti.discard(connection)
            if not by_jti:
                del self.connections_by_jti[connection.jti]
        last = await self.presence.presence_leave(canvas_id, connection.user_id, connection.id)
        self._notify_presence(canvas_id, {"type": "connection_closed",
                                          "user_id": connection.user_id, "last": last})
        if last:
            try:
                await self.release_leases(canvas_id, connection.brief())
            except Exception:
                log.exception("releasing leases of user %s failed", connection.user_id)
            await self.broadcast_to_canvas(
                canvas_id, await self._membership("user_left", canvas_id, connection.brief())
            )

    async def _membership(self, kind: str, canvas_id: int,
                          user: dict[str, Any]) -> dict[str, Any]:
        # active_users counts the canvas's users in every process (the broker's presence).
        build = presence.user_joined if kind == "user_joined" else presence.user_left
        return build(
            user_id=user["user_id"], username=user["username"],
            display_name=user["display_name"],
            active_users=len(await self.presence.presence(canvas_id)), timestamp=now_iso(),
        )

    async def _announce_presence_change(self, kind: str, canvas_id: int,
                                        users: list[dict[str, Any]]) -> None:
        """Users the broker purged (their process died: ``user_left``, and their leases
        go) or re-added (``user_joined``), announced by this process alone."""
        for user in users:
            try:
                if kind == PRESENCE_EXPIRED:
                    await self.release_leases(canvas_id, user)
                    await self.broadcast_to_canvas(
                        canvas_id, await self._membership("user_left", canvas_id, user))
                else:
                    await self.broadcast_to_canvas(
                        canvas_id, await self._membership("user_joined", canvas_id, user),
                        exclude_user=user["user_id"])
            except Exception:
                log.exception("announcing %s of user %s failed", kind, user.get("user_id"))

    async def _canvas_state(self, connection: Connection, seq: int) -> dict[str, Any]:
        users = [p.view() for p in await self.presence.presence(connection.canvas_id)]
        return canvas.canvas_state(
            canvas_id=connection.canvas_id, seq=seq, epoch=self.events.epoch,
            connection_id=connection.id, you=connection.brief(), users=users,
            locks=list(self.leases.get(connection.canvas_id, {}).values()),
        )

    # ----- broadcasting (the guide's methods) ------------------------------------------

    async def broadcast_to_canvas(
        self,
        canvas_id: int,
        message: dict[str, Any],
        exclude_user: int | None = None,
        exclude_connection: str | None = None,
    ) -> int:
        """Number the event, fold presence changes into shared state, and fan it out."""
        if message.get("type") in PRESENCE_EVENTS:
            if message["type"] == "user_presence_update" and "status" not in message:
                await self._fill_status(canvas_id, message)
            await self.presence.presence_apply(canvas_id, message)
            self._notify_presence(canvas_id, message)
        seq = await self.events.publish(canvas_topic(canvas_id), message,
                                        exclude_user=exclude_user,
                                        exclude_connection=exclude_connection)
        if self.naive_broadcast:
            await self._naive_fanout(canvas_id, message, exclude_user, exclude_connection)
        return seq

    async def _fill_status(self, canvas_id: int, message: dict[str, Any]) -> None:
        """Lease events come from the lock service, which knows nothing of status."""
        status: str = "online"
        status_message: str | None = None
        for entry in await self.presence.presence(canvas_id):
            if entry.user_id == message.get("user_id"):
                status, status_message = entry.status, entry.status_message
        message["status"], message["status_message"] = status, status_message

    async def publish(
        self,
        canvas_id: int,
        event: dict[str, Any],
        *,
        exclude_user: int | None = None,
        exclude_connection: str | None = None,
    ) -> None:
        """The services' EventSink."""
        await self.broadcast_to_canvas(canvas_id, event, exclude_user, exclude_connection)

    async def send_to_user(self, canvas_id: int, user_id: int, message: dict[str, Any]) -> int:
        """Send to every connection of one user on the canvas; returns how many."""
        sent = 0
        for connection in list(self.canvas_connections.get(canvas_id, {}).values()):
            if connection.user_id == user_id:
                connection.send_event(message)
                sent += 1
        return sent

    async def broadcast_tile_created(
        self, canvas_id: int, tile_data: dict[str, Any], creator_id: int
    ) -> int:
        return await self.broadcast_to_canvas(
            canvas_id, {**tile_data, "type": "tile_created"}, exclude_user=creator_id
        )

    async def broadcast_tile_updated(
        self, canvas_id: int, tile_data: dict[str, Any], updater_id: int
    ) -> int:
        return await self.broadcast_to_canvas(
            canvas_id, {**tile_data, "type": "tile_updated"}, exclude_user=updater_id
        )

    async def broadcast_tile_liked(
        self, canvas_id: int, tile_data: dict[str, Any], liker_id: int
    ) -> int:
        return await self.broadcast_to_canvas(
            canvas_id, {**tile_data, "type": "tile_liked"}, exclude_user=liker_id
        )

    async def broadcast_user_activity(self, canvas_id: int, activity_data: dict[str, Any]) -> int:
        event = {"type": "user_presence_update", "canvas_id": canvas_id, **activity_data}
        event.setdefault("timestamp", now_iso())
        return await self.broadcast_to_canvas(canvas_id, event)

    async def get_canvas_active_users(self, canvas_id: int) -> list[dict[str, Any]]:
        presence: list[UserPresence] = await self.presence.presence(canvas_id)
        return [p.view() for p in sorted(presence, key=lambda p: p.connected_at)]

    # ----- delivery (broker receivers; synchronous, never block) -------------------------

    def _on_delivery(self, delivery: Delivery) -> None:
        conns = self.canvas_connections.get(delivery.canvas_id)
        if conns is None or self.naive_broadcast:
            return
        payload = delivery.payload
        frame = text_frame(payload)  # encoded once: the same bytes go to every subscriber
        seq = delivery.seq
        exclude_user, exclude_connection = delivery.exclude_user, delivery.exclude_connection
        scheduler = self.flush_scheduler
        direct = scheduler is not None and scheduler.is_quiet()
        # The hot loop: Connection.deliver inlined, one append (or, when the server is
        # quiet, one write) per subscriber, no await.
        for connection in conns.values():
            if connection.user_id == exclude_user or connection.id == exclude_connection:
                continue
            if connection.held is not None:
                connection.held.append((delivery, frame))
            elif seq > connection.last_seq:
                connection.last_seq = seq
                if direct:
                    connection.writer.send_now(payload, frame)
                else:
                    connection.writer.send(payload, frame)
        if direct and scheduler is not None:
            scheduler.note_busy()
        if delivery.event_type == "user_presence_update":
            self._track_lease(delivery)
        if delivery.event_type == "canvas_deleted":
            for connection in list(conns.values()):
                connection.close(CloseCode.NOT_FOUND, "canvas deleted")

    def _track_lease(self, delivery: Delivery) -> None:
        # Most presence updates are statuses and typing: skip decoding those. The quotes
        # of a "reason" key cannot appear unescaped inside a JSON string value.
        if b'"reason":"lease_' not in delivery.payload:
            return
        event = orjson.loads(delivery.payload)
        reason = event.get("reason")
        leases = self.leases.get(delivery.canvas_id)
        if leases is None or not str(reason).startswith("lease_"):
            return
        cell = (event["tile_x"], event["tile_y"])
        if reason == "lease_taken":
            leases[cell] = {
                "tile_x": cell[0], "tile_y": cell[1], "user_id": event["user_id"],
                "username": event["username"], "display_name": event["display_name"],
                "expires_at": event.get("expires_at"),
            }
        elif leases.get(cell, {}).get("user_id") == event["user_id"]:
            del leases[cell]

    async def _naive_fanout(self, canvas_id: int, message: dict[str, Any],
                            exclude_user: int | None, exclude_connection: str | None) -> None:
        """The usual sequential-await broadcast, kept only as the benchmark's baseline."""
        for connection in list(self.canvas_connections.get(canvas_id, {}).values()):
            if connection.user_id == exclude_user or connection.id == exclude_connection:
                continue
            with contextlib.suppress(Exception):
                await connection.websocket.send_text(orjson.dumps(message).decode())

    def _on_control(self, message: dict[str, Any]) -> None:
        for listener in self.control_listeners:
            try:
                listener(message)
            except Exception:
                log.exception("control listener failed")
        if message.get("type") == "token_revoked":
            for connection in list(self.connections_by_jti.get(str(message.get("jti")), ())):
                connection.close(CloseCode.UNAUTHORIZED, "token revoked")
        elif message.get("type") in (PRESENCE_EXPIRED, PRESENCE_RESTORED):
            task = asyncio.get_running_loop().create_task(self._announce_presence_change(
                str(message["type"]), int(message["canvas_id"]), list(message["users"])))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        elif message.get("type") == EPOCH_CHANGED:
            # The broker lost its state (a Redis that came back empty) and numbers events
            # afresh: every socket reconnects with its last seq and gets resync_required.
            self.close_all(CloseCode.SERVICE_RESTART, "event numbering restarted")

    def _notify_presence(self, canvas_id: int, event: dict[str, Any]) -> None:
        for listener in self.presence_listeners:
            try:
                listener(canvas_id, event)
            except Exception:
                log.exception("presence listener failed")

    # ----- housekeeping ----------------------------------------------------------------

    def close_expired(self, now: float, idle_timeout: float, loop_time: float,
                      ping_interval: float | None = None) -> int:
        """Close sockets whose token expired or that sent nothing for ``idle_timeout``;
        ping those quiet for ``ping_interval`` (one sweep instead of a timer per socket)."""
        closed = 0
        for conns in list(self.canvas_connections.values()):
            for connection in list(conns.values()):
                if not connection.is_live:
                    continue
                if connection.expires_at <= now:
                    connection.close(CloseCode.UNAUTHORIZED, "token expired")
                    closed += 1
                    continue
                seen = connection.writer.last_seen()
                if seen is not None and loop_time - seen > idle_timeout:
                    connection.close(CloseCode.INTERNAL_ERROR, "keepalive timeout")
                    closed += 1
                elif ping_interval:
                    connection.writer.ping_if_quiet(loop_time, ping_interval)
        return closed

    def close_all(self, code: int, reason: str) -> None:
        for conns in list(self.canvas_connections.values()):
            for connection in list(conns.values()):
                connection.close(code, reason)

    def rebind_token(self, connection: Connection, jti: str, expires_at: float) -> None:
        """A fresh token replaces the connection's old one (``auth`` message)."""
        old = self.connections_by_jti.get(connection.jti)
        if old is not None:
            old.discard(connection)
            if not old:
                del self.connections_by_jti[connection.jti]
        connection.jti, connection.expires_at = jti, expires_at
        self.connections_by_jti.setdefault(jti, set()).add(connection)

    def connections_of_user(self, user_id: int) -> int:
        return sum(users.get(user_id, 0) for users in self.canvas_users.values())

    def stats(self) -> dict[str, Any]:
        return {
            "connections": self.total_connections,
            "canvases": len(self.canvas_connections),
            "users": len(self.user_info),
            "tokens": len(self.connections_by_jti),
            "time": time.time(),
        }
