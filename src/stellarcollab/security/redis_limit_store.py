"""Token buckets in Redis, shared by every process of a cluster (one Lua script per take,
timed by the Redis server's clock so the processes' clocks do not matter).

If Redis cannot be reached the take is allowed and a warning logged: the throttles fail
open rather than refusing every sign-in while the broker is down.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
KEY_PREFIX = "stellar:limit:"

TAKE_SCRIPT = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local needed = cost
if cost <= 0 then needed = 1 end
local wait = 0
if tokens < needed then
  if rate <= 0 then wait = 1e9 else wait = math.max(0.001, (needed - tokens) / rate) end
else
  tokens = tokens - cost
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
if rate > 0 then
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
end
return tostring(wait)
"""


class RedisLimitStore:
    def __init__(self, url: str) -> None:
        self._redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._take = self._redis.register_script(TAKE_SCRIPT)

    async def take(self, key: str, rate_per_s: float, burst: float,
                   cost: float = 1.0) -> float:
        try:
            answer = await self._take(keys=[KEY_PREFIX + key],
                                      args=[rate_per_s, burst, cost])
        except (RedisError, OSError) as exc:
            log.warning("limit store unavailable (%s); allowing", type(exc).__name__)
            return 0.0
        return float(answer)

    async def aclose(self) -> None:
        await self._redis.aclose()
