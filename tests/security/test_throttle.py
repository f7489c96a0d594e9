"""Throttle policy on the broker's in-process limit store with a manual clock: lockout
after failures, per-address limits."""

from __future__ import annotations

import pytest

from stellarcollab.clock import ManualClock
from stellarcollab.realtime.broker.memory_limits import MemoryLimitStore
from stellarcollab.security.throttle import AuthThrottle, ThrottleLimits, TooManyRequests


def throttle(clock: ManualClock, **limits: float) -> AuthThrottle:
    return AuthThrottle(MemoryLimitStore(clock), ThrottleLimits(**limits))  # type: ignore[arg-type]


async def test_lockout_after_failures_refuses_every_attempt_until_it_passes() -> None:
    clock = ManualClock()
    guard = throttle(clock, login_failures_per_account=3, login_lockout_seconds=60)
    for _ in range(3):
        await guard.before_login("Alice", "1.2.3.4")
        await guard.login_failed("alice")
    with pytest.raises(TooManyRequests) as refused:
        await guard.before_login("ALICE", "5.6.7.8")  # any address, any spelling
    assert refused.value.extra["retry_after"] == 60
    clock.advance(59)
    with pytest.raises(TooManyRequests):
        await guard.before_login("alice", "1.2.3.4")
    clock.advance(1)
    await guard.before_login("alice", "1.2.3.4")
    await guard.before_login("bob", "1.2.3.4")


async def test_attempts_per_address_and_registrations_per_address() -> None:
    clock = ManualClock()
    guard = throttle(clock, login_attempts_per_ip_per_minute=2,
                     registrations_per_ip_per_hour=1)
    await guard.before_login("a", "9.9.9.9")
    await guard.before_login("b", "9.9.9.9")
    with pytest.raises(TooManyRequests) as refused:
        await guard.before_login("c", "9.9.9.9")
    assert refused.value.extra["retry_after"] == 30
    await guard.before_login("c", "8.8.8.8")
    await guard.before_register("9.9.9.9")
    with pytest.raises(TooManyRequests):
        await guard.before_register("9.9.9.9")


async def test_tickets_and_refreshes_per_user() -> None:
    clock = ManualClock()
    guard = throttle(clock, tickets_per_user_per_minute=1, refreshes_per_user_per_minute=1)
    await guard.before_ticket(1)
    await guard.before_refresh(1)
    with pytest.raises(TooManyRequests):
        await guard.before_ticket(1)
    with pytest.raises(TooManyRequests):
        await guard.before_refresh(1)
    await guard.before_ticket(2)
