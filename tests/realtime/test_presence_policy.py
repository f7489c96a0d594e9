"""When a large canvas's ``presence_count`` goes out (times in event-loop seconds): soon
after a crowd's last arrival, spaced while arrivals go on, and less often the larger the
canvas, so counts cost about ``count_rate`` frames a second however the arrivals come."""

from __future__ import annotations

import pytest

from stellarcollab.realtime.presence_batch import LastCount, PresencePolicy

POLICY = PresencePolicy(detail_limit=100, diff_window=0.1, count_interval=0.5, count_rate=2500)


def test_the_period_grows_with_the_canvas_past_the_interval() -> None:
    assert POLICY.count_period(101) == 0.5
    assert POLICY.count_period(1250) == 0.5
    assert POLICY.count_period(5000) == 2.0
    assert POLICY.count_period(50_000) == 20.0


def test_a_change_after_a_quiet_spell_is_counted_one_window_later() -> None:
    assert POLICY.count_due(last=LastCount(0.0, 1.0), first_change=100.0, last_change=100.0,
                            active_users=5000) == pytest.approx(100.1)
    assert POLICY.count_due(last=None, first_change=5.0, last_change=5.0,
                            active_users=5000) == pytest.approx(5.1)


def test_while_arrivals_go_on_counts_are_a_period_apart() -> None:
    # counted at 10.0; arrivals since 10.05, the last one a moment ago
    assert POLICY.count_due(last=LastCount(10.0, 1.0), first_change=10.05, last_change=12.03,
                            active_users=5000) == pytest.approx(12.05)
    # a first count while a crowd is still arriving
    assert POLICY.count_due(last=None, first_change=5.0, last_change=5.45,
                            active_users=400) == pytest.approx(5.5)


def test_when_arrivals_stop_the_last_count_follows_within_a_window() -> None:
    assert POLICY.count_due(last=LastCount(10.0, 1.0), first_change=10.05, last_change=11.2,
                            active_users=5000) == pytest.approx(11.3)


def test_counts_are_never_closer_than_the_interval() -> None:
    assert POLICY.count_due(last=LastCount(10.0, 1.0), first_change=10.05, last_change=10.1,
                            active_users=5000) == pytest.approx(10.5)


def test_a_count_needs_the_credit_of_one() -> None:
    # counted at 10.0 with no credit left: the next waits a whole period (2 s at 5,000)
    assert POLICY.count_due(last=LastCount(10.0, 0.0), first_change=10.05, last_change=10.1,
                            active_users=5000) == pytest.approx(12.0)
    assert POLICY.count_due(last=LastCount(10.0, 0.5), first_change=10.05, last_change=10.1,
                            active_users=5000) == pytest.approx(11.0)


def test_a_count_after_a_pause_spends_a_credit_and_the_period_refills_one() -> None:
    first = POLICY.counted(None, 5.0, first_change=4.9, active_users=5000)
    assert first == LastCount(5.0, POLICY.count_burst - 1)
    assert POLICY.counted(first, 6.0, first_change=5.5,
                          active_users=5000) == LastCount(6.0, pytest.approx(0.5))
    assert POLICY.counted(first, 100.0, first_change=99.0,
                          active_users=5000) == LastCount(100.0, POLICY.count_burst - 1)


def test_a_count_that_comes_with_the_period_is_free() -> None:
    # counted at 10.0 with half a credit; changes since 10.05 without a pause: due at 12.05
    last = LastCount(10.0, 0.5)
    assert POLICY.counted(last, 12.05, first_change=10.05,
                          active_users=5000) == LastCount(12.05, pytest.approx(1.525))


def counts_sent(policy: PresencePolicy, changes: list[float], active_users: int,
                until: float) -> list[float]:
    """When counts go out for changes at these times, timed as the batcher times them: a
    timer set at a change when none is set, moved to ``count_due`` when it fires early."""
    sent: list[float] = []
    last: LastCount | None = None
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
            last = policy.counted(last, timer, first_change, active_users)
            first_change = timer = None
            continue
        if not pending:
            return sent
        now = pending.pop(0)
        if first_change is None:
            first_change = now
        last_change = now
        if timer is None:
            timer = policy.count_due(last, first_change, last_change, active_users)


def test_a_trickle_of_arrivals_is_counted_at_the_rate() -> None:
    """One arrival or departure every 0.2 s on a canvas of 50,000: each comes after a pause
    longer than the window, yet the canvas gets a count about every 20 s (the burst, then
    the rate), not one every 0.5 s (100,000 frames a second)."""
    changes = [0.2 * step for step in range(1, 301)]  # 60 s of them
    sent = counts_sent(POLICY, changes, 50_000, until=70.0)
    assert len(sent) <= POLICY.count_burst + 60 / POLICY.count_period(50_000) + 1
    assert sent[0] == pytest.approx(0.3)  # the first, a window after the first change
    assert sent[-1] > 60.0  # and the last change is counted


def test_a_crowd_is_counted_a_window_after_its_last_arrival() -> None:
    """5,000 arrivals in 2.5 s: counts every period while they go on, and the final one a
    window after the last arrival, not a period later."""
    changes = [0.0005 * step for step in range(1, 5001)]
    sent = counts_sent(POLICY, changes, 5000, until=10.0)
    assert sent[-1] == pytest.approx(changes[-1] + POLICY.diff_window)
    assert len(sent) <= POLICY.count_burst + 2.5 / POLICY.count_period(5000) + 1


def test_a_stall_within_a_crowd_does_not_hold_back_its_last_count() -> None:
    """10,000 arrivals at 1,400 a second with a stall of 0.15 s halfway (which brings a
    count before the period is up): the count after the last arrival still follows it
    within the window."""
    changes = [step / 1400 + (0.15 if step > 5000 else 0.0) for step in range(1, 10_001)]
    sent = counts_sent(POLICY, changes, 10_000, until=30.0)
    assert changes[5000] - changes[4999] > POLICY.diff_window
    assert any(changes[4999] < moment < changes[5000] for moment in sent)  # the stall's
    assert sent[-1] == pytest.approx(changes[-1] + POLICY.diff_window)


def test_a_crowd_that_stalls_again_and_again_is_counted_at_the_rate() -> None:
    """A stall every second: the counts they bring are paid from the credit, so the last
    count may wait, but never more than a period after the one before it."""
    changes = [step / 1400 + 0.15 * (step // 1400) for step in range(1, 10_001)]
    sent = counts_sent(POLICY, changes, 10_000, until=30.0)
    period = POLICY.count_period(10_000)
    assert len(sent) <= POLICY.count_burst + (changes[-1] - changes[0]) / period + 1
    assert sent[-1] > changes[-1]
    assert sent[-1] - sent[-2] <= period + 1e-9
