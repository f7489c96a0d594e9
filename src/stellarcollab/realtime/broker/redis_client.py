"""The one Redis connection pool a process's broker parts share, with the names of
their keys and channels. Opening and closing it is the factory's job, not the parts'."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from stellarcollab.realtime.broker.redis_wire import describe


class RedisBrokerError(RuntimeError):
    """Redis could not be reached, or refused what the broker needs."""


class RedisClient:
    """Keys live under ``prefix``; channels under the prefix and the database number."""

    def __init__(self, url: str, *, prefix: str = "stellarcollab:",
                 command_timeout: float = 10.0, max_connections: int = 64) -> None:
        self.address = describe(url)
        self.prefix = prefix
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
        self.redis = Redis(connection_pool=pool)
        # Channels, unlike keys, are shared by all of a server's databases: name the db.
        self._channels = f"{prefix}db{pool.connection_kwargs.get('db', 0)}:"

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def channel(self, name: str) -> bytes:
        return f"{self._channels}{name}".encode()

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)
