"""Screenshots of the main views, on a desktop (1280x800) and a phone (390x844): sign-in,
the canvas list, a canvas with tiles, chat and presence, and the tile editor.

Each view is checked as it is shot. The PNGs go to a temporary directory; with
``STELLAR_UPDATE_SCREENSHOTS=1`` they replace the ones in docs/screenshots/ (the README
shows those), each kept under ``MAX_BYTES``."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect

from tests.browser.artwork import HILL, ROCKET_CELL, garden, night_sky, sprites, tiles_of
from tests.browser.pages import (
    DESKTOP,
    PHONE,
    click_cell,
    ms,
    new_user,
    open_canvas,
    wait_canvas_colour,
    wait_connected,
)
from tests.support.clients import Account, register
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

pytestmark = pytest.mark.browser

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_BYTES = 150_000
PASSWORD = "correct-horse"  # what tests.support.clients.register uses


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("STELLAR_UPDATE_SCREENSHOTS") == "1":
        DOCS_DIR.mkdir(parents=True, exist_ok=True)
        return DOCS_DIR
    return tmp_path_factory.mktemp("screenshots")


async def save_shot(page: Page, directory: Path, name: str) -> Path:
    """Screenshot the viewport into ``<name>.png``, with a 256-colour palette (a third of
    the size, no visible difference for these flat views)."""
    await page.mouse.move(1, 1)  # no hover card, no hover outline
    raw = await page.screenshot(animations="disabled", caret="hide")
    out = io.BytesIO()
    with Image.open(io.BytesIO(raw)) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            out, format="PNG", optimize=True)
    data = out.getvalue()
    assert len(data) <= MAX_BYTES, f"{name}: {len(data)} bytes"
    path = directory / f"{name}.png"
    path.write_bytes(data)
    return path


async def _seed(api: httpx.AsyncClient) -> dict[str, Any]:
    sarah = await register(api, "stellarsarah", "Sarah Johnson")
    marco = await register(api, "marco", "Marco Ruiz")
    # The list shows the newest first: the mural leads, the blank one comes last.
    await marco.create_canvas(name="Blank slate", description="Start something.",
                              width=32, height=32)
    sprite_canvas = await sarah.create_canvas(
        name="Retro sprites", description="8-bit friends.", width=6, height=4, tile_size=16,
        collaboration_mode="owner", max_tiles_per_user=64)
    garden_canvas = await marco.create_canvas(
        name="Pixel garden", description="Flowers, bees and the odd snail.",
        width=6, height=4, tile_size=16, max_tiles_per_user=64)
    mural = await sarah.create_canvas(
        name="Galaxy mural", description="A night sky, one tile each. Planets welcome.",
        width=16, height=10, tile_size=16, max_tiles_per_user=256)

    gaps = {(0, 0), (1, 0), (14, 0), (15, 0), (0, 1), (15, 1), (12, 7), (13, 7), (14, 8),
            (15, 8), (15, 9), (14, 9), (9, 1), (10, 1)}
    jobs: list[tuple[Account, int, int, int, str]] = []
    for x, y, pixels in tiles_of(night_sky, 16, 10, 16, lambda x, y: (x, y) not in gaps):
        jobs.append((sarah if (x + y) % 3 else marco, mural["id"], x, y, pixels))
    for x, y, pixels in tiles_of(garden, 6, 4, 16, lambda x, y: y >= 1):
        jobs.append((marco, garden_canvas["id"], x, y, pixels))
    for x, y, pixels in tiles_of(sprites, 6, 4, 16, lambda x, y: y < 3):
        jobs.append((sarah, sprite_canvas["id"], x, y, pixels))

    gate = asyncio.Semaphore(6)

    async def put(job: tuple[Account, int, int, int, str]) -> None:
        account, canvas_id, x, y, pixels = job
        async with gate:
            response = await account.post("/api/v1/tiles", {
                "canvas_id": canvas_id, "x": x, "y": y, "pixels": pixels})
            assert response.status_code == 201, response.text

    await asyncio.gather(*(put(job) for job in jobs))
    for account, text in [
        (sarah, "Evening! I started a night sky, grab any empty cell."),
        (marco, "Love it. I'm doing the rocket, then the hills."),
        (sarah, "The planet at @4,3 needs a second ring, anyone?"),
        (marco, "On it after the rocket!"),
    ]:
        response = await account.post(f"/api/v1/canvases/{mural['id']}/chat/messages",
                                      {"text": text})
        assert response.status_code == 201, response.text
    return {"sarah": sarah, "marco": marco, "mural": mural}


@pytest.fixture(scope="module")
async def world(server: ServerProcess) -> AsyncIterator[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as api:
        yield await _seed(api)


@pytest.fixture(scope="module")
async def marco(browser: Browser, server: ServerProcess,
                world: dict[str, Any]) -> AsyncIterator[Page]:
    """Marco's tab, on the mural for the whole module: the company Sarah sees."""
    user = await new_user(browser, "marco", "Marco Ruiz")
    page = await user.new_page()
    await _sign_in(page, server.base_url, "marco")
    await open_canvas(page, server.base_url, world["mural"]["id"])
    yield page
    await user.context.close()


async def _sign_in(page: Page, base_url: str, username: str) -> None:
    await page.goto(f"{base_url}/#/login")
    form = page.locator("#login-form")
    await expect(form).to_be_visible()
    await form.locator("#login-username").fill(username)
    await form.locator("#login-password").fill(PASSWORD)
    await form.locator("#login-submit").click()
    await page.wait_for_url("**/#/canvases")


async def _canvas_list_ready(page: Page) -> None:
    await expect(page.locator("#canvas-list li[data-canvas-id]")).to_have_count(4)
    await expect(page.locator("#canvas-list .canvas-card-thumb img")).to_have_count(3)
    await page.wait_for_function(
        "() => [...document.querySelectorAll('#canvas-list img')]"
        ".every((img) => img.complete && img.naturalWidth > 0)", timeout=ms(10))


def _check_files(directory: Path, device: str, viewport: dict[str, int]) -> list[str]:
    names = []
    for path in sorted(directory.glob(f"{device}-*.png")):
        with Image.open(path) as image:
            assert image.size == (viewport["width"], viewport["height"]), path.name
        assert path.stat().st_size <= MAX_BYTES, path.name
        names.append(path.stem)
    return names


@pytest.mark.parametrize("device", ["desktop", "phone"])
async def test_screenshots_of_the_main_views(
    browser: Browser, server: ServerProcess, world: dict[str, Any], marco: Page,
    shots_dir: Path, device: str,
) -> None:
    options: dict[str, Any] = (
        {"is_mobile": True, "has_touch": True, "device_scale_factor": 1}
        if device == "phone" else {}
    )
    viewport = PHONE if device == "phone" else DESKTOP
    sarah = await new_user(browser, "stellarsarah", "Sarah Johnson", viewport, **options)
    mural_id = world["mural"]["id"]
    try:
        page = await sarah.new_page()
        await page.goto(f"{server.base_url}/#/login")
        await expect(page.locator("#login-form")).to_be_visible()
        await expect(page.locator("#login-username")).to_be_focused()
        await save_shot(page, shots_dir, f"{device}-sign-in")

        await _sign_in(page, server.base_url, "stellarsarah")
        await _canvas_list_ready(page)
        await save_shot(page, shots_dir, f"{device}-canvases")

        # Marco is editing a cell of the mural when Sarah opens it from her list.
        await click_cell(marco, 12, 7)
        await marco.locator("#tile-edit-button").click()
        await expect(marco.locator("#tile-editor")).to_be_visible()
        await page.locator(f'#canvas-list li[data-canvas-id="{mural_id}"] a').click()
        await wait_connected(page, mural_id)
        await expect(page.locator("#presence-list [data-user-id]")).to_have_count(2)
        await expect(page.locator('#presence-list [data-editing="12,7"]')).to_have_count(1)
        await expect(page.locator("#chat-messages [data-message-id]")).to_have_count(4)
        await wait_canvas_colour(page, 5, 8, HILL)
        # ...then closes the editor and starts typing.
        await marco.locator("#editor-close").click()
        await marco.locator("#chat-input").fill("")
        await marco.locator("#chat-input").press_sequentially("Rocket done", delay=10)
        await expect(page.locator("#typing-indicator")).to_have_text("Marco Ruiz is typing…")
        await save_shot(page, shots_dir, f"{device}-canvas")
        if device == "phone":
            await page.locator("#tab-people").click()
            await expect(page.locator("#presence-list")).to_be_visible()
            await save_shot(page, shots_dir, f"{device}-people")
            await page.locator("#tab-chat").click()

        x, y = ROCKET_CELL
        await click_cell(page, x, y)
        await page.locator("#tile-edit-button").click()
        editor = page.locator("#tile-editor")
        await expect(editor).to_be_visible()
        await expect(page.locator("#editor-title")).to_have_text(f"Edit tile ({x}, {y})")
        await editor.locator('.swatch[data-colour="#fdd835"]').click()
        await save_shot(page, shots_dir, f"{device}-editor")
        await editor.locator("#editor-close").click()
        await expect(editor).to_be_hidden()
    finally:
        await sarah.context.close()

    expected = [f"{device}-{view}" for view in ("canvas", "canvases", "editor", "sign-in")]
    if device == "phone":
        expected.insert(3, "phone-people")
    assert _check_files(shots_dir, device, viewport) == expected
