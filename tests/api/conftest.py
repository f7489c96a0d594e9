"""Every REST test module runs twice: on SQLite and on a real PostgreSQL server.

``live_server`` here overrides the root one for tests under tests/api. A module that needs
other settings (say a short lease TTL) overrides ``server_overrides``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.live_server import LiveServer, test_settings
from tests.support.postgres import PostgresServer, postgres_server

__all__ = ["postgres_server"]

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def server_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest,
    backend: str,
    server_overrides: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp(f"server-{backend}")
    overrides = dict(server_overrides)
    if backend == "postgres":
        postgres: PostgresServer = request.getfixturevalue("postgres_server")
        overrides["database_url"] = postgres.create_database()
    server = LiveServer(test_settings(data_dir, **overrides)).start()
    yield server
    server.stop()
