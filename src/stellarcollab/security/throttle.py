"""Throttles for the expensive or guessable REST routes: login, registration, tickets,
token refresh. Each check raises ``TooManyRequests`` (429 with Retry-After).

Login failures are counted per account and per client address; once an account's
failures run out, every attempt is refused until the lockout passes, the right password
too (checked before the password is, so a lockout also spares the hashing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stellarcollab.realtime.broker.limits import LimitStore
from stellarcollab.services.errors import DomainError


class TooManyRequests(DomainError):
    status_code = 429
    ws_code = "rate_limited"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__("Too many requests; try again later", retry_after=seconds)


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    login_failures_per_account: int = 10
    login_lockout_seconds: float = 300
    login_attempts_per_ip_per_minute: int = 60
    registrations_per_ip_per_hour: int = 20
    tickets_per_user_per_minute: int = 60
    refreshes_per_user_per_minute: int = 30


class AuthThrottle:
    def __init__(self, store: LimitStore, limits: ThrottleLimits) -> None:
        self.store = store
        self.limits = limits

    async def _take(self, key: str, per_second: float, burst: float, cost: float = 1.0) -> None:
        wait = await self.store.take(key, per_second, burst, cost)
        if wait > 0:
            raise TooManyRequests(wait)

    def _failure_rate(self) -> float:
        """Once the allowance is spent, one more attempt per lockout period."""
        return 1 / self.limits.login_lockout_seconds

    async def before_login(self, username: str, client_ip: str) -> None:
        limits = self.limits
        await self._take(f"login-ip:{client_ip}", limits.login_attempts_per_ip_per_minute / 60,
                         limits.login_attempts_per_ip_per_minute)
        await self._take(f"login-fail:{username.lower()}", self._failure_rate(),
                         limits.login_failures_per_account, cost=0)

    async def login_failed(self, username: str) -> None:
        """Counts a wrong password; a TooManyRequests once the allowance is spent."""
        await self._take(f"login-fail:{username.lower()}", self._failure_rate(),
                         self.limits.login_failures_per_account)

    async def before_register(self, client_ip: str) -> None:
        per_hour = self.limits.registrations_per_ip_per_hour
        await self._take(f"register-ip:{client_ip}", per_hour / 3600, per_hour)

    async def before_ticket(self, user_id: int) -> None:
        per_minute = self.limits.tickets_per_user_per_minute
        await self._take(f"ticket-user:{user_id}", per_minute / 60, per_minute)

    async def before_refresh(self, user_id: int) -> None:
        per_minute = self.limits.refreshes_per_user_per_minute
        await self._take(f"refresh-user:{user_id}", per_minute / 60, per_minute)
