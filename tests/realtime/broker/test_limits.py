"""The token-bucket rule (GCRA) itself, pure: what the memory store runs and the Redis
script mirrors."""

from __future__ import annotations

import pytest

from stellarcollab.realtime.broker.limits import gcra


def test_a_fresh_key_takes_its_burst_then_waits_one_interval() -> None:
    tat: float | None = None
    for _ in range(4):
        tat, wait = gcra(tat, 100.0, 4.0, 4, 1)
        assert wait == 0.0
    assert tat == pytest.approx(101.0)
    assert gcra(tat, 100.0, 4.0, 4, 1) == (None, pytest.approx(0.25))


def test_float_intervals_do_not_refuse_a_take_that_is_due() -> None:
    tat: float | None = None
    for _ in range(3):
        tat, _ = gcra(tat, 0.0, 3.0, 3, 1)  # three thirds of a second, as floats
    assert gcra(tat, 1.0 / 3.0, 3.0, 3, 1)[1] == 0.0


def test_peeking_changes_nothing() -> None:
    assert gcra(None, 5.0, 1.0, 2, 0) == (None, 0.0)
    assert gcra(7.0, 5.0, 1.0, 2, 0) == (None, pytest.approx(1.0))
