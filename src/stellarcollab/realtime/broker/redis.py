"""The Redis broker: events, recovery history and presence shared by every process.

One Lua script numbers a canvas's event (INCR), appends it to the canvas's recent history
and publishes it, so ``seq`` order is delivery order. One reader task per process turns
each pub/sub message into a ``Delivery`` once and hands it to the receiver in ``seq``
order; it reconnects, resubscribes and catches up from the history by itself. Presence
lives in Redis with per-connection deadlines that each process renews for its own
connections, so a crashed process's users expire. Nothing here awaits a receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from stellarcollab.db.types import isoformat_z, utcnow
from stellarcollab.realtime import presence as presence_rules
from stellarcollab.realtime.broker.base import (
    EPOCH_CHANGED,
    PRESENCE_EXPIRED,
    PRESENCE_RESTORED,
    ControlReceiver,
    DeliveryReceiver,
)
from stellarcollab.realtime.broker.redis_scripts import (
    EPOCH_SCRIPT,
    JOIN_SCRIPT,
    LEAVE_SCRIPT,
    PUBLISH_SCRIPT,
    READ_SCRIPT,
    RECOVER_SCRIPT,
    RENEW_SCRIPT,
    UPDATE_SCRIPT,
    WITHDRAW_SCRIPT,
)
from stellarcollab.realtime.broker.redis_wire import (
    decode_entry,
    decode_envelope,
    describe,
    encode_entry,
    encode_meta,
    split_payload,
)
from stellarcollab.realtime.presence import UserPresence
from stellarcollab.realtime.recovery import (
    Delivery,
    EventHistory,
    Replay,
    Resync,
    plan_recovery,
)

log = logging.getLogger(__name__)

BACKOFF_MIN = 0.1
BACKOFF_MAX = 5.0
PRESENCE_UPDATE_ATTEMPTS = 8

class RedisBrokerError(RuntimeError):
    """Redis could not be reached, or refused what the broker needs."""


async def _close_quietly(pubsub: PubSub) -> None:
    with contextlib.suppress(Exception):
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py


def _ignore_delivery(_delivery: Delivery) -> None:
    return None


def _ignore_control(_message: dict[str, Any]) -> None:
    return None


@dataclass(slots=True)
class _OwnPresence:
    """This process's connections on one canvas, renewed in Redis by the background loop.
    The lock keeps a renewal from re-adding a connection that is leaving."""

    connections: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RedisBroker:
    """The Broker of a cluster. Keys and channels live under ``prefix``; ``presence_ttl``
    is how long a connection's presence outlives a process that stopped renewing it."""

    def __init__(
        self,
        url: str,
        history: int = 1000,
        history_ttl: float = 300.0,
        *,
        presence_ttl: float = 30.0,
        prefix: str = "stellarcollab:",
        keepalive_interval: float = 5.0,
        command_timeout: float = 10.0,
        max_connections: int = 64,
    ) -> None:
        self.epoch = ""  # adopted from Redis in start(); shared by every process
        self.address = describe(url)
        self.history_size = history
        self.history_ttl = history_ttl
        self.presence_ttl = presence_ttl
        self.prefix = prefix
        self.keepalive_interval = keepalive_interval
        self.command_timeout = command_timeout
        # No transparent retries: a publish whose reply was lost must not be numbered
        # twice. Callers see the error; the reader task reconnects on its own. RESP2, as
        # with it the pool replaces a connection the server closed (say, a restarted
        # Redis) before sending a command on it; redis-py skips that check under RESP3.
        pool = BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=command_timeout,
            socket_timeout=command_timeout, socket_connect_timeout=command_timeout,
            retry=Retry(NoBackoff(), 0), protocol=2,
        )
        self._redis = Redis(connection_pool=pool)
        self._publish = self._redis.register_script(PUBLISH_SCRIPT)
        self._recover = self._redis.register_script(RECOVER_SCRIPT)
        self._adopt = self._redis.register_script(EPOCH_SCRIPT)
        self._join = self._redis.register_script(JOIN_SCRIPT)
        self._leave = self._redis.register_script(LEAVE_SCRIPT)
        self._renew = self._redis.register_script(RENEW_SCRIPT)
        self._withdraw = self._redis.register_script(WITHDRAW_SCRIPT)
        self._read_presence = self._redis.register_script(READ_SCRIPT)
        self._update = self._redis.register_script(UPDATE_SCRIPT)
        self._deliver: DeliveryReceiver = _ignore_delivery
        self._control: ControlReceiver = _ignore_control
        self._epoch_key = f"{prefix}epoch"
        # Channels, unlike keys, are shared by all of a server's databases: name the db.
        self._channels = f"{prefix}db{pool.connection_kwargs.get('db', 0)}:"
        self._control_channel = f"{self._channels}control".encode()
        self._subscriptions: dict[int, int] = {}
        self._canvas_of: dict[bytes, int] = {}  # subscribed channel -> canvas
        self._confirmed: set[bytes] = set()  # channels Redis confirmed on this connection
        self._waiters: dict[bytes, list[asyncio.Future[None]]] = {}
        self._delivered: dict[int, int] = {}  # last seq handed over, per subscribed canvas
        self._own: dict[int, _OwnPresence] = {}
        self._pubsub: PubSub | None = None
        self._pubsub_lock = asyncio.Lock()
        self._backoff = BACKOFF_MIN
        self._renew_now = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # ----- keys -------------------------------------------------------------------------

    def _channel(self, canvas_id: int) -> bytes:
        return f"{self._channels}canvas:{canvas_id}".encode()

    def _event_keys(self, canvas_id: int) -> list[str]:
        base = f"{self.prefix}canvas:{canvas_id}"
        return [self._epoch_key, f"{base}:seq", f"{base}:history"]

    def _presence_keys(self, canvas_id: int) -> list[str]:
        base = f"{self.prefix}presence:{canvas_id}"
        return [f"{base}:users", f"{base}:conns", f"{base}:deadlines", f"{base}:counts"]

    # ----- lifecycle --------------------------------------------------------------------

    def set_receivers(self, deliveries: DeliveryReceiver, control: ControlReceiver) -> None:
        self._deliver = deliveries
        self._control = control

    async def start(self) -> None:
        """Adopt the shared epoch (failing when Redis stays unreachable for
        ``command_timeout``), then start the reader and the presence renewal."""
        if self._tasks:
            return
        await self._first_contact()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._read_forever(), name="redis-broker-reader"),
            loop.create_task(self._renew_forever(), name="redis-broker-presence"),
        ]
        if not await self._until_confirmed(self._control_channel):
            log.warning("Redis broker at %s: control channel not confirmed yet", self.address)

    async def stop(self) -> None:
        """Stop the loops, withdraw this process's presence, close the connections."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        try:
            await self._withdraw_presence()
        except (RedisError, OSError) as exc:
            log.warning("Redis broker at %s: presence not withdrawn (%s); it expires in "
                        "%.0f s", self.address, exc, self.presence_ttl)
        await self._close_pubsub()
        await self._redis.aclose(close_connection_pool=True)

    async def ping(self) -> None:
        await self._redis.ping()

    @property
    def connected(self) -> bool:
        """The reader holds a subscription that Redis has confirmed."""
        return self._pubsub is not None and self._control_channel in self._confirmed

    async def _first_contact(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.command_timeout
        delay = BACKOFF_MIN
        while True:
            try:
                await self._sync_epoch()
                return
            except (RedisError, OSError) as exc:
                if loop.time() + delay > deadline:
                    raise RedisBrokerError(
                        f"cannot reach Redis at {self.address}: {exc}") from exc
                log.warning("Redis at %s not reachable yet (%s)", self.address, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    # ----- the epoch --------------------------------------------------------------------

    async def _sync_epoch(self) -> None:
        """Create the epoch once (SET NX) or adopt the one already there."""
        stored = await self._adopt(keys=[self._epoch_key], args=[secrets.token_urlsafe(6)])
        self._adopt_epoch(stored.decode())

    async def _check_epoch(self, stored: bytes | str | None) -> None:
        if not stored:
            await self._sync_epoch()  # Redis lost its data: a fresh epoch for everyone
            return
        epoch = stored.decode() if isinstance(stored, bytes) else stored
        if epoch != self.epoch:
            self._adopt_epoch(epoch)

    def _adopt_epoch(self, stored: str) -> None:
        previous, self.epoch = self.epoch, stored
        if not previous or previous == stored:
            return
        # Redis restarted or was flushed: numbering started over and the history is gone.
        log.warning("Redis broker at %s: epoch changed (%s -> %s); Redis lost its data",
                    self.address, previous, stored)
        self._delivered.clear()
        self._renew_now.set()
        self._notify_control({"type": EPOCH_CHANGED, "epoch": stored, "previous": previous})

    # ----- events -----------------------------------------------------------------------

    async def publish(
        self,
        canvas_id: int,
        event: dict[str, Any],
        exclude_user: int | None = None,
        exclude_connection: str | None = None,
    ) -> int:
        meta = encode_meta(str(event.get("type")), exclude_user, exclude_connection)
        try:
            head, tail = split_payload(event, canvas_id)
            seq = await self._number(canvas_id, head, tail, meta)
        except BaseException:
            event.pop("seq", None)  # not numbered: no placeholder left behind
            raise
        event["seq"] = seq
        return seq

    async def _number(self, canvas_id: int, head: bytes, tail: bytes, meta: bytes) -> int:
        ttl_ms = max(1, math.ceil(self.history_ttl * 1000))
        args: list[bytes | str | int] = [
            head, tail, meta, self._channel(canvas_id), self.history_size, ttl_ms]
        for _attempt in range(3):
            seq = await self._publish(keys=self._event_keys(canvas_id), args=[self.epoch, *args])
            if seq is not None:
                return int(seq)
            await self._sync_epoch()  # refused under a stale epoch: adopt Redis's, retry
        raise RedisBrokerError(f"canvas {canvas_id}: the epoch keeps changing")

    async def publish_control(self, message: dict[str, Any]) -> None:
        await self._redis.publish(self._control_channel, orjson.dumps(message))

    async def current_seq(self, canvas_id: int) -> int:
        epoch_key, seq_key, _ = self._event_keys(canvas_id)
        stored, seq = await self._redis.mget(epoch_key, seq_key)
        await self._check_epoch(stored)
        return int(seq or 0)

    async def recover(self, canvas_id: int, since: int, epoch: str | None) -> Replay | Resync:
        stored, seq, now, items = await self._recover(
            keys=self._event_keys(canvas_id), args=[since])
        await self._check_epoch(stored)
        history = EventHistory(self.history_size, self.history_ttl)
        for item in items:
            history.append(decode_envelope(canvas_id, item))
        return plan_recovery(history, since, int(seq), epoch, self.epoch, float(now))

    # ----- subscriptions ----------------------------------------------------------------

    async def subscribe(self, canvas_id: int) -> None:
        """Returns once Redis confirmed the subscription, so every event numbered after
        this returns is delivered here (or after ``command_timeout``, logged)."""
        count = self._subscriptions.get(canvas_id, 0) + 1
        self._subscriptions[canvas_id] = count
        channel = self._channel(canvas_id)
        if count == 1:
            self._canvas_of[channel] = canvas_id
            self._confirmed.discard(channel)  # an older confirmation does not count
            await self._send("subscribe", channel)
        if not await self._until_confirmed(channel):
            log.warning("Redis broker at %s: canvas %s subscription not confirmed within "
                        "%.0f s", self.address, canvas_id, self.command_timeout)

    async def unsubscribe(self, canvas_id: int) -> None:
        left = self._subscriptions.get(canvas_id, 0) - 1
        if left > 0:
            self._subscriptions[canvas_id] = left
            return
        self._subscriptions.pop(canvas_id, None)
        channel = self._channel(canvas_id)
        if self._canvas_of.pop(channel, None) is None:
            return
        self._delivered.pop(canvas_id, None)
        await self._send("unsubscribe", channel)

    async def _send(self, command: str, channel: bytes) -> None:
        async with self._pubsub_lock:
            pubsub = self._pubsub
            if pubsub is None:
                return  # the reader subscribes every wanted channel when it connects
            try:
                if command == "subscribe":
                    await pubsub.subscribe(channel)
                else:
                    await pubsub.unsubscribe(channel)
            except (RedisError, OSError) as exc:
                # The reader sees the same broken connection and resubscribes everything.
                log.warning("Redis broker at %s: %s failed (%s)", self.address, command, exc)

    async def _until_confirmed(self, channel: bytes) -> bool:
        if channel in self._confirmed:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel, []).append(waiter)
        try:
            await asyncio.wait_for(waiter, self.command_timeout)
            return True
        except TimeoutError:
            return False
        finally:
            waiters = self._waiters.get(channel, [])
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters:
                self._waiters.pop(channel, None)

    # ----- the reader -------------------------------------------------------------------

    async def _read_forever(self) -> None:
        """Read until cancelled; on a lost connection back off (capped), reconnect,
        resubscribe and catch up from the history."""
        while True:
            try:
                await self._read(await self._open_pubsub())
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("Redis broker at %s: subscription connection lost (%s); "
                            "reconnecting in %.1f s", self.address, exc, self._backoff)
            except Exception:
                log.exception("Redis broker at %s: reader failed; reconnecting in %.1f s",
                              self.address, self._backoff)
            await self._close_pubsub()
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    async def _open_pubsub(self) -> PubSub:
        await self._sync_epoch()  # a restarted Redis gets a fresh epoch before any event
        async with self._pubsub_lock:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self._control_channel, *self._canvas_of)
            except BaseException:
                await _close_quietly(pubsub)
                raise
            self._pubsub = pubsub
        return pubsub

    async def _close_pubsub(self) -> None:
        async with self._pubsub_lock:
            pubsub, self._pubsub = self._pubsub, None
            self._confirmed.clear()
        if pubsub is not None:
            await _close_quietly(pubsub)

    async def _read(self, pubsub: PubSub) -> None:
        """Dispatch messages; ping when idle, and give up on a silent connection."""
        loop = asyncio.get_running_loop()
        heard = loop.time()
        while True:
            message = await pubsub.get_message(timeout=self.keepalive_interval)
            now = loop.time()
            if message is None:
                if now - heard > 3 * self.keepalive_interval:
                    raise RedisConnectionError("no answer to keepalive pings")
                await pubsub.ping()
                continue
            heard = now
            kind, channel = message["type"], message["channel"]
            if kind == "message":
                await self._on_message(channel, message["data"])
            elif kind == "subscribe":
                await self._on_subscribed(channel)
            elif kind == "unsubscribe":
                self._confirmed.discard(channel)

    async def _on_message(self, channel: bytes, data: bytes) -> None:
        if channel == self._control_channel:
            try:
                self._notify_control(orjson.loads(data))
            except orjson.JSONDecodeError:
                log.exception("Redis broker: undecodable control message")
            return
        canvas_id = self._canvas_of.get(channel)
        if canvas_id is None:
            return  # unsubscribed while the message was on its way
        try:
            delivery = decode_envelope(canvas_id, data)
        except (ValueError, TypeError):
            log.exception("Redis broker: undecodable event on canvas %s", canvas_id)
            return
        last = self._delivered.get(canvas_id)
        if last is not None:
            if delivery.seq <= last:
                return  # already handed over by a catch-up
            if delivery.seq > last + 1:
                await self._catch_up(canvas_id, last, delivery.seq)
        self._hand_over(delivery)

    async def _on_subscribed(self, channel: bytes) -> None:
        self._confirmed.add(channel)
        for waiter in self._waiters.pop(channel, []):
            if not waiter.done():
                waiter.set_result(None)
        if channel == self._control_channel:
            self._backoff = BACKOFF_MIN  # a working connection again
            return
        canvas_id = self._canvas_of.get(channel)
        if canvas_id is not None and canvas_id in self._delivered:
            # Resubscribed after a lost connection: what was published meanwhile.
            await self._catch_up(canvas_id, self._delivered[canvas_id], None)

    async def _catch_up(self, canvas_id: int, after: int, before: int | None) -> None:
        """Hand over, from the history, the events between ``after`` and ``before``."""
        upper = f"({before}" if before is not None else "+inf"
        items = cast(list[bytes], await self._redis.zrangebyscore(
            self._event_keys(canvas_id)[2], f"({after}", upper))
        missed = [decode_envelope(canvas_id, item) for item in items]
        if not missed or missed[0].seq != after + 1:
            log.warning("Redis broker: canvas %s events after seq %s are no longer in the "
                        "history; local connections miss them", canvas_id, after)
        for delivery in missed:
            if self._canvas_of.get(self._channel(canvas_id)) is None:
                return
            if delivery.seq > self._delivered.get(canvas_id, 0):
                self._hand_over(delivery)

    def _hand_over(self, delivery: Delivery) -> None:
        self._delivered[delivery.canvas_id] = delivery.seq
        try:
            self._deliver(delivery)
        except Exception:
            log.exception("delivery receiver failed on canvas %s seq %s",
                          delivery.canvas_id, delivery.seq)

    def _notify_control(self, message: dict[str, Any]) -> None:
        try:
            self._control(message)
        except Exception:
            log.exception("control receiver failed")

    # ----- presence ---------------------------------------------------------------------

    async def presence_join(self, canvas_id: int, user: dict[str, Any], connection_id: str) -> bool:
        entry = UserPresence(user["user_id"], user["username"], user["display_name"],
                             isoformat_z(utcnow()))
        uid, data = str(entry.user_id), encode_entry(entry)
        first, gone = await self._join(keys=self._presence_keys(canvas_id),
                                       args=[connection_id, uid, data,
                                             self._presence_ttl_ms()])
        self._announce(PRESENCE_EXPIRED, canvas_id, gone)
        # Registered after the script: a renewal must not add it first, or the join
        # would not be counted as the user's first.
        own = self._own.setdefault(canvas_id, _OwnPresence())
        own.connections[connection_id] = (uid, data)
        return bool(first)

    async def presence_leave(self, canvas_id: int, user_id: int, connection_id: str) -> bool:
        keys, args = self._presence_keys(canvas_id), [connection_id, str(user_id)]
        own = self._own.get(canvas_id)
        if own is None:
            last, gone = await self._leave(keys=keys, args=args)
        else:
            async with own.lock:
                own.connections.pop(connection_id, None)
                if not own.connections and self._own.get(canvas_id) is own:
                    del self._own[canvas_id]
                last, gone = await self._leave(keys=keys, args=args)
        self._announce(PRESENCE_EXPIRED, canvas_id, gone)
        return bool(last)

    async def presence_apply(self, canvas_id: int, event: dict[str, Any]) -> None:
        """Fold the event into the user's entry with presence.apply_event; a compare and
        set keeps concurrent updates of one user (from several processes) whole."""
        user_id = event.get("user_id")
        if not isinstance(user_id, int):
            return
        keys, uid = self._presence_keys(canvas_id), str(user_id)
        users_key = keys[0]
        for _attempt in range(PRESENCE_UPDATE_ATTEMPTS):
            current = cast(bytes | None, await self._redis.hget(users_key, uid))
            if current is None:
                return
            entry = decode_entry(user_id, current, set())
            presence_rules.apply_event({user_id: entry}, event)
            updated = encode_entry(entry)
            if updated == current or await self._update(keys=keys,
                                                         args=[uid, current, updated]):
                return
        log.warning("presence of user %s on canvas %s: update lost to contention",
                    user_id, canvas_id)

    async def presence(self, canvas_id: int) -> list[UserPresence]:
        users, conns, gone = await self._read_presence(keys=self._presence_keys(canvas_id))
        self._announce(PRESENCE_EXPIRED, canvas_id, gone)
        connections: dict[int, set[str]] = {}
        for conn, uid in zip(conns[::2], conns[1::2], strict=True):
            connections.setdefault(int(uid), set()).add(conn.decode())
        entries = [
            decode_entry(int(uid), data, connections.get(int(uid), set()))
            for uid, data in zip(users[::2], users[1::2], strict=True)
        ]
        return sorted(entries, key=lambda e: (e.connected_at, e.user_id))

    # ----- one-time tickets ---------------------------------------------------------------

    def _ticket_key(self, ticket: str) -> str:
        return f"{self.prefix}ticket:{ticket}"

    async def put_ticket(self, ticket: str, token: str, ttl_seconds: float) -> None:
        await self._redis.set(self._ticket_key(ticket), token,
                              px=max(1, math.ceil(ttl_seconds * 1000)))

    async def take_ticket(self, ticket: str) -> str | None:
        key = self._ticket_key(ticket)
        async with self._redis.pipeline(transaction=True) as pipe:  # GET and DEL, atomically
            pipe.get(key)
            pipe.delete(key)
            token, _deleted = await pipe.execute()
        if token is None:
            return None
        return token.decode() if isinstance(token, bytes) else str(token)

    def _announce(self, kind: str, canvas_id: int, flat: list[bytes]) -> None:
        """Tell this process's manager (a local control notice) about users whose presence
        a script purged (a dead process's) or re-added (this process's, after Redis lost
        them): each is announced by exactly the one process whose script saw it."""
        if not flat:
            return
        users = []
        for uid, data in zip(flat[::2], flat[1::2], strict=True):
            entry = decode_entry(int(uid), data, set())
            users.append({"user_id": entry.user_id, "username": entry.username,
                          "display_name": entry.display_name})
        self._notify_control({"type": kind, "canvas_id": canvas_id, "users": users})

    def _presence_ttl_ms(self) -> int:
        return max(1, math.ceil(self.presence_ttl * 1000))

    async def _renew_forever(self) -> None:
        """Renew this process's connections every third of the TTL (at once after
        Redis lost its data), so only a dead process's entries expire."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._renew_now.wait(), self.presence_ttl / 3)
            self._renew_now.clear()
            try:
                await self.renew_presence()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("Redis broker at %s: presence not renewed (%s)", self.address, exc)
            except Exception:
                log.exception("Redis broker: presence renewal failed")

    async def renew_presence(self) -> None:
        for canvas_id, own in list(self._own.items()):
            async with own.lock:
                if not own.connections:
                    continue
                args: list[str | bytes | int] = [self._presence_ttl_ms()]
                for connection_id, (uid, data) in own.connections.items():
                    args += [connection_id, uid, data]
                gone, back = await self._renew(keys=self._presence_keys(canvas_id), args=args)
            self._announce(PRESENCE_EXPIRED, canvas_id, gone)
            self._announce(PRESENCE_RESTORED, canvas_id, back)

    async def _withdraw_presence(self) -> None:
        for canvas_id, own in list(self._own.items()):
            async with own.lock:
                if own.connections:
                    await self._withdraw(keys=self._presence_keys(canvas_id),
                                         args=list(own.connections))
                own.connections.clear()
        self._own.clear()

    def stats(self) -> dict[str, int]:
        return {
            "canvases_with_presence": len(self._own),
            "subscriptions": len(self._subscriptions),
            "connected": int(self.connected),
        }
