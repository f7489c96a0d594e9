"""Editing leases: take, renew, release, expiry, and the 409 writes get on a leased cell.

The server here runs on a manual clock, and sweeps expired leases when a test says so:
time passes without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from stellarcollab.clock import ManualClock
from tests.api.helpers import (
    assert_error,
    assert_validation_error,
    crowd,
    current_seq,
    on_server,
    published,
    rgba_tile,
    tile_body,
)
from tests.support.clients import Account
from tests.support.live_server import LiveServer

SHARED_ACCOUNTS = True

TTL = 30.0
BEING_EDITED = "Tile is being edited by another user"


@pytest.fixture(scope="module")
def server_overrides() -> dict[str, Any]:
    return {"lock_ttl_seconds": TTL, "lock_sweep_interval": 3600}


@pytest.fixture(scope="module")
def server_clock() -> ManualClock:
    return ManualClock(time.time())


async def let_leases_expire(live_server: LiveServer, clock: ManualClock) -> None:
    """A TTL passes; the sweep runs (as it would within a second)."""
    clock.advance(TTL + 1)
    await on_server(live_server, live_server.runtime.lease_upkeep())


def lock_path(canvas_id: int, x: int, y: int) -> str:
    return f"/api/v1/canvases/{canvas_id}/locks/{x}/{y}"


def holder(account: Account) -> dict[str, Any]:
    return {"user_id": account.id, "username": account.username,
            "display_name": account.user["display_name"]}


def parse(timestamp: str) -> datetime:
    assert timestamp.endswith("Z")
    return datetime.fromisoformat(timestamp[:-1]).replace(tzinfo=UTC)


async def test_take_a_lease(alice: Account, server_clock: ManualClock) -> None:
    canvas = await alice.create_canvas()
    response = await alice.post(lock_path(canvas["id"], 3, 4))
    assert response.status_code == 200, response.text
    lease = response.json()
    assert set(lease) == {"canvas_id", "x", "y", "user_id", "username", "display_name",
                          "expires_at", "ttl_seconds"}
    assert (lease["canvas_id"], lease["x"], lease["y"]) == (canvas["id"], 3, 4)
    assert lease["user_id"] == alice.id and lease["username"] == alice.username
    assert lease["display_name"] == alice.user["display_name"]
    assert lease["ttl_seconds"] == TTL
    expires = parse(lease["expires_at"])
    expected = datetime.fromtimestamp(server_clock.time() + TTL, UTC)
    assert abs(expires - expected) < timedelta(milliseconds=1)  # times travel in ms


async def test_renewing_extends_the_lease_and_is_announced_once(
    live_server: LiveServer, alice: Account, server_clock: ManualClock
) -> None:
    canvas = await alice.create_canvas()
    since = await current_seq(live_server, canvas["id"])
    first = (await alice.post(lock_path(canvas["id"], 0, 0))).json()
    server_clock.advance(1)
    renewed = await alice.post(lock_path(canvas["id"], 0, 0))
    assert renewed.status_code == 200
    assert parse(renewed.json()["expires_at"]) > parse(first["expires_at"])
    events = await published(live_server, canvas["id"], since)
    assert [(e["type"], e["reason"]) for e in events] == [
        ("user_presence_update", "lease_taken")]
    taken = events[0]
    assert taken["user_id"] == alice.id and taken["username"] == alice.username
    assert (taken["tile_x"], taken["tile_y"], taken["is_editing"]) == (0, 0, True)


async def test_a_held_lease_refuses_others(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    await alice.post(lock_path(canvas["id"], 1, 1))
    assert_error(await bob.post(lock_path(canvas["id"], 1, 1)), 409, BEING_EDITED,
                 holder=holder(alice))
    # A neighbouring cell is free.
    assert (await bob.post(lock_path(canvas["id"], 1, 2))).status_code == 200


async def test_writes_to_a_leased_cell_are_409(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    tile = await bob.create_tile(cid, 0, 0)
    # Empty cell leased by alice: bob may not create there.
    await alice.post(lock_path(cid, 5, 5))
    assert_error(await bob.post("/api/v1/tiles", tile_body(cid, 5, 5)), 409, BEING_EDITED,
                 holder=holder(alice))
    # Bob's own tile, leased by alice: bob may not redraw it.
    await alice.post(lock_path(cid, 0, 0))
    assert_error(await bob.put(f"/api/v1/tiles/{tile['id']}",
                               {"pixels": rgba_tile(32, (0, 9, 0, 255))}),
                 409, BEING_EDITED, holder=holder(alice))
    assert_error(await bob.put(f"/api/v1/tiles/{tile['id']}",
                               {"pixels": rgba_tile(32, (0, 9, 0, 255)), "version": 1}),
                 409, BEING_EDITED, holder=holder(alice))
    # The holder writes.
    await alice.post(lock_path(cid, 0, 0))
    assert (await alice.put(f"/api/v1/tiles/{tile['id']}",
                            {"pixels": rgba_tile(32, (9, 0, 0, 255))})).status_code == 200
    await alice.post(lock_path(cid, 5, 5))
    assert (await alice.post("/api/v1/tiles", tile_body(cid, 5, 5))).status_code == 201
    assert (await bob.get(f"/api/v1/tiles/{tile['id']}")).json()["version"] == 2


async def test_release(live_server: LiveServer, alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    await alice.post(lock_path(cid, 2, 2))
    since = await current_seq(live_server, cid)
    # Only the holder releases; nobody else's DELETE touches it.
    assert_error(await bob.delete(lock_path(cid, 2, 2)), 404, "Lock not found")
    assert_error(await bob.post(lock_path(cid, 2, 2)), 409, BEING_EDITED, holder=holder(alice))
    response = await alice.delete(lock_path(cid, 2, 2))
    assert response.status_code == 204 and response.content == b""
    assert_error(await alice.delete(lock_path(cid, 2, 2)), 404, "Lock not found")
    assert (await bob.post(lock_path(cid, 2, 2))).status_code == 200
    events = await published(live_server, cid, since)
    assert [(e["reason"], e["user_id"], e["is_editing"]) for e in events] == [
        ("lease_released", alice.id, False), ("lease_taken", bob.id, True)]
    assert_error(await alice.delete(lock_path(cid, 9, 9)), 404, "Lock not found")


async def test_parallel_releases_announce_once(live_server: LiveServer, alice: Account) -> None:
    canvas = await alice.create_canvas()
    await alice.post(lock_path(canvas["id"], 0, 0))
    since = await current_seq(live_server, canvas["id"])
    responses = await asyncio.gather(*(alice.delete(lock_path(canvas["id"], 0, 0))
                                       for _ in range(10)))
    assert Counter(r.status_code for r in responses) == {204: 1, 404: 9}
    events = await published(live_server, canvas["id"], since)
    assert [e["reason"] for e in events] == ["lease_released"]


async def test_expired_leases_are_ignored_and_announced(
    live_server: LiveServer, alice: Account, bob: Account, server_clock: ManualClock
) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    tile = await bob.create_tile(cid, 0, 0)
    since = await current_seq(live_server, cid)
    await alice.post(lock_path(cid, 0, 0))
    await alice.post(lock_path(cid, 1, 0))
    assert_error(await bob.post(lock_path(cid, 0, 0)), 409, BEING_EDITED, holder=holder(alice))
    await let_leases_expire(live_server, server_clock)
    # Expired: others write and take the cell as if it were free.
    assert (await bob.put(f"/api/v1/tiles/{tile['id']}",
                          {"pixels": rgba_tile(32, (1, 2, 3, 255))})).status_code == 200
    assert (await bob.post("/api/v1/tiles", tile_body(cid, 1, 0))).status_code == 201
    taken = await bob.post(lock_path(cid, 0, 0))
    assert taken.status_code == 200 and taken.json()["user_id"] == bob.id
    assert_error(await alice.post(lock_path(cid, 0, 0)), 409, BEING_EDITED, holder=holder(bob))
    assert_error(await alice.delete(lock_path(cid, 1, 0)), 404, "Lock not found")

    events = await published(live_server, cid, since)
    leases = [(e["reason"], e["user_id"], e["tile_x"], e["tile_y"]) for e in events
              if e["type"] == "user_presence_update"]
    assert leases[:2] == [("lease_taken", alice.id, 0, 0), ("lease_taken", alice.id, 1, 0)]
    assert sorted(leases[2:4]) == [("lease_expired", alice.id, 0, 0),
                                   ("lease_expired", alice.id, 1, 0)]
    assert leases[4:] == [("lease_taken", bob.id, 0, 0)]


async def test_an_expired_lease_of_ones_own_is_taken_afresh(
    live_server: LiveServer, alice: Account, server_clock: ManualClock
) -> None:
    canvas = await alice.create_canvas()
    await alice.post(lock_path(canvas["id"], 0, 0))
    await let_leases_expire(live_server, server_clock)
    since = await current_seq(live_server, canvas["id"])
    assert (await alice.post(lock_path(canvas["id"], 0, 0))).status_code == 200
    events = await published(live_server, canvas["id"], since)
    assert [e["reason"] for e in events] == ["lease_taken"]


async def test_parallel_takes_have_one_winner(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    rivals = await crowd(live_server, api, 10)
    responses = await asyncio.gather(*(account.post(lock_path(canvas["id"], 6, 6))
                                       for account in rivals))
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 9}, [
        r.text for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    winner_account = next(a for a in rivals if a.id == winner["user_id"])
    for response in responses:
        if response.status_code == 409:
            assert response.json() == {"detail": BEING_EDITED, "holder": holder(winner_account)}


@pytest.mark.parametrize(("x", "y"), [(32, 0), (0, 32), (-1, 0), (0, -5)])
async def test_lease_outside_the_canvas_is_400(alice: Account, x: int, y: int) -> None:
    canvas = await alice.create_canvas()
    message = f"Tile position ({x}, {y}) is outside the canvas (32x32)"
    assert_error(await alice.post(lock_path(canvas["id"], x, y)), 400, message)
    assert_error(await alice.delete(lock_path(canvas["id"], x, y)), 400, message)


async def test_lease_errors(api: httpx.AsyncClient, alice: Account) -> None:
    canvas = await alice.create_canvas()
    assert_error(await alice.post(lock_path(999999, 0, 0)), 404, "Canvas not found")
    assert_error(await alice.delete(lock_path(999999, 0, 0)), 404, "Canvas not found")
    assert_validation_error(await alice.post(f"/api/v1/canvases/{canvas['id']}/locks/a/0"), "x")
    assert_error(await api.post(lock_path(canvas["id"], 0, 0)), 401, "Not authenticated")
    await alice.delete(f"/api/v1/canvases/{canvas['id']}")
    assert_error(await alice.post(lock_path(canvas["id"], 0, 0)), 404, "Canvas not found")
