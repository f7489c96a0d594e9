"""When a large canvas's ``presence_count`` goes out (times in event-loop seconds): soon
after a crowd's last arrival, spaced while arrivals go on, and less often the larger the
canvas, so counts cost about ``count_rate`` frames a second."""

from __future__ import annotations

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
