"""The in-process ticket store: tickets with deadlines on the injected clock."""

from __future__ import annotations

from stellarcollab.clock import Clock, SystemClock

#: above this many tickets, a put first forgets the expired ones nobody redeemed
PRUNE_ABOVE = 1000


class MemoryTicketStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._tickets: dict[str, tuple[str, float]] = {}  # ticket -> (token, deadline)

    async def put(self, ticket: str, token: str, ttl_seconds: float) -> None:
        now = self.clock.monotonic()
        if len(self._tickets) > PRUNE_ABOVE:
            for key in [k for k, (_, deadline) in self._tickets.items() if deadline <= now]:
                del self._tickets[key]
        self._tickets[ticket] = (token, now + ttl_seconds)

    async def take(self, ticket: str) -> str | None:
        entry = self._tickets.pop(ticket, None)
        if entry is None or entry[1] <= self.clock.monotonic():
            return None
        return entry[0]
