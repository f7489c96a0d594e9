"""Moderation in the browser, against a real server process: an owner mutes and then
bans a user from the people list and that user sees why; a user reports a message from
the chat and an admin resolves the report on the admin page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import User, ms, new_user, open_canvas, sign_up
from tests.support.clients import Account
from tests.support.cluster import grant_admin
from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

pytestmark = pytest.mark.browser


@dataclass
class Cast:
    owner: User
    bob: User
    admin: User


@pytest.fixture(scope="module")
async def module_api(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as client:
        yield client


async def sign_in_again(page: Page, user: User, api: httpx.AsyncClient) -> None:
    """Sign out, then in through #login-form; ``user.account`` follows the new token."""
    await page.locator("#logout-button").click()
    form = page.locator("#login-form")
    await expect(form).to_be_visible()
    await form.locator("#login-username").fill(user.username)
    await form.locator("#login-password").fill("correct-horse-battery")
    await form.locator("#login-submit").click()
    await page.wait_for_url("**/#/canvases", timeout=ms(10))
    token = await page.evaluate("() => localStorage.getItem('auth_token')")
    assert token and user.account is not None
    user.account = Account(api, {"access_token": token, "user": user.account.user})


@pytest.fixture(scope="module")
async def cast(browser: Browser, server: ServerProcess,
               module_api: httpx.AsyncClient) -> AsyncIterator[Cast]:
    owner = await new_user(browser, "olivia", "Olivia Owner")
    bob = await new_user(browser, "bob", "Bob Baker")
    admin = await new_user(browser, "ada", "Ada Admin")
    for user in (owner, bob, admin):
        await sign_up(await user.page(), server.base_url, user, module_api)
    await asyncio.to_thread(grant_admin, server, admin.username)
    # A running server sees a grant made from the command line on tokens issued after it
    # (sockets of older tokens: once the admission cache lets go, within seconds).
    await sign_in_again(await admin.page(), admin, module_api)
    yield Cast(owner, bob, admin)
    for user in (owner, bob, admin):
        await user.context.close()


@pytest.fixture(autouse=True)
def no_page_errors(cast: Cast) -> Any:
    for user in (cast.owner, cast.bob, cast.admin):
        user.watch.errors.clear()
        user.watch.dialogs.clear()
    yield
    for user in (cast.owner, cast.bob, cast.admin):
        assert user.watch.errors == [], f"{user.username}: {user.watch.errors}"
        assert user.watch.dialogs == [], f"{user.username}: {user.watch.dialogs}"


async def show_panel(page: Page, name: str) -> None:
    """On narrow screens the side panels are tabs; on wide ones both show at once."""
    tab = page.locator(f"#tab-{name}")
    if await tab.is_visible():
        await tab.click()


async def moderate_from_people(page: Page, user_id: int, action: str, reason: str) -> None:
    """Open the people tab, the user's Moderate menu, and confirm ``action``."""
    await show_panel(page, "people")
    person = page.locator(f'#presence-list [data-user-id="{user_id}"]')
    await person.locator(".moderate-button").click()
    dialog = page.locator("#moderation-dialog")
    await expect(dialog).to_be_visible()
    await dialog.locator("#moderation-action").select_option(action)
    await dialog.locator("#moderation-reason").fill(reason)
    await dialog.locator("#moderation-submit").click()
    await expect(dialog).to_be_hidden()


async def test_owner_mutes_then_bans_from_the_people_list_and_the_user_sees_why(
    cast: Cast, server: ServerProcess
) -> None:
    canvas = await cast.owner.rest().create_canvas(name="Moderated", width=8, height=6,
                                                   tile_size=16)
    owner_page, bob_page = await cast.owner.page(), await cast.bob.page()
    await asyncio.gather(open_canvas(owner_page, server.base_url, canvas["id"]),
                         open_canvas(bob_page, server.base_url, canvas["id"]))
    bob_id = cast.bob.rest().id
    await expect(owner_page.locator(f'#presence-list [data-user-id="{bob_id}"]')).to_be_visible()
    # A plain user sees Report on others but no Moderate button.
    await show_panel(bob_page, "people")
    owner_item = bob_page.locator(f'#presence-list [data-user-id="{cast.owner.rest().id}"]')
    await expect(owner_item.locator(".report-user-button")).to_be_visible()
    await expect(owner_item.locator(".moderate-button")).to_have_count(0)

    await moderate_from_people(owner_page, bob_id, "mute", "Shouting in chat")
    banner = bob_page.locator("#moderation-banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_have_attribute("data-kind", "muted")
    await expect(banner).to_contain_text("You are muted on this canvas")
    await expect(banner).to_contain_text("Shouting in chat")
    await show_panel(bob_page, "chat")
    await bob_page.locator("#chat-input").fill("can anyone hear me?")
    await bob_page.locator("#chat-send").click()
    await expect(bob_page.locator("#chat-error")).to_contain_text("You are muted on this canvas")

    await moderate_from_people(owner_page, bob_id, "ban", "Vandalism")
    await expect(banner).to_have_attribute("data-kind", "banned", timeout=ms(10))
    await expect(banner).to_contain_text("You are banned from this canvas")
    await expect(banner).to_contain_text("Vandalism")
    await expect(bob_page.locator("#connection-status")).to_have_attribute(
        "data-connection-state", "failed")
    # Coming back is refused, and the page says why again.
    await bob_page.reload()
    await expect(bob_page.locator("#moderation-banner")).to_have_attribute(
        "data-kind", "banned", timeout=ms(15))
    await expect(bob_page.locator("#moderation-banner")).to_contain_text("Vandalism")


async def test_admin_resolves_a_report_on_the_admin_page(
    cast: Cast, server: ServerProcess
) -> None:
    canvas = await cast.owner.rest().create_canvas(name="Reported", width=8, height=6,
                                                   tile_size=16)
    owner_page, bob_page = await cast.owner.page(), await cast.bob.page()
    await asyncio.gather(open_canvas(owner_page, server.base_url, canvas["id"]),
                         open_canvas(bob_page, server.base_url, canvas["id"]))
    # The admin page is open before the report is made: the report arrives live.
    admin_page = await cast.admin.page()
    await admin_page.goto(f"{server.base_url}/admin.html")
    await expect(admin_page.locator("body")).to_have_attribute("data-ready", "true")
    await expect(admin_page.locator("body")).to_have_attribute("data-live", "true")
    await show_panel(owner_page, "chat")
    await owner_page.locator("#chat-input").fill("buy cheap pixels at example.com")
    await owner_page.locator("#chat-send").click()
    await show_panel(bob_page, "chat")
    message = bob_page.locator("#chat-messages [data-message-id]").filter(
        has_text="buy cheap pixels")
    await message.locator(".report-message-button").click()
    dialog = bob_page.locator("#moderation-dialog")
    await expect(dialog).to_have_attribute("data-mode", "report")
    await dialog.locator("#moderation-reason").fill("Spam link")
    await dialog.locator("#moderation-submit").click()
    await expect(bob_page.locator("#toast")).to_contain_text("report was sent")

    report = admin_page.locator("#admin-reports [data-report-id]").filter(has_text="Spam link")
    await expect(report).to_contain_text("buy cheap pixels")
    await report.locator(".report-note").fill("Removed the link")
    await report.locator(".resolve-button").click()
    await expect(report).to_have_count(0)
    audit = admin_page.locator('#admin-audit [data-action="resolve_report"]').first
    await expect(audit).to_contain_text("Removed the link")
    reports = await cast.admin.rest().get("/api/v1/admin/reports",
                                          params={"status": "resolved"})
    resolved = [r for r in reports.json()["items"] if r["reason"] == "Spam link"]
    assert [(r["resolution_note"], r["resolved_by"]) for r in resolved] == [
        ("Removed the link", cast.admin.rest().id)]
    # Announcements are published and removed from the same page.
    await admin_page.locator("#admin-announcement-text").fill("Pixel party on Friday")
    await admin_page.locator("#admin-announcement-send").click()
    announcement = admin_page.locator("#admin-announcements [data-announcement-id]").filter(
        has_text="Pixel party on Friday")
    await expect(announcement).to_have_count(1)
    await announcement.get_by_role("button", name="Remove").click()
    await expect(announcement).to_have_count(0)
    # A plain user gets no admin page.
    await bob_page.goto(f"{server.base_url}/admin.html")
    await expect(bob_page.locator("#admin-denied")).to_have_text("Admin rights required.")
