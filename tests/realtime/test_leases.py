"""The lease book (fed from typed lease facts) and socket-bound leases (renewed while the
socket is open, released when it closes), with a manual clock."""

from __future__ import annotations

from typing import Any

from stellarcollab.clock import ManualClock
from stellarcollab.realtime.leases import LeaseBook, SocketLeases, lease_change
from tests.realtime.test_registry import socket

LEASE = {"tile_x": 2, "tile_y": 3, "user_id": 1, "username": "u1", "display_name": "U1",
         "expires_at": "2026-12-01T00:00:30Z"}


def test_book_follows_lease_facts_and_ignores_other_events() -> None:
    book = LeaseBook()
    book.track(5, [])
    book.apply(5, None)
    book.apply(5, {"unrelated": True})
    book.apply(5, lease_change(LEASE, held=True))
    assert book.views(5) == [LEASE]
    # another user's release of the same cell does not remove the holder's lease
    book.apply(5, lease_change({**LEASE, "user_id": 9}, held=False))
    assert book.views(5) == [LEASE]
    book.apply(5, lease_change(LEASE, held=False))
    assert book.views(5) == []


def test_book_keeps_only_tracked_canvases() -> None:
    book = LeaseBook()
    book.apply(5, lease_change(LEASE, held=True))
    assert book.views(5) == []
    book.track(5, [LEASE])
    book.forget(5)
    assert book.views(5) == []


def test_book_says_who_may_hold_a_lease() -> None:
    book = LeaseBook()
    assert book.may_hold(5, 1)  # not followed: only the database knows
    book.track(5, [])
    assert not book.may_hold(5, 1)
    book.apply(5, lease_change(LEASE, held=True))
    assert book.may_hold(5, 1) and not book.may_hold(5, 9)
    book.apply(5, lease_change(LEASE, held=False))
    assert not book.may_hold(5, 1)
    book.forget(5)
    assert book.may_hold(5, 1)


class LeaseCalls:
    def __init__(self) -> None:
        self.renewed: list[tuple[int, int, list[tuple[int, int]]]] = []
        self.released: list[tuple[int, int, tuple[int, int]]] = []

    async def renew(self, user_id: int, canvas_id: int, cells: list[tuple[int, int]]) -> int:
        self.renewed.append((user_id, canvas_id, cells))
        return len(cells)

    async def release(self, canvas_id: int, user: dict[str, Any], cell: tuple[int, int]) -> None:
        self.released.append((canvas_id, user["user_id"], cell))


def make_leases() -> tuple[SocketLeases, LeaseCalls, ManualClock]:
    calls, clock = LeaseCalls(), ManualClock()
    return SocketLeases(calls.renew, calls.release, 30.0, clock), calls, clock


async def test_socket_lease_is_renewed_only_when_half_its_ttl_is_gone() -> None:
    leases, calls, clock = make_leases()
    connection = socket(1, 7)
    leases.taken(connection, (2, 3))
    clock.advance(10)
    assert await leases.upkeep() == 0
    clock.advance(60)  # twice the TTL, with the socket still open
    assert await leases.upkeep() == 1
    assert calls.renewed == [(1, 7, [(2, 3)])]
    assert await leases.upkeep() == 0  # renewed a full TTL ahead


async def test_dropped_and_closed_sockets_are_not_renewed() -> None:
    leases, calls, clock = make_leases()
    assert calls.renewed == []
    connection = socket(1, 7)
    leases.taken(connection, (2, 3))
    leases.dropped(connection, (2, 3))
    clock.advance(60)
    assert await leases.upkeep() == 0
    assert leases.holders == {}


async def test_closing_releases_the_socket_leases_unless_the_user_left() -> None:
    leases, calls, _clock = make_leases()
    tab, other_tab = socket(1, 7), socket(1, 7)
    leases.taken(tab, (2, 3))
    leases.taken(other_tab, (4, 4))
    await leases.closed(tab, last_on_canvas=False)
    assert calls.released == [(7, 1, (2, 3))]
    # the user's last socket: the departure releases every lease of theirs at once
    await leases.closed(other_tab, last_on_canvas=True)
    assert calls.released == [(7, 1, (2, 3))]
    assert leases.holders == {}
