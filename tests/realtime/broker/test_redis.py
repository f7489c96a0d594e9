"""What only the Redis broker has to show: several processes on one Redis share numbering,
epoch and presence; a dead process's presence expires; lost connections heal."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from redis.asyncio import Redis

from stellarcollab.realtime.broker.base import EPOCH_CHANGED, PRESENCE_EXPIRED, PRESENCE_RESTORED
from stellarcollab.realtime.broker.redis import RedisBroker, RedisBrokerError
from stellarcollab.realtime.recovery import Replay
from tests.realtime.broker.recording import Recorder
from tests.support.postgres import free_port
from tests.support.redis import RedisServer, running_redis
from tests.support.timeouts import scaled

ALICE = {"user_id": 1, "username": "alice", "display_name": "Alice"}
BOB = {"user_id": 2, "username": "bob", "display_name": "Bob"}

# A process that joins presence and then dies without a word (the test kills it).
GHOST = """
import asyncio, sys
from stellarcollab.realtime.broker.redis import RedisBroker

async def main() -> None:
    broker = RedisBroker(sys.argv[1], presence_ttl=float(sys.argv[2]))
    await broker.start()
    user = {"user_id": 9, "username": "ghost", "display_name": "Ghost"}
    await broker.presence_join(5, user, "ghost-connection")
    print("joined", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.flush()
    return redis_server.url


@asynccontextmanager
async def started(url: str, **options: Any) -> AsyncIterator[tuple[RedisBroker, Recorder]]:
    broker = RedisBroker(url, history=50, history_ttl=60, **options)
    received = Recorder()
    broker.set_receivers(received.append, received.append)
    await broker.start()
    try:
        yield broker, received
    finally:
        await broker.stop()


async def eventually(condition: Callable[[], bool | Awaitable[bool]],
                     timeout: float = 10) -> None:
    """Poll state that changes without an event to await (expiry, reconnection)."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        result = condition()
        if await result if isinstance(result, Awaitable) else result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def _names(broker: RedisBroker, canvas_id: int) -> set[str]:
    return {p.username for p in await broker.presence(canvas_id)}


async def test_two_brokers_get_every_event_in_one_seq_order(redis_url: str) -> None:
    async with started(redis_url) as (a, got_a), started(redis_url) as (b, got_b):
        await a.subscribe(7)
        await b.subscribe(7)
        publishers = [a, b] * 15
        seqs = await asyncio.gather(*(
            broker.publish(7, {"type": "chat", "n": n}) for n, broker in enumerate(publishers)
        ))
        assert sorted(seqs) == list(range(1, 31))
        on_a, on_b = await got_a.deliveries_count(30), await got_b.deliveries_count(30)
        assert [d.seq for d in on_a] == list(range(1, 31))
        assert [d.payload for d in on_a] == [d.payload for d in on_b]
        assert await a.current_seq(7) == await b.current_seq(7) == 30


async def test_epoch_is_shared_and_outlives_the_processes(redis_url: str) -> None:
    first, second = RedisBroker(redis_url), RedisBroker(redis_url)
    await asyncio.gather(first.start(), second.start())
    try:
        assert first.epoch and first.epoch == second.epoch
        for n in range(3):
            await first.publish(2, {"type": "tile_created", "n": n})
        plan = await second.recover(2, 1, first.epoch)  # recovering against another process
        assert isinstance(plan, Replay) and [d.seq for d in plan.deliveries] == [2, 3]
    finally:
        await asyncio.gather(first.stop(), second.stop())
    async with started(redis_url) as (later, _):
        assert later.epoch == first.epoch  # a restarted process: no needless resync


async def test_presence_is_cluster_wide(redis_url: str) -> None:
    async with started(redis_url) as (a, _), started(redis_url) as (b, _):
        assert await a.presence_join(1, ALICE, "a1") is True
        assert await b.presence_join(1, ALICE, "b1") is False  # same user, other process
        assert await b.presence_join(1, BOB, "b2") is True
        await b.presence_apply(1, {"type": "user_typing", "user_id": 1, "is_typing": True})
        alice, bob = await a.presence(1)
        assert (alice.user_id, alice.connections, alice.is_typing) == (1, {"a1", "b1"}, True)
        assert bob.connections == {"b2"}
        assert await a.presence_leave(1, 1, "a1") is False
        assert await b.presence_leave(1, 1, "b1") is True  # the last one, cluster-wide
        assert [p.user_id for p in await a.presence(1)] == [2]


async def test_concurrent_updates_of_one_user_all_land(redis_url: str) -> None:
    async with started(redis_url) as (a, _), started(redis_url) as (b, _):
        await a.presence_join(1, ALICE, "a1")
        update = {"type": "user_presence_update", "user_id": 1}
        await asyncio.gather(
            a.presence_apply(1, {"type": "user_typing", "user_id": 1, "is_typing": True}),
            b.presence_apply(1, {**update, "status": "busy", "status_message": None}),
            a.presence_apply(1, {**update, "is_editing": True, "tile_x": 1, "tile_y": 2}),
        )
        [entry] = await b.presence(1)
        assert (entry.is_typing, entry.status, entry.editing_tile) == (True, "busy", (1, 2))


GHOST_TTL = scaled(1.5)  # renewed every 0.5 s: a busy machine still keeps up


@pytest.fixture
def ghost(redis_url: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", GHOST, redis_url, str(GHOST_TTL)],
                               stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    yield process
    if process.poll() is None:
        process.kill()  # by its PID
        process.wait(scaled(10))


async def test_a_dead_process_presence_expires_and_a_live_one_is_renewed(
    redis_url: str, ghost: subprocess.Popen[bytes]
) -> None:
    assert ghost.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(ghost.stdout.readline), scaled(15))
    assert line == b"joined\n"
    async with started(redis_url, presence_ttl=GHOST_TTL) as (live, notices):
        await live.presence_join(5, BOB, "bob-connection")

        async def only_bob() -> bool:
            return await _names(live, 5) == {"bob"}

        assert await _names(live, 5) == {"ghost", "bob"}
        ghost.kill()  # no stop(), no withdrawal: as if the process crashed
        await asyncio.to_thread(ghost.wait, scaled(10))
        await eventually(only_bob, timeout=5 * GHOST_TTL)
        # the script that purged the ghost told the live broker, which announces it once
        ghost_user = {"user_id": 9, "username": "ghost", "display_name": "Ghost"}
        await notices.until(lambda r: bool(r.controls))
        assert notices.controls == [
            {"type": PRESENCE_EXPIRED, "canvas_id": 5, "users": [ghost_user]}]
        # A quiet period: bob's entry is older than the TTL by its end, so only the live
        # broker's renewal keeps it.
        await asyncio.sleep(1.5 * GHOST_TTL)
        assert await only_bob()
        assert len(notices.controls) == 1
        assert await live.presence_join(5, ghost_user, "back-again") is True


async def test_lost_subscription_catches_up_from_the_history(
    redis_server: RedisServer, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with started(redis_url) as (a, got_a), started(redis_url) as (b, _):
        await a.subscribe(4)
        await b.publish(4, {"type": "before"})
        await got_a.deliveries_count(1)
        redis_server.kill_subscribers()  # a's subscription connection drops
        for n in range(5):  # published while a is reconnecting
            await b.publish(4, {"type": "during", "n": n})
        await eventually(lambda: a.connected)
        await b.publish(4, {"type": "after"})
        deliveries = await got_a.deliveries_count(7)
        assert [d.seq for d in deliveries] == list(range(1, 8))  # no gap, no duplicate
        assert [d.event_type for d in deliveries] == ["before", *["during"] * 5, "after"]
        assert "subscription connection lost" in caplog.text


async def test_a_restarted_redis_gets_a_new_epoch_and_presence_back() -> None:
    with running_redis() as server:
        async with AsyncExitStack() as stack:
            a, got_a = await stack.enter_async_context(started(server.url, presence_ttl=1.0))
            b, _ = await stack.enter_async_context(started(server.url, presence_ttl=1.0))
            await a.subscribe(3)
            await a.presence_join(3, ALICE, "a1")
            await b.publish(3, {"type": "before"})
            await got_a.deliveries_count(1)
            old_epoch = a.epoch

            server.restart()  # empty: no persistence
            await eventually(lambda: a.connected and a.epoch != old_epoch)
            await got_a.until(lambda r: any(c.get("type") == EPOCH_CHANGED for c in r.controls))
            assert await b.publish(3, {"type": "after"}) == 1  # numbering starts over
            assert b.epoch == a.epoch != old_epoch
            [_, after] = await got_a.deliveries_count(2)
            assert (after.seq, after.event_type) == (1, "after")

            async def alice_is_back() -> bool:  # re-added by a's presence renewal
                return await _names(b, 3) == {"alice"}

            await eventually(alice_is_back)


async def test_databases_of_one_redis_do_not_hear_each_other(redis_server: RedisServer) -> None:
    redis_server.flush()
    base = redis_server.url.rsplit("/", 1)[0]
    async with started(f"{base}/1") as (one, got_one), started(f"{base}/2") as (two, got_two):
        await one.subscribe(1)
        await two.subscribe(1)
        await two.publish(1, {"type": "for-two"})
        await one.publish(1, {"type": "for-one"})
        await one.publish(1, {"type": "last"})
        await two.publish(1, {"type": "last"})  # published after everything else
        for got, expected in ((got_one, "for-one"), (got_two, "for-two")):
            await got.until(lambda r: any(d.event_type == "last" for d in r.deliveries))
            assert [d.event_type for d in got.deliveries] == [expected, "last"]
        assert one.epoch != two.epoch


async def test_unreachable_redis_fails_start_without_leaking_the_password() -> None:
    broker = RedisBroker(f"redis://:hunter22@127.0.0.1:{free_port()}/0", command_timeout=0.3)
    with pytest.raises(RedisBrokerError) as failure:
        await broker.start()
    assert "127.0.0.1" in str(failure.value) and "hunter22" not in str(failure.value)


async def test_a_process_whose_presence_was_purged_restores_and_announces_it(
    redis_url: str
) -> None:
    """This process was cut off from Redis longer than the TTL: another process purged
    (and announced) its users. Its next renewal puts them back and says so, once."""
    async with started(redis_url) as (a, notices):
        await a.presence_join(6, ALICE, "alice-connection")
        client = Redis.from_url(redis_url)
        try:  # what a purge by another process leaves behind
            await client.delete(*[f"stellarcollab:presence:6:{part}"
                                  for part in ("users", "conns", "deadlines", "counts")])
        finally:
            await client.aclose()
        await a.renew_presence()
        assert await _names(a, 6) == {"alice"}
        assert notices.controls == [{"type": PRESENCE_RESTORED, "canvas_id": 6,
                                     "users": [ALICE]}]
        await a.renew_presence()  # nothing was missing this time
        assert len(notices.controls) == 1
