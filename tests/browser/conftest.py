"""Browser fixtures: a real server process per test module and one headless Chromium.

Chromium is the system one (``STELLAR_CHROMIUM``, default /usr/bin/chromium); the tests
are skipped when it is missing. Only 127.0.0.1 is ever loaded.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from tests.support.server_process import ServerProcess
from tests.support.timeouts import scaled

CHROMIUM = os.environ.get("STELLAR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("browser-server")).start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            timeout=scaled(30) * 1000,
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def rest(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=scaled(30)) as client:
        yield client


def csp_violations(messages: list[str]) -> list[str]:
    return [text for text in messages if "Content Security Policy" in text]


@pytest.fixture(autouse=True)
async def no_csp_violation(browser: Browser) -> AsyncIterator[None]:
    """Fails a test whose pages logged a Content-Security-Policy violation."""
    for context in browser.contexts:
        for page in context.pages:
            await page.clear_console_messages()
    yield
    found = []
    for context in browser.contexts:
        for page in context.pages:
            found += csp_violations([m.text for m in await page.console_messages()])
    assert found == [], f"CSP violations in the console: {found}"
