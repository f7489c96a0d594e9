"""The event bus contract, on memory and Redis.

Deliveries may arrive after ``publish`` returns (Redis's come back through pub/sub), so
the tests await them; an event that must not arrive is checked against a later one that
must (a bus hands its events over in the order they were published).
"""

from __future__ import annotations

from typing import Any

from stellarcollab.clock import ManualClock
from stellarcollab.realtime.broker import Brokers
from stellarcollab.realtime.recovery import Replay, Resync
from stellarcollab.realtime.topics import ADMINS, GLOBAL, canvas_topic, user_topic
from tests.realtime.broker.recording import Recorder

Started = tuple[Brokers, Recorder]


async def test_publish_numbers_events_per_canvas_without_gaps(brokers: Started) -> None:
    instance, received = brokers
    bus = instance.events
    await bus.subscribe("canvas:1")
    await bus.subscribe("canvas:2")
    seqs = [await bus.publish("canvas:1", {"type": "a"}) for _ in range(3)]
    assert seqs == [1, 2, 3]
    assert await bus.publish("canvas:2", {"type": "b"}) == 1
    assert await bus.current_seq(1) == 3
    deliveries = await received.deliveries_count(4)
    assert [(d.canvas_id, d.seq) for d in deliveries] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    assert [d.topic for d in deliveries] == ["canvas:1"] * 3 + ["canvas:2"]
    assert deliveries[0].payload == b'{"type":"a","seq":1,"canvas_id":1}'


async def test_payload_is_the_event_encoded_once_with_its_seq(brokers: Started) -> None:
    instance, received = brokers
    await instance.events.subscribe("canvas:3")
    await instance.events.publish("canvas:3", {"type": "warm-up"})
    event: dict[str, Any] = {
        "type": "canvas_chat_message", "seq": None, "canvas_id": 3,
        "message_text": 'say "seq":1 \u2603\n', "nested": {"seq": 0, "list": [1, 2]},
    }
    seq = await instance.events.publish("canvas:3", event)
    assert event["seq"] == seq == 2  # the caller's event carries its number, in place
    [_, delivery] = await received.deliveries_count(2)
    assert delivery.payload == (
        b'{"type":"canvas_chat_message","seq":2,"canvas_id":3,'
        b'"message_text":"say \\"seq\\":1 \xe2\x98\x83\\n","nested":{"seq":0,"list":[1,2]}}'
    )
    assert delivery.event_type == "canvas_chat_message"


async def test_subscriptions_are_reference_counted(brokers: Started) -> None:
    instance, received = brokers
    bus = instance.events
    await bus.subscribe("canvas:1")
    await bus.subscribe("canvas:1")
    await bus.unsubscribe("canvas:1")  # still one subscription left
    await bus.publish("canvas:1", {"type": "kept"})
    await received.deliveries_count(1)
    await bus.unsubscribe("canvas:1")
    await bus.publish("canvas:1", {"type": "dropped"})
    await bus.subscribe("canvas:2")
    await bus.publish("canvas:2", {"type": "after"})
    await received.until(lambda r: any(d.event_type == "after" for d in r.deliveries))
    assert [d.event_type for d in received.deliveries] == ["kept", "after"]


async def test_other_topics_are_delivered_unnumbered_and_not_kept(brokers: Started) -> None:
    instance, received = brokers
    bus = instance.events
    for topic in (user_topic(5), ADMINS, GLOBAL):
        await bus.subscribe(topic)
    assert await bus.publish(user_topic(5), {"type": "notification", "n": 1}) == 0
    assert await bus.publish(ADMINS, {"type": "report"}) == 0
    assert await bus.publish(GLOBAL, {"type": "announcement"}) == 0
    deliveries = await received.deliveries_count(3)
    assert [(d.topic, d.seq, d.canvas_id) for d in deliveries] == [
        ("user:5", 0, 0), ("admins", 0, 0), ("global", 0, 0)]
    assert deliveries[0].payload == b'{"type":"notification","n":1}'  # no seq added
    assert deliveries[2].event_type == "announcement"
    assert await bus.current_seq(5) == 0  # a user id is no canvas


async def test_unsubscribed_topics_are_not_received(brokers: Started) -> None:
    instance, received = brokers
    bus = instance.events
    await bus.subscribe(user_topic(1))
    await bus.publish(user_topic(2), {"type": "for-another-user"})
    await bus.publish(ADMINS, {"type": "for-admins"})
    await bus.publish(canvas_topic(9), {"type": "for-a-canvas"})
    await bus.publish(user_topic(1), {"type": "mine"})
    await received.until(lambda r: any(d.event_type == "mine" for d in r.deliveries))
    assert [d.event_type for d in received.deliveries] == ["mine"]


async def test_meta_and_exclusions_travel_beside_the_payload(brokers: Started) -> None:
    instance, received = brokers
    bus = instance.events
    await bus.subscribe("canvas:1")
    await bus.subscribe(GLOBAL)
    lease = {"lease": {"tile_x": 3, "tile_y": 4, "user_id": 7, "expires_at": None}}
    await bus.publish("canvas:1", {"type": "t"}, exclude_user=4, exclude_connection="c",
                      meta=lease)
    # X-Connection-ID comes from the client: any text travels unchanged
    await bus.publish("canvas:1", {"type": "t"}, exclude_connection='odd "id"\n with spaces')
    await bus.publish(GLOBAL, {"type": "g"}, meta={"kind": ["a", 1]})
    first, second, third = await received.deliveries_count(3)
    assert (first.exclude_user, first.exclude_connection, first.meta) == (4, "c", lease)
    assert (second.exclude_user, second.exclude_connection) == (None, 'odd "id"\n with spaces')
    assert second.meta is None
    assert third.meta == {"kind": ["a", 1]}


async def test_recover_replays_or_resyncs(brokers: Started) -> None:
    bus = brokers[0].events
    for _ in range(8):
        await bus.publish("canvas:1", {"type": "e"}, meta={"n": 1})
    plan = await bus.recover(1, 5, bus.epoch)
    assert isinstance(plan, Replay) and [d.seq for d in plan.deliveries] == [6, 7, 8]
    assert plan.deliveries[0].payload == b'{"type":"e","seq":6,"canvas_id":1}'
    # the payload is replayed; what the event did (its meta) was applied live
    assert plan.deliveries[0].meta is None and plan.deliveries[0].topic == "canvas:1"
    assert await bus.recover(1, 1, bus.epoch) == Resync("history_gone")
    assert await bus.recover(1, 5, "another-epoch") == Resync("epoch_changed")
    assert await bus.recover(1, 8, None) == Replay([])
    assert await bus.recover(1, 9, bus.epoch) == Resync("ahead_of_server")
    assert await bus.recover(2, 0, bus.epoch) == Replay([])
    assert await bus.current_seq(2) == 0


async def test_the_history_is_forgotten_after_its_ttl(brokers: Started,
                                                      clock: ManualClock) -> None:
    bus = brokers[0].events
    await bus.publish("canvas:4", {"type": "old"})
    clock.advance(50)
    await bus.publish("canvas:4", {"type": "newer"})
    clock.advance(15)  # the first is 65 s old, past the 60 s TTL; the second 15 s
    plan = await bus.recover(4, 1, bus.epoch)
    assert isinstance(plan, Replay) and [d.seq for d in plan.deliveries] == [2]
    assert await bus.recover(4, 0, bus.epoch) == Resync("history_gone")
    clock.advance(50)
    assert await bus.recover(4, 1, bus.epoch) == Resync("history_gone")


async def test_control_messages_reach_the_control_receiver(brokers: Started) -> None:
    instance, received = brokers
    await instance.events.publish_control({"type": "token_revoked", "jti": "j"})
    await received.until(lambda r: bool(r.controls))
    assert received.items == [{"type": "token_revoked", "jti": "j"}]


async def test_a_user_event_reaches_that_users_sockets_on_every_process(
    brokers: Started, peer: Started
) -> None:
    """With Redis, ``peer`` is another process (its own client); in memory, the same."""
    (here, got_here), (there, got_there) = brokers, peer
    await there.events.subscribe(user_topic(5))
    await there.events.subscribe(GLOBAL)
    await here.events.subscribe(GLOBAL)
    await here.events.publish(user_topic(5), {"type": "direct_message"}, meta={"from": 2})
    await here.events.publish(GLOBAL, {"type": "announcement"})
    await got_there.until(
        lambda r: [d.event_type for d in r.deliveries] == ["direct_message", "announcement"])
    assert got_there.deliveries[0].meta == {"from": 2}
    await got_here.until(lambda r: any(d.event_type == "announcement" for d in r.deliveries))
    if here is not there:
        assert [d.event_type for d in got_here.deliveries] == ["announcement"]
