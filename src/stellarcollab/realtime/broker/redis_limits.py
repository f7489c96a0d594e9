"""Token buckets in Redis, shared by every process: the GCRA rule of ``limits`` run
atomically by one Lua script, on the injected clock's wall time."""

from __future__ import annotations

from stellarcollab.clock import Clock
from stellarcollab.realtime.broker.limits import check_bucket
from stellarcollab.realtime.broker.redis_client import RedisClient
from stellarcollab.realtime.broker.redis_scripts import LIMIT_SCRIPT
from stellarcollab.realtime.broker.redis_wire import backstop_ms


class RedisLimitStore:
    def __init__(self, client: RedisClient, clock: Clock) -> None:
        self._client = client
        self.clock = clock
        self._take = client.redis.register_script(LIMIT_SCRIPT)

    async def take(self, key: str, rate_per_s: float, burst: float, cost: float = 1.0) -> float:
        check_bucket(rate_per_s, burst, cost)
        refill = burst / rate_per_s  # an untouched bucket is full again after this long
        wait = await self._take(keys=[self._client.key(f"limit:{key}")], args=[
            repr(self.clock.time()), repr(float(rate_per_s)), repr(float(burst)),
            repr(float(cost)), backstop_ms(refill)])
        return float(wait)
