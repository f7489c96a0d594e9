"""Tile routes: create on an empty cell, bounds, per-user limit, pixel validation, versioned
redraws, collaboration modes, delete rights, region reads, and the events they publish."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter

import httpx
import pytest

from tests.api.helpers import (
    assert_error,
    assert_validation_error,
    crowd,
    current_seq,
    make_admin,
    published,
    rgba_tile,
    tile_body,
)
from tests.support.clients import Account, register
from tests.support.live_server import LiveServer

SHARED_ACCOUNTS = True

TILE_FIELDS = {
    "id", "canvas_id", "x", "y", "pixels", "version", "like_count", "creator_id",
    "creator_username", "created_at", "updated_at",
}


@pytest.fixture(scope="module")
def crowd_size() -> int:
    return 20


async def test_create_returns_the_tile(alice: Account) -> None:
    canvas = await alice.create_canvas()
    pixels = rgba_tile(32, (0, 0, 0, 0), {(0, 0): (1, 2, 3, 4), (31, 31): (250, 251, 252, 253)})
    response = await alice.post("/api/v1/tiles", {
        "canvas_id": canvas["id"], "x": 31, "y": 0, "pixels": pixels})
    assert response.status_code == 201, response.text
    tile = response.json()
    assert set(tile) == TILE_FIELDS
    assert isinstance(tile["id"], int)
    assert (tile["canvas_id"], tile["x"], tile["y"]) == (canvas["id"], 31, 0)
    assert tile["pixels"] == pixels
    assert tile["version"] == 1 and tile["like_count"] == 0
    assert tile["creator_id"] == alice.id and tile["creator_username"] == alice.username
    assert tile["created_at"].endswith("Z") and tile["updated_at"].endswith("Z")
    read = await alice.get(f"/api/v1/tiles/{tile['id']}")
    assert read.status_code == 200 and read.json() == tile


async def test_missing_tile_is_404(alice: Account) -> None:
    for method in ("GET", "DELETE"):
        response = await alice.api.request(method, "/api/v1/tiles/999999", headers=alice.headers)
        assert_error(response, 404, "Tile not found")
    assert_error(await alice.put("/api/v1/tiles/999999", {"pixels": rgba_tile(32, (0, 0, 0, 0))}),
                 404, "Tile not found")
    assert_error(await alice.post("/api/v1/tiles/999999/like"), 404, "Tile not found")
    assert_error(await alice.delete("/api/v1/tiles/999999/like"), 404, "Tile not found")


async def test_tile_on_missing_canvas_is_404(alice: Account) -> None:
    assert_error(await alice.post("/api/v1/tiles", tile_body(999999, 0, 0)), 404,
                 "Canvas not found")


async def test_occupied_cell_is_409(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    await alice.create_tile(canvas["id"], 4, 5)
    for account in (alice, bob):
        assert_error(await account.post("/api/v1/tiles", tile_body(canvas["id"], 4, 5)),
                     409, "Tile position already occupied")
    tiles = (await alice.get(f"/api/v1/canvases/{canvas['id']}/tiles")).json()
    assert len(tiles) == 1


async def test_parallel_creates_on_one_cell_have_one_winner(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account, crowd_size: int
) -> None:
    canvas = await alice.create_canvas()
    players = await crowd(live_server, api, crowd_size)
    responses = await asyncio.gather(*(
        account.post("/api/v1/tiles", tile_body(canvas["id"], 7, 7)) for account in players))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: crowd_size - 1}, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json() == {"detail": "Tile position already occupied"}
    winner = next(r.json() for r in responses if r.status_code == 201)
    tiles = (await alice.get(f"/api/v1/canvases/{canvas['id']}/tiles")).json()
    assert [t["id"] for t in tiles] == [winner["id"]]


async def test_parallel_creates_by_one_user_on_one_cell(alice: Account) -> None:
    canvas = await alice.create_canvas()
    responses = await asyncio.gather(*(
        alice.post("/api/v1/tiles", tile_body(canvas["id"], 0, 0)) for _ in range(10)))
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}


@pytest.mark.parametrize(("x", "y"), [(4, 0), (0, 3), (4, 3), (255, 255)])
async def test_outside_the_canvas_is_400(alice: Account, x: int, y: int) -> None:
    canvas = await alice.create_canvas(width=4, height=3)
    assert_error(await alice.post("/api/v1/tiles", tile_body(canvas["id"], x, y)), 400,
                 f"Tile position ({x}, {y}) is outside the canvas (4x3)")


@pytest.mark.parametrize(("x", "y"), [(-1, 0), (0, -1), (256, 0), (0, 256)])
async def test_impossible_coordinates_are_422(alice: Account, x: int, y: int) -> None:
    canvas = await alice.create_canvas()
    assert_validation_error(await alice.post("/api/v1/tiles", tile_body(canvas["id"], x, y)),
                            "x" if x != 0 else "y")


async def test_corners_of_the_largest_canvas(alice: Account) -> None:
    canvas = await alice.create_canvas(width=256, height=256, tile_size=16)
    for x, y in ((0, 0), (255, 255), (0, 255), (255, 0)):
        await alice.create_tile(canvas["id"], x, y, size=16)


async def test_tile_limit_per_user(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas(max_tiles_per_user=2)
    first = await bob.create_tile(canvas["id"], 0, 0)
    await bob.create_tile(canvas["id"], 1, 0)
    assert_error(await bob.post("/api/v1/tiles", tile_body(canvas["id"], 2, 0)), 403,
                 "Tile limit reached for this canvas")
    # The limit is per user and per canvas.
    await alice.create_tile(canvas["id"], 2, 0)
    other = await alice.create_canvas()
    await bob.create_tile(other["id"], 0, 0)
    # Deleting a tile frees a place.
    assert (await bob.delete(f"/api/v1/tiles/{first['id']}")).status_code == 204
    await bob.create_tile(canvas["id"], 3, 0)


async def test_tile_limit_holds_under_parallel_creates(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas(max_tiles_per_user=3)
    responses = await asyncio.gather(*(
        bob.post("/api/v1/tiles", tile_body(canvas["id"], i, 0)) for i in range(10)))
    assert Counter(r.status_code for r in responses) == {201: 3, 403: 7}, [
        r.text for r in responses]
    for response in responses:
        if response.status_code == 403:
            assert response.json() == {"detail": "Tile limit reached for this canvas"}
    tiles = (await bob.get(f"/api/v1/canvases/{canvas['id']}/tiles")).json()
    assert len(tiles) == 3 and {t["creator_id"] for t in tiles} == {bob.id}


async def test_raising_the_limit_lets_users_draw_more(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas(max_tiles_per_user=1)
    await bob.create_tile(canvas["id"], 0, 0)
    assert (await bob.post("/api/v1/tiles", tile_body(canvas["id"], 1, 0))).status_code == 403
    await alice.patch(f"/api/v1/canvases/{canvas['id']}", {"max_tiles_per_user": 2})
    await bob.create_tile(canvas["id"], 1, 0)


@pytest.mark.parametrize(("size", "payload_size", "got"), [
    (32, 16, 1024), (16, 32, 4096), (64, 32, 4096), (32, 0, 0),
])
async def test_pixels_must_match_the_tile_size(
    alice: Account, size: int, payload_size: int, got: int
) -> None:
    canvas = await alice.create_canvas(tile_size=size)
    pixels = rgba_tile(payload_size, (9, 9, 9, 255)) if payload_size else ""
    response = await alice.post("/api/v1/tiles", {
        "canvas_id": canvas["id"], "x": 0, "y": 0, "pixels": pixels})
    expected = size * size * 4
    assert_error(response, 422,
                 f"pixels must decode to {expected} bytes ({size}x{size} RGBA), got {got}")


async def test_pixels_with_a_stray_byte_are_422(alice: Account) -> None:
    canvas = await alice.create_canvas(tile_size=16)
    raw = bytes(16 * 16 * 4 + 1)
    response = await alice.post("/api/v1/tiles", {
        "canvas_id": canvas["id"], "x": 0, "y": 0, "pixels": base64.b64encode(raw).decode()})
    assert_error(response, 422, "pixels must decode to 1024 bytes (16x16 RGBA), got 1025")


@pytest.mark.parametrize("pixels", ["not base64!", "QUJ", "@@@@", "QUJD\n"])
async def test_pixels_must_be_base64(alice: Account, pixels: str) -> None:
    canvas = await alice.create_canvas()
    response = await alice.post("/api/v1/tiles", {
        "canvas_id": canvas["id"], "x": 0, "y": 0, "pixels": pixels})
    assert_error(response, 422, "pixels must be base64-encoded RGBA bytes")


async def test_pixels_of_the_wrong_type_are_422(alice: Account) -> None:
    canvas = await alice.create_canvas()
    for pixels in (None, 12, [[0, 0, 0, 0]]):
        response = await alice.post("/api/v1/tiles", {
            "canvas_id": canvas["id"], "x": 0, "y": 0, "pixels": pixels})
        assert_validation_error(response, "pixels")
    assert_validation_error(await alice.post("/api/v1/tiles", {"canvas_id": canvas["id"]}),
                            "x", "y", "pixels")


async def test_update_redraws_and_bumps_the_version(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    blue = rgba_tile(32, (0, 0, 255, 255))
    response = await bob.put(f"/api/v1/tiles/{tile['id']}", {"pixels": blue})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["pixels"] == blue and updated["version"] == 2
    assert updated["creator_id"] == alice.id and updated["created_at"] == tile["created_at"]
    assert updated["updated_at"] >= tile["updated_at"]
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json() == updated

    green = rgba_tile(32, (0, 255, 0, 255))
    response = await alice.put(f"/api/v1/tiles/{tile['id']}", {"pixels": green, "version": 2})
    assert response.status_code == 200 and response.json()["version"] == 3


async def test_stale_version_is_409(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    await bob.put(f"/api/v1/tiles/{tile['id']}", {"pixels": rgba_tile(32, (1, 1, 1, 255))})
    stale = await alice.put(f"/api/v1/tiles/{tile['id']}",
                            {"pixels": rgba_tile(32, (2, 2, 2, 255)), "version": 1})
    assert_error(stale, 409, "Tile was modified by someone else", current_version=2)
    future = await alice.put(f"/api/v1/tiles/{tile['id']}",
                             {"pixels": rgba_tile(32, (2, 2, 2, 255)), "version": 7})
    assert_error(future, 409, "Tile was modified by someone else", current_version=2)
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["pixels"] == rgba_tile(
        32, (1, 1, 1, 255))
    assert_validation_error(
        await alice.put(f"/api/v1/tiles/{tile['id']}",
                        {"pixels": rgba_tile(32, (2, 2, 2, 255)), "version": 0}), "version")


async def test_parallel_updates_of_one_version_have_one_winner(
    live_server: LiveServer, api: httpx.AsyncClient, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    editors = await crowd(live_server, api, 10)
    responses = await asyncio.gather(*(
        editor.put(f"/api/v1/tiles/{tile['id']}",
                   {"pixels": rgba_tile(32, (i, i, i, 255)), "version": 1})
        for i, editor in enumerate(editors)))
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 9}, [
        r.text for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert winner["version"] == 2
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json() == winner


async def test_parallel_unversioned_updates_all_count(alice: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    responses = await asyncio.gather(*(
        alice.put(f"/api/v1/tiles/{tile['id']}", {"pixels": rgba_tile(32, (i, 0, 0, 255))})
        for i in range(10)))
    # Without a version nothing conflicts: every write is applied, last writer wins.
    assert [r.status_code for r in responses] == [200] * 10, [r.text for r in responses]
    assert sorted(r.json()["version"] for r in responses) == list(range(2, 12))
    final = (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()
    assert final["version"] == 11
    last = next(r.json() for r in responses if r.json()["version"] == 11)
    assert final["pixels"] == last["pixels"]


async def test_update_validates_pixels_against_the_canvas(alice: Account) -> None:
    canvas = await alice.create_canvas(tile_size=16)
    tile = await alice.create_tile(canvas["id"], 0, 0, size=16)
    assert_error(await alice.put(f"/api/v1/tiles/{tile['id']}",
                                 {"pixels": rgba_tile(32, (0, 0, 0, 255))}),
                 422, "pixels must decode to 1024 bytes (16x16 RGBA), got 4096")
    assert_error(await alice.put(f"/api/v1/tiles/{tile['id']}", {"pixels": "%%%"}),
                 422, "pixels must be base64-encoded RGBA bytes")
    assert_validation_error(await alice.put(f"/api/v1/tiles/{tile['id']}", {}), "pixels")
    assert (await alice.get(f"/api/v1/tiles/{tile['id']}")).json()["version"] == 1


async def test_owner_mode_lets_only_the_creator_edit(
    api: httpx.AsyncClient, live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas(collaboration_mode="owner")
    tile = await bob.create_tile(canvas["id"], 0, 0)
    red = rgba_tile(32, (200, 0, 0, 255))
    # Not even the canvas owner redraws someone else's tile here.
    assert_error(await alice.put(f"/api/v1/tiles/{tile['id']}", {"pixels": red}), 403,
                 "Only the tile's creator can edit it on this canvas")
    carol = await register(api)
    assert_error(await carol.put(f"/api/v1/tiles/{tile['id']}", {"pixels": red}), 403,
                 "Only the tile's creator can edit it on this canvas")
    assert (await bob.put(f"/api/v1/tiles/{tile['id']}", {"pixels": red})).status_code == 200
    admin = await register(api)
    await make_admin(live_server, admin)
    assert (await admin.put(f"/api/v1/tiles/{tile['id']}", {"pixels": red})).status_code == 200
    # Switching the canvas to free mode lets everyone edit.
    await alice.patch(f"/api/v1/canvases/{canvas['id']}", {"collaboration_mode": "free"})
    assert (await carol.put(f"/api/v1/tiles/{tile['id']}", {"pixels": red})).status_code == 200


async def test_delete_rights(api: httpx.AsyncClient, live_server: LiveServer,
                             alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    carol = await register(api)
    by_bob = [await bob.create_tile(canvas["id"], i, 0) for i in range(3)]
    assert_error(await carol.delete(f"/api/v1/tiles/{by_bob[0]['id']}"), 403,
                 "Only the tile's creator or the canvas owner can delete it")
    assert (await bob.delete(f"/api/v1/tiles/{by_bob[0]['id']}")).status_code == 204
    assert (await alice.delete(f"/api/v1/tiles/{by_bob[1]['id']}")).status_code == 204
    admin = await register(api)
    await make_admin(live_server, admin)
    response = await admin.delete(f"/api/v1/tiles/{by_bob[2]['id']}")
    assert response.status_code == 204 and response.content == b""
    for tile in by_bob:
        assert_error(await bob.get(f"/api/v1/tiles/{tile['id']}"), 404, "Tile not found")
        assert_error(await bob.delete(f"/api/v1/tiles/{tile['id']}"), 404, "Tile not found")
    # The cell is empty again.
    await carol.create_tile(canvas["id"], 0, 0)


async def test_deleting_a_liked_tile(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    assert (await bob.post(f"/api/v1/tiles/{tile['id']}/like")).status_code == 200
    assert (await alice.delete(f"/api/v1/tiles/{tile['id']}")).status_code == 204
    again = await alice.create_tile(canvas["id"], 0, 0)
    assert again["like_count"] == 0
    assert (await bob.post(f"/api/v1/tiles/{again['id']}/like")).json()["like_count"] == 1


async def test_region_reads(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas(width=8, height=8)
    cid = canvas["id"]
    cells = [(0, 0), (3, 0), (7, 7), (2, 3), (3, 3), (4, 4), (0, 7)]
    for i, (x, y) in enumerate(cells):
        await (alice if i % 2 else bob).create_tile(cid, x, y)

    async def region(**bounds: int) -> list[tuple[int, int]]:
        response = await alice.get(f"/api/v1/canvases/{cid}/tiles", params=bounds)
        assert response.status_code == 200, response.text
        tiles = response.json()
        assert all(set(t) == TILE_FIELDS and t["canvas_id"] == cid for t in tiles)
        return [(t["x"], t["y"]) for t in tiles]

    everything = await region()
    assert sorted(everything) == sorted(cells)
    assert everything == sorted(cells, key=lambda c: (c[1], c[0]))  # row by row
    assert sorted(await region(x0=2, y0=3, x1=4, y1=4)) == [(2, 3), (3, 3), (4, 4)]
    assert await region(x0=3, y0=0, x1=3, y1=0) == [(3, 0)]  # inclusive corners
    assert await region(x0=5, y0=0, x1=6, y1=6) == []
    assert sorted(await region(x0=3)) == sorted(c for c in cells if c[0] >= 3)
    assert sorted(await region(y1=0)) == [(0, 0), (3, 0)]
    assert sorted(await region(x0=0, y0=0, x1=200, y1=200)) == sorted(cells)

    assert_error(await alice.get(f"/api/v1/canvases/{cid}/tiles",
                                 params={"x0": 5, "x1": 2}),
                 400, "Region corners must satisfy x0 <= x1 and y0 <= y1")
    assert_error(await alice.get(f"/api/v1/canvases/{cid}/tiles",
                                 params={"y0": 4, "y1": 3}),
                 400, "Region corners must satisfy x0 <= x1 and y0 <= y1")
    assert_validation_error(await alice.get(f"/api/v1/canvases/{cid}/tiles",
                                            params={"x0": -1}), "x0")
    assert_validation_error(await alice.get(f"/api/v1/canvases/{cid}/tiles",
                                            params={"y1": "far"}), "y1")
    assert_error(await alice.get("/api/v1/canvases/999999/tiles"), 404, "Canvas not found")


async def test_region_of_an_empty_canvas(alice: Account) -> None:
    canvas = await alice.create_canvas()
    response = await alice.get(f"/api/v1/canvases/{canvas['id']}/tiles")
    assert response.status_code == 200 and response.json() == []


async def test_every_tile_change_is_published_once(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    since = await current_seq(live_server, cid)
    tile = await bob.create_tile(cid, 1, 2)
    blue = rgba_tile(32, (0, 0, 255, 255))
    await alice.put(f"/api/v1/tiles/{tile['id']}", {"pixels": blue},
                    headers={"X-Connection-ID": "conn-123"})
    await alice.post(f"/api/v1/tiles/{tile['id']}/like")
    await alice.delete(f"/api/v1/tiles/{tile['id']}/like")
    await bob.delete(f"/api/v1/tiles/{tile['id']}")
    # Refused changes publish nothing.
    await bob.post(f"/api/v1/tiles/{tile['id']}/like")
    await bob.post("/api/v1/tiles", tile_body(cid, 99, 0))

    everything = await published(live_server, cid, since, with_activity=True)
    assert [e["seq"] for e in everything] == list(range(since + 1, since + 1 + len(everything)))
    # Each change but an unlike is followed by its activity entry.
    activities = [e for e in everything if e["type"] == "activity"]
    assert [a["kind"] for a in activities] == [
        "tile_created", "tile_updated", "tile_liked", "tile_deleted"]
    events = [e for e in everything if e["type"] != "activity"]
    assert [e["type"] for e in events] == [
        "tile_created", "tile_updated", "tile_liked", "tile_unliked", "tile_deleted"]
    created, updated, liked, unliked, deleted = events
    for event in events:
        assert event["tile_id"] == tile["id"] and event["canvas_id"] == cid
        assert (event["x"], event["y"]) == (1, 2) and event["creator_id"] == bob.id
        assert event["timestamp"].endswith("Z")
    assert created["pixels"] == tile["pixels"] and created["user_id"] == bob.id
    assert created["creator_username"] == bob.username and created["version"] == 1
    assert created["_exclude_user"] == bob.id and created["_exclude_connection"] is None
    assert updated["pixels"] == blue and updated["version"] == 2
    assert updated["user_id"] == alice.id
    assert updated["_exclude_connection"] == "conn-123" and updated["_exclude_user"] is None
    assert liked["like_count"] == 1 and liked["user_id"] == alice.id
    assert liked["creator_username"] == unliked["creator_username"] == bob.username
    assert liked["_exclude_user"] == alice.id and "pixels" not in liked
    assert unliked["like_count"] == 0 and unliked["user_id"] == alice.id
    assert deleted["user_id"] == bob.id and "pixels" not in deleted


async def test_parallel_deletes_of_one_tile(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    tile = await bob.create_tile(canvas["id"], 0, 0)
    since = await current_seq(live_server, canvas["id"])
    responses = await asyncio.gather(*(
        account.delete(f"/api/v1/tiles/{tile['id']}") for account in [alice, bob] * 5))
    assert Counter(r.status_code for r in responses) == {204: 1, 404: 9}, [
        r.text for r in responses]
    events = await published(live_server, canvas["id"], since)
    assert [e["type"] for e in events] == ["tile_deleted"]
