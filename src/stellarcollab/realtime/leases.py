"""Editing leases as the realtime layer sees them: the live leases of the canvases this
process has sockets on (``LeaseBook``), and the leases that live as long as the socket
that took them (``SocketLeases``).

The book is loaded once when a canvas gets its first local socket, then kept current from the typed
lease facts that lease events carry beside their payload (``Delivery.meta["lease"]``),
so ``canvas_state`` never reads the database. Pure bookkeeping: no I/O.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from stellarcollab.clock import Clock
from stellarcollab.realtime.connection import Connection

Cell = tuple[int, int]
#: the ``meta`` key under which a lease event carries its lease change
LEASE_META = "lease"


def lease_change(lease: Mapping[str, Any], *, held: bool) -> dict[str, Any]:
    """The fact a lease event carries: the lease view, and whether it is now held."""
    return {LEASE_META: {**lease, "held": held}}


class LeaseBook:
    def __init__(self) -> None:
        self._by_canvas: dict[int, dict[Cell, dict[str, Any]]] = {}

    def track(self, canvas_id: int, leases: Iterable[Mapping[str, Any]]) -> None:
        self._by_canvas[canvas_id] = {(int(lease["tile_x"]), int(lease["tile_y"])): dict(lease)
                                      for lease in leases}

    def forget(self, canvas_id: int) -> None:
        self._by_canvas.pop(canvas_id, None)

    def may_hold(self, canvas_id: int, user_id: int) -> bool:
        """Whether ``user_id`` may hold a lease on the canvas: False only when the canvas
        is tracked (every lease change reaches this book) and none of its leases is the
        user's, so a departure need not ask the database."""
        leases = self._by_canvas.get(canvas_id)
        return leases is None or any(lease.get("user_id") == user_id
                                     for lease in leases.values())

    def views(self, canvas_id: int) -> list[dict[str, Any]]:
        return list(self._by_canvas.get(canvas_id, {}).values())

    def apply(self, canvas_id: int, meta: Mapping[str, Any] | None) -> None:
        """Fold one event's lease fact in; events without one change nothing."""
        change = meta.get(LEASE_META) if meta else None
        leases = self._by_canvas.get(canvas_id)
        if change is None or leases is None:
            return
        cell = (int(change["tile_x"]), int(change["tile_y"]))
        if change["held"]:
            leases[cell] = {key: change.get(key) for key in (
                "tile_x", "tile_y", "user_id", "username", "display_name", "expires_at")}
        elif leases.get(cell, {}).get("user_id") == change["user_id"]:
            del leases[cell]


Renewer = Callable[[int, int, list[Cell]], Awaitable[int]]
CellReleaser = Callable[[int, dict[str, Any], Cell], Awaitable[None]]


class SocketLeases:
    """Leases taken over a socket (``editing_tile``, ``is_editing: true``, as the guide's
    client sends it once and never again) live as long as that socket: renewed while it
    is open, released when it closes or says ``is_editing: false``."""

    def __init__(self, renew: Renewer, release: CellReleaser, ttl: float,
                 clock: Clock) -> None:
        self.renew = renew
        self.release = release
        self.ttl = ttl
        self.clock = clock
        self.holders: dict[str, Connection] = {}

    def taken(self, connection: Connection, cell: Cell) -> None:
        connection.hold_lease(cell, self.clock.time() + self.ttl)
        self.holders[connection.id] = connection

    def dropped(self, connection: Connection, cell: Cell) -> None:
        connection.drop_lease(cell)
        if connection.socket_leases is None:
            self.holders.pop(connection.id, None)

    async def upkeep(self) -> int:
        """Renew the leases of open sockets that are within half a TTL of expiring
        (run before the sweep of expired leases); returns how many were renewed."""
        now, renewed = self.clock.time(), 0
        for connection in list(self.holders.values()):
            held = connection.socket_leases
            if held is None or connection.canvas_id is None or not connection.is_live:
                continue
            due = [cell for cell, expires in held.items() if expires - now < self.ttl / 2]
            if due:
                renewed += await self.renew(connection.user_id, connection.canvas_id, due)
                for cell in due:
                    held[cell] = now + self.ttl
        return renewed

    async def closed(self, connection: Connection, *, last_on_canvas: bool) -> None:
        """The socket is gone: its leases go with it (all of the user's leases go anyway
        when it was their last socket on the canvas)."""
        self.holders.pop(connection.id, None)
        held, connection.socket_leases = connection.socket_leases, None
        if held is None or last_on_canvas or connection.canvas_id is None:
            return
        for cell in held:
            await self.release(connection.canvas_id, connection.brief(), cell)
