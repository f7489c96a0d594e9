"""Sockets admitted and not yet registered with the manager, counted against the caps.

Simultaneous handshakes of one user all get through their awaits (token, database)
before any of them is registered; each one is held here from the moment it passes the
cap checks, synchronously, so that the next check counts it.
"""

from __future__ import annotations

from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.manager import ConnectionManager


class Admitting:
    def __init__(self, manager: ConnectionManager) -> None:
        self.manager = manager
        self.connections: list[Connection] = []

    def hold(self, connection: Connection) -> None:
        self.connections.append(connection)

    def release(self, connection: Connection) -> None:
        if connection in self.connections:
            self.connections.remove(connection)

    def _waiting(self) -> list[Connection]:
        """Those the manager does not count yet."""
        registered = self.manager.canvas_connections
        return [c for c in self.connections if c.id not in registered.get(c.canvas_id, ())]

    def total(self) -> int:
        return self.manager.total_connections + len(self._waiting())

    def of_user(self, user_id: int) -> int:
        waiting = sum(1 for c in self._waiting() if c.user_id == user_id)
        return self.manager.connections_of_user(user_id) + waiting
