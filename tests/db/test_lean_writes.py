"""Lean write transactions store rows bound as one value exactly as a session would
(types, NULLs, text of any kind, ``ON CONFLICT``), commit or roll back as one, queue
behind the one-writer lock with the sessions' writes, and on SQLite run on a connection
of their own, closed with the database. The first visits, presence records and statuses
that use them, and the chat's group commit, are checked on both databases too."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Integer, String, Table, bindparam, select
from sqlalchemy.exc import IntegrityError

from stellarcollab.db.engine import Database
from stellarcollab.db.models import ChatMessage, PresenceRecord, User
from stellarcollab.db.social import Activity, CanvasVisit, UserStatus
from stellarcollab.db.types import UTCDateTime
from stellarcollab.services.activity import visit_statements
from stellarcollab.services.chat_writer import ChatRecord, chat_insert
from stellarcollab.services.presence import ONLINE, RECORD_COLUMNS, record_upsert
from stellarcollab.services.statuses import StatusRow, status_upsert
from tests.db.seeding import seeded_database

NOW = datetime(2026, 12, 3, 9, 30, 1, 123456, tzinfo=UTC)


def _visits_insert(db: Database) -> Any:
    visits = cast(Table, CanvasVisit.__table__)
    pairs = db.lean_writes.rows_from("pairs", (Integer(), Integer()))
    return db.lean_writes.prepare(
        db.insert(visits).from_select(
            ["canvas_id", "user_id", "created_at"],
            pairs.add_columns(bindparam("now", type_=UTCDateTime())))
        .on_conflict_do_nothing(index_elements=["canvas_id", "user_id"])
        .returning(visits.c.user_id, visits.c.created_at))


async def test_rows_bound_as_one_value_are_stored_as_a_session_stores_them(
    empty_database_url: str
) -> None:
    async with seeded_database(empty_database_url) as (db, ids, canvas):
        insert = _visits_insert(db)
        async with db.lean_writes.transaction() as transaction:
            went_in = await transaction.fetch(insert, pairs=[(canvas, ids[0]), (canvas, ids[1])],
                                              now=NOW)
        assert sorted(went_in) == [(ids[0], NOW), (ids[1], NOW)]
        async with db.lean_writes.transaction() as transaction:  # one stored already
            went_in = await transaction.fetch(insert, pairs=[(canvas, ids[1]), (canvas, ids[2])],
                                              now=NOW)
        assert went_in == [(ids[2], NOW)]
        async with db.read() as session:
            stored = (await session.execute(select(CanvasVisit.user_id, CanvasVisit.created_at)
                                            .order_by(CanvasVisit.user_id))).all()
        assert [tuple(row) for row in stored] == [(user, NOW) for user in ids]


async def test_text_booleans_and_nulls_go_through_the_json_array(
    empty_database_url: str
) -> None:
    async with seeded_database(empty_database_url) as (db, ids, canvas):
        upsert = record_upsert(db)
        awkward = 'quote " back\\slash \u00e9\u6f22 \U0001f3a8 \'single\' [1,2] {"a":1}'
        record = {**ONLINE, "canvas_id": canvas, "user_id": ids[0],
                  "status_message": awkward, "is_typing": True, "editing_x": 3,
                  "editing_y": 0}
        plain = {**ONLINE, "canvas_id": canvas, "user_id": ids[1]}
        rows = [[one[column] for column in RECORD_COLUMNS] for one in (record, plain)]
        async with db.lean_writes.transaction() as transaction:
            assert await transaction.fetch(upsert, records=rows, now=NOW) == []
        later = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
        record.update(is_online=False, is_typing=False, editing_x=None, editing_y=None)
        async with db.lean_writes.transaction() as transaction:  # the conflict updates
            await transaction.fetch(upsert, records=[
                [record[column] for column in RECORD_COLUMNS]], now=later)
        async with db.read() as session:
            stored = {row.user_id: row for row in (await session.scalars(
                select(PresenceRecord))).all()}
        first, second = stored[ids[0]], stored[ids[1]]
        assert (first.status_message, first.is_online, first.is_typing, first.editing_x,
                first.editing_y, first.last_seen_at) == (awkward, False, False, None, None,
                                                          later)
        assert (second.status, second.status_message, second.is_online, second.is_typing,
                second.editing_x, second.last_seen_at) == ("online", None, True, False,
                                                           None, NOW)
        assert len(stored) == 2


async def test_statuses_are_upserted_unless_the_stored_one_is_newer(
    empty_database_url: str
) -> None:
    async with seeded_database(empty_database_url) as (db, ids, _canvas):
        upsert = status_upsert(db)
        later = NOW + timedelta(seconds=5)
        async with db.lean_writes.transaction() as transaction:
            await transaction.fetch(upsert, statuses=[
                StatusRow(ids[0], "busy", "drawing \u00e9 \U0001f3a8", "\U0001f3a8", later),
                StatusRow(ids[1], "away", None, None, NOW)])
        async with db.lean_writes.transaction() as transaction:  # older, then newer
            await transaction.fetch(upsert, statuses=[
                StatusRow(ids[0], "online", None, None, NOW),
                StatusRow(ids[1], "invisible", "gone", None, later)])
        async with db.read() as session:
            stored = {row.user_id: row for row in (await session.scalars(
                select(UserStatus))).all()}
        assert (stored[ids[0]].status, stored[ids[0]].status_message, stored[ids[0]].emoji,
                stored[ids[0]].updated_at) == ("busy", "drawing \u00e9 \U0001f3a8",
                                               "\U0001f3a8", later)
        assert (stored[ids[1]].status, stored[ids[1]].status_message, stored[ids[1]].emoji,
                stored[ids[1]].updated_at) == ("invisible", "gone", None, later)
        assert len(stored) == 2


async def test_a_failed_statement_rolls_back_the_whole_transaction(
    empty_database_url: str
) -> None:
    async with seeded_database(empty_database_url) as (db, ids, canvas):
        insert = _visits_insert(db)
        with pytest.raises(IntegrityError, match=r"(?i)foreign key"):  # the engine's kind
            async with db.lean_writes.transaction() as transaction:
                await transaction.fetch(insert, pairs=[(canvas, ids[0])], now=NOW)
                await transaction.fetch(insert, pairs=[(canvas, 10**9)], now=NOW)
        async with db.lean_writes.transaction() as transaction:  # usable, nothing kept
            assert await transaction.fetch(insert, pairs=[(canvas, ids[1])], now=NOW) \
                == [(ids[1], NOW)]
        async with db.read() as session:
            assert list(await session.scalars(select(CanvasVisit.user_id))) == [ids[1]]


async def test_lean_and_session_writes_queue_behind_one_lock(
    empty_database_url: str
) -> None:
    async with seeded_database(empty_database_url) as (db, ids, canvas):
        insert = _visits_insert(db)
        users = [ids[0]]

        async def add_user(n: int) -> None:
            async with db.transaction() as session:
                session.add(User(username=f"w{n}", username_key=f"w{n}",
                                 email=f"w{n}@example.com", password_hash="x",
                                 display_name=f"W {n}"))

        async def visit(user: int) -> None:
            async with db.lean_writes.transaction() as transaction:
                await transaction.fetch(insert, pairs=[(canvas, user)], now=NOW)

        await asyncio.gather(*(add_user(n) for n in range(20)),
                             *(visit(user) for user in (*users, ids[1], ids[2])))
        async with db.read() as session:
            assert await session.scalar(select(User.id).where(User.username == "w19"))
            assert sorted(await session.scalars(select(CanvasVisit.user_id))) == ids


async def test_first_visits_and_their_entries_on_both_databases(
    empty_database_url: str
) -> None:
    async with seeded_database(empty_database_url) as (db, ids, canvas):
        statements = visit_statements(db)
        async with db.lean_writes.transaction() as transaction:
            firsts = await transaction.fetch(statements.visits,
                                             pairs=[(canvas, user) for user in ids], now=NOW)
            entries = await transaction.fetch(statements.entries, pairs=firsts, now=NOW)
        assert sorted(firsts) == [(canvas, user) for user in ids]
        assert sorted((c, u) for _, c, u in entries) == sorted(firsts)
        async with db.read() as session:
            stored = (await session.scalars(select(Activity).order_by(Activity.id))).all()
        assert [(a.id, a.canvas_id, a.actor_id, a.kind, a.tile_id, a.created_at)
                for a in stored] == sorted((i, c, u, "user_joined", None, NOW)
                                           for i, c, u in entries)


@pytest.mark.parametrize("path", ["own", "engine"])
async def test_chat_messages_are_stored_in_the_order_given_with_their_own_times(
    empty_database_url: str, path: str
) -> None:
    async with seeded_database(empty_database_url) as (db, ids, canvas):
        if path == "engine":  # as on a database in memory: the engine's connections run them
            db.lean_writes.sqlite_file = None
        # out of time order on purpose: the list's order is the chat's
        records = [ChatRecord(f"m-{n}", canvas, ids[n % 3], f"\u00e9 \"{n}\" \U0001f3a8",
                              NOW - timedelta(microseconds=7 * n), f"c{n}" if n % 2 else None)
                   for n in range(60)]
        async with db.lean_writes.transaction() as transaction:
            await transaction.fetch(chat_insert(db), messages=[r.row() for r in records])
        async with db.read() as session:
            stored = (await session.scalars(select(ChatMessage).order_by(ChatMessage.pk))).all()
        assert [ChatRecord(m.id, m.canvas_id, m.sender_id, m.text, m.created_at, m.client_id)
                for m in stored] == records


def test_one_text_serves_every_batch_size(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    insert = _visits_insert(db)
    assert sorted(insert.names) == ["now", "pairs"]  # whatever the number of rows
    assert db.lean_writes.rows_from("r", [String()]).selected_columns[0].name == "c0"


async def test_sqlite_writes_use_a_connection_of_their_own_closed_with_the_database(
    tmp_path: Any
) -> None:
    async with seeded_database(f"sqlite+aiosqlite:///{tmp_path / 'own.db'}") as (
            db, ids, canvas):
        before = set(threading.enumerate())
        async with db.lean_writes.transaction() as transaction:
            await transaction.fetch(_visits_insert(db), pairs=[(canvas, ids[0])], now=NOW)
        own = db.lean_writes._connection
        assert own is not None
        assert (await (await own.execute("PRAGMA foreign_keys")).fetchone()) == (1,)
        assert (await (await own.execute("PRAGMA journal_mode")).fetchone()) == ("wal",)
        workers = [t for t in set(threading.enumerate()) - before
                   if "_connection_worker_thread" in t.name]
        assert len(workers) == 1
    # the database is disposed of
    assert db.lean_writes._connection is None
    await asyncio.to_thread(workers[0].join, 10)
    assert not workers[0].is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        async with db.lean_writes.transaction():
            pass
