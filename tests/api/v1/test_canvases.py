"""Canvas routes: create, list (paged), read, update, soft delete, visibility, members."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    assert_error,
    assert_validation_error,
    current_seq,
    make_admin,
    published,
    tile_body,
)
from tests.support.clients import Account, register
from tests.support.live_server import LiveServer

SHARED_ACCOUNTS = True

CANVAS_FIELDS = {
    "id", "name", "description", "width", "height", "tile_size", "max_tiles_per_user",
    "collaboration_mode", "visibility", "is_active", "owner_id", "owner_username",
    "tile_count", "created_at", "updated_at",
}


async def test_create_with_defaults(alice: Account) -> None:
    response = await alice.post("/api/v1/canvases", {"name": "  Night sky  "})
    assert response.status_code == 201, response.text
    canvas = response.json()
    assert set(canvas) == CANVAS_FIELDS
    assert isinstance(canvas["id"], int)
    assert canvas["name"] == "Night sky"
    assert canvas["description"] == ""
    assert (canvas["width"], canvas["height"], canvas["tile_size"]) == (32, 32, 32)
    assert canvas["max_tiles_per_user"] == 10
    assert canvas["collaboration_mode"] == "free"
    assert canvas["visibility"] == "public"
    assert canvas["is_active"] is True
    assert canvas["owner_id"] == alice.id
    assert canvas["owner_username"] == alice.username
    assert canvas["tile_count"] == 0
    assert canvas["created_at"].endswith("Z") and canvas["updated_at"].endswith("Z")


async def test_create_with_every_field_and_read_it_back(alice: Account, bob: Account) -> None:
    fields = {"name": "Mural", "description": "A big one", "width": 256, "height": 1,
              "tile_size": 64, "max_tiles_per_user": 3, "collaboration_mode": "owner",
              "visibility": "public"}
    created = await alice.create_canvas(**fields)
    for key, value in fields.items():
        assert created[key] == value, key
    read = await bob.get(f"/api/v1/canvases/{created['id']}")
    assert read.status_code == 200
    assert read.json() == created


@pytest.mark.parametrize("fields", [
    {"width": 0}, {"width": 257}, {"height": 0}, {"height": 257}, {"width": "wide"},
    {"tile_size": 8}, {"tile_size": 48}, {"tile_size": 128},
    {"collaboration_mode": "anarchy"}, {"visibility": "secret"},
    {"max_tiles_per_user": 0}, {"name": ""}, {"name": "   "}, {"name": "x" * 101},
])
async def test_create_validation_is_422(alice: Account, fields: dict[str, Any]) -> None:
    response = await alice.post("/api/v1/canvases", {"name": "Bad", **fields})
    assert_validation_error(response, next(iter(fields)))


async def test_create_without_name_is_422(alice: Account) -> None:
    assert_validation_error(await alice.post("/api/v1/canvases", {}), "name")


@pytest.mark.parametrize("size", [16, 32, 64])
async def test_each_tile_size_is_accepted(alice: Account, size: int) -> None:
    assert (await alice.create_canvas(tile_size=size))["tile_size"] == size


async def test_routes_need_a_token(api: httpx.AsyncClient, alice: Account) -> None:
    canvas = await alice.create_canvas()
    for method, path in [
        ("GET", "/api/v1/canvases"), ("POST", "/api/v1/canvases"),
        ("GET", f"/api/v1/canvases/{canvas['id']}"),
        ("PATCH", f"/api/v1/canvases/{canvas['id']}"),
        ("DELETE", f"/api/v1/canvases/{canvas['id']}"),
    ]:
        response = await api.request(method, path, json={"name": "x"})
        assert_error(response, 401, "Not authenticated")
        assert response.headers["www-authenticate"] == "Bearer"


async def test_missing_canvas_is_404(alice: Account) -> None:
    assert_error(await alice.get("/api/v1/canvases/999999"), 404, "Canvas not found")
    assert_error(await alice.patch("/api/v1/canvases/999999", {"name": "x"}), 404,
                 "Canvas not found")
    assert_error(await alice.delete("/api/v1/canvases/999999"), 404, "Canvas not found")


async def test_list_is_paged_newest_first(api: httpx.AsyncClient) -> None:
    owner = await register(api)
    mine = [(await owner.create_canvas(name=f"page {i}"))["id"] for i in range(5)]
    first = (await owner.get("/api/v1/canvases", params={"limit": 2})).json()
    assert first["limit"] == 2 and first["offset"] == 0
    assert [c["id"] for c in first["items"]] == mine[::-1][:2]
    total = first["total"]
    assert total >= 5
    seen: list[int] = []
    for offset in range(0, total, 3):
        page = (await owner.get("/api/v1/canvases",
                                params={"limit": 3, "offset": offset})).json()
        assert page["total"] == total and page["offset"] == offset and page["limit"] == 3
        assert len(page["items"]) == min(3, total - offset)
        assert all(set(c) == CANVAS_FIELDS for c in page["items"])
        seen.extend(c["id"] for c in page["items"])
    assert seen == sorted(seen, reverse=True)
    assert len(set(seen)) == total
    past_end = (await owner.get("/api/v1/canvases", params={"offset": total})).json()
    assert past_end["items"] == [] and past_end["total"] == total


async def test_list_defaults_and_limits(alice: Account) -> None:
    body = (await alice.get("/api/v1/canvases")).json()
    assert body["limit"] == 20 and body["offset"] == 0
    assert (await alice.get("/api/v1/canvases", params={"limit": 100})).status_code == 200
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}):
        assert_validation_error(await alice.get("/api/v1/canvases", params=params),
                                next(iter(params)))


async def test_list_shows_tile_counts(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    await alice.create_tile(canvas["id"], 0, 0)
    await bob.create_tile(canvas["id"], 1, 0)
    items = (await alice.get("/api/v1/canvases", params={"limit": 100})).json()["items"]
    assert next(c for c in items if c["id"] == canvas["id"])["tile_count"] == 2
    read = (await alice.get(f"/api/v1/canvases/{canvas['id']}")).json()
    assert read["tile_count"] == 2


async def _ids_visible_to(account: Account) -> set[int]:
    body = (await account.get("/api/v1/canvases", params={"limit": 100})).json()
    return {c["id"] for c in body["items"]}


async def test_private_canvas_is_invisible_to_non_members(
    api: httpx.AsyncClient, live_server: LiveServer, alice: Account, bob: Account
) -> None:
    private = await alice.create_canvas(visibility="private")
    tile = await alice.create_tile(private["id"], 2, 2)
    cid = private["id"]
    before = (await bob.get("/api/v1/canvases", params={"limit": 100})).json()

    assert cid in await _ids_visible_to(alice)
    assert cid not in await _ids_visible_to(bob)
    assert_error(await bob.get(f"/api/v1/canvases/{cid}"), 404, "Canvas not found")
    assert_error(await bob.patch(f"/api/v1/canvases/{cid}", {"name": "mine"}), 404,
                 "Canvas not found")
    assert_error(await bob.delete(f"/api/v1/canvases/{cid}"), 404, "Canvas not found")
    assert_error(await bob.get(f"/api/v1/canvases/{cid}/tiles"), 404, "Canvas not found")
    assert_error(await bob.get(f"/api/v1/canvases/{cid}/image.png"), 404, "Canvas not found")
    assert_error(await bob.get(f"/api/v1/canvases/{cid}/users"), 404, "Canvas not found")
    assert_error(await bob.get(f"/api/v1/canvases/{cid}/chat/messages"), 404,
                 "Canvas not found")
    assert_error(await bob.post(f"/api/v1/canvases/{cid}/chat/messages", {"text": "hi"}), 404,
                 "Canvas not found")
    assert_error(await bob.post(f"/api/v1/canvases/{cid}/locks/0/0"), 404, "Canvas not found")
    assert_error(await bob.post("/api/v1/tiles", tile_body(cid, 0, 0)), 404, "Canvas not found")
    assert_error(await bob.post(f"/api/v1/canvases/{cid}/members", {"username": bob.username}),
                 404, "Canvas not found")
    for method in ("GET", "DELETE"):
        response = await bob.api.request(method, f"/api/v1/tiles/{tile['id']}",
                                         headers=bob.headers)
        assert_error(response, 404, "Tile not found")
    assert_error(await bob.put(f"/api/v1/tiles/{tile['id']}", {"pixels": tile["pixels"]}),
                 404, "Tile not found")
    assert_error(await bob.post(f"/api/v1/tiles/{tile['id']}/like"), 404, "Tile not found")
    # ...and the owner's list total did not leak into bob's.
    after = (await bob.get("/api/v1/canvases", params={"limit": 100})).json()
    assert after["total"] == before["total"]


async def test_invited_member_sees_private_canvas_until_removed(
    api: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    private = await alice.create_canvas(visibility="private")
    cid = private["id"]
    response = await alice.post(f"/api/v1/canvases/{cid}/members",
                                {"username": bob.username.upper()})
    assert response.status_code == 201, response.text
    assert response.json() == {"canvas_id": cid, "user_id": bob.id, "username": bob.username}
    # Inviting twice is harmless.
    again = await alice.post(f"/api/v1/canvases/{cid}/members", {"username": bob.username})
    assert again.status_code == 201

    assert (await bob.get(f"/api/v1/canvases/{cid}")).status_code == 200
    assert cid in await _ids_visible_to(bob)
    await bob.create_tile(cid, 1, 1)
    assert (await bob.post(f"/api/v1/canvases/{cid}/chat/messages",
                           {"text": "thanks"})).status_code == 201
    # A member is not an owner.
    assert_error(await bob.patch(f"/api/v1/canvases/{cid}", {"name": "ours"}), 403,
                 "Only the canvas owner can do this")
    assert_error(await bob.delete(f"/api/v1/canvases/{cid}"), 403,
                 "Only the canvas owner can do this")
    carol = await register(api)
    assert_error(await bob.post(f"/api/v1/canvases/{cid}/members", {"username": carol.username}),
                 403, "Only the canvas owner can do this")

    removed = await alice.delete(f"/api/v1/canvases/{cid}/members/{bob.id}")
    assert removed.status_code == 204
    assert_error(await bob.get(f"/api/v1/canvases/{cid}"), 404, "Canvas not found")
    assert cid not in await _ids_visible_to(bob)


async def test_invite_validation(alice: Account, bob: Account) -> None:
    cid = (await alice.create_canvas(visibility="private"))["id"]
    assert_error(await alice.post(f"/api/v1/canvases/{cid}/members", {"username": "nobody-x"}),
                 404, "User not found")
    assert_validation_error(await alice.post(f"/api/v1/canvases/{cid}/members", {}), "username")
    assert_validation_error(
        await alice.post(f"/api/v1/canvases/{cid}/members", {"username": ""}), "username")


async def test_concurrent_invites_of_one_user(alice: Account, bob: Account) -> None:
    cid = (await alice.create_canvas(visibility="private"))["id"]
    responses = await asyncio.gather(*(
        alice.post(f"/api/v1/canvases/{cid}/members", {"username": bob.username})
        for _ in range(20)))
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]
    assert (await bob.get(f"/api/v1/canvases/{cid}")).status_code == 200


async def test_owner_updates_editable_fields(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    since = await current_seq(live_server, canvas["id"])
    response = await alice.patch(f"/api/v1/canvases/{canvas['id']}", {
        "name": " Renamed ", "description": "new words", "max_tiles_per_user": 5,
        "collaboration_mode": "owner"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "Renamed"
    assert updated["description"] == "new words"
    assert updated["max_tiles_per_user"] == 5
    assert updated["collaboration_mode"] == "owner"
    assert updated["visibility"] == "public"
    assert updated["updated_at"] >= canvas["updated_at"]
    assert updated["created_at"] == canvas["created_at"]
    assert (await bob.get(f"/api/v1/canvases/{canvas['id']}")).json() == updated

    events = await published(live_server, canvas["id"], since)
    assert [e["type"] for e in events] == ["canvas_updated"]
    assert events[0]["canvas"] == updated


async def test_partial_update_keeps_other_fields(alice: Account) -> None:
    canvas = await alice.create_canvas(description="keep me", max_tiles_per_user=4)
    updated = (await alice.patch(f"/api/v1/canvases/{canvas['id']}", {"name": "Only name"})
               ).json()
    assert updated["description"] == "keep me" and updated["max_tiles_per_user"] == 4
    # Size and tile size are fixed at creation: unknown fields change nothing.
    same = await alice.patch(f"/api/v1/canvases/{canvas['id']}", {"width": 3, "tile_size": 16})
    assert same.status_code == 200
    assert (same.json()["width"], same.json()["tile_size"]) == (32, 32)


@pytest.mark.parametrize("fields", [
    {"collaboration_mode": "anarchy"}, {"visibility": "hidden"}, {"max_tiles_per_user": 0},
    {"name": ""}, {"name": "y" * 101},
])
async def test_update_validation_is_422(alice: Account, fields: dict[str, Any]) -> None:
    canvas = await alice.create_canvas()
    assert_validation_error(await alice.patch(f"/api/v1/canvases/{canvas['id']}", fields),
                            next(iter(fields)))


async def test_only_owner_or_admin_may_update_or_delete(
    api: httpx.AsyncClient, live_server: LiveServer, alice: Account, bob: Account
) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    assert_error(await bob.patch(f"/api/v1/canvases/{cid}", {"name": "bob's"}), 403,
                 "Only the canvas owner can do this")
    assert_error(await bob.delete(f"/api/v1/canvases/{cid}"), 403,
                 "Only the canvas owner can do this")
    assert (await bob.get(f"/api/v1/canvases/{cid}")).json()["name"] == canvas["name"]

    admin = await register(api)
    await make_admin(live_server, admin)
    me = (await admin.get("/api/v1/auth/me")).json()
    assert me["is_admin"] is True
    response = await admin.patch(f"/api/v1/canvases/{cid}", {"name": "Moderated"})
    assert response.status_code == 200 and response.json()["name"] == "Moderated"
    assert response.json()["owner_id"] == alice.id
    assert (await admin.delete(f"/api/v1/canvases/{cid}")).status_code == 204
    assert_error(await alice.get(f"/api/v1/canvases/{cid}"), 404, "Canvas not found")


async def test_admin_sees_and_manages_private_canvases(
    api: httpx.AsyncClient, live_server: LiveServer, alice: Account, bob: Account
) -> None:
    private = await alice.create_canvas(visibility="private")
    admin = await register(api)
    await make_admin(live_server, admin)
    assert (await admin.get(f"/api/v1/canvases/{private['id']}")).status_code == 200
    assert private["id"] in await _ids_visible_to(admin)
    invite = await admin.post(f"/api/v1/canvases/{private['id']}/members",
                              {"username": bob.username})
    assert invite.status_code == 201
    assert (await bob.get(f"/api/v1/canvases/{private['id']}")).status_code == 200


async def test_soft_delete(live_server: LiveServer, alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    tile = await bob.create_tile(cid, 3, 3)
    since = await current_seq(live_server, cid)
    response = await alice.delete(f"/api/v1/canvases/{cid}")
    assert response.status_code == 204 and response.content == b""
    assert [e["type"] for e in await published(live_server, cid, since)] == ["canvas_deleted"]

    assert_error(await alice.get(f"/api/v1/canvases/{cid}"), 404, "Canvas not found")
    assert_error(await alice.delete(f"/api/v1/canvases/{cid}"), 404, "Canvas not found")
    assert_error(await alice.patch(f"/api/v1/canvases/{cid}", {"name": "back"}), 404,
                 "Canvas not found")
    assert cid not in await _ids_visible_to(alice)
    assert_error(await alice.get(f"/api/v1/canvases/{cid}/tiles"), 404, "Canvas not found")
    assert_error(await bob.post("/api/v1/tiles", tile_body(cid, 0, 0)), 404, "Canvas not found")
    assert_error(await bob.get(f"/api/v1/tiles/{tile['id']}"), 404, "Tile not found")
    assert_error(await alice.post(f"/api/v1/canvases/{cid}/chat/messages", {"text": "hi"}), 404,
                 "Canvas not found")
    # Soft: the row is still there, only inactive.
    row = await _canvas_row(live_server, cid)
    assert row is not None and row.is_active is False


async def _canvas_row(live_server: LiveServer, canvas_id: int) -> Any:
    from stellarcollab.db.models import Canvas

    async def read() -> Any:
        async with live_server.runtime.db.read() as session:
            return await session.get(Canvas, canvas_id)

    from tests.api.helpers import on_server
    return await on_server(live_server, read())


async def test_making_a_canvas_private_hides_it(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas()
    assert (await bob.get(f"/api/v1/canvases/{canvas['id']}")).status_code == 200
    await alice.patch(f"/api/v1/canvases/{canvas['id']}", {"visibility": "private"})
    assert_error(await bob.get(f"/api/v1/canvases/{canvas['id']}"), 404, "Canvas not found")


async def test_non_integer_ids_are_422(alice: Account) -> None:
    assert_validation_error(await alice.get("/api/v1/canvases/abc"), "canvas_id")


async def test_parallel_deletes_of_one_canvas(
    live_server: LiveServer, alice: Account
) -> None:
    canvas = await alice.create_canvas()
    since = await current_seq(live_server, canvas["id"])
    responses = await asyncio.gather(*(
        alice.delete(f"/api/v1/canvases/{canvas['id']}") for _ in range(10)))
    assert Counter(r.status_code for r in responses) == {204: 1, 404: 9}, [
        r.text for r in responses]
    events = await published(live_server, canvas["id"], since)
    assert [e["type"] for e in events] == ["canvas_deleted"]


async def test_server_owned_fields_cannot_be_forged(alice: Account, bob: Account) -> None:
    created = await alice.post("/api/v1/canvases", {
        "name": "mine", "owner_id": bob.id, "is_active": False, "tile_count": 99, "id": 1})
    assert created.status_code == 201
    canvas = created.json()
    assert canvas["owner_id"] == alice.id and canvas["is_active"] is True
    assert canvas["tile_count"] == 0
    patched = (await alice.patch(f"/api/v1/canvases/{canvas['id']}", {
        "owner_id": bob.id, "is_active": False, "created_at": "2000-01-01T00:00:00.000Z"})).json()
    assert patched["owner_id"] == alice.id and patched["is_active"] is True
    assert patched["created_at"] == canvas["created_at"]
    tile = await alice.post("/api/v1/tiles", {**tile_body(canvas["id"], 0, 0),
                                              "creator_id": bob.id, "version": 7,
                                              "like_count": 50})
    assert tile.status_code == 201
    assert (tile.json()["creator_id"], tile.json()["version"], tile.json()["like_count"]) == (
        alice.id, 1, 0)
    redraw = await alice.put(f"/api/v1/tiles/{tile.json()['id']}", {
        "pixels": tile.json()["pixels"], "like_count": 50, "x": 5, "creator_id": bob.id})
    assert redraw.status_code == 200
    assert (redraw.json()["like_count"], redraw.json()["x"], redraw.json()["creator_id"]) == (
        0, 0, alice.id)


async def test_admin_rights_come_from_the_cli(
    monkeypatch: pytest.MonkeyPatch, api: httpx.AsyncClient, live_server: LiveServer,
    alice: Account,
) -> None:
    from stellarcollab import cli

    canvas = await alice.create_canvas(visibility="private")
    moderator = await register(api)
    monkeypatch.setenv("STELLAR_DATABASE_URL", live_server.settings.resolved_database_url())
    monkeypatch.setenv("STELLAR_DATA_DIR", str(live_server.settings.data_dir))

    async def admin(action: str, username: str) -> int:
        return await asyncio.to_thread(cli.main, ["admin", action, username])

    assert_error(await moderator.get(f"/api/v1/canvases/{canvas['id']}"), 404,
                 "Canvas not found")
    assert await admin("grant", moderator.username.upper()) == 0
    assert (await moderator.get("/api/v1/auth/me")).json()["is_admin"] is True
    assert (await moderator.get(f"/api/v1/canvases/{canvas['id']}")).status_code == 200
    assert await admin("revoke", moderator.username) == 0
    assert (await moderator.get("/api/v1/auth/me")).json()["is_admin"] is False
    assert_error(await moderator.delete(f"/api/v1/canvases/{canvas['id']}"), 404,
                 "Canvas not found")
    assert await admin("grant", "nobody-by-that-name") == 1
