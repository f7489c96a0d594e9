"""Every REST test module runs twice: on SQLite and on a real PostgreSQL server.

``live_server`` here overrides the root one for tests under tests/api. A module that needs
other settings (say a short lease TTL) overrides ``server_overrides``.

A module that sets ``SHARED_ACCOUNTS = True`` gets the same ``alice`` and ``bob`` in all of
its tests (registered once per server), for modules whose tests never change the accounts
themselves (no logout, no admin rights) and make their own canvases.
"""

from __future__ import annotations

import importlib.util
import ssl
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from stellarcollab.clock import Clock
from tests.support.clients import Account, register
from tests.support.live_server import LiveServer, test_settings
from tests.support.postgres import PostgresServer, postgres_server, prestart

__all__ = ["postgres_server"]

# httpcore tries ``import sniffio`` on every request; without sniffio installed each failed
# import rescans sys.path (failures are not cached). A None entry makes it fail at once,
# and httpcore then assumes asyncio, which is what runs here.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

# The servers speak plain HTTP: one client-side TLS context for all clients, instead of
# each new client loading the CA bundle (a quarter second per test).
_TLS = ssl.create_default_context()

def pytest_collection_finish(session: pytest.Session) -> None:
    if any(item.get_closest_marker("postgres") for item in session.items):
        prestart()


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def server_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="module")
def server_clock() -> Clock | None:
    """The server's clock: the system's, unless a test module moves time itself."""
    return None


@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest,
    backend: str,
    server_overrides: dict[str, Any],
    server_clock: Clock | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp(f"server-{backend}")
    overrides = dict(server_overrides)
    if backend == "postgres":
        postgres: PostgresServer = request.getfixturevalue("postgres_server")
        overrides["database_url"] = postgres.create_database()
    server = LiveServer(test_settings(data_dir, **overrides), server_clock).start()
    yield server
    server.stop()


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30, verify=_TLS) as client:
        yield client


@pytest.fixture(scope="module")
def registered(live_server: LiveServer) -> dict[str, dict[str, Any]]:
    """Registration answers of this module's shared accounts on this server, by role."""
    return {}


async def _account(request: pytest.FixtureRequest, api: httpx.AsyncClient,
                   registered: dict[str, dict[str, Any]], role: str) -> Account:
    if not getattr(request.module, "SHARED_ACCOUNTS", False):
        return await register(api)
    if role not in registered:
        registered[role] = {"access_token": (account := await register(api)).token,
                            "user": account.user}
    return Account(api, registered[role])


@pytest.fixture
async def alice(request: pytest.FixtureRequest, api: httpx.AsyncClient,
                registered: dict[str, dict[str, Any]]) -> Account:
    return await _account(request, api, registered, "alice")


@pytest.fixture
async def bob(request: pytest.FixtureRequest, api: httpx.AsyncClient,
              registered: dict[str, dict[str, Any]]) -> Account:
    return await _account(request, api, registered, "bob")
