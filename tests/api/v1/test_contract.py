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
