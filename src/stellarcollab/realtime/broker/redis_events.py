"""The Redis event bus: topics shared by every process on one Redis.

One Lua script numbers a canvas's event (INCR), appends it to the canvas's recent history
and publishes it, so ``seq`` order is delivery order; other topics are published as they
are. The reader (``redis_reader``) turns each message into a ``Delivery`` once and hands
canvas events over in ``seq`` order, catching up from the history after a lost
connection. Nothing here awaits a receiver.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Any, cast

import orjson
from redis.exceptions import RedisError

from stellarcollab.clock import Clock
from stellarcollab.realtime.broker.base import (
    EPOCH_CHANGED,
    ControlReceiver,
    DeliveryReceiver,
    ignore_control,
    ignore_delivery,
)
from stellarcollab.realtime.broker.redis_client import RedisBrokerError, RedisClient
from stellarcollab.realtime.broker.redis_reader import BACKOFF_MAX, BACKOFF_MIN, PubSubReader
from stellarcollab.realtime.broker.redis_scripts import (
    EPOCH_SCRIPT,
    PUBLISH_SCRIPT,
    RECOVER_SCRIPT,
)
from stellarcollab.realtime.broker.redis_wire import (
    backstop_ms,
    decode_envelope,
    encode_envelope,
    encode_meta,
    encode_time,
    split_payload,
)
from stellarcollab.realtime.protocol import encode_event
from stellarcollab.realtime.recovery import (
    Delivery,
    EventHistory,
    Replay,
    Resync,
    plan_recovery,
)
from stellarcollab.realtime.topics import canvas_of

log = logging.getLogger(__name__)

CONTROL_CHANNEL = "control"


class RedisEventBus:
    """The EventBus of a cluster; ``epoch_listeners`` run when Redis lost its data."""

    def __init__(self, client: RedisClient, clock: Clock, history: int = 1000,
                 history_ttl: float = 300.0, *, keepalive_interval: float = 5.0) -> None:
        self.epoch = ""  # adopted from Redis in start(); shared by every process
        self.history_size = history
        self.history_ttl = history_ttl
        self.clock = clock
        self.epoch_listeners: list[Callable[[], None]] = []
        self._client = client
        self._publish = client.redis.register_script(PUBLISH_SCRIPT)
        self._recover = client.redis.register_script(RECOVER_SCRIPT)
        self._adopt = client.redis.register_script(EPOCH_SCRIPT)
        self._deliver: DeliveryReceiver = ignore_delivery
        self._control: ControlReceiver = ignore_control
        self._epoch_key = client.key("epoch")
        self._control_channel = client.channel(CONTROL_CHANNEL)
        self._subscriptions: dict[str, int] = {}
        self._topic_of: dict[bytes, tuple[str, int | None]] = {}  # channel -> topic, canvas
        self._delivered: dict[int, int] = {}  # last seq handed over, per subscribed canvas
        self._reader = PubSubReader(client, keepalive_interval, on_connect=self._sync_epoch,
                                    on_message=self._on_message,
                                    on_confirmed=self._on_confirmed)

    def _event_keys(self, canvas_id: int) -> list[str]:
        base = self._client.key(f"canvas:{canvas_id}")
        return [self._epoch_key, f"{base}:seq", f"{base}:history"]

    # ----- lifecycle --------------------------------------------------------------------

    def set_receivers(self, deliveries: DeliveryReceiver, control: ControlReceiver) -> None:
        self._deliver = deliveries
        self._control = control

    async def start(self) -> None:
        """Adopt the shared epoch (failing when Redis stays unreachable for the command
        timeout), then start the reader."""
        await self._first_contact()
        self._reader.start()
        if not await self._reader.add(self._control_channel, fresh=True):
            log.warning("Redis broker at %s: control channel not confirmed yet",
                        self._client.address)

    async def stop(self) -> None:
        await self._reader.stop()

    async def ping(self) -> None:
        await self._client.redis.ping()

    @property
    def connected(self) -> bool:
        """The reader holds a subscription that Redis has confirmed."""
        return self._reader.is_confirmed(self._control_channel)

    async def _first_contact(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._client.command_timeout
        delay = BACKOFF_MIN
        while True:
            try:
                await self._sync_epoch()
                return
            except (RedisError, OSError) as exc:
                if loop.time() + delay > deadline:
                    raise RedisBrokerError(
                        f"cannot reach Redis at {self._client.address}: {exc}") from exc
                log.warning("Redis at %s not reachable yet (%s)", self._client.address, exc)
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
                    self._client.address, previous, stored)
        self._delivered.clear()
        for listener in self.epoch_listeners:
            listener()
        self.notify_local({"type": EPOCH_CHANGED, "epoch": stored, "previous": previous})

    # ----- publishing -------------------------------------------------------------------

    async def publish(
        self,
        topic: str,
        event: dict[str, Any],
        *,
        exclude_user: int | None = None,
        exclude_connection: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        canvas_id = canvas_of(topic)
        encoded_meta = encode_meta(str(event.get("type")), exclude_user, exclude_connection,
                                   meta)
        if canvas_id is None:
            envelope = encode_envelope(self.clock.time(), encoded_meta, encode_event(event))
            await self._client.redis.publish(self._client.channel(topic), envelope)
            return 0
        try:
            head, tail = split_payload(event, canvas_id)
            seq = await self._number(canvas_id, head, tail, encoded_meta)
        except BaseException:
            event.pop("seq", None)  # not numbered: no placeholder left behind
            raise
        event["seq"] = seq
        return seq

    async def _number(self, canvas_id: int, head: bytes, tail: bytes, meta: bytes) -> int:
        channel = self._client.channel(f"canvas:{canvas_id}")
        for _attempt in range(3):
            args: list[bytes | str | int] = [
                self.epoch, head, tail, meta, channel, self.history_size,
                backstop_ms(self.history_ttl), encode_time(self.clock.time())]
            seq = await self._publish(keys=self._event_keys(canvas_id), args=args)
            if seq is not None:
                return int(seq)
            await self._sync_epoch()  # refused under a stale epoch: adopt Redis's, retry
        raise RedisBrokerError(f"canvas {canvas_id}: the epoch keeps changing")

    async def publish_control(self, message: dict[str, Any]) -> None:
        await self._client.redis.publish(self._control_channel, orjson.dumps(message))

    async def current_seq(self, canvas_id: int) -> int:
        epoch_key, seq_key, _ = self._event_keys(canvas_id)
        stored, seq = await self._client.redis.mget(epoch_key, seq_key)
        await self._check_epoch(stored)
        return int(seq or 0)

    async def recover(self, canvas_id: int, since: int, epoch: str | None) -> Replay | Resync:
        stored, seq, items = await self._recover(keys=self._event_keys(canvas_id), args=[since])
        await self._check_epoch(stored)
        history = EventHistory(self.history_size, self.history_ttl)
        topic = f"canvas:{canvas_id}"
        for item in items:
            history.append(decode_envelope(topic, canvas_id, item))
        return plan_recovery(history, since, int(seq), epoch, self.epoch, self.clock.time())

    # ----- subscriptions ----------------------------------------------------------------

    async def subscribe(self, topic: str) -> None:
        """Returns once Redis confirmed the subscription, so every event published after
        this returns is delivered here (or after the command timeout, logged)."""
        canvas_id = canvas_of(topic)  # validates the name first
        count = self._subscriptions.get(topic, 0) + 1
        self._subscriptions[topic] = count
        channel = self._client.channel(topic)
        if count == 1:
            self._topic_of[channel] = (topic, canvas_id)
        if not await self._reader.add(channel, fresh=count == 1):
            log.warning("Redis broker at %s: %s subscription not confirmed in time",
                        self._client.address, topic)

    async def unsubscribe(self, topic: str) -> None:
        left = self._subscriptions.get(topic, 0) - 1
        if left > 0:
            self._subscriptions[topic] = left
            return
        self._subscriptions.pop(topic, None)
        channel = self._client.channel(topic)
        known = self._topic_of.pop(channel, None)
        if known is None:
            return
        if known[1] is not None:
            self._delivered.pop(known[1], None)
        await self._reader.remove(channel)

    # ----- what the reader hands over ---------------------------------------------------

    async def _on_message(self, channel: bytes, data: bytes) -> None:
        if channel == self._control_channel:
            try:
                self.notify_local(orjson.loads(data))
            except orjson.JSONDecodeError:
                log.exception("Redis broker: undecodable control message")
            return
        known = self._topic_of.get(channel)
        if known is None:
            return  # unsubscribed while the message was on its way
        topic, canvas_id = known
        try:
            delivery = decode_envelope(topic, canvas_id or 0, data)
        except (ValueError, TypeError):
            log.exception("Redis broker: undecodable event on %s", topic)
            return
        if canvas_id is not None:
            last = self._delivered.get(canvas_id)
            if last is not None:
                if delivery.seq <= last:
                    return  # already handed over by a catch-up
                if delivery.seq > last + 1:
                    await self._catch_up(topic, canvas_id, last, delivery.seq)
        self._hand_over(delivery)

    async def _on_confirmed(self, channel: bytes) -> None:
        known = self._topic_of.get(channel)
        if known is not None and known[1] is not None and known[1] in self._delivered:
            # Resubscribed after a lost connection: what was published meanwhile.
            await self._catch_up(known[0], known[1], self._delivered[known[1]], None)

    async def _catch_up(self, topic: str, canvas_id: int, after: int, before: int | None) -> None:
        """Hand over, from the history, the events between ``after`` and ``before``."""
        upper = f"({before}" if before is not None else "+inf"
        items = cast(list[bytes], await self._client.redis.zrangebyscore(
            self._event_keys(canvas_id)[2], f"({after}", upper))
        missed = [decode_envelope(topic, canvas_id, item) for item in items]
        if not missed or missed[0].seq != after + 1:
            log.warning("Redis broker: canvas %s events after seq %s are no longer in the "
                        "history; local connections miss them", canvas_id, after)
        for delivery in missed:
            if topic not in self._subscriptions:
                return
            if delivery.seq > self._delivered.get(canvas_id, 0):
                self._hand_over(delivery)

    def _hand_over(self, delivery: Delivery) -> None:
        if delivery.seq:
            self._delivered[delivery.canvas_id] = delivery.seq
        try:
            self._deliver(delivery)
        except Exception:
            log.exception("delivery receiver failed on %s seq %s", delivery.topic,
                          delivery.seq)

    def notify_local(self, message: dict[str, Any]) -> None:
        """Hand a notice to this process's control receiver (published to no one)."""
        try:
            self._control(message)
        except Exception:
            log.exception("control receiver failed")

    def stats(self) -> dict[str, int]:
        return {"subscriptions": len(self._subscriptions), "connected": int(self.connected)}
