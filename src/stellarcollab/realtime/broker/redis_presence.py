"""The Redis presence store: who is on each canvas and how many sockets each key holds,
shared by every process. Each connection has a deadline on the injected clock that its
process renews every third of the TTL, so only a dead process's entries expire; the
script that purges them reports who left, and this process announces it (a local notice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from redis.exceptions import RedisError

from stellarcollab.clock import Clock
from stellarcollab.db.types import isoformat_z
from stellarcollab.realtime import presence as presence_rules
from stellarcollab.realtime.broker.base import (
    PRESENCE_EXPIRED,
    PRESENCE_RESTORED,
    ControlReceiver,
)
from stellarcollab.realtime.broker.redis_admissions import RedisAdmissions
from stellarcollab.realtime.broker.redis_client import RedisClient
from stellarcollab.realtime.broker.redis_scripts import (
    COUNT_USERS_SCRIPT,
    JOIN_SCRIPT,
    LEAVE_SCRIPT,
    READ_SCRIPT,
    RENEW_SCRIPT,
    UPDATE_SCRIPT,
    WITHDRAW_SCRIPT,
)
from stellarcollab.realtime.broker.redis_wire import backstop_ms, decode_entry, encode_entry, to_ms
from stellarcollab.realtime.presence import UserPresence
from stellarcollab.tasks import cancel_and_wait

log = logging.getLogger(__name__)

PRESENCE_UPDATE_ATTEMPTS = 8


@dataclass(slots=True)
class _OwnPresence:
    """This process's connections on one canvas, renewed in Redis by the background loop.
    The lock keeps a renewal from re-adding a connection that is leaving."""

    connections: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RedisPresenceStore:
    """``ttl``: how long a connection's entries outlive a process that stopped renewing
    them. ``notify`` gets the local notices (PRESENCE_EXPIRED, PRESENCE_RESTORED)."""

    def __init__(self, client: RedisClient, clock: Clock, ttl: float,
                 notify: ControlReceiver) -> None:
        self._client = client
        self.clock = clock
        self.ttl = ttl
        self._notify = notify
        redis = client.redis
        self._join = redis.register_script(JOIN_SCRIPT)
        self._leave = redis.register_script(LEAVE_SCRIPT)
        self._renew = redis.register_script(RENEW_SCRIPT)
        self._withdraw = redis.register_script(WITHDRAW_SCRIPT)
        self._read = redis.register_script(READ_SCRIPT)
        self._count_users = redis.register_script(COUNT_USERS_SCRIPT)
        self._update = redis.register_script(UPDATE_SCRIPT)
        self._admissions = RedisAdmissions(client, clock, ttl)
        self._own: dict[int, _OwnPresence] = {}
        self._renew_now = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _keys(self, canvas_id: int) -> list[str]:
        base = self._client.key(f"presence:{canvas_id}")
        return [f"{base}:users", f"{base}:conns", f"{base}:deadlines", f"{base}:counts"]

    def _times(self) -> tuple[int, int]:
        """Now and a renewed connection's deadline, in ms of the injected wall clock."""
        now = self.clock.time()
        return to_ms(now), to_ms(now + self.ttl)

    # ----- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._renew_forever(), name="redis-broker-presence")

    async def stop(self) -> None:
        """Stop renewing and withdraw this process's entries."""
        task, self._task = self._task, None
        await cancel_and_wait(task)
        try:
            await self._withdraw_all()
        except (RedisError, OSError) as exc:
            log.warning("Redis broker at %s: presence not withdrawn (%s); it expires in "
                        "%.0f s", self._client.address, exc, self.ttl)

    def renew_soon(self) -> None:
        """Renew at once (Redis lost its data)."""
        self._renew_now.set()

    # ----- canvas presence --------------------------------------------------------------

    async def presence_join(self, canvas_id: int, user: dict[str, Any], connection_id: str) -> bool:
        now, deadline = self._times()
        connected_at = isoformat_z(datetime.fromtimestamp(self.clock.time(), UTC))
        entry = UserPresence(user["user_id"], user["username"], user["display_name"],
                             connected_at)
        uid, data = str(entry.user_id), encode_entry(entry)
        first, gone = await self._join(keys=self._keys(canvas_id), args=[
            now, connection_id, uid, data, deadline, backstop_ms(self.ttl)])
        self._announce(PRESENCE_EXPIRED, canvas_id, gone)
        # Registered after the script: a renewal must not add it first, or the join
        # would not be counted as the user's first.
        own = self._own.setdefault(canvas_id, _OwnPresence())
        own.connections[connection_id] = (uid, data)
        return bool(first)

    async def presence_leave(self, canvas_id: int, user_id: int, connection_id: str) -> bool:
        keys = self._keys(canvas_id)
        own = self._own.get(canvas_id)
        if own is None:
            last, gone = await self._leave(keys=keys, args=[
                self._times()[0], connection_id, str(user_id)])
        else:
            async with own.lock:
                own.connections.pop(connection_id, None)
                if not own.connections and self._own.get(canvas_id) is own:
                    del self._own[canvas_id]
                last, gone = await self._leave(keys=keys, args=[
                    self._times()[0], connection_id, str(user_id)])
        self._announce(PRESENCE_EXPIRED, canvas_id, gone)
        return bool(last)

    async def presence_apply(self, canvas_id: int, event: dict[str, Any]) -> None:
        """Fold the event into the user's entry with presence.apply_event; a compare and
        set keeps concurrent updates of one user (from several processes) whole."""
        user_id = event.get("user_id")
        if not isinstance(user_id, int):
            return
        keys, uid = self._keys(canvas_id), str(user_id)
        for _attempt in range(PRESENCE_UPDATE_ATTEMPTS):
            current = cast(bytes | None, await self._client.redis.hget(keys[0], uid))
            if current is None:
                return
            entry = decode_entry(user_id, current, set())
            presence_rules.apply_event({user_id: entry}, event)
            updated = encode_entry(entry)
            if updated == current or await self._update(keys=keys, args=[uid, current, updated]):
                return
        log.warning("presence of user %s on canvas %s: update lost to contention",
                    user_id, canvas_id)

    async def presence(self, canvas_id: int) -> list[UserPresence]:
        users, conns, gone = await self._read(keys=self._keys(canvas_id),
                                              args=[self._times()[0]])
        self._announce(PRESENCE_EXPIRED, canvas_id, gone)
        connections: dict[int, set[str]] = {}
        for conn, uid in zip(conns[::2], conns[1::2], strict=True):
            connections.setdefault(int(uid), set()).add(conn.decode())
        entries = [
            decode_entry(int(uid), data, connections.get(int(uid), set()))
            for uid, data in zip(users[::2], users[1::2], strict=True)
        ]
        return sorted(entries, key=lambda e: (e.connected_at, e.user_id))

    async def user_count(self, canvas_id: int) -> int:
        count, gone = await self._count_users(keys=self._keys(canvas_id),
                                              args=[self._times()[0]])
        self._announce(PRESENCE_EXPIRED, canvas_id, gone)
        return int(count)

    def _announce(self, kind: str, canvas_id: int, flat: list[bytes]) -> None:
        """Tell this process's manager about users whose presence a script purged (a dead
        process's) or re-added (this process's, after Redis lost them): each is announced
        by exactly the one process whose script saw it."""
        if not flat:
            return
        users = []
        for uid, data in zip(flat[::2], flat[1::2], strict=True):
            entry = decode_entry(int(uid), data, set())
            users.append({"user_id": entry.user_id, "username": entry.username,
                          "display_name": entry.display_name})
        self._notify({"type": kind, "canvas_id": canvas_id, "users": users})

    # ----- socket counts for limits -----------------------------------------------------

    async def try_admit(self, key: str, connection_id: str, limit: int) -> bool:
        return await self._admissions.try_admit(key, connection_id, limit)

    async def release(self, key: str, connection_id: str) -> None:
        await self._admissions.release(key, connection_id)

    async def count(self, key: str) -> int:
        return await self._admissions.count(key)

    # ----- renewal ----------------------------------------------------------------------

    async def _renew_forever(self) -> None:
        """Renew every third of the TTL (at once after Redis lost its data)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._renew_now.wait(), self.ttl / 3)
            self._renew_now.clear()
            try:
                await self.renew_presence()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("Redis broker at %s: presence not renewed (%s)",
                            self._client.address, exc)
            except Exception:
                log.exception("Redis broker: presence renewal failed")

    async def renew_presence(self) -> None:
        """Push this process's deadlines forward; re-add what Redis lost, and say so."""
        for canvas_id, own in list(self._own.items()):
            async with own.lock:
                if not own.connections:
                    continue
                now, deadline = self._times()
                args: list[str | bytes | int] = [now, deadline, backstop_ms(self.ttl)]
                for connection_id, (uid, data) in own.connections.items():
                    args += [connection_id, uid, data]
                gone, back = await self._renew(keys=self._keys(canvas_id), args=args)
            self._announce(PRESENCE_EXPIRED, canvas_id, gone)
            self._announce(PRESENCE_RESTORED, canvas_id, back)
        await self._admissions.renew()

    async def _withdraw_all(self) -> None:
        for canvas_id, own in list(self._own.items()):
            async with own.lock:
                if own.connections:
                    await self._withdraw(keys=self._keys(canvas_id), args=list(own.connections))
                own.connections.clear()
        self._own.clear()
        await self._admissions.withdraw()

    def stats(self) -> dict[str, int]:
        return {"canvases_with_presence": len(self._own), **self._admissions.stats()}
