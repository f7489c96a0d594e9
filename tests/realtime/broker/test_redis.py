"""What only the Redis brokers have to show: several processes on one Redis share
numbering, epoch, presence and socket counts; a dead process's entries expire; lost
connections heal. Each "process" is its own ``create_brokers`` (its own client)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, cast

import pytest
from redis.asyncio import Redis

from stellarcollab.clock import Clock, ManualClock, SystemClock
from stellarcollab.realtime.broker import Brokers, RedisBrokerError, create_brokers
from stellarcollab.realtime.broker.base import EPOCH_CHANGED, PRESENCE_EXPIRED, PRESENCE_RESTORED
from stellarcollab.realtime.broker.redis_events import RedisEventBus
from stellarcollab.realtime.broker.redis_presence import RedisPresenceStore
from stellarcollab.realtime.recovery import Replay
from tests.realtime.broker.recording import Recorder
from tests.support.postgres import free_port
from tests.support.redis import RedisServer, running_redis
from tests.support.timeouts import scaled

ALICE = {"user_id": 1, "username": "alice", "display_name": "Alice"}
BOB = {"user_id": 2, "username": "bob", "display_name": "Bob"}
GHOST_USER = {"user_id": 9, "username": "ghost", "display_name": "Ghost"}
TTL = 30.0

# A process that joins presence, takes a socket slot, and then dies without a word.
GHOST = """
import asyncio, sys
from stellarcollab.realtime.broker import create_brokers

async def main() -> None:
    brokers = create_brokers(sys.argv[1], presence_ttl=float(sys.argv[2]))
    await brokers.start()
    user = {"user_id": 9, "username": "ghost", "display_name": "Ghost"}
    await brokers.presence.presence_join(5, user, "ghost-connection")
    await brokers.presence.try_admit("user:9", "ghost-connection", 5)
    print("joined", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.flush()
    return redis_server.url


@asynccontextmanager
async def started(url: str, clock: Clock | None = None, **options: Any
                  ) -> AsyncIterator[tuple[Brokers, Recorder]]:
    brokers = create_brokers(url, history=50, history_ttl=60, clock=clock, **options)
    received = Recorder()
    brokers.events.set_receivers(received.append, received.append)
    await brokers.start()
    try:
        yield brokers, received
    finally:
        await brokers.stop()


def bus(brokers: Brokers) -> RedisEventBus:
    return cast(RedisEventBus, brokers.events)


def presence(brokers: Brokers) -> RedisPresenceStore:
    return cast(RedisPresenceStore, brokers.presence)


async def eventually(condition: Callable[[], bool | Awaitable[bool]],
                     timeout: float = 10) -> None:
    """Poll state that changes without an event to await (reconnection)."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        result = condition()
        if await result if isinstance(result, Awaitable) else result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def _names(brokers: Brokers, canvas_id: int) -> set[str]:
    return {p.username for p in await brokers.presence.presence(canvas_id)}


async def test_two_processes_get_every_event_in_one_seq_order(redis_url: str) -> None:
    async with started(redis_url) as (a, got_a), started(redis_url) as (b, got_b):
        await a.events.subscribe("canvas:7")
        await b.events.subscribe("canvas:7")
        publishers = [a, b] * 15
        seqs = await asyncio.gather(*(
            p.events.publish("canvas:7", {"type": "chat", "n": n})
            for n, p in enumerate(publishers)))
        assert sorted(seqs) == list(range(1, 31))
        on_a, on_b = await got_a.deliveries_count(30), await got_b.deliveries_count(30)
        assert [d.seq for d in on_a] == list(range(1, 31))
        assert [d.payload for d in on_a] == [d.payload for d in on_b]
        assert await a.events.current_seq(7) == await b.events.current_seq(7) == 30


async def test_a_process_subscribes_in_redis_only_to_topics_it_has_sockets_on(
    redis_url: str
) -> None:
    async with started(redis_url) as (a, _):
        client = Redis.from_url(redis_url)
        try:
            async def channels() -> set[str]:
                names = await client.pubsub_channels("stellarcollab:db0:*")
                return {name.decode().removeprefix("stellarcollab:db0:") for name in names}

            await a.events.subscribe("user:5")
            await a.events.subscribe("user:5")
            await a.events.subscribe("global")
            assert await channels() == {"control", "user:5", "global"}
            await a.events.unsubscribe("user:5")
            assert await channels() == {"control", "user:5", "global"}  # one left
            await a.events.unsubscribe("user:5")
            await a.events.unsubscribe("global")
            await eventually(lambda: channels_are(channels, {"control"}))
        finally:
            await client.aclose()


async def channels_are(read: Callable[[], Awaitable[set[str]]], expected: set[str]) -> bool:
    return await read() == expected


async def test_epoch_is_shared_and_outlives_the_processes(redis_url: str) -> None:
    first, second = create_brokers(redis_url), create_brokers(redis_url)
    await asyncio.gather(first.start(), second.start())
    try:
        assert first.events.epoch and first.events.epoch == second.events.epoch
        for n in range(3):
            await first.events.publish("canvas:2", {"type": "tile_created", "n": n})
        plan = await second.events.recover(2, 1, first.events.epoch)
        assert isinstance(plan, Replay) and [d.seq for d in plan.deliveries] == [2, 3]
    finally:
        await asyncio.gather(first.stop(), second.stop())
    async with started(redis_url) as (later, _):
        assert later.events.epoch == first.events.epoch  # a restarted process: no resync


async def test_concurrent_updates_of_one_user_all_land(redis_url: str) -> None:
    async with started(redis_url) as (a, _), started(redis_url) as (b, _):
        await a.presence.presence_join(1, ALICE, "a1")
        update = {"type": "user_presence_update", "user_id": 1}
        await asyncio.gather(
            a.presence.presence_apply(1, {"type": "user_typing", "user_id": 1,
                                          "is_typing": True}),
            b.presence.presence_apply(1, {**update, "status": "busy", "status_message": None}),
            a.presence.presence_apply(1, {**update, "is_editing": True, "tile_x": 1,
                                          "tile_y": 2}),
        )
        [entry] = await b.presence.presence(1)
        assert (entry.is_typing, entry.status, entry.editing_tile) == (True, "busy", (1, 2))


async def test_a_silent_process_expires_and_the_renewing_one_stays(redis_url: str) -> None:
    """Both on one ManualClock: ``a`` never renews (as if dead), ``b`` renews."""
    clock = ManualClock()
    async with started(redis_url, clock, presence_ttl=TTL) as (a, _), \
            started(redis_url, clock, presence_ttl=TTL) as (b, notices):
        await a.presence.presence_join(4, ALICE, "a1")
        await a.presence.try_admit("user:1", "a1", 3)
        await b.presence.presence_join(4, BOB, "b1")
        await b.presence.try_admit("user:2", "b1", 3)
        clock.advance(TTL * 2 / 3)
        await presence(b).renew_presence()
        clock.advance(TTL * 2 / 3)  # a's deadlines passed, b's renewed ones have not
        assert await b.presence.user_count(4) == 1  # counting purges a's, as reading does
        assert await _names(b, 4) == {"bob"}
        assert notices.controls == [
            {"type": PRESENCE_EXPIRED, "canvas_id": 4, "users": [ALICE]}]
        assert (await b.presence.count("user:1"), await b.presence.count("user:2")) == (0, 1)
        clock.advance(TTL / 2)
        assert await _names(b, 4) == set()  # b stopped renewing too


GHOST_TTL = 30.0  # the live process's clock is moved past it; nobody waits for it


@pytest.fixture
def ghost(redis_url: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", GHOST, redis_url, str(GHOST_TTL)],
                               stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    yield process
    if process.poll() is None:
        process.kill()  # by its PID
        process.wait(scaled(10))


async def test_a_killed_process_presence_and_sockets_expire_once(
    redis_url: str, ghost: subprocess.Popen[bytes]
) -> None:
    assert ghost.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(ghost.stdout.readline), scaled(15))
    assert line == b"joined\n"
    clock = ManualClock(start=SystemClock().time())  # the ghost's wall time, then moved
    async with started(redis_url, clock, presence_ttl=GHOST_TTL) as (live, notices):
        await live.presence.presence_join(5, BOB, "bob-connection")
        assert await _names(live, 5) == {"ghost", "bob"}
        assert await live.presence.count("user:9") == 1
        ghost.kill()  # no stop(), no withdrawal: as if the process crashed
        await asyncio.to_thread(ghost.wait, scaled(10))
        for _ in range(3):  # the live process renews every third of the TTL
            clock.advance(GHOST_TTL / 3)
            await presence(live).renew_presence()
        clock.advance(1)
        assert await _names(live, 5) == {"bob"}
        assert await live.presence.count("user:9") == 0
        # the script that purged the ghost told the live process, which announces it once
        assert notices.controls == [
            {"type": PRESENCE_EXPIRED, "canvas_id": 5, "users": [GHOST_USER]}]
        assert await _names(live, 5) == {"bob"}
        assert len(notices.controls) == 1
        assert await live.presence.presence_join(5, GHOST_USER, "back-again") is True


async def test_lost_subscription_catches_up_from_the_history(
    redis_server: RedisServer, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with started(redis_url) as (a, got_a), started(redis_url) as (b, _):
        await a.events.subscribe("canvas:4")
        await a.events.subscribe("user:3")
        await b.events.publish("canvas:4", {"type": "before"})
        await got_a.deliveries_count(1)
        redis_server.kill_subscribers()  # a's subscription connection drops
        for n in range(5):  # published while a is reconnecting
            await b.events.publish("canvas:4", {"type": "during", "n": n})
        await eventually(lambda: bus(a).connected)
        await b.events.publish("canvas:4", {"type": "after"})
        deliveries = await got_a.deliveries_count(7)
        assert [d.seq for d in deliveries] == list(range(1, 8))  # no gap, no duplicate
        assert [d.event_type for d in deliveries] == ["before", *["during"] * 5, "after"]
        assert "subscription connection lost" in caplog.text
        await b.events.publish("user:3", {"type": "resubscribed-too"})
        await got_a.until(lambda r: r.deliveries[-1].event_type == "resubscribed-too")


async def test_a_restarted_redis_gets_a_new_epoch_and_presence_back() -> None:
    with running_redis() as server:
        async with AsyncExitStack() as stack:
            a, got_a = await stack.enter_async_context(started(server.url, presence_ttl=1.0))
            b, _ = await stack.enter_async_context(started(server.url, presence_ttl=1.0))
            await a.events.subscribe("canvas:3")
            await a.presence.presence_join(3, ALICE, "a1")
            await b.events.publish("canvas:3", {"type": "before"})
            await got_a.deliveries_count(1)
            old_epoch = a.events.epoch

            server.restart()  # empty: no persistence
            await eventually(lambda: bus(a).connected and a.events.epoch != old_epoch)
            await got_a.until(lambda r: any(c.get("type") == EPOCH_CHANGED for c in r.controls))
            assert await b.events.publish("canvas:3", {"type": "after"}) == 1  # starts over
            assert b.events.epoch == a.events.epoch != old_epoch
            [_, after] = await got_a.deliveries_count(2)
            assert (after.seq, after.event_type) == (1, "after")

            async def alice_is_back() -> bool:  # re-added at once by a's renewal
                return await _names(b, 3) == {"alice"}

            await eventually(alice_is_back)


async def test_databases_of_one_redis_do_not_hear_each_other(redis_server: RedisServer) -> None:
    redis_server.flush()
    base = redis_server.url.rsplit("/", 1)[0]
    async with started(f"{base}/1") as (one, got_one), started(f"{base}/2") as (two, got_two):
        await one.events.subscribe("canvas:1")
        await two.events.subscribe("canvas:1")
        await two.events.publish("canvas:1", {"type": "for-two"})
        await one.events.publish("canvas:1", {"type": "for-one"})
        await one.events.publish("canvas:1", {"type": "last"})
        await two.events.publish("canvas:1", {"type": "last"})  # after everything else
        for got, expected in ((got_one, "for-one"), (got_two, "for-two")):
            await got.until(lambda r: any(d.event_type == "last" for d in r.deliveries))
            assert [d.event_type for d in got.deliveries] == [expected, "last"]
        assert one.events.epoch != two.events.epoch


async def test_unreachable_redis_fails_start_without_leaking_the_password() -> None:
    brokers = create_brokers(f"redis://:hunter22@127.0.0.1:{free_port()}/0",
                             command_timeout=0.3)
    with pytest.raises(RedisBrokerError) as failure:
        await brokers.start()
    await brokers.close()
    assert "127.0.0.1" in str(failure.value) and "hunter22" not in str(failure.value)


async def test_a_process_whose_presence_was_purged_restores_and_announces_it(
    redis_url: str
) -> None:
    """This process was cut off from Redis longer than the TTL: another process purged
    (and announced) its users. Its next renewal puts them back and says so, once."""
    async with started(redis_url) as (a, notices):
        await a.presence.presence_join(6, ALICE, "alice-connection")
        await a.presence.try_admit("user:1", "alice-connection", 1)
        client = Redis.from_url(redis_url)
        try:  # what a purge by another process leaves behind
            await client.delete(*[f"stellarcollab:presence:6:{part}"
                                  for part in ("users", "conns", "deadlines", "counts")],
                                "stellarcollab:admitted:user:1")
        finally:
            await client.aclose()
        await presence(a).renew_presence()
        assert await _names(a, 6) == {"alice"}
        assert await a.presence.count("user:1") == 1
        assert notices.controls == [{"type": PRESENCE_RESTORED, "canvas_id": 6,
                                     "users": [ALICE]}]
        await presence(a).renew_presence()  # nothing was missing this time
        assert len(notices.controls) == 1


async def test_stopping_withdraws_this_process_entries(redis_url: str) -> None:
    async with started(redis_url) as (watcher, _):
        async with started(redis_url) as (leaving, _):
            await leaving.presence.presence_join(8, ALICE, "a1")
            await leaving.presence.try_admit("user:1", "a1", 5)
            assert await _names(watcher, 8) == {"alice"}
        assert await _names(watcher, 8) == set()
        assert await watcher.presence.count("user:1") == 0
