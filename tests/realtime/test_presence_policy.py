"""When a large canvas's ``presence_count`` goes out (times in event-loop seconds): soon
after a crowd's last arrival, spaced while arrivals go on, and less often the larger the
canvas, so counts cost about ``count_rate`` frames a second while arrivals go on, and at
most ``count_rate / pause_share`` however they come."""

from __future__ import annotations

import itertools

import pytest

from stellarcollab.realtime.presence_batch import PresencePolicy

POLICY = PresencePolicy(detail_limit=100, diff_window=0.1, count_interval=0.5, count_rate=2500)


def test_the_period_grows_with_the_canvas_past_the_interval() -> None:
    assert POLICY.count_period(101) == 0.5
    assert POLICY.count_period(1250) == 0.5
    assert POLICY.count_period(5000) == 2.0
    assert POLICY.count_period(50_000) == 20.0


def test_a_change_after_a_quiet_spell_is_counted_one_window_later() -> None:
    assert POLICY.count_due(last_count=0.0, first_change=100.0, last_change=100.0,
                            active_users=5000) == pytest.approx(100.1)
    assert POLICY.count_due(last_count=None, first_change=5.0, last_change=5.0,
                            active_users=5000) == pytest.approx(5.1)


def test_while_arrivals_go_on_counts_are_a_period_apart() -> None:
    # counted at 10.0; arrivals since 10.05, the last one a moment ago
    assert POLICY.count_due(last_count=10.0, first_change=10.05, last_change=12.03,
                            active_users=5000) == pytest.approx(12.05)
    # a first count while a crowd is still arriving
    assert POLICY.count_due(last_count=None, first_change=5.0, last_change=5.45,
                            active_users=400) == pytest.approx(5.5)


def test_when_arrivals_stop_the_last_count_follows_within_a_window() -> None:
    assert POLICY.count_due(last_count=10.0, first_change=10.05, last_change=11.2,
                            active_users=5000) == pytest.approx(11.3)


def test_counts_are_never_closer_than_the_interval() -> None:
    assert POLICY.count_due(last_count=10.0, first_change=10.05, last_change=10.1,
                            active_users=5000) == pytest.approx(10.5)


def test_on_a_larger_canvas_counts_are_a_share_of_the_period_apart() -> None:
    assert POLICY.count_spacing(5000) == 0.5  # a quarter of 2 s: the interval
    assert POLICY.count_spacing(10_000) == 1.0
    assert POLICY.count_spacing(50_000) == 5.0
    assert POLICY.count_due(last_count=10.0, first_change=10.05, last_change=10.1,
                            active_users=50_000) == pytest.approx(15.0)


def counts_sent(policy: PresencePolicy, changes: list[float], active_users: int,
                until: float) -> list[float]:
    """When counts go out for changes at these times, timed as the batcher times them: a
    timer set at a change when none is set, moved to ``count_due`` when it fires early."""
    sent: list[float] = []
    last: float | None = None
    first_change = last_change = timer = None
    pending = sorted(changes)
    while True:
        upcoming = pending[0] if pending else until
        if timer is not None and timer <= upcoming:
            assert first_change is not None and last_change is not None
            due = policy.count_due(last, first_change, last_change, active_users)
            if due > timer + 1e-9:
                timer = due
                continue
            sent.append(timer)
            last, first_change, timer = timer, None, None
            continue
        if not pending:
            return sent
        now = pending.pop(0)
        if first_change is None:
            first_change = now
        last_change = now
        if timer is None:
            timer = policy.count_due(last, first_change, last_change, active_users)


def test_a_trickle_of_arrivals_is_not_counted_after_every_pause() -> None:
    """One arrival or departure every 0.2 s on a canvas of 50,000, each after a pause
    longer than the window: a count every 5 s (10,000 frames a second), not one every
    0.5 s (100,000 frames a second)."""
    changes = [0.2 * step for step in range(1, 301)]  # 60 s of them
    sent = counts_sent(POLICY, changes, 50_000, until=70.0)
    assert sent[0] == pytest.approx(0.3)  # the first, a window after the first change
    spacing = POLICY.count_spacing(50_000)
    assert all(b - a >= spacing - 1e-9 for a, b in itertools.pairwise(sent))
    assert len(sent) <= 1 + 60 / POLICY.count_spacing(50_000) + 1
    assert sent[-1] > 60.0  # and the last change is counted


def test_a_crowd_is_counted_a_window_after_its_last_arrival() -> None:
    """5,000 arrivals in 2.5 s: counts a period apart while they go on, and the final one
    a window after the last arrival."""
    changes = [0.0005 * step for step in range(1, 5001)]
    sent = counts_sent(POLICY, changes, 5000, until=10.0)
    assert sent[-1] == pytest.approx(changes[-1] + POLICY.diff_window)


def test_a_crowd_that_stalls_again_and_again_gets_its_last_count_soon() -> None:
    """10,000 arrivals at 1,400 a second with a stall of 0.15 s every second, each of
    which brings a count: the last count still comes within a window of the last arrival,
    or a spacing after the count before it."""
    changes = [step / 1400 + 0.15 * (step // 1400) for step in range(1, 10_001)]
    sent = counts_sent(POLICY, changes, 10_000, until=30.0)
    assert sent[-1] > changes[-1]
    assert sent[-1] <= max(changes[-1] + POLICY.diff_window,
                           sent[-2] + POLICY.count_spacing(10_000)) + 1e-9
