"""This process's open sockets, indexed the ways fan-out, presence and limits look them up.

Synchronous bookkeeping only: no awaits, no broker, no I/O, so it is tested directly and
can never be seen half-updated by another task. ``add`` and ``remove`` report which topics
this process starts or stops needing and whether a user arrived on or left a canvas; the
caller acts on that (subscribing, announcing).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from stellarcollab.realtime.connection import Connection
from stellarcollab.realtime.topics import ADMINS, GLOBAL, canvas_topic, user_topic


@dataclass(frozen=True, slots=True)
class Change:
    """What one ``add`` or ``remove`` changed beyond the connection itself."""

    #: topics that got their first local socket (add) or lost their last one (remove)
    topics: tuple[str, ...]
    #: the user's first socket on this canvas arrived (add), or their last one left (remove)
    user_on_canvas: bool


class ConnectionRegistry:
    def __init__(self) -> None:
        self.everyone: dict[str, Connection] = {}
        self.canvases: dict[int, dict[str, Connection]] = {}
        self.users: dict[int, dict[str, Connection]] = {}
        self.admins: dict[str, Connection] = {}
        #: per canvas, how many sockets each user has there (presence is per user)
        self.canvas_users: dict[int, dict[int, int]] = {}
        #: a token's sockets: a tuple, as almost every token has one socket (an empty set
        #: costs 216 bytes, a 1-tuple 48)
        self.by_jti: dict[str, tuple[Connection, ...]] = {}

    def __len__(self) -> int:
        return len(self.everyone)

    def add(self, connection: Connection) -> Change:
        gained: list[str] = []
        if not self.everyone:
            gained.append(GLOBAL)
        self.everyone[connection.id] = connection
        if connection.is_admin:
            if not self.admins:
                gained.append(ADMINS)
            self.admins[connection.id] = connection
        own = self.users.get(connection.user_id)
        if own is None:
            own = self.users[connection.user_id] = {}
            gained.append(user_topic(connection.user_id))
        own[connection.id] = connection
        self._add_token(connection)
        arrived = False
        canvas_id = connection.canvas_id
        if canvas_id is not None:
            here = self.canvases.get(canvas_id)
            if here is None:
                here = self.canvases[canvas_id] = {}
                gained.append(canvas_topic(canvas_id))
            here[connection.id] = connection
            counts = self.canvas_users.setdefault(canvas_id, {})
            arrived = connection.user_id not in counts
            counts[connection.user_id] = counts.get(connection.user_id, 0) + 1
        return Change(tuple(gained), arrived)

    def remove(self, connection: Connection) -> Change | None:
        """None when the connection was not registered (removed twice)."""
        if self.everyone.pop(connection.id, None) is None:
            return None
        lost: list[str] = []
        if not self.everyone:
            lost.append(GLOBAL)
        if self.admins.pop(connection.id, None) is not None and not self.admins:
            lost.append(ADMINS)
        own = self.users.get(connection.user_id, {})
        own.pop(connection.id, None)
        if not own:
            self.users.pop(connection.user_id, None)
            lost.append(user_topic(connection.user_id))
        self._drop_token(connection)
        left = False
        canvas_id = connection.canvas_id
        if canvas_id is not None:
            here = self.canvases.get(canvas_id, {})
            here.pop(connection.id, None)
            if not here:
                self.canvases.pop(canvas_id, None)
                lost.append(canvas_topic(canvas_id))
            left = self._count_down(canvas_id, connection.user_id)
        return Change(tuple(lost), left)

    def _count_down(self, canvas_id: int, user_id: int) -> bool:
        counts = self.canvas_users.get(canvas_id, {})
        remaining = counts.get(user_id, 0) - 1
        if remaining > 0:
            counts[user_id] = remaining
            return False
        counts.pop(user_id, None)
        if not counts:
            self.canvas_users.pop(canvas_id, None)
        return True

    def _add_token(self, connection: Connection) -> None:
        sockets = self.by_jti.get(connection.jti, ())
        if connection not in sockets:
            self.by_jti[connection.jti] = (*sockets, connection)

    def _drop_token(self, connection: Connection) -> None:
        sockets = self.by_jti.get(connection.jti)
        if sockets is not None:
            left = tuple(c for c in sockets if c is not connection)
            if left:
                self.by_jti[connection.jti] = left
            else:
                del self.by_jti[connection.jti]

    def rebind_token(self, connection: Connection, jti: str, expires_at: float) -> None:
        """A fresh token replaces the connection's old one (the ``auth`` message)."""
        self._drop_token(connection)
        connection.jti, connection.expires_at = jti, expires_at
        self._add_token(connection)

    def on_canvas(self, canvas_id: int) -> dict[str, Connection]:
        return self.canvases.get(canvas_id, {})

    def of_user(self, user_id: int, canvas_id: int | None = None) -> list[Connection]:
        """The user's sockets: all of them, or those on one canvas."""
        own = self.users.get(user_id, {}).values()
        if canvas_id is None:
            return list(own)
        return [c for c in own if c.canvas_id == canvas_id]

    def of_token(self, jti: str) -> list[Connection]:
        return list(self.by_jti.get(jti, ()))

    def count_of_user(self, user_id: int) -> int:
        return len(self.users.get(user_id, ()))

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self.everyone.values()))
