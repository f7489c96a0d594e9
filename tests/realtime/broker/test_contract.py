"""The contract every broker keeps. Run against each implementation.

Deliveries may arrive after ``publish`` returns (the Redis broker's come back through
pub/sub), so the tests await them; an event that must not arrive is checked against a
later one that must (a broker hands its events over in the order they were numbered).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from stellarcollab.realtime.broker import Broker, MemoryBroker, RedisBroker, create_broker
from stellarcollab.realtime.recovery import Replay, Resync
from tests.realtime.broker.recording import Recorder
from tests.support.redis import RedisServer

ALICE = {"user_id": 1, "username": "alice", "display_name": "Alice"}


@pytest.fixture(params=["memory", "redis"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Broker, Recorder]]:
    url = "memory://"
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        server.flush()
        url = server.url
    instance: Broker = create_broker(url, history=5, history_ttl=60)
    received = Recorder()
    instance.set_receivers(received.append, received.append)
    await instance.start()
    yield instance, received
    await instance.stop()


async def test_publish_numbers_events_per_canvas_without_gaps(
    broker: tuple[Broker, Recorder]
) -> None:
    instance, received = broker
    await instance.subscribe(1)
    await instance.subscribe(2)
    seqs = [await instance.publish(1, {"type": "a"}) for _ in range(3)]
    assert seqs == [1, 2, 3]
    assert await instance.publish(2, {"type": "b"}) == 1
    assert await instance.current_seq(1) == 3
    deliveries = await received.deliveries_count(4)
    assert [(d.canvas_id, d.seq) for d in deliveries] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    assert deliveries[0].payload == b'{"type":"a","seq":1,"canvas_id":1}'


async def test_payload_is_the_event_encoded_once_with_its_seq(
    broker: tuple[Broker, Recorder]
) -> None:
    instance, received = broker
    await instance.subscribe(3)
    await instance.publish(3, {"type": "warm-up"})
    event: dict[str, Any] = {
        "type": "canvas_chat_message", "seq": None, "canvas_id": 3,
        "message_text": 'say "seq":1 \u2603\n', "nested": {"seq": 0, "list": [1, 2]},
    }
    seq = await instance.publish(3, event)
    assert event["seq"] == seq == 2  # the caller's event carries its number, in place
    [_, delivery] = await received.deliveries_count(2)
    assert delivery.payload == (
        b'{"type":"canvas_chat_message","seq":2,"canvas_id":3,'
        b'"message_text":"say \\"seq\\":1 \xe2\x98\x83\\n","nested":{"seq":0,"list":[1,2]}}'
    )
    assert delivery.event_type == "canvas_chat_message"


async def test_only_subscribed_canvases_are_delivered(broker: tuple[Broker, Recorder]) -> None:
    instance, received = broker
    await instance.subscribe(1)
    await instance.subscribe(1)
    await instance.unsubscribe(1)  # still one subscription left
    await instance.publish(1, {"type": "kept"})
    await received.deliveries_count(1)
    await instance.unsubscribe(1)
    await instance.publish(1, {"type": "dropped"})
    await instance.subscribe(2)
    await instance.publish(2, {"type": "after"})
    await received.until(lambda r: any(d.event_type == "after" for d in r.deliveries))
    assert [d.event_type for d in received.deliveries] == ["kept", "after"]


async def test_exclusions_travel_with_the_delivery(broker: tuple[Broker, Recorder]) -> None:
    instance, received = broker
    await instance.subscribe(1)
    await instance.publish(1, {"type": "t"}, exclude_user=4, exclude_connection="c")
    # X-Connection-ID comes from the client: any text travels unchanged
    await instance.publish(1, {"type": "t"}, exclude_connection='odd "id"\n with spaces')
    first, second = await received.deliveries_count(2)
    assert (first.exclude_user, first.exclude_connection) == (4, "c")
    assert (second.exclude_user, second.exclude_connection) == (None, 'odd "id"\n with spaces')


async def test_recover_replays_or_resyncs(broker: tuple[Broker, Recorder]) -> None:
    instance, _ = broker
    for _ in range(8):
        await instance.publish(1, {"type": "e"})
    plan = await instance.recover(1, 5, instance.epoch)
    assert isinstance(plan, Replay) and [d.seq for d in plan.deliveries] == [6, 7, 8]
    assert plan.deliveries[0].payload == b'{"type":"e","seq":6,"canvas_id":1}'
    assert await instance.recover(1, 1, instance.epoch) == Resync("history_gone")
    assert await instance.recover(1, 5, "another-epoch") == Resync("epoch_changed")
    assert await instance.recover(1, 8, None) == Replay([])
    assert await instance.recover(1, 9, instance.epoch) == Resync("ahead_of_server")
    assert await instance.recover(2, 0, instance.epoch) == Replay([])
    assert await instance.current_seq(2) == 0


async def test_presence_is_per_user_across_connections(broker: tuple[Broker, Recorder]) -> None:
    instance, _ = broker
    assert await instance.presence_join(1, ALICE, "c1") is True
    assert await instance.presence_join(1, ALICE, "c2") is False
    await instance.presence_apply(1, {"type": "user_typing", "user_id": 1, "is_typing": True})
    [entry] = await instance.presence(1)
    assert entry.is_typing and len(entry.connections) == 2
    assert await instance.presence_leave(1, 1, "c1") is False
    assert await instance.presence_leave(1, 1, "c2") is True
    assert await instance.presence(1) == []


async def test_presence_folds_status_and_editing(broker: tuple[Broker, Recorder]) -> None:
    instance, _ = broker
    bob = {"user_id": 2, "username": "bob", "display_name": "Bob"}
    await instance.presence_join(1, ALICE, "c1")
    await instance.presence_join(1, bob, "c2")
    update = {"type": "user_presence_update", "user_id": 1}
    await instance.presence_apply(1, {**update, "status": "away", "status_message": "tea"})
    await instance.presence_apply(1, {**update, "is_editing": True, "tile_x": 3, "tile_y": 4})
    await instance.presence_apply(1, {**update, "is_editing": False, "tile_x": 9, "tile_y": 9})
    await instance.presence_apply(1, {"type": "user_typing", "user_id": 99, "is_typing": True})
    alice, other = await instance.presence(1)
    assert alice.view() | {"connected_at": None} == {
        "user_id": 1, "username": "alice", "display_name": "Alice", "is_active": True,
        "status": "away", "status_message": "tea", "is_typing": False,
        "editing_tile": {"tile_x": 3, "tile_y": 4}, "connections": 1, "connected_at": None,
    }
    assert other.user_id == 2 and other.status == "online" and other.editing_tile is None
    await instance.presence_apply(1, {**update, "is_editing": False, "tile_x": 3, "tile_y": 4})
    assert (await instance.presence(1))[0].editing_tile is None


async def test_leaving_an_unknown_connection_changes_nothing(
    broker: tuple[Broker, Recorder]
) -> None:
    instance, _ = broker
    assert await instance.presence_leave(1, 1, "never-joined") is False
    await instance.presence_join(1, ALICE, "c1")
    assert await instance.presence_leave(1, 1, "c-other") is False
    assert [p.user_id for p in await instance.presence(1)] == [1]


async def test_control_messages_reach_the_control_receiver(
    broker: tuple[Broker, Recorder]
) -> None:
    instance, received = broker
    await instance.publish_control({"type": "token_revoked", "jti": "j"})
    await received.until(lambda r: bool(r.controls))
    assert received.items == [{"type": "token_revoked", "jti": "j"}]


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported broker URL"):
        create_broker("carrier-pigeon://", 1, 1)
    assert isinstance(create_broker("memory://", 1, 1), MemoryBroker)
    assert isinstance(create_broker("redis://127.0.0.1:6379/0", 1, 1), RedisBroker)
    assert isinstance(create_broker("rediss://cache.internal:6380/2", 1, 1), RedisBroker)


async def test_tickets_are_single_use_and_expire(broker: tuple[Broker, Recorder]) -> None:
    instance, _ = broker
    await instance.put_ticket("t-1", "token-a", ttl_seconds=30)
    assert await instance.take_ticket("t-1") == "token-a"
    assert await instance.take_ticket("t-1") is None  # once only
    assert await instance.take_ticket("never-issued") is None
    await instance.put_ticket("t-2", "token-b", ttl_seconds=0.05)
    await asyncio.sleep(0.1)  # lets the ticket's lifetime pass; no event to await
    assert await instance.take_ticket("t-2") is None
