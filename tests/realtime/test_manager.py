"""The manager's fan-out loop: written at once when the server is quiet, coalesced when a
burst arrives; and what a departure asks of the database. Real manager, broker and
writers; only the transports are fakes, so the test can see when each write happens."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

from stellarcollab.realtime.broker import create_brokers
from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.leases import lease_change
from stellarcollab.realtime.manager import ConnectionManager, ManagerHooks
from stellarcollab.realtime.protocol import CanvasBounds
from stellarcollab.realtime.writers import FlushScheduler, TransportWriter
from tests.realtime.test_writers import FakeClock, FakeSocket, next_iteration


def subscribe(manager: ConnectionManager, scheduler: FlushScheduler,
              count: int) -> list[FakeSocket]:
    protocols = []
    for index in range(count):
        protocol = FakeSocket()
        writer = TransportWriter(protocol, scheduler, 1 << 20, lambda: None)
        connection = Connection(
            cast(Any, None), writer,
            {"user_id": index + 1, "username": f"u{index}", "display_name": f"U{index}"},
            CanvasBounds(1, 8, 8), f"jti{index}", time.time() + 60,
        )
        connection.open(snapshot_seq=0)
        manager.registry.add(connection)
        protocols.append(protocol)
    return protocols


async def test_quiet_server_writes_at_once_and_a_burst_is_coalesced() -> None:
    brokers = create_brokers("memory://")
    broker = brokers.events
    manager = ConnectionManager(brokers.events, brokers.presence)
    clock = FakeClock()
    manager.fanout.scheduler = scheduler = FlushScheduler(asyncio.get_running_loop(), clock)
    protocols = subscribe(manager, scheduler, 3)
    await broker.subscribe("canvas:1")

    await broker.publish("canvas:1", {"type": "first"})
    # quiet: every subscriber's socket got its frame before publish returned
    assert all(len(p.writes) == 1 for p in protocols)

    # a burst right after: nothing is written until the iteration's flush, then once
    for index in range(3):
        await broker.publish("canvas:1", {"type": f"burst{index}"})
    assert all(len(p.writes) == 1 for p in protocols)
    await next_iteration()
    for protocol in protocols:
        first, burst = protocol.writes
        assert b'"type":"first"' in first
        assert burst.count(b'"type":"burst') == 3
        assert burst.index(b"burst0") < burst.index(b"burst1") < burst.index(b"burst2")

    clock.now += 1.0  # a pause: the next message goes straight out again
    await broker.publish("canvas:1", {"type": "later"})
    assert all(len(p.writes) == 3 for p in protocols)


async def test_a_departure_asks_the_database_only_when_the_user_may_hold_a_lease() -> None:
    released: list[int] = []

    async def release(canvas_id: int, user: dict[str, Any]) -> None:
        released.append(user["user_id"])

    brokers = create_brokers("memory://")
    manager = ConnectionManager(brokers.events, brokers.presence,
                                ManagerHooks(release_leases=release))
    scheduler = FlushScheduler(asyncio.get_running_loop(), FakeClock())
    manager.fanout.scheduler = scheduler
    connections = []
    for user_id in (1, 2, 3):
        connection = Connection(
            cast(Any, None), TransportWriter(FakeSocket(), scheduler, 1 << 20, lambda: None),
            {"user_id": user_id, "username": f"u{user_id}", "display_name": f"U{user_id}"},
            CanvasBounds(1, 8, 8), f"jti{user_id}", time.time() + 60)
        await manager.connect(connection)
        connections.append(connection)
    # user 2 takes a lease: the event carries it to the book of every process
    await manager.publish(1, {"type": "user_presence_update"}, meta=lease_change({
        "tile_x": 2, "tile_y": 3, "user_id": 2, "username": "u2", "display_name": "U2",
        "expires_at": "2026-12-01T00:00:30Z"}, held=True))

    await manager.disconnect(connections[0])  # holds nothing, and the book knows it
    assert released == []
    await manager.disconnect(connections[1])  # holds a lease
    assert released == [2]
    await manager.disconnect(connections[2])  # the last socket here: the book is dropped
    assert released == [2, 3]
