"""The injected clocks."""

from __future__ import annotations

import time

import pytest

from stellarcollab.clock import Clock, ManualClock, SystemClock


def test_a_manual_clock_moves_only_when_advanced() -> None:
    clock: Clock = ManualClock(start=100.0)
    assert (clock.time(), clock.monotonic()) == (100.0, 0.0)
    assert isinstance(clock, ManualClock)
    clock.advance(2.5)
    assert (clock.time(), clock.monotonic()) == (102.5, 2.5)
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1)


def test_the_system_clock_reads_the_machines_clocks() -> None:
    clock = SystemClock()
    before_wall, before_mono = time.time(), time.monotonic()
    wall, mono = clock.time(), clock.monotonic()
    assert before_wall <= wall <= time.time()
    assert before_mono <= mono <= time.monotonic()
