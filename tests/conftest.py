"""Shared fixtures: a live server on SQLite per test module, HTTP clients, accounts."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.clients import Account, register
from tests.support.live_server import LiveServer, test_settings
from tests.support.secret_guard import SecretGuard


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("server")
    server = LiveServer(test_settings(data_dir)).start()
    yield server
    server.stop()


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        yield client


@pytest.fixture
async def alice(api: httpx.AsyncClient) -> Account:
    return await register(api)


@pytest.fixture
async def bob(api: httpx.AsyncClient) -> Account:
    return await register(api)


SECRET_GUARD = SecretGuard()


def pytest_configure(config: pytest.Config) -> None:
    SECRET_GUARD.install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The logs of the whole run held no token, password or secret key."""
    if SECRET_GUARD.leaks:
        print("\ncredentials reached the log:\n  " + "\n  ".join(SECRET_GUARD.leaks[:20]))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="module", autouse=True)
def frozen_heap() -> None:
    """Before a module's first test (and before its other module fixtures are made): what
    earlier modules left is collected, and what survives is frozen, as the server process
    freezes its own start-up heap. Live servers run in this process and many tests time
    them; without this the suite's leftovers (over a million objects by the end) made full
    collections of up to 1.2 s land inside those timings. A full collection now walks only
    one module's objects."""
    gc.collect()
    gc.freeze()
