"""Accounts for socket admission, read in batches: the sockets of different users that
arrive together (a storm after a deploy or a network blip) share one query for their
accounts and one for their tokens' revocation, instead of one round trip each."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import select

from stellarcollab.db.engine import Database
from stellarcollab.db.key_reads import AnySelect, KeysIn
from stellarcollab.db.models import RevokedToken, User
from stellarcollab.db.moderation import TokenCutoff
from stellarcollab.services.batch_reads import ARRIVAL_READ_PACE, BatchPace

#: most accounts in one query
MAX_BATCH = 500


def accounts(keys_in: KeysIn) -> AnySelect:
    """The accounts of ``user_ids``, with their token cutoffs."""
    return (select(User.id, User.username, User.display_name, User.is_admin, User.is_active,
                   User.password_hash, TokenCutoff.not_before)
            .select_from(User)
            .outerjoin(TokenCutoff, TokenCutoff.user_id == User.id)
            .where(keys_in(User.id, "user_ids")))


def revoked(keys_in: KeysIn) -> AnySelect:
    """Which of ``jtis`` were revoked."""
    return select(RevokedToken.jti).where(keys_in(RevokedToken.jti, "jtis"))


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """What a socket needs of its account: a few plain fields (an ORM ``User`` costs
    about 1.8 KB, and admission keeps one per user arriving)."""

    id: int
    username: str
    display_name: str
    is_admin: bool
    is_active: bool
    #: what the token's credential stamp is checked against (a password change)
    password_hash: str
    #: tokens issued before this (epoch seconds) are refused (a moderator's cutoff)
    not_before: float | None = None


@dataclass(slots=True)
class AccountRead:
    """What one admission learns: the account (None when missing) and whether the
    token it came with was revoked."""

    user: AccountRecord | None
    revoked: bool


@dataclass(slots=True)
class _Batch:
    waiting: dict[tuple[int, str], list[asyncio.Future[AccountRead]]] = field(
        default_factory=dict)


class AccountReader:
    def __init__(self, db: Database, max_batch: int = MAX_BATCH,
                 pace: float = ARRIVAL_READ_PACE) -> None:
        self.db = db
        self.max_batch = max_batch
        self.pace = BatchPace(pace)
        self._batch = _Batch()
        self._worker: asyncio.Task[None] | None = None
        self._accounts = db.key_reads.prepare(accounts)
        self._revoked = db.key_reads.prepare(revoked)

    async def read(self, user_id: int, jti: str) -> AccountRead:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AccountRead] = loop.create_future()
        self._batch.waiting.setdefault((user_id, jti), []).append(future)
        if self._worker is None:
            self._worker = loop.create_task(self._work())
        return await future

    async def _work(self) -> None:
        try:
            while self._batch.waiting:
                await self.pace.turn()  # the requests made meanwhile join in
                keys = list(self._batch.waiting)[:self.max_batch]
                taken = {key: self._batch.waiting.pop(key) for key in keys}
                try:
                    users, revoked = await self._query(keys)
                except Exception as exc:  # every waiter sees the failure
                    _settle_all(taken, exc)
                    continue
                for (user_id, jti), futures in taken.items():
                    result = AccountRead(users.get(user_id), jti in revoked)
                    for future in futures:
                        if not future.done():
                            future.set_result(result)
        finally:
            self._worker = None

    async def _query(
        self, keys: list[tuple[int, str]]
    ) -> tuple[dict[int, AccountRecord], set[str]]:
        user_ids = list({user_id for user_id, _ in keys})
        jtis = list({jti for _, jti in keys})
        # asked together: on SQLite both go to the reads' thread in one call
        rows, revoked = await asyncio.gather(self._accounts.fetch(user_ids=user_ids),
                                             self._revoked.fetch(jtis=jtis))
        users = {int(row[0]): AccountRecord(int(row[0]), str(row[1]), str(row[2]),
                                            bool(row[3]), bool(row[4]), str(row[5]),
                                            None if row[6] is None else float(row[6]))
                 for row in rows}
        return users, {str(row[0]) for row in revoked}


def _settle_all(taken: dict[tuple[int, str], list[asyncio.Future[AccountRead]]],
                exc: Exception) -> None:
    for futures in taken.values():
        for future in futures:
            if not future.done():
                future.set_exception(exc)
