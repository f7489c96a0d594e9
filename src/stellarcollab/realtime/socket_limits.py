"""Limits on opening sockets that hold across every process: how often a user may
connect (a shared token bucket) and how many sockets a user may hold open (counted by
the presence store, so sockets on every process count)."""

from __future__ import annotations

from stellarcollab.realtime.broker.limits import LimitStore
from stellarcollab.realtime.broker.presence import PresenceStore


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


class SocketLimits:
    def __init__(self, limits: LimitStore, presence: PresenceStore, *,
                 connects_per_minute: float, max_per_user: int) -> None:
        self.limits = limits
        self.presence = presence
        self.connects_per_minute = connects_per_minute
        self.max_per_user = max_per_user

    async def allow_connect(self, user_id: int) -> bool:
        """Take one connection attempt from the user's bucket (a minute's worth of burst)."""
        wait = await self.limits.take(f"connect:{user_key(user_id)}",
                                      self.connects_per_minute / 60, self.connects_per_minute)
        return wait == 0.0

    async def admit(self, user_id: int, connection_id: str) -> bool:
        """Count the socket against the user's cap; False when the cap is reached."""
        return await self.presence.try_admit(user_key(user_id), connection_id,
                                             self.max_per_user)

    async def release(self, user_id: int, connection_id: str) -> None:
        await self.presence.release(user_key(user_id), connection_id)
