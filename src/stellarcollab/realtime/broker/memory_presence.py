"""The in-process presence store: presence per canvas and socket counts per key, for a
single process (nothing to expire: its entries live and die with the process)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stellarcollab.clock import Clock, SystemClock
from stellarcollab.db.types import isoformat_z
from stellarcollab.realtime import presence as presence_rules
from stellarcollab.realtime.presence import CanvasPresence, UserPresence


class MemoryPresenceStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._presence: dict[int, CanvasPresence] = {}
        self._admitted: dict[str, tuple[str, ...]] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def presence_join(self, canvas_id: int, user: dict[str, Any], connection_id: str) -> bool:
        state = self._presence.setdefault(canvas_id, {})
        now = isoformat_z(datetime.fromtimestamp(self.clock.time(), UTC))
        return presence_rules.join(state, user, connection_id, now)

    async def presence_leave(self, canvas_id: int, user_id: int, connection_id: str) -> bool:
        state = self._presence.get(canvas_id)
        if state is None:
            return False
        last = presence_rules.leave(state, user_id, connection_id)
        if not state:
            del self._presence[canvas_id]
        return last

    async def presence_apply(self, canvas_id: int, event: dict[str, Any]) -> None:
        state = self._presence.get(canvas_id)
        if state is not None:
            presence_rules.apply_event(state, event)

    async def presence(self, canvas_id: int) -> list[UserPresence]:
        return list(self._presence.get(canvas_id, {}).values())

    async def user_count(self, canvas_id: int) -> int:
        return len(self._presence.get(canvas_id, ()))

    async def try_admit(self, key: str, connection_id: str, limit: int) -> bool:
        # A tuple per key: a user holds a handful of sockets, and an empty set alone
        # takes 216 bytes (a tuple of one, 48).
        admitted = self._admitted.get(key, ())
        if connection_id in admitted:
            return True
        if len(admitted) >= limit:
            return False
        self._admitted[key] = (*admitted, connection_id)
        return True

    async def release(self, key: str, connection_id: str) -> None:
        admitted = self._admitted.get(key)
        if admitted is not None and connection_id in admitted:
            kept = tuple(held for held in admitted if held != connection_id)
            if kept:
                self._admitted[key] = kept
            else:
                del self._admitted[key]

    async def count(self, key: str) -> int:
        return len(self._admitted.get(key, ()))

    def stats(self) -> dict[str, int]:
        return {"canvases_with_presence": len(self._presence),
                "admission_keys": len(self._admitted)}
