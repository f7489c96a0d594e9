"""Database tests run on SQLite and on the session's throwaway PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer, postgres_server

__all__ = ["postgres_server"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty database on each backend."""
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.create_database()
    return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
