"""The Redis limit store: one bucket for every process, answers like the memory store."""

from __future__ import annotations

import pytest

from stellarcollab.security.redis_limit_store import RedisLimitStore
from tests.support.redis import RedisServer


async def test_two_stores_share_a_bucket(redis_server: RedisServer) -> None:
    first, second = RedisLimitStore(redis_server.url), RedisLimitStore(redis_server.url)
    try:
        assert await first.take("shared-test", 1, 2) == 0.0
        assert await second.take("shared-test", 1, 2) == 0.0
        assert await first.take("shared-test", 1, 2, cost=0) == pytest.approx(1.0, abs=0.05)
        assert await second.take("shared-test", 1, 2) == pytest.approx(1.0, abs=0.05)
        assert await first.take("another-test", 1, 2) == 0.0
    finally:
        await first.aclose()
        await second.aclose()


async def test_an_unreachable_redis_fails_open() -> None:
    store = RedisLimitStore("redis://127.0.0.1:9/0")
    try:
        assert await store.take("k", 1, 1) == 0.0
        assert await store.take("k", 1, 1) == 0.0
    finally:
        await store.aclose()
