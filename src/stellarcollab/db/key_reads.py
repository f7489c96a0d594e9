"""Reads of many keys at once, run the cheapest way the database allows. The hot reads of
an arrival storm (accounts, revocations, canvas access, statuses) each look up a batch of
ids; they run thousands of times a minute, so their cost is mostly the layers around the
statement, not the statement.

A key list is one bound value, so every batch runs the same text, prepared once:
``IN (SELECT value FROM json_each(?))`` with a JSON array on SQLite, ``= ANY($1)`` with an
array on PostgreSQL (an expanding ``IN`` renders new text for each batch size).

On SQLite the reads go through a connection of their own, opened read-only
(``query_only``) in a thread of its own, its columns converted by the column types' own
result processors. The statements asked for while the thread is busy go to it together,
in one call: the reads of a storm's different stages (accounts, canvas access, statuses)
share each wake-up of the thread (about 25 µs of CPU, a round of the event loop and a
switch of the interpreter lock each). Through the engine, the aiosqlite adapter makes
four calls to its thread per statement (cursor, execute, fetch, close), and the pool one
more to roll back on return: about 200 µs a statement against 30 µs. On PostgreSQL
(asyncpg, no thread) the engine's connection runs them.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from stellarcollab.db.pragmas import SQLITE_BUSY_TIMEOUT_MS, sqlite_file
from stellarcollab.db.prepared import JsonArray, Prepared, Row, driver_error

KeyColumn = ColumnElement[Any] | InstrumentedAttribute[Any]
#: the condition "``column`` is one of the keys bound as ``name``"
KeysIn = Callable[[KeyColumn, str], ColumnElement[bool]]
AnySelect = Select[*tuple[Any, ...]]
#: a statement built with the database's ``KeysIn``
StatementBuilder = Callable[[KeysIn], AnySelect]


def _sqlite_keys_in(column: KeyColumn, name: str) -> ColumnElement[bool]:
    return column.in_(select(literal_column("value")).select_from(
        func.json_each(bindparam(name, type_=JsonArray()))))


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
        #: the file of a SQLite database (None: the engine runs the reads)
        self.sqlite_file = sqlite_file(engine)
        self.is_postgres = engine.dialect.name == "postgresql"
        self.keys_in: KeysIn = _postgres_keys_in if self.is_postgres else _sqlite_keys_in
        #: the own connection's thread, and the connection (used in that thread alone)
        self._own: tuple[ThreadPoolExecutor, sqlite3.Connection] | None = None
        #: statements (text, parameters) waiting for the thread, with their askers
        self._waiting: list[tuple[str, list[Any], asyncio.Future[list[Any]]]] = []
        self._runner: asyncio.Task[None] | None = None
        self._closed = False

    def prepare(self, build: StatementBuilder) -> KeyRead:
        return KeyRead(self, build(self.keys_in))

    async def fetch(self, read: KeyRead, keys: dict[str, Sequence[Any]]) -> list[Row]:
        if self.sqlite_file is None:
            bound = {name: list(values) for name, values in keys.items()}
            async with self.engine.connect() as pooled:
                return [tuple(row) for row in await pooled.execute(read.statement, bound)]
        if self._closed:
            raise RuntimeError("the database is closed")
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[list[Any]] = loop.create_future()
        self._waiting.append((read.sql, read.parameters(keys), answer))
        if self._runner is None:
            self._runner = loop.create_task(self._run())
        return read.rows(await answer)

    async def _run(self) -> None:
        """Send what waits to the thread, one call at a time, until nothing waits."""
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                # one more turn: statements asked for by tasks started in this one (a
                # reader's ``asyncio.gather``) join the call
                await asyncio.sleep(0)
                taken, self._waiting = self._waiting, []
                try:
                    thread, connection = self._own or await self._open()
                    answers = await loop.run_in_executor(
                        thread, _run_all, connection, [(sql, p) for sql, p, _ in taken])
                except Exception as exc:  # every asker of this call sees the failure
                    answers = [exc] * len(taken)
                for (_, _, answer), rows in zip(taken, answers, strict=True):
                    if answer.done():  # its asker left
                        continue
                    if isinstance(rows, Exception):
                        answer.set_exception(rows)
                    else:
                        answer.set_result(rows)
        finally:
            self._runner = None

    async def _open(self) -> tuple[ThreadPoolExecutor, sqlite3.Connection]:
        if self._closed:  # the database is closing: no new connection (and thread)
            raise RuntimeError("the database is closed")
        assert self.sqlite_file is not None
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="key-reads")
        try:
            connection = await asyncio.get_running_loop().run_in_executor(
                thread, _connect_read_only, self.sqlite_file)
        except BaseException:
            thread.shutdown(wait=False)
            raise
        self._own = (thread, connection)
        return self._own

    async def close(self) -> None:
        self._closed = True
        if self._runner is not None:  # the reads under way end first
            await asyncio.wait([self._runner])
        own, self._own = self._own, None
        if own is not None:
            thread, connection = own
            await asyncio.get_running_loop().run_in_executor(thread, connection.close)
            thread.shutdown(wait=False)


def _connect_read_only(path: str) -> sqlite3.Connection:
    """Run in the reads' thread, which alone uses the connection."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA query_only=ON")
    return connection


def _run_all(connection: sqlite3.Connection,
             statements: list[tuple[str, list[Any]]]) -> list[list[Any] | Exception]:
    """Run in the reads' thread: each statement's rows, or what it raised (one failing
    read fails its asker alone)."""
    answers: list[list[Any] | Exception] = []
    for sql, parameters in statements:
        try:
            answers.append(connection.execute(sql, parameters).fetchall())
        except Exception as exc:
            answers.append(driver_error(exc, sql, parameters))
    return answers
