"""Level-of-detail reads: the overview and region images (ETag, 304, per-region
invalidation), region tile facts, compressed JSON, and the offline API docs."""

from __future__ import annotations

import io
import re

import httpx
from PIL import Image

from tests.api.helpers import assert_error, rgba_tile
from tests.support.clients import Account

SHARED_ACCOUNTS = True

RED = (255, 0, 0, 255)
BLUE = (0, 0, 255, 255)


def png(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "private, no-cache"
    assert "content-encoding" not in response.headers  # PNG is not compressed twice
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image.convert("RGBA")


async def draw(account: Account, canvas_id: int, x: int, y: int,
               colour: tuple[int, int, int, int], size: int = 16) -> dict[str, int]:
    response = await account.post("/api/v1/tiles", {
        "canvas_id": canvas_id, "x": x, "y": y, "pixels": rgba_tile(size, colour)})
    assert response.status_code == 201, response.text
    body: dict[str, int] = response.json()
    return body


async def get_with(account: Account, path: str, **headers: str) -> httpx.Response:
    return await account.api.get(path, headers={**account.headers, **headers})


async def etag_of(account: Account, path: str) -> str:
    response = await account.get(path)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


async def test_region_image_full_size_and_scaled(alice: Account) -> None:
    canvas = await alice.create_canvas(width=20, height=18, tile_size=16)
    cid = canvas["id"]
    await draw(alice, cid, 17, 16, RED)
    full = png(await alice.get(f"/api/v1/canvases/{cid}/regions/1/1.png"))
    assert full.size == (4 * 16, 2 * 16)  # the last region is clipped to the canvas
    assert full.getpixel((16 + 3, 3)) == RED
    assert full.getpixel((0, 0))[3] == 0  # type: ignore[index]
    small = png(await alice.get(f"/api/v1/canvases/{cid}/regions/1/1.png?scale=2"))
    assert small.size == (8, 4) and small.getpixel((2, 0)) == RED


async def test_overview_draws_every_region_small(alice: Account) -> None:
    canvas = await alice.create_canvas(width=40, height=20, tile_size=32)
    cid = canvas["id"]
    await draw(alice, cid, 0, 0, RED, 32)
    await draw(alice, cid, 39, 19, BLUE, 32)
    image = png(await alice.get(f"/api/v1/canvases/{cid}/overview.png"))
    assert image.size == (40 * 16, 20 * 16)  # 16 px per cell: the largest that fits 1024
    assert image.getpixel((1, 1)) == RED
    assert image.getpixel((40 * 16 - 1, 20 * 16 - 1)) == BLUE
    assert image.getpixel((300, 100))[3] == 0  # type: ignore[index]


async def test_unchanged_images_are_not_sent_again(alice: Account) -> None:
    canvas = await alice.create_canvas(width=4, height=4, tile_size=16)
    cid = canvas["id"]
    await draw(alice, cid, 1, 1, RED)
    for path in (f"/api/v1/canvases/{cid}/overview.png", f"/api/v1/canvases/{cid}/regions/0/0.png"):
        etag = await etag_of(alice, path)
        again = await get_with(alice, path, **{"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        weak = await get_with(alice, path, **{"If-None-Match": f"W/{etag}"})
        assert weak.status_code == 304
        assert (await get_with(alice, path, **{"If-None-Match": '"other"'})).status_code == 200


async def test_a_change_invalidates_only_the_images_covering_it(alice: Account) -> None:
    canvas = await alice.create_canvas(width=40, height=20, tile_size=16)
    cid = canvas["id"]
    tile = await draw(alice, cid, 20, 3, RED)  # region (1, 0)
    await draw(alice, cid, 2, 2, RED)  # region (0, 0)
    paths = {
        "overview": f"/api/v1/canvases/{cid}/overview.png",
        "changed": f"/api/v1/canvases/{cid}/regions/1/0.png",
        "changed small": f"/api/v1/canvases/{cid}/regions/1/0.png?scale=4",
        "other": f"/api/v1/canvases/{cid}/regions/0/0.png",
        "empty": f"/api/v1/canvases/{cid}/regions/2/1.png",
    }
    before = {name: await etag_of(alice, path) for name, path in paths.items()}
    response = await alice.put(f"/api/v1/tiles/{tile['id']}", {"pixels": rgba_tile(16, BLUE)})
    assert response.status_code == 200
    after = {name: await etag_of(alice, path) for name, path in paths.items()}
    changed = {name for name in paths if before[name] != after[name]}
    assert changed == {"overview", "changed", "changed small"}
    image = png(await alice.get(paths["changed"]))
    assert image.getpixel((4 * 16 + 1, 3 * 16 + 1)) == BLUE

    assert (await alice.delete(f"/api/v1/tiles/{tile['id']}")).status_code == 204
    image = png(await alice.get(paths["changed"]))
    assert image.getpixel((4 * 16 + 1, 3 * 16 + 1))[3] == 0  # type: ignore[index]
    assert await etag_of(alice, paths["other"]) == before["other"]


async def test_region_tile_facts(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas(width=20, height=20, tile_size=16)
    cid = canvas["id"]
    await draw(alice, cid, 3, 4, RED)
    tile = await draw(bob, cid, 17, 2, BLUE)
    await alice.post(f"/api/v1/tiles/{tile['id']}/like")
    response = await alice.get(f"/api/v1/canvases/{cid}/regions/1/0/tiles")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["region"] == {"rx": 1, "ry": 0, "x0": 16, "y0": 0, "x1": 19, "y1": 15}
    [facts] = body["tiles"]
    assert facts["id"] == tile["id"] and (facts["x"], facts["y"]) == (17, 2)
    assert facts["creator_username"] == bob.username and facts["like_count"] == 1
    assert facts["version"] == 1 and "pixels" not in facts
    empty = await alice.get(f"/api/v1/canvases/{cid}/regions/1/1/tiles")
    assert empty.json()["tiles"] == []


async def test_json_is_compressed_when_asked(alice: Account) -> None:
    canvas = await alice.create_canvas(width=4, height=4, tile_size=32)
    for x in range(4):
        await draw(alice, canvas["id"], x, 0, RED, 32)
    path = f"/api/v1/canvases/{canvas['id']}/tiles"
    zipped = await get_with(alice, path, **{"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(zipped.content) / 4
    plain = await get_with(alice, path, **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == zipped.json()


async def test_region_errors(api: httpx.AsyncClient, alice: Account) -> None:
    canvas = await alice.create_canvas(width=20, height=8, tile_size=32)
    base = f"/api/v1/canvases/{canvas['id']}"
    assert_error(await alice.get(f"{base}/regions/2/0.png"), 400,
                 "Region (2, 0) is outside the canvas's 2x1 regions")
    assert_error(await alice.get(f"{base}/regions/0/1/tiles"), 400,
                 "Region (0, 1) is outside the canvas's 2x1 regions")
    assert_error(await alice.get(f"{base}/regions/0/0.png?scale=3"), 400,
                 "scale must be one of [1, 2, 4, 8, 16, 32] on this canvas")
    assert_error(await alice.get("/api/v1/canvases/999999/overview.png"), 404,
                 "Canvas not found")
    assert_error(await api.get(f"{base}/overview.png"), 401, "Not authenticated")
    assert (await alice.get(f"{base}/regions/-1/0.png")).status_code == 422


async def test_docs_work_offline(api: httpx.AsyncClient) -> None:
    for page, asset in (("/docs", "/docs-assets/swagger-ui-bundle.js"),
                        ("/redoc", "/docs-assets/redoc.standalone.js")):
        response = await api.get(page)
        assert response.status_code == 200
        assert asset in response.text
        assert "cdn." not in response.text and "fonts.googleapis" not in response.text
        script = await api.get(asset)
        assert script.status_code == 200 and len(script.content) > 100_000


async def test_docs_pages_have_no_inline_script(api: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        html = (await api.get(page)).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], page
        assert " style=" not in html and " onload=" not in html, page
    init = await api.get("/docs-init/swagger-init.js")
    assert init.status_code == 200 and "SwaggerUIBundle" in init.text


async def test_only_redoc_may_apply_inline_styles(api: httpx.AsyncClient) -> None:
    redoc = (await api.get("/redoc")).headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline'" in redoc and "script-src 'self';" in redoc
    for page in ("/docs", "/", "/api/v1/health"):
        policy = (await api.get(page)).headers["content-security-policy"]
        assert "style-src 'self';" in policy and "unsafe-inline" not in policy, page
