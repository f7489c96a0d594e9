"""The presence store interface: who is on each canvas, and how many sockets each key
(a user, an address) holds, across every process."""

from __future__ import annotations

from typing import Any, Protocol

from stellarcollab.realtime.presence import UserPresence


class PresenceStore(Protocol):
    """Presence per canvas (per user, aggregated over connections) and socket counts
    for limits. A process renews its own entries; a dead process's vanish after the
    liveness TTL (measured with the injected clock)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def presence_join(
        self, canvas_id: int, user: dict[str, Any], connection_id: str
    ) -> bool:
        """True when this is the user's first connection on the canvas."""
        ...

    async def presence_leave(self, canvas_id: int, user_id: int, connection_id: str) -> bool:
        """True when this was the user's last connection on the canvas."""
        ...

    async def presence_apply(self, canvas_id: int, event: dict[str, Any]) -> None: ...

    async def presence(self, canvas_id: int) -> list[UserPresence]: ...

    async def user_count(self, canvas_id: int) -> int:
        """How many users ``presence`` would list, without reading their entries (an
        arrival on a canvas of thousands is counted, not listed)."""
        ...

    async def try_admit(self, key: str, connection_id: str, limit: int) -> bool:
        """Count ``connection_id`` under ``key`` (e.g. ``user:5``) unless ``limit`` are
        counted already; atomic across processes. Admitting it again is a no-op (True)."""
        ...

    async def release(self, key: str, connection_id: str) -> None: ...

    async def count(self, key: str) -> int: ...
