"""Write transactions of the hot paths (a storm's first visits, the presence records
written behind), run the cheapest way the database allows.

Many rows are one bound value: a JSON array (``JsonRows``: each value converted by its
column's type first) that the statement turns back into rows, in their order
(``rows_from``: ``json_each`` on SQLite, ``jsonb_array_elements`` on PostgreSQL), so an
``INSERT .. SELECT`` writes a batch of any size with one text and a few parameters.

On SQLite a transaction runs on a connection of its own, behind the database's
one-writer lock: each statement is one call to the connection's thread (the driver opens
the transaction with the first write), and the commit one more. Through a session, the
same transaction took about ten calls to the thread, a pool checkout and SQLAlchemy's
per-row work: 1.4-1.9 ms for 25 first visits, against 0.17 ms for the statements
themselves (``docs/PERFORMANCE.md``). On PostgreSQL, and on an in-memory SQLite database,
the engine's connection runs the same statements.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, nullcontext
from typing import Any, Protocol

import aiosqlite
from sqlalchemy import bindparam, cast, func, literal_column, select, true, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import Select
from sqlalchemy.types import TypeEngine

from stellarcollab.db.pragmas import SQLITE_PRAGMAS, sqlite_file
from stellarcollab.db.prepared import (
    JsonArray,
    Prepared,
    Processor,
    Row,
    driver_error,
    json_array,
)

#: rows bound as ``name`` (sequences of values, one per type), as columns ``c0``, ``c1``,
#: .. in the order of the list
RowsFrom = Callable[[str, Sequence[TypeEngine[Any]]], Select[Any]]


class JsonRows(JsonArray):
    """Rows bound as one JSON array, each value converted first by its column's type as
    the driver would take it alone (a datetime as SQLite stores it, a boolean as 0 or 1)."""

    cache_ok = True  # SQLAlchemy asks each class itself

    def __init__(self, types: Sequence[TypeEngine[Any]]) -> None:
        super().__init__()
        self.types = tuple(types)
        self._processors: dict[str, list[Processor]] = {}

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        processors = self._processors.get(dialect.name)
        if processors is None:
            processors = self._processors[dialect.name] = [
                type_.dialect_impl(dialect).bind_processor(dialect) for type_ in self.types]
        if not any(processors):
            return json_array(value)
        return json_array([
            [item if process is None or item is None else process(item)
             for process, item in zip(processors, row, strict=True)] for row in value])


def _sqlite_rows_from(name: str, types: Sequence[TypeEngine[Any]]) -> Select[Any]:
    value: ColumnClause[Any] = literal_column("value")
    return (select(*(type_coerce(func.json_extract(value, literal_column(f"'$[{i}]'")),
                                 type_).label(f"c{i}") for i, type_ in enumerate(types)))
            .select_from(func.json_each(bindparam(name, type_=JsonRows(types))))
            # ``INSERT .. SELECT .. FROM f() ON CONFLICT`` parses ON as a join's without it
            .where(true())
            .order_by(literal_column("key")))


def _postgres_rows_from(name: str, types: Sequence[TypeEngine[Any]]) -> Select[Any]:
    elements = func.jsonb_array_elements(cast(bindparam(name, type_=JsonRows(types)), JSONB)) \
        .table_valued("value", with_ordinality="ordinality")
    return (select(*(cast(elements.c.value.op("->>")(literal_column(str(i))), type_)
                     .label(f"c{i}") for i, type_ in enumerate(types)))
            .select_from(elements)
            .order_by(elements.c.ordinality))


class LeanTransaction(Protocol):
    async def fetch(self, statement: Prepared, **values: Any) -> list[Row]:
        """Run ``statement`` with ``values`` (lists: rows or keys); its rows, if any."""
        ...


class _BareTransaction:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    async def fetch(self, statement: Prepared, **values: Any) -> list[Row]:
        parameters = statement.parameters(values)
        try:
            raw = await self.connection.execute_fetchall(statement.sql, parameters)
        except sqlite3.Error as exc:
            raise driver_error(exc, statement.sql, parameters) from exc
        return statement.rows(raw)


class _EngineTransaction:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def fetch(self, statement: Prepared, **values: Any) -> list[Row]:
        result = await self.connection.execute(statement.statement, values)
        return [tuple(row) for row in result] if result.returns_rows else []


class LeanWrites:
    """The database's lean write transactions: built once per database, closed with it."""

    def __init__(self, engine: AsyncEngine, write_lock: asyncio.Lock | None) -> None:
        self.engine = engine
        self.write_lock = write_lock
        #: the file of a SQLite database (None: the engine runs the transactions)
        self.sqlite_file = sqlite_file(engine)
        self.rows_from: RowsFrom = (_postgres_rows_from if engine.dialect.name == "postgresql"
                                    else _sqlite_rows_from)
        self._connection: aiosqlite.Connection | None = None
        self._closed = False

    def prepare(self, statement: Executable) -> Prepared:
        return Prepared(statement, self.engine.dialect, bare=self.sqlite_file is not None)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[LeanTransaction]:
        """One write transaction: committed on success, rolled back on any error."""
        async with self.write_lock or nullcontext():
            if self.sqlite_file is None:
                async with self.engine.begin() as pooled:
                    yield _EngineTransaction(pooled)
                return
            own = self._connection or await self._open()
            try:
                yield _BareTransaction(own)
                try:
                    await own.commit()
                except sqlite3.Error as exc:
                    raise driver_error(exc, "COMMIT", ()) from exc
            except BaseException:
                with contextlib.suppress(Exception):
                    await own.rollback()
                raise

    async def _open(self) -> aiosqlite.Connection:
        # Called with the write lock held: one opening at a time.
        if self._closed:  # the database is closing: no new connection (and thread)
            raise RuntimeError("the database is closed")
        assert self.sqlite_file is not None
        # The driver begins a transaction (IMMEDIATE: the write lock at once) before the
        # first INSERT, UPDATE or DELETE; ``commit`` ends it.
        connection = await aiosqlite.connect(self.sqlite_file, isolation_level="IMMEDIATE")
        for pragma in SQLITE_PRAGMAS:
            await connection.execute(f"PRAGMA {pragma}")
        self._connection = connection
        return connection

    async def close(self) -> None:
        async with self.write_lock or nullcontext():  # after a transaction under way
            self._closed = True
            connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
