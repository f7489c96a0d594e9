"""The cluster-wide side of access changes, as the services see it.

A ban, an unban, a mute or a deactivation changes who may do what; every process must
drop what it cached about that user and, for kicks, bans and deactivations, close the
user's sockets. The realtime layer implements this; services only call it.
"""

from __future__ import annotations

from typing import Protocol


class AccessControl(Protocol):
    async def access_changed(self, user_id: int, canvas_id: int | None, *,
                             close_code: int | None = None, reason: str = "") -> None:
        """Every process forgets cached access of ``user_id`` (on ``canvas_id``, or
        everywhere when None) and, with ``close_code``, closes that user's sockets there."""
        ...

