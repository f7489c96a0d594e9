"""Account reads for socket admission: concurrent reads share queries, a revoked token
and a missing account are told apart, a failure reaches every waiter."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stellarcollab.db.models import RevokedToken
from stellarcollab.services.account_reads import AccountReader
from tests.services.conftest import Services


class CountingReader(AccountReader):
    """Counts the batches; the queries themselves are the real ones."""

    batches: list[int]

    async def _query(self, keys: list[tuple[int, str]]) -> Any:
        self.batches.append(len(keys))
        return await super()._query(keys)


async def test_concurrent_reads_share_one_batch(services: Services) -> None:
    users = [await services.user() for _ in range(40)]
    reader = CountingReader(services.db)
    reader.batches = []
    reads = await asyncio.gather(*(reader.read(user.id, f"jti-{user.id}") for user in users))
    assert [read.user.id if read.user else None for read in reads] == [u.id for u in users]
    assert not any(read.revoked for read in reads)
    assert reader.batches == [40]


async def test_a_missing_account_and_a_revoked_token(services: Services) -> None:
    user = await services.user()
    async with services.db.transaction() as session:
        session.add(RevokedToken(jti="gone", expires_at=user.created_at))
    reader = AccountReader(services.db, max_batch=2)
    missing, revoked, fine = await asyncio.gather(
        reader.read(10**9, "x"), reader.read(user.id, "gone"), reader.read(user.id, "ok"))
    assert missing.user is None
    assert revoked.revoked and revoked.user is not None and revoked.user.id == user.id
    assert not fine.revoked and fine.user is not None


async def test_a_failed_query_reaches_every_waiter(services: Services) -> None:
    class Failing(AccountReader):
        async def _query(self, keys: list[tuple[int, str]]) -> Any:
            raise RuntimeError("database away")

    reader = Failing(services.db)
    results = await asyncio.gather(reader.read(1, "a"), reader.read(2, "b"),
                                   return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    with pytest.raises(RuntimeError):
        await reader.read(3, "c")  # the reader carries on after a failure
