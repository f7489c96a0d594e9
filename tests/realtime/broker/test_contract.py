"""The contract every broker keeps. Run against each implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from stellarcollab.realtime.broker import Broker, MemoryBroker, create_broker
from stellarcollab.realtime.recovery import Delivery, Replay, Resync


@pytest.fixture(params=["memory"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Broker, list[Any]]]:
    instance: Broker = create_broker(f"{request.param}://", history=5, history_ttl=60)
    received: list[Any] = []
    instance.set_receivers(received.append, received.append)
    await instance.start()
    yield instance, received
    await instance.stop()


async def test_publish_numbers_events_per_canvas_without_gaps(
    broker: tuple[Broker, list[Any]]
) -> None:
    instance, received = broker
    await instance.subscribe(1)
    await instance.subscribe(2)
    seqs = [await instance.publish(1, {"type": "a"}) for _ in range(3)]
    assert seqs == [1, 2, 3]
    assert await instance.publish(2, {"type": "b"}) == 1
    assert await instance.current_seq(1) == 3
    deliveries = [d for d in received if isinstance(d, Delivery)]
    assert [(d.canvas_id, d.seq) for d in deliveries] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    assert deliveries[0].payload == b'{"type":"a","seq":1,"canvas_id":1}'


async def test_only_subscribed_canvases_are_delivered(broker: tuple[Broker, list[Any]]) -> None:
    instance, received = broker
    await instance.subscribe(1)
    await instance.subscribe(1)
    await instance.unsubscribe(1)  # still one subscription left
    await instance.publish(1, {"type": "kept"})
    await instance.unsubscribe(1)
    await instance.publish(1, {"type": "dropped"})
    assert [d.event_type for d in received] == ["kept"]


async def test_exclusions_travel_with_the_delivery(broker: tuple[Broker, list[Any]]) -> None:
    instance, received = broker
    await instance.subscribe(1)
    await instance.publish(1, {"type": "t"}, exclude_user=4, exclude_connection="c")
    [delivery] = received
    assert (delivery.exclude_user, delivery.exclude_connection) == (4, "c")


async def test_recover_replays_or_resyncs(broker: tuple[Broker, list[Any]]) -> None:
    instance, _ = broker
    for _ in range(8):
        await instance.publish(1, {"type": "e"})
    plan = await instance.recover(1, 5, instance.epoch)
    assert isinstance(plan, Replay) and [d.seq for d in plan.deliveries] == [6, 7, 8]
    assert await instance.recover(1, 1, instance.epoch) == Resync("history_gone")
    assert await instance.recover(1, 5, "another-epoch") == Resync("epoch_changed")


async def test_presence_is_per_user_across_connections(broker: tuple[Broker, list[Any]]) -> None:
    instance, _ = broker
    alice = {"user_id": 1, "username": "alice", "display_name": "Alice"}
    assert await instance.presence_join(1, alice, "c1") is True
    assert await instance.presence_join(1, alice, "c2") is False
    await instance.presence_apply(1, {"type": "user_typing", "user_id": 1, "is_typing": True})
    [entry] = await instance.presence(1)
    assert entry.is_typing and len(entry.connections) == 2
    assert await instance.presence_leave(1, 1, "c1") is False
    assert await instance.presence_leave(1, 1, "c2") is True
    assert await instance.presence(1) == []


async def test_control_messages_reach_the_control_receiver(
    broker: tuple[Broker, list[Any]]
) -> None:
    instance, received = broker
    await instance.publish_control({"type": "token_revoked", "jti": "j"})
    assert received == [{"type": "token_revoked", "jti": "j"}]


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported broker URL"):
        create_broker("carrier-pigeon://", 1, 1)
    assert isinstance(create_broker("memory://", 1, 1), MemoryBroker)
