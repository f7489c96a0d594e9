"""The Redis event bus's one subscription connection per process: which channels it
holds, their confirmations, and the reader task that hands every message on.

The reader reconnects with capped backoff and resubscribes by itself; it never awaits a
socket, only the bus's handlers (which never block on clients).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from stellarcollab.realtime.broker.redis_client import RedisClient
from stellarcollab.tasks import cancel_and_wait

log = logging.getLogger(__name__)

BACKOFF_MIN = 0.1
BACKOFF_MAX = 5.0

ChannelHandler = Callable[[bytes, bytes], Awaitable[None]]  # (channel, data)
ConfirmHandler = Callable[[bytes], Awaitable[None]]


async def _close_quietly(pubsub: PubSub) -> None:
    with contextlib.suppress(Exception):
        # through Any: untyped before redis-py 8.2, typed from it
        await cast(Any, pubsub).aclose()


class PubSubReader:
    """``on_connect`` runs before each (re)subscription; ``on_message`` gets each
    message, ``on_confirmed`` each subscription Redis confirmed, in the order they came."""

    def __init__(self, client: RedisClient, keepalive_interval: float, *,
                 on_connect: Callable[[], Awaitable[None]], on_message: ChannelHandler,
                 on_confirmed: ConfirmHandler) -> None:
        self._client = client
        self.keepalive_interval = keepalive_interval
        self._on_connect, self._on_message = on_connect, on_message
        self._on_confirmed = on_confirmed
        self._wanted: set[bytes] = set()
        self._confirmed: set[bytes] = set()  # channels Redis confirmed on this connection
        self._waiters: dict[bytes, list[asyncio.Future[None]]] = {}
        self._pubsub: PubSub | None = None
        self._lock = asyncio.Lock()
        self._backoff = BACKOFF_MIN
        self._outage_since: float | None = None
        self._task: asyncio.Task[None] | None = None

    def is_confirmed(self, channel: bytes) -> bool:
        return self._pubsub is not None and channel in self._confirmed

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._read_forever(), name="redis-broker-reader")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
        await self._close()

    async def add(self, channel: bytes, *, fresh: bool) -> bool:
        """Subscribe (when ``fresh``) and wait for Redis to confirm: True when it did
        within the command timeout. Events published after a True are delivered."""
        if fresh:
            self._wanted.add(channel)
            self._confirmed.discard(channel)  # an older confirmation does not count
            await self._send("subscribe", channel)
        return await self.until_confirmed(channel)

    async def remove(self, channel: bytes) -> None:
        self._wanted.discard(channel)
        await self._send("unsubscribe", channel)

    async def _send(self, command: str, channel: bytes) -> None:
        async with self._lock:
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
                log.warning("Redis broker at %s: %s failed (%s)", self._client.address,
                            command, exc)

    async def until_confirmed(self, channel: bytes) -> bool:
        if channel in self._confirmed:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel, []).append(waiter)
        try:
            await asyncio.wait_for(waiter, self._client.command_timeout)
            return True
        except TimeoutError:
            return False
        finally:
            waiters = self._waiters.get(channel, [])
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters:
                self._waiters.pop(channel, None)

    async def _read_forever(self) -> None:
        """Read until cancelled; on a lost connection back off (capped) and reconnect."""
        while True:
            try:
                await self._read(await self._open())
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self._note_outage(exc)
            except Exception:
                log.exception("Redis broker at %s: reader failed; reconnecting in %.1f s",
                              self._client.address, self._backoff)
            await self._close()
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    def _note_outage(self, exc: BaseException) -> None:
        """One warning per outage (and one line when it ends), not one per attempt."""
        if self._outage_since is None:
            self._outage_since = asyncio.get_running_loop().time()
            log.warning("Redis broker at %s: subscription connection lost (%s); "
                        "reconnecting with backoff", self._client.address, exc)
        else:
            log.debug("Redis broker at %s: still unreachable (%s); next try in %.1f s",
                      self._client.address, exc, self._backoff)

    async def _open(self) -> PubSub:
        await self._on_connect()
        async with self._lock:
            pubsub = self._client.redis.pubsub()
            try:
                await pubsub.subscribe(*self._wanted)
            except BaseException:
                await _close_quietly(pubsub)
                raise
            self._pubsub = pubsub
        return pubsub

    async def _close(self) -> None:
        async with self._lock:
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
                await self._confirm(channel)
            elif kind == "unsubscribe":
                self._confirmed.discard(channel)

    async def _confirm(self, channel: bytes) -> None:
        self._confirmed.add(channel)
        self._backoff = BACKOFF_MIN  # a working connection again
        if self._outage_since is not None:
            log.warning("Redis broker at %s: reconnected after %.1f s", self._client.address,
                        asyncio.get_running_loop().time() - self._outage_since)
            self._outage_since = None
        for waiter in self._waiters.pop(channel, []):
            if not waiter.done():
                waiter.set_result(None)
        await self._on_confirmed(channel)
