"""Sockets counted per key (a user, an address) in Redis, for limits that hold across
processes: each connection has a deadline that its process renews, so a dead process's
sockets stop counting after the liveness TTL. Part of the Redis presence store."""

from __future__ import annotations

from stellarcollab.clock import Clock
from stellarcollab.realtime.broker.redis_client import RedisClient
from stellarcollab.realtime.broker.redis_scripts import ADMIT_SCRIPT, COUNT_SCRIPT
from stellarcollab.realtime.broker.redis_wire import backstop_ms, to_ms


class RedisAdmissions:
    def __init__(self, client: RedisClient, clock: Clock, ttl: float) -> None:
        self._client = client
        self._clock = clock
        self.ttl = ttl
        self._admit = client.redis.register_script(ADMIT_SCRIPT)
        self._count = client.redis.register_script(COUNT_SCRIPT)
        self._own: dict[str, set[str]] = {}  # key -> this process's admitted connections

    def _key(self, key: str) -> str:
        return self._client.key(f"admitted:{key}")

    async def try_admit(self, key: str, connection_id: str, limit: int) -> bool:
        now = self._clock.time()
        admitted = await self._admit(keys=[self._key(key)], args=[
            to_ms(now), connection_id, to_ms(now + self.ttl), limit, backstop_ms(self.ttl)])
        if admitted:
            self._own.setdefault(key, set()).add(connection_id)
        return bool(admitted)

    async def release(self, key: str, connection_id: str) -> None:
        own = self._own.get(key)
        if own is not None:
            own.discard(connection_id)
            if not own:
                del self._own[key]
        await self._client.redis.zrem(self._key(key), connection_id)

    async def count(self, key: str) -> int:
        return int(await self._count(keys=[self._key(key)], args=[to_ms(self._clock.time())]))

    async def renew(self) -> None:
        """Push this process's deadlines forward (re-adding what Redis lost, even past a
        limit: those sockets are open)."""
        if not self._own:
            return
        deadline = to_ms(self._clock.time() + self.ttl)
        async with self._client.redis.pipeline(transaction=False) as pipe:
            for key, connections in self._own.items():
                pipe.zadd(self._key(key), dict.fromkeys(connections, deadline))
                pipe.pexpire(self._key(key), backstop_ms(self.ttl))
            await pipe.execute()

    async def withdraw(self) -> None:
        if not self._own:
            return
        async with self._client.redis.pipeline(transaction=False) as pipe:
            for key, connections in self._own.items():
                pipe.zrem(self._key(key), *connections)
            await pipe.execute()
        self._own.clear()

    def stats(self) -> dict[str, int]:
        return {"admission_keys": len(self._own)}
