"""Group commit for chat: messages sent at about the same time are stored in one
transaction, so SQLite's one-writer-at-a-time costs one commit per batch, not per message.

Each sender awaits its own message's commit; the futures are resolved in the order the
messages were queued, so the broadcasts that follow keep that order too. A failed commit
is retried message by message, so only the message at fault fails; none is half-stored.
A batch is one ``INSERT .. SELECT`` of the messages bound as one value, in their order
(``db/lean_writes.py``: on SQLite one call to its connection's thread, and the commit).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import cast

from sqlalchemy import Table, insert

from stellarcollab.db.engine import Database
from stellarcollab.db.models import ChatMessage
from stellarcollab.db.prepared import Prepared
from stellarcollab.tasks import cancel_and_wait

MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class ChatRecord:
    """A chat message as it is stored: the columns of ``chat_messages`` but ``pk``."""

    id: str
    canvas_id: int
    sender_id: int
    text: str
    created_at: datetime
    client_id: str | None = None

    def row(self) -> tuple[object, ...]:
        """The values of ``CHAT_COLUMNS``."""
        return cast(tuple[object, ...], _chat_row(self))


#: a stored message's columns but ``pk`` (which gives the order of the chat)
CHAT_COLUMNS = ("id", "canvas_id", "sender_id", "text", "created_at", "client_id")
_chat_row = attrgetter(*CHAT_COLUMNS)


def chat_insert(db: Database) -> Prepared:
    """The messages bound as ``messages`` (rows of ``CHAT_COLUMNS``), stored in order."""
    table = cast(Table, ChatMessage.__table__)
    messages = db.lean_writes.rows_from("messages", [table.c[c].type for c in CHAT_COLUMNS])
    return db.lean_writes.prepare(insert(table).from_select(CHAT_COLUMNS, messages))


class ChatWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = chat_insert(db)
        self._queue: list[tuple[ChatRecord, asyncio.Future[None]]] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsettled: set[asyncio.Future[None]] = set()

    async def store(self, message: ChatRecord) -> None:
        """Return once ``message`` is committed (raise if its batch failed)."""
        if self._task is None or self._task.done():
            self._wakeup = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())
        assert self._wakeup is not None
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((message, done))
        self._unsettled.add(done)
        done.add_done_callback(self._unsettled.discard)
        self._wakeup.set()
        await done

    async def drain(self) -> None:
        """Return once every message queued so far is committed (or its batch failed)."""
        if self._unsettled:
            await asyncio.wait(list(self._unsettled))

    async def _run(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                if not await self._commit(batch) and len(batch) > 1:
                    # One bad message (say, a client id stored meanwhile) must not fail
                    # the others: each alone, then.
                    for one in batch:
                        await self._commit([one])

    async def _commit(self, batch: list[tuple[ChatRecord, asyncio.Future[None]]]) -> bool:
        """Store ``batch`` in one transaction; settle its futures unless it failed and
        can be split (then the caller retries its messages one by one)."""
        try:
            async with self.db.lean_writes.transaction() as transaction:
                await transaction.fetch(self._insert,
                                        messages=[message.row() for message, _ in batch])
        except Exception as exc:
            if len(batch) > 1:
                return False
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return False
        for _, done in batch:
            if not done.done():
                done.set_result(None)
        return True

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
