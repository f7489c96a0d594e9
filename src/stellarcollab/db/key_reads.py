"""Reads of many keys at once, run the cheapest way the database allows. The hot reads of
an arrival storm (accounts, revocations, canvas access, statuses) each look up a batch of
ids; they run thousands of times a minute, so their cost is mostly the layers around the
statement, not the statement.

A key list is one bound value, so every batch runs the same text, prepared once:
``IN (SELECT value FROM json_each(?))`` with a JSON array on SQLite, ``= ANY($1)`` with an
array on PostgreSQL (an expanding ``IN`` renders new text for each batch size).

On SQLite the reads go through a connection of their own, opened read-only
(``query_only``), and each statement is one call to its thread: executed and fetched
together, its columns converted by the column types' own result processors. Through the
engine, the aiosqlite adapter makes four calls to its thread per statement (cursor,
execute, fetch, close), and the pool one more to roll back on return: each a wake-up of
the thread and a round of the event loop, about 200 µs a statement against 30 µs. On
PostgreSQL (asyncpg, no thread) the engine's connection runs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy import any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from stellarcollab.db.pragmas import SQLITE_BUSY_TIMEOUT_MS
from stellarcollab.db.prepared import Prepared, Row, json_array

KeyColumn = ColumnElement[Any] | InstrumentedAttribute[Any]
#: the condition "``column`` is one of the keys bound as ``name``"
KeysIn = Callable[[KeyColumn, str], ColumnElement[bool]]
AnySelect = Select[*tuple[Any, ...]]
#: a statement built with the database's ``KeysIn``
StatementBuilder = Callable[[KeysIn], AnySelect]


def _sqlite_keys_in(column: KeyColumn, name: str) -> ColumnElement[bool]:
    return column.in_(select(literal_column("value")).select_from(
        func.json_each(bindparam(name))))


def _postgres_keys_in(column: KeyColumn, name: str) -> ColumnElement[bool]:
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


class KeyRead(Prepared):
    """One statement, prepared for one database; ``fetch`` binds the key lists."""

    def __init__(self, reads: KeyReads, statement: AnySelect) -> None:
        super().__init__(statement, reads.engine.dialect, bare=reads.sqlite_file is not None)
        self.reads = reads

    async def fetch(self, **keys: Sequence[Any]) -> list[Row]:
        return await self.reads.fetch(self, keys)


class KeyReads:
    """The database's key reads: built once per database, closed with it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        database = engine.url.database
        #: the file of a SQLite database (None: the engine runs the reads)
        self.sqlite_file = (database if engine.dialect.name == "sqlite" and database
                            and database != ":memory:" else None)
        self.is_postgres = engine.dialect.name == "postgresql"
        self.keys_in: KeysIn = _postgres_keys_in if self.is_postgres else _sqlite_keys_in
        self._connection: aiosqlite.Connection | None = None
        self._opening = asyncio.Lock()
        self._closed = False

    def prepare(self, build: StatementBuilder) -> KeyRead:
        return KeyRead(self, build(self.keys_in))

    async def fetch(self, read: KeyRead, keys: dict[str, Sequence[Any]]) -> list[Row]:
        if self.sqlite_file is None:
            bound = {name: list(values) if self.is_postgres else json_array(values)
                     for name, values in keys.items()}
            async with self.engine.connect() as pooled:
                return [tuple(row) for row in await pooled.execute(read.statement, bound)]
        connection = self._connection or await self._open()
        return read.rows(await connection.execute_fetchall(read.sql, read.parameters(keys)))

    async def _open(self) -> aiosqlite.Connection:
        async with self._opening:
            if self._closed:  # the database is closing: no new connection (and thread)
                raise RuntimeError("the database is closed")
            if self._connection is None:
                assert self.sqlite_file is not None
                connection = await aiosqlite.connect(self.sqlite_file, isolation_level=None)
                await connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                await connection.execute("PRAGMA query_only=ON")
                self._connection = connection
            return self._connection

    async def close(self) -> None:
        self._closed = True
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
