"""Two people on one canvas, each in their own browser context, against a real server
process: live tiles, chat with typing, presence, tile mentions, recovery after a server
restart, and chat text that must stay text."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, expect

from tests.browser.pages import (
    User,
    click_cell,
    connection_states,
    ms,
    new_user,
    open_canvas,
    record_connection_states,
    sign_up,
    state_tile,
    tile_pixel,
    wait_canvas_colour,
    wait_canvas_pixel,
    wait_connected,
    wait_state_tile,
)
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

pytestmark = pytest.mark.browser

RED = (229, 57, 53)  # palette #e53935
BLUE = (30, 136, 229)  # palette #1e88e5
TICKET_URL = "**/api/v1/ws/ticket"
_canvas_names = itertools.count(1)


@dataclass
class Pair:
    alice: User
    bob: User


@dataclass
class Room:
    canvas: dict[str, Any]
    a: Page
    b: Page

    @property
    def id(self) -> int:
        return int(self.canvas["id"])


@pytest.fixture(scope="module")
async def module_api(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as client:
        yield client


@pytest.fixture(scope="module")
async def pair(browser: Browser, server: ServerProcess,
               module_api: httpx.AsyncClient) -> AsyncIterator[Pair]:
    """Alice and Bob, signed up through the page's own sign-up form."""
    alice = await new_user(browser, "alice", "Alice Archer")
    bob = await new_user(browser, "bob", "Bob Baker")
    for user in (alice, bob):
        await sign_up(await user.page(), server.base_url, user, module_api)
    yield Pair(alice, bob)
    await alice.context.close()
    await bob.context.close()


@pytest.fixture
async def room(pair: Pair, server: ServerProcess) -> Room:
    """A fresh canvas (made over REST), opened in each one's tab."""
    canvas = await pair.alice.rest().create_canvas(
        name=f"Room {next(_canvas_names)}", width=8, height=6, tile_size=16)
    a = await pair.alice.page()
    b = await pair.bob.page()
    await asyncio.gather(open_canvas(a, server.base_url, canvas["id"]),
                         open_canvas(b, server.base_url, canvas["id"]))
    return Room(canvas, a, b)


@pytest.fixture(autouse=True)
def no_page_errors(pair: Pair) -> Any:
    """No test may leave an uncaught error or a dialog behind in either page."""
    for user in (pair.alice, pair.bob):
        user.watch.errors.clear()
        user.watch.dialogs.clear()
    yield
    for user in (pair.alice, pair.bob):
        assert user.watch.errors == [], f"{user.username}: {user.watch.errors}"
        assert user.watch.dialogs == [], f"{user.username}: {user.watch.dialogs}"


async def _draw_red_tile_with_blue_line(page: Page) -> None:
    """In the open editor: fill the tile red, then draw a blue line across its middle."""
    editor = page.locator("#tile-editor")
    await expect(editor).to_be_visible()
    await editor.locator('.swatch[data-colour="#e53935"]').click()
    await editor.locator("#tool-fill").click()
    surface = editor.locator("#editor-canvas")
    await surface.click(position={"x": 5, "y": 5})
    await editor.locator('.swatch[data-colour="#1e88e5"]').click()
    await editor.locator("#tool-pencil").click()
    box = await surface.bounding_box()
    assert box is not None
    row_y = box["y"] + box["height"] * (8.5 / 16)  # pixel row 8 of 16
    await page.mouse.move(box["x"] + 2, row_y)
    await page.mouse.down()
    await page.mouse.move(box["x"] + box["width"] - 2, row_y, steps=12)
    await page.mouse.up()


async def test_a_tile_drawn_in_one_browser_appears_in_the_other(
    pair: Pair, server: ServerProcess
) -> None:
    """Alice makes a canvas with the form, Bob opens it from his list; Alice draws a tile
    in the editor and saves; Bob's page shows it without a reload."""
    a = await pair.alice.page()
    b = await pair.bob.page()
    await a.goto(f"{server.base_url}/#/canvases")
    form = a.locator("#create-canvas-form")
    await form.locator("#create-name").fill("Shared mural")
    await form.locator("#create-width").fill("8")
    await form.locator("#create-height").fill("6")
    await form.locator("#create-tile-size").select_option("16")
    await form.locator("#create-canvas-submit").click()
    await a.wait_for_url("**/#/canvas/*")
    canvas_id = int(a.url.rsplit("/", 1)[1])
    await wait_connected(a, canvas_id)

    # Bob has had his list open since he signed up: he refreshes it.
    await expect(b.locator("#view-canvases")).to_be_visible()
    await b.locator("#canvas-list-refresh").click()
    entry = b.locator(f'#canvas-list li[data-canvas-id="{canvas_id}"]')
    await expect(entry).to_contain_text("Shared mural")
    await entry.locator("a").click()
    await wait_connected(b, canvas_id)
    await expect(b.locator("#canvas-title")).to_have_text("Shared mural")
    await b.evaluate("() => { window.__loaded = performance.timeOrigin; }")

    await click_cell(a, 3, 2)
    await a.locator("#tile-edit-button").click()
    await expect(a.locator("#editor-title")).to_have_text("New tile (3, 2)")
    await _draw_red_tile_with_blue_line(a)
    await a.locator("#editor-save").click()
    await expect(a.locator("#tile-editor")).to_be_hidden()
    await expect(a.locator("#toast")).to_contain_text("Tile (3, 2) saved.")

    tile = await wait_state_tile(b, 3, 2)
    assert tile["creator_username"] == "alice"
    assert tile_pixel(tile, 16, 2, 2) == (*RED, 255)
    assert tile_pixel(tile, 16, 8, 8) == (*BLUE, 255)
    await wait_canvas_colour(b, 3, 2, RED, fx=0.25, fy=0.2)
    await wait_canvas_colour(b, 3, 2, BLUE, fx=0.5, fy=8.5 / 16)
    # No reload happened: it is still the document Bob loaded.
    assert await b.evaluate("() => window.__loaded === performance.timeOrigin")


async def test_chat_shows_typing_first_then_the_message(room: Room) -> None:
    indicator = room.b.locator("#typing-indicator")
    await expect(indicator).to_have_text("")
    await room.a.locator("#chat-input").press_sequentially("Hello Bob", delay=20)

    await expect(indicator).to_have_text("Alice Archer is typing…")
    # Only typing so far: the message is not there yet.
    assert await room.b.locator("#chat-messages [data-message-id]").count() == 0

    await room.a.locator("#chat-send").click()
    message = room.b.locator("#chat-messages [data-message-id]")
    await expect(message).to_have_count(1)
    await expect(message.locator(".chat-message-text")).to_have_text("Hello Bob")
    await expect(message.locator(".chat-message-author")).to_have_text("Alice Archer")
    await expect(indicator).to_have_text("")
    # Alice sees her own message confirmed by the server (no longer pending).
    mine = room.a.locator('#chat-messages [data-message-id][data-mine="true"]')
    await expect(mine).to_have_count(1)
    await expect(room.a.locator('#chat-messages [data-pending="true"]')).to_have_count(0)


async def test_presence_lists_both_and_drops_one_whose_page_closes(
    pair: Pair, room: Room
) -> None:
    alice_id = pair.alice.rest().id
    bob_id = pair.bob.rest().id
    for page in (room.a, room.b):
        await expect(page.locator(f'#presence-list [data-user-id="{alice_id}"]')).to_be_visible()
        await expect(page.locator(f'#presence-list [data-user-id="{bob_id}"]')).to_be_visible()
        await expect(page.locator("#presence-list [data-user-id]")).to_have_count(2)
    await expect(room.b.locator(f'#presence-list [data-user-id="{bob_id}"]')).to_contain_text(
        "(you)")

    await room.a.close()
    await expect(room.b.locator(f'#presence-list [data-user-id="{alice_id}"]')).to_have_count(
        0, timeout=ms(10))
    await expect(room.b.locator("#presence-list [data-user-id]")).to_have_count(1)
    users = await room.b.evaluate("() => window.stellar.state.users.map((u) => u.user_id)")
    assert users == [bob_id]


async def test_a_tile_mention_highlights_the_tile_for_the_other(room: Room) -> None:
    await room.a.locator("#chat-input").fill("Look at @5,4 please")
    await room.a.locator("#chat-input").press("Enter")

    await room.b.wait_for_function(
        "() => window.stellar.state.highlightedTiles.includes('5,4')", timeout=ms(5))
    highlight = await room.b.evaluate(
        "() => window.stellar.state.highlights.find((h) => h.key === '5,4')")
    assert highlight["highlight_type"] == "mention"
    assert highlight["username"] == "Alice Archer"  # from the server's tile_highlight
    assert highlight["message"] == "Look at @5,4 please"
    # Drawn too: the empty (white) cell is tinted amber while the highlight lasts.
    await wait_canvas_pixel(room.b, 5, 4, "r > 240 && r - b > 15", timeout=3)

    # The mention in Bob's chat is a link to the tile.
    link = room.b.locator("#chat-messages .mention-link")
    await expect(link).to_have_text("@5,4")
    await expect(link).to_have_attribute("data-tile-x", "5")
    await expect(link).to_have_attribute("data-tile-y", "4")


async def test_chat_markup_is_shown_as_text(pair: Pair, room: Room) -> None:
    payload = "<img src=x onerror=alert(1)>"
    await room.a.locator("#chat-input").fill(payload)
    await room.a.locator("#chat-send").click()

    for page in (room.b, room.a):
        message = page.locator("#chat-messages [data-message-id]")
        await expect(message).to_have_count(1)
        text = message.locator(".chat-message-text")
        await expect(text).to_have_text(payload)
        assert await text.evaluate("(el) => el.textContent") == payload
        assert await page.locator("#chat-messages img").count() == 0
        assert await page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    # Stored as sent, not escaped by the server.
    history = await pair.bob.rest().get(f"/api/v1/canvases/{room.id}/chat/messages")
    assert [item["text"] for item in history.json()["items"]] == [payload]
    # The autouse fixture checks that no dialog opened (no alert ran) in either page.


async def _hold_reconnects(page: Page, released: asyncio.Event) -> None:
    """Hold the page's next socket tickets (its reconnect attempts) until ``released``."""
    async def handle(route: Route) -> None:
        await released.wait()
        await route.continue_()

    await page.route(TICKET_URL, handle)


async def test_both_pages_reconnect_after_a_restart_and_catch_up(
    pair: Pair, room: Room, server: ServerProcess
) -> None:
    for page in (room.a, room.b):
        await record_connection_states(page)
    await pair.alice.rest().create_tile(room.id, 0, 0, size=16)
    await wait_state_tile(room.b, 0, 0)
    released = asyncio.Event()
    for page in (room.a, room.b):
        await _hold_reconnects(page, released)

    server.kill()
    for page in (room.a, room.b):
        await expect(page.locator("#connection-status")).to_have_attribute(
            "data-state", "reconnecting", timeout=ms(10))

    # Written while the server is down: kept and sent once the page is back.
    await room.a.locator("#chat-input").fill("sent while offline")
    await room.a.locator("#chat-input").press("Enter")
    await expect(room.a.locator('#chat-messages [data-pending="true"]')).to_have_count(1)

    await asyncio.to_thread(server.restart)
    # Changes made while both pages are still away (their reconnects are held back
    # until now), so they can only learn of them by catching up.
    tile = await pair.bob.rest().create_tile(room.id, 1, 1, size=16)
    chat = await pair.bob.rest().post(f"/api/v1/canvases/{room.id}/chat/messages",
                                      {"text": "posted during the outage"})
    assert chat.status_code == 201, chat.text
    for page in (room.a, room.b):
        assert await page.evaluate("() => window.stellar.state.connectionState") != "connected"
        assert await state_tile(page, 1, 1) is None
    released.set()

    for page in (room.a, room.b):
        await wait_connected(page, room.id, timeout=40)
        caught_up = await wait_state_tile(page, 1, 1)
        assert caught_up["id"] == tile["id"]
        await wait_state_tile(page, 0, 0)
        texts = page.locator("#chat-messages [data-message-id] .chat-message-text")
        await expect(texts.filter(has_text="posted during the outage")).to_have_count(1)
        await expect(texts.filter(has_text="sent while offline")).to_have_count(
            1, timeout=ms(10))
        states = await connection_states(page)
        assert "reconnecting" in states, states
        assert states[-1] == "connected", states
    for page in (room.a, room.b):
        await page.unroute(TICKET_URL)
    await expect(room.a.locator('#chat-messages [data-pending="true"]')).to_have_count(0)
    await wait_canvas_colour(room.a, 1, 1, (255, 0, 0))
    await wait_canvas_colour(room.b, 1, 1, (255, 0, 0))
    history = await pair.bob.rest().get(f"/api/v1/canvases/{room.id}/chat/messages")
    assert sorted(item["text"] for item in history.json()["items"]) == [
        "posted during the outage", "sent while offline"]
