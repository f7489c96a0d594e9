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
import orjson
from sqlalchemy import any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

KeyColumn = ColumnElement[Any] | InstrumentedAttribute[Any]
#: the condition "``column`` is one of the keys bound as ``name``"
KeysIn = Callable[[KeyColumn, str], ColumnElement[bool]]
AnySelect = Select[*tuple[Any, ...]]
#: a statement built with the database's ``KeysIn``
StatementBuilder = Callable[[KeysIn], AnySelect]
Row = tuple[Any, ...]


def _sqlite_keys_in(column: KeyColumn, name: str) -> ColumnElement[bool]:
    return column.in_(select(literal_column("value")).select_from(
        func.json_each(bindparam(name))))


def _postgres_keys_in(column: KeyColumn, name: str) -> ColumnElement[bool]:
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


def _json_array(values: Sequence[Any]) -> str:
    """A key list as SQLite's ``json_each`` reads it."""
    return orjson.dumps(list(values)).decode()


class KeyRead:
    """One statement, prepared for one database; ``fetch`` binds the key lists."""

    def __init__(self, reads: KeyReads, statement: AnySelect) -> None:
        self.reads = reads
        self.statement = statement
        dialect: Dialect = reads.engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        #: the statement's own values (e.g. a kind it compares with), as the driver takes
        #: them; the key lists are bound by ``fetch``
        self.constants: dict[str, Any] = {}
        for name, bound in compiled.binds.items():
            if bound.value is not None:
                process = bound.type.dialect_impl(dialect).bind_processor(dialect)
                self.constants[name] = process(bound.value) if process else bound.value
        #: each column's conversion from what sqlite3 returns (the own connection's rows)
        self.processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns] if reads.sqlite_file else []

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
            bound = {name: list(values) if self.is_postgres else _json_array(values)
                     for name, values in keys.items()}
            async with self.engine.connect() as pooled:
                return [tuple(row) for row in await pooled.execute(read.statement, bound)]
        connection = self._connection or await self._open()
        rows = await connection.execute_fetchall(read.sql, [
            _json_array(keys[name]) if name in keys else read.constants[name]
            for name in read.names])
        processors = read.processors
        if not any(processors):
            return [tuple(row) for row in rows]
        return [tuple(value if process is None else process(value)
                      for process, value in zip(processors, row, strict=True))
                for row in rows]

    async def _open(self) -> aiosqlite.Connection:
        async with self._opening:
            if self._closed:  # the database is closing: no new connection (and thread)
                raise RuntimeError("the database is closed")
            if self._connection is None:
                assert self.sqlite_file is not None
                connection = await aiosqlite.connect(self.sqlite_file, isolation_level=None)
                await connection.execute("PRAGMA busy_timeout=30000")
                await connection.execute("PRAGMA query_only=ON")
                self._connection = connection
            return self._connection

    async def close(self) -> None:
        self._closed = True
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
