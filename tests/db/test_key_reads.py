"""Key reads answer as the engine does (types converted, the statement's own values
bound), see what was committed a moment before, run one text whatever the batch size,
and on SQLite go through a read-only connection of their own, closed with the database,
where the reads asked together (also through tasks started in the same turn) share one
call to its thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import and_, literal_column, select
from sqlalchemy.exc import OperationalError

from stellarcollab.db import key_reads
from stellarcollab.db.engine import Database
from stellarcollab.db.key_reads import AnySelect, KeyRead, KeysIn
from stellarcollab.db.models import User
from stellarcollab.db.moderation import CanvasSanction, TokenCutoff
from tests.db.seeding import migrated_database, seed_users


def members_with_bans(keys_in: KeysIn) -> AnySelect:
    """Booleans, a float, datetimes, an outer join and a value of the statement's own."""
    return (select(User.id, User.username, User.is_admin, User.created_at,
                   TokenCutoff.not_before, CanvasSanction.until)
            .select_from(User)
            .outerjoin(TokenCutoff, TokenCutoff.user_id == User.id)
            .outerjoin(CanvasSanction, and_(CanvasSanction.user_id == User.id,
                                            CanvasSanction.kind == "ban"))
            .where(keys_in(User.id, "user_ids"))
            .order_by(User.id))


async def test_key_reads_answer_as_the_engine_does(empty_database_url: str) -> None:
    db = await migrated_database(empty_database_url)
    try:
        ids = await seed_users(db)
        read = db.key_reads.prepare(members_with_bans)
        rows = await read.fetch(user_ids=[*ids, 10**9])
        async with db.engine.connect() as connection:
            expected = [tuple(row) for row in await connection.execute(
                members_with_bans(db.key_reads.keys_in),
                {"user_ids": ids if not db.is_sqlite else f"[{','.join(map(str, ids))}]"})]
        assert rows == expected and len(rows) == 3
        admin, cut, banned = rows
        assert admin[2] is True and cut[2] is False
        assert cut[4] == 1_700_000_000.5
        assert isinstance(admin[3], datetime) and admin[3].tzinfo is not None
        assert banned[5] == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert await read.fetch(user_ids=[]) == []
    finally:
        await db.dispose()


async def test_a_commit_is_seen_by_the_next_read(empty_database_url: str) -> None:
    db = await migrated_database(empty_database_url)
    try:
        ids = await seed_users(db)
        read = db.key_reads.prepare(members_with_bans)
        assert [row[0] for row in await read.fetch(user_ids=ids)] == ids
        async with db.transaction() as session:
            session.add(User(username="late", username_key="late", email="late@example.com",
                             password_hash="x", display_name="Late"))
        async with db.read() as session:
            late = await session.scalar(select(User.id).where(User.username == "late"))
        assert [row[1] for row in await read.fetch(user_ids=[late])] == ["late"]
    finally:
        await db.dispose()


def test_one_text_serves_every_batch_size(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    read = db.key_reads.prepare(members_with_bans)
    assert "IN (" not in read.sql.replace("IN (SELECT value", "")  # no list rendered
    assert read.sql.count("?") + read.sql.count("$") == 2  # the keys and the ban's kind


async def test_sqlite_reads_use_a_read_only_connection_closed_with_the_database(
    tmp_path: Any
) -> None:
    db = await migrated_database(f"sqlite+aiosqlite:///{tmp_path / 'own.db'}")
    ids = await seed_users(db)
    await db.key_reads.prepare(members_with_bans).fetch(user_ids=ids)
    own = db.key_reads._own
    assert own is not None
    thread, connection = own
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await asyncio.get_running_loop().run_in_executor(
            thread, connection.execute, "DELETE FROM users")
    workers = [t for t in threading.enumerate() if t.name.startswith("key-reads")]
    assert len(workers) == 1
    await db.dispose()
    assert db.key_reads._own is None
    await asyncio.to_thread(workers[0].join, 10)
    assert not workers[0].is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        await db.key_reads.prepare(members_with_bans).fetch(user_ids=ids)


def usernames(keys_in: KeysIn) -> AnySelect:
    return select(User.username).where(keys_in(User.id, "user_ids"))


def _count_thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of statements in each call to the reads' thread, from now on."""
    calls: list[int] = []
    run_all = key_reads._run_all

    def counted(connection: sqlite3.Connection,
                statements: list[tuple[str, list[Any]]]) -> list[Any]:
        calls.append(len(statements))
        return run_all(connection, statements)

    monkeypatch.setattr(key_reads, "_run_all", counted)
    return calls


@dataclass
class CountedReads:
    """A migrated SQLite database with seeded users, the statements of each call to its
    reads' thread counted, and two reads prepared."""

    db: Database
    ids: list[int]
    calls: list[int]
    members: KeyRead
    names: KeyRead


@pytest.fixture
async def counted_reads(tmp_path: Any,
                        monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[CountedReads]:
    db = await migrated_database(f"sqlite+aiosqlite:///{tmp_path / 'own.db'}")
    try:
        ids = await seed_users(db)
        yield CountedReads(db, ids, _count_thread_calls(monkeypatch),
                           db.key_reads.prepare(members_with_bans),
                           db.key_reads.prepare(usernames))
    finally:
        await db.dispose()


async def test_reads_asked_together_share_one_call_to_the_thread(
    counted_reads: CountedReads,
) -> None:
    reads, ids = counted_reads, counted_reads.ids
    broken = reads.db.key_reads.prepare(
        lambda keys_in: select(User.id).where(keys_in(User.id, "user_ids"))
        .where(literal_column("no_such_column") == 1))
    first, second, third = await asyncio.gather(
        reads.members.fetch(user_ids=ids), reads.names.fetch(user_ids=ids[:1]),
        broken.fetch(user_ids=ids), return_exceptions=True)
    assert reads.calls == [3]  # one call, three statements
    assert [row[0] for row in first] == ids  # type: ignore[union-attr]
    assert second == [("k0",)]
    assert isinstance(third, OperationalError)  # failed alone, as through the engine
    assert await reads.names.fetch(user_ids=ids[1:2]) == [("k1",)]
    assert reads.calls == [3, 1]


async def test_reads_asked_through_tasks_of_the_same_turn_share_the_call(
    counted_reads: CountedReads,
) -> None:
    """One reader asks directly, another through ``asyncio.gather`` (whose tasks run a
    turn later, after the thread's runner was started): still one call."""
    reads, ids = counted_reads, counted_reads.ids

    async def direct() -> list[Any]:
        return await reads.names.fetch(user_ids=ids[:1])

    async def gathered() -> list[list[Any]]:
        return list(await asyncio.gather(reads.members.fetch(user_ids=ids),
                                         reads.names.fetch(user_ids=ids[1:2])))

    loop = asyncio.get_running_loop()
    first, second = loop.create_task(direct()), loop.create_task(gathered())
    assert await first == [("k0",)]
    members_rows, names_rows = await second
    assert [row[0] for row in members_rows] == ids and names_rows == [("k1",)]
    assert reads.calls == [3]
