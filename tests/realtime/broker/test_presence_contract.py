"""The presence store contract, on memory and Redis: presence per canvas, and socket
counts for limits that hold across processes (``peer``)."""

from __future__ import annotations

import asyncio

from stellarcollab.realtime.broker import Brokers
from tests.realtime.broker.recording import Recorder

Started = tuple[Brokers, Recorder]
ALICE = {"user_id": 1, "username": "alice", "display_name": "Alice"}
BOB = {"user_id": 2, "username": "bob", "display_name": "Bob"}


async def test_presence_is_per_user_across_connections(brokers: Started) -> None:
    store = brokers[0].presence
    assert await store.presence_join(1, ALICE, "c1") is True
    assert await store.presence_join(1, ALICE, "c2") is False
    await store.presence_apply(1, {"type": "user_typing", "user_id": 1, "is_typing": True})
    [entry] = await store.presence(1)
    assert entry.is_typing and len(entry.connections) == 2
    assert await store.presence_leave(1, 1, "c1") is False
    assert await store.presence_leave(1, 1, "c2") is True
    assert await store.presence(1) == []


async def test_presence_folds_status_and_editing(brokers: Started) -> None:
    store = brokers[0].presence
    await store.presence_join(1, ALICE, "c1")
    await store.presence_join(1, BOB, "c2")
    update = {"type": "user_presence_update", "user_id": 1}
    await store.presence_apply(1, {**update, "status": "away", "status_message": "tea",
                                   "emoji": "🍵"})
    await store.presence_apply(1, {**update, "is_editing": True, "tile_x": 3, "tile_y": 4})
    await store.presence_apply(1, {**update, "is_editing": False, "tile_x": 9, "tile_y": 9})
    await store.presence_apply(1, {"type": "user_typing", "user_id": 99, "is_typing": True})
    alice, other = await store.presence(1)
    assert alice.view() | {"connected_at": None} == {
        "user_id": 1, "username": "alice", "display_name": "Alice", "is_active": True,
        "status": "away", "status_message": "tea", "emoji": "🍵", "is_typing": False,
        "editing_tile": {"tile_x": 3, "tile_y": 4}, "connections": 1, "connected_at": None,
    }
    assert other.user_id == 2 and other.status == "online" and other.editing_tile is None
    await store.presence_apply(1, {**update, "is_editing": False, "tile_x": 3, "tile_y": 4})
    assert (await store.presence(1))[0].editing_tile is None


async def test_connected_at_is_the_injected_clocks_time(brokers: Started) -> None:
    store = brokers[0].presence
    await store.presence_join(2, ALICE, "c1")
    [entry] = await store.presence(2)
    assert entry.connected_at == "2025-06-15T15:06:40.000Z"  # ManualClock's default start


async def test_leaving_an_unknown_connection_changes_nothing(brokers: Started) -> None:
    store = brokers[0].presence
    assert await store.presence_leave(1, 1, "never-joined") is False
    await store.presence_join(1, ALICE, "c1")
    assert await store.presence_leave(1, 1, "c-other") is False
    assert [p.user_id for p in await store.presence(1)] == [1]


async def test_presence_is_shared_by_every_process(brokers: Started, peer: Started) -> None:
    here, there = brokers[0].presence, peer[0].presence
    assert await here.presence_join(3, ALICE, "a1") is True
    assert await there.presence_join(3, ALICE, "b1") is False  # same user, other process
    assert {c for p in await there.presence(3) for c in p.connections} == {"a1", "b1"}
    assert await here.presence_leave(3, 1, "a1") is False
    assert await there.presence_leave(3, 1, "b1") is True  # the last one, everywhere


async def test_user_count_is_how_many_users_presence_lists(
    brokers: Started, peer: Started
) -> None:
    here, there = brokers[0].presence, peer[0].presence
    assert await here.user_count(6) == 0
    await here.presence_join(6, ALICE, "a1")
    await here.presence_join(6, ALICE, "a2")  # one user, two sockets
    await there.presence_join(6, BOB, "b1")  # another, on the other process
    assert await there.user_count(6) == 2 == len(await here.presence(6))
    await here.presence_leave(6, 1, "a1")
    assert await here.user_count(6) == 2
    await here.presence_leave(6, 1, "a2")
    assert await there.user_count(6) == 1 == len(await there.presence(6))
    assert await here.user_count(7) == 0  # another canvas


async def test_admission_counts_sockets_up_to_the_limit(brokers: Started) -> None:
    store = brokers[0].presence
    assert await store.try_admit("user:5", "c1", 2) is True
    assert await store.try_admit("user:5", "c1", 2) is True  # the same socket again
    assert await store.try_admit("user:5", "c2", 2) is True
    assert await store.try_admit("user:5", "c3", 2) is False
    assert await store.try_admit("ip:10.0.0.1", "c3", 2) is True  # keys are apart
    assert await store.count("user:5") == 2
    await store.release("user:5", "c1")
    await store.release("user:5", "never-admitted")
    assert await store.count("user:5") == 1
    assert await store.try_admit("user:5", "c3", 2) is True
    assert await store.count("nobody") == 0


async def test_simultaneous_admits_on_two_processes_stop_exactly_at_the_limit(
    brokers: Started, peer: Started
) -> None:
    stores = [brokers[0].presence, peer[0].presence]
    results = await asyncio.gather(*(
        stores[n % 2].try_admit("user:7", f"c{n}", 20) for n in range(30)))
    assert results.count(True) == 20
    assert await stores[0].count("user:7") == await stores[1].count("user:7") == 20
    admitted = [f"c{n}" for n, ok in enumerate(results) if ok]
    await stores[1].release("user:7", admitted[0])  # released by another process
    assert await stores[0].try_admit("user:7", "late", 20) is True
    assert await stores[0].try_admit("user:7", "later", 20) is False
