"""A 256x256 canvas with every cell filled (65,536 tiles, seeded straight into the
database): it opens with the whole picture in two seconds, within 5 MB, pans and zooms at
50 frames a second or better, and shows another person's tile within 250 ms.

The figures are printed (run with -s) and written to docs/PERFORMANCE.md by hand. The
timed assertions allow for a busy shared machine (LOADED_MARGIN over each target, and the
suite's timeout factor); the byte budget is exact."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, CDPSession, Page

from tests.api.helpers import rgba_tile
from tests.browser.pages import DESKTOP, ms
from tests.support.server_process import ServerProcess, server_env
from tests.support.timeouts import scaled

pytestmark = pytest.mark.browser

SIDE = 256
OPEN_TARGET_MS, LIVE_TARGET_MS, FPS_TARGET = 2000, 250, 50
LOADED_MARGIN = 2.5  # a busy shared machine (load average 10 on 2 cores) slows everything
OWNER, PASSWORD = "seed", "seed-password"
# Three redraws of one cell, each a colour the picture does not have (checked by channel).
COLOURS = [((0, 230, 118, 255), "r < 20 && g > 200 && b > 100 && b < 140"),
           ((0, 120, 255, 255), "r < 20 && g > 100 && g < 140 && b > 230"),
           ((0, 230, 118, 255), "r < 20 && g > 200 && b > 100 && b < 140")]

# Every point of a 7x7 grid across the canvas shows the picture (not the white page).
PICTURE_SHOWN_JS = """() => {
  const element = document.getElementById('canvas-view');
  const state = window.stellar && window.stellar.state;
  if (!element || !state || !state.canvas) return false;
  const ctx = element.getContext('2d');
  const rect = element.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const side = Math.min(rect.width - 48, rect.height - 48);
  const left = (rect.width - side) / 2, top = (rect.height - side) / 2;
  for (let i = 1; i <= 7; i += 1) {
    for (let j = 1; j <= 7; j += 1) {
      const x = Math.floor((left + side * i / 8) * dpr), y = Math.floor((top + side * j / 8) * dpr);
      const [r, g, b, a] = ctx.getImageData(x, y, 1, 1).data;
      if (a < 255 || (r > 245 && g > 245 && b > 245)) return false;
    }
  }
  window.__pictureAt = performance.now();
  return true;
}"""

FRAME_RECORDER_JS = """() => {
  window.__frames = [];
  window.__recording = true;
  const step = (t) => {
    window.__frames.push(t);
    if (window.__recording) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}"""


@dataclass
class NetworkLog:
    """Bytes on the wire per request (Chromium's own count: headers and encoded body)."""

    sizes: dict[str, int] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def attach(self, cdp: CDPSession) -> None:
        cdp.on("Network.requestWillBeSent",
               lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished",
               lambda e: self.sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))

    @property
    def total(self) -> int:
        return sum(self.sizes.values())

    def count(self, part: str) -> int:
        return sum(1 for rid in self.sizes if part in self.urls.get(rid, ""))


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("big-canvas")
    env = server_env(data_dir)
    cli = [sys.executable, "-m", "stellarcollab.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    seeded = subprocess.run([*cli, "seed", "--width", str(SIDE), "--height", str(SIDE)],
                            env=env, check=True, capture_output=True, text=True)
    print(f"\nseed: {seeded.stdout.strip()} ({time.perf_counter() - started:.1f} s with start-up)")
    process = ServerProcess(data_dir).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
async def owner_token(big_server: ServerProcess) -> AsyncIterator[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=big_server.base_url, timeout=scaled(30)) as client:
        response = await client.post("/api/v1/auth/login",
                                     json={"username": OWNER, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield response.json()


async def signed_in_page(browser: Browser, base_url: str,
                         login: dict[str, Any]) -> tuple[Page, CDPSession, NetworkLog]:
    context = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    await context.add_init_script(f"""
      localStorage.setItem('auth_token', {login['access_token']!r});
      localStorage.setItem('auth_user', JSON.stringify({login['user']!r}));
    """.replace("True", "true").replace("False", "false").replace("None", "null"))
    page = await context.new_page()
    page.set_default_timeout(ms(20))
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    log = NetworkLog()
    log.attach(cdp)
    return page, cdp, log


async def open_and_time(page: Page, base_url: str) -> float:
    """Navigates to the canvas; milliseconds from navigation until the whole picture shows."""
    await page.goto(f"{base_url}/#/canvas/1")
    await page.wait_for_function(PICTURE_SHOWN_JS, timeout=ms(30), polling="raf")
    shown: float = await page.evaluate("() => window.__pictureAt")
    return shown


async def frame_rate_while(page: Page, action: Any) -> tuple[float, float]:
    """Frames per second and the longest frame (ms) while ``action`` runs."""
    await page.evaluate(FRAME_RECORDER_JS)
    await action()
    frames: list[float] = await page.evaluate(
        "() => { window.__recording = false; return window.__frames; }")
    gaps = [b - a for a, b in itertools.pairwise(frames)]
    fps = 1000 * len(gaps) / (frames[-1] - frames[0])
    return fps, max(gaps)


async def test_a_full_256_canvas_opens_fast_pans_smoothly_and_stays_live(
    browser: Browser, big_server: ServerProcess, owner_token: dict[str, Any]
) -> None:
    base = big_server.base_url
    # The first visit after the server started: the overview is composed from the region
    # rasters the seed command left in the cache.
    cold_page, _cdp, cold_log = await signed_in_page(browser, base, owner_token)
    cold_ms = await open_and_time(cold_page, base)
    await cold_page.context.close()

    page, _cdp, log = await signed_in_page(browser, base, owner_token)
    shown_ms = await open_and_time(page, base)
    opened_bytes = log.total
    print(f"\nwhole picture: first visit {cold_ms:.0f} ms ({cold_log.total / 1e6:.2f} MB),"
          f" next visit {shown_ms:.0f} ms ({opened_bytes / 1e6:.2f} MB,"
          f" {len(log.sizes)} requests)")
    assert cold_ms <= scaled(OPEN_TARGET_MS * LOADED_MARGIN), cold_ms
    assert shown_ms <= scaled(OPEN_TARGET_MS * LOADED_MARGIN), shown_ms
    assert opened_bytes <= 5_000_000, opened_bytes
    assert log.count("/tiles") == 0, "no tile JSON for the whole canvas"

    canvas = page.locator("#canvas-view")
    box = await canvas.bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    async def zoom_and_pan() -> None:
        await page.mouse.move(cx, cy)
        for _ in range(12):  # from "fit" to about 16 px per cell
            await page.mouse.wheel(0, -120)
        await page.mouse.down()
        await page.mouse.move(cx - 300, cy - 200, steps=40)
        await page.mouse.move(cx + 200, cy + 150, steps=40)
        await page.mouse.up()
        for _ in range(6):
            await page.mouse.wheel(0, 120)

    fps, longest = await frame_rate_while(page, zoom_and_pan)
    regions = log.count("/regions/")
    print(f"pan and zoom: {fps:.1f} fps, longest frame {longest:.0f} ms,"
          f" {regions} region images, {log.total / 1e6:.2f} MB in all")
    assert fps >= FPS_TARGET / scaled(LOADED_MARGIN), (fps, longest)
    assert regions > 0, "zoomed in: full-resolution regions are fetched"

    # Back to the whole canvas; someone else redraws cell (128, 128).
    await page.locator("#zoom-fit").click()
    tile = (await httpx.AsyncClient(base_url=base).get(
        "/api/v1/canvases/1/regions/8/8/tiles",
        headers={"Authorization": f"Bearer {owner_token['access_token']}"})).json()["tiles"][0]
    assert (tile["x"], tile["y"]) == (128, 128)
    latencies, arrivals = await other_user_draws(page, base, tile["id"])
    median = sorted(latencies)[1]
    print("another person's tile shown after " + ", ".join(f"{v:.0f}" for v in latencies)
          + f" ms (median {median:.0f} ms); its message reached the page after "
          + ", ".join(f"{v:.0f}" for v in arrivals) + " ms")
    assert median <= scaled(LIVE_TARGET_MS * LOADED_MARGIN), latencies


async def other_user_draws(page: Page, base: str,
                           tile_id: int) -> tuple[list[float], list[float]]:
    """Ms from another account's PUT being sent to the page showing the new colour, and
    to its ``tile_updated`` message reaching the page, for each of COLOURS in turn."""
    async with httpx.AsyncClient(base_url=base, timeout=scaled(30)) as client:
        response = await client.post("/api/v1/auth/register", json={
            "username": "painter", "email": "painter@example.com",
            "password": "correct-horse-battery"})
        assert response.status_code == 201, response.text
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        latencies, arrivals = [], []
        for rgba, shown in COLOURS:
            await page.evaluate(WATCH_CELL_JS.replace("SHOWN", shown))
            sent = time.time() * 1000
            response = await client.put(f"/api/v1/tiles/{tile_id}",
                                        json={"pixels": rgba_tile(32, rgba)}, headers=headers)
            assert response.status_code == 200, response.text
            await page.wait_for_function("() => window.__seen !== null", timeout=ms(10))
            latencies.append(await page.evaluate("() => window.__seen") - sent)
            arrivals.append(await page.evaluate("() => window.__arrived") - sent)
        return latencies, arrivals


# Watches the middle of cell (128, 128) on every frame until its colour satisfies SHOWN;
# notes when the next tile_updated message arrives.
WATCH_CELL_JS = """() => {
  window.__seen = null;
  window.__arrived = null;
  const stop = window.stellar.eventManager.on('websocketMessage', (message) => {
    if (message.type !== 'tile_updated') return;
    window.__arrived = Date.now();
    stop();
  });
  const element = document.getElementById('canvas-view');
  const watch = () => {
    const view = window.stellar.renderer.viewport;
    const ts = window.stellar.state.canvas.tile_size;
    const dpr = window.devicePixelRatio || 1;
    const x = ((128.5 * ts) * view.scale + view.offsetX) * dpr;
    const y = ((128.5 * ts) * view.scale + view.offsetY) * dpr;
    const [r, g, b] = element.getContext('2d').getImageData(x, y, 1, 1).data;
    if (SHOWN) window.__seen = Date.now();
    else requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
}"""
