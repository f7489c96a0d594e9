"""The ticket store interface: one-time WebSocket tickets shared by every process."""

from __future__ import annotations

from typing import Protocol


class TicketStore(Protocol):
    async def put(self, ticket: str, token: str, ttl_seconds: float) -> None: ...

    async def take(self, ticket: str) -> str | None:
        """The ticket's token, once: later calls (and expired tickets) get None."""
        ...
