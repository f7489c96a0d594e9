"""What a broker raises when it cannot be reached. The ConnectionManager turns these into
the services' ``PublishFailed``, so callers can tell the client the truth (stored but not
yet broadcast, or retry) instead of reporting an internal error."""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from stellarcollab.realtime.broker.redis_client import RedisBrokerError

#: OSError covers the socket errors (refused, reset, timed out) the client lets through
BROKER_UNAVAILABLE: tuple[type[BaseException], ...] = (
    RedisConnectionError, RedisTimeoutError, RedisBrokerError, OSError)
