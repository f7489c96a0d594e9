"""The activity feed over REST: entries for tile changes and comments, paged newest
first per canvas and per user, never leaking a private canvas, and rolled back with the
change they record."""

from __future__ import annotations

from tests.api.helpers import assert_error, published, tile_body
from tests.support.clients import Account
from tests.support.live_server import LiveServer


async def test_tile_changes_are_recorded(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    tile = await bob.create_tile(cid, 1, 1)
    await alice.put(f"/api/v1/tiles/{tile['id']}", tile_body(cid, 1, 1, fill=(0, 0, 9, 255)))
    await alice.post(f"/api/v1/tiles/{tile['id']}/like")
    await alice.post(f"/api/v1/tiles/{tile['id']}/comments", {"text": "nice"})
    await bob.delete(f"/api/v1/tiles/{tile['id']}")
    feed = (await alice.get(f"/api/v1/canvases/{cid}/activity")).json()
    kinds = [(a["kind"], a["actor"]["user_id"]) for a in feed["items"]]
    assert kinds == [("tile_deleted", bob.id), ("tile_comment", alice.id),
                     ("tile_liked", alice.id), ("tile_updated", alice.id),
                     ("tile_created", bob.id)]
    assert all(a["tile_id"] == tile["id"] and a["canvas_id"] == cid for a in feed["items"])
    assert feed["items"][0]["actor"]["username"] == bob.username

    mine = (await bob.get(f"/api/v1/users/{bob.id}/activity")).json()["items"]
    assert [a["kind"] for a in mine] == ["tile_deleted", "tile_created"]


async def test_pages_go_backwards(alice: Account) -> None:
    canvas = await alice.create_canvas()
    for x in range(4):
        await alice.create_tile(canvas["id"], x, 0)
    path = f"/api/v1/canvases/{canvas['id']}/activity"
    first = (await alice.get(path, params={"limit": 3})).json()
    assert len(first["items"]) == 3 and first["has_more"]
    rest = (await alice.get(path, params={"before": first["items"][-1]["activity_id"]})).json()
    assert len(rest["items"]) == 1 and not rest["has_more"]


async def test_refused_change_records_nothing(live_server: LiveServer, alice: Account,
                                              bob: Account) -> None:
    canvas = await alice.create_canvas(max_tiles_per_user=1)
    await bob.create_tile(canvas["id"], 0, 0)
    refused = await bob.post("/api/v1/tiles", tile_body(canvas["id"], 1, 0))
    assert refused.status_code == 403
    taken = await alice.post("/api/v1/tiles", tile_body(canvas["id"], 0, 0))
    assert taken.status_code == 409
    feed = (await alice.get(f"/api/v1/canvases/{canvas['id']}/activity")).json()["items"]
    assert [a["kind"] for a in feed] == ["tile_created"]
    events = await published(live_server, canvas["id"], 0, with_activity=True)
    assert [e["kind"] for e in events if e["type"] == "activity"] == ["tile_created"]


async def test_private_canvases_stay_private(alice: Account, bob: Account) -> None:
    private = await alice.create_canvas(visibility="private")
    await alice.create_tile(private["id"], 0, 0)
    assert_error(await bob.get(f"/api/v1/canvases/{private['id']}/activity"), 404,
                 "Canvas not found")
    assert (await bob.get(f"/api/v1/users/{alice.id}/activity")).json()["items"] == []
    own = (await alice.get(f"/api/v1/users/{alice.id}/activity")).json()["items"]
    assert [a["canvas_id"] for a in own] == [private["id"]]
    assert_error(await bob.get("/api/v1/users/999999/activity"), 404, "User not found")


async def test_redraws_of_one_tile_by_one_user_are_one_entry(alice: Account,
                                                             bob: Account) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    tile = await alice.create_tile(cid, 0, 0)
    for shade in range(3):
        await alice.put(f"/api/v1/tiles/{tile['id']}",
                        tile_body(cid, 0, 0, fill=(shade, 0, 0, 255)))
    await bob.put(f"/api/v1/tiles/{tile['id']}", tile_body(cid, 0, 0, fill=(9, 9, 9, 255)))
    feed = (await alice.get(f"/api/v1/canvases/{cid}/activity")).json()["items"]
    assert [(a["kind"], a["actor"]["user_id"]) for a in feed] == [
        ("tile_updated", bob.id), ("tile_updated", alice.id), ("tile_created", alice.id)]
