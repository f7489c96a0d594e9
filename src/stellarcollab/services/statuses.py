"""Custom status: ``online``, ``away``, ``busy`` or ``invisible``, a message of at most 80
characters and an emoji, stored per user. A change is handed to the listeners (the
realtime layer broadcasts it to every canvas the user is on) at once, and written behind:
each user's latest status is kept in memory and the changed ones are stored together, one
upsert at most every ``write_delay`` seconds, and on ``flush`` (drain and shutdown). Reads
on this process see what is not written yet; another process reads the database, so it
may see a status up to ``write_delay`` old (its sockets hear the change live). Going
``invisible`` decides who may see the user, so it is written before it is announced."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select

from stellarcollab.db.engine import Database
from stellarcollab.db.key_reads import AnySelect, KeysIn
from stellarcollab.db.models import User
from stellarcollab.db.prepared import Prepared
from stellarcollab.db.social import UserBlock, UserStatus
from stellarcollab.db.types import isoformat_z, utcnow
from stellarcollab.services.blocks import load_active_user
from stellarcollab.services.errors import Invalid
from stellarcollab.services.social_views import StatusFields, status_view
from stellarcollab.services.text_rules import checked
from stellarcollab.wire import rules

log = logging.getLogger(__name__)
STATUSES = rules.CUSTOM_STATUSES
INVISIBLE = "invisible"
#: how long a status change waits for others to be written with it (seconds)
WRITE_DELAY = 0.2
#: (user, their status as they see it, the socket connection that set it or None)
StatusListener = Callable[[User, dict[str, Any], str | None], Awaitable[None]]


def clean_status(status: str, status_message: str | None,
                 emoji: str | None) -> tuple[str, str | None, str | None]:
    if status not in STATUSES:
        raise Invalid(f"status must be one of: {', '.join(STATUSES)}")
    message = checked(rules.custom_status_message, status_message, "Status message")
    return status, message, checked(rules.status_emoji, emoji, "Emoji")


class StatusRow(NamedTuple):
    """A user's status as stored, or accepted and not yet written (the row of
    ``status_upsert``)."""

    user_id: int
    status: str
    status_message: str | None
    emoji: str | None
    updated_at: datetime


def statuses_of(keys_in: KeysIn) -> AnySelect:
    """The stored statuses of ``user_ids``."""
    return select(UserStatus.user_id, UserStatus.status, UserStatus.status_message,
                  UserStatus.emoji, UserStatus.updated_at,
                  ).where(keys_in(UserStatus.user_id, "user_ids"))


class StatusService:
    def __init__(self, db: Database, write_delay: float = WRITE_DELAY) -> None:
        self.db = db
        self.write_delay = write_delay
        self.listeners: list[StatusListener] = []
        #: accepted and not yet committed, per user: the latest wins
        self._unwritten: dict[int, StatusRow] = {}
        self._flush_lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        self._statuses_of = db.key_reads.prepare(statuses_of)
        self._upsert_statuses = status_upsert(db)

    async def set(self, user: User, status: str, status_message: str | None,
                  emoji: str | None, *, connection_id: str | None = None) -> dict[str, Any]:
        status, status_message, emoji = clean_status(status, status_message, emoji)
        row = StatusRow(user.id, status, status_message, emoji, utcnow())
        self._unwritten[user.id] = row
        if status == INVISIBLE:
            # Who may see the user: another process reads it from the database when
            # they open a socket there, so this one is written before it is announced.
            await self.flush()
        else:
            self._schedule()
        view = status_view(user.id, row, viewer_id=user.id)
        for listener in self.listeners:
            await listener(user, view, connection_id)
        return view

    def _schedule(self) -> None:
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.write_delay)
        self._flusher = None  # a change from now on schedules the next write
        await self.flush()

    async def flush(self) -> int:
        """Store every accepted change not written yet, in one statement; returns how
        many users' statuses were written. A failed write is kept for the next one."""
        async with self._flush_lock:
            rows = list(self._unwritten.values())
            if not rows:
                return 0
            try:
                await self._upsert(rows)
            except Exception:
                log.exception("writing %d statuses failed; retrying later", len(rows))
                self._schedule()
                return 0
            for row in rows:  # a newer change that came meanwhile is still to be written
                if self._unwritten.get(row.user_id) is row:
                    del self._unwritten[row.user_id]
            return len(rows)

    async def _upsert(self, rows: list[StatusRow]) -> None:
        async with self.db.lean_writes.transaction() as transaction:
            await transaction.fetch(self._upsert_statuses, statuses=rows)

    async def close(self) -> None:
        """Write what is pending and stop the timer (shutdown)."""
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self.flush()

    async def _stored(self, session: Any, user_id: int) -> StatusFields | None:
        unwritten = self._unwritten.get(user_id)
        if unwritten is not None:
            return unwritten
        return await session.get(UserStatus, user_id)  # type: ignore[no-any-return]

    async def clear(self, user: User) -> dict[str, Any]:
        return await self.set(user, "online", None, None)

    async def of(self, user_id: int) -> dict[str, Any]:
        """The user's own stored status (``invisible`` included), for their sockets."""
        unwritten = self._unwritten.get(user_id)
        if unwritten is not None:
            return status_view(user_id, unwritten, viewer_id=user_id)
        async with self.db.read() as session:
            return status_view(user_id, await session.get(UserStatus, user_id),
                               viewer_id=user_id)

    async def of_many(self, user_ids: list[int]) -> dict[int, dict[str, Any]]:
        """``of`` for many users in one query (sockets arriving together)."""
        rows: dict[int, StatusFields] = {
            row[0]: StatusRow(*row)
            for row in await self._statuses_of.fetch(user_ids=user_ids)}
        rows.update((u, self._unwritten[u]) for u in user_ids if u in self._unwritten)
        return {user_id: status_view(user_id, rows.get(user_id), viewer_id=user_id)
                for user_id in user_ids}

    async def profile(self, viewer: User, user_id: int) -> dict[str, Any]:
        async with self.db.read() as session:
            user = await load_active_user(session, user_id)
            status = status_view(user.id, await self._stored(session, user.id),
                                 viewer_id=viewer.id)
            blocked = await session.scalar(select(UserBlock.blocked_id).where(
                UserBlock.blocker_id == viewer.id, UserBlock.blocked_id == user.id))
        return {
            "id": user.id, "username": user.username, "display_name": user.display_name,
            "created_at": isoformat_z(user.created_at),
            "status": status["status"], "status_message": status["status_message"],
            "emoji": status["emoji"], "blocked": blocked is not None,
        }


def status_upsert(db: Database) -> Prepared:
    """The upsert of statuses written behind, as a lean write: the rows bound as one value
    (``StatusRow``), each stored unless the row there is newer (another process's
    later change is not overwritten by an older one)."""
    table = UserStatus.__table__
    columns = StatusRow._fields
    statuses = db.lean_writes.rows_from("statuses", [table.c[c].type for c in columns])
    statement = db.insert(table).from_select(list(columns), statuses)
    excluded = statement.excluded
    return db.lean_writes.prepare(statement.on_conflict_do_update(
        index_elements=["user_id"],
        set_={column: excluded[column] for column in columns[1:]},
        where=table.c.updated_at <= excluded.updated_at,
    ))
