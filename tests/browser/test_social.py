"""The social layer in two real browsers against a real server process: direct messages
with unread badges and read receipts, a status change seen by the other person, a like
that rings the bell, a tile comment that appears live, and the phone layout."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import PHONE, User, click_cell, ms, new_user, open_canvas, sign_up
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

pytestmark = pytest.mark.browser
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


@pytest.fixture(scope="module")
async def module_api(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as client:
        yield client


@pytest.fixture(scope="module")
async def pair(browser: Browser, server: ServerProcess,
               module_api: httpx.AsyncClient) -> AsyncIterator[Pair]:
    alice = await new_user(browser, "sally", "Sally Social")
    bob = await new_user(browser, "ben", "Ben Buddy")
    for user in (alice, bob):
        await sign_up(await user.page(), server.base_url, user, module_api)
    yield Pair(alice, bob)
    await alice.context.close()
    await bob.context.close()


@pytest.fixture
async def room(pair: Pair, server: ServerProcess) -> Room:
    canvas = await pair.alice.rest().create_canvas(
        name=f"Social room {next(_canvas_names)}", width=6, height=4, tile_size=16)
    a, b = await pair.alice.page(), await pair.bob.page()
    await asyncio.gather(open_canvas(a, server.base_url, canvas["id"]),
                         open_canvas(b, server.base_url, canvas["id"]))
    return Room(canvas, a, b)


@pytest.fixture(autouse=True)
def no_page_errors(pair: Pair) -> Any:
    for user in (pair.alice, pair.bob):
        user.watch.errors.clear()
        user.watch.dialogs.clear()
    yield
    for user in (pair.alice, pair.bob):
        assert user.watch.errors == [], f"{user.username}: {user.watch.errors}"
        assert user.watch.dialogs == [], f"{user.username}: {user.watch.dialogs}"


async def _close_drawer(page: Page) -> None:
    if await page.locator("#social-drawer").is_visible():
        await page.locator("#social-drawer-close").click()
        await expect(page.locator("#social-drawer")).to_be_hidden()


async def test_two_people_exchange_direct_messages(pair: Pair, room: Room) -> None:
    a, b = room.a, room.b
    bob_id = pair.bob.rest().id
    await a.locator("#dm-button").click()
    await expect(a.locator("#dm-panel")).to_be_visible()
    await expect(a.locator(f'#dm-new-peer option[value="{bob_id}"]')).to_have_count(1)
    await a.locator("#dm-new-peer").select_option(str(bob_id))
    await a.locator("#dm-new-open").click()
    await expect(a.locator("#dm-peer-name")).to_have_text("Ben Buddy")
    await a.locator("#dm-input").fill("<b>hi Ben</b>, coffee?")
    await a.locator("#dm-send").click()
    await expect(a.locator("#dm-thread .dm-message")).to_have_count(1)

    # Ben sees an unread badge without a reload, opens the conversation, and it clears.
    await expect(b.locator("#dm-unread")).to_have_text("1", timeout=ms(10))
    await b.locator("#dm-button").click()
    conversation = b.locator(f'.dm-conversation[data-user-id="{pair.alice.rest().id}"]')
    await expect(conversation).to_have_attribute("data-unread", "1")
    await conversation.click()
    message = b.locator("#dm-thread .dm-message .dm-text").first
    await expect(message).to_have_text("<b>hi Ben</b>, coffee?")  # text, never markup
    assert await b.locator("#dm-thread b").count() == 0
    await expect(b.locator("#dm-unread")).to_be_hidden()

    # Sally's page marks her message read, and Ben's reply arrives live in her thread.
    await expect(a.locator("#dm-thread .dm-mine .dm-meta").first).to_contain_text("read")
    await b.locator("#dm-input").fill("Sure!")
    await b.locator("#dm-input").press("Enter")
    await expect(a.locator("#dm-thread .dm-message .dm-text").last).to_have_text("Sure!")
    await expect(a.locator("#dm-unread")).to_be_hidden()  # her thread is open: read at once
    await _close_drawer(a)
    await _close_drawer(b)


async def test_a_status_change_is_seen_by_the_other(pair: Pair, room: Room) -> None:
    a, b = room.a, room.b
    await a.locator("#status-button").click()
    await a.locator("#custom-status").select_option("busy")
    await a.locator("#custom-status-message").fill("inking the rings")
    await a.locator("#custom-status-emoji").fill("🪐")
    await a.locator("#custom-status-save").click()
    await expect(a.locator("#status-button")).to_have_text("🪐 busy")
    alice_entry = b.locator(f'#presence-list [data-user-id="{pair.alice.rest().id}"]')
    await expect(alice_entry).to_contain_text("busy", timeout=ms(10))
    await expect(alice_entry).to_contain_text("🪐 busy — inking the rings")
    await a.locator("#custom-status").select_option("online")
    await a.locator("#custom-status-message").fill("")
    await a.locator("#custom-status-emoji").fill("")
    await a.locator("#custom-status-save").click()
    await expect(alice_entry).not_to_contain_text("busy", timeout=ms(10))
    await _close_drawer(a)


async def test_a_like_rings_the_bell(pair: Pair, room: Room) -> None:
    a, b = room.a, room.b
    tile = await pair.alice.rest().create_tile(room.canvas["id"], 1, 1, size=16)
    before = await a.evaluate("() => window.stellar.social.store.unreadNotifications")
    await expect(b.locator("#tile-info")).to_be_hidden()
    await b.wait_for_function(
        "(id) => [...window.stellar.state.tiles.values()].some((t) => t.id === id)",
        arg=tile["id"])
    await click_cell(b, 1, 1)
    await b.locator("#tile-like-button").click()
    await expect(a.locator("#notification-unread")).to_have_text(str(before + 1),
                                                                   timeout=ms(10))
    await a.locator("#notification-button").click()
    first = a.locator("#notification-list .notification").first
    await expect(first).to_have_attribute("data-kind", "tile_liked")
    await expect(first).to_contain_text("Ben Buddy liked your tile")
    await a.locator("#notification-read-all").click()
    await expect(a.locator("#notification-unread")).to_be_hidden()
    await _close_drawer(a)
    # Ben liked; his own bell stays quiet.
    assert await b.locator("#notification-list .notification[data-kind='tile_liked']").count() == 0


async def test_a_tile_comment_appears_live(pair: Pair, room: Room) -> None:
    a, b = room.a, room.b
    # Made over REST on behalf of no open tab, so both pages get it live.
    tile = await pair.alice.rest().create_tile(room.canvas["id"], 2, 2, size=16,
                                               headers={"X-Connection-ID": "elsewhere"})
    for page in (a, b):
        await page.wait_for_function(
            "(id) => [...window.stellar.state.tiles.values()].some((t) => t.id === id)",
            arg=tile["id"])
        await click_cell(page, 2, 2)
        await expect(page.locator("#tile-comments")).to_be_visible()
    await b.locator("#tile-comment-input").fill("Lovely <i>shading</i>")
    await b.locator("#tile-comment-send").click()
    comment = a.locator("#tile-comments-list .tile-comment .tile-comment-text")
    await expect(comment).to_have_text("Lovely <i>shading</i>", timeout=ms(10))
    activity = a.locator('#activity-list .activity-entry[data-kind="tile_comment"]')
    await expect(activity).to_have_count(1)
    await expect(activity).to_contain_text("Ben Buddy")


async def test_phone_layout(browser: Browser, server: ServerProcess, pair: Pair,
                            module_api: httpx.AsyncClient) -> None:
    phone = await new_user(browser, "phoebe", "Phoebe Phone", viewport=PHONE,
                           is_mobile=True, has_touch=True)
    try:
        page = await phone.page()
        await sign_up(page, server.base_url, phone, module_api)
        await pair.alice.rest().post(f"/api/v1/dm/{phone.rest().id}/messages",
                                     {"text": "welcome on the small screen"})
        canvas = await pair.alice.rest().create_canvas(name="Phone room", width=4, height=4)
        await open_canvas(page, server.base_url, canvas["id"])
        await expect(page.locator("#dm-unread")).to_have_text("1")
        await page.locator("#dm-button").click()
        drawer = page.locator("#social-drawer")
        await expect(drawer).to_be_visible()
        box = await drawer.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        await page.locator(".dm-conversation").first.click()
        await expect(page.locator("#dm-thread .dm-text")).to_have_text(
            "welcome on the small screen")
        await page.locator("#social-drawer-close").click()
        await page.locator("#tab-activity").click()
        await expect(page.locator("#activity-panel")).to_be_visible()
        await expect(page.locator("#chat-panel")).to_be_hidden()
        assert phone.watch.errors == []
    finally:
        await phone.context.close()


async def test_a_message_arrives_off_any_canvas(pair: Pair, server: ServerProcess) -> None:
    """On the canvas list there is no canvas socket: the page's user socket brings it."""
    b = await pair.bob.page()
    await b.goto(f"{server.base_url}/#/canvases")
    await expect(b.locator("#canvas-list")).to_be_visible()
    before = await b.evaluate("() => window.stellar.social.store.unreadDirectMessages")
    sent = await pair.alice.rest().post(f"/api/v1/dm/{pair.bob.rest().id}/messages",
                                        {"text": "are you there?"})
    assert sent.status_code == 201
    await expect(b.locator("#dm-unread")).to_have_text(str(before + 1), timeout=ms(10))
