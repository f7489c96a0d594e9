"""Driving the web page like a person would, plus reads of its test hooks
(``window.stellar``, documented at the top of web/js/app.js)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page, expect

from tests.support.clients import Account
from tests.support.timeouts import scaled

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def ms(seconds: float) -> float:
    """A Playwright timeout (milliseconds), scaled for slow machines."""
    return scaled(seconds) * 1000


@dataclass
class PageWatch:
    """What a page did that a test should know about: dialogs, uncaught errors."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> Page:
        async def on_dialog(dialog: Dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            await dialog.dismiss()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.console_errors.append(message.text)

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", on_console)
        return page


@dataclass
class User:
    """A person with a browser context of their own (own localStorage, own cookies)."""

    context: BrowserContext
    username: str
    display_name: str
    watch: PageWatch = field(default_factory=PageWatch)
    account: Account | None = None
    tab: Page | None = None

    async def new_page(self) -> Page:
        page = await self.context.new_page()
        page.set_default_timeout(ms(10))
        return self.watch.attach(page)

    async def page(self) -> Page:
        """Their main tab, kept open between tests (a new one once it was closed)."""
        if self.tab is None or self.tab.is_closed():
            self.tab = await self.new_page()
        return self.tab

    def rest(self) -> Account:
        assert self.account is not None, "sign up first"
        return self.account


async def new_user(browser: Browser, username: str, display_name: str,
                   viewport: dict[str, int] | None = None, **context_options: Any) -> User:
    context = await browser.new_context(
        viewport=viewport or DESKTOP,  # type: ignore[arg-type]
        color_scheme="light", reduced_motion="reduce", **context_options,
    )
    return User(context=context, username=username, display_name=display_name)


async def sign_up(page: Page, base_url: str, user: User, api: httpx.AsyncClient) -> None:
    """Sign up through #signup-form; afterwards ``user.account`` talks REST as them."""
    await page.goto(f"{base_url}/#/signup")
    form = page.locator("#signup-form")
    await expect(form).to_be_visible()
    await form.locator("#signup-username").fill(user.username)
    await form.locator("#signup-email").fill(f"{user.username}@example.com")
    await form.locator("#signup-display-name").fill(user.display_name)
    await form.locator("#signup-password").fill("correct-horse-battery")
    await form.locator("#signup-submit").click()
    await page.wait_for_url("**/#/canvases", timeout=ms(10))
    await expect(page.locator("#current-user")).to_have_text(user.display_name)
    stored = await page.evaluate(
        "() => ({token: localStorage.getItem('auth_token'),"
        " user: localStorage.getItem('auth_user')})"
    )
    assert stored["token"], "the page did not keep its token"
    user.account = Account(api, {"access_token": stored["token"],
                                 "user": json.loads(stored["user"])})


async def wait_connected(page: Page, canvas_id: int, timeout: float = 15) -> None:
    await expect(page.locator("#connection-status")).to_have_attribute(
        "data-state", "connected", timeout=ms(timeout))
    await page.wait_for_function(
        "(id) => window.stellar.state.canvasId === id"
        " && window.stellar.state.connectionState === 'connected'",
        arg=canvas_id, timeout=ms(timeout))
    await expect(page.locator("#canvas-loading")).to_be_hidden(timeout=ms(timeout))


async def open_canvas(page: Page, base_url: str, canvas_id: int) -> None:
    await page.goto(f"{base_url}/#/canvas/{canvas_id}")
    await wait_connected(page, canvas_id)


CELL_POINT_JS = """([x, y, fx, fy]) => {
  // Where a cell is on #canvas-view now, from the renderer's own pan and zoom.
  const view = window.stellar.renderer.viewport;
  const ts = window.stellar.state.canvas.tile_size;
  return {x: (x + fx) * ts * view.scale + view.offsetX,
          y: (y + fy) * ts * view.scale + view.offsetY,
          dpr: window.devicePixelRatio || 1};
}"""


async def cell_point(page: Page, x: int, y: int, fx: float = 0.5,
                     fy: float = 0.5) -> dict[str, float]:
    """A point inside cell (x, y), in CSS pixels relative to #canvas-view."""
    point: dict[str, float] = await page.evaluate(CELL_POINT_JS, [x, y, fx, fy])
    return point


async def click_cell(page: Page, x: int, y: int) -> None:
    """Click a cell on the canvas; the tile card for exactly that cell opens."""
    card = page.locator("#tile-info")
    if await card.is_visible():  # it may cover the cell
        await card.locator("#tile-info-close").click()
        await expect(card).to_be_hidden()
    point = await cell_point(page, x, y)
    await page.locator("#canvas-view").click(position={"x": point["x"], "y": point["y"]})
    await expect(card).to_be_visible()
    await expect(card).to_have_attribute("data-x", str(x))
    await expect(card).to_have_attribute("data-y", str(y))


CANVAS_PIXEL_JS = """([px, py]) => {
  const element = document.getElementById('canvas-view');
  const data = element.getContext('2d').getImageData(Math.floor(px), Math.floor(py), 1, 1).data;
  return [data[0], data[1], data[2], data[3]];
}"""


async def wait_canvas_pixel(page: Page, x: int, y: int, predicate: str,
                            fx: float = 0.5, fy: float = 0.5, timeout: float = 10) -> None:
    """Wait until the on-screen pixel at a point of cell (x, y) satisfies ``predicate``,
    a JS expression over ``r``, ``g``, ``b`` (checked on every animation frame)."""
    point = await cell_point(page, x, y, fx, fy)
    await page.wait_for_function(
        f"""([px, py]) => {{
          const [r, g, b] = ({CANVAS_PIXEL_JS})([px, py]);
          return {predicate};
        }}""",
        arg=[point["x"] * point["dpr"], point["y"] * point["dpr"]],
        timeout=ms(timeout), polling="raf")


async def wait_canvas_colour(page: Page, x: int, y: int, rgb: tuple[int, int, int],
                             fx: float = 0.5, fy: float = 0.5, timeout: float = 10) -> None:
    """Wait until the on-screen canvas shows ``rgb`` (within 2 per channel) in cell (x, y)."""
    channels = zip("rgb", rgb, strict=True)
    close = " && ".join(f"Math.abs({name} - {want}) <= 2" for name, want in channels)
    await wait_canvas_pixel(page, x, y, close, fx, fy, timeout)


def tile_pixel(tile: dict[str, Any], size: int, px: int, py: int) -> tuple[int, int, int, int]:
    raw = base64.b64decode(tile["pixels"])
    offset = (py * size + px) * 4
    r, g, b, a = raw[offset:offset + 4]
    return r, g, b, a


async def state_tile(page: Page, x: int, y: int) -> dict[str, Any] | None:
    tile: dict[str, Any] | None = await page.evaluate(
        "(key) => { const t = window.stellar.state.tiles.get(key); return t ? {...t} : null; }",
        f"{x},{y}")
    return tile


async def wait_state_tile(page: Page, x: int, y: int, version: int = 1,
                          timeout: float = 10) -> dict[str, Any]:
    """Wait until the page holds the tile of cell (x, y) at ``version`` or newer, asking for
    its region's facts as the page does when the cell is pointed at."""
    await page.wait_for_function(
        """([x, y, version]) => {
          const stellar = window.stellar;
          stellar.canvasManager.ensureRegionFacts(x, y).catch(() => {});
          return (stellar.state.tiles.get(`${x},${y}`)?.version ?? 0) >= version;
        }""",
        arg=[x, y, version], timeout=ms(timeout))
    tile = await state_tile(page, x, y)
    assert tile is not None
    return tile


async def record_connection_states(page: Page) -> None:
    """Keep every connection state the page goes through in window.__states."""
    await page.evaluate("""() => {
      window.__states = [];
      window.stellar.eventManager.on('connectionStateChanged',
        (change) => window.__states.push(change.state));
    }""")


async def connection_states(page: Page) -> list[str]:
    states: list[str] = await page.evaluate("() => window.__states.slice()")
    return states
