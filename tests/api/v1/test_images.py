"""The canvas rendered as a PNG: right size, tiles where they belong, empty cells
transparent, and a fresh image after every tile change."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from tests.api.helpers import assert_error, rgba_tile
from tests.support.clients import Account

SHARED_ACCOUNTS = True

RED = (255, 0, 0, 255)
BLUE = (0, 0, 255, 255)
GREEN = (0, 200, 0, 128)
WHITE = (255, 255, 255, 255)


async def image_of(account: Account, canvas_id: int) -> Image.Image:
    response = await account.get(f"/api/v1/canvases/{canvas_id}/image.png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == "PNG"
    return image.convert("RGBA")


def pixel(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    value = image.getpixel((x, y))
    assert isinstance(value, tuple)
    return value


async def draw(account: Account, canvas_id: int, x: int, y: int, pixels: str) -> dict[str, int]:
    response = await account.post("/api/v1/tiles",
                                  {"canvas_id": canvas_id, "x": x, "y": y, "pixels": pixels})
    assert response.status_code == 201, response.text
    body: dict[str, int] = response.json()
    return body


async def test_empty_canvas_is_transparent(alice: Account) -> None:
    canvas = await alice.create_canvas(width=5, height=3, tile_size=16)
    image = await image_of(alice, canvas["id"])
    assert image.size == (80, 48)
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 0)  # alpha is 0 everywhere


async def test_tiles_are_drawn_in_their_cells(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas(width=4, height=3, tile_size=16)
    cid = canvas["id"]
    spots = {(0, 0): WHITE, (15, 15): BLUE, (3, 7): GREEN}
    await draw(alice, cid, 1, 2, rgba_tile(16, RED, spots))
    await draw(bob, cid, 3, 0, rgba_tile(16, BLUE))
    image = await image_of(bob, cid)
    assert image.size == (64, 48)
    assert pixel(image, 16 + 5, 32 + 5) == RED
    assert pixel(image, 16, 32) == WHITE
    assert pixel(image, 16 + 15, 32 + 15) == BLUE
    assert pixel(image, 16 + 3, 32 + 7) == GREEN  # partial alpha is kept
    assert pixel(image, 48, 0) == BLUE and pixel(image, 63, 15) == BLUE
    # Everything outside those two cells is transparent.
    for x, y in ((0, 0), (15, 15), (16, 31), (32, 32), (47, 47), (48, 16), (0, 47)):
        assert pixel(image, x, y)[3] == 0, (x, y)


async def test_image_changes_with_the_tiles(alice: Account, bob: Account) -> None:
    canvas = await alice.create_canvas(width=2, height=2, tile_size=32)
    cid = canvas["id"]
    tile = await draw(alice, cid, 0, 1, rgba_tile(32, RED))
    assert pixel(await image_of(bob, cid), 10, 40) == RED
    assert pixel(await image_of(alice, cid), 10, 40) == RED  # the cached one

    response = await bob.put(f"/api/v1/tiles/{tile['id']}", {"pixels": rgba_tile(32, BLUE)})
    assert response.status_code == 200
    assert pixel(await image_of(alice, cid), 10, 40) == BLUE

    await draw(bob, cid, 1, 0, rgba_tile(32, GREEN))
    image = await image_of(alice, cid)
    assert pixel(image, 40, 10) == GREEN and pixel(image, 10, 40) == BLUE

    assert (await alice.delete(f"/api/v1/tiles/{tile['id']}")).status_code == 204
    image = await image_of(alice, cid)
    assert pixel(image, 10, 40)[3] == 0 and pixel(image, 40, 10) == GREEN

    # Same count and a similar id sum after delete + create must still be a new image.
    await draw(alice, cid, 0, 0, rgba_tile(32, WHITE))
    image = await image_of(alice, cid)
    assert pixel(image, 5, 5) == WHITE and pixel(image, 40, 10) == GREEN


async def test_consecutive_redraws_each_show(alice: Account) -> None:
    canvas = await alice.create_canvas(width=1, height=1, tile_size=16)
    tile = await draw(alice, canvas["id"], 0, 0, rgba_tile(16, RED))
    for shade in range(1, 6):
        color = (shade, shade * 10, 0, 255)
        await alice.put(f"/api/v1/tiles/{tile['id']}", {"pixels": rgba_tile(16, color)})
        assert pixel(await image_of(alice, canvas["id"]), 8, 8) == color


async def test_wide_canvases_are_scaled_to_fit(alice: Account) -> None:
    canvas = await alice.create_canvas(width=100, height=2, tile_size=64)
    await draw(alice, canvas["id"], 99, 1, rgba_tile(64, BLUE))
    image = await image_of(alice, canvas["id"])
    side = 4096 // 100
    assert image.size == (100 * side, 2 * side)
    assert pixel(image, 99 * side + 1, side + 1) == BLUE
    assert pixel(image, 0, 0)[3] == 0


async def test_image_errors(api: httpx.AsyncClient, alice: Account) -> None:
    canvas = await alice.create_canvas()
    assert_error(await alice.get("/api/v1/canvases/999999/image.png"), 404, "Canvas not found")
    assert_error(await api.get(f"/api/v1/canvases/{canvas['id']}/image.png"), 401,
                 "Not authenticated")
