"""Group commit for chat: messages sent at about the same time are stored in one
transaction, so SQLite's one-writer-at-a-time costs one commit per batch, not per message.

Each sender awaits its own message's commit; the futures are resolved in the order the
messages were queued, so the broadcasts that follow keep that order too. A failed commit
is retried message by message, so only the message at fault fails; none is half-stored.
"""

from __future__ import annotations

import asyncio
import contextlib

from stellarcollab.db.engine import Database
from stellarcollab.db.models import ChatMessage

MAX_BATCH = 500


class ChatWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: list[tuple[ChatMessage, asyncio.Future[None]]] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsettled: set[asyncio.Future[None]] = set()

    async def store(self, message: ChatMessage) -> None:
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

    async def _commit(self, batch: list[tuple[ChatMessage, asyncio.Future[None]]]) -> bool:
        """Store ``batch`` in one transaction; settle its futures unless it failed and
        can be split (then the caller retries its messages one by one)."""
        try:
            async with self.db.transaction() as session:
                session.add_all([message for message, _ in batch])
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
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
