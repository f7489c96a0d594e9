"""Tile comments over REST: add, list, who may delete, bounds, and their events."""

from __future__ import annotations

import httpx

from tests.api.helpers import assert_error, make_admin, published
from tests.support.clients import Account, register
from tests.support.live_server import LiveServer

NOT_ALLOWED = "Only the comment's author, the tile's creator or the canvas owner can delete it"


async def test_add_and_list(live_server: LiveServer, alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    response = await bob.post(f"/api/v1/tiles/{tile['id']}/comments", {"text": " lovely "})
    assert response.status_code == 201, response.text
    comment = response.json()
    assert comment["text"] == "lovely" and comment["author_id"] == bob.id
    assert comment["tile_id"] == tile["id"] and comment["canvas_id"] == canvas["id"]
    await alice.post(f"/api/v1/tiles/{tile['id']}/comments", {"text": "thanks"})
    listing = (await bob.get(f"/api/v1/tiles/{tile['id']}/comments")).json()
    assert [c["text"] for c in listing["items"]] == ["lovely", "thanks"]
    events = await published(live_server, canvas["id"], 0)
    live = [e for e in events if e["type"] == "tile_comment"]
    assert live[0] == {"type": "tile_comment", **comment, "seq": live[0]["seq"],
                       "_exclude_user": None, "_exclude_connection": None}


async def test_who_may_delete(api: httpx.AsyncClient, live_server: LiveServer,
                              alice: Account, bob: Account) -> None:
    carol, admin = await register(api), await register(api)
    await make_admin(live_server, admin)
    canvas = await alice.create_canvas()  # alice owns the canvas
    tile = await bob.create_tile(canvas["id"], 0, 0)  # bob created the tile
    ids = [(await carol.post(f"/api/v1/tiles/{tile['id']}/comments", {"text": f"c{i}"})
            ).json()["comment_id"] for i in range(4)]
    outsider = await register(api)
    assert_error(await outsider.delete(f"/api/v1/comments/{ids[0]}"), 403, NOT_ALLOWED)
    for account, comment_id in zip((carol, bob, alice, admin), ids, strict=True):
        assert (await account.delete(f"/api/v1/comments/{comment_id}")).status_code == 204
    assert (await carol.get(f"/api/v1/tiles/{tile['id']}/comments")).json()["items"] == []
    assert_error(await carol.delete(f"/api/v1/comments/{ids[0]}"), 404, "Comment not found")
    deleted = [e for e in await published(live_server, canvas["id"], 0)
               if e["type"] == "tile_comment_deleted"]
    assert [e["comment_id"] for e in deleted] == ids


async def test_bounds_and_visibility(alice: Account, bob: Account) -> None:
    private = await alice.create_canvas(visibility="private")
    tile = await alice.create_tile(private["id"], 0, 0)
    path = f"/api/v1/tiles/{tile['id']}/comments"
    assert_error(await bob.post(path, {"text": "let me in"}), 404, "Tile not found")
    assert_error(await bob.get(path), 404, "Tile not found")
    assert_error(await alice.post(path, {"text": "x" * 501}), 422,
                 "Comment text must be at most 500 characters")
    assert_error(await alice.post(path, {"text": " "}), 422, "Comment text must not be empty")
    assert_error(await alice.post("/api/v1/tiles/999999/comments", {"text": "x"}), 404,
                 "Tile not found")
    comment = (await alice.post(path, {"text": "mine"})).json()
    assert_error(await bob.delete(f"/api/v1/comments/{comment['comment_id']}"), 404,
                 "Comment not found")
