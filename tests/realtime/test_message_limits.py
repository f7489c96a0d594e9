"""Per-type message limits and the duplicate filter, with a manual clock."""

from __future__ import annotations

import pytest

from stellarcollab.clock import ManualClock
from stellarcollab.realtime.message_limits import OTHER, DuplicateFilter, MessageLimiter, Rate


def limiter(clock: ManualClock) -> MessageLimiter:
    return MessageLimiter({"chat": Rate(5, 10), "presence": Rate(20, 20),
                           OTHER: Rate(1, 2)}, clock.monotonic)


def test_each_kind_has_its_own_bucket_per_user() -> None:
    clock = ManualClock()
    limits = limiter(clock)
    assert all(limits.check(1, "canvas_chat") == 0.0 for _ in range(10))
    assert limits.check(1, "canvas_chat") == pytest.approx(0.2)
    assert limits.check(1, "user_presence") == 0.0  # presence is not spent by chat
    assert limits.check(2, "canvas_chat") == 0.0  # nor another user's
    clock.advance(0.2)
    assert limits.check(1, "canvas_chat") == 0.0


def test_unknown_types_and_kinds_without_a_rate_share_other() -> None:
    clock = ManualClock()
    limits = limiter(clock)
    assert limits.kind_of("tile_mention") == OTHER  # no mention rate configured here
    assert limits.kind_of(None) == OTHER
    assert limits.check(1, "ping") == 0.0 and limits.check(1, "bogus") == 0.0
    assert limits.check(1, None) == pytest.approx(1.0)


def test_duplicates_are_refused_within_the_window_only() -> None:
    clock = ManualClock()
    duplicates = DuplicateFilter(10, clock.monotonic)
    assert not duplicates.is_repeat(1, "canvas:1", "hello")
    assert duplicates.is_repeat(1, "canvas:1", "HELLO")
    assert not duplicates.is_repeat(2, "canvas:1", "hello")
    assert not duplicates.is_repeat(1, "canvas:2", "hello")
    clock.advance(10)
    assert not duplicates.is_repeat(1, "canvas:1", "hello")


def test_a_retry_with_its_client_id_is_no_duplicate() -> None:
    duplicates = DuplicateFilter(10, ManualClock().monotonic)
    assert not duplicates.is_repeat(1, "canvas:1", "hello", "c-1")
    assert not duplicates.is_repeat(1, "canvas:1", "hello", "c-1")  # the same message again
    assert duplicates.is_repeat(1, "canvas:1", "hello", "c-2")  # a new message, same text
    assert duplicates.is_repeat(1, "canvas:1", "hello")


def test_duplicate_memory_is_bounded() -> None:
    clock = ManualClock()
    duplicates = DuplicateFilter(10, clock.monotonic, max_users=5, per_user=3)
    for text in ("a", "b", "c", "d"):
        assert not duplicates.is_repeat(1, "s", text)
    assert not duplicates.is_repeat(1, "s", "a")  # the oldest was forgotten
    for user in range(10):
        duplicates.is_repeat(user, "s", "x")
    assert len(duplicates._recent) <= 5
