"""``make run`` on an empty data directory: a newcomer signs up, finds the demo canvas in
the list, opens it and sees its picture drawn in tiles."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from stellarcollab.demo import CANVAS_NAME, HEIGHT, TILE, WIDTH, pixel_at
from tests.browser.pages import ms, new_user, sign_up, wait_canvas_colour, wait_connected
from tests.support.postgres import free_port
from tests.support.timeouts import scaled

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
RUNNING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


class MakeRun:
    """``make run`` in a session of its own, so it and the server it starts stop together."""

    def __init__(self, data_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STELLAR_")}
        env.update({"STELLAR_DATA_DIR": str(data_dir), "STELLAR_PASSWORD_HASH_TIME_COST": "1",
                    "STELLAR_PASSWORD_HASH_MEMORY_KIB": "1024"})
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={free_port()}"],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.output: list[str] = []
        self.port = 0
        started = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line)
                match = RUNNING.search(line)
                if match:
                    self.port = int(match.group(1))
                    started.set()

        threading.Thread(target=read, daemon=True).start()
        if not started.wait(scaled(180)):
            self.stop()
            raise RuntimeError("make run did not serve:\n" + "".join(self.output))

    def stop(self) -> None:
        """SIGTERM to the session this test started (make and its server), by its id."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(scaled(30))
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[MakeRun]:
    run = MakeRun(tmp_path / "data")  # an empty data directory: no database yet
    yield run
    run.stop()


async def test_make_run_shows_the_demo_canvas(make_run: MakeRun, browser: Browser) -> None:
    base_url = f"http://127.0.0.1:{make_run.port}"
    assert any("demo: tiles: 96/96" in line for line in make_run.output)
    newcomer = await new_user(browser, "newcomer", "Newcomer")
    try:
        page = await newcomer.page()
        async with httpx.AsyncClient(base_url=base_url, timeout=scaled(30)) as api:
            await sign_up(page, base_url, newcomer, api)
        await page.get_by_label(f"Open canvas {CANVAS_NAME}").click()
        await page.wait_for_url(re.compile(r".*#/canvas/\d+$"), timeout=ms(10))
        canvas_id = int(page.url.rsplit("/", 1)[1])
        await wait_connected(page, canvas_id)
        # The page draws the server's overview image of the canvas, not tile by tile.
        await page.wait_for_function("() => window.stellar.images.overview !== null",
                                     timeout=ms(15))
        # The moon, in cell (9, 1): the picture is on screen, not just in memory.
        width, height = WIDTH * TILE, HEIGHT * TILE
        moon = pixel_at(9 * TILE + TILE // 2, 1 * TILE + TILE // 2, width, height)
        await wait_canvas_colour(page, 9, 1, moon[:3])
        chat = page.locator("#chat-messages")
        await asyncio.wait_for(chat.get_by_text("I started the sky").wait_for(), scaled(15))
        assert not newcomer.watch.errors
    finally:
        await newcomer.context.close()
