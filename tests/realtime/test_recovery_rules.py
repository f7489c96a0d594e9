"""The replay-or-resync decision, with the clock passed in."""

from __future__ import annotations

import gc

from stellarcollab.realtime.recovery import (
    MEMBERSHIP,
    Delivery,
    EventHistory,
    Replay,
    Resync,
    plan_recovery,
)


def history_of(seqs: range, capacity: int = 100, ttl: float = 60,
               at: float = 0.0) -> EventHistory:
    history = EventHistory(capacity, ttl)
    for seq in seqs:
        history.append(Delivery(1, seq, "x", b"{}", published_at=at))
    return history


def test_replays_everything_after_since() -> None:
    plan = plan_recovery(history_of(range(1, 11)), 7, 10, "e", "e", now=1)
    assert isinstance(plan, Replay)
    assert [d.seq for d in plan.deliveries] == [8, 9, 10]


def test_up_to_date_client_gets_an_empty_replay() -> None:
    assert plan_recovery(history_of(range(1, 4)), 3, 3, None, "e", now=1) == Replay([])


def test_gaps_epochs_and_age_force_a_resync() -> None:
    assert plan_recovery(history_of(range(1, 11)), 5, 10, "old", "new", 1) == Resync(
        "epoch_changed")
    assert plan_recovery(history_of(range(1, 11)), 11, 10, None, "e", 1) == Resync(
        "ahead_of_server")
    # the history kept only 6..10: since=2 needs 3..5 too
    assert plan_recovery(history_of(range(1, 11), capacity=5), 2, 10, None, "e", 1) == Resync(
        "history_gone")
    assert plan_recovery(None, 2, 10, None, "e", 1) == Resync("history_gone")
    # events older than the TTL are gone
    assert plan_recovery(history_of(range(1, 11), ttl=5), 8, 10, None, "e", now=100) == Resync(
        "history_gone")


def test_delivery_exclusions() -> None:
    delivery = Delivery(1, 1, "x", b"{}", exclude_user=3, exclude_connection="c9")
    assert not delivery.is_for(3, "c1")
    assert not delivery.is_for(4, "c9")
    assert delivery.is_for(4, "c1")


def test_a_full_history_costs_the_garbage_collector_nothing() -> None:
    history = EventHistory(1000, ttl=60)
    gc.collect()
    tracked = len(gc.get_objects())
    for seq in range(1, 1001):
        history.append(Delivery(1, seq, "x", b"{}", exclude_user=3, exclude_connection="c",
                                published_at=1.0))
    gc.collect()  # a collection sees the kept tuples hold plain values and stops tracking
    assert len(gc.get_objects()) - tracked < 50
    assert [d.seq for d in history.after(998)] == [999, 1000]


def test_what_an_event_did_is_not_kept_with_it() -> None:
    # A crowd's arrivals carry a membership fact each; a replay writes only payloads, so
    # the history keeps none of them (nor the garbage collector's attention for them).
    history = EventHistory(1000, ttl=60)
    gc.collect()
    tracked = len(gc.get_objects())
    for seq in range(1, 1001):
        history.append(Delivery(1, seq, "user_joined", b"{}", published_at=1.0,
                                meta={"membership": {"kind": "join", "user": {"id": seq}}}))
    gc.collect()
    assert len(gc.get_objects()) - tracked < 50
    replayed = history.after(998)
    assert [(d.seq, d.meta) for d in replayed] == [(999, None), (1000, None)]


def test_a_blip_of_departures_does_not_push_missed_events_out() -> None:
    history = EventHistory(capacity=5, ttl=60)
    history.append(Delivery(1, 1, "canvas_chat_message", b"{}", published_at=0))
    for seq in range(2, 42):  # forty people leave and come back
        kind = "user_left" if seq < 22 else "user_joined"
        history.append(Delivery(1, seq, kind, b"{}", published_at=0))
    history.append(Delivery(1, 42, "canvas_chat_message", b"{}", published_at=0))
    plan = plan_recovery(history, 0, 42, None, "e", now=1)
    assert isinstance(plan, Replay) and [d.seq for d in plan.deliveries] == list(range(1, 43))
    # other events still count against the capacity: five of them, then the oldest go
    for seq in range(43, 48):
        history.append(Delivery(1, seq, "tile_created", b"{}", published_at=0))
    assert plan_recovery(history, 0, 47, None, "e", now=1) == Resync("history_gone")
    # and arrivals and departures have a bound of their own
    for seq in range(48, 148):
        history.append(Delivery(1, seq, "user_joined", b"{}", published_at=0))
    assert len(history.after(0)) <= 5 * 11


def test_a_replay_without_arrivals_and_departures_is_the_same_events() -> None:
    history = EventHistory(capacity=4, ttl=60)
    kinds = ["user_joined", "canvas_chat_message", "user_left", "user_left",
             "tile_created", "user_joined", "canvas_chat_message", "user_joined"]
    for seq in range(1, 41):  # the oldest counted ones and arrivals are pushed out
        history.append(Delivery(1, seq, kinds[seq % len(kinds)], b"{}", published_at=0))
    for since in range(0, 41):
        everything = [d.seq for d in history.after(since)]
        skipped = [d.seq for d in history.after(since, MEMBERSHIP)]
        assert skipped == [seq for seq in everything
                           if kinds[seq % len(kinds)] not in MEMBERSHIP]
    assert len([d for d in history.after(0, MEMBERSHIP)]) == 4
    history.prune(now=61)  # everything aged out: both go
    assert history.after(0) == [] and history.after(0, MEMBERSHIP) == []
