"""The async engine and short-lived sessions.

SQLite runs in WAL mode with a busy timeout, and this process serialises its own writers
behind one lock so concurrent requests queue instead of failing with "database is locked".
PostgreSQL needs no such lock. No session outlives the unit of work that opened it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SQLiteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from stellarcollab.db.key_reads import KeyReads
from stellarcollab.db.lean_writes import LeanWrites
from stellarcollab.db.pragmas import SQLITE_BUSY_TIMEOUT_MS, SQLITE_PRAGMAS

SQLITE_POOL_SIZE = 16


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A fixed pool: overflow connections would be opened and closed again under load,
        # and each new SQLite connection costs a thread, a file open and the pragmas.
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=SQLITE_POOL_SIZE, max_overflow=0,
        )
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class Database:
    """Owns the engine; hands out read sessions and write transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        #: reads of many keys at once (admission's, in arrival storms)
        self.key_reads = KeyReads(self.engine)
        #: write transactions of many rows at once (first visits, presence records)
        self.lean_writes = LeanWrites(self.engine, self._write_lock)

    def insert(self, target: Any) -> SQLiteInsert | PostgresInsert:
        """``INSERT`` into ``target`` (a table or an entity) in this database's dialect,
        which offers ``ON CONFLICT`` (SQLite and PostgreSQL spell it alike)."""
        return (sqlite_insert if self.is_sqlite else postgresql_insert)(target)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed on success, rolled back on any error."""
        async with self._write_lock or nullcontext(), self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.key_reads.close()
        await self.lean_writes.close()
        await self.engine.dispose()
