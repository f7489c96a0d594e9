"""Services against a real database (SQLite and PostgreSQL) with a recording event sink."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from stellarcollab.auth.passwords import PasswordHasher
from stellarcollab.auth.tokens import TokenService
from stellarcollab.db.engine import Database
from stellarcollab.db.migrate import upgrade
from stellarcollab.db.models import User
from stellarcollab.services.canvases import CanvasService
from stellarcollab.services.chat import ChatService
from stellarcollab.services.events import RecordingSink
from stellarcollab.services.locks import LockService
from stellarcollab.services.tiles import TileService
from stellarcollab.services.users import UserService
from tests.support.postgres import PostgresServer, postgres_server

__all__ = ["postgres_server"]

_names = itertools.count(1)


@dataclass
class Services:
    db: Database
    sink: RecordingSink
    users: UserService
    canvases: CanvasService
    tiles: TileService
    locks: LockService
    chat: ChatService

    async def user(self) -> User:
        name = f"svc{next(_names)}"
        return await self.users.register(name, f"{name}@example.com", "correct-horse", None)


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('services') / 'services.db'}"
    await asyncio.to_thread(upgrade, url)  # upgrade() runs a loop of its own
    db = Database(url)
    yield db
    await db.dispose()


@pytest.fixture
async def services(database: Database) -> AsyncIterator[Services]:
    """Fresh services (and sink) over the module's database."""
    sink = RecordingSink()
    hasher = PasswordHasher(1, 1024, 1, 4)
    tokens = TokenService("service-test-secret-key-long-enough", 3600)
    chat = ChatService(database, sink, 2000)
    yield Services(
        db=database, sink=sink, users=UserService(database, hasher, tokens),
        canvases=CanvasService(database, sink), tiles=TileService(database, sink),
        locks=LockService(database, sink, ttl_seconds=0.3), chat=chat,
    )
    await chat.writer.stop()
