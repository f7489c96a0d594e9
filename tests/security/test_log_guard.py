"""The log flood guard: client mistakes lose their traceback; repeats are limited."""

from __future__ import annotations

import logging
import sys

from stellarcollab.clock import ManualClock
from stellarcollab.security.log_guard import FloodGuard


def record(msg: str, *args: object, level: int = logging.WARNING,
           exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("uvicorn.error", level, __file__, 1, msg, args or None, exc_info)


def test_client_mistakes_lose_their_traceback_and_are_counted() -> None:
    guard = FloodGuard(10, ManualClock().monotonic)
    line = record("Invalid UTF-8 sequence received from client.", level=logging.ERROR,
                  exc=True)
    assert guard.filter(line)
    assert line.exc_info is None
    assert guard.client_mistakes["Invalid UTF-8 sequence received from client."] == 1


def test_repeats_from_one_source_are_limited_and_the_gap_is_reported() -> None:
    clock = ManualClock()
    guard = FloodGuard(3, clock.monotonic)
    passed = [guard.filter(record("failed for %s", "conn-1")) for _ in range(10)]
    assert passed == [True] * 3 + [False] * 7
    assert guard.filter(record("failed for %s", "conn-2"))  # another source
    assert guard.filter(record("fine", level=logging.INFO))  # info lines are not limited
    clock.advance(20)
    again = record("failed for %s", "conn-1")
    assert guard.filter(again)
    assert again.getMessage() == "failed for conn-1 (7 similar lines suppressed)"
