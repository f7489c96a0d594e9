"""The REST contract as a whole: OpenAPI lists every route, errors keep one shape."""

from __future__ import annotations

import httpx

from tests.api.helpers import assert_error, assert_validation_error
from tests.support.clients import Account

SHARED_ACCOUNTS = True

# DESIGN section 4 and PROTOCOL section 1, route by route.
ROUTES = {
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/refresh": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/auth/me": {"get"},
    "/api/v1/canvases": {"get", "post"},
    "/api/v1/canvases/{canvas_id}": {"get", "patch", "delete"},
    "/api/v1/canvases/{canvas_id}/members": {"post"},
    "/api/v1/canvases/{canvas_id}/members/{member_id}": {"delete"},
    "/api/v1/canvases/{canvas_id}/tiles": {"get"},
    "/api/v1/canvases/{canvas_id}/image.png": {"get"},
    "/api/v1/canvases/{canvas_id}/overview.png": {"get"},
    "/api/v1/canvases/{canvas_id}/regions/{rx}/{ry}.png": {"get"},
    "/api/v1/canvases/{canvas_id}/regions/{rx}/{ry}/tiles": {"get"},
    "/api/v1/canvases/{canvas_id}/users": {"get"},
    "/api/v1/canvases/{canvas_id}/locks/{x}/{y}": {"post", "delete"},
    "/api/v1/canvases/{canvas_id}/chat/messages": {"get", "post"},
    "/api/v1/tiles": {"post"},
    "/api/v1/tiles/{tile_id}": {"get", "put", "delete"},
    "/api/v1/tiles/{tile_id}/like": {"post", "delete"},
    "/api/v1/ws/ticket": {"post"},
}


async def test_openapi_lists_every_route(api: httpx.AsyncClient) -> None:
    response = await api.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path, methods in ROUTES.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    assert paths["/api/v1/tiles"]["post"]["responses"].keys() >= {"201"}
    assert paths["/api/v1/canvases"]["post"]["responses"].keys() >= {"201"}
    assert "image/png" in paths["/api/v1/canvases/{canvas_id}/image.png"]["get"][
        "responses"]["200"]["content"]
    components = schema["components"]["schemas"]
    tile_create = components["TileCreate"]["properties"]
    assert set(tile_create) == {"canvas_id", "x", "y", "pixels"}
    canvas_create = components["CanvasCreate"]["properties"]
    assert canvas_create["tile_size"]["enum"] == [16, 32, 64]
    assert (canvas_create["width"]["minimum"], canvas_create["width"]["maximum"]) == (1, 256)


async def test_docs_page(api: httpx.AsyncClient) -> None:
    response = await api.get("/docs")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]


async def test_unknown_routes_and_methods(api: httpx.AsyncClient, alice: Account) -> None:
    assert_error(await alice.get("/api/v1/no-such-thing"), 404, "Not Found")
    assert_error(await alice.put("/api/v1/canvases", {"name": "x"}), 405, "Method Not Allowed")


async def test_malformed_json_is_422(alice: Account) -> None:
    response = await alice.api.post("/api/v1/canvases", content=b"{not json",
                                    headers={**alice.headers,
                                             "content-type": "application/json"})
    assert_validation_error(response)
    response = await alice.api.post("/api/v1/tiles", content=b"[1, 2]",
                                    headers={**alice.headers,
                                             "content-type": "application/json"})
    assert_validation_error(response)


async def test_ticket_route(alice: Account, api: httpx.AsyncClient) -> None:
    response = await alice.post("/api/v1/ws/ticket")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ticket", "expires_in"} and body["ticket"]
    assert_error(await api.post("/api/v1/ws/ticket"), 401, "Not authenticated")


async def test_who_is_here_over_rest(alice: Account) -> None:
    canvas = await alice.create_canvas()
    response = await alice.get(f"/api/v1/canvases/{canvas['id']}/users")
    assert response.status_code == 200 and response.json() == []
    assert_error(await alice.get("/api/v1/canvases/999999/users"), 404, "Canvas not found")


HUGE = [2**31, 2**70]  # past 32-bit columns (PostgreSQL), past 64-bit ones (SQLite)


async def test_ids_beyond_any_row_are_404_not_500(alice: Account) -> None:
    canvas = await alice.create_canvas()
    tile = await alice.create_tile(canvas["id"], 0, 0)
    for big in HUGE:
        assert_error(await alice.get(f"/api/v1/canvases/{big}"), 404, "Canvas not found")
        assert_error(await alice.patch(f"/api/v1/canvases/{big}", {"name": "x"}), 404,
                     "Canvas not found")
        assert_error(await alice.delete(f"/api/v1/canvases/{big}"), 404, "Canvas not found")
        for path in ("tiles", "image.png", "overview.png", "regions/0/0.png",
                     "regions/0/0/tiles", "users", "chat/messages"):
            assert_error(await alice.get(f"/api/v1/canvases/{big}/{path}"), 404,
                         "Canvas not found")
        assert_error(await alice.post(f"/api/v1/canvases/{big}/locks/0/0"), 404,
                     "Canvas not found")
        assert_error(await alice.post("/api/v1/tiles", {
            "canvas_id": big, "x": 0, "y": 0, "pixels": tile["pixels"]}), 404,
            "Canvas not found")
        assert_error(await alice.get(f"/api/v1/tiles/{big}"), 404, "Tile not found")
        assert_error(await alice.put(f"/api/v1/tiles/{big}", {"pixels": tile["pixels"]}), 404,
                     "Tile not found")
        assert_error(await alice.delete(f"/api/v1/tiles/{big}"), 404, "Tile not found")
        assert_error(await alice.post(f"/api/v1/tiles/{big}/like"), 404, "Tile not found")
        removed = await alice.delete(f"/api/v1/canvases/{canvas['id']}/members/{big}")
        assert removed.status_code == 204
        # Huge cells are simply outside the canvas.
        assert_error(await alice.post(f"/api/v1/canvases/{canvas['id']}/locks/{big}/0"), 400,
                     f"Tile position ({big}, 0) is outside the canvas (32x32)")
        region = await alice.get(f"/api/v1/canvases/{canvas['id']}/tiles",
                                 params={"x0": big, "x1": big, "y0": big, "y1": big})
        assert region.status_code == 200 and region.json() == []
        whole = await alice.get(f"/api/v1/canvases/{canvas['id']}/tiles",
                                params={"x1": big, "y1": big})
        assert [t["id"] for t in whole.json()] == [tile["id"]]
        stale = await alice.put(f"/api/v1/tiles/{tile['id']}",
                                {"pixels": tile["pixels"], "version": big})
        assert_error(stale, 409, "Tile was modified by someone else", current_version=1)
        page = await alice.get("/api/v1/canvases", params={"offset": big})
        assert page.status_code in (200, 422), page.text
        if page.status_code == 200:
            assert page.json()["items"] == []


async def test_nul_characters_are_refused_not_500(api: httpx.AsyncClient, alice: Account) -> None:
    canvas = await alice.create_canvas()
    cid = canvas["id"]
    assert_error(await alice.post(f"/api/v1/canvases/{cid}/chat/messages", {"text": "a\x00b"}),
                 422, "Message text must not contain NUL characters")
    assert_validation_error(await alice.post("/api/v1/canvases", {"name": "a\x00b"}), "name")
    assert_validation_error(await alice.post("/api/v1/canvases", {
        "name": "ok", "description": "a\x00b"}), "description")
    assert_validation_error(await alice.patch(f"/api/v1/canvases/{cid}", {"name": "a\x00b"}),
                            "name")
    assert_validation_error(await alice.patch(f"/api/v1/canvases/{cid}", {
        "description": "\x00"}), "description")
    assert_validation_error(await api.post("/api/v1/auth/register", json={
        "username": "nul-name", "email": "nul@example.com", "password": "correct-horse",
        "display_name": "x\x00y"}), "display_name")
    assert_validation_error(await api.post("/api/v1/auth/register", json={
        "username": "nul-mail", "email": "n\x00l@example.com", "password": "correct-horse"}),
        "email")
    assert_validation_error(await api.post("/api/v1/auth/login", json={
        "username": "a\x00b", "password": "correct-horse"}), "username")
    assert_validation_error(await alice.post(f"/api/v1/canvases/{cid}/members", {
        "username": "a\x00b"}), "username")
    assert_validation_error(await alice.get(f"/api/v1/canvases/{cid}/chat/messages",
                                            params={"before": "a\x00b"}), "before")
    # Passwords are never stored as text, so a NUL in one is just a wrong password.
    assert_error(await api.post("/api/v1/auth/login", json={
        "username": alice.username, "password": "correct\x00horse"}), 401,
        "Incorrect username or password")
    # Nothing was half-stored, and the server is fine.
    assert (await alice.get(f"/api/v1/canvases/{cid}/chat/messages")).json()["items"] == []
    assert (await alice.get(f"/api/v1/canvases/{cid}")).json()["name"] == canvas["name"]
