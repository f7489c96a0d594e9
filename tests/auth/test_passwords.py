"""Argon2id hashing off the event loop."""

from __future__ import annotations

import asyncio

from stellarcollab.auth.passwords import PasswordHasher


async def test_hash_verifies_only_the_right_password() -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=1024, parallelism=1, concurrency=2)
    stored = await hasher.hash("correct-horse")
    assert stored.startswith("$argon2id$")
    assert await hasher.verify(stored, "correct-horse")
    assert not await hasher.verify(stored, "wrong-horse")
    assert not await hasher.verify("not-a-hash", "correct-horse")


async def test_hashing_does_not_block_the_loop() -> None:
    hasher = PasswordHasher(time_cost=3, memory_kib=65536, parallelism=1, concurrency=2)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.ensure_future(ticker())
    await asyncio.gather(*(hasher.hash("pw-" + str(i)) for i in range(4)))
    task.cancel()
    assert ticks > 10  # the loop kept turning while four hashes ran in threads
