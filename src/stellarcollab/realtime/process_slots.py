"""This process's socket count against ``STELLAR_WEBSOCKET_MAX_CONNECTIONS``, taken
synchronously when a socket is admitted and given back when its endpoint ends, so that
simultaneous handshakes, which all pass their awaits before any is registered with the
manager, are counted one by one."""

from __future__ import annotations


class ProcessSlots:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken = 0

    def take(self) -> bool:
        if self.taken >= self.limit:
            return False
        self.taken += 1
        return True

    def give_back(self) -> None:
        self.taken -= 1
