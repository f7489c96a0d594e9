"""Group commit for chat: messages sent at about the same time are stored in one
transaction, so SQLite's one-writer-at-a-time costs one commit per batch, not per message.

Each sender awaits its own message's commit; the futures are resolved in the order the
messages were queued, so the broadcasts that follow keep that order too. A failed commit
fails every message of its batch: none of them was acknowledged, none is half-stored.
A batch is one multi-row INSERT of plain records (no ORM unit of work per message).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert

from stellarcollab.db.engine import Database
from stellarcollab.db.models import ChatMessage

MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class ChatRecord:
    """A chat message as it is stored: the columns of ``chat_messages`` but ``pk``."""

    id: str
    canvas_id: int
    sender_id: int
    text: str
    created_at: datetime

    def row(self) -> dict[str, object]:
        return {"id": self.id, "canvas_id": self.canvas_id, "sender_id": self.sender_id,
                "text": self.text, "created_at": self.created_at}


class ChatWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: list[tuple[ChatRecord, asyncio.Future[None]]] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def store(self, message: ChatRecord) -> None:
        """Return once ``message`` is committed (raise if its batch failed)."""
        if self._task is None or self._task.done():
            self._wakeup = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())
        assert self._wakeup is not None
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((message, done))
        self._wakeup.set()
        await done

    async def _run(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    async with self.db.transaction() as session:
                        await session.execute(insert(ChatMessage),
                                              [message.row() for message, _ in batch])
                except Exception as exc:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
